/* check_cli.c - the puzzle commands end to end: gen, run, trace, eval, pr.
 *
 * The hrmscope binary runs on the tiny fixture model
 * (tests/fixtures/models/tiny_maze) and on a variant of it with a random
 * Q head and livelier weights (made before the tests, so that halting and the
 * answers vary between segments); every number it prints is checked
 * against what the engine API computes here, one puzzle at a time. */
#include "config.h"
#include "io/dataset.h"
#include "model/engine.h"
#include "model/hrm.h"
#include "io/checkpoint.h"
#include "puzzles/maze.h"
#include "io/npy.h"
#include "puzzles/puzzle.h"
#include "core/rng.h"
#include "puzzles/sudoku.h"
#include "core/util.h"

#include "test_util.h"

#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MODEL FIXTURES_DIR "/models/tiny_maze"

/* the varied model, made before the tests (make_varied) */
static char *varied;

/* ---- reading the output ---- */

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* The text after "key" on its line, or NULL. */
static const char *after(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	return p ? p + strlen(key) : NULL;
}

/* ---- the reference: the engine API, one puzzle at a time ---- */

struct ref {
	int n;
	float qh[16], qc[16];
	int32_t pred[16][PUZZLE_MAX_CELLS];
};

static void load_model(const char *dir, struct hrm_model *m)
{
	char *cause = NULL;
	ck_assert_msg(hrm_model_load(m, dir, &cause) == 0, "%s", cause);
}

static void ref_run(const struct hrm_model *m, const int32_t *in, int S, int32_t pid, int M, struct ref *r)
{
	char *cause = NULL;
	struct hrm_engine *e = hrm_engine_new(m, 1, S, &cause);
	ck_assert_msg(e != NULL, "%s", cause);
	ck_assert_msg(hrm_engine_set_inputs(e, in, &pid, &cause) == 0, "%s", cause);
	hrm_engine_reset(e, -1);
	ck_assert_int_le(M, 16);
	for (int s = 0; s < M; s++) {
		hrm_engine_step(e, HRM_GRAIN_SEGMENT);
		r->qh[s] = hrm_engine_q(e)[0];
		r->qc[s] = hrm_engine_q(e)[1];
		memcpy(r->pred[s], hrm_engine_pred(e), (size_t)S * sizeof(int32_t));
	}
	r->n = M;
	hrm_engine_free(e);
}

static int right_cells(const int32_t *pred, const int32_t *label, int S, int *scored)
{
	int n = 0;
	*scored = 0;
	for (int i = 0; i < S; i++)
		if (label[i] != 0) {
			(*scored)++;
			n += pred[i] == label[i];
		}
	return n;
}

static void write_maze(const char *path, uint64_t seed, int side, int min_path, struct puzzle *p)
{
	struct hrm_rng rng;
	struct maze_gen_opts o = { .side = side, .min_path = min_path };
	char *cause = NULL;
	hrm_rng_seed(&rng, seed);
	ck_assert_msg(maze_generate(&rng, &o, p, &cause) == 0, "%s", cause);
	char *text = maze_format(p, p->input);
	ck_assert(write_file_atomic(path, text, strlen(text), &cause) == 0);
	free(text);
}

/* ---- run ---- */

/* What a run showed, so that the tests can make sure they saw variety. */
struct seen {
	int used, first_exact, stable;
};

/* Checks `hrmscope run` on a 5x5 maze file (maze_generate with this seed and
 * min_path, as puzzlegen makes it) against the engine, with M segments or
 * adaptive halting. */
static struct seen check_run_maze(const char *model, uint64_t seed, int min_path, const char *extra, int M,
				  bool adaptive)
{
	struct puzzle p;
	char name[64];
	snprintf(name, sizeof name, "maze%llu.txt", (unsigned long long)seed);
	char *path = test_path(name);
	write_maze(path, seed, 5, min_path, &p); /* p.label: the generator's = the solver's label rule */
	struct hrm_model m;
	load_model(model, &m);
	struct ref *r = xmalloc(sizeof *r);
	ref_run(&m, p.input, 25, 0, M, r);
	struct test_output res = test_hrmscope("run --model '%s' --puzzle '%s' --no-grid %s", model, path, extra);
	ck_assert_msg(res.rc == 0, "run failed: %s", res.err);

	int used = M;
	if (adaptive)
		for (int s = 0; s < M; s++)
			if (r->qh[s] > r->qc[s]) {
				used = s + 1;
				break;
			}
	const char *u = after(res.out, "segments used: ");
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(atoi(u), used);

	const char *line = strstr(res.out, "segment    q_halt");
	ck_assert_ptr_nonnull(line);
	/* the column is what the Q head says, not whether the run halted */
	ck_assert_ptr_nonnull(strstr(line, "q_continue  q says halt  changed"));
	line = strchr(line, '\n') + 1;
	int first_valid = -1, first_exact = -1, stable = 0;
	for (int s = 0; s < used; s++) {
		int seg, changed;
		float qh, qc;
		char halt[8], acc[16], ex[8], val[8];
		ck_assert_int_eq(sscanf(line, "%d %f %f %7s %d %15s %7s %7s", &seg, &qh, &qc, halt, &changed, acc, ex, val),
				 8);
		const int32_t *pr = r->pred[s], *prev = s ? r->pred[s - 1] : p.input;
		int ch = 0, scored;
		for (int i = 0; i < 25; i++)
			ch += pr[i] != prev[i];
		int right = right_cells(pr, p.label, 25, &scored);
		struct maze_check mc;
		maze_check_answer(&p, pr, NULL, &mc);
		ck_assert_int_eq(seg, s + 1);
		ck_assert_msg(fabs(qh - r->qh[s]) < 1e-4 && fabs(qc - r->qc[s]) < 1e-4, "segment %d: q %f %f vs %f %f",
			      s + 1, qh, qc, r->qh[s], r->qc[s]);
		ck_assert_str_eq(halt, r->qh[s] > r->qc[s] ? "yes" : "no");
		ck_assert_int_eq(changed, ch);
		ck_assert_msg(fabs(atof(acc) - (double)right / scored) < 1e-4, "segment %d: acc %s", s + 1, acc);
		ck_assert_str_eq(ex, right == scored ? "yes" : "no");
		ck_assert_str_eq(val, mc.shortest ? "yes" : "no");
		if (first_valid < 0 && mc.shortest)
			first_valid = s + 1;
		if (first_exact < 0 && right == scored)
			first_exact = s + 1;
		if (ch > 0 && s > 0)
			stable = s;
		line = strchr(line, '\n') + 1;
	}
	const char *a = after(res.out, "answer stopped changing: segment ");
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(atoi(a), stable + 1);
	char want[64];
	snprintf(want, sizeof want, first_valid > 0 ? "first valid: segment %d\n" : "first valid: never\n", first_valid);
	ck_assert_msg(strstr(res.out, want) != NULL, "missing '%s' in\n%s", want, res.out);
	snprintf(want, sizeof want, first_exact > 0 ? "first exact: segment %d\n" : "first exact: never\n", first_exact);
	ck_assert_msg(strstr(res.out, want) != NULL, "missing '%s' in\n%s", want, res.out);
	int scored, right = right_cells(r->pred[used - 1], p.label, 25, &scored);
	snprintf(want, sizeof want, "exact: %s (%d of %d labelled cells wrong)", right == scored ? "yes" : "no",
		 scored - right, scored);
	ck_assert_msg(strstr(res.out, want) != NULL, "missing '%s' in\n%s", want, res.out);
	test_output_free(&res);
	free(r);
	hrm_model_free(&m);
	free(path);
	return (struct seen){ used, first_exact, stable + 1 };
}

