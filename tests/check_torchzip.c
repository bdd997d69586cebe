/* check_torchzip.c - torch.save reader/writer: round trips, bf16/f16
 * conversions, hostile inputs, and the golden fixtures made by real torch. */
#include "core/half.h"
#include "io/torchzip.h"
#include "io/torchzip_write.h"
#include "core/util.h"

#include "test_util.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>
#include <zlib.h>

static void write_bytes(const char *path, const void *data, size_t len)
{
	char *cause = NULL;
	ck_assert_msg(write_file_atomic(path, data, len, &cause) == 0, "%s", cause ? cause : "?");
}

/* ---- building archives by hand ---- */

struct entry {
	const char *name;
	const void *data;
	size_t len;
};

static void write_zip(const char *path, const struct entry *e, int n)
{
	int err = 0;
	zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
	ck_assert_msg(za != NULL, "zip_open %s: %d", path, err);
	for (int i = 0; i < n; i++) {
		zip_source_t *s = zip_source_buffer(za, e[i].data, e[i].len, 0);
		ck_assert(s != NULL);
		zip_int64_t idx = zip_file_add(za, e[i].name, s, ZIP_FL_OVERWRITE);
		ck_assert_msg(idx >= 0, "zip_file_add %s: %s", e[i].name, zip_strerror(za));
		zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
	}
	ck_assert_msg(zip_close(za) == 0, "zip_close: %s", zip_strerror(za));
}

/* A pickle under construction; PB appends a string literal of opcodes. */
struct pb {
	uint8_t b[4096];
	size_t n;
};

#define PB(p, lit) pb_raw((p), (lit), sizeof(lit) - 1)

static void pb_raw(struct pb *p, const void *s, size_t n)
{
	ck_assert(p->n + n <= sizeof p->b);
	memcpy(p->b + p->n, s, n);
	p->n += n;
}

static void pb_str(struct pb *p, const char *s)   /* BINUNICODE */
{
	uint32_t n = (uint32_t)strlen(s);
	uint8_t op[5] = { 'X', (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24) };
	pb_raw(p, op, 5);
	pb_raw(p, s, n);
}

static void pb_int(struct pb *p, int64_t v)      /* LONG1 with 8 bytes: any value */
{
	uint8_t op[10] = { 0x8a, 8 };
	for (int i = 0; i < 8; i++)
		op[2 + i] = (uint8_t)((uint64_t)v >> (8 * i));
	pb_raw(p, op, 10);
}

/* One float32 tensor "w" in an OrderedDict with _metadata, the way torch
 * writes a state dict, with every field under the test's control. */
struct spec {
	const char *key;
	int64_t numel, offset;
	int ndim;
	int64_t size[3], stride[3];
	int param;      /* 1: wrapped in _rebuild_parameter, 2: ..._with_state */
	int nested;     /* inside {'model': <state dict>, 'step': 5} */
	const char *name; /* the tensor's key in the dict; NULL: "w" */
};

/* 1-d (size s0, stride t0) or 2-d specs, without param or nesting. */
static struct spec mkspec(const char *key, int64_t numel, int64_t offset, int ndim,
                          int64_t s0, int64_t s1, int64_t t0, int64_t t1)
{
	struct spec s = { .key = key, .numel = numel, .offset = offset, .ndim = ndim,
	                  .size = { s0, s1 }, .stride = { t0, t1 } };
	return s;
}

static void pb_state_dict(struct pb *p, const struct spec *s)
{
	PB(p, "\x80\x02");
	if (s->nested)
		PB(p, "}X\x05\x00\x00\x00model");
	PB(p, "ccollections\nOrderedDict\nq\x00)R(");
	pb_str(p, s->name ? s->name : "w");
	if (s->param == 1)
		PB(p, "ctorch._utils\n_rebuild_parameter\n(");
	else if (s->param == 2)
		PB(p, "ctorch._utils\n_rebuild_parameter_with_state\n(");
	PB(p, "ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storage"
	      "ctorch\nFloatStorage\n");
	pb_str(p, s->key);
	PB(p, "X\x03\x00\x00\x00" "cpu");
	pb_int(p, s->numel);
	PB(p, "tQ");                                /* BINPERSID */
	pb_int(p, s->offset);
	for (int k = 0; k < 2; k++) {
		PB(p, "(");
		for (int d = 0; d < s->ndim; d++)
			pb_int(p, k ? s->stride[d] : s->size[d]);
		PB(p, "t");
	}
	PB(p, "\x89h\x00)RtR");                     /* False, OrderedDict() */
	if (s->param == 1)
		PB(p, "\x88h\x00)RtR");
	else if (s->param == 2)
		PB(p, "\x88h\x00)R}tR");
	PB(p, "u}X\x09\x00\x00\x00_metadatah\x00)Rsb");   /* BUILD with _metadata */
	if (s->nested)
		PB(p, "sX\x04\x00\x00\x00stepK\x05s");
	PB(p, ".");
}

static const float six[6] = { 0, 1, 2, 3, 4, 5 };

/* Writes "archive/data.pkl" = pkl and "archive/data/0" = the six floats. */
static char *write_case(const char *file, const struct pb *pkl)
{
	char *path = test_path(file);
	struct entry e[] = {
		{ "archive/data.pkl", pkl->b, pkl->n },
		{ "archive/data/0", six, sizeof six },
		{ "archive/version", "3\n", 2 },
	};
	write_zip(path, e, 3);
	return path;
}

/* tz_load must fail with a one-line message naming the file and the problem. */
static void expect_fail(const char *path, const char *word)
{
	struct tz_archive a;
	char *cause = NULL;
	ck_assert_int_eq(tz_load(path, &a, &cause), -1);
	ck_assert(cause != NULL);
	ck_assert_msg(strstr(cause, path) == cause, "cause does not start with the file: %s", cause);
	ck_assert_msg(strstr(cause, word) != NULL, "cause lacks '%s': %s", word, cause);
	ck_assert_msg(strchr(cause, '\n') == NULL, "cause is not one line: %s", cause);
	ck_assert_int_eq((int)a.count, 0);
	free(cause);
}

static void expect_spec_fail(const char *file, const struct spec *s, const char *word)
{
	struct pb p = { .n = 0 };
	pb_state_dict(&p, s);
	char *path = write_case(file, &p);
	expect_fail(path, word);
	free(path);
}

/* A data.pkl made of the given opcodes must be refused. */
#define EXPECT_PICKLE_FAIL(file, lit, word) expect_pickle_fail(file, lit, sizeof(lit) - 1, word)

static void expect_pickle_fail(const char *file, const char *ops, size_t n, const char *word)
{
	struct pb p = { .n = 0 };
	pb_raw(&p, ops, n);
	char *path = write_case(file, &p);
	expect_fail(path, word);
	free(path);
}

