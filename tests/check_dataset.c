/* check_dataset.c - .npy files and the official HRM dataset folder.
 *
 * The fixtures come from numpy itself (tests/reference/make_npy_fixtures.py
 * and make_dataset_fixtures.py); the expected values below are the small
 * constructions those scripts use (np.arange and the three 4x4 mazes). */
#include "io/dataset.h"
#include "io/npy.h"
#include "io/puzzle_spec.h"
#include "core/util.h"

#include "test_util.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NPY_DIR FIXTURES_DIR "/npy/"
#define MAZE_DIR FIXTURES_DIR "/dataset/tiny_maze"

/* the files these tests read back are small */
#define READ_MAX ((size_t)1 << 20)

/* The call failed, and its one-line message names `file` and says `what`. */
#define ASSERT_FAILS(call, cause, file, what)                                                                          \
	do {                                                                                                           \
		ck_assert_msg((call) != 0, "expected failure: " #call);                                                \
		ck_assert_msg((cause) != NULL && strstr(cause, file) != NULL && strstr(cause, what) != NULL,           \
		              "message '%s' should name '%s' and say '%s'", cause ? cause : "(none)", file, what);     \
		ck_assert_msg(strchr(cause, '\n') == NULL, "message has several lines: %s", cause);                    \
		free(cause);                                                                                           \
		cause = NULL;                                                                                          \
	} while (0)

/* ---- npy reading ---- */

static struct npy_array read_ok(const char *name, enum npy_dtype dt, int ndim, int64_t numel)
{
	struct npy_array a;
	char *cause = NULL, path[512];
	snprintf(path, sizeof path, NPY_DIR "%s", name);
	ck_assert_msg(npy_read(path, &a, &cause) == 0, "%s", cause);
	ck_assert_int_eq(a.dtype, dt);
	ck_assert_int_eq(a.itemsize, npy_dtype_size(dt));
	ck_assert_int_eq(a.ndim, ndim);
	ck_assert_int_eq(a.numel, numel);
	return a;
}

START_TEST(test_npy_read_good)
{
	struct npy_array a = read_ok("i4_2d_v1.npy", NPY_DT_I4, 2, 6);
	ck_assert(a.shape[0] == 2 && a.shape[1] == 3);
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(((int32_t *)a.data)[i], i);
	npy_free(&a);

	a = read_ok("u1_1d_v2.npy", NPY_DT_U1, 1, 5); /* version 2.0 header */
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(((uint8_t *)a.data)[i], 50 * i);
	npy_free(&a);

	a = read_ok("f4_1d_v3.npy", NPY_DT_F4, 1, 3); /* version 3.0 header */
	const float f4[] = {1.5f, -2.25f, 0.0f};
	ck_assert(memcmp(a.data, f4, sizeof f4) == 0);
	npy_free(&a);

	a = read_ok("i8_0d.npy", NPY_DT_I8, 0, 1);
	ck_assert(((int64_t *)a.data)[0] == -7);
	npy_free(&a);

	a = read_ok("b1_1d.npy", NPY_DT_B1, 1, 3);
	ck_assert(memcmp(a.data, "\1\0\1", 3) == 0);
	npy_free(&a);

	a = read_ok("i1_1d.npy", NPY_DT_I1, 1, 3);
	const int8_t i1[] = {-128, 0, 127};
	ck_assert(memcmp(a.data, i1, sizeof i1) == 0);
	npy_free(&a);

	a = read_ok("u2_1d.npy", NPY_DT_U2, 1, 3);
	const uint16_t u2[] = {0, 1, 65535};
	ck_assert(memcmp(a.data, u2, sizeof u2) == 0);
	npy_free(&a);

	a = read_ok("i2_2d.npy", NPY_DT_I2, 2, 2);
	const int16_t i2[] = {-300, 300};
	ck_assert(memcmp(a.data, i2, sizeof i2) == 0);
	npy_free(&a);

	a = read_ok("f8_1d.npy", NPY_DT_F8, 1, 2);
	ck_assert(((double *)a.data)[0] == 0.1 && ((double *)a.data)[1] == -1e300);
	npy_free(&a);

	a = read_ok("u1_empty_2d.npy", NPY_DT_U1, 2, 0);
	ck_assert(a.shape[0] == 0 && a.shape[1] == 16);
	npy_free(&a);
}
END_TEST

/* Fortran order is transposed into C order on read. */
START_TEST(test_npy_fortran)
{
	struct npy_array a = read_ok("i4_2d_fortran.npy", NPY_DT_I4, 2, 6);
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(((int32_t *)a.data)[i], i);
	npy_free(&a);
	a = read_ok("i2_3d_fortran.npy", NPY_DT_I2, 3, 24);
	ck_assert(a.shape[0] == 2 && a.shape[1] == 3 && a.shape[2] == 4);
	for (int i = 0; i < 24; i++)
		ck_assert_int_eq(((int16_t *)a.data)[i], i);
	npy_free(&a);
}
END_TEST

START_TEST(test_npy_read_bad)
{
	static const struct {
		const char *file, *what;
	} bad[] = {
	    {"i4_big_endian.npy", "big-endian dtype '>i4'"},
	    {"f2_1d.npy", "unsupported dtype '<f2'"},
	    {"record.npy", "structured"},
	    {"truncated.npy", "truncated"},
	    {"truncated_header.npy", "truncated"},
	    {"shape_lies.npy", "needs 36 data bytes but the file has 24"},
	    {"bad_magic.npy", "bad magic"},
	    {"no_such_file.npy", "cannot open"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct npy_array a;
		char *cause = NULL, path[512];
		snprintf(path, sizeof path, NPY_DIR "%s", bad[i].file);
		ASSERT_FAILS(npy_read(path, &a, &cause), cause, bad[i].file, bad[i].what);
		ck_assert(a.data == NULL);
	}
}
END_TEST

START_TEST(test_npy_int32)
{
	struct npy_array a;
	char *cause = NULL;
	int32_t *v;
	ck_assert_msg(npy_read_int32(NPY_DIR "u1_1d_v2.npy", &a, &cause) == 0, "%s", cause);
	ck_assert_int_eq(a.dtype, NPY_DT_I4);
	ck_assert_int_eq(((int32_t *)a.data)[4], 200);
	npy_free(&a);
	ck_assert_msg(npy_read_int32(NPY_DIR "i1_1d.npy", &a, &cause) == 0, "%s", cause);
	ck_assert_int_eq(((int32_t *)a.data)[0], -128);
	npy_free(&a);
	/* int64 values that fit convert; 2**40 does not */
	a = read_ok("i8_big.npy", NPY_DT_I8, 1, 3);
	a.numel = 2;
	ck_assert_msg(npy_to_int32(&a, "i8_big.npy", &v, &cause) == 0, "%s", cause);
	ck_assert(v[0] == 1 && v[1] == -2);
	free(v);
	a.numel = 3;
	ASSERT_FAILS(npy_to_int32(&a, "i8_big.npy", &v, &cause), cause, "i8_big.npy", "1099511627776");
	npy_free(&a);
	ASSERT_FAILS(npy_read_int32(NPY_DIR "i8_big.npy", &a, &cause), cause, "i8_big.npy", "does not fit in int32");
	ASSERT_FAILS(npy_read_int32(NPY_DIR "f8_1d.npy", &a, &cause), cause, "f8_1d.npy", "not an integer");
}
END_TEST

/* A version 1.0 file with the given header text (padding added) and data. */
static char *make_npy(const char *dict, const void *data, size_t ndata, size_t *len)
{
	size_t h = strlen(dict), total = 10 + h + 1 + ndata;
	char *b = xmalloc(total);
	memcpy(b, "\x93NUMPY\x01\x00", 8);
	b[8] = (char)((h + 1) & 0xff);
	b[9] = (char)((h + 1) >> 8);
	memcpy(b + 10, dict, h);
	b[10 + h] = '\n';
	memcpy(b + 11 + h, data, ndata);
	*len = total;
	return b;
}

START_TEST(test_npy_header_parser)
{
	static const int32_t two[2] = {7, -8};
	static const char *const good[] = {
	    "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }",
	    "{\"shape\": (2,), \"fortran_order\": False, \"descr\": \"<i4\"}",
	    "{'descr':'<i4','fortran_order':True,'shape':(2,)}   ",
	    "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2), }",
	    "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 1,), }",
	};
	static const struct {
		const char *dict, *what;
	} bad[] = {
	    {"{'descr': '<i4', 'fortran_order': False, 'shape': (2), }", "shape is not a tuple"},
	    {"{'descr': '<i4', 'fortran_order': False}", "needs the keys"},
	    {"{'descr': '<i4', 'descr': '<i4', 'fortran_order': False, 'shape': (2,)}", "repeated key 'descr'"},
	    {"{'descr': '<i4', 'fortran_order': False, 'shape': (2,), 'x': 1}", "unexpected or repeated key 'x'"},
	    {"{'descr': '<i4', 'fortran_order': False, 'shape': (-2,)}", "not a non-negative integer"},
	    {"{'descr': '<i4', 'fortran_order': False, 'shape': (02,)}", "leading zero"},
	    {"{'descr': '<i4', 'fortran_order': False, 'shape': (99999999999999999999,)}", "overflows 64 bits"},
	    {"{'descr': '<i4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296)}", "absurd shape"},
	    {"{'descr': '<i4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 2)}",
	     "more than 8 dimensions"},
	    {"{'descr': __import__('os'), 'fortran_order': False, 'shape': (2,)}", "expected a quoted string"},
	    {"{'descr': '<i4', 'fortran_order': 1, 'shape': (2,)}", "not True or False"},
	    {"{'descr': '<i4', 'fortran_order': False, 'shape': (2,)} x", "trailing characters"},
	    {"{'descr': '<i4\\n', 'fortran_order': False, 'shape': (2,)}", "unexpected character"},
	    {"{'descr': '=i4', 'fortran_order': False, 'shape': (2,)}", "unsupported dtype '=i4'"},
	    {"{'descr': '<i4', 'fortran_order': False, 'shape': (3,)}", "needs 12 data bytes but the file has 8"},
	    {"{'descr': '<i4', 'fortran_order': False, 'shape': (1,)}", "the header's shape is wrong"},
	    {"['descr', '<i4']", "expected '{'"},
	};
	struct npy_array a;
	char *cause = NULL, *b;
	size_t len;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		b = make_npy(good[i], two, sizeof two, &len);
		ck_assert_msg(npy_read_mem(b, len, "mem.npy", &a, &cause) == 0, "%s: %s", good[i], cause);
		ck_assert_int_eq(a.numel, 2);
		ck_assert(memcmp(a.data, two, sizeof two) == 0);
		npy_free(&a);
		free(b);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		b = make_npy(bad[i].dict, two, sizeof two, &len);
		ASSERT_FAILS(npy_read_mem(b, len, "mem.npy", &a, &cause), cause, "mem.npy", bad[i].what);
		free(b);
	}
	/* a header length that runs past the end of the file */
	b = make_npy(good[0], two, 0, &len);
	ASSERT_FAILS(npy_read_mem(b, len - 5, "mem.npy", &a, &cause), cause, "mem.npy", "truncated");
	b[6] = 4;
	ASSERT_FAILS(npy_read_mem(b, len, "mem.npy", &a, &cause), cause, "mem.npy", "version 4.0");
	free(b);
	/* bool bytes other than 0 and 1 */
	b = make_npy("{'descr': '|b1', 'fortran_order': False, 'shape': (2,)}", "\1\2", 2, &len);
	ASSERT_FAILS(npy_read_mem(b, len, "mem.npy", &a, &cause), cause, "mem.npy", "bool array holds byte 2");
	free(b);
}
END_TEST

/* np.save's exact bytes: same header text, growth padding and alignment. */
START_TEST(test_npy_write_like_numpy)
{
	static const struct {
		const char *file;
		enum npy_dtype dt;
	} same[] = {
	    {"i4_2d_v1.npy", NPY_DT_I4}, {"i8_0d.npy", NPY_DT_I8},       {"b1_1d.npy", NPY_DT_B1},
	    {"i2_2d.npy", NPY_DT_I2},    {"u1_empty_2d.npy", NPY_DT_U1}, {"f8_1d.npy", NPY_DT_F8},
	    {"i1_1d.npy", NPY_DT_I1},    {"u2_1d.npy", NPY_DT_U2},
	};
	for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
		char path[512], *cause = NULL, *out = test_path(same[i].file);
		struct npy_array a, back;
		size_t flen, olen;
		snprintf(path, sizeof path, NPY_DIR "%s", same[i].file);
		ck_assert_msg(npy_read(path, &a, &cause) == 0, "%s", cause);
		ck_assert_msg(npy_write(out, &a, &cause) == 0, "%s", cause);
		char *want = test_slurp(path, READ_MAX, &flen), *got = test_slurp(out, READ_MAX, &olen);
		ck_assert_msg(flen == olen && memcmp(want, got, flen) == 0, "%s differs from numpy's", same[i].file);
		ck_assert_msg(npy_read(out, &back, &cause) == 0, "%s", cause);
		ck_assert(back.numel == a.numel &&
		          memcmp(back.data, a.data, (size_t)a.numel * (size_t)a.itemsize) == 0);
		npy_free(&a);
		npy_free(&back);
		free(want);
		free(got);
		free(out);
	}
	/* a Fortran file is written back in C order (and numpy's C-order bytes) */
	struct npy_array f, c;
	char *cause = NULL;
	ck_assert(npy_read(NPY_DIR "i4_2d_fortran.npy", &f, &cause) == 0);
	ck_assert(npy_read(NPY_DIR "i4_2d_v1.npy", &c, &cause) == 0);
	void *fb, *cb;
	size_t fl, cl;
	ck_assert(npy_encode(&f, &fb, &fl, &cause) == 0 && npy_encode(&c, &cb, &cl, &cause) == 0);
	ck_assert(fl == cl && memcmp(fb, cb, fl) == 0);
	free(fb);
	free(cb);
	npy_free(&f);
	npy_free(&c);
}
END_TEST

