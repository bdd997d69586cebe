/* tui_loop.c - the main loop: take keys, mouse, signals and the worker's
 * news; turn keys into requests (keys.h) and requests into state changes
 * that set dirty bits; repaint the dirty views once per pass. */
#include "ui/tui.h"
#include "core/fmap.h"
#include "core/util.h"
#include "ui/record.h"
#include "ui/script.h"
#include "ui/term.h"
#include "ui/app.h"
#include "ui/compare.h"
#include "ui/edit.h"
#include "ui/export.h"
#include "ui/guess_job.h"
#include "ui/tui_loop.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PLAY_SPEEDS tui_play_speeds()

static int calls_per_segment(const struct tui *t)
{
	const struct hrm_config *c = &t->model->cfg;
	return c->H_cycles * (c->L_cycles + 1);
}

/* Has the run halted at position p under the chosen rule? */
static bool halted_at(const struct tui *t, int p)
{
	if (p >= app_max_pos(t))
		return true;
	return t->hist != NULL && history_halted_at(t->hist, t->hist_n, p, t->adaptive);
}

/* Copies the worker's news into t (positions computed, busy) and marks
 * what changed. */
static void sync_worker(struct tui *t)
{
	struct worker_status ws = worker_status(t->worker);
	worker_lock(t->worker);
	const struct history *h = worker_history(t->worker);
	int n = h->gen == t->gen ? h->n : 0;
	bool probe_missing = false;
	int old_pos = t->pos;
	bool was_busy = t->busy;
	/* comparing: the compared run goes where this one goes, and the screen
	 * shows no position it has not reached (lockstep) */
	int shown = n;
	char cmp_error[sizeof ws.error] = "";
	if (t->cmp) {
		memcpy(cmp_error, t->cmp->ws.error, sizeof cmp_error);
		int nc = compare_sync(t, n);
		shown = nc < n ? nc : n;
	}
	t->busy = ws.busy || ws.loaded_gen != t->gen || (t->cmp && t->cmp->busy);
	if (!t->busy && n > 0 && t->target > shown - 1)
		t->target = shown - 1;
	if (!t->busy)
		t->to_halt = false;
	t->pos = shown > 0 ? (t->target < shown - 1 ? t->target : shown - 1) : 0;
	if (n > 0 && (t->grid_mode == GRID_PROBE) && h->pos[t->pos].probe == NULL)
		probe_missing = true;
	bool halted = false;
	if (t->playing && n > 0 && t->pos == t->target) {
		t->hist = h;
		t->hist_n = n;
		halted = halted_at(t, t->pos);
		t->hist = NULL;
	}
	worker_unlock(t->worker);
	if (t->cmp)
		compare_follow(t);
	if (n != t->hist_n || old_pos != t->pos || strcmp(ws.error, t->ws.error) != 0)
		t->dirty |= DIRTY_POSITION;
	if (was_busy != t->busy || t->busy)
		t->dirty |= DIRTY_HEADER;
	if (t->busy && !was_busy)
		t->busy_since = monotonic_ms();
	if (ws.error[0] && strcmp(ws.error, t->ws.error) != 0)
		app_message(t, true, "%s", ws.error);
	if (t->cmp && t->cmp->ws.error[0] && strcmp(cmp_error, t->cmp->ws.error) != 0)
		app_message(t, true, "%s: %s", t->cmp->name, t->cmp->ws.error);
	/* a checkpoint cut short while open reads as zeros (core/fmap.h):
	 * say so as soon as a step has read from it, not only at the exit */
	char *cause = NULL;
	if (n != t->hist_n && !t->map_damaged && fmap_check_all(&cause) != 0) {
		t->map_damaged = true;
		app_message(t, true, "%s; quit and open it again", cause);
		free(cause);
	}
	t->hist_n = n;
	t->ws = ws;
	if (probe_missing)
		worker_want_probe(t->worker, t->pos);
	if (halted && t->playing && t->pos > 0) {
		t->playing = false;
		char halt_rule_words[64];
		snprintf(halt_rule_words, sizeof halt_rule_words, "adaptive: %s, or M", hrm_halt_rule(&t->model->cfg));
		app_message(t, false, "halted at segment %d (%s)%s", (t->pos - 1) / calls_per_segment(t) + 1,
		            t->adaptive ? halt_rule_words : "max-steps",
		            t->teaching ? ": t starts over" : "");
	}
}