/* ---- round trips ---- */

static void fill(struct tz_tensor *t, const char *name, enum tz_dtype dt, int ndim, const int64_t *shape)
{
	t->name = xstrdup(name);
	t->dtype = dt;
	t->ndim = ndim;
	t->numel = 1;
	for (int d = 0; d < ndim; d++) {
		t->shape[d] = shape[d];
		t->numel *= shape[d];
	}
	size_t bytes = (size_t)t->numel * tz_dtype_size(dt);
	uint8_t *p = xmalloc(bytes);
	for (size_t i = 0; i < bytes; i++)
		p[i] = (uint8_t)(i * 37 + 11 + strlen(name));
	if (dt == TZ_BOOL)
		for (size_t i = 0; i < bytes; i++)
			p[i] &= 1;
	t->data = p;
}

static void make_sample(struct tz_archive *a)
{
	static const int64_t s0[1] = { 0 }, s5[1] = { 5 }, s234[3] = { 2, 3, 4 }, s32[2] = { 3, 2 },
		s7[1] = { 7 }, s4[1] = { 4 }, s03[2] = { 0, 3 };
	memset(a, 0, sizeof *a);
	a->count = 10;
	a->tensors = xcalloc(a->count, sizeof *a->tensors);
	fill(&a->tensors[0], "scalar", TZ_F32, 0, s0);
	fill(&a->tensors[1], "vec.f64", TZ_F64, 1, s5);
	fill(&a->tensors[2], "layers.0.cube", TZ_BF16, 3, s234);
	fill(&a->tensors[3], "half", TZ_F16, 1, s7);
	fill(&a->tensors[4], "ints", TZ_I32, 2, s32);
	fill(&a->tensors[5], "longs", TZ_I64, 1, s4);
	fill(&a->tensors[6], "shorts", TZ_I16, 1, s4);
	fill(&a->tensors[7], "bytes", TZ_U8, 1, s7);
	fill(&a->tensors[8], "mask", TZ_BOOL, 1, s5);
	fill(&a->tensors[9], "empty", TZ_I8, 2, s03);
}

static void assert_same(const struct tz_archive *x, const struct tz_archive *y)
{
	ck_assert_int_eq((int)x->count, (int)y->count);
	for (size_t i = 0; i < x->count; i++) {
		const struct tz_tensor *a = &x->tensors[i], *b = &y->tensors[i];
		ck_assert_str_eq(a->name, b->name);
		ck_assert_int_eq(a->dtype, b->dtype);
		ck_assert_int_eq(a->ndim, b->ndim);
		ck_assert_int_eq(a->numel, b->numel);
		for (int d = 0; d < a->ndim; d++)
			ck_assert_int_eq(a->shape[d], b->shape[d]);
		ck_assert_msg(memcmp(a->data, b->data, (size_t)a->numel * tz_dtype_size(a->dtype)) == 0,
		              "data of %s differs", a->name);
	}
}

START_TEST(test_roundtrip)
{
	struct tz_archive a, b, c;
	char *cause = NULL, *path = test_path("rt.pt"), *buf;
	size_t len;
	make_sample(&a);
	ck_assert_msg(tz_save(path, &a, &cause) == 0, "%s", cause);
	ck_assert_msg(tz_load(path, &b, &cause) == 0, "%s", cause);
	assert_same(&a, &b);
	ck_assert_msg(read_file_all(path, 1 << 24, &buf, &len, &cause) == 0, "%s", cause);
	ck_assert_msg(tz_load_mem(buf, len, "mem.pt", &c, &cause) == 0, "%s", cause);
	assert_same(&a, &c);
	const struct tz_tensor *t = tz_find(&c, "layers.0.cube");
	ck_assert(t != NULL && t->dtype == TZ_BF16 && t->shape[2] == 4);
	ck_assert(tz_find(&c, "nope") == NULL);
	ck_assert_int_eq(tz_find(&c, "scalar")->ndim, 0);
	ck_assert_int_eq(tz_find(&c, "scalar")->numel, 1);
	/* reproducible: the same tensors give the same bytes */
	char *path2 = test_path("rt2.pt"), *buf2;
	size_t len2;
	ck_assert_msg(tz_save(path2, &c, &cause) == 0, "%s", cause);
	ck_assert_msg(read_file_all(path2, 1 << 24, &buf2, &len2, &cause) == 0, "%s", cause);
	ck_assert(len2 == len && memcmp(buf, buf2, len) == 0);
	free(buf2);
	free(path2);
	tz_free(&a);
	tz_free(&b);
	tz_free(&c);
	free(buf);
	free(path);
}
END_TEST

/* More than one SETITEMS batch of 1000, and overwriting an existing file. */
START_TEST(test_roundtrip_many)
{
	struct tz_archive a = { 0 }, b;
	char *cause = NULL, *path = test_path("many.pt");
	static const int64_t s2[1] = { 2 };
	a.count = 2500;
	a.tensors = xcalloc(a.count, sizeof *a.tensors);
	for (size_t i = 0; i < a.count; i++) {
		char name[32];
		snprintf(name, sizeof name, "k%zu", i);
		fill(&a.tensors[i], name, i % 2 ? TZ_F32 : TZ_I64, 1, s2);
	}
	write_bytes(path, "old", 3);
	ck_assert_msg(tz_save(path, &a, &cause) == 0, "%s", cause);
	ck_assert_msg(tz_load(path, &b, &cause) == 0, "%s", cause);
	assert_same(&a, &b);
	tz_free(&a);
	tz_free(&b);
	free(path);
}
END_TEST

/* Tensors of a file are used where they lie in the mapped file (stored,
 * whole); from memory they are copies; both checked by CRC at load. */