/* ---- the official dataset folder ---- */

/* Maze text -> tokens as build_maze_dataset.py maps it: PAD 0, "# SGo" 1..5. */
static void maze_tokens(const char *text, int32_t *out)
{
	for (int i = 0; i < 16; i++)
		out[i] = (int32_t)(strchr("# SGo", text[i]) - "# SGo") + 1;
}

/* The three 4x4 mazes of make_dataset_fixtures.py, rows run together. */
static const char *const maze_q[3] = {"S  ### ##  ##G##", "S### ###   G####", "#S### ###  ###G#"};
static const char *const maze_a[3] = {"Soo###o##oo##G##", "S###o###oooG####", "#S###o###oo###G#"};

START_TEST(test_read_tiny_maze)
{
	struct dataset_split tr, te;
	struct dataset_example ex;
	char *cause = NULL, **ids;
	int64_t nids;
	int32_t q[16], a[16], rot[16], tr6[16];
	ck_assert_msg(dataset_read_split(MAZE_DIR, "test", &te, &cause) == 0, "%s", cause);
	ck_assert_int_eq(te.meta.seq_len, 16);
	ck_assert_int_eq(te.meta.vocab_size, 6);
	ck_assert(te.meta.has_ignore_label_id && te.meta.ignore_label_id == 0);
	ck_assert_int_eq(te.meta.num_puzzle_identifiers, 1);
	ck_assert_int_eq(te.meta.total_groups, 3);
	ck_assert(te.meta.mean_puzzle_examples == 1.0);
	ck_assert_int_eq(te.meta.num_sets, 1);
	ck_assert_str_eq(te.sets[0].name, "all");
	ck_assert_int_eq(te.num_examples, 3);
	for (int m = 0; m < 3; m++) {
		ck_assert(dataset_get_example(&te, m, &ex) == 0);
		maze_tokens(maze_q[m], q);
		maze_tokens(maze_a[m], a);
		ck_assert(memcmp(ex.inputs, q, sizeof q) == 0 && memcmp(ex.labels, a, sizeof a) == 0);
		ck_assert(ex.puzzle == m && ex.group == m && ex.puzzle_identifier == 0);
	}
	ck_assert(dataset_get_example(&te, 3, &ex) == -1 && dataset_get_example(&te, -1, &ex) == -1);
	dataset_split_free(&te);

	/* train: each maze a group of its 8 dihedral transforms, one puzzle each */
	ck_assert_msg(dataset_read_split(MAZE_DIR, "train", &tr, &cause) == 0, "%s", cause);
	const struct dataset_set *s = &tr.sets[0];
	ck_assert(s->num_examples == 24 && s->num_puzzles == 24 && s->num_groups == 3);
	for (int g = 0; g <= 3; g++)
		ck_assert_int_eq(s->group_indices[g], 8 * g);
	for (int p = 0; p <= 24; p++)
		ck_assert_int_eq(s->puzzle_indices[p], p);
	maze_tokens(maze_q[1], q);
	for (int r = 0; r < 4; r++)
		for (int c = 0; c < 4; c++) {
			rot[r * 4 + c] = q[c * 4 + (3 - r)]; /* np.rot90(k=1): counter-clockwise */
			tr6[r * 4 + c] = q[c * 4 + r];       /* transform 6: transpose */
		}
	ck_assert(dataset_get_example(&tr, 8, &ex) == 0 && memcmp(ex.inputs, q, sizeof q) == 0);
	ck_assert(ex.group == 1 && ex.puzzle == 8);
	ck_assert(dataset_get_example(&tr, 9, &ex) == 0 && memcmp(ex.inputs, rot, sizeof rot) == 0);
	ck_assert(dataset_get_example(&tr, 14, &ex) == 0 && memcmp(ex.inputs, tr6, sizeof tr6) == 0);
	ck_assert(ex.group == 1 && ex.puzzle == 14 && ex.index == 14);
	dataset_split_free(&tr);

	ck_assert_msg(dataset_read_identifiers(MAZE_DIR, &ids, &nids, &cause) == 0, "%s", cause);
	ck_assert(nids == 1 && strcmp(ids[0], "<blank>") == 0);
	dataset_identifiers_free(ids, nids);
}
END_TEST

