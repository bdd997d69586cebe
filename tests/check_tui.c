/* check_tui.c - the TUI's parts without a terminal: the key table, the
 * history cursor, scripted keys, and the views rendered into an off-screen
 * curses screen and read back as text. */
#include "model/hrm.h"
#include "puzzles/maze.h"
#include "ui/script.h"
#include "ui/tui.h"
#include "core/util.h"

#include "test_util.h"

#include <check.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#define EXAMPLES FIXTURES_DIR "/../../puzzles/examples"
#define MODELS FIXTURES_DIR "/../../models"

START_TEST(test_keys_table)
{
	for (int i = 0; i < keys_table_len; i++) {
		const struct key_entry *a = &keys_table[i];
		ck_assert_msg(a->names[0] && a->help[0], "request %d has no key names or help", a->req);
		ck_assert_ptr_eq(keys_entry(a->req), a);
		for (int j = i + 1; j < keys_table_len; j++) {
			const struct key_entry *b = &keys_table[j];
			if (a->ctx != b->ctx)
				continue;
			for (int x = 0; x < 3; x++)
				for (int y = 0; y < 3; y++)
					ck_assert_msg(a->keys[x] == 0 || a->keys[x] != b->keys[y],
					              "'%s' and '%s' share a key in one context", a->names, b->names);
		}
	}
	ck_assert_int_eq(keys_lookup(CTX_MAIN, 'l'), REQ_STEP_L);
	ck_assert_int_eq(keys_lookup(CTX_GRID, 'l'), REQ_CELL_RIGHT);
	ck_assert_int_eq(keys_lookup(CTX_GRID, 'q'), REQ_QUIT);
	ck_assert_int_eq(keys_lookup(CTX_EDIT, '7'), REQ_EDIT_DIGIT);
	ck_assert_int_eq(keys_lookup(CTX_EDIT, KEYS_ESC), REQ_EDIT_CANCEL);
	ck_assert_int_eq(keys_lookup(CTX_MAIN, KEY_LEFT), REQ_BACK);
	ck_assert_int_eq(keys_lookup(CTX_MAIN, 'Q'), REQ_NONE);
}
END_TEST

START_TEST(test_history_cursor)
{
	struct history h;
	memset(&h, 0, sizeof h);
	history_init(&h, 4, 3, 2, 2, 2, 8);
	ck_assert_int_eq(h.K, 6);
	ck_assert_int_eq(history_max_pos(&h), 48);
	struct hist_cursor c = history_cursor(&h, 0);
	ck_assert(c.segment == 0 && c.h_cycle == 0 && c.l_step == 0 && !c.done);
	c = history_cursor(&h, 2); /* after two L-steps the H-step is next */
	ck_assert(c.segment == 0 && c.h_cycle == 0 && c.l_step == 2);
	c = history_cursor(&h, 3);
	ck_assert(c.segment == 0 && c.h_cycle == 1 && c.l_step == 0);
	c = history_cursor(&h, 6);
	ck_assert(c.segment == 1 && c.h_cycle == 0 && c.l_step == 0);
	c = history_cursor(&h, 48);
	ck_assert(c.done);
	history_free(&h);
}
END_TEST

START_TEST(test_script)
{
	char *cause = NULL;
	struct script *s = script_parse("l l s space esc ^L text:ab sleep:5 q", 0, &cause);
	ck_assert_ptr_nonnull(s);
	int want[] = {'l', 'l', 's', ' ', KEYS_ESC, KEYS_CTRL('l'), 'a', 'b'};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		ck_assert_int_eq(script_next(s, 0, true), want[i]);
	ck_assert_int_eq(script_next(s, 0, true), -1); /* the sleep starts */
	ck_assert_int_eq(script_next(s, 1, true), -1);
	ck_assert_int_eq(script_next(s, 10, false), -1); /* busy */
	ck_assert_int_eq(script_next(s, 10, true), 'q');
	ck_assert(script_done(s));
	script_free(s);
	ck_assert_ptr_null(script_parse("l bogus", 0, &cause));
	ck_assert_ptr_nonnull(strstr(cause, "bogus"));
	free(cause);
}
END_TEST

/* ---- the worker: history and exact replay ---- */