START_TEST(test_run_fixture)
{
	for (uint64_t seed = 1; seed <= 3; seed++)
		check_run_maze(MODEL, seed, 2, "", 4, false);
	/* a maze the fixture model gets right at once */
	struct seen s = check_run_maze(MODEL, 4, 1, "", 4, false);
	ck_assert_int_eq(s.first_exact, 1);
}
END_TEST

START_TEST(test_run_varied)
{
	int later_exact = 0, later_halt = 0, halt_at_1 = 0, late_stable = 0;
	static const int seeds[][2] = { { 1, 2 }, { 3, 2 }, { 5, 2 }, { 18, 2 }, { 4, 1 }, { 6, 2 } };
	for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
		struct seen s = check_run_maze(varied, (uint64_t)seeds[i][0], seeds[i][1], "", 4, false);
		later_exact += s.first_exact > 1;
		late_stable += s.stable > 1;
		s = check_run_maze(varied, (uint64_t)seeds[i][0], seeds[i][1], "--adaptive", 4, true);
		later_halt += s.used > 1;
		halt_at_1 += s.used == 1;
	}
	/* the cases above cover answers that settle late, exact answers after
	 * segment 1, and adaptive halting both at once and later */
	ck_assert_int_gt(later_exact, 0);
	ck_assert_int_gt(late_stable, 0);
	ck_assert_int_gt(later_halt, 0);
	ck_assert_int_gt(halt_at_1, 0);
}
END_TEST

/* --max-steps beyond halt_max_steps keeps stepping */
START_TEST(test_run_past_max_steps)
{
	check_run_maze(varied, 5, 2, "--max-steps 7", 7, false);
	check_run_maze(varied, 19, 2, "--max-steps 9 --adaptive", 9, true);
	char *path = test_path("maze5.txt");
	struct test_output r = test_hrmscope("run --model '%s' --puzzle '%s' --max-steps 7 --no-grid", varied, path);
	free(path);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "past the model's halt_max_steps"));
	test_output_free(&r);
}
END_TEST

/* DIR:SPLIT:INDEX, with the grids: the wrong panel marks exactly the cells
 * that differ from the label */
START_TEST(test_run_dataset)
{
	char *dir = test_path("run_ds");
	struct test_output g = test_hrmscope("gen maze --size 5 --count 3 --test-count 4 --seed 11 -o '%s'", dir);
	ck_assert_msg(g.rc == 0, "%s", g.err);
	test_output_free(&g);
	struct dataset_split s;
	char *cause = NULL;
	ck_assert_msg(dataset_read_split(dir, "test", &s, &cause) == 0, "%s", cause);
	struct dataset_example ex;
	ck_assert(dataset_get_example(&s, 2, &ex) == 0);
	struct hrm_model m;
	load_model(varied, &m);
	struct ref *r = xmalloc(sizeof *r);
	ref_run(&m, ex.inputs, 25, ex.puzzle_identifier, 4, r);
	struct test_output res = test_hrmscope("run --model '%s' --puzzle '%s:test:2'", varied, dir);
	ck_assert_msg(res.rc == 0, "%s", res.err);
	ck_assert_ptr_nonnull(strstr(res.out, "label known"));
	const char *grid = strstr(res.out, "\ninput ");
	ck_assert_ptr_nonnull(grid);
	grid = strchr(grid + 1, '\n') + 1;
	int wrong_ref = 0, wrong_out = 0;
	for (int row = 0; row < 5; row++) {
		const char *l = grid;
		grid = strchr(grid, '\n') + 1;
		/* panels: input, answer, label, wrong; each 12 wide plus 2 */
		for (int c = 0; c < 5; c++) {
			int i = row * 5 + c;
			char ans = l[14 + c], mark = l[42 + c];
			static const char chars[] = "?# SGo";
			ck_assert_int_eq(ans, chars[r->pred[3][i]]);
			wrong_out += mark == 'X';
			wrong_ref += r->pred[3][i] != ex.labels[i];
		}
	}
	ck_assert_int_eq(wrong_out, wrong_ref);
	test_output_free(&res);
	free(r);
	hrm_model_free(&m);
	dataset_split_free(&s);
	free(dir);
}
END_TEST

/* DIR alone: split test, else train when the folder has none (as the TUI);
 * an index without its split is refused with the spec to write */
