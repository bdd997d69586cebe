/* check_model.c - model allocation, the official init, parameter count,
 * save/load round trip, and every bad checkpoint in tests/fixtures/bad. */
#include "model/hrm.h"
#include "io/checkpoint.h"
#include "io/torchzip.h"
#include "core/fmap.h"
#include "core/util.h"

#include "test_util.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void load_arch(struct hrm_config *c, int vocab, int seq_len, int ids)
{
	char *cause = NULL;
	hrm_config_default(c);
	ck_assert_msg(hrm_config_load_yaml(FIXTURES_DIR "/../../models/hrm_v1.yaml", c, &cause) == 0, "%s", cause);
	c->vocab_size = vocab;
	c->seq_len = seq_len;
	c->num_puzzle_identifiers = ids;
}

/* The official training logs report 27,275,266 trainable parameters for
 * hrm_v1 with the sudoku vocabulary (11 tokens); buffers are not counted. */
START_TEST(test_param_count_hrm_v1)
{
	struct hrm_config c;
	struct hrm_model m;
	char *cause = NULL;
	load_arch(&c, 11, 81, 1);
	ck_assert_msg(hrm_model_alloc(&m, &c, &cause) == 0, "%s", cause);
	ck_assert_uint_eq(hrm_model_param_count(&m, false), 27275266u);
	/* buffers: H_init, L_init (512 each) and one 512-wide puzzle embedding */
	ck_assert_uint_eq(hrm_model_param_count(&m, true), 27275266u + 3 * 512);
	hrm_model_free(&m);
}
END_TEST

static double stddev(const float *v, size_t n, double *maxabs)
{
	double s = 0, ss = 0;
	*maxabs = 0;
	for (size_t i = 0; i < n; i++) {
		s += v[i];
		ss += (double)v[i] * v[i];
		if (fabs(v[i]) > *maxabs)
			*maxabs = fabs(v[i]);
	}
	double mean = s / (double)n;
	return sqrt(ss / (double)n - mean * mean);
}

START_TEST(test_official_init)
{
	struct hrm_config c;
	struct hrm_model m;
	char *cause = NULL;
	hrm_config_default(&c);
	c.hidden_size = 128;
	c.num_heads = 2;
	c.puzzle_emb_ndim = 128;
	c.vocab_size = 6;
	c.seq_len = 16;
	c.num_puzzle_identifiers = 2;
	ck_assert_msg(hrm_model_alloc(&m, &c, &cause) == 0, "%s", cause);
	hrm_model_init_random(&m, 1);
	double mx, sd;
	/* LeCun: std 1/sqrt(fan_in), truncated at 2 std of the underlying normal */
	sd = stddev(m.w.H[0].qkv, (size_t)3 * 128 * 128, &mx);
	ck_assert_msg(fabs(sd - 1 / sqrt(128.0)) < 0.02 / sqrt(128.0) * 5, "qkv std %g", sd);
	ck_assert_msg(mx <= 2.0 * 1.1368 / sqrt(128.0), "qkv max %g beyond the truncation", mx);
	sd = stddev(m.w.L[1].down, (size_t)128 * m.cfg.inter, &mx);
	ck_assert_msg(fabs(sd - 1 / sqrt((double)m.cfg.inter)) < 0.05 / sqrt((double)m.cfg.inter), "down std %g", sd);
	sd = stddev(m.w.embed_tokens, 6 * 128, &mx);
	ck_assert_msg(fabs(sd - 1 / sqrt(128.0)) < 0.1 / sqrt(128.0), "embedding std %g", sd);
	sd = stddev(m.w.H_init, 128, &mx);
	ck_assert_msg(sd > 0.8 && sd < 1.2, "H_init std %g", sd);
	for (int i = 0; i < 128; i++) {
		/* bfloat16 values: the low 16 bits of the float are zero */
		uint32_t bits;
		memcpy(&bits, &m.w.H_init[i], 4);
		ck_assert_uint_eq(bits & 0xffff, 0);
		ck_assert(m.w.q_head_w[i] == 0.0f && m.w.q_head_w[128 + i] == 0.0f);
		ck_assert(m.w.puzzle_emb[i] == 0.0f);
	}
	ck_assert(m.w.q_head_b[0] == -5.0f && m.w.q_head_b[1] == -5.0f);
	/* different seeds give different weights, the same seed the same */
	struct hrm_model m2;
	ck_assert(hrm_model_alloc(&m2, &c, &cause) == 0);
	hrm_model_init_random(&m2, 1);
	ck_assert(memcmp(m.arena, m2.arena, m.arena_floats * sizeof(float)) == 0);
	hrm_model_init_random(&m2, 2);
	ck_assert(memcmp(m.arena, m2.arena, m.arena_floats * sizeof(float)) != 0);
	hrm_model_free(&m2);
	hrm_model_free(&m);
}
END_TEST

