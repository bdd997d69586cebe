/* check_dtype_cli.c - --dtype fp32|bf16 end to end: every command that runs
 * a model takes it (a bad value is a usage error), names the arithmetic in
 * its header and its lines for scripts, and runs every engine it makes in
 * it: the bf16 numbers are the bf16 engine's (driven here), differ from the
 * fp32 ones and are the same run after run.  And the note for a checkpoint
 * whose config says forward_dtype: bfloat16 but that runs in fp32.
 *
 * Runs on the tiny fixture model, its livelier variant and 5x5 mazes.  With
 * a fixed-point tolerance of 1e-3 the arithmetic shows in the counts: the
 * fp32 trajectories of the tiny model settle below it within 8 segments,
 * the bf16 ones never do (every state is rounded to 8 bits of mantissa, a
 * relative step of 2^-9, and keeps moving by about that much). */
#include "config.h"
#include "io/dataset.h"
#include "model/engine.h"
#include "model/hrm.h"
#include "io/checkpoint.h"
#include "core/util.h"

#include "test_util.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MODEL FIXTURES_DIR "/models/tiny_maze"
#define BAD_DTYPE "--dtype: expected fp32 or bf16 (also float32, bfloat16), got 'bogus'"
#define HINT "trained with forward_dtype bfloat16; running in fp32 (add --dtype bf16 for the official arithmetic)"

/* the varied model and the maze dataset, made before the tests */
static char *varied, *mazes;