START_TEST(test_run_default_split)
{
	char *dir = test_path("train_only");
	struct test_output g = test_hrmscope("gen maze --size 5 --count 3 --test-count 0 --seed 11 -o '%s'", dir);
	ck_assert_msg(g.rc == 0, "%s", g.err);
	test_output_free(&g);
	struct test_output r = test_hrmscope("run --model '%s' --puzzle '%s' --no-grid", MODEL, dir);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_msg(strstr(r.out, "train_only/train example 0") != NULL, "%s", r.out);
	test_output_free(&r);
	r = test_hrmscope("run --model '%s' --puzzle '%s:2' --no-grid", MODEL, dir);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_msg(strstr(r.err, "give the split before the index") != NULL && strstr(r.err, "train_only:test:2)"),
		      "%s", r.err);
	test_output_free(&r);
	free(dir);
}
END_TEST

/* One rule for the commands and the TUI: a maze smaller than the model's
 * canvas is walled into it, as training and gen --canvas do (the 11x11
 * embedded model on a 7x7 maze), and still solved; a larger one is refused. */
START_TEST(test_run_walls_smaller_maze)
{
	const char *shipped = FIXTURES_DIR "/../../models/maze", *maze7 = FIXTURES_DIR "/../../puzzles/examples/maze-7.txt";
	struct test_output r = test_hrmscope("run --model '%s' --puzzle '%s'", shipped, maze7);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_msg(strstr(r.out, "(maze 11x11, a 7x7 maze walled in, 121 cells") != NULL, "%s", r.out);
	/* the first input row is the 11-wide canvas: 7 cells of maze, then wall */
	ck_assert_msg(strstr(r.out, "\n###########   ") != NULL, "%s", r.out);
	ck_assert_msg(strstr(r.out, "exact: yes") != NULL || strstr(r.out, "  yes    yes") != NULL, "%s", r.out);
	test_output_free(&r);
	r = test_hrmscope("run --model '%s' --puzzle '%s'", MODEL, maze7);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_msg(strstr(r.err, "the puzzle has 49 cells but the model tiny_maze was made for seq_len 25"), "%s",
		      r.err);
	test_output_free(&r);
}
END_TEST

/* ---- trace --puzzle ---- */

START_TEST(test_trace_puzzle)
{
	char *path = test_path("trace_maze.txt");
	struct puzzle p;
	write_maze(path, 9, 5, 2, &p);
	struct hrm_model m;
	load_model(varied, &m);
	struct ref *r = xmalloc(sizeof *r);
	ref_run(&m, p.input, 25, 0, 4, r);
	struct test_output res = test_hrmscope("trace --model '%s' --puzzle '%s' --format csv", varied, path);
	ck_assert_msg(res.rc == 0, "%s", res.err);
	ck_assert_ptr_nonnull(strstr(res.out, ",halt_adaptive,token_acc,exact,changed,seg_dzH_abs,"));
	int seg = 0;
	for (const char *l = strstr(res.out, "\nsegment,"); l; l = strstr(l + 1, "\nsegment,"), seg++) {
		/* segment,S,,,,,,,,q_halt,q_continue,max,adaptive,token_acc,exact,changed */
		char buf[512], *f[16];
		int n = 0;
		const char *end = strchr(l + 1, '\n');
		snprintf(buf, sizeof buf, "%.*s", (int)(end - l - 1), l + 1);
		for (char *q = buf; n < 16; n++) {
			f[n] = q;
			q = strchr(q, ',');
			if (q == NULL) {
				n++;
				break;
			}
			*q++ = '\0';
		}
		ck_assert_int_eq(n, 16);
		ck_assert_int_eq(atoi(f[1]), seg);
		int scored, right = right_cells(r->pred[seg], p.label, 25, &scored), ch = 0;
		for (int i = 0; i < 25; i++)
			ch += r->pred[seg][i] != (seg ? r->pred[seg - 1][i] : p.input[i]);
		ck_assert(fabs(atof(f[9]) - r->qh[seg]) < 1e-6);
		ck_assert(fabs(atof(f[13]) - (double)right / scored) < 1e-7);
		ck_assert_int_eq(atoi(f[14]), right == scored);
		ck_assert_int_eq(atoi(f[15]), ch);
	}
	ck_assert_int_eq(seg, 4);
	test_output_free(&res);
	/* the random-token mode still works and leaves the label columns empty */
	res = test_hrmscope("trace --model '%s' --seq-len 25 --segments 2 --format csv", varied);
	ck_assert_msg(res.rc == 0, "%s", res.err);
	const char *row = strstr(res.out, "\nsegment,1,"), *eol = row;
	ck_assert_ptr_nonnull(row);
	for (int k = 0; k < 13 && eol; k++) /* to the comma before token_acc, the 14th field */
		eol = strchr(eol + 1, ',');
	ck_assert_ptr_nonnull(eol);
	ck_assert(eol[1] == ',' && eol[2] == ',' && eol[3] >= '0' && eol[3] <= '9' && eol[-1] != ',');
	test_output_free(&res);
	free(r);
	hrm_model_free(&m);
	free(path);
}
END_TEST

/* ---- eval ---- */

struct summary {
	long n, valid, exact[2], qh[2], exact_at[16];
	double acc[2], steps[2];
	int M;
};