static void wait_idle(struct worker *w, int n)
{
	for (int i = 0; i < 20000; i++) {
		struct worker_status st = worker_status(w);
		worker_lock(w);
		int have = worker_history(w)->n;
		bool probed = have > 0;
		worker_unlock(w);
		if (!st.busy && probed && have >= n)
			return;
		usleep(1000);
	}
	ck_abort_msg("the worker did not finish");
}

static float *probe_of(struct worker *w, int pos)
{
	worker_want_probe(w, pos);
	for (int i = 0; i < 20000; i++) {
		worker_lock(w);
		const struct history *h = worker_history(w);
		float *p = NULL;
		if (h->pos[pos].probe) {
			p = xmalloc((size_t)h->S * h->V * sizeof *p);
			memcpy(p, h->pos[pos].probe, (size_t)h->S * h->V * sizeof *p);
		}
		worker_unlock(w);
		if (p)
			return p;
		usleep(1000);
	}
	ck_abort_msg("no probe");
	return NULL;
}

/* r pressed while the puzzle is still loading (as the TUI opens, or
 * right after n): the run goes to the end of the new puzzle, not to the
 * end of an empty history (position 0) nor to a halt of the old puzzle */
START_TEST(test_worker_run_while_loading)
{
	struct hrm_config c;
	struct hrm_model m;
	char *cause = NULL;
	hrm_config_default(&c);
	ck_assert_int_eq(hrm_config_load_yaml(MODELS "/hrm_maze_small.yaml", &c, &cause), 0);
	c.vocab_size = 6;
	c.seq_len = 121;
	c.num_puzzle_identifiers = 1;
	ck_assert_int_eq(hrm_model_alloc(&m, &c, &cause), 0);
	hrm_model_init_random(&m, 7);
	struct puzzle *pz = xmalloc(sizeof *pz);
	ck_assert_int_eq(puzzle_load_file(EXAMPLES "/maze-11.txt", pz, &cause), 0);
	source_complete_label(pz);
	int K = c.H_cycles * (c.L_cycles + 1), end = c.halt_max_steps * K;
	struct worker *w = worker_new(&m, &cause);
	ck_assert_ptr_nonnull(w);
	/* the load is only asked for: the worker has not run it yet */
	worker_load(w, pz->input, pz->seq_len, 0, pz->label);
	ck_assert_int_eq(worker_run_until_halt(w, 0, false), -1);
	wait_idle(w, end + 1);
	worker_lock(w);
	ck_assert_int_eq(worker_history(w)->n, end + 1);
	worker_unlock(w);
	/* the same puzzle again (n, p): the old history halts at `end`, but
	 * it is not this load's */
	worker_load(w, pz->input, pz->seq_len, 0, pz->label);
	ck_assert_int_eq(worker_run_until_halt(w, 0, false), -1);
	wait_idle(w, end + 1);
	worker_lock(w);
	ck_assert_int_eq(worker_history(w)->n, end + 1);
	worker_unlock(w);
	worker_free(w);
	free(pz);
	hrm_model_free(&m);
}
END_TEST