static void play_tick(struct tui *t, double now)
{
	if (!t->playing || now < t->next_tick || t->pos != t->target || t->busy)
		return;
	int speed = t->speed;
	t->next_tick = now + tui_play_ms(speed);
	app_goto(t, t->pos + 1);
}

static void begin_prompt(struct tui *t, enum prompt_kind k, const char *initial)
{
	t->prompt = k;
	snprintf(t->prompt_buf, sizeof t->prompt_buf, "%s", initial ? initial : "");
	t->prompt_len = (int)strlen(t->prompt_buf);
	t->playing = false;
	t->dirty |= DIRTY_STATUS;
}

static void finish_prompt(struct tui *t)
{
	enum prompt_kind k = t->prompt;
	t->prompt = PROMPT_NONE;
	t->dirty |= DIRTY_STATUS;
	if (t->prompt_len == 0)
		return;
	if (k == PROMPT_GOTO) {
		char *end;
		long s = strtol(t->prompt_buf, &end, 10);
		int M = t->model->cfg.halt_max_steps;
		if (*end || s < 1 || s > M) {
			app_message(t, true, "segments are numbered 1 to %d", M);
			return;
		}
		app_goto(t, (int)(s - 1) * calls_per_segment(t));
	} else if (k == PROMPT_OPEN) {
		app_open(t, t->prompt_buf);
	}
}

static void prompt_key(struct tui *t, int ch)
{
	if (ch == KEYS_ESC) {
		t->prompt = PROMPT_NONE;
	} else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		finish_prompt(t);
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (t->prompt_len > 0)
			t->prompt_buf[--t->prompt_len] = '\0';
	} else if (ch == KEYS_CTRL('u')) {
		t->prompt_len = 0;
		t->prompt_buf[0] = '\0';
	} else if (ch >= 32 && ch < 256 && t->prompt_len + 1 < (int)sizeof t->prompt_buf) {
		t->prompt_buf[t->prompt_len++] = (char)ch;
		t->prompt_buf[t->prompt_len] = '\0';
	}
	t->dirty |= DIRTY_STATUS;
}

static void move_cell(struct tui *t, int dr, int dc)
{
	const struct grid_geom *g = &t->geom;
	int nr = g->nr > 0 ? g->nr : t->puz.side, nc = g->nc > 0 ? g->nc : t->puz.side;
	if (t->cur_r < g->r0 || t->cur_r >= g->r0 + nr)
		t->cur_r = g->r0;
	if (t->cur_c < g->c0 || t->cur_c >= g->c0 + nc)
		t->cur_c = g->c0;
	t->cur_r = g->r0 + (t->cur_r - g->r0 + dr + nr) % nr;
	t->cur_c = g->c0 + (t->cur_c - g->c0 + dc + nc) % nc;
	t->dirty |= DIRTY_GRID | DIRTY_INSPECT;
}

/* Is the run over at the position asked for: all M segments, or halted
 * there under the chosen rule? */
static bool at_end(struct tui *t)
{
	if (t->target >= app_max_pos(t))
		return true;
	worker_lock(t->worker);
	const struct history *h = worker_history(t->worker);
	bool end = false;
	if (h->gen == t->gen && t->target > 0 && t->target < h->n) {
		t->hist = h;
		t->hist_n = h->n;
		end = halted_at(t, t->target);
		t->hist = NULL;
	}
	worker_unlock(t->worker);
	return end;
}

static void set_teaching(struct tui *t, bool on)
{
	t->teaching = on;
	t->playing = on;
	if (on) {
		t->speed = 1;
		t->next_tick = monotonic_ms() + tui_play_ms(t->speed);
	}
	t->dirty |= DIRTY_ALL | DIRTY_LAYOUT | DIRTY_CLEAR;
}

/* t: teaching on (from the start when the run is over), or back to playing
 * when it was paused (Home, b, the end of the run), or off while it plays.
 * The status line shows the state while it is on. */
static void toggle_teaching(struct tui *t)
{
	if (t->teaching && t->playing) {
		set_teaching(t, false);
		app_message(t, false, "teaching: off (t starts it again)");
		return;
	}
	if (at_end(t))
		app_goto(t, 0);
	int speed = t->teaching ? t->speed : 1;
	set_teaching(t, true);
	t->speed = speed;
	t->next_tick = monotonic_ms() + tui_play_ms(t->speed);
}

