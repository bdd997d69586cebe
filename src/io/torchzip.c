/* torchzip.c - reading torch.save files: the zip layer (libzip), turning the
 * parsed pickle (pickle_read.c) into contiguous tensors, and the dtype
 * conversions to float (core/half.c has the half-precision formats).  Writing is
 * torchzip_write.c.
 *
 * The reader never creates files: zip entry names are only compared as
 * strings, so an entry such as "archive/../../x" is simply never looked at,
 * and storage keys are restricted to plain names by the pickle reader. */
#include "io/torchzip.h"
#include "io/pickle_read.h"
#include "core/fmap.h"
#include "core/half.h"
#include "core/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>
#include <zlib.h>

#define MAX_PKL_BYTES ((zip_uint64_t)64 << 20)
#define PKL_BASE_BYTES ((size_t)16 << 10)    /* with an expectation: the dict, globals, memo */
#define OBJECTS_PER_TENSOR 64                /* pickle values a state-dict entry creates */
#define DEFLATE_MAX_RATIO 1032              /* deflate cannot do better */

/* ---- dtypes and conversions ---- */

size_t tz_dtype_size(enum tz_dtype t)
{
	switch (t) {
	case TZ_F64: case TZ_I64: return 8;
	case TZ_F32: case TZ_I32: return 4;
	case TZ_F16: case TZ_BF16: case TZ_I16: return 2;
	case TZ_I8: case TZ_U8: case TZ_BOOL: return 1;
	}
	return 0;
}

const char *tz_dtype_name(enum tz_dtype t)
{
	switch (t) {
	case TZ_F32: return "float32";
	case TZ_F64: return "float64";
	case TZ_F16: return "float16";
	case TZ_BF16: return "bfloat16";
	case TZ_I64: return "int64";
	case TZ_I32: return "int32";
	case TZ_I16: return "int16";
	case TZ_I8: return "int8";
	case TZ_U8: return "uint8";
	case TZ_BOOL: return "bool";
	}
	return "unknown";
}

/* One loop per dtype rather than a switch per element: whole checkpoints go
 * through here.  memcpy keeps the loads free of alignment assumptions. */
#define EACH(DST, T, SRC_T, EXPR)                                              \
	for (int64_t i = 0; i < t->numel; i++) {                                   \
		SRC_T v;                                                               \
		memcpy(&v, (const uint8_t *)t->data + (size_t)i * sizeof v, sizeof v); \
		DST[i] = (T)(EXPR);                                                    \
	}

#define CONVERT(DST, T)                                                        \
	switch (t->dtype) {                                                        \
	case TZ_F32: EACH(DST, T, float, v); break;                                \
	case TZ_F64: EACH(DST, T, double, v); break;                               \
	case TZ_F16: EACH(DST, T, uint16_t, f16_to_f32(v)); break;              \
	case TZ_BF16: EACH(DST, T, uint16_t, bf16_to_f32(v)); break;            \
	case TZ_I64: EACH(DST, T, int64_t, v); break;                              \
	case TZ_I32: EACH(DST, T, int32_t, v); break;                              \
	case TZ_I16: EACH(DST, T, int16_t, v); break;                              \
	case TZ_I8: EACH(DST, T, int8_t, v); break;                                \
	case TZ_U8: EACH(DST, T, uint8_t, v); break;                               \
	case TZ_BOOL: EACH(DST, T, uint8_t, v != 0); break;                        \
	}

void tz_to_f32(const struct tz_tensor *t, float *dst)
{
	CONVERT(dst, float);
}

void tz_to_f64(const struct tz_tensor *t, double *dst)
{
	CONVERT(dst, double);
}

/* ---- archive helpers ---- */

void tz_free(struct tz_archive *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->count; i++) {
		free(a->tensors[i].name);
		if (!a->tensors[i].borrowed)
			free(a->tensors[i].data);
	}
	free(a->tensors);
	a->tensors = NULL;
	a->count = 0;
	fmap_release(a->map);
	a->map = NULL;
}

uint32_t tz_crc32(uint32_t crc, const void *data, size_t len)
{
	const Bytef *p = data;
	uLong c = crc;
	while (len > 0) {
		uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
		c = crc32(c, p, n);
		p += n;
		len -= n;
	}
	return (uint32_t)c;
}