START_TEST(test_worker_replay_exact)
{
	struct hrm_config c;
	struct hrm_model m;
	char *cause = NULL;
	hrm_config_default(&c);
	ck_assert_int_eq(hrm_config_load_yaml(MODELS "/hrm_maze_small.yaml", &c, &cause), 0);
	c.vocab_size = 6;
	c.seq_len = 121;
	c.num_puzzle_identifiers = 1;
	ck_assert_int_eq(hrm_model_alloc(&m, &c, &cause), 0);
	hrm_model_init_random(&m, 7);
	struct puzzle *pz = xmalloc(sizeof *pz);
	ck_assert_int_eq(puzzle_load_file(EXAMPLES "/maze-11.txt", pz, &cause), 0);
	source_complete_label(pz);
	int K = c.H_cycles * (c.L_cycles + 1), at = K + 2;

	/* A: the probe while position `at` is the live state */
	struct worker *a = worker_new(&m, &cause), *b = worker_new(&m, &cause);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	worker_load(a, pz->input, pz->seq_len, 0, pz->label);
	worker_compute_to(a, at);
	wait_idle(a, at + 1);
	float *live = probe_of(a, at);
	/* B: run on, then ask for the probe at `at`: replayed from the
	 * segment's checkpoint */
	worker_load(b, pz->input, pz->seq_len, 0, pz->label);
	worker_compute_to(b, 3 * K);
	wait_idle(b, 3 * K + 1);
	float *replayed = probe_of(b, at);
	size_t sv = (size_t)pz->seq_len * c.vocab_size;
	ck_assert_int_eq(memcmp(live, replayed, sv * sizeof *live), 0);
	/* the history is the same step by step, and segment ends carry the heads */
	worker_lock(a);
	worker_lock(b);
	const struct history *ha = worker_history(a), *hb = worker_history(b);
	for (int p = 0; p <= at; p++) {
		ck_assert_int_eq(ha->pos[p].kind, hb->pos[p].kind);
		ck_assert(ha->pos[p].res[0] == hb->pos[p].res[0]);
		ck_assert_int_eq(memcmp(ha->pos[p].logits_zH, hb->pos[p].logits_zH, sv * sizeof(float)), 0);
	}
	ck_assert(hb->pos[K].seg_end && hb->pos[K].scored == pz->seq_len);
	ck_assert(hb->pos[1].kind == HIST_L && hb->pos[3].kind == HIST_H && !hb->pos[3].seg_end);
	worker_unlock(b);
	worker_unlock(a);
	/* run until halting under max-steps stops at M segments */
	ck_assert_int_eq(worker_run_until_halt(b, 0, false), -1);
	wait_idle(b, c.halt_max_steps * K + 1);
	ck_assert_int_eq(worker_status(b).target, c.halt_max_steps * K);
	free(live);
	free(replayed);
	worker_free(a);
	worker_free(b);
	free(pz);
	hrm_model_free(&m);
}
END_TEST

/* ---- views on an off-screen screen ---- */

static SCREEN *scr;
static struct hrm_model model;
static struct tui t;
static struct history hist;

static void add_positions(int upto)
{
	int S = hist.S, V = hist.V, d = hist.d;
	float *lz = xcalloc((size_t)S * V, sizeof *lz), *pool = xcalloc((size_t)d, sizeof *pool);
	for (int p = hist.n; p <= upto; p++) {
		struct hist_pos hp = {0};
		struct hist_cursor c = history_cursor(&hist, p - 1);
		if (p > 0) {
			hp.kind = c.l_step < hist.Lc ? HIST_L : HIST_H;
			hp.segment = c.segment;
			hp.h_cycle = c.h_cycle;
			hp.l_step = hp.kind == HIST_L ? c.l_step : -1;
			hp.seg_end = hp.kind == HIST_H && c.h_cycle == hist.Hc - 1;
		}
		for (int k = 0; k < 3; k++)
			hp.res[k] = 10.0 / (1 + p);
		/* the answer: the label's path appears at segment 2 */
		for (int cell = 0; cell < S; cell++) {
			int tok = p >= 12 ? t.puz.label[cell] : t.puz.input[cell];
			for (int v = 0; v < V; v++)
				lz[cell * V + v] = v == tok ? 5.0f : 0.0f;
		}
		pool[0] = (float)p;
		pool[1] = (float)(p * p % 7);
		hp.logits_zH = hp.logits_zL = lz;
		hp.pool_zH = hp.pool_zL = pool;
		hp.q_halt = -1.0f;
		hp.q_continue = 1.0f;
		hp.halt_max = hp.seg_end && c.segment + 1 >= hist.M;
		hp.halt_adaptive = hp.halt_max;
		/* the segment readouts: far from a fixed point */
		hp.seg_rel[0] = hp.seg_rel[1] = hp.seg_end ? 10.0 / (1 + p) : 0.0;
		hp.answer_changed = hp.seg_end && (c.segment == 0 || p == 12);
		history_append(&hist, &hp);
	}
	free(lz);
	free(pool);
	t.hist_n = hist.n;
}