static void parse_summary(const char *out, struct summary *s)
{
	const char *l = strstr(out, "hrmscope-eval ");
	ck_assert_msg(l != NULL, "no summary line in\n%s", out);
	memset(s, 0, sizeof *s);
	const char *p;
	ck_assert_ptr_nonnull(p = after(l, " n="));
	s->n = atol(p);
	ck_assert_ptr_nonnull(p = after(l, " valid="));
	s->valid = atol(p);
	ck_assert_ptr_nonnull(p = after(l, " segments="));
	s->M = atoi(p);
	static const char *const pre[2] = { "max", "adaptive" };
	for (int k = 0; k < 2; k++) {
		char key[64];
		snprintf(key, sizeof key, " %s_exact=", pre[k]);
		ck_assert_ptr_nonnull(p = after(l, key));
		s->exact[k] = atol(p);
		snprintf(key, sizeof key, " %s_token_acc=", pre[k]);
		ck_assert_ptr_nonnull(p = after(l, key));
		s->acc[k] = atof(p);
		snprintf(key, sizeof key, " %s_q_halt=", pre[k]);
		ck_assert_ptr_nonnull(p = after(l, key));
		s->qh[k] = atol(p);
		snprintf(key, sizeof key, " %s_steps=", pre[k]);
		ck_assert_ptr_nonnull(p = after(l, key));
		s->steps[k] = atof(p);
	}
	ck_assert_ptr_nonnull(p = after(l, " exact_at="));
	for (int i = 0; i < s->M; i++) {
		char *e;
		s->exact_at[i] = strtol(p, &e, 10);
		p = e + 1;
	}
}

/* The metrics of examples [0, limit) (shard i of n) computed here. */
static void ref_eval(const char *model, const char *dir, long limit, long si, long sn, struct summary *s)
{
	struct dataset_split sp;
	char *cause = NULL;
	ck_assert_msg(dataset_read_split(dir, "test", &sp, &cause) == 0, "%s", cause);
	struct hrm_model m;
	load_model(model, &m);
	struct ref *r = xmalloc(sizeof *r);
	memset(s, 0, sizeof *s);
	s->M = m.cfg.halt_max_steps;
	long total = sp.num_examples < limit ? sp.num_examples : limit;
	for (long i = si; i < total; i += sn) {
		struct dataset_example ex;
		ck_assert(dataset_get_example(&sp, i, &ex) == 0);
		ref_run(&m, ex.inputs, 25, ex.puzzle_identifier, s->M, r);
		s->n++;
		s->valid++;
		bool stopped = false;
		for (int seg = 0; seg < s->M; seg++) {
			int scored, right = right_cells(r->pred[seg], ex.labels, 25, &scored);
			bool exact = right == scored, last = seg == s->M - 1;
			double acc = (double)right / scored;
			s->exact_at[seg] += exact;
			if (!stopped && (r->qh[seg] > r->qc[seg] || last)) {
				stopped = true;
				s->exact[1] += exact;
				s->acc[1] += acc;
				s->qh[1] += (r->qh[seg] >= 0) == exact;
				s->steps[1] += seg + 1;
			}
			if (last) {
				s->exact[0] += exact;
				s->acc[0] += acc;
				s->qh[0] += (r->qh[seg] >= 0) == exact;
				s->steps[0] += seg + 1;
			}
		}
	}
	free(r);
	hrm_model_free(&m);
	dataset_split_free(&sp);
}

static void summary_eq(const struct summary *a, const struct summary *b)
{
	ck_assert_int_eq(a->n, b->n);
	ck_assert_int_eq(a->valid, b->valid);
	ck_assert_int_eq(a->M, b->M);
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(a->exact[k], b->exact[k]);
		ck_assert_int_eq(a->qh[k], b->qh[k]);
		ck_assert_msg(fabs(a->acc[k] - b->acc[k]) < 1e-9, "token acc %d: %.17g vs %.17g", k, a->acc[k], b->acc[k]);
		ck_assert_msg(fabs(a->steps[k] - b->steps[k]) < 1e-9, "steps %d: %g vs %g", k, a->steps[k], b->steps[k]);
	}
	for (int i = 0; i < a->M; i++)
		ck_assert_int_eq(a->exact_at[i], b->exact_at[i]);
}

static char *eval_data(void)
{
	char *dir = test_path("eval_ds");
	struct test_output g = test_hrmscope("gen maze --size 5 --count 2 --test-count 14 --seed 21 --force -o '%s'", dir);
	ck_assert_msg(g.rc == 0, "%s", g.err);
	test_output_free(&g);
	return dir;
}

START_TEST(test_eval)
{
	char *dir = eval_data();
	static const char *const models[2] = { MODEL, NULL };
	for (int k = 0; k < 2; k++) {
		const char *model = models[k] ? models[k] : varied;
		struct summary want, got;
		ref_eval(model, dir, 1L << 40, 0, 1, &want);
		if (model == varied) /* the two halting rules differ on this data */
			ck_assert(want.exact[0] != want.exact[1] && want.steps[1] > (double)want.n &&
				  want.steps[1] < want.steps[0]);
		for (int b = 1; b <= 16; b += 5) {
			struct test_output r = test_hrmscope("eval --model '%s' --data '%s' --batch %d", model, dir, b);
			ck_assert_msg(r.rc == 0, "%s", r.err);
			ck_assert_ptr_nonnull(strstr(r.err, "14/14 examples"));
			parse_summary(r.out, &got);
			summary_eq(&got, &want);
			test_output_free(&r);
		}
		/* --limit */
		ref_eval(model, dir, 5, 0, 1, &want);
		struct test_output r = test_hrmscope("eval --model '%s' --data '%s' --limit 5 --batch 2", model, dir);
		ck_assert_msg(r.rc == 0, "%s", r.err);
		parse_summary(r.out, &got);
		summary_eq(&got, &want);
		test_output_free(&r);
	}
	free(dir);
}
END_TEST

/* shards are examples i % N == I; --merge adds them up to the whole */
START_TEST(test_eval_shards)
{
	char *dir = eval_data(), *all = test_path("shards.txt");
	FILE *f = fopen(all, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 3; i++) {
		struct summary want, got;
		ref_eval(varied, dir, 1L << 40, i, 3, &want);
		struct test_output r = test_hrmscope("eval --model '%s' --data '%s' --shard %d/3 --batch 4", varied,
						     dir, i);
		ck_assert_msg(r.rc == 0, "%s", r.err);
		parse_summary(r.out, &got);
		summary_eq(&got, &want);
		fputs(r.out, f);
		test_output_free(&r);
	}
	fclose(f);
	struct summary want, got;
	ref_eval(varied, dir, 1L << 40, 0, 1, &want);
	struct test_output r = test_hrmscope("eval --merge '%s'", all);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "merged 3 shards"));
	parse_summary(r.out, &got);
	summary_eq(&got, &want);
	test_output_free(&r);
	/* a missing shard is an error */
	r = test_hrmscope("eval --merge - < '%s'", all);
	ck_assert_int_eq(r.rc, 0);
	test_output_free(&r);
	r = test_hrmscope("eval --merge /dev/null");
	ck_assert_int_eq(r.rc, 1);
	test_output_free(&r);
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "grep -v 'shard=1/3' '%s' > '%s.2'", all, all);
	ck_assert_int_eq(system(cmd), 0);
	r = test_hrmscope("eval --merge '%s.2'", all);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "shard 1/3 is missing"));
	test_output_free(&r);
	free(all);
	free(dir);
}
END_TEST