START_TEST(test_in_place)
{
	struct tz_archive a, b, c;
	char *cause = NULL, *path = test_path("inplace.pt"), *buf;
	size_t len;
	make_sample(&a);
	ck_assert_msg(tz_save(path, &a, &cause) == 0, "%s", cause);
	ck_assert_msg(tz_load(path, &b, &cause) == 0, "%s", cause);
	ck_assert(b.map != NULL);
	const struct tz_tensor *t = tz_find(&b, "layers.0.cube");
	ck_assert(t->borrowed && !t->crc_pending && (uintptr_t)t->data % 64 == 0);
	ck_assert_msg(read_file_all(path, 1 << 24, &buf, &len, &cause) == 0, "%s", cause);
	ck_assert_msg(tz_load_mem(buf, len, "mem.pt", &c, &cause) == 0, "%s", cause);
	ck_assert(c.map == NULL && !tz_find(&c, "layers.0.cube")->borrowed);
	/* writable: a private mapping, the file is not changed */
	((uint8_t *)t->data)[0] ^= 1;
	char *again;
	size_t len2;
	ck_assert_msg(read_file_all(path, 1 << 24, &again, &len2, &cause) == 0, "%s", cause);
	ck_assert(len2 == len && memcmp(buf, again, len) == 0);
	free(again);
	tz_free(&b);
	tz_free(&c);
	/* deflated entries keep working: inflated into memory, not in place */
	int err = 0;
	zip_t *za = zip_open(path, 0, &err);
	ck_assert(za != NULL);
	for (zip_int64_t i = 0; i < zip_get_num_entries(za, 0); i++)
		ck_assert(zip_set_file_compression(za, (zip_uint64_t)i, ZIP_CM_DEFLATE, 9) == 0);
	ck_assert_msg(zip_close(za) == 0, "zip_close: %s", zip_strerror(za));
	ck_assert_msg(tz_load(path, &b, &cause) == 0, "%s", cause);
	assert_same(&a, &b);
	for (size_t i = 0; i < b.count; i++)
		ck_assert(!b.tensors[i].borrowed);
	tz_free(&b);
	tz_free(&a);
	free(buf);
	free(path);
}
END_TEST

static bool has_sig(const char *buf, size_t len, uint32_t sig)
{
	uint8_t b[4] = { (uint8_t)sig, (uint8_t)(sig >> 8), (uint8_t)(sig >> 16), (uint8_t)(sig >> 24) };
	for (size_t i = 0; i + 4 <= len; i++)
		if (memcmp(buf + i, b, 4) == 0)
			return true;
	return false;
}

/* The ZIP64 layout torch.save writes past 4 GB, forced on a small file:
 * read back in place, by libzip, and the same tensors as the classic one. */
START_TEST(test_zip64_write)
{
	struct tz_archive a, b;
	char *cause = NULL, *path = test_path("z64.pt"), *classic = test_path("z32.pt"), *buf;
	size_t len;
	make_sample(&a);
	struct tz_save_opts o = { .force_zip64 = true };
	ck_assert_msg(tz_save_opts(path, &a, &o, &cause) == 0, "%s", cause);
	ck_assert_msg(tz_save(classic, &a, &cause) == 0, "%s", cause);
	ck_assert_msg(read_file_all(path, 1 << 24, &buf, &len, &cause) == 0, "%s", cause);
	ck_assert(has_sig(buf, len, 0x06064b50) && has_sig(buf, len, 0x07064b50));
	free(buf);
	ck_assert_msg(read_file_all(classic, 1 << 24, &buf, &len, &cause) == 0, "%s", cause);
	ck_assert(!has_sig(buf, len, 0x06064b50) && !has_sig(buf, len, 0x07064b50));
	free(buf);
	ck_assert_msg(tz_load(path, &b, &cause) == 0, "%s", cause);
	assert_same(&a, &b);
	for (size_t i = 0; i < b.count; i++)
		ck_assert(b.tensors[i].borrowed);
	tz_free(&b);
	/* float32 sources written as bfloat16 / float16 as they stream */
	static const float src[6] = { 1.0f, -2.5f, 3.14159f, 1e-3f, 65504.0f, -0.0f };
	static const int64_t s6[1] = { 6 };
	struct tz_tensor t[2];
	memset(t, 0, sizeof t);
	t[0] = (struct tz_tensor){ .name = "b", .dtype = TZ_BF16, .ndim = 1, .numel = 6, .data = (void *)src };
	t[1] = (struct tz_tensor){ .name = "h", .dtype = TZ_F16, .ndim = 1, .numel = 6, .data = (void *)src };
	t[0].shape[0] = t[1].shape[0] = s6[0];
	struct tz_archive conv = { .tensors = t, .count = 2 };
	bool from[2] = { true, true };
	struct tz_save_opts o2 = { .from_f32 = from };
	ck_assert_msg(tz_save_opts(path, &conv, &o2, &cause) == 0, "%s", cause);
	ck_assert_msg(tz_load(path, &b, &cause) == 0, "%s", cause);
	for (int k = 0; k < 6; k++) {
		uint16_t hb, hh;
		memcpy(&hb, (const uint8_t *)tz_find(&b, "b")->data + 2 * k, 2);
		memcpy(&hh, (const uint8_t *)tz_find(&b, "h")->data + 2 * k, 2);
		ck_assert_uint_eq(hb, f32_to_bf16(src[k]));
		ck_assert_uint_eq(hh, f32_to_f16(src[k]));
	}
	tz_free(&b);
	tz_free(&a);
	free(path);
	free(classic);
}
END_TEST

/* An entry of 40 MB (past the size whose CRC is computed on a second
 * thread while the bytes are written): the CRC in the file is zlib's CRC of
 * the data, computed here on its own, and libzip reads the entry to its end
 * without a CRC error. */
START_TEST(test_large_entry_crc)
{
	struct tz_archive a = { 0 }, b;
	char *cause = NULL, *path = test_path("large.pt");
	const int64_t n = 10 << 20;
	a.count = 1;
	a.tensors = xcalloc(1, sizeof *a.tensors);
	fill(&a.tensors[0], "big", TZ_F32, 1, &n);
	uint32_t *v = a.tensors[0].data;
	for (int64_t i = 0; i < n; i++)
		v[i] = (uint32_t)i * 2654435761u;
	uLong want = crc32(0L, Z_NULL, 0);
	for (size_t off = 0, len = (size_t)n * 4; off < len; off += (size_t)1 << 20)
		want = crc32(want, (const Bytef *)v + off, 1u << 20);
	ck_assert_msg(tz_save(path, &a, &cause) == 0, "%s", cause);
	int err = 0;
	zip_t *za = zip_open(path, ZIP_RDONLY, &err);
	ck_assert(za != NULL);
	bool seen = false;
	for (zip_int64_t i = 0; i < zip_get_num_entries(za, 0); i++) {
		zip_stat_t st;
		ck_assert(zip_stat_index(za, (zip_uint64_t)i, 0, &st) == 0);
		if (st.size != (zip_uint64_t)n * 4)
			continue;
		seen = true;
		ck_assert_uint_eq(st.crc, (uint32_t)want);
		zip_file_t *zf = zip_fopen_index(za, (zip_uint64_t)i, 0);
		ck_assert(zf != NULL);
		char *buf = xmalloc((size_t)1 << 20);
		zip_int64_t got, total = 0;
		while ((got = zip_fread(zf, buf, (zip_uint64_t)1 << 20)) > 0)
			total += got;
		ck_assert_msg(got == 0, "libzip: %s", zip_file_strerror(zf));
		ck_assert_int_eq(total, n * 4);
		free(buf);
		zip_fclose(zf);
	}
	zip_discard(za);
	ck_assert(seen);
	ck_assert_msg(tz_load(path, &b, &cause) == 0, "%s", cause);
	assert_same(&a, &b);
	tz_free(&b);
	tz_free(&a);
	free(path);
}
END_TEST

