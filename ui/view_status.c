/* view_status.c - the status line: the keys that matter now (named from
 * the key table), messages, and the prompt of o and g. */
#include "ui/tui.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>

struct hint {
	enum request req;
	const char *what;
};

static const struct hint main_hints[] = {
    {REQ_STEP_L, "L-step"},   {REQ_STEP_H, "H-step"},    {REQ_STEP_SEGMENT, "segment"}, {REQ_RUN, "run"},
    {REQ_PLAY, "play"},       {REQ_BACK, "back"},        {REQ_FORWARD, "fwd"},          {REQ_GRID_MODE, "grid"},
    {REQ_INSPECT, "inspect"}, {REQ_NEXT_PUZZLE, "next"}, {REQ_TEACH, "teach"},          {REQ_HELP, "help"},
    {REQ_QUIT, "quit"},
};
static const struct hint grid_hints[] = {
    {REQ_CELL_LEFT, ""},       {REQ_CELL_DOWN, ""}, {REQ_CELL_UP, ""},       {REQ_CELL_RIGHT, "move"},
    {REQ_GRID_LEAVE, "leave"}, {REQ_EDIT, "edit"},  {REQ_GRID_MODE, "grid"}, {REQ_HELP, "help"},
};
static const struct hint guess_hints[] = {
    {REQ_GUESS_DOWN, ""},  {REQ_GUESS_UP, "select"}, {REQ_GUESS_ENTER, "step into the run"},
    {REQ_GUESS_PERTURB, "perturbation"}, {REQ_GUESS_MORE, ""}, {REQ_GUESS_FEWER, "K"},
    {REQ_GUESS_CLOSE, "debugger"}, {REQ_HELP, "help"}, {REQ_QUIT, "quit"},
};
static const struct hint edit_hints[] = {
    {REQ_EDIT_WALL, "wall"},   {REQ_EDIT_START, "start"},  {REQ_EDIT_GOAL, "goal"},
    {REQ_EDIT_DIGIT, "digit"}, {REQ_EDIT_APPLY, "re-run"}, {REQ_EDIT_CANCEL, "drop"},
};

bool status_message_shown(const struct tui *t)
{
	return t->msg[0] && monotonic_ms() < t->msg_until;
}

int status_lines(const struct tui *t, int width)
{
	return status_message_shown(t) && text_width(t->msg) > width - 2 ? 2 : 1;
}

static void status_draw(struct view *v, struct tui *t)
{
	WINDOW *w = v->win;
	draw_fill(w, 0, UI_STATUS);
	if (t->prompt != PROMPT_NONE) {
		const char *label =
		    t->prompt == PROMPT_OPEN ? " open (FILE[:INDEX] or DATASET[:SPLIT[:INDEX]]): " : " go to segment: ";
		draw_text(w, 0, 0, v->w, UI_KEY, label);
		int x = text_width(label);
		draw_text(w, 0, x, v->w - x, UI_STATUS, t->prompt_buf);
		return;
	}
	if (status_message_shown(t)) {
		/* a message wider than the line takes two (status_lines), broken
		 * between words; past that it ends on a whole word and an ellipsis */
		enum ui_role role = t->msg_error ? UI_ERROR : UI_STATUS;
		const char *s = t->msg;
		int room = v->w - 2;
		for (int y = 0; y < v->h; y++) {
			char line[sizeof t->msg + 8];
			draw_fill(w, y, role);
			if (y == v->h - 1 && text_wrap_lines(s, room) > 1) {
				const char *more = t->utf8 ? "\xe2\x80\xa6" : "...";
				text_wrap(s, room - text_width(more) - 1, line, sizeof line - 8);
				strcat(line, " ");
				strcat(line, more);
			} else {
				s = text_wrap(s, room, line, sizeof line);
			}
			draw_text(w, y, 1, v->w - 1, role, line);
		}
		return;
	}
	const struct hint *h = main_hints;
	int n = (int)(sizeof main_hints / sizeof main_hints[0]);
	if (t->focus == FOCUS_GRID) {
		h = grid_hints;
		n = (int)(sizeof grid_hints / sizeof grid_hints[0]);
	} else if (t->focus == FOCUS_GUESS) {
		h = guess_hints;
		n = (int)(sizeof guess_hints / sizeof guess_hints[0]);
	} else if (t->focus == FOCUS_EDIT) {
		h = edit_hints;
		n = (int)(sizeof edit_hints / sizeof edit_hints[0]);
	}
	/* whole hints only, in order, as many as fit; help and quit are kept
	 * (at 80 columns they would be the ones cut off) */
	char names[16][32];
	int width[16], pinned = 0;
	if (n > 16)
		n = 16;
	/* the editor's hints for the puzzle on screen: walls, S and G for a
	 * maze, digits for a sudoku */
	struct hint kept[16];
	if (t->focus == FOCUS_EDIT) {
		int k = 0;
		for (int i = 0; i < n && k < 16; i++) {
			bool maze_only = h[i].req == REQ_EDIT_WALL || h[i].req == REQ_EDIT_START || h[i].req == REQ_EDIT_GOAL;
			if ((maze_only && t->puz.kind != PUZZLE_MAZE) ||
			    (h[i].req == REQ_EDIT_DIGIT && t->puz.kind != PUZZLE_SUDOKU))
				continue;
			kept[k++] = h[i];
		}
		h = kept;
		n = k;
	}
	for (int i = 0; i < n; i++) {
		/* the first name in the table: "b Left" -> "b" */
		snprintf(names[i], sizeof names[i], "%s", keys_entry(h[i].req)->names);
		char *sp = strchr(names[i], ' ');
		if (sp && strcmp(names[i], "space") != 0)
			*sp = '\0';
		width[i] = text_width(names[i]) + (h[i].what[0] ? 1 + text_width(h[i].what) + 2 : 1);
		if (h[i].req == REQ_HELP || h[i].req == REQ_QUIT)
			pinned += width[i];
	}
	int x = 1, room = v->w - 1 - pinned;
	if (t->teaching && t->focus == FOCUS_MAIN) {
		/* teaching mode says it is on, how fast, and how to stop it */
		char teach[96];
		double sps = 1000.0 / tui_play_ms(t->speed);
		if (t->playing)
			snprintf(teach, sizeof teach, "teaching: on, %.*f step%s/s: t or Esc stops", sps < 1 ? 1 : 0, sps,
			         sps == 1 ? "" : "s");
		else
			snprintf(teach, sizeof teach, "teaching: paused: t plays on, Esc stops");
		draw_text(w, 0, x, room, UI_KEY, teach);
		x += text_width(teach) + 2;
		room -= text_width(teach) + 2;
	}
	bool full = false;
	for (int i = 0; i < n; i++) {
		bool pin = h[i].req == REQ_HELP || h[i].req == REQ_QUIT;
		if (!pin && (full || width[i] > room)) {
			full = true; /* keep the order: nothing after a hint that did not fit */
			continue;
		}
		if (!pin)
			room -= width[i];
		draw_text(w, 0, x, v->w - x, UI_KEY, names[i]);
		if (h[i].what[0])
			draw_text(w, 0, x + text_width(names[i]) + 1, v->w - x - text_width(names[i]) - 1, UI_STATUS,
			          h[i].what);
		x += width[i];
	}
}

const struct view_ops view_status_ops = {
    .name = "status",
    .dirty = DIRTY_STATUS,
    .draw = status_draw,
};