static void setup_screen(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	scr = newterm("xterm-256color", out, in);
	ck_assert_ptr_nonnull(scr);
	set_term(scr);
	resizeterm(40, 100);
	colors_init(true);

	struct hrm_config c;
	char *cause = NULL;
	hrm_config_default(&c);
	ck_assert_int_eq(hrm_config_load_yaml(MODELS "/hrm_maze_small.yaml", &c, &cause), 0);
	c.vocab_size = 6;
	c.seq_len = 121;
	c.num_puzzle_identifiers = 1;
	ck_assert_int_eq(hrm_model_alloc(&model, &c, &cause), 0);
	snprintf(model.name, sizeof model.name, "testmodel");

	memset(&t, 0, sizeof t);
	t.model = &model;
	ck_assert_int_eq(puzzle_load_file(EXAMPLES "/maze-11.txt", &t.puz, &cause), 0);
	source_complete_label(&t.puz);
	ck_assert(t.puz.has_label);
	source_open_fresh(&t.src, &t.puz);
	t.pops = puzzle_ops_for(t.puz.kind);
	t.utf8 = true;
	t.g = glyphs_get(true);
	t.grid_mode = GRID_PRED;
	t.log_scale = true;
	memset(&hist, 0, sizeof hist);
	history_init(&hist, 121, 6, c.hidden_size, c.L_cycles, c.H_cycles, c.halt_max_steps);
	t.hist = &hist;
	add_positions(0);
}

static void teardown_screen(void)
{
	for (int i = 0; i < V_COUNT; i++)
		if (t.views[i].win)
			delwin(t.views[i].win);
	endwin();
	delscreen(scr);
	history_free(&hist);
	hrm_model_free(&model);
}

static void draw_all(void)
{
	layout_apply(&t);
	for (int i = 0; i < V_COUNT; i++)
		if (t.views[i].shown)
			t.views[i].ops->draw(&t.views[i], &t);
}

/* Row y of a view as UTF-8 text. */
static const char *row(enum view_id id, int y)
{
	static char buf[1024];
	wchar_t w[512];
	WINDOW *win = t.views[id].win;
	ck_assert_ptr_nonnull(win);
	int n = mvwinnwstr(win, y, 0, w, 511);
	buf[0] = '\0';
	if (n == ERR)
		return buf;
	w[n < 0 ? 0 : n] = 0;
	wcstombs(buf, w, sizeof buf);
	return buf;
}

static bool rows_have(enum view_id id, int from, int to, const char *text)
{
	for (int y = from; y <= to && y < t.views[id].h; y++)
		if (strstr(row(id, y), text))
			return true;
	return false;
}

static bool view_has(enum view_id id, const char *text)
{
	for (int y = 0; y < t.views[id].h; y++)
		if (strstr(row(id, y), text))
			return true;
	return false;
}

START_TEST(test_view_start)
{
	t.pos = 0;
	draw_all();
	ck_assert(!t.too_small);
	ck_assert_msg(strstr(row(V_HEADER, 0), "maze-11.txt") && strstr(row(V_HEADER, 0), "testmodel"), "%s",
	              row(V_HEADER, 0));
	ck_assert_msg(strstr(row(V_HEADER, 1), "segment 1/8 \xc2\xb7 H 1/2 \xc2\xb7 L 1/2"), "%s", row(V_HEADER, 1));
	ck_assert(view_has(V_LCHART, "no L-step yet"));
	ck_assert(view_has(V_HALT, "no segment finished yet"));
	/* the grid: the maze's outer wall as blocks, S and G */
	ck_assert_msg(strstr(row(V_GRID, 1), "\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88"), "%s", row(V_GRID, 1));
	ck_assert(view_has(V_GRID, "S") && view_has(V_GRID, "G"));
	ck_assert(view_has(V_STATUS, "L-step"));
	/* a click on a cell puts the inspector's cursor there */
	struct view *g = &t.views[V_GRID];
	int pos = -1;
	ck_assert_int_eq(g->ops->click(g, &t, t.geom.top + 2, t.geom.left + 3 * t.geom.cw, &pos), RES_HANDLED);
	ck_assert_int_eq(t.cur_r, 2);
	ck_assert_int_eq(t.cur_c, 3);
	ck_assert_int_eq(t.focus, FOCUS_GRID);
}
END_TEST