START_TEST(test_save_load_roundtrip)
{
	struct hrm_config c;
	struct hrm_model m, back;
	char *cause = NULL;
	hrm_config_default(&c);
	c.hidden_size = 32;
	c.num_heads = 2;
	c.H_layers = 1;
	c.L_layers = 2;
	c.puzzle_emb_ndim = 40;
	c.pos_encodings = HRM_POS_LEARNED;
	c.vocab_size = 12;
	c.seq_len = 10;
	c.num_puzzle_identifiers = 3;
	ck_assert(hrm_model_alloc(&m, &c, &cause) == 0);
	hrm_model_init_random(&m, 5);
	m.w.puzzle_emb[7] = 0.25f; /* not all zero */
	char dir[] = "/tmp/hrm_ckXXXXXX";
	ck_assert(mkdtemp(dir) != NULL);
	ck_assert_msg(hrm_model_save(&m, dir, &cause) == 0, "%s", cause);
	ck_assert_msg(hrm_model_load(&back, dir, &cause) == 0, "%s", cause);
	ck_assert_int_eq(back.cfg.vocab_size, 12);
	ck_assert_int_eq(back.cfg.seq_len, 10);
	ck_assert_int_eq(back.cfg.num_puzzle_identifiers, 3);
	ck_assert_int_eq(back.cfg.puzzle_emb_len, 2);
	ck_assert(back.cfg.pos_encodings == HRM_POS_LEARNED);
	/* the puzzle table stays in the file; the trainer's copy holds all */
	ck_assert(back.map != NULL);
	ck_assert_uint_eq(back.arena_floats, m.arena_floats - 3 * 40);
	ck_assert(memcmp(back.w.puzzle_emb, m.w.puzzle_emb, 3 * 40 * sizeof(float)) == 0);
	ck_assert_msg(hrm_model_own(&back, &cause) == 0, "%s", cause);
	ck_assert(back.map == NULL);
	ck_assert_uint_eq(back.arena_floats, m.arena_floats);
	ck_assert(memcmp(back.arena, m.arena, m.arena_floats * sizeof(float)) == 0);
	hrm_model_free(&back);
	hrm_model_free(&m);
	char p[64];
	snprintf(p, sizeof p, "%s/checkpoint", dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/all_config.yaml", dir);
	unlink(p);
	rmdir(dir);
}
END_TEST

/* Each bad fixture: load fails (or warns), with one line naming the file and the problem. */
static const struct {
	const char *name;
	const char *file_part;  /* must appear in the message */
	const char *problem;    /* must appear in the message */
	bool loads_with_warning;
} bad_cases[] = {
	{ "wrong_shape", "checkpoint", "shape", false },
	{ "missing_tensor", "checkpoint", "missing tensor", false },
	{ "nan_weights", "checkpoint", "NaN", true },
	{ "config_mismatch", "all_config.yaml", "hidden", false },
	{ "evil_global", "checkpoint", "os.system", false },
	{ "huge_size", "checkpoint", "storage", false },
	{ "truncated", "checkpoint", "zip", false },
	{ "not_zip", "checkpoint", "zip", false },
};

START_TEST(test_bad_checkpoints)
{
	char dir[512];
	snprintf(dir, sizeof dir, "%s/bad/%s", FIXTURES_DIR, bad_cases[_i].name);
	struct hrm_model m;
	char *cause = NULL;
	int rc = hrm_model_load(&m, dir, &cause);
	const char *msg = bad_cases[_i].loads_with_warning ? m.warning : cause;
	if (bad_cases[_i].loads_with_warning)
		ck_assert_msg(rc == 0, "%s: expected to load with a warning, got: %s", dir, cause);
	else
		ck_assert_msg(rc == -1, "%s: loaded, but must be rejected", dir);
	ck_assert_msg(msg != NULL && msg[0], "%s: no message", dir);
	ck_assert_msg(strstr(msg, bad_cases[_i].file_part) != NULL, "%s: message does not name the file: %s", dir, msg);
	ck_assert_msg(strstr(msg, bad_cases[_i].problem) != NULL, "%s: message does not say '%s': %s", dir,
		      bad_cases[_i].problem, msg);
	ck_assert_msg(strchr(msg, '\n') == NULL, "%s: message is not one line: %s", dir, msg);
	if (rc == 0)
		hrm_model_free(&m);
	free(cause);
}
END_TEST

START_TEST(test_missing_config)
{
	char dir[] = "/tmp/hrm_nocfgXXXXXX";
	ck_assert(mkdtemp(dir) != NULL);
	struct hrm_model m;
	char *cause = NULL;
	ck_assert(hrm_model_load(&m, dir, &cause) == -1);
	ck_assert_msg(strstr(cause, "all_config.yaml") != NULL, "%s", cause);
	free(cause);
	rmdir(dir);
}
END_TEST

/* ---- a large puzzle table: mapped, checked when read in full ---- */

#define BIG_IDS 4000 /* x 40 floats: 640 KB, many pages */

static const float MARK = 0.123456789f, MARK2 = -0.987654321f;

/* A model with BIG_IDS puzzle rows saved in a new folder (dir: 32 bytes);
 * row r of the table is r + 0.5, row 1000 starts with eight MARKs. */
static void save_big(char *dir, struct hrm_model *m)
{
	struct hrm_config c;
	char *cause = NULL;
	hrm_config_default(&c);
	c.hidden_size = 32;
	c.num_heads = 2;
	c.H_layers = 1;
	c.L_layers = 1;
	c.puzzle_emb_ndim = 40;
	c.vocab_size = 12;
	c.seq_len = 10;
	c.num_puzzle_identifiers = BIG_IDS;
	ck_assert(hrm_model_alloc(m, &c, &cause) == 0);
	hrm_model_init_random(m, 3);
	for (size_t r = 0; r < BIG_IDS; r++)
		for (size_t k = 0; k < 40; k++)
			m->w.puzzle_emb[r * 40 + k] = (float)r + 0.5f;
	for (int k = 0; k < 8; k++) {
		m->w.puzzle_emb[1000 * 40 + k] = MARK;
		m->w.lm_head[k] = MARK2;
	}
	strcpy(dir, "/tmp/hrm_bigXXXXXX");
	ck_assert(mkdtemp(dir) != NULL);
	ck_assert_msg(hrm_model_save(m, dir, &cause) == 0, "%s", cause);
}

/* Where eight floats of value mark start in the file. */
static long mark_offset(const char *path, float mark)
{
	size_t len;
	char *buf = test_slurp(path, (size_t)1 << 26, &len);
	float pat[8];
	for (int k = 0; k < 8; k++)
		pat[k] = mark;
	long off = -1;
	for (size_t i = 0; off < 0 && i + sizeof pat <= len; i++)
		if (memcmp(buf + i, pat, sizeof pat) == 0)
			off = (long)i;
	ck_assert(off >= 0);
	free(buf);
	return off;
}

static void remove_big(const char *dir)
{
	char p[96];
	snprintf(p, sizeof p, "%s/checkpoint", dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/all_config.yaml", dir);
	unlink(p);
	rmdir(dir);
}

static void flip_byte(const char *path, long off)
{
	FILE *f = fopen(path, "r+b");
	ck_assert(f != NULL);
	ck_assert(fseek(f, off, SEEK_SET) == 0);
	int c = fgetc(f);
	ck_assert(fseek(f, off, SEEK_SET) == 0);
	fputc(c ^ 0x40, f);
	ck_assert(fclose(f) == 0);
}

START_TEST(test_mapped_table_crc)
{
	char dir[32], ck[96], *cause = NULL;
	struct hrm_model m, back;
	save_big(dir, &m);
	snprintf(ck, sizeof ck, "%s/checkpoint", dir);
	long off = mark_offset(ck, MARK);
	ck_assert_int_eq(off % 64, 1000 * 40 * 4 % 64); /* the table's entry is aligned */
	flip_byte(ck, off + 4 * 40 * 2000);   /* row 3000 */
	/* loads: the table is not read, only the rows a puzzle uses */
	ck_assert_msg(hrm_model_load(&back, dir, &cause) == 0, "%s", cause);
	ck_assert(back.map != NULL);
	ck_assert(back.w.puzzle_emb[7 * 40] == 7.5f);
	ck_assert(back.w.puzzle_emb < back.arena || back.w.puzzle_emb >= back.arena + back.arena_floats);
	/* read in full (the trainer's copy): the CRC is compared */
	ck_assert_int_eq(hrm_model_own(&back, &cause), -1);
	ck_assert_msg(strstr(cause, ck) && strstr(cause, "puzzle_emb.weights") && strstr(cause, "CRC"), "%s", cause);
	ck_assert(back.map != NULL); /* unchanged */
	free(cause);
	cause = NULL;
	hrm_model_free(&back);
	/* any other tensor is compared at load */
	flip_byte(ck, off + 4 * 40 * 2000);
	flip_byte(ck, mark_offset(ck, MARK2) + 5);   /* in lm_head.weight */
	ck_assert_int_eq(hrm_model_load(&back, dir, &cause), -1);
	ck_assert_msg(strstr(cause, ck) && strstr(cause, "CRC"), "%s", cause);
	free(cause);
	hrm_model_free(&m);
	remove_big(dir);
}
END_TEST

/* The file cut short while the model is loaded: the rows gone read as zeros,
 * no SIGBUS kills the process, and the mapping says what happened. */
START_TEST(test_mapped_table_truncated)
{
	char dir[32], ck[96], *cause = NULL;
	struct hrm_model m, back;
	save_big(dir, &m);
	snprintf(ck, sizeof ck, "%s/checkpoint", dir);
	long off = mark_offset(ck, MARK);
	ck_assert_msg(hrm_model_load(&back, dir, &cause) == 0, "%s", cause);
	ck_assert(back.w.puzzle_emb[5 * 40 + 1] == 5.5f);
	ck_assert_int_eq(fmap_check(back.map, &cause), 0);
	ck_assert_int_eq(truncate(ck, off + 4 * 40 * 100), 0);  /* rows 1100 and on are gone */
	volatile float v = back.w.puzzle_emb[3500 * 40 + 3];
	ck_assert(v == 0.0f);
	ck_assert_int_eq(fmap_check(back.map, &cause), -1);
	ck_assert_msg(strstr(cause, ck) && strstr(cause, "changed while open"), "%s", cause);
	ck_assert(strchr(cause, '\n') == NULL);
	free(cause);
	cause = NULL;
	ck_assert_int_eq(hrm_model_own(&back, &cause), -1);
	ck_assert_msg(strstr(cause, "changed while open"), "%s", cause);
	free(cause);
	cause = NULL;
	hrm_model_free(&back);
	ck_assert_int_eq(fmap_check_all(&cause), -1); /* remembered after release */
	free(cause);
	/* and a file cut short before it is opened is refused */
	cause = NULL;
	ck_assert_int_eq(hrm_model_load(&back, dir, &cause), -1);
	ck_assert_msg(strstr(cause, ck) && strstr(cause, "zip"), "%s", cause);
	free(cause);
	hrm_model_free(&m);
	remove_big(dir);
}
END_TEST

static Suite *model_suite(void)
{
	Suite *s = suite_create("model");
	TCase *tc = tcase_create("model");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_param_count_hrm_v1);
	tcase_add_test(tc, test_official_init);
	tcase_add_test(tc, test_save_load_roundtrip);
	tcase_add_loop_test(tc, test_bad_checkpoints, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
	tcase_add_test(tc, test_missing_config);
	tcase_add_test(tc, test_mapped_table_crc);
	tcase_add_test(tc, test_mapped_table_truncated);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(model_suite(), "check_model");
}
