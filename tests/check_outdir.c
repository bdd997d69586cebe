/* check_outdir.c - the folders hrmscope writes (docs/robustness.md, "Nothing
 * lost"):
 *
 * - gen and init killed between any two renames (HRMSCOPE_DIE_AFTER_RENAMES)
 *   leave the old dataset or the new one, never a mix, and never a
 *   checkpoint beside a config that is not its own;
 * - a second process on a folder in use exits 1 naming the first one's pid;
 * - init -o and gen -o refuse to replace a model or a dataset without
 *   --force, and write nothing then. */
#include "core/util.h"

#include "test_util.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ARCH FIXTURES_DIR "/models/tiny_maze.yaml"
#define READ_MAX ((size_t)16 << 20)

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	if (stat(a, &sa) != 0 || stat(b, &sb) != 0)
		return stat(a, &sa) != 0 && stat(b, &sb) != 0; /* both missing */
	size_t na, nb;
	char *x = test_slurp(a, READ_MAX, &na), *y = test_slurp(b, READ_MAX, &nb);
	bool same = na == nb && memcmp(x, y, na) == 0;
	free(x);
	free(y);
	return same;
}

/* Runs `hrmscope ARGS` with HRMSCOPE_DIE_AFTER_RENAMES=n (0: unset). */
static struct test_output run_dying(long n, const char *args)
{
	char v[32];
	snprintf(v, sizeof v, "%ld", n);
	if (n > 0)
		setenv("HRMSCOPE_DIE_AFTER_RENAMES", v, 1);
	struct test_output r = test_hrmscope("%s", args);
	unsetenv("HRMSCOPE_DIE_AFTER_RENAMES");
	return r;
}

static const char *const dataset_files[] = {
	"identifiers.json",          "train/dataset.json",         "train/all__inputs.npy",
	"train/all__labels.npy",     "train/all__group_indices.npy", "train/all__puzzle_indices.npy",
	"train/all__puzzle_identifiers.npy", "test/dataset.json",  "test/all__inputs.npy",
	"test/all__labels.npy",      "test/all__group_indices.npy", "test/all__puzzle_indices.npy",
	"test/all__puzzle_identifiers.npy",
};

/* dir holds a (old), or b (new), file for file: 'a', 'b', or 0 for a mix */
static int which_dataset(const char *dir, const char *a, const char *b)
{
	bool all_a = true, all_b = true;
	char p[1200], pa[1200], pb[1200];
	for (size_t i = 0; i < sizeof dataset_files / sizeof dataset_files[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, dataset_files[i]);
		snprintf(pa, sizeof pa, "%s/%s", a, dataset_files[i]);
		snprintf(pb, sizeof pb, "%s/%s", b, dataset_files[i]);
		all_a &= same_file(p, pa);
		all_b &= same_file(p, pb);
	}
	return all_a ? 'a' : all_b ? 'b' : 0;
}

#define GEN_A "gen maze --size 5 --count 6 --test-count 4 --seed 1"
#define GEN_B "gen maze --size 5 --count 6 --test-count 4 --seed 2"

/* gen --force over a dataset, killed after its 1st, 2nd, ... rename until
 * it gets through: the folder is the old dataset each time, then the new */
START_TEST(test_gen_killed)
{
	char *a = test_path("gen_a"), *b = test_path("gen_b"), *d = test_path("gen_d"), args[4096];
	struct test_output r = test_hrmscope(GEN_A " -o '%s'", a);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	test_output_free(&r);
	r = test_hrmscope(GEN_B " -o '%s'", b);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	test_output_free(&r);
	r = test_hrmscope(GEN_A " -o '%s'", d);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	test_output_free(&r);
	ck_assert_int_eq(which_dataset(d, a, b), 'a');
	snprintf(args, sizeof args, GEN_B " --force -o '%s'", d);
	long n = 1;
	for (;; n++) {
		ck_assert_msg(n < 100, "gen never finished");
		r = run_dying(n, args);
		int rc = r.rc;
		test_output_free(&r);
		int got = which_dataset(d, a, b);
		if (rc == 0) {
			ck_assert_msg(got == 'b', "gen succeeded but the folder is not the new dataset");
			break;
		}
		ck_assert_msg(rc == 128 + SIGKILL || rc == -1, "gen exited %d", rc);
		ck_assert_msg(got != 0, "killed after rename %ld, the folder holds a mix of the old and the new dataset",
		              n);
	}
	/* and what is there loads */
	r = test_hrmscope("run --model '%s/models/tiny_maze' --puzzle '%s:test:3' --no-grid", FIXTURES_DIR, d);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	test_output_free(&r);
	free(a);
	free(b);
	free(d);
}
END_TEST