/* ---- pr ---- */

/* PR of the covariance of samples x[n][d], straight from the definition. */
static double pr_direct(const double *x, int n, int d)
{
	double *mu = xcalloc((size_t)d, sizeof *mu), tr = 0, fro = 0;
	for (int s = 0; s < n; s++)
		for (int i = 0; i < d; i++)
			mu[i] += x[(size_t)s * d + i] / n;
	for (int i = 0; i < d; i++)
		for (int j = 0; j < d; j++) {
			double c = 0;
			for (int s = 0; s < n; s++)
				c += (x[(size_t)s * d + i] - mu[i]) * (x[(size_t)s * d + j] - mu[j]);
			c /= n - 1;
			tr += i == j ? c : 0;
			fro += c * c;
		}
	free(mu);
	return tr * tr / fro;
}

static void check_pr(const char *dir, int N, bool tokens)
{
	struct dataset_split sp;
	char *cause = NULL;
	ck_assert_msg(dataset_read_split(dir, "test", &sp, &cause) == 0, "%s", cause);
	struct hrm_model m;
	load_model(MODEL, &m);
	int d = m.cfg.hidden_size, S = 25, T = S + m.cfg.puzzle_emb_len, Lp = m.cfg.puzzle_emb_len;
	int nsamp = tokens ? N * S : N;
	double *x[2] = { xcalloc((size_t)nsamp * d, sizeof(double)), xcalloc((size_t)nsamp * d, sizeof(double)) };
	for (int p = 0; p < N; p++) {
		struct dataset_example ex;
		ck_assert(dataset_get_example(&sp, p, &ex) == 0);
		struct hrm_engine *e = hrm_engine_new(&m, 1, S, &cause);
		ck_assert(hrm_engine_set_inputs(e, ex.inputs, &ex.puzzle_identifier, &cause) == 0);
		hrm_engine_reset(e, -1);
		for (int s = 0; s < m.cfg.halt_max_steps; s++)
			hrm_engine_step(e, HRM_GRAIN_SEGMENT);
		for (int k = 0; k < 2; k++) {
			const float *z = k ? hrm_engine_zL(e) : hrm_engine_zH(e);
			for (int t = 0; t < S; t++)
				for (int i = 0; i < d; i++) {
					double v = z[(size_t)(Lp + t) * d + i];
					if (tokens)
						x[k][((size_t)p * S + t) * d + i] = v;
					else
						x[k][(size_t)p * d + i] += v / S;
				}
		}
		ck_assert_int_eq(T, hrm_engine_T(e));
		hrm_engine_free(e);
	}
	struct test_output r = test_hrmscope("pr --model '%s' --data '%s' --n %d --pool %s --untrained", MODEL, dir, N,
					     tokens ? "tokens" : "mean");
	ck_assert_msg(r.rc == 0, "%s", r.err);
	const char *l = strstr(r.out, "hrmscope-pr model=trained");
	ck_assert_ptr_nonnull(l);
	char want[128];
	snprintf(want, sizeof want, "n=%d pooling=%s samples=%d dim=%d", N, tokens ? "tokens" : "mean", nsamp, d);
	ck_assert_msg(strstr(l, want) != NULL, "missing '%s' in %s", want, l);
	ck_assert_ptr_nonnull(strstr(r.out, N * (tokens ? S : 1) <= d ? "Gram" : "d x d covariance"));
	ck_assert_ptr_nonnull(strstr(r.out, "hrmscope-pr model=untrained"));
	double zh = atof(after(l, "zH=")), zl = atof(after(l, "zL="));
	double rh = pr_direct(x[0], nsamp, d), rl = pr_direct(x[1], nsamp, d);
	ck_assert_msg(fabs(zh - rh) < 1e-6 * rh && fabs(zl - rl) < 1e-6 * rl, "PR %g %g, direct %g %g", zh, zl, rh, rl);
	test_output_free(&r);
	free(x[0]);
	free(x[1]);
	hrm_model_free(&m);
	dataset_split_free(&sp);
}

START_TEST(test_pr)
{
	char *dir = eval_data();
	check_pr(dir, 10, false); /* 10 samples < d = 16: the Gram route */
	check_pr(dir, 14, true);  /* 350 samples: the covariance route */
	free(dir);
}
END_TEST

/* ---- gen ---- */