/* Whether the filesystem under dir makes holes: a file with 8 MiB skipped
 * before its last byte holds fewer blocks than its size. */
static bool fs_makes_holes(const char *path)
{
	FILE *f = fopen(path, "wb");
	ck_assert(f != NULL);
	ck_assert(fseeko(f, (off_t)8 << 20, SEEK_SET) == 0);
	ck_assert(fputc(1, f) == 1);
	ck_assert(fclose(f) == 0);
	struct stat st;
	ck_assert(stat(path, &st) == 0);
	unlink(path);
	return (off_t)st.st_blocks * 512 < ((off_t)4 << 20);
}

/* Runs of zeros (whole 1 MiB chunks of an entry's data) are skipped, not
 * written: the file reads back the same (tz_load, and libzip's CRC check to
 * the end of each entry), its CRCs are zlib's over the full data (the zero
 * chunks' CRC comes from crc32_combine), and where the filesystem makes
 * holes the file holds far fewer blocks than its size.  Both writers: an
 * entry of 40 MB (CRC on a second thread) and one of 3.5 MB (inline). */
/* mem_is_zero, the test behind the holes: any bit set anywhere, in the
 * first block, the last, a partial block, -0.0f, says not zero */
START_TEST(test_mem_is_zero)
{
	size_t n = 3 * 4096 + 123;
	uint8_t *b = xcalloc(n, 1);
	ck_assert(mem_is_zero(b, n));
	ck_assert(mem_is_zero(b, 0));
	size_t at[] = {0, 4095, 4096, 2 * 4096 + 7, n - 1};
	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
		b[at[i]] = 0x80;
		ck_assert_msg(!mem_is_zero(b, n), "a bit at byte %zu", at[i]);
		ck_assert(mem_is_zero(b, at[i]));
		b[at[i]] = 0;
	}
	float f = -0.0f;
	ck_assert(!mem_is_zero(&f, sizeof f));
	free(b);
}
END_TEST

START_TEST(test_zero_runs_sparse)
{
	struct tz_archive a = { 0 }, b;
	char *cause = NULL, *path = test_path("sparse.pt"), *probe = test_path("hole.probe");
	const int64_t n[2] = { 10 << 20, (7 << 20) / 8 };
	a.count = 2;
	a.tensors = xcalloc(2, sizeof *a.tensors);
	fill(&a.tensors[0], "big", TZ_F32, 1, &n[0]);
	fill(&a.tensors[1], "small", TZ_F32, 1, &n[1]);
	uLong want[2];
	for (int t = 0; t < 2; t++) {
		uint8_t *v = a.tensors[t].data;
		size_t len = (size_t)n[t] * 4;
		memset(v, 0, len);
		/* chunk 0 zero; a byte set at the end of chunk 1 (its other
		 * bytes zero); chunk 2 set throughout (big only); the rest
		 * zero, with a partial chunk at the end */
		v[((size_t)2 << 20) - 1] = 0x5a;
		if (t == 0)
			for (size_t i = (size_t)2 << 20; i < (size_t)3 << 20; i++)
				v[i] = (uint8_t)(i * 2654435761u >> 24) | 1;
		want[t] = crc32(crc32(0L, Z_NULL, 0), v, (uInt)len);
	}
	ck_assert_msg(tz_save(path, &a, &cause) == 0, "%s", cause);
	int err = 0, seen = 0;
	zip_t *za = zip_open(path, ZIP_RDONLY, &err);
	ck_assert(za != NULL);
	char *buf = xmalloc((size_t)1 << 20);
	for (zip_int64_t i = 0; i < zip_get_num_entries(za, 0); i++) {
		zip_stat_t st;
		ck_assert(zip_stat_index(za, (zip_uint64_t)i, 0, &st) == 0);
		for (int t = 0; t < 2; t++) {
			if (st.size != (zip_uint64_t)n[t] * 4)
				continue;
			seen |= 1 << t;
			ck_assert_uint_eq(st.crc, (uint32_t)want[t]);
			zip_file_t *zf = zip_fopen_index(za, (zip_uint64_t)i, 0);
			ck_assert(zf != NULL);
			zip_int64_t got, total = 0;
			while ((got = zip_fread(zf, buf, (zip_uint64_t)1 << 20)) > 0)
				total += got;
			ck_assert_msg(got == 0, "libzip: %s", zip_file_strerror(zf));
			ck_assert_int_eq(total, n[t] * 4);
			zip_fclose(zf);
		}
	}
	free(buf);
	zip_discard(za);
	ck_assert_int_eq(seen, 3);
	ck_assert_msg(tz_load(path, &b, &cause) == 0, "%s", cause);
	for (size_t t = 0; t < b.count; t++)
		ck_assert_msg(tz_verify(&b, &b.tensors[t], &cause) == 0, "%s", cause);
	assert_same(&a, &b);
	tz_free(&b);
	struct stat st;
	ck_assert(stat(path, &st) == 0);
	ck_assert(st.st_size > ((off_t)43 << 20));
	if (fs_makes_holes(probe))
		/* written: chunk 1 and 2 of the big entry, chunk 1 and the
		 * partial tail of the small one, and the small entries */
		ck_assert_msg((off_t)st.st_blocks * 512 < ((off_t)8 << 20),
			      "%lld bytes allocated for a file of %lld with 40 MiB of zero chunks",
			      (long long)st.st_blocks * 512, (long long)st.st_size);
	else
		fprintf(stderr, "check_torchzip: the filesystem of %s makes no holes: its allocation not checked\n", path);
	tz_free(&a);
	free(path);
	free(probe);
}
END_TEST


START_TEST(test_save_errors)
{
	struct tz_archive a;
	char *cause = NULL, *path = test_path("dup.pt");
	make_sample(&a);
	free(a.tensors[1].name);
	a.tensors[1].name = xstrdup("scalar");
	ck_assert_int_eq(tz_save(path, &a, &cause), -1);
	ck_assert_msg(strstr(cause, path) && strstr(cause, "twice"), "%s", cause);
	free(a.tensors[1].name);
	a.tensors[1].name = xstrdup("vec");
	a.tensors[4].numel = 5;     /* shape says 6 */
	ck_assert_int_eq(tz_save(path, &a, &cause), -1);
	ck_assert_msg(strstr(cause, "shape"), "%s", cause);
	a.tensors[4].numel = 6;
	ck_assert_int_eq(tz_save("no-such-dir/x/y.pt", &a, &cause), -1);
	ck_assert_msg(strstr(cause, "no-such-dir/x/y.pt"), "%s", cause);
	ck_assert(access(path, F_OK) != 0);
	free(cause);
	tz_free(&a);
	free(path);
}
END_TEST