/* init --force over another model, killed after each rename: a checkpoint
 * is never beside a config that is not its own */
START_TEST(test_init_killed)
{
	char *a = test_path("init_a"), *b = test_path("init_b"), *d = test_path("init_d"), args[4096];
	static const char *const arch_a = "init --arch '" ARCH "' --vocab 6 --seq-len 25 --seed 1";
	static const char *const arch_b = "init --arch '" ARCH "' --vocab 6 --seq-len 36 --seed 2";
	char cka[1200], ckb[1200], cfa[1200], cfb[1200], ckd[1200], cfd[1200];
	struct test_output r = test_hrmscope("%s -o '%s'", arch_a, a);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	test_output_free(&r);
	r = test_hrmscope("%s -o '%s'", arch_b, b);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	test_output_free(&r);
	snprintf(cka, sizeof cka, "%s/checkpoint", a);
	snprintf(ckb, sizeof ckb, "%s/checkpoint", b);
	snprintf(cfa, sizeof cfa, "%s/all_config.yaml", a);
	snprintf(cfb, sizeof cfb, "%s/all_config.yaml", b);
	snprintf(ckd, sizeof ckd, "%s/checkpoint", d);
	snprintf(cfd, sizeof cfd, "%s/all_config.yaml", d);
	ck_assert(!same_file(cfa, cfb));
	for (long n = 1;; n++) {
		ck_assert_msg(n < 20, "init never finished");
		test_remove_tree(d);
		r = test_hrmscope("%s -o '%s'", arch_a, d);
		ck_assert_msg(r.rc == 0, "%s", r.err);
		test_output_free(&r);
		snprintf(args, sizeof args, "%s --force -o '%s'", arch_b, d);
		r = run_dying(n, args);
		int rc = r.rc;
		test_output_free(&r);
		bool old = same_file(ckd, cka) && same_file(cfd, cfa), new = same_file(ckd, ckb) && same_file(cfd, cfb);
		bool no_model = access(ckd, F_OK) != 0;
		ck_assert_msg(old || new || no_model, "killed after rename %ld: checkpoint and all_config.yaml of two models",
		              n);
		if (rc == 0) {
			ck_assert(new);
			break;
		}
	}
	free(a);
	free(b);
	free(d);
}
END_TEST