static const struct dataset_writer_opts maze_opts = {.vocab_size = 6, .seq_len = 16, .has_ignore_label_id = true};

/* Feeds a split read back into a writer, group by group, puzzle by puzzle. */
static void feed_split(struct dataset_writer *w, const struct dataset_split *sp)
{
	char *cause = NULL;
	for (int k = 0; k < sp->meta.num_sets; k++) {
		const struct dataset_set *s = &sp->sets[k];
		for (int64_t g = 0; g < s->num_groups; g++) {
			ck_assert_msg(dataset_writer_begin_group(w, sp->name, s->name, &cause) == 0, "%s", cause);
			for (int64_t p = s->group_indices[g]; p < s->group_indices[g + 1]; p++) {
				ck_assert(dataset_writer_begin_puzzle(w, NULL, &cause) == 0);
				for (int64_t e = s->puzzle_indices[p]; e < s->puzzle_indices[p + 1]; e++)
					ck_assert_msg(dataset_writer_add_example(w, s->inputs + e * 16,
					                                         s->labels + e * 16, &cause) == 0,
					              "%s", cause);
			}
		}
	}
}

/* Rebuilds tiny_maze under `name` in the scratch directory. */
static char *rewrite_maze(const char *name)
{
	struct dataset_split sp;
	char *cause = NULL, *dir = test_path(name);
	struct dataset_writer *w = dataset_writer_new(&maze_opts, &cause);
	ck_assert(w != NULL);
	const char *splits[2] = {"train", "test"};
	for (int i = 0; i < 2; i++) {
		ck_assert_msg(dataset_read_split(MAZE_DIR, splits[i], &sp, &cause) == 0, "%s", cause);
		feed_split(w, &sp);
		dataset_split_free(&sp);
	}
	ck_assert_msg(dataset_writer_write(w, dir, &cause) == 0, "%s", cause);
	dataset_writer_free(w);
	return dir;
}