/* Moving through the run: stepping, playing, going back and forth. */
static int run_request(struct tui *t, enum request r)
{
	int K = calls_per_segment(t), Lc = t->model->cfg.L_cycles;
	/* Moves count from where the user asked to be, not from the position
	 * shown: keys typed fast or pasted arrive in one pass of the loop,
	 * before the worker has caught up, and each must move on from the
	 * previous one.  While r runs, the target is the end: from the screen. */
	int at = t->to_halt ? t->pos : t->target;
	struct hist_cursor hc = {0};
	int k = at % K;
	hc.segment = at / K;
	hc.h_cycle = k / (Lc + 1);
	hc.l_step = k % (Lc + 1);
	switch (r) {
	case REQ_STEP_L:
		t->playing = false;
		app_goto(t, at + (hc.l_step == Lc ? 2 : 1));
		break;
	case REQ_STEP_H:
		t->playing = false;
		app_goto(t, at + (Lc - hc.l_step) + 1);
		break;
	case REQ_STEP_SEGMENT:
		t->playing = false;
		app_goto(t, (at / K + 1) * K);
		break;
	case REQ_RUN:
		t->playing = false;
		app_run(t);
		break;
	case REQ_HALT_RULE:
		t->adaptive = !t->adaptive;
		if (t->adaptive)
			app_message(t, false, "r and play stop at: adaptive halting (%s)", hrm_halt_rule(&t->model->cfg));
		else
			app_message(t, false, "r and play stop at: max-steps (the official evaluation)");
		t->dirty |= DIRTY_HEADER | DIRTY_HALT;
		break;
	case REQ_PLAY:
		t->playing = !t->playing;
		if (t->playing && halted_at(t, t->pos) && t->pos > 0) {
			t->playing = false;
			app_message(t, false, "the run has halted here: R restarts, a changes the rule");
		}
		t->next_tick = monotonic_ms();
		t->dirty |= DIRTY_HEADER;
		break;
	case REQ_FASTER:
	case REQ_SLOWER:
		t->speed += r == REQ_FASTER ? 1 : -1;
		t->speed = t->speed < 0 ? 0 : t->speed >= PLAY_SPEEDS ? PLAY_SPEEDS - 1 : t->speed;
		app_message(t, false, "play speed: %.1f steps per second", 1000.0 / tui_play_ms(t->speed));
		break;
	case REQ_BACK:
		t->playing = false;
		app_goto(t, at - 1);
		break;
	case REQ_FORWARD:
		app_goto(t, at + 1);
		break;
	case REQ_BACK_SEGMENT:
		t->playing = false;
		app_goto(t, at % K ? at - at % K : at - K);
		break;
	case REQ_FORWARD_SEGMENT:
		app_goto(t, (at / K + 1) * K);
		break;
	case REQ_FIRST:
		t->playing = false;
		app_goto(t, 0);
		break;
	case REQ_LAST:
		app_goto(t, t->hist_n - 1);
		break;
	case REQ_GOTO:
		begin_prompt(t, PROMPT_GOTO, NULL);
		break;
	case REQ_RESTART:
		t->playing = false;
		app_restart(t);
		break;
	case REQ_DTYPE:
		app_switch_dtype(t);
		break;
	case REQ_CANCEL:
		worker_cancel(t->worker);
		if (t->cmp) {
			worker_cancel(t->cmp->worker);
			t->cmp->asked = -1;
		}
		if (t->target > t->pos)
			t->target = t->hist_n > 0 ? t->hist_n - 1 : 0;
		t->to_halt = false;
		if (t->teaching)
			set_teaching(t, false);
		t->playing = false;
		app_message(t, false, "stopped");
		break;
	default:
		return RES_NONE;
	}
	return RES_HANDLED;
}

/* Another puzzle: next, previous, open, edit. */
static int puzzle_request(struct tui *t, enum request r)
{
	switch (r) {
	case REQ_NEXT_PUZZLE:
		app_step_puzzle(t, +1);
		break;
	case REQ_PREV_PUZZLE:
		app_step_puzzle(t, -1);
		break;
	case REQ_OPEN:
		begin_prompt(t, PROMPT_OPEN, NULL);
		break;
	case REQ_EDIT:
		edit_begin(t);
		break;
	case REQ_EDIT_APPLY:
		edit_finish(t, true);
		break;
	case REQ_EDIT_CANCEL:
		edit_finish(t, false);
		break;
	default:
		return RES_NONE;
	}
	return RES_HANDLED;
}