START_TEST(test_gen_maze_round_trip)
{
	char *dir = test_path("gen_maze");
	struct test_output r =
		test_hrmscope("gen maze --size 7 --count 6 --min-path 4 --seed 5 --aug 7 --test-count 3 -o '%s'", dir);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	test_output_free(&r);
	struct dataset_split tr, te;
	char *cause = NULL;
	ck_assert_msg(dataset_read_split(dir, "train", &tr, &cause) == 0, "%s", cause);
	ck_assert_msg(dataset_read_split(dir, "test", &te, &cause) == 0, "%s", cause);
	/* the official maze layout: a group per maze, its 8 dihedral variants one puzzle each */
	ck_assert_int_eq(tr.meta.vocab_size, 6);
	ck_assert_int_eq(tr.meta.seq_len, 49);
	ck_assert_int_eq(tr.meta.total_groups, 6);
	ck_assert(tr.meta.has_ignore_label_id && tr.meta.ignore_label_id == 0);
	ck_assert_int_eq(tr.meta.num_puzzle_identifiers, 1);
	ck_assert_int_eq(tr.sets[0].num_puzzles, 48);
	ck_assert_int_eq(tr.num_examples, 48);
	ck_assert_int_eq(te.meta.total_groups, 3);
	ck_assert_int_eq(te.num_examples, 3);
	struct puzzle p = { .kind = PUZZLE_MAZE, .side = 7, .seq_len = 49, .has_label = true };
	for (int64_t g = 0; g < 6; g++) {
		ck_assert_int_eq(tr.sets[0].group_indices[g], 8 * g);
		const int32_t *in0 = tr.sets[0].inputs + (size_t)8 * g * 49, *lab0 = tr.sets[0].labels + (size_t)8 * g * 49;
		for (int t = 0; t < 8; t++) {
			struct dataset_example ex;
			int32_t want[49];
			ck_assert(dataset_get_example(&tr, 8 * g + t, &ex) == 0);
			ck_assert_int_eq(ex.puzzle, 8 * g + t);
			ck_assert_int_eq(ex.group, g);
			ck_assert_int_eq(ex.puzzle_identifier, 0);
			puzzle_dihedral(t, 7, in0, want);
			ck_assert(memcmp(want, ex.inputs, sizeof want) == 0);
			puzzle_dihedral(t, 7, lab0, want);
			ck_assert(memcmp(want, ex.labels, sizeof want) == 0);
			/* every label is a shortest path of its maze, at least 4 moves */
			struct maze_check mc;
			memcpy(p.input, ex.inputs, sizeof want);
			memcpy(p.label, ex.labels, sizeof want);
			maze_check_answer(&p, ex.labels, NULL, &mc);
			ck_assert(mc.shortest);
			ck_assert_int_ge(mc.path_len, 4);
		}
	}
	/* no maze twice, train and test together */
	for (int64_t i = 0; i < 9; i++)
		for (int64_t j = i + 1; j < 9; j++) {
			const int32_t *a = i < 6 ? tr.sets[0].inputs + (size_t)8 * i * 49 : te.sets[0].inputs + (size_t)(i - 6) * 49;
			const int32_t *b = j < 6 ? tr.sets[0].inputs + (size_t)8 * j * 49 : te.sets[0].inputs + (size_t)(j - 6) * 49;
			ck_assert(memcmp(a, b, 49 * sizeof *a) != 0);
		}
	/* tokens as uint8, indices as int32, as the builders store them */
	char path[2048];
	struct npy_array a;
	snprintf(path, sizeof path, "%s/train/all__inputs.npy", dir);
	ck_assert_msg(npy_read(path, &a, &cause) == 0, "%s", cause);
	ck_assert_int_eq(a.dtype, NPY_DT_U1);
	npy_free(&a);
	snprintf(path, sizeof path, "%s/train/all__puzzle_indices.npy", dir);
	ck_assert_msg(npy_read(path, &a, &cause) == 0, "%s", cause);
	ck_assert_int_eq(a.dtype, NPY_DT_I4);
	npy_free(&a);
	char **names;
	int64_t count;
	ck_assert(dataset_read_identifiers(dir, &names, &count, &cause) == 0);
	ck_assert_int_eq(count, 1);
	ck_assert_str_eq(names[0], "<blank>");
	dataset_identifiers_free(names, count);
	dataset_split_free(&tr);
	dataset_split_free(&te);
	/* same seed, same folder */
	char *again = test_path("gen_maze2");
	r = test_hrmscope("gen maze --size 7 --count 6 --min-path 4 --seed 5 --aug 7 --test-count 3 -o '%s'", again);
	ck_assert_int_eq(r.rc, 0);
	test_output_free(&r);
	snprintf(path, sizeof path, "cmp -s '%s/train/all__labels.npy' '%s/train/all__labels.npy'", dir, again);
	ck_assert_int_eq(system(path), 0);
	free(again);
	free(dir);
}
END_TEST

/* --canvas: mazes walled into a larger grid; the same mazes as without it */
START_TEST(test_gen_maze_canvas)
{
	char *dir = test_path("gen_canvas"), *plain = test_path("gen_plain");
	struct test_output r = test_hrmscope("gen maze --size 5 --canvas 9 --count 4 --test-count 2 --seed 8 -o '%s'", dir);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	test_output_free(&r);
	r = test_hrmscope("gen maze --size 5 --count 4 --test-count 2 --seed 8 -o '%s'", plain);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	test_output_free(&r);
	struct dataset_split c, p;
	char *cause = NULL;
	ck_assert_msg(dataset_read_split(dir, "train", &c, &cause) == 0, "%s", cause);
	ck_assert_msg(dataset_read_split(plain, "train", &p, &cause) == 0, "%s", cause);
	ck_assert_int_eq(c.meta.seq_len, 81);
	ck_assert_int_eq(p.meta.seq_len, 25);
	ck_assert_int_eq(c.num_examples, p.num_examples);
	for (int64_t i = 0; i < c.num_examples; i++) {
		struct dataset_example ec, ep;
		ck_assert(dataset_get_example(&c, i, &ec) == 0 && dataset_get_example(&p, i, &ep) == 0);
		for (int k = 0; k < 81; k++) {
			int row = k / 9, col = k % 9;
			bool in = row < 5 && col < 5;
			ck_assert_int_eq(ec.inputs[k], in ? ep.inputs[row * 5 + col] : MAZE_WALL);
			ck_assert_int_eq(ec.labels[k], in ? ep.labels[row * 5 + col] : MAZE_WALL);
		}
	}
	dataset_split_free(&c);
	dataset_split_free(&p);
	r = test_hrmscope("gen maze --size 7 --canvas 5 --count 1 -o '%s/x'", dir);
	ck_assert_int_ne(r.rc, 0);
	ck_assert_msg(strstr(r.err, "--canvas") != NULL, "%s", r.err);
	test_output_free(&r);
	r = test_hrmscope("gen sudoku --canvas 11 --count 1 -o '%s/y'", dir);
	ck_assert_int_ne(r.rc, 0);
	ck_assert_msg(strstr(r.err, "--canvas") != NULL, "%s", r.err);
	test_output_free(&r);
	free(dir);
	free(plain);
}
END_TEST