int tz_verify(const struct tz_archive *a, struct tz_tensor *t, char **cause)
{
	if (!t->crc_pending)
		return 0;
	size_t bytes = (size_t)t->numel * tz_dtype_size(t->dtype);
	uint32_t got = tz_crc32(0, t->data, bytes);
	const char *file = a->map ? a->map->name : "archive";
	if (fmap_check(a->map, cause))
		return -1;
	if (got != t->crc)
		return set_cause(cause, "%s: tensor '%s' fails its CRC check (file corrupt or changed while open)",
		                 file, t->name);
	t->crc_pending = false;
	return 0;
}

const struct tz_tensor *tz_find(const struct tz_archive *a, const char *name)
{
	for (size_t i = 0; i < a->count; i++)
		if (strcmp(a->tensors[i].name, name) == 0)
			return &a->tensors[i];
	return NULL;
}

/* ---- reading ---- */

struct loader {
	const char *name;           /* file name for messages */
	zip_t *za;
	struct fmap *map;           /* the file's bytes, when read from a file */
	zip_uint64_t archive_size;
	const struct tz_expect *expect; /* NULL: only the reader's own limits */
	char *prefix;               /* "<prefix>/" of every record */
	char **cause;
};

/* One storage, read once even when several tensors view it. */
struct storage {
	const struct pk_obj *obj;
	size_t uses;
	uint8_t *data;
	size_t bytes;
	bool mapped;                /* data lies in l->map (not freed) */
	bool crc_pending;           /* mapped, CRC not compared yet */
	uint32_t crc;
};

static int zip_fail(const struct loader *l, const char *what, zip_error_t *ze)
{
	return set_cause(l->cause, "%s: truncated or corrupt zip: %s: %s", l->name, what,
	                 zip_error_strerror(ze));
}

/* Looks up <prefix><rec>; returns 1 if absent.  max caps the size before
 * anything is allocated; *want (if not NULL) is the exact size required. */
static int read_record(struct loader *l, const char *rec, zip_uint64_t max, const size_t *want,
                       uint8_t **data, size_t *len)
{
	size_t n = strlen(l->prefix) + strlen(rec) + 1;
	char *full = xmalloc(n);
	snprintf(full, n, "%s%s", l->prefix, rec);
	int rc = -1;
	zip_file_t *zf = NULL;
	uint8_t *buf = NULL;
	zip_int64_t idx = zip_name_locate(l->za, full, 0);
	if (idx < 0) {
		free(full);
		return 1;
	}
	zip_stat_t st;
	zip_stat_init(&st);
	if (zip_stat_index(l->za, (zip_uint64_t)idx, 0, &st) != 0
	    || (st.valid & (ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD))
	       != (ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD)) {
		zip_fail(l, full, zip_get_error(l->za));
		goto out;
	}
	/* A stored entry cannot be larger than the archive; a deflated one
	 * cannot expand more than deflate allows.  Checked before allocating. */
	if ((st.comp_method == ZIP_CM_STORE && (st.size != st.comp_size || st.size > l->archive_size))
	    || (st.comp_method == ZIP_CM_DEFLATE && st.size / DEFLATE_MAX_RATIO > st.comp_size)) {
		set_cause(l->cause, "%s: truncated or corrupt zip: entry '%s' claims %llu bytes",
		          l->name, full, (unsigned long long)st.size);
		goto out;
	}
	if (st.comp_method != ZIP_CM_STORE && st.comp_method != ZIP_CM_DEFLATE) {
		set_cause(l->cause, "%s: entry '%s' uses an unsupported compression method %d",
		          l->name, full, (int)st.comp_method);
		goto out;
	}
	if (want != NULL && st.size != *want) {
		set_cause(l->cause, "%s: entry '%s' holds %llu bytes but %zu were declared",
		          l->name, full, (unsigned long long)st.size, *want);
		goto out;
	}
	if (st.size > max || st.size > SIZE_MAX - 1) {
		set_cause(l->cause, "%s: entry '%s' is too large (%llu bytes)",
		          l->name, full, (unsigned long long)st.size);
		goto out;
	}
	size_t size = (size_t)st.size;
	buf = malloc(size + 1);
	if (buf == NULL) {
		set_cause(l->cause, "%s: out of memory reading '%s' (%zu bytes)", l->name, full, size);
		goto out;
	}
	if ((zf = zip_fopen_index(l->za, (zip_uint64_t)idx, 0)) == NULL) {
		zip_fail(l, full, zip_get_error(l->za));
		goto out;
	}
	size_t got = 0;
	while (got < size) {
		zip_int64_t r = zip_fread(zf, buf + got, size - got);
		if (r < 0) {
			zip_fail(l, full, zip_file_get_error(zf));
			goto out;
		}
		if (r == 0) {
			set_cause(l->cause, "%s: truncated or corrupt zip: entry '%s' ends early", l->name, full);
			goto out;
		}
		got += (size_t)r;
	}
	/* libzip compares the CRC only once a read reaches the end */
	uint8_t extra;
	zip_int64_t r = zip_fread(zf, &extra, 1);
	if (r != 0) {
		if (r < 0)
			zip_fail(l, full, zip_file_get_error(zf));
		else
			set_cause(l->cause, "%s: truncated or corrupt zip: entry '%s' is longer than its size",
			          l->name, full);
		goto out;
	}
	buf[size] = 0;
	*data = buf;
	*len = size;
	buf = NULL;
	rc = 0;
out:
	if (zf != NULL)
		zip_fclose(zf);
	free(buf);
	free(full);
	return rc;
}