START_TEST(test_view_after_segments)
{
	add_positions(12);
	t.pos = 12;
	draw_all();
	ck_assert_msg(strstr(row(V_HEADER, 1), "segment 3/8"), "%s", row(V_HEADER, 1));
	ck_assert(view_has(V_LCHART, "8 bars"));
	ck_assert(view_has(V_HCHART, "4 bars"));
	/* the halting panel: segments 1 and 2 */
	ck_assert(view_has(V_HALT, "  1  -1.00"));
	ck_assert(view_has(V_HALT, "  2  -1.00"));
	/* the answer is the label's path now: path cells shown as 'o' */
	ck_assert(rows_have(V_GRID, 1, 11, "o"));
	ck_assert(view_has(V_PR, "N=4"));
	/* scrubbing back: the cursor line and the prediction follow */
	t.pos = 5;
	draw_all();
	ck_assert_msg(strstr(row(V_HEADER, 1), "segment 1/8 \xc2\xb7 H 2/2 \xc2\xb7 H-step next"), "%s",
	              row(V_HEADER, 1));
	ck_assert(!rows_have(V_GRID, 1, 11, "o"));
	ck_assert(rows_have(V_GRID, 1, 11, "\xc2\xb7")); /* the path it misses */
	/* a click on a chart bar asks the loop to go to its step */
	int col = -1;
	for (int x = 0; x < 512 && col < 0; x++)
		if (t.chart_pos[0][x] == 4)
			col = x;
	ck_assert_int_ge(col, 0);
	int pos = -1;
	ck_assert_int_eq(t.views[V_LCHART].ops->click(&t.views[V_LCHART], &t, 3, col, &pos), RES_GOTO);
	ck_assert_int_eq(pos, 4);
}
END_TEST

/* At 80x24 (the smallest screen) nothing is cut mid-word: the header line
 * drops the halting rule before it would be cut, and a teaching caption
 * wraps over two lines. */
START_TEST(test_view_narrow_texts)
{
	resizeterm(24, 80);
	add_positions(12);
	t.pos = 6; /* the end of segment 1: the longest caption */
	t.ws.ms_L = 2;
	t.ws.ms_H = 2;
	draw_all();
	const char *h = row(V_HEADER, 1);
	ck_assert_msg(strstr(h, "step 6/48") != NULL, "%s", h);
	ck_assert_msg(strstr(h, "\xc2\xb7 hal") == NULL || strstr(h, "halting: max-steps") != NULL, "%s", h);
	t.teaching = true;
	t.playing = true;
	draw_all();
	ck_assert_int_eq(t.views[V_CAPTION].h, 2);
	char both[1100];
	snprintf(both, sizeof both, "%s", row(V_CAPTION, 0));
	size_t n = strlen(both);
	while (n > 0 && both[n - 1] == ' ')
		both[--n] = '\0';
	snprintf(both + n, sizeof both - n, " %s", row(V_CAPTION, 1));
	ck_assert_msg(strstr(both, "H update") != NULL &&
	              strstr(both, "the model wants to keep thinking.") != NULL, "%s", both);
	h = row(V_HEADER, 1);
	ck_assert_msg(strstr(h, "teaching") != NULL, "%s", h);
	t.teaching = t.playing = false;
}
END_TEST

/* Teaching captions speak each paper's language: HRM's L-module and plan,
 * TRM's latent z and answer y (never the other's words). */
START_TEST(test_caption_words)
{
	add_positions(12);
	char buf[512];
	for (int arch = 0; arch < 2; arch++) {
		model.cfg.arch = arch ? HRM_ARCH_TRM : HRM_ARCH_HRM;
		bool seen_L = false, seen_H = false;
		for (int p = 0; p <= 12; p++)
			for (int form = 0; form < CAPTION_FORMS; form++) {
				t.pos = p;
				caption_text(&t, buf, sizeof buf, form);
				if (arch) {
					ck_assert_msg(!strstr(buf, "L-module") && !strstr(buf, "plan") &&
					              !strstr(buf, "H update") && !strstr(buf, "z_H and"),
					              "TRM, position %d: %s", p, buf);
					seen_L |= strstr(buf, "Latent z") != NULL;
					seen_H |= strstr(buf, "Answer update") != NULL;
					if (p == 0)
						ck_assert_msg(strstr(buf, "y (z_H) and z (z_L)") != NULL, "%s", buf);
				} else {
					ck_assert_msg(!strstr(buf, "Latent z") && !strstr(buf, "Answer update"),
					              "HRM, position %d: %s", p, buf);
					seen_L |= strstr(buf, "L-module") != NULL;
					seen_H |= strstr(buf, "H update") != NULL;
				}
			}
		ck_assert_msg(seen_L && seen_H, "arch %d: L %d H %d", arch, seen_L, seen_H);
	}
	model.cfg.arch = HRM_ARCH_HRM;
}
END_TEST