/* A run that holds dir: train for long, until dir/.lock names it */
static pid_t start_holder(const char *dir)
{
	char steps[] = "100000";
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		if (freopen("/dev/null", "w", stdout) == NULL || freopen("/dev/null", "w", stderr) == NULL)
			_exit(127);
		execl(HRMSCOPE_BIN, HRMSCOPE_BIN, "train", "--arch", ARCH, "--maze-size", "5", "--steps", steps,
		      "--batch", "2", "--eval-every", "0", "--checkpoint-every", "0", "--threads", "1", "--quiet", "-o",
		      dir, (char *)NULL);
		_exit(127);
	}
	char lock[1200];
	snprintf(lock, sizeof lock, "%s/.lock", dir);
	struct timespec nap = {0, 5000000};
	for (int i = 0; i < 2000; i++) {
		struct stat st;
		if (stat(lock, &st) == 0 && st.st_size > 0)
			return pid;
		nanosleep(&nap, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ck_abort_msg("the first train never took its lock");
	return -1;
}

/* a second train, init or gen on a folder in use: one line naming the pid */
START_TEST(test_in_use)
{
	char *d = test_path("busy"), want[1400];
	pid_t pid = start_holder(d);
	snprintf(want, sizeof want, "hrmscope: %s: in use by another hrmscope (pid %ld)\n", d, (long)pid);
	struct test_output r = test_hrmscope("train --arch '%s' --maze-size 5 --steps 2 --batch 2 --eval-every 0 "
	                                     "--threads 1 --quiet -o '%s'", ARCH, d);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_str_eq(r.err, want);
	test_output_free(&r);
	r = test_hrmscope("init --arch '%s' --vocab 6 --seq-len 25 --force -o '%s'", ARCH, d);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_str_eq(r.err, want);
	test_output_free(&r);
	char sub[1300];
	snprintf(sub, sizeof sub, "%s/train_log.csv", d);
	ck_assert_msg(access(sub, F_OK) == 0, "the first run wrote no log");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* the lock goes with its process */
	r = test_hrmscope("train --arch '%s' --maze-size 5 --steps 2 --batch 2 --eval-every 0 --threads 1 --quiet "
	                  "-o '%s'", ARCH, d);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	test_output_free(&r);
	/* gen: a dataset folder in use */
	char *g = test_path("busy_gen");
	r = test_hrmscope("gen maze --size 5 --count 2 --seed 1 -o '%s'", g);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	test_output_free(&r);
	free(d);
	free(g);
}
END_TEST

/* -o over a model or a dataset: refused without --force, nothing written */
START_TEST(test_refuse_replace)
{
	char *m = test_path("keep_model"), *g = test_path("keep_data"), ck[1200], want[1400];
	struct test_output r = test_hrmscope("init --arch '%s' --vocab 6 --seq-len 25 --seed 1 -o '%s'", ARCH, m);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	test_output_free(&r);
	snprintf(ck, sizeof ck, "%s/checkpoint", m);
	size_t n0, n1;
	char *before = test_slurp(ck, READ_MAX, &n0);
	r = test_hrmscope("init --arch '%s' --vocab 6 --seq-len 25 --seed 2 -o '%s'", ARCH, m);
	snprintf(want, sizeof want, "hrmscope: %s already holds a model: add --force to replace it\n", m);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_str_eq(r.err, want);
	test_output_free(&r);
	char *after = test_slurp(ck, READ_MAX, &n1);
	ck_assert(n0 == n1 && memcmp(before, after, n0) == 0);
	free(after);
	r = test_hrmscope("init --arch '%s' --vocab 6 --seq-len 25 --seed 2 --force -o '%s'", ARCH, m);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	test_output_free(&r);
	after = test_slurp(ck, READ_MAX, &n1);
	ck_assert(n0 != n1 || memcmp(before, after, n0) != 0);
	free(after);
	free(before);

	r = test_hrmscope(GEN_A " -o '%s'", g);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	test_output_free(&r);
	char *copy = test_path("keep_data_copy");
	r = test_hrmscope(GEN_A " -o '%s'", copy);
	test_output_free(&r);
	r = test_hrmscope(GEN_B " -o '%s'", g);
	snprintf(want, sizeof want, "hrmscope: %s already holds a dataset: add --force to replace it\n", g);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_str_eq(r.err, want);
	test_output_free(&r);
	ck_assert_int_eq(which_dataset(g, copy, copy), 'a');
	/* a dataset replaces its folder as a whole: never over a model */
	r = test_hrmscope(GEN_B " --force -o '%s'", m);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_msg(strstr(r.err, "is not empty and holds no dataset") != NULL, "%s", r.err);
	test_output_free(&r);
	ck_assert(access(ck, F_OK) == 0);
	free(copy);
	free(m);
	free(g);
}
END_TEST

static Suite *outdir_suite(void)
{
	Suite *s = suite_create("outdir");
	TCase *tc = tcase_create("outdir");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_gen_killed);
	tcase_add_test(tc, test_init_killed);
	tcase_add_test(tc, test_in_use);
	tcase_add_test(tc, test_refuse_replace);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(outdir_suite(), "check_outdir");
}