/* W: a recording of the screen starts (an asciinema v2 file named for the
 * time, in the current folder) or stops, and the status line says where. */
static void toggle_recording(struct tui *t)
{
	char *cause = NULL;
	if (t->rec) {
		int rc = record_close(t->rec, &cause);
		t->rec = NULL;
		if (rc != 0)
			app_message(t, true, "%s", cause);
		else
			app_message(t, false, "recording stopped: %s (asciinema play %s)", t->rec_path, t->rec_path);
		free(cause);
		t->rec_path[0] = '\0';
		return;
	}
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(t->rec_path, sizeof t->rec_path, "hrmscope-%Y%m%d-%H%M%S.cast", &tm);
	if ((t->rec = record_open(t->rec_path, &cause)) == NULL) {
		app_message(t, true, "%s", cause);
		free(cause);
		t->rec_path[0] = '\0';
		return;
	}
	app_message(t, false, "recording to %s: W stops", t->rec_path);
	t->dirty |= DIRTY_ALL | DIRTY_CLEAR; /* the first frame: the whole screen */
}

/* What the screen shows: grid mode, charts, the cell inspector, help. */
static int view_request(struct tui *t, enum request r)
{
	switch (r) {
	case REQ_GRID_MODE:
	case REQ_GRID_MODE_BACK:
		t->grid_mode =
		    (enum grid_mode)((t->grid_mode + (r == REQ_GRID_MODE ? 1 : GRID_MODES - 1)) % GRID_MODES);
		t->dirty |= DIRTY_GRID | DIRTY_INSPECT;
		break;
	case REQ_METRIC:
		t->metric = (enum metric)((t->metric + 1) % METRICS);
		t->dirty |= DIRTY_CHARTS | DIRTY_STATUS;
		break;
	case REQ_LOG_SCALE:
		t->log_scale = !t->log_scale;
		t->dirty |= DIRTY_CHARTS;
		break;
	case REQ_INSPECT:
		t->focus = FOCUS_GRID;
		move_cell(t, 0, 0);
		t->dirty |= DIRTY_ALL | DIRTY_LAYOUT;
		break;
	case REQ_PR_SET:
		t->pr_accumulate = !t->pr_accumulate;
		t->dirty |= DIRTY_PR;
		break;
	case REQ_TEACH:
		toggle_teaching(t);
		break;
	case REQ_HELP:
		t->help_shown = true;
		t->help_page = 0;
		break;
	case REQ_RECORD:
		toggle_recording(t);
		break;
	case REQ_EXPORT:
		export_request(t);
		break;
	case REQ_COMPARE_FRONT:
		if (t->cmp == NULL) {
			app_message(t, false, "x swaps the two runs of tui --compare: there is one run");
			break;
		}
		bool running = t->to_halt;
		compare_toggle_front(t);
		app_message(t, false, "in front: %s (x: %s)", t->run_name, t->cmp->name);
		if (running) /* r goes on: the run now in front decides where it halts */
			app_run(t);
		break;
	case REQ_REDRAW:
		clearok(curscr, TRUE);
		t->dirty |= DIRTY_ALL | DIRTY_CLEAR;
		break;
	case REQ_QUIT:
		return RES_QUIT;
	case REQ_CELL_LEFT:
		move_cell(t, 0, -1);
		break;
	case REQ_CELL_RIGHT:
		move_cell(t, 0, 1);
		break;
	case REQ_CELL_UP:
		move_cell(t, -1, 0);
		break;
	case REQ_CELL_DOWN:
		move_cell(t, 1, 0);
		break;
	case REQ_GRID_LEAVE:
		t->focus = FOCUS_MAIN;
		t->dirty |= DIRTY_ALL | DIRTY_LAYOUT;
		break;
	default:
		return RES_NONE;
	}
	return RES_HANDLED;
}