START_TEST(test_gen_sudoku_round_trip)
{
	char *dir = test_path("gen_sudoku");
	struct test_output r =
		test_hrmscope("gen sudoku --count 3 --givens 40 --seed 2 --aug 2 --test-count 2 -o '%s'", dir);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	test_output_free(&r);
	struct dataset_split tr;
	char *cause = NULL;
	ck_assert_msg(dataset_read_split(dir, "train", &tr, &cause) == 0, "%s", cause);
	ck_assert_int_eq(tr.meta.vocab_size, 11);
	ck_assert_int_eq(tr.meta.seq_len, 81);
	ck_assert_int_eq(tr.meta.total_groups, 3);
	/* the official layout: each shuffle a puzzle of its own in the original's group */
	ck_assert_int_eq(tr.sets[0].num_puzzles, 9);
	ck_assert_int_eq(tr.num_examples, 9);
	for (int64_t i = 0; i < 9; i++) {
		struct dataset_example ex;
		ck_assert(dataset_get_example(&tr, i, &ex) == 0);
		ck_assert_int_eq(ex.group, i / 3);
		struct puzzle p = { .kind = PUZZLE_SUDOKU, .side = 9, .seq_len = 81 };
		memcpy(p.input, ex.inputs, 81 * sizeof *p.input);
		int givens = 0;
		for (int c = 0; c < 81; c++)
			givens += ex.inputs[c] != SUDOKU_BLANK;
		ck_assert_int_eq(givens, 40);
		ck_assert_msg(sudoku_check_answer(&p, ex.labels, NULL), "example %lld: label breaks the rules", (long long)i);
		ck_assert_int_eq(sudoku_count_solutions(&p, 2, NULL), 1);
	}
	dataset_split_free(&tr);
	free(dir);
}
END_TEST

/* the official CSV: header, rows as they are, --subsample keeps file order,
 * --min-difficulty filters on the rating */
START_TEST(test_gen_from_csv)
{
	char *csvdir = test_path("csv"), *dir = test_path("csv_ds"), path[2048];
	mkdir(csvdir, 0777);
	struct puzzle p[6];
	struct hrm_rng rng;
	hrm_rng_seed(&rng, 77);
	for (int split = 0; split < 2; split++) {
		snprintf(path, sizeof path, "%s/%s.csv", csvdir, split ? "test" : "train");
		FILE *f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fputs("source,question,answer,rating\n", f);
		for (int i = 0; i < (split ? 2 : 6); i++) {
			struct maze_gen_opts o = { .side = 6, .min_path = 2 };
			struct puzzle q;
			char *cause = NULL;
			ck_assert(maze_generate(&rng, &o, split ? &q : &p[i], &cause) == 0);
			char *row = puzzle_csv_row(split ? &q : &p[i], "test", i);
			fputs(row, f);
			free(row);
		}
		fclose(f);
	}
	struct test_output r = test_hrmscope("gen --from-csv '%s' -o '%s'", csvdir, dir);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	test_output_free(&r);
	struct dataset_split s;
	char *cause = NULL;
	ck_assert_msg(dataset_read_split(dir, "train", &s, &cause) == 0, "%s", cause);
	ck_assert_int_eq(s.num_examples, 6);
	ck_assert_int_eq(s.meta.seq_len, 36);
	for (int i = 0; i < 6; i++) {
		ck_assert(memcmp(s.sets[0].inputs + i * 36, p[i].input, 36 * sizeof(int32_t)) == 0);
		ck_assert(memcmp(s.sets[0].labels + i * 36, p[i].label, 36 * sizeof(int32_t)) == 0);
	}
	dataset_split_free(&s);
	ck_assert_msg(dataset_read_split(dir, "test", &s, &cause) == 0, "%s", cause);
	ck_assert_int_eq(s.num_examples, 2);
	dataset_split_free(&s);
	/* rating = row number here: rows 2..5 remain, 3 of them kept in file order */
	char *dir2 = test_path("csv_sub");
	snprintf(path, sizeof path, "%s/train.csv", csvdir);
	r = test_hrmscope("gen --from-csv '%s' --min-difficulty 2 --subsample 3 --seed 4 --aug 7 -o '%s'", path, dir2);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	test_output_free(&r);
	ck_assert_msg(dataset_read_split(dir2, "train", &s, &cause) == 0, "%s", cause);
	ck_assert_int_eq(s.meta.total_groups, 3);
	ck_assert_int_eq(s.num_examples, 24);
	int last = -1;
	for (int g = 0; g < 3; g++) {
		int found = -1;
		for (int i = 2; i < 6; i++)
			if (memcmp(s.sets[0].inputs + (size_t)g * 8 * 36, p[i].input, 36 * sizeof(int32_t)) == 0)
				found = i;
		ck_assert_int_gt(found, last);
		last = found;
	}
	dataset_split_free(&s);
	free(dir2);
	free(dir);
	free(csvdir);
}
END_TEST

/* ---- bad inputs: exit 1 and one line naming the file and the problem ---- */

static void one_line_error(struct test_output *r, const char *file, const char *problem)
{
	ck_assert_msg(r->rc == 1, "exit %d, stderr: %s", r->rc, r->err);
	ck_assert_msg(count_lines(r->err) == 1, "not one line: %s", r->err);
	ck_assert_msg(strstr(r->err, file) != NULL, "'%s' not named in: %s", file, r->err);
	ck_assert_msg(strstr(r->err, problem) != NULL, "'%s' not in: %s", problem, r->err);
	test_output_free(r);
}