/* ---- stored entries in place ----
 * libzip has no call that tells where an entry's bytes start, so the
 * central directory (classic or ZIP64) is walked here once more, every
 * field bounds-checked against the mapped size (libzip has already
 * checked that it is consistent with the local headers: ZIP_CHECKCONS). */

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16; }
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

struct cd_entry {
	uint64_t data_off, size;
	uint32_t crc;
	int method;
};

/* 0 found, 1 absent, -1 corrupt (*cause set) */
static int cd_find(const struct loader *l, const char *want, struct cd_entry *out)
{
	const uint8_t *b = l->map->base;
	uint64_t len = l->map->len, eocd = UINT64_MAX;
	size_t wlen = strlen(want);
	if (len < 22)
		goto bad;
	for (uint64_t i = len - 22 + 1, stop = len > 22 + 65535 ? len - 22 - 65535 : 0; i-- > stop;)
		if (le32(b + i) == 0x06054b50) {
			eocd = i;
			break;
		}
	if (eocd == UINT64_MAX)
		goto bad;
	uint64_t count = le16(b + eocd + 10), cdoff = le32(b + eocd + 16);
	if (count == 0xFFFF || cdoff == 0xFFFFFFFF) {
		if (eocd < 20 || le32(b + eocd - 20) != 0x07064b50)
			goto bad;
		uint64_t z = le64(b + eocd - 20 + 8);
		if (z > len || len - z < 56 || le32(b + z) != 0x06064b50)
			goto bad;
		count = le64(b + z + 32);
		cdoff = le64(b + z + 48);
	}
	uint64_t p = cdoff;
	for (uint64_t k = 0; k < count; k++) {
		if (p > len || len - p < 46 || le32(b + p) != 0x02014b50)
			goto bad;
		uint64_t nlen = le16(b + p + 28), xlen = le16(b + p + 30), clen = le16(b + p + 32);
		if (len - p - 46 < nlen + xlen + clen)
			goto bad;
		if (nlen != wlen || memcmp(b + p + 46, want, wlen) != 0) {
			p += 46 + nlen + xlen + clen;
			continue;
		}
		uint64_t csize = le32(b + p + 20), usize = le32(b + p + 24), lho = le32(b + p + 42);
		const uint8_t *x = b + p + 46 + nlen, *xe = x + xlen;
		while (xe - x >= 4) {
			uint16_t id = le16(x), sz = le16(x + 2);
			if (sz > xe - x - 4)
				goto bad;
			if (id == 0x0001) {
				const uint8_t *f = x + 4, *fe = f + sz;
				if (usize == 0xFFFFFFFF) {
					if (fe - f < 8) goto bad;
					usize = le64(f); f += 8;
				}
				if (csize == 0xFFFFFFFF) {
					if (fe - f < 8) goto bad;
					csize = le64(f); f += 8;
				}
				if (lho == 0xFFFFFFFF) {
					if (fe - f < 8) goto bad;
					lho = le64(f);
				}
			}
			x += 4 + sz;
		}
		if (lho > len || len - lho < 30 || le32(b + lho) != 0x04034b50)
			goto bad;
		uint64_t data = lho + 30 + le16(b + lho + 26) + le16(b + lho + 28);
		if (data > len || len - data < csize)
			return set_cause(l->cause, "%s: truncated or corrupt zip: entry '%s' runs past the end of the file",
			                 l->name, want);
		out->data_off = data;
		out->size = usize;
		out->crc = le32(b + p + 16);
		out->method = le16(b + p + 10);
		if (le16(b + p + 8) & 1)
			out->method = -1;   /* encrypted: left to libzip, which refuses it */
		if (out->method == ZIP_CM_STORE && csize != usize)
			goto bad;
		return 0;
	}
	return 1;
bad:
	return set_cause(l->cause, "%s: truncated or corrupt zip: bad central directory near '%s'", l->name, want);
}