static int do_request(struct tui *t, enum request r, int ch)
{
	if (t->focus == FOCUS_EDIT && r >= REQ_EDIT_WALL && r <= REQ_EDIT_DIGIT)
		return edit_key(t, r, ch);
	if (t->focus == FOCUS_GUESS || r == REQ_GUESSES) {
		int res = guess_request(t, r);
		if (res != RES_NONE)
			return res;
	}
	int res = run_request(t, r);
	if (res == RES_NONE)
		res = puzzle_request(t, r);
	if (res == RES_NONE)
		res = view_request(t, r);
	if (res == RES_NONE)
		res = side_request(t, r);
	return res;
}


/* The mouse: the wheel scrolls through the history computed (up: back,
 * down: forward, never computing); a click on a grid cell puts the
 * inspector's cursor there, on a chart bar goes to its step. */
static void click(struct tui *t)
{
	MEVENT me;
	if (getmouse(&me) != OK)
		return;
	if ((me.bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)) && !t->help_shown && t->prompt == PROMPT_NONE &&
	    (t->focus == FOCUS_MAIN || t->focus == FOCUS_GRID)) {
		if (me.bstate & BUTTON4_PRESSED)
			do_request(t, REQ_BACK, 0);
		else if (t->target < t->hist_n - 1)
			do_request(t, REQ_FORWARD, 0);
		return;
	}
	if (!(me.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)))
		return;
	if (t->help_shown) {
		t->help_shown = false;
		t->dirty |= DIRTY_ALL | DIRTY_CLEAR;
		return;
	}
	for (int i = 0; i < V_COUNT; i++) {
		struct view *v = &t->views[i];
		if (!v->shown || !v->ops->click)
			continue;
		if (me.y >= v->y && me.y < v->y + v->h && me.x >= v->x && me.x < v->x + v->w) {
			int pos;
			if (v->ops->click(v, t, me.y - v->y, me.x - v->x, &pos) == RES_GOTO)
				app_goto(t, pos);
			return;
		}
	}
}

int tui_key(struct tui *t, int ch)
{
	if (ch == KEY_MOUSE) {
		click(t);
		return RES_HANDLED;
	}
	if (ch == KEY_RESIZE) {
		t->dirty |= DIRTY_ALL | DIRTY_LAYOUT | DIRTY_CLEAR;
		return RES_HANDLED;
	}
	if (t->help_shown) {
		if (ch == ' ' && t->help_page + 1 < help_pages()) {
			t->help_page++;
			t->dirty |= DIRTY_CLEAR; /* render() repaints only when something is dirty */
		} else {
			t->help_shown = false;
			t->dirty |= DIRTY_ALL | DIRTY_CLEAR;
		}
		return RES_HANDLED;
	}
	if (t->prompt != PROMPT_NONE) {
		prompt_key(t, ch);
		return RES_HANDLED;
	}
	if (t->too_small)
		return ch == 'q' ? RES_QUIT : RES_HANDLED;
	enum key_context ctx = t->focus == FOCUS_EDIT    ? CTX_EDIT
	                       : t->focus == FOCUS_GRID  ? CTX_GRID
	                       : t->focus == FOCUS_GUESS ? CTX_GUESS
	                                                 : CTX_MAIN;
	enum request r = keys_lookup(ctx, ch);
	if (r == REQ_NONE)
		return RES_NONE;
	if (t->msg[0] && !t->msg_error)
		t->msg_until = 0;
	t->dirty |= DIRTY_STATUS;
	return do_request(t, r, ch);
}