/* ---- conversions ---- */

static float from_bits(uint32_t u)
{
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

START_TEST(test_bf16)
{
	ck_assert_uint_eq(f32_to_bf16(1.0f), 0x3f80);
	ck_assert(bf16_to_f32(0x3f80) == 1.0f);
	ck_assert_uint_eq(f32_to_bf16(-2.0f), 0xc000);
	ck_assert_uint_eq(f32_to_bf16(-0.0f), 0x8000);
	ck_assert_uint_eq(f32_to_bf16(from_bits(0x3f808000)), 0x3f80);  /* tie: down to even */
	ck_assert_uint_eq(f32_to_bf16(from_bits(0x3f818000)), 0x3f82);  /* tie: up to even */
	ck_assert_uint_eq(f32_to_bf16(from_bits(0x3f808001)), 0x3f81);
	ck_assert_uint_eq(f32_to_bf16(from_bits(0x3f807fff)), 0x3f80);
	ck_assert_uint_eq(f32_to_bf16(0.1f), 0x3dcd);                   /* 0x3dcccccd */
	ck_assert_uint_eq(f32_to_bf16(3.14159265f), 0x4049);            /* 0x40490fdb */
	ck_assert_uint_eq(f32_to_bf16(from_bits(0x7f7fffff)), 0x7f80);  /* FLT_MAX -> inf */
	ck_assert_uint_eq(f32_to_bf16(INFINITY), 0x7f80);
	ck_assert_uint_eq(f32_to_bf16(-INFINITY), 0xff80);
	ck_assert(isnan(bf16_to_f32(f32_to_bf16(NAN))));
	/* a NaN whose payload is only in the low bits must not become inf */
	ck_assert(isnan(bf16_to_f32(f32_to_bf16(from_bits(0x7f800001)))));
	ck_assert_uint_eq(f32_to_bf16(from_bits(0xffc00000)) & 0x8000, 0x8000);
	ck_assert(bf16_to_f32(0x0001) == ldexpf(1.0f, -133));           /* subnormal */
	for (uint32_t h = 0; h < 0x10000; h++) {
		float f = bf16_to_f32((uint16_t)h);
		if (!isnan(f))
			ck_assert_uint_eq(f32_to_bf16(f), h);
	}
}
END_TEST

START_TEST(test_f16)
{
	ck_assert_uint_eq(f32_to_f16(1.0f), 0x3c00);
	ck_assert(f16_to_f32(0x3c00) == 1.0f);
	ck_assert_uint_eq(f32_to_f16(-2.0f), 0xc000);
	ck_assert_uint_eq(f32_to_f16(0.5f), 0x3800);
	ck_assert(f16_to_f32(0x0001) == ldexpf(1.0f, -24));
	ck_assert(f16_to_f32(0x03ff) == ldexpf(1023.0f, -24));
	ck_assert(f16_to_f32(0x0400) == ldexpf(1.0f, -14));
	ck_assert(f16_to_f32(0x7bff) == 65504.0f);
	ck_assert(f16_to_f32(0x7c00) == INFINITY);
	ck_assert(f16_to_f32(0xfc00) == -INFINITY);
	ck_assert(isnan(f16_to_f32(0x7e00)));
	ck_assert(signbit(f16_to_f32(0x8000)) && f16_to_f32(0x8000) == 0.0f);
	ck_assert_uint_eq(f32_to_f16(65504.0f), 0x7bff);
	ck_assert_uint_eq(f32_to_f16(65519.0f), 0x7bff);
	ck_assert_uint_eq(f32_to_f16(65520.0f), 0x7c00);   /* tie to even: inf */
	ck_assert_uint_eq(f32_to_f16(1e10f), 0x7c00);
	ck_assert_uint_eq(f32_to_f16(-1e10f), 0xfc00);
	ck_assert_uint_eq(f32_to_f16(ldexpf(1.0f, -24)), 0x0001);
	ck_assert_uint_eq(f32_to_f16(ldexpf(1.0f, -25)), 0x0000);  /* half a unit: even */
	ck_assert_uint_eq(f32_to_f16(nextafterf(ldexpf(1.0f, -25), 1.0f)), 0x0001);
	ck_assert_uint_eq(f32_to_f16(ldexpf(3.0f, -25)), 0x0002);  /* 1.5 units */
	ck_assert_uint_eq(f32_to_f16(ldexpf(5.0f, -25)), 0x0002);  /* 2.5 units */
	ck_assert_uint_eq(f32_to_f16(ldexpf(2047.0f, -25)), 0x0400); /* into the normals */
	ck_assert_uint_eq(f32_to_f16(ldexpf(1.0f, -26)), 0x0000);
	ck_assert_uint_eq(f32_to_f16(-ldexpf(1.0f, -30)), 0x8000);
	ck_assert_uint_eq(f32_to_f16(1.0f + ldexpf(1.0f, -11)), 0x3c00);     /* tie: even */
	ck_assert_uint_eq(f32_to_f16(1.0f + ldexpf(3.0f, -11)), 0x3c02);
	uint16_t n = f32_to_f16(NAN);
	ck_assert((n & 0x7c00) == 0x7c00 && (n & 0x3ff) != 0);
	n = f32_to_f16(from_bits(0x7f800001));
	ck_assert((n & 0x7c00) == 0x7c00 && (n & 0x3ff) != 0);
	for (uint32_t h = 0; h < 0x10000; h++) {
		float f = f16_to_f32((uint16_t)h);
		if (!isnan(f))
			ck_assert_uint_eq(f32_to_f16(f), h);
	}
}
END_TEST

START_TEST(test_to_float)
{
	static const uint8_t raw_u8[2] = { 0, 255 };
	static const int8_t raw_i8[2] = { -128, 127 };
	static const int16_t raw_i16[2] = { -300, 300 };
	static const int32_t raw_i32[2] = { -70000, 5 };
	static const int64_t raw_i64[2] = { -((int64_t)1 << 40), 3 };
	static const uint16_t raw_bf16[2] = { 0x3f80, 0xc040 };  /* 1, -3 */
	static const uint16_t raw_f16[2] = { 0x3c00, 0x0001 };   /* 1, 2^-24 */
	static const float raw_f32[2] = { 1.5f, -2.25f };
	static const double raw_f64[2] = { 1e100, -0.5 };
	static const uint8_t raw_bool[2] = { 1, 0 };
	const struct { enum tz_dtype t; const void *p; double v0, v1; } c[] = {
		{ TZ_U8, raw_u8, 0, 255 }, { TZ_I8, raw_i8, -128, 127 },
		{ TZ_I16, raw_i16, -300, 300 }, { TZ_I32, raw_i32, -70000, 5 },
		{ TZ_I64, raw_i64, -1099511627776.0, 3 }, { TZ_BF16, raw_bf16, 1, -3 },
		{ TZ_F16, raw_f16, 1, 5.9604644775390625e-08 }, { TZ_F32, raw_f32, 1.5, -2.25 },
		{ TZ_F64, raw_f64, 1e100, -0.5 }, { TZ_BOOL, raw_bool, 1, 0 },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		struct tz_tensor t = { .dtype = c[i].t, .ndim = 1, .shape = { 2 }, .numel = 2,
		                       .data = (void *)(uintptr_t)c[i].p };
		double d[2];
		float f[2];
		tz_to_f64(&t, d);
		tz_to_f32(&t, f);
		ck_assert_msg(d[0] == c[i].v0 && d[1] == c[i].v1, "%s: %g %g", tz_dtype_name(c[i].t), d[0], d[1]);
		if (c[i].t != TZ_F64)
			ck_assert_msg(f[0] == (float)c[i].v0 && f[1] == (float)c[i].v1, "%s", tz_dtype_name(c[i].t));
	}
	ck_assert_str_eq(tz_dtype_name(TZ_BF16), "bfloat16");
	ck_assert_str_eq(tz_dtype_name(TZ_U8), "uint8");
	ck_assert_int_eq((int)tz_dtype_size(TZ_I64), 8);
	ck_assert_int_eq((int)tz_dtype_size(TZ_BF16), 2);
	ck_assert_int_eq((int)tz_dtype_size(TZ_BOOL), 1);
}
END_TEST

/* ---- hostile and broken inputs ---- */

START_TEST(test_bad_files)
{
	char *path = test_path("empty.pt"), *cause = NULL, *buf;
	size_t len;
	struct tz_archive a, b;
	write_bytes(path, "", 0);
	expect_fail(path, "empty");
	ck_assert_int_eq(tz_load_mem("", 0, "m.pt", &a, &cause), -1);
	ck_assert_msg(strstr(cause, "m.pt: empty") == cause, "%s", cause);
	free(path);

	path = test_path("text.pt");
	write_bytes(path, "just some text\n", 15);
	expect_fail(path, "not a zip");
	ck_assert_int_eq(tz_load_mem("just some text\n", 15, "m.pt", &a, &cause), -1);
	ck_assert_msg(strstr(cause, "m.pt: not a zip") == cause, "%s", cause);
	free(path);

	path = test_path("legacy.pt");
	write_bytes(path, "\x80\x02\x8a\x0alegacy", 10);
	expect_fail(path, "legacy");
	free(path);

	expect_fail("no-such-file.pt", "cannot open");

	/* the first half of a good file: no central directory */
	path = test_path("whole.pt");
	make_sample(&b);
	ck_assert_msg(tz_save(path, &b, &cause) == 0, "%s", cause);
	tz_free(&b);
	ck_assert_msg(read_file_all(path, 1 << 24, &buf, &len, &cause) == 0, "%s", cause);
	free(path);
	path = test_path("half.pt");
	write_bytes(path, buf, len / 2);
	expect_fail(path, "truncated");
	ck_assert_int_eq(tz_load_mem(buf, len / 2, "half.pt", &a, &cause), -1);
	ck_assert_msg(strstr(cause, "half.pt: ") == cause && strstr(cause, "zip"), "%s", cause);
	/* a byte flipped inside a stored entry: caught by the CRC or the pickle */
	for (size_t i = 0; i + 8 < len; i++)
		if (memcmp(buf + i, "\x80\x02", 2) == 0) {
			buf[i + 1] = 9;
			break;
		}
	ck_assert_int_eq(tz_load_mem(buf, len, "flip.pt", &a, &cause), -1);
	ck_assert_msg(strstr(cause, "flip.pt: ") == cause, "%s", cause);
	free(buf);
	free(cause);
	free(path);
}
END_TEST

START_TEST(test_bad_globals)
{
	EXPECT_PICKLE_FAIL("os_system.pt", "\x80\x02" "cos\nsystem\nX\x02\x00\x00\x00id\x85R.",
	                   "forbidden global 'os.system'");
	/* protocol 4 spelling */
	EXPECT_PICKLE_FAIL("eval.pt", "\x80\x04\x8c\x08" "builtins\x8c\x04" "eval\x93.",
	                   "forbidden global 'builtins.eval'");
	EXPECT_PICKLE_FAIL("getattr.pt", "\x80\x02" "c__builtin__\ngetattr\n.",
	                   "forbidden global '__builtin__.getattr'");
	/* a whitelisted module but another name */
	EXPECT_PICKLE_FAIL("qtensor.pt", "\x80\x02" "ctorch._utils\n_rebuild_qtensor\n.",
	                   "forbidden global 'torch._utils._rebuild_qtensor'");
	EXPECT_PICKLE_FAIL("opcode.pt", "\x80\x02\xff", "opcode 0xff at offset 2");
	/* INST and OBJ, the protocol-0/1 ways to call things */
	EXPECT_PICKLE_FAIL("inst.pt", "\x80\x02(ios\nsystem\n.", "opcode 0x69 at offset 3");
	EXPECT_PICKLE_FAIL("obj.pt", "\x80\x02(o.", "opcode 0x6f");
	/* storage types are not callable, nor are REDUCE results of non-globals */
	EXPECT_PICKLE_FAIL("call_storage.pt", "\x80\x02" "ctorch\nFloatStorage\n)R.", "REDUCE on a storage type");
	EXPECT_PICKLE_FAIL("call_dict.pt", "\x80\x02})R.", "REDUCE on a dict");
	EXPECT_PICKLE_FAIL("proto.pt", "\x80\x09}.", "protocol 9");
}
END_TEST

START_TEST(test_bad_tensors)
{
	struct spec ok = mkspec("0", 6, 0, 2, 2, 3, 3, 1);
	struct pb p = { .n = 0 };
	struct tz_archive a;
	char *cause = NULL;
	pb_state_dict(&p, &ok);
	char *path = write_case("ok.pt", &p);
	ck_assert_msg(tz_load(path, &a, &cause) == 0, "%s", cause);
	ck_assert_int_eq((int)a.count, 1);
	ck_assert(memcmp(a.tensors[0].data, six, sizeof six) == 0);
	tz_free(&a);
	free(path);

	/* a Parameter, a Parameter with state, and a state dict inside a dict */
	for (int v = 0; v < 3; v++) {
		struct spec var = ok;
		var.param = v < 2 ? v + 1 : 0;
		var.nested = v == 2;
		p.n = 0;
		pb_state_dict(&p, &var);
		path = write_case("variant.pt", &p);
		ck_assert_msg(tz_load(path, &a, &cause) == 0, "%s", cause);
		ck_assert_int_eq((int)a.count, 1);
		ck_assert_str_eq(a.tensors[0].name, var.nested ? "model.w" : "w");
		ck_assert(memcmp(a.tensors[0].data, six, sizeof six) == 0);
		tz_free(&a);
		free(path);
	}

	/* transposed view with an offset: [[1, 3], [2, 4]] */
	struct spec view = mkspec("0", 6, 1, 2, 2, 2, 1, 2);
	p.n = 0;
	pb_state_dict(&p, &view);
	path = write_case("view.pt", &p);
	ck_assert_msg(tz_load(path, &a, &cause) == 0, "%s", cause);
	const float *f = a.tensors[0].data;
	ck_assert(f[0] == 1 && f[1] == 3 && f[2] == 2 && f[3] == 4);
	tz_free(&a);
	free(path);

	struct spec big = mkspec("0", 6, 0, 2, 3, 3, 3, 1);
	expect_spec_fail("big.pt", &big, "tensor 'w' needs 36 bytes but its storage holds 24");
	struct spec off = mkspec("0", 6, 1, 1, 6, 0, 1, 0);
	expect_spec_fail("off.pt", &off, "needs 28 bytes");
	struct spec huge = mkspec("0", 6, 0, 1, (int64_t)1 << 40, 0, 1, 0);
	expect_spec_fail("huge.pt", &huge, "needs 4398046511104 bytes but its storage holds 24");
	struct spec claim = mkspec("0", (int64_t)1 << 40, 0, 1, 6, 0, 1, 0);
	expect_spec_fail("claim.pt", &claim, "holds 24 bytes but 4398046511104 were declared");
	struct spec both = mkspec("0", (int64_t)1 << 40, 0, 1, (int64_t)1 << 40, 0, 1, 0);
	expect_spec_fail("both.pt", &both, "4398046511104");
	struct spec wrap = mkspec("0", 6, 0, 2, 2, 2, (int64_t)1 << 62, 1);
	expect_spec_fail("wrap.pt", &wrap, "overflows");
	struct spec neg = mkspec("0", 6, -1, 1, 2, 0, 1, 0);
	expect_spec_fail("neg.pt", &neg, "_rebuild_tensor_v2");
	struct spec nodata = mkspec("1", 6, 0, 1, 6, 0, 1, 0);
	expect_spec_fail("nodata.pt", &nodata, "no entry 'archive/data/1'");
	/* the reader never writes files; a key that would climb out of data/
	 * if it were used as a path is refused outright */
	struct spec trav = mkspec("../../evil", 6, 0, 1, 6, 0, 1, 0);
	expect_spec_fail("trav.pt", &trav, "invalid storage key '../../evil'");
}
END_TEST

START_TEST(test_bad_structure)
{
	char bomb[1200] = "\x80\x02";
	memset(bomb + 2, '(', 1000);
	expect_pickle_fail("marks.pt", bomb, 1002, "nested MARKs");
	/* [[[[...]]]] built with APPEND */
	memset(bomb + 2, ']', 500);
	memset(bomb + 502, 'a', 499);
	bomb[1001] = '.';
	expect_pickle_fail("lists.pt", bomb, 1002, "nested deeper");
	/* d = {}; d['x'] = d */
	EXPECT_PICKLE_FAIL("cycle.pt", "\x80\x02}q\x00X\x01\x00\x00\x00xh\x00s.", "contains itself");
	EXPECT_PICKLE_FAIL("memo.pt", "\x80\x02]r\xff\xff\xff\xff.", "memo index 4294967295");
	EXPECT_PICKLE_FAIL("memo_get.pt", "\x80\x02h\x07.", "memo key 7 was never stored");
	EXPECT_PICKLE_FAIL("string.pt", "\x80\x02X\xff\xff\xff\x7f", "string of 2147483647 bytes");
	EXPECT_PICKLE_FAIL("short.pt", "\x80\x02X\x0a\x00\x00\x00" "abc",
	                   "pickle: unexpected end of data at offset 2");
	EXPECT_PICKLE_FAIL("no_stop.pt", "\x80\x02}", "unexpected end of data at offset 3");
	EXPECT_PICKLE_FAIL("list.pt", "\x80\x02].", "not a dict");
	EXPECT_PICKLE_FAIL("underflow.pt", "\x80\x02s", "underflow");
	EXPECT_PICKLE_FAIL("no_mark.pt", "\x80\x02}u", "no MARK");
	EXPECT_PICKLE_FAIL("odd.pt", "\x80\x02}(K\x01u", "odd number");
	EXPECT_PICKLE_FAIL("build.pt", "\x80\x02]}b", "BUILD on a list");
	EXPECT_PICKLE_FAIL("persid.pt", "\x80\x02(X\x07\x00\x00\x00storagetQ", "persistent id");
	EXPECT_PICKLE_FAIL("long.pt", "\x80\x02\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01.", "too large");
	/* found by fuzz_checkpoint: a tensor name with a newline broke the
	 * one-line message; an escape sequence would reach the terminal */
	struct spec esc = mkspec("0", 6, 0, 1, 6, 0, 1, 0);
	esc.name = "w\n\x1b[2J";
	expect_spec_fail("escape.pt", &esc, "a dict key holds the byte 0x0a, which is not printable ASCII");
	/* found by fuzz_checkpoint's long campaign: a storage key (a zip entry
	 * name) with a newline reached the 'no entry' message as is */
	struct spec nl = mkspec("\n", 6, 0, 1, 6, 0, 1, 0);
	expect_spec_fail("storage_key.pt", &nl, "invalid storage key '?'");
}
END_TEST

START_TEST(test_bad_archive)
{
	struct spec ok = mkspec("0", 6, 0, 1, 6, 0, 1, 0);
	struct pb p = { .n = 0 };
	struct tz_archive a;
	char *cause = NULL, *path, evil[64];
	pb_state_dict(&p, &ok);

	path = test_path("big_endian.pt");
	struct entry be[] = {
		{ "archive/data.pkl", p.b, p.n }, { "archive/byteorder", "big", 3 },
		{ "archive/data/0", six, sizeof six },
	};
	write_zip(path, be, 3);
	expect_fail(path, "big-endian");
	free(path);

	path = test_path("no_pkl.pt");
	struct entry none[] = { { "archive/version", "3\n", 2 }, { "archive/data/0", six, sizeof six } };
	write_zip(path, none, 2);
	expect_fail(path, "no data.pkl");
	free(path);

	/* Entry names are only ever compared as strings: one that climbs out of
	 * the archive folder is ignored, and nothing is written anywhere. */
	snprintf(evil, sizeof evil, "archive/../../tz_evil_%ld", (long)getpid());
	path = test_path("traversal.pt");
	struct entry tr[] = {
		{ "step_7/data.pkl", p.b, p.n }, { "step_7/data/0", six, sizeof six },
		{ evil, "x", 1 }, { "step_7/byteorder", "little", 6 },
	};
	write_zip(path, tr, 4);
	ck_assert_msg(tz_load(path, &a, &cause) == 0, "%s", cause);
	ck_assert_int_eq((int)a.count, 1);
	ck_assert_str_eq(a.tensors[0].name, "w");
	tz_free(&a);
	char *probe = test_path(evil + 11);
	ck_assert(access(probe, F_OK) != 0);
	free(probe);
	free(path);
}
END_TEST

/* ---- files written by real torch (tests/reference/make_golden.py) ---- */

static int exists(const char *path)
{
	return access(path, R_OK) == 0;
}

static void check_golden(const char *rel, struct tz_archive *a)
{
	char path[1024], *cause = NULL;
	snprintf(path, sizeof path, "%s/golden/%s/checkpoint", FIXTURES_DIR, rel);
	ck_assert_msg(tz_load(path, a, &cause) == 0, "%s", cause);
	ck_assert(a->count > 0);
	for (size_t i = 0; i < a->count; i++) {
		const struct tz_tensor *t = &a->tensors[i];
		ck_assert_msg(strncmp(t->name, "_orig_mod.model.inner.", 22) == 0, "%s", t->name);
		float *v = xmalloc((size_t)t->numel * sizeof *v);
		tz_to_f32(t, v);
		for (int64_t k = 0; k < t->numel; k++)
			ck_assert_msg(isfinite(v[k]), "%s[%lld] is not finite", t->name, (long long)k);
		free(v);
	}
	const struct tz_tensor *emb = tz_find(a, "_orig_mod.model.inner.embed_tokens.embedding_weight");
	const struct tz_tensor *h = tz_find(a, "_orig_mod.model.inner.H_init");
	ck_assert(emb != NULL && emb->ndim == 2 && emb->dtype == TZ_F32);
	ck_assert(h != NULL && h->ndim == 1 && h->dtype == TZ_BF16 && h->shape[0] == emb->shape[1]);
	/* and what we write back reads the same */
	struct tz_archive b;
	char *out = test_path("golden_copy.pt");
	ck_assert_msg(tz_save(out, a, &cause) == 0, "%s", cause);
	ck_assert_msg(tz_load(out, &b, &cause) == 0, "%s", cause);
	assert_same(a, &b);
	tz_free(&b);
	free(out);
}

START_TEST(test_golden)
{
	struct tz_archive a, b;
	char path[1024], *cause = NULL;
	snprintf(path, sizeof path, "%s/golden/rope_pe/checkpoint", FIXTURES_DIR);
	if (!exists(path))
		return;     /* fixtures not generated yet */
	check_golden("rope_pe", &a);
	const struct tz_tensor *t = tz_find(&a, "_orig_mod.model.inner.embed_tokens.embedding_weight");
	ck_assert(t->shape[0] == 6 && t->shape[1] == 16);
	t = tz_find(&a, "_orig_mod.model.inner.H_level.layers.1.mlp.down_proj.weight");
	ck_assert(t != NULL && t->shape[0] == 16 && t->shape[1] == 256);
	/* the same tensors re-archived the torch 2.x way and with ZIP64 */
	static const char *const same[] = { "torch2_layout", "zip64" };
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/golden/%s/checkpoint", FIXTURES_DIR, same[i]);
		if (!exists(path))
			continue;
		check_golden(same[i], &b);
		assert_same(&a, &b);
		tz_free(&b);
	}
	snprintf(path, sizeof path, "%s/golden/learned_nope/checkpoint", FIXTURES_DIR);
	if (exists(path)) {
		check_golden("learned_nope", &b);
		ck_assert_int_eq(tz_find(&b, "_orig_mod.model.inner.lm_head.weight")->dtype, TZ_BF16);
		tz_free(&b);
	}
	snprintf(path, sizeof path, "%s/golden/rope_lp2/checkpoint", FIXTURES_DIR);
	if (exists(path)) {
		check_golden("rope_lp2", &b);
		ck_assert_int_eq(tz_find(&b, "_orig_mod.model.inner.q_head.weight")->dtype, TZ_F16);
		tz_free(&b);
	}
	/* the trace is a plain dict */
	snprintf(path, sizeof path, "%s/golden/rope_pe/trace", FIXTURES_DIR);
	if (exists(path)) {
		ck_assert_msg(tz_load(path, &b, &cause) == 0, "%s", cause);
		t = tz_find(&b, "meta");
		ck_assert(t != NULL && t->dtype == TZ_I32 && t->ndim == 1 && t->shape[0] == 8);
		tz_free(&b);
	}
	tz_free(&a);
}
END_TEST

