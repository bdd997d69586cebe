/* test_util.h - helpers shared by the test programs: their main(), the
 * private temporary folder, reading and writing scratch files, running the
 * built hrmscope, and the livelier variant of the fixture model. */
#ifndef HRM_TEST_UTIL_H
#define HRM_TEST_UTIL_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>

/* The whole main() of a Check program: makes a private temporary folder
 * ("$TMPDIR/<name>.XXXXXX", /tmp without TMPDIR) before Check forks the
 * tests, so that every test sees the same one; runs s with CK_NORMAL output
 * (timeouts, loop tests and fork mode as s and the environment set them);
 * removes the folder and all in it; returns EXIT_SUCCESS when no test
 * failed, else EXIT_FAILURE. */
int test_main(Suite *s, const char *name);
/* test_main with setup() run once, after the folder is made and before the
 * tests (fixtures that the tests share); when setup returns nonzero no test
 * runs and the program fails.  setup must not use ck_assert. */
int test_main_setup(Suite *s, const char *name, int (*setup)(void));

/* The temporary folder of test_main (aborts outside it). */
const char *test_tmpdir(void);
/* "<test_tmpdir()>/<name>", malloc'd. */
char *test_path(const char *name);
/* Writes text to test_path(name) (asserting that it could) and returns that path. */
char *test_write_tmp(const char *name, const char *text);
/* The whole file (at most max bytes, asserted), malloc'd and NUL-terminated;
 * its length goes to *len when len is not NULL. */
char *test_slurp(const char *path, size_t max, size_t *len);

/* What a command printed, and its exit status (-1 when it did not exit). */
struct test_output {
	int rc;
	char *out, *err;
};
/* Runs `'bin' ARGS` through the shell (ARGS, a shell fragment, from fmt) with
 * stdin from /dev/null and stdout and stderr captured. */
struct test_output test_run(const char *bin, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* stdout of `'bin' ARGS`, whose exit status must be 0 (asserted). */
char *test_run_ok(const char *bin, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void test_output_free(struct test_output *r);

/* The built binary, for the programs compiled with -DHRMSCOPE_BIN. */
#ifdef HRMSCOPE_BIN
#define test_hrmscope(...) test_run(HRMSCOPE_BIN, __VA_ARGS__)
#define test_hrmscope_ok(...) test_run_ok(HRMSCOPE_BIN, __VA_ARGS__)
#endif

/* Saves to `to` the model at `from` with a random Q head (seed 12345; so that
 * q_halt > q_continue happens at different segments) and its L-level qkv
 * weights scaled by 1.6 (so that the answer keeps changing for a while); with
 * halt_bias, the Q head's biases become -2 (halt) and 0 (continue).  Returns
 * 0, or -1 after printing why to stderr (for set-up, outside the tests). */
int test_make_varied_model(const char *from, const char *to, bool halt_bias);

/* Runs `'bin' gen maze` for the small dataset the command tests share: 5x5
 * mazes, 2 for training and 8 for test, seed 11, in dir.  Returns 0, or -1
 * after printing why (for set-up, outside the tests). */
int test_gen_small_mazes(const char *bin, const char *dir);

/* The set-up of the command tests on mazes (check_guess_cli, check_probe), in
 * test_tmpdir(): "varied", test_make_varied_model of the tiny_maze fixture
 * model (with halt_bias as given), and "mazes", test_gen_small_mazes' dataset;
 * their paths (malloc'd) go to *varied and *mazes.  Returns 0, or -1 after
 * printing why (for set-up, outside the tests). */
int test_make_varied_fixture(const char *bin, bool halt_bias, char **varied, char **mazes);

/* Writes text to the scratch file `name`; loading it as a puzzle must fail
 * with one line that names the file and says `what` (asserted). */
void test_bad_puzzle(const char *name, const char *text, const char *what);

/* Removes path and, when it is a directory, everything below it (symlinks
 * are removed, never followed).  Missing paths are fine. */
void test_remove_tree(const char *path);

#endif