/* A stored entry of exactly *want bytes, in place: 0 (data, crc), 1 absent,
 * 2 not stored (read it through libzip), -1 error. */
static int map_record(struct loader *l, const char *rec, size_t want, const uint8_t **data, uint32_t *crc)
{
	size_t n = strlen(l->prefix) + strlen(rec) + 1;
	char *full = xmalloc(n);
	snprintf(full, n, "%s%s", l->prefix, rec);
	struct cd_entry e = {0};
	int rc = cd_find(l, full, &e);
	if (rc == 0 && e.method != ZIP_CM_STORE)
		rc = 2;
	else if (rc == 0 && e.size != want)
		rc = set_cause(l->cause, "%s: entry '%s' holds %llu bytes but %zu were declared", l->name, full,
		               (unsigned long long)e.size, want);
	else if (rc == 0) {
		*data = l->map->base + e.data_off;
		*crc = e.crc;
	}
	free(full);
	return rc;
}

/* Finds "<prefix>/data.pkl": torch names the folder after the file, so any
 * single-level folder is accepted. */
static int find_prefix(struct loader *l)
{
	zip_int64_t n = zip_get_num_entries(l->za, 0);
	for (zip_int64_t i = 0; i < n; i++) {
		const char *e = zip_get_name(l->za, (zip_uint64_t)i, 0);
		const char *slash = e ? strchr(e, '/') : NULL;
		if (slash != NULL && slash != e && strcmp(slash, "/data.pkl") == 0) {
			size_t len = (size_t)(slash - e) + 1;
			l->prefix = xmalloc(len + 1);
			memcpy(l->prefix, e, len);
			l->prefix[len] = '\0';
			return 0;
		}
	}
	return set_cause(l->cause, "%s: no data.pkl entry (not a torch.save file?)", l->name);
}

static int check_byteorder(struct loader *l)
{
	uint8_t *s;
	size_t len;
	int rc = read_record(l, "byteorder", 64, NULL, &s, &len);
	if (rc != 0)
		return rc < 0 ? -1 : 0;     /* absent before torch 2.1: little */
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' '))
		s[--len] = '\0';
	if (strcmp((char *)s, "little") == 0)
		rc = 0;
	else if (strcmp((char *)s, "big") == 0)
		rc = set_cause(l->cause, "%s: big-endian torch file (byteorder 'big') is not supported",
		               l->name);
	else
		rc = set_cause(l->cause, "%s: unknown byteorder record", l->name);
	free(s);
	return rc;
}

static int fits(int64_t v)
{
	return (uint64_t)v <= SIZE_MAX;     /* v >= 0 was checked by the pickle reader */
}

/* Bytes from the start of the storage to the end of the view, checked
 * against the storage's numel; *numel gets the view's element count. */