/* The writer reproduces the Python builder's folder byte for byte. */
START_TEST(test_writer_matches_builder)
{
	static const char *const files[] = {
	    "identifiers.json",
	    "train/dataset.json",
	    "train/all__inputs.npy",
	    "train/all__labels.npy",
	    "train/all__puzzle_identifiers.npy",
	    "train/all__puzzle_indices.npy",
	    "train/all__group_indices.npy",
	    "test/dataset.json",
	    "test/all__inputs.npy",
	    "test/all__labels.npy",
	    "test/all__puzzle_identifiers.npy",
	    "test/all__puzzle_indices.npy",
	    "test/all__group_indices.npy",
	};
	char *dir = rewrite_maze("maze_copy");
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char want_path[1024], got_path[1024];
		size_t wl, gl;
		snprintf(want_path, sizeof want_path, MAZE_DIR "/%s", files[i]);
		snprintf(got_path, sizeof got_path, "%s/%s", dir, files[i]);
		char *want = test_slurp(want_path, READ_MAX, &wl), *got = test_slurp(got_path, READ_MAX, &gl);
		ck_assert_msg(wl == gl && memcmp(want, got, wl) == 0, "%s differs from the Python builder's", files[i]);
		free(want);
		free(got);
	}
	free(dir);
}
END_TEST

