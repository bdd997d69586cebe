/* check_fuzz_replay.c - every seed of fuzz/corpus/TARGET and every input a
 * fuzzer once crashed on (tests/fixtures/fuzz/TARGET) run through the same
 * fuzz target code that `make fuzz` builds for libFuzzer.  A target abort()s
 * when a loader misbehaves; under --enable-asan this is also the sanitizer
 * check of each input. */
#include "fuzz.h"

#include "test_util.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	int (*run)(const uint8_t *, size_t);
} targets[] = {
    {"checkpoint", fuzz_checkpoint},
    {"config", fuzz_config},
    {"npy", fuzz_npy},
    {"dataset_json", fuzz_dataset_json},
    {"eval_summary", fuzz_eval_summary},
    {"train_state", fuzz_train_state},
    {"arc", fuzz_arc},
    {"maze", fuzz_maze},
    {"sudoku", fuzz_sudoku},
};

static int replay_dir(const char *dir, int (*run)(const uint8_t *, size_t))
{
	DIR *d = opendir(dir);
	int n = 0;
	if (d == NULL)
		return 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (e->d_name[0] == '.' || strcmp(e->d_name, "README.md") == 0)
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "rb");
		ck_assert_msg(f != NULL, "cannot open %s", path);
		fseek(f, 0, SEEK_END);
		long len = ftell(f);
		rewind(f);
		uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
		ck_assert(buf != NULL && fread(buf, 1, (size_t)len, f) == (size_t)len);
		fclose(f);
		/* the exact size, so that a read past the end is an ASan error */
		uint8_t *exact = malloc(len > 0 ? (size_t)len : 1);
		memcpy(exact, buf, (size_t)len);
		run(exact, (size_t)len);
		free(exact);
		free(buf);
		n++;
	}
	closedir(d);
	return n;
}

START_TEST(test_replay)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/%s", FUZZ_CORPUS_DIR, targets[_i].name);
	int seeds = replay_dir(dir, targets[_i].run);
	ck_assert_msg(seeds > 0, "no seeds in %s", dir);
	snprintf(dir, sizeof dir, "%s/fuzz/%s", FIXTURES_DIR, targets[_i].name);
	replay_dir(dir, targets[_i].run);
}
END_TEST

static Suite *fuzz_replay_suite(void)
{
	Suite *s = suite_create("fuzz_replay");
	TCase *tc = tcase_create("replay");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_replay, 0, (int)(sizeof targets / sizeof targets[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(fuzz_replay_suite(), "check_fuzz_replay");
}