static int view_extent(const struct loader *l, const char *name, const struct pk_obj *t,
                       size_t esz, size_t *numel)
{
	const struct pk_obj *s = t->u.tensor.storage;
	const int64_t *size = t->u.tensor.size, *stride = t->u.tensor.stride;
	size_t n = 1, last = 0, x, need = 0, have;
	int bad = !fits(t->u.tensor.offset) || !fits(s->u.storage.numel);
	for (int d = 0; !bad && d < t->u.tensor.ndim; d++)
		bad = !fits(size[d]) || !fits(stride[d]) || size_mul(n, (size_t)size[d], &n);
	if (!bad && n > 0) {
		/* the last element's index is offset + sum (size - 1) * stride */
		last = (size_t)t->u.tensor.offset;
		for (int d = 0; !bad && d < t->u.tensor.ndim; d++)
			bad = size_mul((size_t)size[d] - 1, (size_t)stride[d], &x) || size_add(last, x, &last);
		bad = bad || size_add(last, 1, &need) || size_mul(need, esz, &need);
	}
	if (bad || n > INT64_MAX)
		return set_cause(l->cause, "%s: tensor '%s' has a size that overflows", l->name, name);
	if (size_mul((size_t)s->u.storage.numel, esz, &have))
		return set_cause(l->cause, "%s: storage '%s' of tensor '%s' claims %lld elements",
		                 l->name, s->u.storage.key, name, (long long)s->u.storage.numel);
	if (need > have)
		return set_cause(l->cause, "%s: tensor '%s' needs %zu bytes but its storage holds %zu",
		                 l->name, name, need, have);
	*numel = n;
	return 0;
}

/* Copies a strided view into dst, row by row; view_extent has bounded
 * every position, and unsigned wrap-around keeps the walk exact. */
static void gather(uint8_t *dst, const uint8_t *src, size_t esz, const struct pk_obj *t)
{
	int nd = t->u.tensor.ndim;
	const int64_t *size = t->u.tensor.size, *stride = t->u.tensor.stride;
	size_t pos = (size_t)t->u.tensor.offset;
	if (nd == 0) {
		memcpy(dst, src + pos * esz, esz);
		return;
	}
	size_t idx[TZ_MAX_DIMS] = { 0 };
	size_t inner = (size_t)size[nd - 1], istr = (size_t)stride[nd - 1];
	for (;;) {
		if (istr == 1)
			memcpy(dst, src + pos * esz, inner * esz);
		else
			for (size_t k = 0; k < inner; k++)
				memcpy(dst + k * esz, src + (pos + k * istr) * esz, esz);
		dst += inner * esz;
		int d = nd - 2;
		for (; d >= 0; d--) {
			pos += (size_t)stride[d];
			if (++idx[d] < (size_t)size[d])
				break;
			pos -= (size_t)stride[d] * (size_t)size[d];
			idx[d] = 0;
		}
		if (d < 0)
			break;
	}
}

static int is_whole(const struct pk_obj *t, size_t numel)
{
	const struct pk_obj *s = t->u.tensor.storage;
	if (t->u.tensor.offset != 0 || (int64_t)numel != s->u.storage.numel)
		return 0;
	int64_t expect = 1;
	for (int d = t->u.tensor.ndim - 1; d >= 0; d--) {
		if (t->u.tensor.size[d] != 1 && t->u.tensor.stride[d] != expect)
			return 0;
		expect *= t->u.tensor.size[d];
	}
	return 1;
}

static int cmp_storage(const void *a, const void *b)
{
	const struct pk_obj *x = *(const struct pk_obj *const *)a;
	const struct pk_obj *y = *(const struct pk_obj *const *)b;
	return strcmp(x->u.storage.key, y->u.storage.key);
}

/* Groups the tensors' storages by key (a file may repeat a persistent id
 * instead of memoizing it) and stores each one's group in ->slot. */
static int group_storages(struct loader *l, struct pk_named *v, size_t n,
                          struct storage **out, size_t *nout)
{
	struct pk_obj **s = xmalloc(n * sizeof *s);
	for (size_t i = 0; i < n; i++)
		s[i] = v[i].tensor->u.tensor.storage;
	qsort(s, n, sizeof *s, cmp_storage);
	struct storage *g = xcalloc(n ? n : 1, sizeof *g);
	size_t ng = 0;
	for (size_t i = 0; i < n; i++) {
		if (ng > 0 && strcmp(g[ng - 1].obj->u.storage.key, s[i]->u.storage.key) == 0) {
			const struct pk_obj *f = g[ng - 1].obj;
			if (f->u.storage.dtype != s[i]->u.storage.dtype || f->u.storage.numel != s[i]->u.storage.numel) {
				set_cause(l->cause, "%s: storage '%s' is declared twice with different types or sizes",
				          l->name, f->u.storage.key);
				free(s);
				free(g);
				return -1;
			}
		} else
			g[ng++].obj = s[i];
		s[i]->u.storage.slot = ng - 1;
	}
	for (size_t i = 0; i < n; i++)
		g[v[i].tensor->u.tensor.storage->u.storage.slot].uses++;
	free(s);
	*out = g;
	*nout = ng;
	return 0;
}