/* Several sets, named identifiers (ARC style), null ignore_label_id. */
START_TEST(test_writer_round_trip)
{
	struct dataset_writer_opts o = {.vocab_size = 300, .seq_len = 3, .pad_id = 0};
	char *cause = NULL, *dir = test_path("rt"), **ids;
	struct dataset_writer *w = dataset_writer_new(&o, &cause);
	int32_t in[3], lab[3];
	int64_t nids;
	ck_assert(w != NULL);
	/* train/all: group 0 = puzzles "a" (2 examples) and "b" (1); train/extra:
	 * group 0 = puzzle "c" (2 examples); test/all: "b" again, then a blank one */
	const struct {
		const char *split, *set, *id;
		int examples;
		bool new_group;
	} plan[] = {
	    {"train", "all", "a", 2, true}, {"train", "all", "b", 1, false}, {"train", "extra", "c", 2, true},
	    {"test", "all", "b", 1, true},  {"test", "all", NULL, 1, true},
	};
	int32_t tok = 1;
	for (size_t i = 0; i < sizeof plan / sizeof plan[0]; i++) {
		if (plan[i].new_group)
			ck_assert_msg(dataset_writer_begin_group(w, plan[i].split, plan[i].set, &cause) == 0, "%s",
			              cause);
		ck_assert(dataset_writer_begin_puzzle(w, plan[i].id, &cause) == 0);
		for (int e = 0; e < plan[i].examples; e++, tok++) {
			for (int k = 0; k < 3; k++) {
				in[k] = tok * 10 + k;
				lab[k] = 299 - in[k];
			}
			ck_assert_msg(dataset_writer_add_example(w, in, lab, &cause) == 0, "%s", cause);
		}
	}
	ck_assert_msg(dataset_writer_write(w, dir, &cause) == 0, "%s", cause);
	dataset_writer_free(w);

	struct dataset_split tr, te;
	struct dataset_example ex;
	ck_assert_msg(dataset_read_split(dir, "train", &tr, &cause) == 0, "%s", cause);
	ck_assert_msg(dataset_read_split(dir, "test", &te, &cause) == 0, "%s", cause);
	ck_assert(!tr.meta.has_ignore_label_id);
	ck_assert_int_eq(tr.meta.num_sets, 2);
	ck_assert_str_eq(tr.meta.sets[1], "extra");
	ck_assert_int_eq(tr.meta.total_groups, 2);
	ck_assert_int_eq(tr.meta.num_puzzle_identifiers, 4);
	ck_assert(tr.meta.mean_puzzle_examples == 5.0 / 3.0);
	ck_assert_int_eq(te.meta.num_puzzle_identifiers, 4);
	ck_assert(te.meta.mean_puzzle_examples == 1.0);
	const int32_t want_ids[5] = {1, 1, 2, 3, 3}; /* a a b c c */
	for (int64_t i = 0; i < 5; i++) {
		ck_assert(dataset_get_example(&tr, i, &ex) == 0);
		ck_assert_int_eq(ex.inputs[2], (int32_t)(i + 1) * 10 + 2);
		ck_assert_int_eq(ex.labels[0], 299 - (int32_t)(i + 1) * 10);
		ck_assert_int_eq(ex.puzzle_identifier, want_ids[i]);
		ck_assert_int_eq(ex.set, i < 3 ? 0 : 1);
	}
	ck_assert(dataset_get_example(&te, 1, &ex) == 0 && ex.puzzle_identifier == 0 && ex.group == 1);
	ck_assert(dataset_get_example(&te, 0, &ex) == 0 && ex.puzzle_identifier == 2);
	dataset_split_free(&tr);
	dataset_split_free(&te);
	ck_assert_msg(dataset_read_identifiers(dir, &ids, &nids, &cause) == 0, "%s", cause);
	ck_assert(nids == 4 && strcmp(ids[1], "a") == 0 && strcmp(ids[2], "b") == 0 && strcmp(ids[3], "c") == 0);
	dataset_identifiers_free(ids, nids);

	/* a vocabulary over 256 needs more than a byte: tokens stored as int32 */
	char *p = test_path("rt/train/all__inputs.npy");
	struct npy_array a;
	ck_assert(npy_read(p, &a, &cause) == 0 && a.dtype == NPY_DT_I4 && a.shape[0] == 3 && a.shape[1] == 3);
	npy_free(&a);
	size_t len;
	free(p);
	p = test_path("rt/train/dataset.json");
	char *text = test_slurp(p, READ_MAX, &len);
	ck_assert_msg(strstr(text, "\"ignore_label_id\": null") &&
	                  strstr(text, "\"mean_puzzle_examples\": 1.6666666666666667") &&
	                  strstr(text, "\"sets\": [\"all\", \"extra\"]}"),
	              "%s", text);
	free(text);
	free(p);
	free(dir);
}
END_TEST

static void write_text(const char *path, const char *text)
{
	char *cause = NULL;
	ck_assert_msg(write_file_atomic(path, text, strlen(text), &cause) == 0, "%s", cause);
}