START_TEST(test_bad_inputs)
{
	char *big = test_path("maze7.txt"), *bad = test_path("bad.txt"), *sud = test_path("s.txt"), *cause = NULL;
	struct puzzle p;
	write_maze(big, 3, 7, 2, &p);
	const char badmaze[] = "#####\n#S  #\n# x #\n#  G#\n#####\n";
	ck_assert(write_file_atomic(bad, badmaze, strlen(badmaze), &cause) == 0);
	const char sudoku[] = "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79\n";
	ck_assert(write_file_atomic(sud, sudoku, strlen(sudoku), &cause) == 0);
	struct test_output r;
	r = test_hrmscope("run --model '%s' --puzzle '%s'", MODEL, big);
	one_line_error(&r, "maze7.txt", "the puzzle has 49 cells but the model tiny_maze was made for seq_len 25");
	r = test_hrmscope("run --model '%s' --puzzle '%s'", MODEL, bad);
	one_line_error(&r, "bad.txt", "line 3 column 3: unknown character 'x'");
	r = test_hrmscope("run --model '%s' --puzzle '%s'", MODEL, sud);
	one_line_error(&r, "s.txt", "a sudoku puzzle (vocabulary 11) but the model tiny_maze has vocabulary 6");
	r = test_hrmscope("trace --model '%s' --puzzle '%s'", MODEL, sud);
	one_line_error(&r, "s.txt", "vocabulary");
	r = test_hrmscope("run --model '%s' --puzzle '%s/nope.txt'", MODEL, test_tmpdir());
	one_line_error(&r, "nope.txt", "no such file");
	r = test_hrmscope("run --model '%s' --puzzle '%s:4'", MODEL, bad);
	one_line_error(&r, "bad.txt", "unknown character");
	/* a dataset whose seq_len disagrees with the model */
	char *ds = test_path("bad_ds");
	r = test_hrmscope("gen maze --size 7 --count 2 --test-count 2 -o '%s'", ds);
	ck_assert_int_eq(r.rc, 0);
	test_output_free(&r);
	r = test_hrmscope("eval --model '%s' --data '%s'", MODEL, ds);
	one_line_error(&r, "bad_ds/test", "the puzzle has 49 cells but the model tiny_maze was made for seq_len 25");
	r = test_hrmscope("pr --model '%s' --data '%s'", MODEL, ds);
	one_line_error(&r, "bad_ds/test", "seq_len 25");
	r = test_hrmscope("run --model '%s' --puzzle '%s:test:9'", MODEL, ds);
	one_line_error(&r, "bad_ds/test", "no example 9");
	r = test_hrmscope("eval --model '%s' --data '%s' --split nosuch", MODEL, ds);
	one_line_error(&r, "nosuch", "");
	/* a CSV with a broken row */
	char *csv = test_path("broken.csv"), *out = test_path("broken_ds");
	const char rows[] = "source,question,answer,rating\nx,#S#G,#So,1\n";
	ck_assert(write_file_atomic(csv, rows, strlen(rows), &cause) == 0);
	r = test_hrmscope("gen --from-csv '%s' -o '%s'", csv, out);
	one_line_error(&r, "broken.csv: line 2", "the question has 4 characters, the answer 3");
	free(csv);
	free(out);
	free(ds);
	free(big);
	free(bad);
	free(sud);
}
END_TEST

/* usage errors exit 2; --help exits 0 for every command; --version */
START_TEST(test_usage)
{
	static const char *const cmds[] = { "init", "info", "trace", "train", "run", "gen", "eval", "pr" };
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		struct test_output r = test_hrmscope("%s --help", cmds[i]);
		ck_assert_msg(r.rc == 0 && strstr(r.out, "usage: hrmscope") != NULL, "%s --help", cmds[i]);
		test_output_free(&r);
		r = test_hrmscope("%s --no-such-option", cmds[i]);
		ck_assert_msg(r.rc == 2, "%s: exit %d", cmds[i], r.rc);
		test_output_free(&r);
	}
	static const char *const bad[] = {
		"run --model x", "run --puzzle x", "eval --model x --data y --shard 3/3", "eval --model x --data y --batch 0",
		"gen maze --count 3", "gen maze --size 9 -o x", "gen sudoku --count 2 --givens 10 -o x", "gen --from-csv a --count 3 -o x",
		"pr --model x --data y --pool flat", "gen maze --size 7 --count 1 --aug 8 -o x", "eval --merge",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct test_output r = test_hrmscope("%s", bad[i]);
		ck_assert_msg(r.rc == 2, "'%s': exit %d", bad[i], r.rc);
		ck_assert_msg(strstr(r.err, "hrmscope ") == r.err, "'%s': %s", bad[i], r.err);
		test_output_free(&r);
	}
	struct test_output r = test_hrmscope("--version");
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.out, "hrmscope " PACKAGE_VERSION "\n");
	test_output_free(&r);
}
END_TEST

static Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *t = tcase_create("run");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_run_fixture);
	tcase_add_test(t, test_run_varied);
	tcase_add_test(t, test_run_past_max_steps);
	tcase_add_test(t, test_run_dataset);
	tcase_add_test(t, test_run_default_split);
	tcase_add_test(t, test_run_walls_smaller_maze);
	tcase_add_test(t, test_trace_puzzle);
	suite_add_tcase(s, t);
	t = tcase_create("eval");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_eval);
	tcase_add_test(t, test_eval_shards);
	tcase_add_test(t, test_pr);
	suite_add_tcase(s, t);
	t = tcase_create("gen");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_gen_maze_round_trip);
	tcase_add_test(t, test_gen_maze_canvas);
	tcase_add_test(t, test_gen_sudoku_round_trip);
	tcase_add_test(t, test_gen_from_csv);
	suite_add_tcase(s, t);
	t = tcase_create("errors");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_bad_inputs);
	tcase_add_test(t, test_usage);
	suite_add_tcase(s, t);
	return s;
}

/* The varied model (test_make_varied_model): halting and answers vary between segments. */
static int make_varied(void)
{
	varied = test_path("varied");
	return test_make_varied_model(MODEL, varied, true);
}

int main(void)
{
	return test_main_setup(cli_suite(), "check_cli", make_varied);
}