static int make_tensor(struct loader *l, const struct pk_named *nt, struct storage *g,
                       struct tz_tensor *t)
{
	const struct pk_obj *o = nt->tensor, *s = o->u.tensor.storage;
	size_t esz = tz_dtype_size(s->u.storage.dtype), numel = 0, bytes;
	if (view_extent(l, nt->name, o, esz, &numel))
		return -1;
	int whole = is_whole(o, numel);
	if (g->data == NULL) {
		char rec[PK_MAX_KEY + 8];
		size_t want = (size_t)s->u.storage.numel * esz;   /* checked by view_extent */
		snprintf(rec, sizeof rec, "data/%s", s->u.storage.key);
		int rc = 2;
		if (l->map != NULL) {
			const uint8_t *p = NULL;
			rc = map_record(l, rec, want, &p, &g->crc);
			if (rc == 0) {
				g->data = (uint8_t *)p;
				g->bytes = want;
				g->mapped = true;
				g->crc_pending = true;
			}
		}
		if (rc == 2)
			rc = read_record(l, rec, SIZE_MAX, &want, &g->data, &g->bytes);
		if (rc > 0)
			return set_cause(l->cause, "%s: no entry '%s%s' for tensor '%s'",
			                 l->name, l->prefix, rec, nt->name);
		if (rc < 0)
			return -1;
	}
	/* a mapped storage is read in full here unless it stays in place
	 * unread for a caller that will (lazy) */
	const struct tz_expect *e = l->expect;
	bool in_place = g->mapped && g->uses == 1 && whole;
	bool lazy = in_place && e != NULL && e->lazy != NULL && e->lazy(e->user, nt->name);
	if (g->crc_pending && !lazy) {
		if (tz_crc32(0, g->data, g->bytes) != g->crc || fmap_check(l->map, NULL))
			return set_cause(l->cause, "%s: entry '%sdata/%s' fails its CRC check (file corrupt or changed while open)",
			                 l->name, l->prefix, s->u.storage.key);
		g->crc_pending = false;
		/* read once for its CRC: not kept resident until its copy
		 * (a load's peak was the file beside the model) */
		if (g->mapped)
			fmap_drop(l->map, g->data, g->bytes);
	}
	if (size_mul(numel, esz, &bytes))       /* checked by check_tensors: cannot happen */
		return set_cause(l->cause, "%s: tensor '%s' has a size that overflows", l->name, nt->name);
	if (g->uses == 1 && whole) {
		t->data = g->data;          /* the common case: no copy */
		t->borrowed = g->mapped;
		t->crc_pending = g->crc_pending;
		t->crc = g->crc;
		g->data = NULL;
	} else {
		t->data = malloc(bytes ? bytes : 1);
		if (t->data == NULL)
			return set_cause(l->cause, "%s: out of memory for tensor '%s' (%zu bytes)",
			                 l->name, nt->name, bytes);
		if (numel > 0)
			gather(t->data, g->data, esz, o);
	}
	if (--g->uses == 0) {
		if (!g->mapped)
			free(g->data);
		g->data = NULL;
	}
	t->name = xstrdup(nt->name);
	t->dtype = s->u.storage.dtype;
	t->ndim = o->u.tensor.ndim;
	for (int d = 0; d < t->ndim; d++)
		t->shape[d] = o->u.tensor.size[d];
	t->numel = (int64_t)numel;
	return 0;
}

/* Before any storage is read: every view lies inside its storage and is no
 * larger than it (a view with stride 0 could claim gigabytes over a few
 * bytes; torch.save never writes one for a state dict), and the caller's
 * expectation holds for every tensor. */