/* tests/fixtures/bad: each case has one defect (see its README). */
START_TEST(test_bad_fixtures)
{
	static const struct { const char *dir, *word; } bad[] = {
		{ "evil_global", "forbidden global 'os.system'" },
		{ "huge_size", "lm_head.weight' needs" },
		{ "truncated", "zip" },
		{ "not_zip", "not a zip" },
	};
	/* these are valid torch files; their defects are for the model loader */
	static const char *const good[] = { "wrong_shape", "missing_tensor", "nan_weights", "config_mismatch" };
	char path[1024], *cause = NULL;
	struct tz_archive a;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(path, sizeof path, "%s/bad/%s/checkpoint", FIXTURES_DIR, bad[i].dir);
		if (exists(path))
			expect_fail(path, bad[i].word);
	}
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		snprintf(path, sizeof path, "%s/bad/%s/checkpoint", FIXTURES_DIR, good[i]);
		if (!exists(path))
			continue;
		ck_assert_msg(tz_load(path, &a, &cause) == 0, "%s", cause);
		ck_assert(a.count > 0);
		tz_free(&a);
	}
}
END_TEST

static Suite *torchzip_suite(void)
{
	Suite *s = suite_create("torchzip");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_roundtrip_many);
	tcase_add_test(tc, test_save_errors);
	tcase_add_test(tc, test_in_place);
	tcase_add_test(tc, test_zip64_write);
	tcase_add_test(tc, test_large_entry_crc);
	tcase_add_test(tc, test_mem_is_zero);
	tcase_add_test(tc, test_zero_runs_sparse);
	tcase_add_test(tc, test_bf16);
	tcase_add_test(tc, test_f16);
	tcase_add_test(tc, test_to_float);
	tcase_add_test(tc, test_bad_files);
	tcase_add_test(tc, test_bad_globals);
	tcase_add_test(tc, test_bad_tensors);
	tcase_add_test(tc, test_bad_structure);
	tcase_add_test(tc, test_bad_archive);
	tcase_add_test(tc, test_golden);
	tcase_add_test(tc, test_bad_fixtures);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(torchzip_suite(), "check_torchzip");
}