START_TEST(test_view_too_small_and_modes)
{
	resizeterm(20, 60);
	layout_apply(&t);
	ck_assert(t.too_small);
	resizeterm(24, 80);
	add_positions(6);
	t.pos = 6;
	for (int m = 0; m < GRID_MODES; m++) {
		t.grid_mode = (enum grid_mode)m;
		draw_all();
		ck_assert(!t.too_small);
		/* the full name, or the short one where the full one does not fit */
		char head[12];
		snprintf(head, sizeof head, "%s", tui_grid_mode_name(&t, t.grid_mode));
		ck_assert_msg(rows_have(V_GRID, 0, 0, head) || rows_have(V_GRID, 0, 0, tui_grid_mode_short(&t, t.grid_mode)),
		              "mode %d: %s", m, row(V_GRID, 0));
	}
	/* the probe is not computed in this history: the grid says so */
	t.grid_mode = GRID_PROBE;
	draw_all();
	ck_assert(view_has(V_GRID, "computing the probe"));
	/* monochrome: the same screen without colour pairs */
	colors_init(false);
	t.grid_mode = GRID_DIFF;
	draw_all();
	ck_assert(view_has(V_GRID, "differs from the label"));
}
END_TEST

/* The heat modes on a history whose answer turns from the input into the
 * label at position 12: the cells that differ are the only ones that
 * changed, at step 12 and never before or after. */
START_TEST(test_view_heat_modes)
{
	add_positions(14);
	struct grid_cell cells[PUZZLE_MAX_CELLS];
	const char *why = NULL;
	int S = t.puz.seq_len, differ = 0;
	for (int c = 0; c < S; c++)
		differ += t.puz.label[c] != t.puz.input[c];
	ck_assert_int_gt(differ, 0);
	t.pos = 0;
	ck_assert(!grid_cells_in(&t, GRID_HEAT_STEP, cells, &why));
	ck_assert_str_eq(why, "no step yet: l, h or s runs one");
	for (int p = 11; p <= 13; p++) {
		t.pos = p;
		ck_assert(grid_cells_in(&t, GRID_HEAT_LAST, cells, &why));
		for (int c = 0; c < S; c++) /* step 12 is in the last quarter of 1..12 and 1..13 */
			ck_assert_int_eq(cells[c].shade, p >= 12 && t.puz.label[c] != t.puz.input[c] ? 4 : 0);
		ck_assert(grid_cells_in(&t, GRID_HEAT_STEP, cells, &why));
		for (int c = 0; c < S; c++) /* only step 12 moved anything: the largest change */
			ck_assert_int_eq(cells[c].shade, p == 12 && t.puz.label[c] != t.puz.input[c] ? 4 : 0);
	}
	/* the legends say the scale: steps 1..13 in quarters, the largest change */
	t.grid_mode = GRID_HEAT_LAST;
	draw_all();
	ck_assert(rows_have(V_GRID, 0, 0, "last change"));
	ck_assert(view_has(V_GRID, "answer last changed:") && view_has(V_GRID, "never") && view_has(V_GRID, "11-13"));
	t.pos = 12;
	t.grid_mode = GRID_HEAT_STEP;
	draw_all();
	ck_assert(view_has(V_GRID, "|d logits(z_H)| 0..7.1:")); /* unchanged cells, sqrt(5^2 + 5^2) */
	/* monochrome: the shades as glyphs, a full block for each changed cell */
	colors_init(false);
	draw_all();
	int blocks = 0;
	for (int y = 1; y <= 11; y++)
		for (const char *r = row(V_GRID, y); (r = strstr(r, "\xe2\x96\x88")) != NULL; r += 3)
			blocks++;
	ck_assert_int_eq(blocks, differ); /* one glyph per cell (an open cell is not solid) */
}
END_TEST

/* A big screen: cells of 4x2 characters, the input beside the answer, and
 * a click on either grid lands on the cell under it (a sudoku's box lines
 * on none). */