static int check_tensors(struct loader *l, const struct pk_named *v, size_t n)
{
	const struct tz_expect *e = l->expect;
	if (e != NULL && e->max_tensors > 0 && n > e->max_tensors)
		return set_cause(l->cause, "%s: holds %zu tensors, more than the %zu expected", l->name, n,
		                 e->max_tensors);
	for (size_t i = 0; i < n; i++) {
		const struct pk_obj *o = v[i].tensor, *s = o->u.tensor.storage;
		size_t esz = tz_dtype_size(s->u.storage.dtype), numel, bytes, have;
		if (view_extent(l, v[i].name, o, esz, &numel))
			return -1;
		if (size_mul(numel, esz, &bytes) || size_mul((size_t)s->u.storage.numel, esz, &have) || bytes > have)
			return set_cause(l->cause, "%s: tensor '%s' expands its %lld-element storage to %zu elements",
			                 l->name, v[i].name, (long long)s->u.storage.numel, numel);
		if (e != NULL && e->check != NULL &&
		    e->check(e->user, v[i].name, s->u.storage.dtype, o->u.tensor.ndim, o->u.tensor.size, (int64_t)numel,
		             l->cause))
			return prefix_cause(l->cause, "%s", l->name);
	}
	return 0;
}

static int load_archive(struct loader *l, struct tz_archive *out)
{
	uint8_t *pkl = NULL;
	size_t pkl_len = 0, n = 0, ng = 0;
	struct pk_pool pool = { 0 };
	struct pk_obj *top;
	struct pk_named *named = NULL;
	struct storage *groups = NULL;
	int rc = -1;
	const uint16_t one = 1;

	if (*(const uint8_t *)&one != 1)
		return set_cause(l->cause, "%s: reading torch files needs a little-endian machine", l->name);
	if (find_prefix(l) || check_byteorder(l))
		return -1;
	/* what a pickle may hold, and so allocate, follows from what the
	 * caller expects: a state dict of T tensors is a few hundred bytes each */
	zip_uint64_t max_pkl = MAX_PKL_BYTES;
	size_t tensors = l->expect ? l->expect->max_tensors : 0;
	if (tensors > 0 && tensors < (MAX_PKL_BYTES - PKL_BASE_BYTES) / TZ_PICKLE_BYTES_PER_TENSOR) {
		max_pkl = PKL_BASE_BYTES + tensors * TZ_PICKLE_BYTES_PER_TENSOR;
		pool.max_objects = 256 + tensors * OBJECTS_PER_TENSOR;
	}
	int r = read_record(l, "data.pkl", max_pkl, NULL, &pkl, &pkl_len);
	if (r != 0)
		return r > 0 ? set_cause(l->cause, "%s: no data.pkl entry", l->name) : -1;
	if (pk_parse(pkl, pkl_len, &pool, &top, l->cause) || pk_collect_tensors(top, &named, &n, l->cause)) {
		prefix_cause(l->cause, "%s", l->name);
		goto out;
	}
	if (check_tensors(l, named, n) || group_storages(l, named, n, &groups, &ng))
		goto out;
	out->tensors = xcalloc(n ? n : 1, sizeof *out->tensors);
	for (size_t i = 0; i < n; i++) {
		struct storage *g = &groups[named[i].tensor->u.tensor.storage->u.storage.slot];
		if (make_tensor(l, &named[i], g, &out->tensors[i]))
			goto out;
		out->count = i + 1;
	}
	rc = 0;
out:
	if (rc != 0)
		tz_free(out);
	for (size_t i = 0; groups != NULL && i < ng; i++)
		if (!groups[i].mapped)
			free(groups[i].data);
	free(groups);
	pk_named_free(named, n);
	pk_pool_free(&pool);
	free(pkl);
	return rc;
}

/* Turns libzip's open error into the plain reason; head is the start of the
 * file, to tell a cut-off zip and an old-format torch file apart. */
