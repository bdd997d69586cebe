/* test_util.c - helpers shared by the test programs. */
#include "test_util.h"
#include "model/hrm.h"
#include "io/checkpoint.h"
#include "puzzles/puzzle.h"
#include "core/rng.h"
#include "core/util.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* what test_run reads back of a command's stdout or stderr */
#define OUTPUT_MAX ((size_t)64 << 20)

/* Made by test_main before Check forks, so the forked tests inherit it. */
static char *tmpdir;

const char *test_tmpdir(void)
{
	if (tmpdir == NULL) {
		fprintf(stderr, "test_tmpdir: no temporary folder outside test_main\n");
		abort();
	}
	return tmpdir;
}

char *test_path(const char *name)
{
	const char *dir = test_tmpdir();
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

char *test_write_tmp(const char *name, const char *text)
{
	char *path = test_path(name), *cause = NULL;
	int rc = write_file_atomic(path, text, strlen(text), &cause);
	ck_assert_msg(rc == 0, "cannot write %s: %s", path, cause ? cause : "?");
	return path;
}

char *test_slurp(const char *path, size_t max, size_t *len)
{
	char *data = NULL, *cause = NULL;
	size_t n = 0;
	ck_assert_msg(read_file_all(path, max, &data, &n, &cause) == 0, "%s", cause);
	if (len != NULL)
		*len = n;
	return data;
}

static char *vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static char *vformat(const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	ck_assert(n >= 0);
	char *s = xmalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, again);
	va_end(again);
	return s;
}

/* The output files are named by the process, a forked test's own. */
static struct test_output run_args(const char *bin, const char *args)
{
	char o[64], e[64];
	snprintf(o, sizeof o, "out.%d", (int)getpid());
	snprintf(e, sizeof e, "err.%d", (int)getpid());
	char *po = test_path(o), *pe = test_path(e);
	size_t n = strlen(bin) + strlen(args) + strlen(po) + strlen(pe) + 32;
	char *cmd = xmalloc(n);
	snprintf(cmd, n, "'%s' </dev/null %s >'%s' 2>'%s'", bin, args, po, pe);
	int st = system(cmd);
	struct test_output r = { WIFEXITED(st) ? WEXITSTATUS(st) : -1, test_slurp(po, OUTPUT_MAX, NULL),
				 test_slurp(pe, OUTPUT_MAX, NULL) };
	unlink(po);
	unlink(pe);
	free(po);
	free(pe);
	free(cmd);
	return r;
}

struct test_output test_run(const char *bin, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *args = vformat(fmt, ap);
	va_end(ap);
	struct test_output r = run_args(bin, args);
	free(args);
	return r;
}

char *test_run_ok(const char *bin, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *args = vformat(fmt, ap);
	va_end(ap);
	struct test_output r = run_args(bin, args);
	ck_assert_msg(r.rc == 0, "%s %s: status %d: %s", bin, args, r.rc, r.err);
	free(r.err);
	free(args);
	return r.out;
}

void test_output_free(struct test_output *r)
{
	free(r->out);
	free(r->err);
}

int test_make_varied_model(const char *from, const char *to, bool halt_bias)
{
	struct hrm_model m;
	char *cause = NULL;
	if (hrm_model_load(&m, from, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return -1;
	}
	struct hrm_rng r;
	hrm_rng_seed(&r, 12345);
	int d = m.cfg.hidden_size;
	for (int i = 0; i < 2 * d; i++)
		m.w.q_head_w[i] = (float)(0.5 * hrm_rng_normal(&r));
	if (halt_bias) {
		m.w.q_head_b[0] = -2.0f;
		m.w.q_head_b[1] = 0.0f;
	}
	for (int l = 0; l < m.cfg.L_layers; l++)
		for (int i = 0; i < 3 * d * d; i++)
			m.w.L[l].qkv[i] *= 1.6f;
	int rc = hrm_model_save(&m, to, &cause);
	hrm_model_free(&m);
	if (rc != 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return -1;
	}
	return 0;
}

int test_gen_small_mazes(const char *bin, const char *dir)
{
	size_t n = strlen(bin) + strlen(dir) + 128;
	char *cmd = xmalloc(n);
	snprintf(cmd, n, "'%s' gen maze --size 5 --count 2 --test-count 8 --seed 11 -o '%s' >/dev/null 2>&1", bin,
		 dir);
	int rc = system(cmd);
	free(cmd);
	if (rc != 0) {
		fprintf(stderr, "cannot make the maze dataset %s\n", dir);
		return -1;
	}
	return 0;
}

int test_make_varied_fixture(const char *bin, bool halt_bias, char **varied, char **mazes)
{
	*varied = test_path("varied");
	*mazes = test_path("mazes");
	if (test_make_varied_model(FIXTURES_DIR "/models/tiny_maze", *varied, halt_bias) != 0 ||
	    test_gen_small_mazes(bin, *mazes) != 0)
		return -1;
	return 0;
}

void test_bad_puzzle(const char *name, const char *text, const char *what)
{
	struct puzzle *p = xmalloc(sizeof *p); /* large for the stack */
	char *path = test_write_tmp(name, text), *cause = NULL;
	ck_assert_int_eq(puzzle_load_file(path, p, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_msg(strstr(cause, path) != NULL, "message does not name the file: %s", cause);
	ck_assert_msg(strstr(cause, what) != NULL, "expected '%s' in: %s", what, cause);
	ck_assert_msg(strchr(cause, '\n') == NULL, "not one line: %s", cause);
	free(cause);
	free(path);
	free(p);
}

void test_remove_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	DIR *d = opendir(path);
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		size_t n = strlen(path) + strlen(e->d_name) + 2;
		char *sub = xmalloc(n);
		snprintf(sub, n, "%s/%s", path, e->d_name);
		test_remove_tree(sub);
		free(sub);
	}
	if (d != NULL)
		closedir(d);
	rmdir(path);
}

static int make_tmpdir(const char *name)
{
	const char *base = getenv("TMPDIR");
	if (base == NULL || *base == '\0')
		base = "/tmp";
	size_t n = strlen(base) + strlen(name) + 9;
	tmpdir = xmalloc(n);
	snprintf(tmpdir, n, "%s/%s.XXXXXX", base, name);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		free(tmpdir);
		tmpdir = NULL;
		return -1;
	}
	return 0;
}

int test_main_setup(Suite *s, const char *name, int (*setup)(void))
{
	SRunner *sr = srunner_create(s);
	if (make_tmpdir(name) != 0) {
		srunner_free(sr);
		return EXIT_FAILURE;
	}
	int failed = 1;
	if (setup != NULL && setup() != 0) {
		fprintf(stderr, "%s: the set-up failed; no test ran\n", name);
	} else {
		srunner_run_all(sr, CK_NORMAL);
		failed = srunner_ntests_failed(sr);
	}
	srunner_free(sr);
	test_remove_tree(tmpdir);
	struct stat st;
	if (lstat(tmpdir, &st) == 0)
		fprintf(stderr, "%s: could not remove %s\n", name, tmpdir);
	free(tmpdir);
	tmpdir = NULL;
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int test_main(Suite *s, const char *name)
{
	return test_main_setup(s, name, NULL);
}