static int count(const char *text, const char *what)
{
	int n = 0;
	for (const char *p = strstr(text, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

/* The value of " key=" in the line starting with `line` (a long), asserted present. */
static long key_long(const char *text, const char *line, const char *key)
{
	const char *l = strstr(text, line);
	ck_assert_msg(l != NULL, "no '%s' in\n%s", line, text);
	char k[64];
	snprintf(k, sizeof k, " %s=", key);
	const char *v = strstr(l, k), *eol = strchr(l, '\n');
	ck_assert_msg(v != NULL && (eol == NULL || v < eol), "no %s in %s", k, l);
	return atol(v + strlen(k));
}

/* ---- usage ---- */

START_TEST(test_bad_dtype)
{
	static const char *const cmds[][2] = {
	    {"run", "run --model '%s' --puzzle '%s:test:0' --dtype bogus"},
	    {"trace", "trace --model '%s' --puzzle '%s:test:0' --dtype bogus"},
	    {"eval", "eval --model '%s' --data '%s' --dtype bogus"},
	    {"guess", "guess --model '%s' --puzzle '%s:test:0' --dtype bogus"},
	    {"probe-simple", "probe-simple --model '%s' --data '%s' --dtype bogus"},
	    {"pr", "pr --model '%s' --data '%s' --dtype bogus"},
	    {"tui", "tui --model '%s' --puzzle '%s:test:0' --dtype bogus"},
	};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		struct test_output r = test_hrmscope(cmds[i][1], MODEL, mazes);
		char want[160];
		snprintf(want, sizeof want, "hrmscope %s: " BAD_DTYPE "\n", cmds[i][0]);
		ck_assert_msg(r.rc == 2, "%s: exit %d", cmds[i][0], r.rc);
		ck_assert_msg(strstr(r.err, want) == r.err, "%s: %s", cmds[i][0], r.err);
		ck_assert_str_eq(r.out, "");
		test_output_free(&r);
	}
	/* the long names are the same arithmetics */
	char *out = test_hrmscope_ok("run --model '%s' --puzzle '%s:test:0' --dtype bfloat16", MODEL, mazes);
	ck_assert_msg(strstr(out, "model: tiny_maze (HRM, d 16, halt_max_steps 4), dtype bf16 (") == out, "%s", out);
	free(out);
	out = test_hrmscope_ok("run --model '%s' --puzzle '%s:test:0' --dtype float32", MODEL, mazes);
	ck_assert_msg(strstr(out, "model: tiny_maze (HRM, d 16, halt_max_steps 4), dtype fp32\n") == out, "%s", out);
	free(out);
}
END_TEST

/* ---- run and trace against the engine ---- */

/* q_halt of each of M segments of example i through the engine in dt */
static void ref_q(const struct hrm_model *m, enum hrm_dtype dt, int i, int M, float *qh)
{
	struct dataset_split split;
	struct dataset_example ex;
	char *cause = NULL;
	ck_assert_msg(dataset_read_split(mazes, "test", &split, &cause) == 0, "%s", cause);
	ck_assert(dataset_get_example(&split, i, &ex) == 0);
	struct hrm_engine *e = hrm_engine_new_dtype(m, 1, 25, dt, &cause);
	ck_assert_msg(e != NULL, "%s", cause);
	int32_t pid = ex.puzzle_identifier;
	ck_assert_msg(hrm_engine_set_inputs(e, ex.inputs, &pid, &cause) == 0, "%s", cause);
	hrm_engine_reset(e, -1);
	for (int s = 0; s < M; s++) {
		hrm_engine_step(e, HRM_GRAIN_SEGMENT);
		qh[s] = hrm_engine_q(e)[0];
	}
	hrm_engine_free(e);
	dataset_split_free(&split);
}

/* The q_halt column of a CSV trace's segment rows, checking that every row
 * (the header included) ends with the dtype column. */
static int trace_q(const char *csv, const char *dtype, float *qh, int max)
{
	int n = 0, rows = 0;
	char tail[16];
	snprintf(tail, sizeof tail, ",%s\n", dtype);
	ck_assert_msg(strstr(csv, ",critical_h,dtype\n") != NULL, "%s", csv);
	for (const char *l = strchr(csv, '\n') + 1; *l; l = strchr(l, '\n') + 1) {
		const char *eol = strchr(l, '\n');
		ck_assert_msg(eol - l > (long)strlen(tail) && !strncmp(eol + 1 - strlen(tail), tail, strlen(tail)),
		              "row without ',%s': %.*s", dtype, (int)(eol - l), l);
		rows++;
		if (strncmp(l, "segment,", 8) != 0)
			continue;
		const char *f = l;
		for (int k = 0; k < 9; k++) /* q_halt is the 10th field */
			f = strchr(f, ',') + 1;
		ck_assert_int_lt(n, max);
		qh[n++] = strtof(f, NULL);
	}
	ck_assert_int_gt(rows, n);
	return n;
}

START_TEST(test_run_trace)
{
	struct hrm_model m;
	char *cause = NULL;
	ck_assert_msg(hrm_model_load(&m, varied, &cause) == 0, "%s", cause);
	ck_assert_msg(hrm_model_prepare_bf16(&m, &cause) == 0, "%s", cause);
	float ref[2][4], got[4];
	bool differ = false;
	for (int d = 0; d < 2; d++) {
		const char *name = d ? "bf16" : "fp32";
		ref_q(&m, d ? HRM_DTYPE_BF16 : HRM_DTYPE_FP32, 1, 4, ref[d]);
		char *csv = test_hrmscope_ok("trace --model '%s' --puzzle '%s:test:1' --format csv --dtype %s", varied,
		                             mazes, name);
		ck_assert_int_eq(trace_q(csv, name, got, 4), 4);
		for (int s = 0; s < 4; s++)
			ck_assert_msg(fabsf(got[s] - ref[d][s]) <= 1e-6f * (1 + fabsf(ref[d][s])),
			              "%s segment %d: q_halt %.9g, the engine %.9g", name, s, (double)got[s],
			              (double)ref[d][s]);
		/* the same numbers run after run */
		char *again = test_hrmscope_ok("trace --model '%s' --puzzle '%s:test:1' --format csv --dtype %s",
		                               varied, mazes, name);
		ck_assert_str_eq(csv, again);
		free(again);
		free(csv);
	}
	for (int s = 0; s < 4; s++)
		differ |= ref[0][s] != ref[1][s];
	ck_assert_msg(differ, "fp32 and bf16 give the same q_halt: the test cannot tell them apart");

	/* the text trace's first line, the JSONL key, the timing line */
	struct test_output r = test_hrmscope("trace --model '%s' --puzzle '%s:test:1' --dtype bf16", varied, mazes);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_msg(strstr(r.out, "model: varied (HRM, d 16, halt_max_steps 4), dtype bf16 (") == r.out, "%s", r.out);
	ck_assert_msg(strstr(r.err, "d=16, bf16, 2 threads:") != NULL, "%s", r.err);
	test_output_free(&r);
	char *jsonl =
	    test_hrmscope_ok("trace --model '%s' --puzzle '%s:test:1' --format jsonl --dtype bf16", varied, mazes);
	ck_assert_int_eq(count(jsonl, ",\"dtype\":\"bf16\"}\n"), count(jsonl, "\n"));
	free(jsonl);

	/* run: the header, and its table the same run after run and not fp32's */
	char *a = test_hrmscope_ok("run --model '%s' --puzzle '%s:test:1' --dtype bf16", varied, mazes);
	char *b = test_hrmscope_ok("run --model '%s' --puzzle '%s:test:1' --dtype bf16", varied, mazes);
	char *c = test_hrmscope_ok("run --model '%s' --puzzle '%s:test:1'", varied, mazes);
	ck_assert_msg(strstr(a, "model: varied (HRM, d 16, halt_max_steps 4), dtype bf16 (") == a, "%s", a);
	ck_assert_msg(strstr(c, "model: varied (HRM, d 16, halt_max_steps 4), dtype fp32\n") == c, "%s", c);
	ck_assert_str_eq(a, b);
	char qa[16], qc[16];
	snprintf(qa, sizeof qa, "%+8.4f", (double)ref[1][0]);
	snprintf(qc, sizeof qc, "%+8.4f", (double)ref[0][0]);
	ck_assert_msg(strstr(a, qa) != NULL && strstr(c, qc) != NULL, "%s\n%s", a, c);
	ck_assert_str_ne(strstr(a, "\nsegment"), strstr(c, "\nsegment"));
	free(a);
	free(b);
	free(c);
	hrm_model_free(&m);
}
END_TEST

/* ---- eval, guess, probe-simple, pr: every engine they make ---- */

/* The output of eval --dtype ARGS in the scratch file name (path returned). */
static char *shard_file(const char *name, const char *args)
{
	char *out = test_hrmscope_ok("eval --model '%s' --data '%s' --dtype %s", MODEL, mazes, args), *cause = NULL;
	char *path = test_path(name);
	ck_assert(write_file_atomic(path, out, strlen(out), &cause) == 0);
	free(out);
	return path;
}

START_TEST(test_eval)
{
	const char *opts = "--max-steps 8 --fp-tol 1e-3 --guesses 2";
	struct test_output r[2];
	for (int d = 0; d < 2; d++) {
		r[d] = test_hrmscope("eval --model '%s' --data '%s' %s --dtype %s", MODEL, mazes, opts,
		                     d ? "bf16" : "fp32");
		ck_assert_msg(r[d].rc == 0, "%s", r[d].err);
	}
	ck_assert_msg(strstr(r[1].out, "evaluated 8 examples (8 with a label), dtype bf16 (") == r[1].out, "%s",
	              r[1].out);
	ck_assert_msg(strstr(r[0].out, "evaluated 8 examples (8 with a label), dtype fp32\n") == r[0].out, "%s",
	              r[0].out);
	ck_assert_msg(strstr(r[1].err, "8 segments, bf16\n") != NULL, "%s", r[1].err);
	/* the summary names bf16 only: no dtype is fp32, as before */
	ck_assert_msg(strstr(r[1].out, " dtype=bf16\n") != NULL, "%s", r[1].out);
	ck_assert_msg(strstr(r[0].out, "dtype=") == NULL, "%s", r[0].out);
	/* the run and the guesses ran in bf16: no trajectory settles there */
	ck_assert_int_eq(key_long(r[1].out, "hrmscope-eval ", "fp_none"), 8);
	ck_assert_int_eq(key_long(r[1].out, "hrmscope-eval ", "guess_settled"), 0);
	ck_assert_int_lt(key_long(r[0].out, "hrmscope-eval ", "fp_none"), 8);
	ck_assert_int_gt(key_long(r[0].out, "hrmscope-eval ", "guess_settled"), 0);
	/* the same run after run */
	struct test_output again = test_hrmscope("eval --model '%s' --data '%s' %s --dtype bf16", MODEL, mazes, opts);
	ck_assert_str_eq(again.out, r[1].out);
	test_output_free(&again);
	for (int d = 0; d < 2; d++)
		test_output_free(&r[d]);

	/* shards merge within one arithmetic only */
	char *s0 = shard_file("bf16_shard0", "bf16 --shard 0/2"), *s1 = shard_file("bf16_shard1", "bf16 --shard 1/2");
	char *f1 = shard_file("fp32_shard1", "fp32 --shard 1/2");
	struct test_output m;
	m = test_hrmscope("eval --merge '%s' '%s'", s0, s1);
	ck_assert_msg(m.rc == 0, "%s", m.err);
	ck_assert_msg(strstr(m.out, "evaluated 8 examples (8 with a label), dtype bf16\n") != NULL, "%s", m.out);
	ck_assert_msg(strstr(m.out, " dtype=bf16\n") != NULL, "%s", m.out);
	test_output_free(&m);
	m = test_hrmscope("eval --merge '%s' '%s'", s0, f1);
	ck_assert_int_eq(m.rc, 1);
	ck_assert_msg(strstr(m.err, "shard 1/2 ran in fp32, the first summary in bf16") != NULL, "%s", m.err);
	test_output_free(&m);
	free(s0);
	free(s1);
	free(f1);
}
END_TEST

START_TEST(test_guess_probe_pr)
{
	const char *fp = "--max-steps 8 --fp-tol 1e-3";
	char *g[2], *p[2];
	for (int d = 0; d < 2; d++) {
		const char *dt = d ? "bf16" : "fp32";
		g[d] = test_hrmscope_ok("guess --model '%s' --puzzle '%s:test:1' --k 2 %s --dtype %s", MODEL, mazes, fp,
		                        dt);
		p[d] = test_hrmscope_ok("probe-simple --model '%s' --data '%s' --distances 1 %s --dtype %s", MODEL,
		                        mazes, fp, dt);
	}
	ck_assert_msg(strstr(g[1], "model 1: tiny_maze (HRM, d 16, halt_max_steps 4), dtype bf16 (") != NULL, "%s", g[1]);
	ck_assert_msg(strstr(g[1], " dtype=bf16\n") != NULL && strstr(g[0], " dtype=fp32\n") != NULL, "%s", g[1]);
	ck_assert_int_eq(key_long(g[1], "hrmscope-guess ", "settled"), 0);
	ck_assert_int_eq(key_long(g[0], "hrmscope-guess ", "settled"), 2);
	ck_assert_msg(strstr(p[1], "model: tiny_maze (HRM, d 16, halt_max_steps 4), dtype bf16 (") == p[1], "%s", p[1]);
	ck_assert_msg(strstr(p[1], " dtype=bf16\n") != NULL && strstr(p[0], " dtype=fp32\n") != NULL, "%s", p[1]);
	ck_assert_int_eq(key_long(p[1], "hrmscope-probe-simple ", "right_settled"), 0);
	ck_assert_int_gt(key_long(p[0], "hrmscope-probe-simple ", "right_settled"), 0);
	for (int d = 0; d < 2; d++) {
		free(g[d]);
		free(p[d]);
	}

	/* pr: both models in the arithmetic, the PR not fp32's, the same twice */
	char *a = test_hrmscope_ok("pr --model '%s' --data '%s' --n 8 --untrained --dtype bf16", varied, mazes);
	char *b = test_hrmscope_ok("pr --model '%s' --data '%s' --n 8 --untrained --dtype bf16", varied, mazes);
	char *c = test_hrmscope_ok("pr --model '%s' --data '%s' --n 8 --untrained", varied, mazes);
	ck_assert_str_eq(a, b);
	ck_assert_msg(strstr(a, "\ndtype: bf16 (") != NULL && strstr(c, "\ndtype: fp32\n") != NULL, "%s", a);
	ck_assert_int_eq(count(a, " dtype=bf16\n"), 2);
	ck_assert_int_eq(count(c, " dtype=fp32\n"), 2);
	for (int k = 0; k < 2; k++) {
		const char *line = k ? "hrmscope-pr model=untrained" : "hrmscope-pr model=trained";
		const char *za = strstr(strstr(a, line), " zH="), *zc = strstr(strstr(c, line), " zH=");
		ck_assert_msg(atof(za + 4) != atof(zc + 4), "%s: the same PR in bf16 and fp32", line);
	}
	free(a);
	free(b);
	free(c);
}
END_TEST

/* ---- forward_dtype: the note ---- */

/* A copy of the fixture model whose config says forward_dtype: word (NULL: none). */
static char *model_saying(const char *name, const char *word)
{
	char *dir = test_path(name), *cause = NULL;
	mkdir(dir, 0755);
	size_t n;
	char *ckpt = test_slurp(MODEL "/checkpoint", 1 << 24, &n), *path = xmalloc(strlen(dir) + 32);
	sprintf(path, "%s/checkpoint", dir);
	ck_assert(write_file_atomic(path, ckpt, n, &cause) == 0);
	char *yaml = test_slurp(MODEL "/all_config.yaml", 1 << 16, NULL), *out = xmalloc(strlen(yaml) + 64);
	ck_assert(strncmp(yaml, "arch:\n", 6) == 0);
	sprintf(out, "arch:\n%s%s%s%s", word ? "  forward_dtype: " : "", word ? word : "", word ? "\n" : "", yaml + 6);
	sprintf(path, "%s/all_config.yaml", dir);
	ck_assert(write_file_atomic(path, out, strlen(out), &cause) == 0);
	free(ckpt);
	free(yaml);
	free(out);
	free(path);
	return dir;
}

START_TEST(test_forward_dtype_note)
{
	char *bf = model_saying("said_bf16", "bfloat16"), *f32 = model_saying("said_fp32", "float32");
	char *none = model_saying("said_none", NULL);
	static const char *const cmds[] = {
	    "run --model '%s' --puzzle '%s:test:0'",
	    "trace --model '%s' --puzzle '%s:test:0' --format csv",
	    "eval --model '%s' --data '%s'",
	};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		struct test_output r = test_hrmscope(cmds[i], bf, mazes);
		ck_assert_msg(r.rc == 0, "%s", r.err);
		ck_assert_msg(count(r.err, "hrmscope: said_bf16: " HINT "\n") == 1, "%s: %s", cmds[i], r.err);
		test_output_free(&r);
		/* in bf16, or trained in float32, or not said: nothing to say */
		char cmd[160];
		snprintf(cmd, sizeof cmd, "%s --dtype bf16", cmds[i]);
		r = test_hrmscope(cmd, bf, mazes);
		ck_assert_msg(r.rc == 0 && strstr(r.err, "forward_dtype") == NULL, "%s: %s", cmd, r.err);
		test_output_free(&r);
		const char *others[] = {f32, none};
		for (int k = 0; k < 2; k++) {
			r = test_hrmscope(cmds[i], others[k], mazes);
			ck_assert_msg(r.rc == 0 && strstr(r.err, "forward_dtype") == NULL, "%s: %s", cmds[i], r.err);
			test_output_free(&r);
		}
	}
	/* info shows what the config says */
	char *info = test_hrmscope_ok("info '%s'", bf);
	ck_assert_msg(strstr(info, "\n  forward_dtype bfloat16\n") != NULL, "%s", info);
	free(info);
	info = test_hrmscope_ok("info '%s'", none);
	ck_assert_msg(strstr(info, "forward_dtype") == NULL, "%s", info);
	free(info);
	/* init writes what the architecture file says, and the model says it */
	char *arch = test_path("arch_bf16.yaml"), *made = test_path("made_bf16"), *cause = NULL;
	char *yaml = test_slurp(FIXTURES_DIR "/models/tiny_maze.yaml", 1 << 16, NULL);
	char *text = xmalloc(strlen(yaml) + 64);
	sprintf(text, "%sforward_dtype: bfloat16\n", yaml);
	ck_assert(write_file_atomic(arch, text, strlen(text), &cause) == 0);
	free(test_hrmscope_ok("init --arch '%s' --vocab 6 --seq-len 25 -o '%s'", arch, made));
	char *cfg = test_path("made_bf16/all_config.yaml"), *saved = test_slurp(cfg, 1 << 16, NULL);
	ck_assert_msg(strstr(saved, "\n  forward_dtype: bfloat16\n") != NULL, "%s", saved);
	struct test_output r = test_hrmscope("run --model '%s' --puzzle '%s:test:0'", made, mazes);
	ck_assert_msg(r.rc == 0 && count(r.err, HINT) == 1, "%s", r.err);
	test_output_free(&r);
	free(saved);
	free(cfg);
	free(text);
	free(yaml);
	free(arch);
	free(made);
	free(bf);
	free(f32);
	free(none);
}
END_TEST

static Suite *dtype_suite(void)
{
	Suite *s = suite_create("dtype_cli");
	TCase *t = tcase_create("dtype");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, test_bad_dtype);
	tcase_add_test(t, test_run_trace);
	tcase_add_test(t, test_eval);
	tcase_add_test(t, test_guess_probe_pr);
	tcase_add_test(t, test_forward_dtype_note);
	suite_add_tcase(s, t);
	return s;
}

static int make_fixture(void)
{
	return test_make_varied_fixture(HRMSCOPE_BIN, false, &varied, &mazes);
}

int main(void)
{
	return test_main_setup(dtype_suite(), "check_dtype_cli", make_fixture);
}