static int open_fail(const char *name, int code, const uint8_t *head, size_t hlen, char **cause)
{
	zip_error_t ze;
	zip_error_init_with_code(&ze, code);
	int rc;
	if (code == ZIP_ER_NOZIP && hlen >= 2 && head[0] == 'P' && head[1] == 'K')
		rc = set_cause(cause, "%s: truncated or corrupt zip: no central directory (file cut short?)", name);
	else if (code == ZIP_ER_NOZIP && hlen >= 1 && head[0] == 0x80)
		rc = set_cause(cause, "%s: legacy (pre-1.6, non-zip) torch.save format is not supported; "
		               "re-save it with a newer torch", name);
	else if (code == ZIP_ER_NOZIP)
		rc = set_cause(cause, "%s: not a zip archive (torch.save file expected)", name);
	else if (code == ZIP_ER_OPEN || code == ZIP_ER_NOENT || code == ZIP_ER_MEMORY)
		rc = set_cause(cause, "%s: cannot open: %s", name, zip_error_strerror(&ze));
	else
		rc = set_cause(cause, "%s: truncated or corrupt zip: %s", name, zip_error_strerror(&ze));
	zip_error_fini(&ze);
	return rc;
}

int tz_load(const char *path, struct tz_archive *out, char **cause)
{
	return tz_load_expect(path, NULL, out, cause);
}

int tz_load_expect(const char *path, const struct tz_expect *e, struct tz_archive *out, char **cause)
{
	memset(out, 0, sizeof *out);
	struct stat st;
	uint8_t head[4] = { 0 };
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return set_cause(cause, "%s: is a directory (torch.save file expected)", path);
	/* a FIFO or a device is refused before it can block or feed us forever;
	 * libzip reads the same descriptor, so what was checked is what is read */
	int fd = fd_open_regular(path, cause);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0) {
		int err = errno;
		close(fd);
		return set_cause(cause, "%s: cannot open: %s", path, strerror(err));
	}
	ssize_t got = pread(fd, head, sizeof head, 0);
	size_t hlen = got > 0 ? (size_t)got : 0;
	if (st.st_size == 0) {
		close(fd);
		return set_cause(cause, "%s: empty file (torch.save file expected)", path);
	}
	/* the bytes the file has now, no more: a page past its end would fault */
	if ((uint64_t)st.st_size > SIZE_MAX) {
		close(fd);
		return set_cause(cause, "%s: too large to map", path);
	}
	struct fmap *map = NULL;
	int mrc = fmap_open(fd, (size_t)st.st_size, path, &map, cause);
	close(fd);
	if (mrc != 0)
		return -1;
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(map->base, map->len, 0, &ze);
	zip_t *za = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze) : NULL;
	if (za == NULL) {
		int code = zip_error_code_zip(&ze);
		zip_error_fini(&ze);
		if (src != NULL)
			zip_source_free(src);
		fmap_release(map);
		return open_fail(path, code, head, hlen, cause);
	}
	zip_error_fini(&ze);
	struct loader l = {.name = path, .za = za, .map = map, .archive_size = (zip_uint64_t)st.st_size,
	                   .expect = e, .cause = cause};
	int rc = load_archive(&l, out);
	free(l.prefix);
	zip_discard(za);
	if (rc == 0 && fmap_check(map, cause) != 0) {
		tz_free(out);
		rc = -1;
	}
	if (rc == 0)
		out->map = map;     /* borrowed tensors keep it alive */
	else
		fmap_release(map);
	return rc;
}

int tz_load_mem(const void *buf, size_t len, const char *name, struct tz_archive *out, char **cause)
{
	return tz_load_mem_expect(buf, len, name, NULL, out, cause);
}

int tz_load_mem_expect(const void *buf, size_t len, const char *name, const struct tz_expect *e,
                       struct tz_archive *out, char **cause)
{
	memset(out, 0, sizeof *out);
	if (len == 0)
		return set_cause(cause, "%s: empty file (torch.save file expected)", name);
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(buf, len, 0, &ze);
	zip_t *za = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze) : NULL;
	if (za == NULL) {
		int code = zip_error_code_zip(&ze);
		zip_error_fini(&ze);
		if (src != NULL)
			zip_source_free(src);
		return open_fail(name, code, buf, len < 4 ? len : 4, cause);
	}
	zip_error_fini(&ze);
	struct loader l = {.name = name, .za = za, .archive_size = len, .expect = e, .cause = cause};
	int rc = load_archive(&l, out);
	free(l.prefix);
	zip_discard(za);
	return rc;
}