static void render(struct tui *t)
{
	/* a message longer than the status line came or went */
	if (!t->too_small && !t->help_shown && status_lines(t, COLS) != t->views[V_STATUS].h)
		t->dirty |= DIRTY_LAYOUT;
	if (t->dirty & DIRTY_LAYOUT) {
		layout_apply(t);
		t->dirty |= DIRTY_ALL | DIRTY_CLEAR;
	}
	if (t->too_small) {
		layout_draw_too_small(t);
		doupdate();
		record_frame(t->rec);
		t->dirty = 0;
		return;
	}
	if (t->help_shown) {
		help_draw(t);
		doupdate();
		record_frame(t->rec);
		t->dirty = 0;
		return;
	}
	if (t->dirty & DIRTY_CLEAR) {
		werase(stdscr);
		wnoutrefresh(stdscr);
	}
	worker_lock(t->worker);
	const struct history *h = worker_history(t->worker);
	t->hist = h->gen == t->gen && h->n > 0 ? h : NULL;
	if (t->hist == NULL)
		t->hist_n = 0;
	compare_lock(t);
	for (int i = 0; i < V_COUNT; i++) {
		struct view *v = &t->views[i];
		if (!v->shown || !(v->ops->dirty & t->dirty))
			continue;
		werase(v->win);
		v->ops->draw(v, t);
		if (t->dirty & DIRTY_CLEAR)
			touchwin(v->win);
		wnoutrefresh(v->win);
	}
	compare_unlock(t);
	t->hist = NULL;
	worker_unlock(t->worker);
	/* in half-block grids the terminal cursor marks the inspected cell */
	struct view *g = &t->views[V_GRID];
	if (t->focus != FOCUS_MAIN && t->geom.half && g->shown) {
		curs_set(1);
		wmove(g->win, t->geom.top + (t->cur_r - t->geom.r0) / 2,
		      t->geom.left + (t->cur_c - t->geom.c0) * t->geom.cw);
		wnoutrefresh(g->win);
	} else {
		curs_set(0);
	}
	doupdate();
	record_frame(t->rec);
	t->dirty = 0;
}

int tui_loop(struct tui *t)
{
	int exit_sig = 0;
	t->dirty = DIRTY_ALL | DIRTY_LAYOUT | DIRTY_CLEAR;
	while (!t->quit) {
		sync_worker(t);
		side_sync(t);
		double now = monotonic_ms();
		if (t->msg[0] && now >= t->msg_until && t->msg_until > 0) {
			t->msg_until = 0;
			t->msg[0] = '\0';
			t->dirty |= DIRTY_STATUS;
		}
		if (t->dirty)
			render(t);
		int timeout = -1;
		if (t->busy)
			timeout = 250;
		if (guess_poll(t)) /* the guesses compute on their own thread: look again soon */
			timeout = timeout < 0 || timeout > 100 ? 100 : timeout;
		if (t->playing) {
			int d = (int)(t->next_tick - now) + 1;
			timeout = timeout < 0 || d < timeout ? (d < 0 ? 0 : d) : timeout;
		}
		if (t->msg_until > 0) {
			int d = (int)(t->msg_until - now) + 1;
			timeout = timeout < 0 || d < timeout ? (d < 0 ? 0 : d) : timeout;
		}
		int sw = script_wait_ms(t->script, now);
		if (sw >= 0 && !t->busy)
			timeout = timeout < 0 || sw < timeout ? sw : timeout;
		else if (sw >= 0)
			timeout = timeout < 0 || timeout > 50 ? 50 : timeout;
		struct pollfd fds[4] = {
		    {.fd = 0, .events = POLLIN},
		    {.fd = worker_fd(t->worker), .events = POLLIN},
		    {.fd = term_event_fd(), .events = POLLIN},
		    {.fd = t->cmp ? worker_fd(t->cmp->worker) : -1, .events = POLLIN},
		};
		if (poll(fds, 4, timeout) < 0 && errno != EINTR)
			break;
		int ev = term_take_events(&exit_sig);
		if (ev & TERM_EV_QUIT)
			break;
		if (ev & TERM_EV_RESIZE) {
			term_apply_size();
			t->dirty |= DIRTY_ALL | DIRTY_LAYOUT | DIRTY_CLEAR;
		}
		if (fds[1].revents & POLLIN) {
			/* a probe may have come in: what shows one repaints */
			worker_drain(t->worker);
			t->dirty |= DIRTY_GRID | DIRTY_INSPECT | DIRTY_HEADER;
		}
		if (t->cmp && (fds[3].revents & POLLIN)) {
			worker_drain(t->cmp->worker);
			t->dirty |= DIRTY_GRID | DIRTY_HEADER;
		}
		int ch;
		while (!t->quit && (ch = getch()) != ERR)
			if (tui_key(t, ch) == RES_QUIT)
				t->quit = 1;
		if (t->quit)
			break;
		sync_worker(t);
		now = monotonic_ms();
		int sk = script_next(t->script, now, !t->busy && t->pos == t->target && !t->dirty);
		if (sk >= 0 && tui_key(t, sk) == RES_QUIT)
			t->quit = 1;
		play_tick(t, now);
	}
	return exit_sig ? 128 + exit_sig : 0;
}
