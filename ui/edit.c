/* edit.c - the puzzle editor (e): move S or G, toggle walls, change a
 * sudoku digit or an ARC colour, then Enter re-runs the model on it. */
#include "ui/tui.h"
#include "ui/app.h"
#include "ui/edit.h"
#include "puzzles/maze.h"
#include "puzzles/sudoku.h"

#include <string.h>

void edit_begin(struct tui *t)
{
	t->saved = t->puz;
	t->focus = FOCUS_EDIT;
	t->playing = false;
	t->grid_mode = GRID_INPUT;
	if (t->cur_r >= t->puz.side || t->cur_c >= t->puz.side)
		t->cur_r = t->cur_c = 0;
	app_message(t, false, "editing: move with the arrows or hjkl, Enter re-runs, Esc drops the edits");
	t->dirty |= DIRTY_ALL | DIRTY_LAYOUT;
}

static void edited(struct tui *t)
{
	t->puz.has_label = false;
	t->dirty |= DIRTY_GRID | DIRTY_INSPECT | DIRTY_HEADER;
}

static int edit_maze(struct tui *t, enum request r, int cell)
{
	int32_t *in = t->puz.input;
	if (r == REQ_EDIT_WALL) {
		if (in[cell] == MAZE_START || in[cell] == MAZE_GOAL) {
			app_message(t, true, "move S or G away first (S, G)");
			return RES_HANDLED;
		}
		in[cell] = in[cell] == MAZE_WALL ? MAZE_OPEN : MAZE_WALL;
	} else if (r == REQ_EDIT_START || r == REQ_EDIT_GOAL) {
		int32_t tok = r == REQ_EDIT_START ? MAZE_START : MAZE_GOAL,
		        other = tok == MAZE_START ? MAZE_GOAL : MAZE_START;
		if (in[cell] == other) {
			app_message(t, true, "S and G cannot share a cell");
			return RES_HANDLED;
		}
		for (int c = 0; c < t->puz.seq_len; c++)
			if (in[c] == tok)
				in[c] = MAZE_OPEN;
		in[cell] = tok;
	} else {
		app_message(t, true, "a maze takes space/# (wall), S and G");
		return RES_HANDLED;
	}
	edited(t);
	return RES_HANDLED;
}

int edit_key(struct tui *t, enum request r, int ch)
{
	int cell = t->cur_r * t->puz.side + t->cur_c;
	int32_t *in = t->puz.input;
	switch (t->puz.kind) {
	case PUZZLE_MAZE:
		return edit_maze(t, r, cell);
	case PUZZLE_SUDOKU:
		if (r != REQ_EDIT_DIGIT) {
			app_message(t, true, "a sudoku takes digits 1-9, and 0 or . to clear");
			return RES_HANDLED;
		}
		in[cell] = ch >= '1' && ch <= '9' ? (int32_t)(ch - '0' + 1) : SUDOKU_BLANK;
		edited(t);
		return RES_HANDLED;
	case PUZZLE_ARC:
		if (r != REQ_EDIT_DIGIT || ch < '0' || ch > '9') {
			app_message(t, true, "an ARC grid takes colours 0-9");
			return RES_HANDLED;
		}
		if (in[cell] < 2) {
			app_message(t, true, "that cell is outside the input grid");
			return RES_HANDLED;
		}
		in[cell] = (int32_t)(ch - '0' + 2);
		edited(t);
		return RES_HANDLED;
	}
	return RES_NONE;
}

void edit_finish(struct tui *t, bool apply)
{
	if (!apply) {
		t->puz = t->saved;
		t->focus = FOCUS_MAIN;
		t->grid_mode = GRID_PRED;
		app_message(t, false, "edits dropped");
		t->dirty |= DIRTY_ALL | DIRTY_LAYOUT;
		return;
	}
	if (memcmp(t->puz.input, t->saved.input, (size_t)t->puz.seq_len * sizeof t->puz.input[0]) == 0) {
		t->puz = t->saved;
	} else if (t->puz.kind == PUZZLE_SUDOKU) {
		uint8_t digits[SUDOKU_CELLS];
		int a, b;
		sudoku_to_digits(t->puz.input, digits);
		if (sudoku_conflict(digits, &a, &b) == 0) {
			app_message(t, true, "row %d col %d and row %d col %d hold the same digit: fix it or Esc",
			            a / 9 + 1, a % 9 + 1, b / 9 + 1, b % 9 + 1);
			return;
		}
	}
	if (!t->puz.has_label)
		source_complete_label(&t->puz);
	size_t n = strlen(t->puz.name), sl = strlen(" (edited)");
	if (n < sl || strcmp(t->puz.name + n - sl, " (edited)") != 0)
		snprintf(t->puz.name + n, sizeof t->puz.name - n, " (edited)");
	t->focus = FOCUS_MAIN;
	t->grid_mode = GRID_PRED;
	app_restart(t);
	app_run(t);
	if (!t->puz.has_label)
		app_message(t, false, "no label for the edited puzzle%s",
		            t->puz.kind == PUZZLE_MAZE ? ": G cannot be reached" : "");
}
