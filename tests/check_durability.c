/* check_durability.c - nothing lost, nothing random (docs/robustness.md):
 *
 * - a training run killed with SIGKILL at an arbitrary moment (even while it
 *   writes a checkpoint, even leaving half a log row) and resumed ends with
 *   the same files, byte for byte, as the same run never interrupted (same
 *   seed, one BLAS thread); only the samples_per_s column of the log, a
 *   wall-clock rate, may differ;
 * - the same model, puzzle, options and thread count give byte-identical
 *   traces and run reports across runs;
 * - trace -o replaces its file whole or not at all. */
#include "io/torchzip.h"
#include "io/torchzip_write.h"
#include "core/util.h"

#include "test_util.h"

#include <check.h>
#include <stdint.h>
#include <math.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MODEL FIXTURES_DIR "/models/tiny_maze"
#define ARCH FIXTURES_DIR "/models/tiny_maze.yaml"

/* the largest file these tests read back */
#define READ_MAX ((size_t)64 << 20)

/* Starts hrmscope with argv (NULL-terminated, without the program name);
 * stdout and stderr go to the given files. */
static pid_t start(const char *const *args, const char *out, const char *err)
{
	const char *argv[64] = {HRMSCOPE_BIN};
	int n = 1;
	for (; args[n - 1] != NULL; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		if (freopen(out, "w", stdout) == NULL || freopen(err, "w", stderr) == NULL)
			_exit(127);
		execv(HRMSCOPE_BIN, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static int finish(pid_t pid)
{
	int st;
	ck_assert(waitpid(pid, &st, 0) == pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int run(const char *const *args, const char *out)
{
	char *err = test_path("stderr");
	int rc = finish(start(args, out, err));
	if (rc != 0) {
		char *e = test_slurp(err, READ_MAX, NULL);
		fprintf(stderr, "hrmscope %s ...: exit %d: %s\n", args[0], rc, e);
		free(e);
	}
	free(err);
	return rc;
}

/* Replaces the wall-clock times a trace carries besides its numbers by '#':
 * the "ms" field of a JSONL record and the "(0.1 ms)" of a text line. */
static void mask_times(char *s)
{
	char *o = s;
	for (char *p = s; *p;) {
		if (strncmp(p, "\"ms\":", 5) == 0) {
			for (p += 5; *p && *p != ',' && *p != '}'; p++)
				;
			memcpy(o, "\"ms\":#", 6); /* o is at least 6 behind p now */
			o += 6;
		} else if (*p == '(' && strstr(p, " ms)") != NULL &&
		           strspn(p + 1, "0123456789.") == (size_t)(strstr(p, " ms)") - p - 1)) {
			char *end = strstr(p, " ms)") + 4; /* before o overwrites p */
			memcpy(o, "(# ms)", 6);
			o += 6;
			p = end;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
}

static void assert_same_trace(const char *a, const char *b)
{
	size_t na, nb;
	char *x = test_slurp(a, READ_MAX, &na), *y = test_slurp(b, READ_MAX, &nb);
	mask_times(x);
	mask_times(y);
	if (strcmp(x, y) != 0) {
		size_t i = 0, line = 1, start = 0;
		for (; x[i] && x[i] == y[i]; i++)
			if (x[i] == '\n') {
				line++;
				start = i + 1;
			}
		ck_abort_msg("%s and %s differ (apart from times) at line %zu:\n%.300s\n----\n%.300s", a, b, line,
		             x + start, y + start);
	}
	(void)na;
	(void)nb;
	free(x);
	free(y);
}

static void assert_same_file(const char *a, const char *b)
{
	size_t na, nb;
	char *x = test_slurp(a, READ_MAX, &na), *y = test_slurp(b, READ_MAX, &nb);
	ck_assert_msg(na == nb && memcmp(x, y, na) == 0, "%s and %s differ", a, b);
	free(x);
	free(y);
}

/* train_log.csv without its last column (samples_per_s, a wall-clock rate) */
static char *log_without_rate(const char *path)
{
	char *s = test_slurp(path, READ_MAX, NULL), *out = xmalloc(strlen(s) + 1), *o = out;
	for (char *line = s; *line;) {
		char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		char *comma = NULL;
		for (size_t i = 0; i < n; i++)
			if (line[i] == ',')
				comma = line + i;
		size_t keep = comma ? (size_t)(comma - line) : n;
		memcpy(o, line, keep);
		o += keep;
		*o++ = '\n';
		line += n + (nl != NULL);
	}
	*o = '\0';
	free(s);
	return out;
}

/* run directory b ended as run directory a: the same checkpoints, state and
 * eval log byte for byte, and the same train_log.csv but for its wall-clock
 * samples_per_s column */
static void assert_same_run(const char *a, const char *b)
{
	static const char *const same[] = {"checkpoint", "all_config.yaml", "train_state", "eval_log.csv",
	                                   "best/checkpoint"};
	char pa[1200], pb[1200];
	for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
		snprintf(pa, sizeof pa, "%s/%s", a, same[i]);
		snprintf(pb, sizeof pb, "%s/%s", b, same[i]);
		assert_same_file(pa, pb);
	}
	snprintf(pa, sizeof pa, "%s/train_log.csv", a);
	snprintf(pb, sizeof pb, "%s/train_log.csv", b);
	char *x = log_without_rate(pa), *y = log_without_rate(pb);
	ck_assert_msg(strcmp(x, y) == 0, "%s and %s differ (apart from samples_per_s):\n%s\n----\n%s", pa, pb, x, y);
	free(x);
	free(y);
}

static long log_rows(const char *path)
{
	FILE *f = fopen(path, "r");
	long n = 0;
	int c;
	if (f == NULL)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

#define TRAIN_ARGS(dir)                                                                                                \
	"train", "--arch", ARCH, "--maze-size", "5", "--steps", "60", "--batch", "8", "--eval-every", "20",            \
	    "--eval-n", "8", "--checkpoint-every", "10", "--seed", "7", "--threads", "1", "--quiet", "-o", dir

/* Kills the run `kills` times at moments a little later each time (after
 * it has written at least one checkpoint), tears the last log row the way a
 * kill inside fprintf could, resumes, and compares with run a. */
START_TEST(test_kill_resume)
{
	char *a = test_path("run_a"), *b = test_path("run_b"), *out = test_path("out"), *err = test_path("err");
	const char *args_a[] = {TRAIN_ARGS(a), NULL};
	ck_assert_int_eq(run(args_a, out), 0);

	char *state = test_path("run_b/train_state"), *blog = test_path("run_b/train_log.csv");
	const char *args_b[] = {TRAIN_ARGS(b), NULL};
	const char *resume_b[] = {TRAIN_ARGS(b), "--resume", NULL};
	int kills = 0;
	for (int attempt = 0; attempt < 3; attempt++) {
		pid_t pid = start(attempt == 0 ? args_b : resume_b, out, err);
		/* wait for a checkpoint and a few more rows, then kill at once */
		long target = 22 + 12 * attempt;
		struct timespec nap = {0, 2000000};
		for (int i = 0; i < 5000 && (access(state, F_OK) != 0 || log_rows(blog) < target); i++) {
			if (waitpid(pid, NULL, WNOHANG) == pid) {
				pid = 0;
				break;
			}
			nanosleep(&nap, NULL);
		}
		if (pid == 0)
			break; /* finished before we could kill it (a very fast machine) */
		kill(pid, SIGKILL);
		ck_assert_int_eq(finish(pid), 128 + SIGKILL);
		kills++;
		/* half a row, as a kill in the middle of writing one leaves it */
		FILE *f = fopen(blog, "a");
		ck_assert(f != NULL);
		fputs("1", f);
		fclose(f);
	}
	ck_assert_msg(kills > 0, "the run finished before it could be killed");
	ck_assert_int_eq(run(resume_b, out), 0);

	assert_same_run(a, b);
	ck_assert_int_eq(log_rows(blog), 61); /* header + 60 steps */

	/* killed at once after the first checkpoint (step 10), before the first
	 * eval row (step 20): the eval log's header, written at the start, must
	 * be on disk with the checkpoint, or the resumed log has none */
	char *c = test_path("run_c"), *cstate = test_path("run_c/train_state");
	const char *args_c[] = {TRAIN_ARGS(c), NULL};
	const char *resume_c[] = {TRAIN_ARGS(c), "--resume", NULL};
	pid_t pid = start(args_c, out, err);
	struct timespec nap = {0, 500000};
	for (int i = 0; i < 20000 && access(cstate, F_OK) != 0; i++)
		nanosleep(&nap, NULL);
	kill(pid, SIGKILL);
	ck_assert_int_eq(finish(pid), 128 + SIGKILL);
	ck_assert_int_eq(run(resume_c, out), 0);
	assert_same_run(a, c);
	free(c);
	free(cstate);
	free(state);
	free(blog);
	free(a);
	free(b);
	free(out);
	free(err);
}
END_TEST

/* --init: a run that starts from another run's checkpoint on larger mazes
 * (RoPE) begins with exactly its weights; with lr 0 they stay, so the new
 * checkpoint holds the same tensors.  With lr > 0 they move. */
START_TEST(test_train_init)
{
	char *a = test_path("init_a"), *b = test_path("init_b"), *c = test_path("init_c"), *out = test_path("out");
	const char *args_a[] = {"train", "--arch", ARCH, "--maze-size", "5", "--steps", "5", "--batch", "4",
	                        "--eval-every", "0", "--seed", "3", "--threads", "1", "--quiet", "-o", a, NULL};
	ck_assert_int_eq(run(args_a, out), 0);
	const char *args_b[] = {"train", "--init", a, "--maze-size", "7", "--steps", "2", "--batch", "4",
	                        "--lr", "0", "--puzzle-emb-lr", "0", "--eval-every", "0", "--threads", "1",
	                        "--quiet", "-o", b, NULL};
	ck_assert_int_eq(run(args_b, out), 0);
	char pa[1200], pb[1200], pc[1200];
	snprintf(pa, sizeof pa, "%s/checkpoint", a);
	snprintf(pb, sizeof pb, "%s/checkpoint", b);
	assert_same_file(pa, pb);
	/* the new run is a 7x7 one: its config says so */
	snprintf(pb, sizeof pb, "%s/all_config.yaml", b);
	char *cfg = test_slurp(pb, READ_MAX, NULL);
	ck_assert_msg(strstr(cfg, "seq_len: 49") != NULL, "%s", cfg);
	/* and the settings it trained with, not the official defaults */
	ck_assert_msg(strstr(cfg, "\nglobal_batch_size: 4\n") != NULL && strstr(cfg, "\nlr: 0.0\n") != NULL &&
	                  strstr(cfg, "\npuzzle_emb_lr: 0.0\n") != NULL,
	              "%s", cfg);
	free(cfg);
	const char *args_c[] = {"train", "--init", a, "--maze-size", "7", "--steps", "2", "--batch", "4",
	                        "--eval-every", "0", "--threads", "1", "--quiet", "-o", c, NULL};
	ck_assert_int_eq(run(args_c, out), 0);
	snprintf(pc, sizeof pc, "%s/checkpoint", c);
	size_t na, nc;
	char *x = test_slurp(pa, READ_MAX, &na), *y = test_slurp(pc, READ_MAX, &nc);
	ck_assert_msg(na != nc || memcmp(x, y, na) != 0, "lr > 0 left the weights unchanged");
	free(x);
	free(y);
	/* refusals: both --arch and --init; a folder without a checkpoint */
	char *err = test_path("init_err"), *d = test_path("init_d");
	const char *both[] = {"train", "--arch", ARCH, "--init", a, "--maze-size", "5", "-o", d, NULL};
	ck_assert_int_ne(finish(start(both, out, err)), 0);
	char *e = test_slurp(err, READ_MAX, NULL);
	ck_assert_msg(strstr(e, "--init") != NULL, "%s", e);
	free(e);
	char *f = test_path("init_f");
	const char *none[] = {"train", "--init", d, "--maze-size", "5", "-o", f, NULL};
	ck_assert_int_ne(finish(start(none, out, err)), 0);
	e = test_slurp(err, READ_MAX, NULL);
	ck_assert_msg(strstr(e, d) != NULL && strchr(e, '\n') == strrchr(e, '\n'), "%s", e);
	free(e);
	free(err);
	free(d);
	free(f);
	free(a);
	free(b);
	free(c);
	free(out);
}
END_TEST

/* The rows of a walled-in evaluation log (eval_mix_log.csv, or with a
 * min_path column eval_path_log.csv) of a 4-step run evaluated every 2:
 * two rows, one per eval, for the one expected size, canvas and n, with
 * accuracies in range. min_path < 0: the log has no such column. */
static void check_walled_log(const char *path, int size, int canvas, int min_path, int n)
{
	char *log = test_slurp(path, 1 << 20, NULL);
	const char *head = min_path < 0 ? "step,M,size,canvas,n," : "step,M,size,canvas,min_path,n,";
	ck_assert_msg(strncmp(log, head, strlen(head)) == 0, "%s", log);
	int rows = 0;
	for (char *line = strchr(log, '\n'); line != NULL && line[1]; line = strchr(line + 1, '\n')) {
		long step;
		int M, sz, cv, L = min_path, k;
		double exact, seg1, adaptive, token;
		if (min_path < 0)
			ck_assert_msg(sscanf(line + 1, "%ld,%d,%d,%d,%d,%lf,%lf,%lf,%lf", &step, &M, &sz, &cv, &k, &exact,
			                     &seg1, &adaptive, &token) == 9, "%s", log);
		else
			ck_assert_msg(sscanf(line + 1, "%ld,%d,%d,%d,%d,%d,%lf,%lf,%lf,%lf", &step, &M, &sz, &cv, &L, &k,
			                     &exact, &seg1, &adaptive, &token) == 10, "%s", log);
		ck_assert_int_eq(step, 2 * (rows + 1));
		ck_assert_int_eq(sz, size);
		ck_assert_int_eq(cv, canvas);
		ck_assert_int_eq(L, min_path);
		ck_assert_int_eq(k, n);
		ck_assert(exact >= 0 && exact <= 1 && seg1 >= 0 && seg1 <= 1 && token > 0 && token <= 1);
		rows++;
	}
	ck_assert_msg(rows == 2, "%s", log);
	free(log);
}

/* --m-now: a resumed run goes on with the M given, not the saved one, and
 * an M above the model's halt_max_steps (4 here) is refused. */
START_TEST(test_train_m_now)
{
	char *dir = test_path("m_now"), *out = test_path("out"), *err = test_path("err");
	const char *first[] = {"train", "--arch", ARCH, "--maze-size", "5", "--m-start", "1", "--m-raise-at", "2",
	                       "--steps", "2", "--batch", "4", "--eval-every", "0", "--threads", "1", "--quiet",
	                       "-o", dir, NULL};
	ck_assert_int_eq(run(first, out), 0);
	const char *again[] = {"train", "--resume", "--maze-size", "5", "--m-now", "3", "--m-raise-at", "2",
	                       "--steps", "4", "--batch", "4", "--eval-every", "0", "--threads", "1", "--quiet",
	                       "-o", dir, NULL};
	ck_assert_int_eq(run(again, out), 0);
	char path[1200];
	snprintf(path, sizeof path, "%s/train_log.csv", dir);
	char *log = test_slurp(path, 1 << 20, NULL);
	int rows = 0;
	for (char *line = strchr(log, '\n'); line != NULL && line[1]; line = strchr(line + 1, '\n')) {
		long step;
		double lr;
		int M;
		ck_assert_msg(sscanf(line + 1, "%ld,%lf,%d,", &step, &lr, &M) == 3, "%s", log);
		ck_assert_int_eq(step, rows + 1);
		ck_assert_int_eq(M, (step <= 2 ? 1 : 3));
		rows++;
	}
	ck_assert_msg(rows == 4, "%s", log);
	free(log);
	const char *too_big[] = {"train", "--resume", "--maze-size", "5", "--m-now", "5", "--steps", "6",
	                         "--batch", "4", "--eval-every", "0", "--threads", "1", "-o", dir, NULL};
	ck_assert_int_ne(finish(start(too_big, out, err)), 0);
	char *e = test_slurp(err, READ_MAX, NULL);
	ck_assert_msg(strstr(e, "--m-now 5 is above the model's halt_max_steps 4") != NULL &&
	              strchr(e, '\n') == strrchr(e, '\n'), "%s", e);
	free(e);
	/* a saved M outside 1..halt_max_steps (or a negative step) is a damaged
	 * train_state: the resume names that file, never --m-start, and leaves
	 * it and the logs as they were */
	char state[1200], tmp[1300];
	snprintf(state, sizeof state, "%s/train_state", dir);
	snprintf(tmp, sizeof tmp, "%s.bad", state);
	char *logbefore = test_slurp(path, 1 << 20, NULL);
	int64_t saved[5];
	static const struct {
		int index;
		long value;
		const char *want;
	} bad[] = {{1, 0, "saved halt_max_steps 0 is outside 1..4"},
	           {1, 9, "saved halt_max_steps 9 is outside 1..4"},
	           {1, -3, "saved halt_max_steps -3 is outside 1..4"},
	           {0, -1, "saved step -1 / optimiser step 4 is negative"}};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct tz_archive a = {0};
		char *cause = NULL;
		ck_assert_msg(tz_load(state, &a, &cause) == 0, "%s", cause ? cause : "");
		const struct tz_tensor *c = tz_find(&a, "counters");
		ck_assert(c != NULL && c->dtype == TZ_I64 && c->numel == 5);
		int64_t *counters = c->data;
		if (i == 0) {
			memcpy(saved, counters, sizeof saved);
			ck_assert(saved[0] == 4 && saved[1] == 3 && saved[2] == 4);
		}
		memcpy(counters, saved, sizeof saved);
		counters[bad[i].index] = bad[i].value;
		ck_assert_msg(tz_save(tmp, &a, &cause) == 0, "%s", cause ? cause : "");
		tz_free(&a);
		ck_assert_int_eq(rename(tmp, state), 0);
		size_t nstate;
		char *before = test_slurp(state, READ_MAX, &nstate);
		const char *resume[] = {"train", "--resume", "--maze-size", "5", "--steps", "6", "--batch", "4",
		                        "--eval-every", "0", "--threads", "1", "-o", dir, NULL};
		ck_assert_int_ne(finish(start(resume, out, err)), 0);
		e = test_slurp(err, READ_MAX, NULL);
		char want[1400];
		snprintf(want, sizeof want, "%s: %s", state, bad[i].want);
		ck_assert_msg(strstr(e, want) != NULL && strchr(e, '\n') == strrchr(e, '\n'), "%s", e);
		ck_assert_msg(strstr(e, "--m-start") == NULL, "%s", e);
		free(e);
		size_t nafter;
		char *after = test_slurp(state, READ_MAX, &nafter), *logafter = test_slurp(path, 1 << 20, NULL);
		ck_assert(nafter == nstate && memcmp(before, after, nstate) == 0);
		ck_assert_str_eq(logbefore, logafter);
		free(before);
		free(after);
		free(logafter);
	}
	free(logbefore);
	free(dir);
	free(out);
	free(err);
}
END_TEST

/* --stop-at N saves and stops after step N with the schedule of --steps:
 * resumed, the run ends with the same files as one never stopped.  A
 * --stop-at at or before the saved step, or after --steps, is refused
 * with one line and nothing written. */
START_TEST(test_train_stop_at)
{
	char *a = test_path("whole"), *b = test_path("stopped"), *out = test_path("out"), *err = test_path("err");
	const char *args_a[] = {TRAIN_ARGS(a), NULL};
	ck_assert_int_eq(run(args_a, out), 0);
	const char *args_b[] = {TRAIN_ARGS(b), "--stop-at", "33", NULL};
	ck_assert_int_eq(finish(start(args_b, out, err)), 0);
	char *e = test_slurp(err, READ_MAX, NULL);
	ck_assert_msg(strstr(e, "stopped at step 33 of 60 (--stop-at)") != NULL, "%s", e);
	free(e);
	char *blog = test_path("stopped/train_log.csv"), *bstate = test_path("stopped/train_state");
	ck_assert_int_eq(log_rows(blog), 34); /* header + 33 steps */
	/* at or before the saved step: refused, the state and the log untouched */
	size_t nstate;
	char *before = test_slurp(bstate, READ_MAX, &nstate), *logbefore = test_slurp(blog, READ_MAX, NULL);
	const char *early[] = {TRAIN_ARGS(b), "--resume", "--stop-at", "33", NULL};
	ck_assert_int_ne(finish(start(early, out, err)), 0);
	e = test_slurp(err, READ_MAX, NULL);
	ck_assert_msg(strstr(e, "--stop-at 33 is not after the run's saved step 33") != NULL &&
	              strstr(e, "train_state") != NULL && strchr(e, '\n') == strrchr(e, '\n'), "%s", e);
	free(e);
	const char *late[] = {TRAIN_ARGS(b), "--resume", "--stop-at", "61", NULL};
	ck_assert_int_ne(finish(start(late, out, err)), 0);
	e = test_slurp(err, READ_MAX, NULL);
	ck_assert_msg(strstr(e, "--stop-at 61 is after the last step (--steps 60)") != NULL, "%s", e);
	free(e);
	size_t nafter;
	char *after = test_slurp(bstate, READ_MAX, &nafter), *logafter = test_slurp(blog, READ_MAX, NULL);
	ck_assert(nafter == nstate && memcmp(before, after, nstate) == 0);
	ck_assert_str_eq(logbefore, logafter);
	free(before);
	free(after);
	free(logbefore);
	free(logafter);
	/* resumed to the end: the same run */
	const char *resume_b[] = {TRAIN_ARGS(b), "--resume", NULL};
	ck_assert_int_eq(run(resume_b, out), 0);
	assert_same_run(a, b);
	free(blog);
	free(bstate);
	free(a);
	free(b);
	free(out);
	free(err);
}
END_TEST

/* --maze-mix: every eval also scores the smaller training sizes, walled
 * into the canvas, one row each in eval_mix_log.csv (kept on resume); a
 * size named twice in the mix is still scored once. */
/* --sudoku-givens: fresh sudokus every batch and a held-out set from another
 * stream; a run stopped and resumed is the run that never stopped, and the
 * model it writes takes sudokus (vocabulary 11, 81 cells). */
#define SUDOKU_ARGS(dir) "train", "--arch", ARCH, "--sudoku-givens", "40", "--steps", "6", "--batch", "4", \
	"--eval-every", "2", "--eval-n", "6", "--checkpoint-every", "2", "--threads", "1", "--quiet", "-o", dir
START_TEST(test_train_sudoku)
{
	char *a = test_path("sudoku_whole"), *b = test_path("sudoku_stopped"), *out = test_path("out");
	char *err = test_path("err");
	const char *args_a[] = {SUDOKU_ARGS(a), NULL};
	ck_assert_int_eq(run(args_a, out), 0);
	const char *args_b[] = {SUDOKU_ARGS(b), "--stop-at", "4", NULL};
	ck_assert_int_eq(run(args_b, out), 0);
	const char *resume_b[] = {SUDOKU_ARGS(b), "--resume", NULL};
	ck_assert_int_eq(run(resume_b, out), 0);
	assert_same_run(a, b);
	char path[1200];
	snprintf(path, sizeof path, "%s/eval_log.csv", a);
	ck_assert_int_eq(log_rows(path), 4); /* header + steps 2, 4, 6 */
	char *log = test_slurp(path, 1 << 20, NULL), *row = strchr(log, '\n') + 1;
	long step, n;
	int M;
	ck_assert_msg(sscanf(row, "%ld,%d,%ld,", &step, &M, &n) == 3 && step == 2 && n == 6, "%s", log);
	free(log);
	snprintf(path, sizeof path, "%s/all_config.yaml", a);
	char *cfg = test_slurp(path, 1 << 20, NULL);
	ck_assert_msg(strstr(cfg, "vocab_size: 11") && strstr(cfg, "seq_len: 81"), "%s", cfg);
	free(cfg);
	/* one source of samples, not two */
	const char *both[] = {"train", "--arch", ARCH, "--sudoku-givens", "40", "--maze-size", "5", "-o", a, NULL};
	ck_assert_int_eq(finish(start(both, out, err)), 2);
	char *e = test_slurp(err, READ_MAX, NULL);
	ck_assert_msg(strstr(e, "give one of --data DIR, --maze-size N or --sudoku-givens G") != NULL, "%s", e);
	free(e);
	free(a);
	free(b);
	free(out);
	free(err);
}
END_TEST

START_TEST(test_train_mix_log)
{
	char *dir = test_path("mix"), *out = test_path("out");
	const char *args[] = {"train", "--arch", ARCH, "--maze-size", "7", "--maze-mix", "5,7,5", "--steps", "4",
	                      "--batch", "4", "--eval-every", "2", "--eval-n", "6", "--threads", "1", "--quiet",
	                      "-o", dir, NULL};
	ck_assert_int_eq(run(args, out), 0);
	char path[1200];
	snprintf(path, sizeof path, "%s/eval_mix_log.csv", dir);
	check_walled_log(path, 5, 7, -1, 6);
	free(dir);
	free(out);
}
END_TEST

/* --eval-min-path: every eval also scores long-path mazes of each size with
 * room for them, one row each in eval_path_log.csv (once, even for a size
 * named twice in the mix); sizes without room are named on stderr, and a
 * run with no such size is refused. */
START_TEST(test_train_path_log)
{
	char *dir = test_path("paths"), *out = test_path("out"), *err = test_path("err");
	const char *args[] = {"train", "--arch", ARCH, "--maze-size", "7", "--maze-mix", "5,7,7", "--steps", "4",
	                      "--batch", "4", "--eval-every", "2", "--eval-n", "6", "--eval-min-path", "4",
	                      "--threads", "1", "-o", dir, NULL};
	ck_assert_int_eq(finish(start(args, out, err)), 0);
	char *e = test_slurp(err, READ_MAX, NULL);
	ck_assert_msg(strstr(e, "5x5 mazes left out") != NULL, "%s", e);
	free(e);
	char path[1200];
	snprintf(path, sizeof path, "%s/eval_path_log.csv", dir);
	check_walled_log(path, 7, 7, 4, 6);
	char *none = test_path("paths_none");
	const char *no_room[] = {"train", "--arch", ARCH, "--maze-size", "7", "--eval-min-path", "9", "-o", none, NULL};
	ck_assert_int_ne(finish(start(no_room, out, err)), 0);
	e = test_slurp(err, READ_MAX, NULL);
	ck_assert_msg(strstr(e, "--eval-min-path 9") != NULL && strstr(e, "at most 16") != NULL &&
	              strchr(e, '\n') == strrchr(e, '\n'), "%s", e);
	free(e);
	const char *data[] = {"train", "--arch", ARCH, "--data", dir, "--eval-min-path", "3", "-o", none, NULL};
	ck_assert_int_ne(finish(start(data, out, err)), 0);
	e = test_slurp(err, READ_MAX, NULL);
	ck_assert_msg(strstr(e, "--eval-min-path needs generated mazes") != NULL, "%s", e);
	free(e);
	free(none);
	free(dir);
	free(out);
	free(err);
}
END_TEST

/* A 5x5 maze dataset for the fixture model (made once). */
static const char *dataset(void)
{
	static char *ds;
	if (ds == NULL) {
		ds = test_path("ds");
		char *out = test_path("gen.out");
		const char *args[] = {"gen", "maze",   "--size", "5",  "--count", "2", "--test-count",
		                      "4",   "--seed", "3",      "-o", ds,        NULL};
		ck_assert_int_eq(run(args, out), 0);
		free(out);
	}
	return ds;
}

START_TEST(test_trace_deterministic)
{
	static const char *const threads[] = {"1", "2"};
	static const char *const formats[] = {"csv", "jsonl", "text"};
	char spec[1200];
	snprintf(spec, sizeof spec, "%s:test:2", dataset());
	for (int f = 0; f < 3; f++)
		for (int t = 0; t < 2; t++) {
			char *o1 = test_path("trace1"), *o2 = test_path("trace2");
			const char *args[] = {"trace",      "--model",  MODEL,      "--puzzle", spec,
			                      "--segments", "6",        "--batch",  "3",        "--threads",
			                      threads[t],   "--format", formats[f], NULL};
			ck_assert_int_eq(run(args, o1), 0);
			ck_assert_int_eq(run(args, o2), 0);
			if (f == 0)
				assert_same_file(o1, o2); /* CSV has no times at all */
			else
				assert_same_trace(o1, o2);
			free(o1);
			free(o2);
		}
	for (int t = 0; t < 2; t++) {
		char *o1 = test_path("run1"), *o2 = test_path("run2");
		const char *args[] = {"run",         "--model", MODEL,       "--puzzle", spec,
		                      "--max-steps", "6",       "--threads", threads[t], NULL};
		ck_assert_int_eq(run(args, o1), 0);
		ck_assert_int_eq(run(args, o2), 0);
		assert_same_file(o1, o2);
		free(o1);
		free(o2);
	}
}
END_TEST

static int count_temporaries(void)
{
	DIR *d = opendir(test_tmpdir());
	int n = 0;
	for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
		n += strstr(e->d_name, ".tmp.") != NULL;
	if (d != NULL)
		closedir(d);
	return n;
}

START_TEST(test_trace_file_whole)
{
	char *file = test_path("kept.csv"), *out = test_path("out"), *cause = NULL;
	ck_assert(write_file_atomic(file, "old\n", 4, &cause) == 0);
	/* a failing run leaves the old file */
	const char *bad[] = {"trace", "--model", FIXTURES_DIR "/bad/truncated", "-o", file, NULL};
	ck_assert_int_eq(run(bad, out), 1);
	size_t n;
	char *s = test_slurp(file, READ_MAX, &n);
	ck_assert_str_eq(s, "old\n");
	free(s);
	/* a good one replaces it whole */
	const char *good[] = {"trace", "--model",  MODEL, "--seq-len", "25", "--segments",
	                      "2",     "--format", "csv", "-o",        file, NULL};
	ck_assert_int_eq(run(good, out), 0);
	s = test_slurp(file, READ_MAX, &n);
	ck_assert_msg(strncmp(s, "kind,segment,", 13) == 0 && s[n - 1] == '\n', "%s", s);
	free(s);
	ck_assert_int_eq(count_temporaries(), 0);
	/* a device is written in place, never renamed over */
	const char *dev[] = {"trace", "--model", MODEL, "--seq-len", "25", "--segments", "1", "-o", "/dev/null", NULL};
	ck_assert_int_eq(run(dev, out), 0);
	struct stat st;
	ck_assert(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
	free(file);
	free(out);
}
END_TEST

/* Every value of a train_state is checked before a resumed run computes
 * with it: a bool byte of 2, a row's segment count far beyond M, a NaN
 * weight, a negative second moment, a tensor the trainer never writes.
 * Each is refused naming the file, and the file stays as it was. */
static void corrupt_state(const char *state, const char *name, size_t offset, const void *bytes, size_t len)
{
	struct tz_archive a = {0};
	char *cause = NULL, tmp[1300];
	ck_assert_msg(tz_load(state, &a, &cause) == 0, "%s", cause ? cause : "");
	if (offset == (size_t)-1) { /* add a tensor of this name */
		a.tensors = realloc(a.tensors, (a.count + 1) * sizeof *a.tensors);
		struct tz_tensor *t = &a.tensors[a.count++];
		memset(t, 0, sizeof *t);
		t->name = strdup(name);
		t->dtype = TZ_F32;
		t->ndim = 1;
		t->shape[0] = t->numel = 1;
		t->data = calloc(1, 4);
	} else {
		struct tz_tensor *t = (struct tz_tensor *)tz_find(&a, name);
		ck_assert_msg(t != NULL, "%s", name);
		memcpy((char *)t->data + offset, bytes, len);
	}
	snprintf(tmp, sizeof tmp, "%s.bad", state);
	ck_assert_msg(tz_save(tmp, &a, &cause) == 0, "%s", cause ? cause : "");
	tz_free(&a);
	ck_assert_int_eq(rename(tmp, state), 0);
}

START_TEST(test_train_state_values)
{
	char *dir = test_path("values"), *out = test_path("out"), *err = test_path("err");
	const char *first[] = {"train", "--arch", ARCH, "--maze-size", "5", "--steps", "2", "--batch", "4",
	                       "--eval-every", "0", "--threads", "1", "--quiet", "-o", dir, NULL};
	ck_assert_int_eq(run(first, out), 0);
	char state[1200], keep[1300];
	snprintf(state, sizeof state, "%s/train_state", dir);
	snprintf(keep, sizeof keep, "%s.good", state);
	size_t ngood;
	char *good = test_slurp(state, READ_MAX, &ngood);
	const uint8_t two = 2;
	const int32_t big = INT32_MAX;
	const float nan = NAN, neg = -1.0f;
	static const char *const wants[] = {
	    "'batch.halted' holds the byte 2 at 1, not a bool",
	    "row 2 has run 2147483647 segments, outside 0..4",
	    "'param_arena' holds nan at 3: a state to resume must be finite",
	    "'adam_v' holds -1 at 0: a state to resume must be finite and >= 0",
	    "unexpected entry 'extra' (not a train_state of this hrmscope?)",
	};
	for (size_t i = 0; i < sizeof wants / sizeof wants[0]; i++) {
		FILE *f = fopen(state, "wb");
		ck_assert(f != NULL && fwrite(good, 1, ngood, f) == ngood && fclose(f) == 0);
		if (i == 0)
			corrupt_state(state, "batch.halted", 1, &two, 1);
		else if (i == 1)
			corrupt_state(state, "batch.steps", 2 * sizeof big, &big, sizeof big);
		else if (i == 2)
			corrupt_state(state, "param_arena", 3 * sizeof nan, &nan, sizeof nan);
		else if (i == 3)
			corrupt_state(state, "adam_v", 0, &neg, sizeof neg);
		else
			corrupt_state(state, "extra", (size_t)-1, NULL, 0);
		size_t nbefore;
		char *before = test_slurp(state, READ_MAX, &nbefore);
		const char *resume[] = {"train", "--resume", "--maze-size", "5", "--steps", "4", "--batch", "4",
		                        "--eval-every", "0", "--threads", "1", "--quiet", "-o", dir, NULL};
		ck_assert_int_ne(finish(start(resume, out, err)), 0);
		char *e = test_slurp(err, READ_MAX, NULL), want[1400];
		snprintf(want, sizeof want, "%s: %s", state, wants[i]);
		ck_assert_msg(strstr(e, want) != NULL && strchr(e, '\n') == strrchr(e, '\n'), "want [%s]\ngot %s", want, e);
		free(e);
		size_t nafter;
		char *after = test_slurp(state, READ_MAX, &nafter);
		ck_assert(nafter == nbefore && memcmp(before, after, nbefore) == 0);
		free(before);
		free(after);
	}
	free(good);
	free(dir);
	free(out);
	free(err);
}
END_TEST

static Suite *durability_suite(void)
{
	Suite *s = suite_create("durability");
	TCase *tc = tcase_create("durability");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_kill_resume);
	tcase_add_test(tc, test_train_init);
	tcase_add_test(tc, test_train_sudoku);
	tcase_add_test(tc, test_train_mix_log);
	tcase_add_test(tc, test_train_path_log);
	tcase_add_test(tc, test_train_m_now);
	tcase_add_test(tc, test_train_state_values);
	tcase_add_test(tc, test_train_stop_at);
	tcase_add_test(tc, test_trace_deterministic);
	tcase_add_test(tc, test_trace_file_whole);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(durability_suite(), "check_durability");
}