START_TEST(test_view_big_grid)
{
	resizeterm(50, 160);
	t.pos = 0;
	draw_all();
	struct grid_geom *g = &t.geom;
	ck_assert_int_eq(g->ch, 2);
	ck_assert_int_eq(g->cw, 4);
	ck_assert_int_gt(g->left2, 11 * 4);
	ck_assert_int_ge(t.views[V_GRID].w, g->left2 + 11 * 4);
	ck_assert_int_le(t.views[V_GRID].w, 160 - 62);
	ck_assert_msg(strstr(row(V_GRID, 0), "Maze 11x11 \xc2\xb7 input"), "%s", row(V_GRID, 0));
	/* the outer wall: 44 characters on each grid, two rows a cell row */
	for (int y = 1; y <= 2 * 11; y += 2 * 11 - 1) {
		int blocks = 0;
		for (const char *p = row(V_GRID, y); (p = strstr(p, "\xe2\x96\x88")) != NULL; p += 3)
			blocks++;
		ck_assert_msg(blocks == 2 * 44, "row %d: %d blocks: %s", y, blocks, row(V_GRID, y));
	}
	struct view *v = &t.views[V_GRID];
	int pos = -1;
	/* the second row and last column of cell (2, 3) on the right grid */
	ck_assert_int_eq(v->ops->click(v, &t, g->top + 2 * 2 + 1, g->left2 + 3 * 4 + 3, &pos), RES_HANDLED);
	ck_assert_int_eq(t.cur_r, 2);
	ck_assert_int_eq(t.cur_c, 3);
	ck_assert_int_eq(v->ops->click(v, &t, g->top + 4 * 2, 5 * 4, &pos), RES_HANDLED);
	ck_assert_int_eq(t.cur_r, 4);
	ck_assert_int_eq(t.cur_c, 5);

	/* a sudoku: 9 cells of 4 and two box lines of 2 across, after a blank column */
	char *cause = NULL;
	ck_assert_int_eq(puzzle_load_file(EXAMPLES "/sudoku-hard.txt", &t.puz, &cause), 0);
	t.pops = puzzle_ops_for(t.puz.kind);
	int need_w, h = grid_plan(&t, 47, 96, 160, g, &need_w);
	ck_assert(g->sudoku);
	ck_assert_int_eq(g->ch, 2);
	ck_assert_int_eq(h, 9 * 2 + 2 + 3);
	ck_assert_int_eq(g->left2, 9 * 4 + 5 + 2);
	ck_assert_int_eq(need_w, 2 * (9 * 4 + 5) + 2);
	/* cell (4, 7): one box line above it, two before it */
	int y = g->top + 4 * 2 + 1 + 1, x = g->left2 + 1 + 7 * 4 + 2 * 2 + 3;
	ck_assert_int_eq(v->ops->click(v, &t, y, x, &pos), RES_HANDLED);
	ck_assert_int_eq(t.cur_r, 4);
	ck_assert_int_eq(t.cur_c, 7);
	ck_assert_int_eq(v->ops->click(v, &t, g->top + 3 * 2, x, &pos), RES_NONE);
	ck_assert_int_eq(v->ops->click(v, &t, y, 1 + 3 * 4, &pos), RES_NONE);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("tui");
	TCase *tc = tcase_create("parts");
	tcase_add_test(tc, test_keys_table);
	tcase_add_test(tc, test_history_cursor);
	tcase_add_test(tc, test_script);
	tcase_add_test(tc, test_worker_replay_exact);
	tcase_add_test(tc, test_worker_run_while_loading);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	TCase *views = tcase_create("views");
	tcase_add_checked_fixture(views, setup_screen, teardown_screen);
	tcase_add_test(views, test_caption_words);
	tcase_add_test(views, test_view_start);
	tcase_add_test(views, test_view_after_segments);
	tcase_add_test(views, test_view_too_small_and_modes);
	tcase_add_test(views, test_view_narrow_texts);
	tcase_add_test(views, test_view_big_grid);
	tcase_add_test(views, test_view_heat_modes);
	suite_add_tcase(s, views);
	return s;
}

int main(void)
{
	return test_main(suite(), "check_tui");
}