/* Replaces `from` by `to` in a text file. */
static void edit_text(const char *path, const char *from, const char *to)
{
	size_t len;
	char *t = test_slurp(path, READ_MAX, &len), text[4096], out[4096];
	snprintf(text, sizeof text, "%s", t);
	free(t);
	const char *at = strstr(text, from);
	ck_assert_msg(at != NULL, "'%s' not in %s", from, path);
	snprintf(out, sizeof out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	write_text(path, out);
}

/* Overwrites DIR/test/all__FIELD.npy with an int32 vector. */
static void put_i32(const char *dir, const char *field, const int32_t *v, int64_t n)
{
	char path[1024], *cause = NULL;
	struct npy_array a = {
	    .dtype = NPY_DT_I4, .itemsize = 4, .ndim = 1, .shape = {n}, .numel = n, .data = (void *)v};
	snprintf(path, sizeof path, "%s/test/all__%s.npy", dir, field);
	ck_assert_msg(npy_write(path, &a, &cause) == 0, "%s", cause);
}

static void expect_bad_test_split(const char *dir, const char *file, const char *what)
{
	struct dataset_split sp;
	char *cause = NULL;
	ASSERT_FAILS(dataset_read_split(dir, "test", &sp, &cause), cause, file, what);
}

START_TEST(test_seq_len_mismatch)
{
	char *dir = rewrite_maze("seqlen");
	char *meta = test_path("seqlen/test/dataset.json");
	edit_text(meta, "\"seq_len\": 16", "\"seq_len\": 25");
	expect_bad_test_split(dir, "test/all__inputs.npy", "shape (3, 16) does not match seq_len 25");
	free(meta);
	free(dir);
}
END_TEST

/* Each broken copy of the test split fails with one line naming the file. */
START_TEST(test_inconsistent_datasets)
{
	static const int32_t pi_down[4] = {0, 2, 1, 3}, pi_short[4] = {0, 1, 2, 2}, gi_empty[4] = {0, 1, 1, 3};
	static const int32_t ids_big[3] = {0, 1, 0}, two[2] = {0, 1}, gi_start[4] = {1, 1, 2, 3};
	static const struct {
		const char *field;
		const int32_t *v;
		int64_t n;
		const char *file, *what;
	} cases[] = {
	    {"puzzle_indices", pi_down, 4, "all__puzzle_indices.npy", "entries 1 and 2 are 2 and 1"},
	    {"puzzle_indices", pi_short, 4, "all__puzzle_indices.npy", "ends at 2 but there are 3 examples"},
	    {"puzzle_indices", two, 2, "all__puzzle_indices.npy", "2 entries, expected 4"},
	    {"group_indices", gi_empty, 4, "all__group_indices.npy", "(must increase)"},
	    {"group_indices", gi_start, 4, "all__group_indices.npy", "starts at 1"},
	    {"puzzle_identifiers", ids_big, 3, "all__puzzle_identifiers.npy", "identifier 1 of puzzle 1"},
	    {"labels", two, 2, "all__labels.npy", "expected 2 dimensions"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char name[32];
		snprintf(name, sizeof name, "bad%zu", i);
		char *dir = rewrite_maze(name);
		put_i32(dir, cases[i].field, cases[i].v, cases[i].n);
		expect_bad_test_split(dir, cases[i].file, cases[i].what);
		free(dir);
	}

	/* a token outside the vocabulary */
	char *dir = rewrite_maze("badtok"), path[1024], *cause = NULL;
	struct npy_array a;
	snprintf(path, sizeof path, "%s/test/all__inputs.npy", dir);
	ck_assert(npy_read(path, &a, &cause) == 0);
	((uint8_t *)a.data)[16 + 5] = 9;
	ck_assert(npy_write(path, &a, &cause) == 0);
	npy_free(&a);
	expect_bad_test_split(dir, "all__inputs.npy", "token 9 at example 1 position 5 is outside 0..5");
	free(dir);

	/* dataset.json problems */
	dir = rewrite_maze("badmeta");
	char *meta = test_path("badmeta/test/dataset.json");
	edit_text(meta, "\"total_groups\": 3", "\"total_groups\": 4");
	expect_bad_test_split(dir, "test/dataset.json", "total_groups is 4 but the group_indices files hold 3");
	edit_text(meta, "\"total_groups\": 4", "\"total_groups\": 3.5");
	expect_bad_test_split(dir, "test/dataset.json", "'total_groups' is not an integer");
	edit_text(meta, "\"total_groups\": 3.5, ", "");
	expect_bad_test_split(dir, "test/dataset.json", "missing field 'total_groups'");
	edit_text(meta, "\"sets\": [\"all\"]", "\"sets\": [\"../all\"], \"total_groups\": 3");
	expect_bad_test_split(dir, "test/dataset.json", "sets[0] is not a plain name");
	edit_text(meta, "\"../all\"", "\"other\"");
	expect_bad_test_split(dir, "other__inputs.npy", "cannot open");
	edit_text(meta, "\"other\"", "\"all\"");
	edit_text(meta, "\"pad_id\": 0", "\"pad_id\": 6");
	expect_bad_test_split(dir, "test/dataset.json", "pad_id is 6, expected 0..5");
	edit_text(meta, "\"pad_id\": 6", "\"pad_id\": 0");
	edit_text(meta, "\"ignore_label_id\": 0", "\"ignore_label_id\": null");
	struct dataset_split sp;
	ck_assert_msg(dataset_read_split(dir, "test", &sp, &cause) == 0, "%s", cause);
	ck_assert(!sp.meta.has_ignore_label_id);
	dataset_split_free(&sp);
	write_text(meta, "{\"pad_id\": 0,");
	expect_bad_test_split(dir, "test/dataset.json", "invalid JSON");
	free(meta);
	free(dir);
}
END_TEST

START_TEST(test_writer_misuse)
{
	char *cause = NULL;
	int32_t ok[16] = {0}, bad[16] = {0};
	struct dataset_writer *w = dataset_writer_new(&maze_opts, &cause);
	ASSERT_FAILS(dataset_writer_begin_puzzle(w, NULL, &cause), cause, "dataset writer", "before any group");
	ASSERT_FAILS(dataset_writer_begin_group(w, "../x", "all", &cause), cause, "dataset writer", "plain");
	ck_assert(dataset_writer_begin_group(w, "train", "all", &cause) == 0);
	ASSERT_FAILS(dataset_writer_add_example(w, ok, ok, &cause), cause, "dataset writer", "before its puzzle");
	ASSERT_FAILS(dataset_writer_begin_group(w, "train", "all", &cause), cause, "train/all",
	             "group 0 has no puzzles");
	ck_assert(dataset_writer_begin_puzzle(w, "x", &cause) == 0);
	ASSERT_FAILS(dataset_writer_begin_puzzle(w, "y", &cause), cause, "train/all", "puzzle 0 has no examples");
	bad[3] = 6;
	ASSERT_FAILS(dataset_writer_add_example(w, bad, ok, &cause), cause, "dataset writer",
	             "input token 6 at position 3");
	bad[3] = 0;
	bad[15] = -1;
	ASSERT_FAILS(dataset_writer_add_example(w, ok, bad, &cause), cause, "dataset writer", "label token -1");
	ck_assert(dataset_writer_add_example(w, ok, ok, &cause) == 0);
	dataset_writer_free(w);
	struct dataset_writer_opts o = maze_opts;
	o.pad_id = 6;
	ck_assert(dataset_writer_new(&o, &cause) == NULL);
	free(cause);
}
END_TEST

/* mean_puzzle_examples is written as Python's repr(float) writes it. */
START_TEST(test_meta_float_repr)
{
	static const struct {
		double x;
		const char *repr;
	} cases[] = {
	    {1.0, "1.0"},
	    {0.1, "0.1"},
	    {5.0 / 3.0, "1.6666666666666667"},
	    {1e16, "1e+16"},
	    {1e15, "1000000000000000.0"},
	    {1e-05, "1e-05"},
	    {0.0001, "0.0001"},
	    {123456.789, "123456.789"},
	    {1e22, "1e+22"},
	    {0.0, "0.0"},
	    {2.5e-300, "2.5e-300"},
	    {1.7976931348623157e308, "1.7976931348623157e+308"},
	    {100.0, "100.0"},
	    {12.5, "12.5"},
	    {0.00012, "0.00012"},
	};
	char all[] = "all", *sets[1] = {all}, *cause = NULL, *path = test_path("meta.json");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct dataset_meta m = {.vocab_size = 6,
		                         .seq_len = 16,
		                         .num_puzzle_identifiers = 1,
		                         .mean_puzzle_examples = cases[i].x,
		                         .num_sets = 1,
		                         .sets = sets};
		char want[128];
		size_t len;
		ck_assert(dataset_meta_write(path, &m, &cause) == 0);
		char *text = test_slurp(path, READ_MAX, &len);
		snprintf(want, sizeof want, "\"mean_puzzle_examples\": %s, ", cases[i].repr);
		ck_assert_msg(strstr(text, want) != NULL, "%g: %s", cases[i].x, text);
		free(text);
		struct dataset_meta back;
		ck_assert_msg(dataset_meta_read(path, &back, &cause) == 0, "%s", cause);
		ck_assert(back.mean_puzzle_examples == cases[i].x);
		dataset_meta_free(&back);
	}
	free(path);
}
END_TEST

/* identifiers.json is escaped as json.dump escapes (ensure_ascii). */
START_TEST(test_identifiers_json)
{
	char blank[] = "<blank>", odd[] = "\xf0\x9f\x98\x80\x01\x7f\t/", quote[] = "a\"b\\c\xc3\xa9", bad[] = "\xff";
	char *names[3] = {blank, odd, quote}, *cause = NULL, *dir = test_path("ids"),
	     *path = test_path("ids/identifiers.json");
	char **back;
	int64_t n;
	size_t len;
	ck_assert(mkdir(dir, 0700) == 0);
	ck_assert_msg(dataset_identifiers_write(dir, names, 3, &cause) == 0, "%s", cause);
	char *text = test_slurp(path, READ_MAX, &len);
	ck_assert_str_eq(text, "[\"<blank>\", \"\\ud83d\\ude00\\u0001\\u007f\\t/\", \"a\\\"b\\\\c\\u00e9\"]");
	free(text);
	ck_assert_msg(dataset_read_identifiers(dir, &back, &n, &cause) == 0, "%s", cause);
	ck_assert(n == 3 && strcmp(back[1], odd) == 0 && strcmp(back[2], quote) == 0);
	dataset_identifiers_free(back, n);
	names[1] = bad;
	ASSERT_FAILS(dataset_identifiers_write(dir, names, 3, &cause), cause, "identifiers.json", "not valid UTF-8");
	write_text(path, "[\"x\"]");
	ASSERT_FAILS(dataset_read_identifiers(dir, &back, &n, &cause), cause, "identifiers.json",
	             "entry 0 is not \"<blank>\"");
	free(path);
	free(dir);
}
END_TEST

/* One reading of --puzzle for the commands and the TUI: every form, the
 * default split (test, else train) and one message per mistake. */
START_TEST(test_puzzle_spec)
{
	char *both = test_path("spec_both"), *only = test_path("spec_train"), *file = test_write_tmp("spec.txt", "x\n");
	char sub[4200], spec[4400], *cause = NULL;
	ck_assert(mkdir(both, 0700) == 0 && mkdir(only, 0700) == 0);
	snprintf(sub, sizeof sub, "%s/test", both);
	ck_assert(mkdir(sub, 0700) == 0);
	snprintf(sub, sizeof sub, "%s/train", only);
	ck_assert(mkdir(sub, 0700) == 0);
	struct puzzle_spec s;
	ck_assert_msg(puzzle_spec_parse(both, &s, &cause) == 0, "%s", cause);
	ck_assert(s.dataset && s.index == 0 && !strcmp(s.path, both) && !strcmp(s.split, "test"));
	puzzle_spec_free(&s);
	/* no test split: the train split, as the TUI always did (the commands said "no test split") */
	ck_assert_msg(puzzle_spec_parse(only, &s, &cause) == 0, "%s", cause);
	ck_assert(s.dataset && s.index == 0 && !strcmp(s.split, "train"));
	puzzle_spec_free(&s);
	snprintf(spec, sizeof spec, "%s:train:7", only);
	ck_assert_msg(puzzle_spec_parse(spec, &s, &cause) == 0, "%s", cause);
	ck_assert(s.dataset && s.index == 7 && !strcmp(s.path, only) && !strcmp(s.split, "train"));
	puzzle_spec_free(&s);
	snprintf(spec, sizeof spec, "%s:dev", both);
	ck_assert_msg(puzzle_spec_parse(spec, &s, &cause) == 0, "%s", cause);
	ck_assert(s.dataset && s.index == 0 && !strcmp(s.split, "dev"));
	puzzle_spec_free(&s);
	ck_assert_msg(puzzle_spec_parse(file, &s, &cause) == 0, "%s", cause);
	ck_assert(!s.dataset && s.index == 0 && !strcmp(s.path, file));
	puzzle_spec_free(&s);
	snprintf(spec, sizeof spec, "%s:12", file);
	ck_assert_msg(puzzle_spec_parse(spec, &s, &cause) == 0, "%s", cause);
	ck_assert(!s.dataset && s.index == 12 && !strcmp(s.path, file));
	puzzle_spec_free(&s);
	ASSERT_FAILS(puzzle_spec_parse("", &s, &cause), cause, "empty puzzle name", "DIR[:SPLIT[:INDEX]]");
	snprintf(spec, sizeof spec, "%s:x", file);
	ASSERT_FAILS(puzzle_spec_parse(spec, &s, &cause), cause, "'x' is not a puzzle index",
		     "(FILE:INDEX counts from 0)");
	snprintf(spec, sizeof spec, "%s:-1", file);
	ASSERT_FAILS(puzzle_spec_parse(spec, &s, &cause), cause, "spec.txt", "'-1' is not a puzzle index");
	snprintf(spec, sizeof spec, "%s:3", both);
	ASSERT_FAILS(puzzle_spec_parse(spec, &s, &cause), cause, "give the split before the index", ":test:3)");
	snprintf(spec, sizeof spec, "%s:test:x", both);
	ASSERT_FAILS(puzzle_spec_parse(spec, &s, &cause), cause, "'x' is not an example index",
		     "(DIR:SPLIT:INDEX counts from 0)");
	snprintf(spec, sizeof spec, "%s:..:1", both);
	ASSERT_FAILS(puzzle_spec_parse(spec, &s, &cause), cause, "spec_both", "'..' is not a split name (train, test)");
	snprintf(spec, sizeof spec, "%s/nope.txt:1", both);
	ASSERT_FAILS(puzzle_spec_parse(spec, &s, &cause), cause, "nope.txt:1", "no such file or dataset folder");
	ck_assert_int_eq(puzzle_spec_index("12"), 12);
	ck_assert_int_eq(puzzle_spec_index("+1"), -1);
	ck_assert_int_eq(puzzle_spec_index(" 1"), -1);
	ck_assert_int_eq(puzzle_spec_index("99999999999"), -1);
	free(file);
	free(only);
	free(both);
}
END_TEST

static Suite *dataset_suite(void)
{
	Suite *s = suite_create("dataset");
	TCase *t = tcase_create("npy");
	tcase_add_test(t, test_npy_read_good);
	tcase_add_test(t, test_npy_fortran);
	tcase_add_test(t, test_npy_read_bad);
	tcase_add_test(t, test_npy_int32);
	tcase_add_test(t, test_npy_header_parser);
	tcase_add_test(t, test_npy_write_like_numpy);
	suite_add_tcase(s, t);
	t = tcase_create("folder");
	tcase_add_test(t, test_read_tiny_maze);
	tcase_add_test(t, test_writer_matches_builder);
	tcase_add_test(t, test_writer_round_trip);
	tcase_add_test(t, test_seq_len_mismatch);
	tcase_add_test(t, test_inconsistent_datasets);
	tcase_add_test(t, test_writer_misuse);
	tcase_add_test(t, test_meta_float_repr);
	tcase_add_test(t, test_identifiers_json);
	tcase_add_test(t, test_puzzle_spec);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return test_main(dataset_suite(), "check_dataset");
}
