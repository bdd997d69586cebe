/* pickle_write.c - between the pickle object model and struct tz_archive:
 * flattening a parsed dict into named tensors (for the reader), the
 * protocol-2 pickle that torch.save writes for an OrderedDict of contiguous
 * CPU tensors, and tz_save, which wraps it in the zip layout torch.load (1.13
 * and 2.x, also with weights_only=True) expects. */
#include "pickle.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#define MAX_NAME_BYTES 4096                 /* one flattened tensor name */
#define MAX_ALL_NAME_BYTES ((size_t)1 << 28)

/* Entries per SETITEMS, as Python's pickler batches them. */
#define BATCH 1000

/* Fixed memo keys of the values written more than once. */
enum { M_ODICT, M_REBUILD, M_STORAGE_STR, M_CPU, M_TYPES };

/* ---- flattening the pickled dict ---- */

struct collector {
	struct pk_named *v;
	size_t n, cap;
	size_t visits, name_bytes;
	char **cause;
};

static int walk(struct collector *c, const struct pk_obj *d, const char *prefix, int depth)
{
	if (depth > PK_MAX_NEST)
		return set_cause(c->cause, "pickle: dicts nested deeper than %d (or a dict contains itself)",
		                 PK_MAX_NEST);
	for (size_t i = 0; i < d->u.dict.n; i++) {
		const struct pk_obj *k = d->u.dict.keys[i];
		struct pk_obj *v = d->u.dict.vals[i];
		/* shared sub-dicts could otherwise multiply the work exponentially */
		if (++c->visits > PK_MAX_OBJECTS)
			return set_cause(c->cause, "pickle: more than %u dict entries", PK_MAX_OBJECTS);
		if (v->kind != PK_TENSOR && v->kind != PK_DICT)
			continue;       /* e.g. a step count next to the weights */
		char num[32];
		const char *ks;
		if (k->kind == PK_STR) {
			ks = k->u.str.s;
			if (strlen(ks) != k->u.str.len)
				return set_cause(c->cause, "pickle: a dict key contains a NUL byte");
			/* Names end up in messages and on the terminal: a control
			 * byte could break a one-line message or inject escape
			 * sequences.  State-dict keys are printable ASCII. */
			for (size_t j = 0; j < k->u.str.len; j++)
				if ((unsigned char)ks[j] < 0x20 || (unsigned char)ks[j] >= 0x7f)
					return set_cause(c->cause, "pickle: a dict key holds the byte 0x%02x, "
					                 "which is not printable ASCII", (unsigned char)ks[j]);
		} else if (k->kind == PK_INT) {
			snprintf(num, sizeof num, "%lld", (long long)k->u.i);
			ks = num;
		} else
			continue;
		size_t plen = prefix ? strlen(prefix) + 1 : 0, len = plen + strlen(ks);
		if (len > MAX_NAME_BYTES)
			return set_cause(c->cause, "pickle: a tensor name is longer than %d bytes", MAX_NAME_BYTES);
		c->name_bytes += len + 1;
		if (c->name_bytes > MAX_ALL_NAME_BYTES)
			return set_cause(c->cause, "pickle: tensor names take more than %zu bytes",
			                 MAX_ALL_NAME_BYTES);
		char *name = xmalloc(len + 1);
		snprintf(name, len + 1, "%s%s%s", prefix ? prefix : "", prefix ? "." : "", ks);
		if (v->kind == PK_DICT) {
			int rc = walk(c, v, name, depth + 1);
			free(name);
			if (rc)
				return -1;
			continue;
		}
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 64;
			c->v = xrealloc(c->v, c->cap * sizeof *c->v);
		}
		c->v[c->n].name = name;
		c->v[c->n++].tensor = v;
	}
	return 0;
}

static int cmp_named(const void *a, const void *b)
{
	const struct pk_named *x = *(const struct pk_named *const *)a;
	const struct pk_named *y = *(const struct pk_named *const *)b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x < y ? -1 : x > y);
}

void pk_named_free(struct pk_named *v, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(v[i].name);
	free(v);
}

int pk_collect_tensors(struct pk_obj *top, struct pk_named **out, size_t *count, char **cause)
{
	if (top->kind != PK_DICT)
		return set_cause(cause, "pickle holds a %s, not a dict of tensors",
		                 top->kind == PK_TENSOR ? "single tensor" : "non-dict object");
	struct collector c = { .cause = cause };
	if (walk(&c, top, NULL, 0)) {
		pk_named_free(c.v, c.n);
		return -1;
	}
	/* Repeated names: sort (stable by position), let the first occurrence
	 * take the last value, drop the rest. */
	struct pk_named **idx = xmalloc(c.n * sizeof *idx);
	for (size_t i = 0; i < c.n; i++)
		idx[i] = &c.v[i];
	qsort(idx, c.n, sizeof *idx, cmp_named);
	for (size_t i = 0; i < c.n;) {
		size_t j = i + 1;
		while (j < c.n && strcmp(idx[j]->name, idx[i]->name) == 0) {
			idx[i]->tensor = idx[j]->tensor;
			idx[j]->tensor = NULL;
			j++;
		}
		i = j;
	}
	free(idx);
	size_t n = 0;
	for (size_t i = 0; i < c.n; i++) {
		if (c.v[i].tensor == NULL)
			free(c.v[i].name);
		else
			c.v[n++] = c.v[i];
	}
	*out = c.v;
	*count = n;
	return 0;
}

/* ---- the pickle ---- */

static void put(struct pk_buf *b, const void *p, size_t n)
{
	if (n > b->cap - b->len) {
		size_t need;
		if (size_add(b->len, n, &need))
			abort();    /* cannot happen: the data is already in memory */
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < need)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void op(struct pk_buf *b, int code)
{
	uint8_t c = (uint8_t)code;
	put(b, &c, 1);
}

static void le(struct pk_buf *b, uint64_t v, int n)
{
	uint8_t x[8];
	for (int i = 0; i < n; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	put(b, x, (size_t)n);
}

static void memo_put(struct pk_buf *b, unsigned idx)
{
	if (idx < 256) {
		op(b, 'q');
		le(b, idx, 1);
	} else {
		op(b, 'r');
		le(b, idx, 4);
	}
}

static void memo_get(struct pk_buf *b, unsigned idx)
{
	if (idx < 256) {
		op(b, 'h');
		le(b, idx, 1);
	} else {
		op(b, 'j');
		le(b, idx, 4);
	}
}

static void w_global(struct pk_buf *b, const char *module, const char *name)
{
	op(b, 'c');
	put(b, module, strlen(module));
	op(b, '\n');
	put(b, name, strlen(name));
	op(b, '\n');
}

static void w_str(struct pk_buf *b, const char *s)
{
	size_t n = strlen(s);
	op(b, 'X');
	le(b, n, 4);
	put(b, s, n);
}

/* The shortest of BININT1, BININT2, BININT and LONG1 that holds v, as
 * Python's pickler chooses. */
static void w_int(struct pk_buf *b, int64_t v)
{
	if (v >= 0 && v < 256) {
		op(b, 'K');
		le(b, (uint64_t)v, 1);
	} else if (v >= 0 && v < 65536) {
		op(b, 'M');
		le(b, (uint64_t)v, 2);
	} else if (v >= INT32_MIN && v <= INT32_MAX) {
		op(b, 'J');
		le(b, (uint64_t)v, 4);
	} else {
		int n = 8;
		/* drop high bytes that only repeat the sign of the next one */
		while (n > 1) {
			int64_t hi = v >> (8 * (n - 1) - 1);
			if (hi != 0 && hi != -1)
				break;
			n--;
		}
		op(b, 0x8a);
		le(b, (uint64_t)n, 1);
		le(b, (uint64_t)v, n);
	}
}

static void w_tuple(struct pk_buf *b, const int64_t *v, int n)
{
	if (n == 0) {
		op(b, ')');
		return;
	}
	if (n > 3)
		op(b, '(');
	for (int i = 0; i < n; i++)
		w_int(b, v[i]);
	op(b, n == 1 ? 0x85 : n == 2 ? 0x86 : n == 3 ? 0x87 : 't');
}

/* Python decodes BINUNICODE strictly; a bad name would make torch.load fail,
 * so it is refused here instead. */
static int valid_utf8(const unsigned char *s)
{
	while (*s) {
		unsigned c = *s++;
		int more;
		unsigned min;
		if (c < 0x80)
			continue;
		else if ((c & 0xe0) == 0xc0) {
			more = 1;
			min = 0x80;
			c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			more = 2;
			min = 0x800;
			c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			more = 3;
			min = 0x10000;
			c &= 0x07;
		} else
			return 0;
		for (int i = 0; i < more; i++, s++) {
			if ((*s & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (*s & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
	}
	return 1;
}

static const char *storage_name(enum tz_dtype t)
{
	switch (t) {
	case TZ_F32: return "FloatStorage";
	case TZ_F64: return "DoubleStorage";
	case TZ_F16: return "HalfStorage";
	case TZ_BF16: return "BFloat16Storage";
	case TZ_I64: return "LongStorage";
	case TZ_I32: return "IntStorage";
	case TZ_I16: return "ShortStorage";
	case TZ_I8: return "CharStorage";
	case TZ_U8: return "ByteStorage";
	case TZ_BOOL: return "BoolStorage";
	}
	return NULL;
}

static void w_tensor(struct pk_buf *b, const struct tz_tensor *t, size_t index, int *type_memo)
{
	int64_t stride[TZ_MAX_DIMS];
	int64_t s = 1;
	for (int d = t->ndim - 1; d >= 0; d--) {
		stride[d] = s;
		/* torch gives size-0 dims a stride as if their size were 1 */
		s *= t->shape[d] > 1 ? t->shape[d] : 1;
	}
	char key[32];
	snprintf(key, sizeof key, "%zu", index);

	if (type_memo[M_REBUILD] < 0) {
		w_global(b, "torch._utils", "_rebuild_tensor_v2");
		memo_put(b, M_REBUILD);
		type_memo[M_REBUILD] = M_REBUILD;
	} else
		memo_get(b, M_REBUILD);
	op(b, '(');                         /* the argument tuple */
	op(b, '(');                         /* the persistent id */
	if (type_memo[M_STORAGE_STR] < 0) {
		w_str(b, "storage");
		memo_put(b, M_STORAGE_STR);
		type_memo[M_STORAGE_STR] = M_STORAGE_STR;
	} else
		memo_get(b, M_STORAGE_STR);
	unsigned tm = M_TYPES + (unsigned)t->dtype;
	if (type_memo[tm] < 0) {
		w_global(b, "torch", storage_name(t->dtype));
		memo_put(b, tm);
		type_memo[tm] = (int)tm;
	} else
		memo_get(b, tm);
	w_str(b, key);
	if (type_memo[M_CPU] < 0) {
		w_str(b, "cpu");
		memo_put(b, M_CPU);
		type_memo[M_CPU] = M_CPU;
	} else
		memo_get(b, M_CPU);
	w_int(b, t->numel);
	op(b, 't');
	op(b, 'Q');                         /* BINPERSID */
	w_int(b, 0);                        /* storage offset */
	w_tuple(b, t->shape, t->ndim);
	w_tuple(b, stride, t->ndim);
	op(b, 0x89);                        /* requires_grad = False */
	memo_get(b, M_ODICT);               /* backward_hooks = OrderedDict() */
	op(b, ')');
	op(b, 'R');
	op(b, 't');
	op(b, 'R');
}

int pk_write_state_dict(const struct tz_archive *a, struct pk_buf *b, char **cause)
{
	int type_memo[M_TYPES + TZ_BOOL + 1];
	for (size_t i = 0; i < sizeof type_memo / sizeof type_memo[0]; i++)
		type_memo[i] = -1;
	for (size_t i = 0; i < a->count; i++) {
		const char *name = a->tensors[i].name;
		if (name == NULL || !valid_utf8((const unsigned char *)name))
			return set_cause(cause, "tensor %zu has no name or a name that is not UTF-8", i);
		if (storage_name(a->tensors[i].dtype) == NULL)
			return set_cause(cause, "tensor '%s' has an unknown dtype", name);
	}

	op(b, 0x80);                        /* PROTO 2 */
	op(b, 2);
	w_global(b, "collections", "OrderedDict");
	memo_put(b, M_ODICT);
	op(b, ')');
	op(b, 'R');
	for (size_t i = 0; i < a->count; i++) {
		if (i % BATCH == 0)
			op(b, '(');
		w_str(b, a->tensors[i].name);
		w_tensor(b, &a->tensors[i], i, type_memo);
		if (i % BATCH == BATCH - 1 || i + 1 == a->count)
			op(b, 'u');
	}
	op(b, '.');
	return 0;
}

/* ---- the zip ---- */

#define ALIGN 64        /* torch aligns storages so they can be mmapped */

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int check_tensors(const struct tz_archive *a, char **cause)
{
	for (size_t i = 0; i < a->count; i++) {
		const struct tz_tensor *t = &a->tensors[i];
		const char *name = t->name ? t->name : "?";
		size_t n = 1, padded = 1, bytes;
		int bad = t->ndim < 0 || t->ndim > TZ_MAX_DIMS || t->numel < 0;
		for (int d = 0; !bad && d < t->ndim; d++) {
			bad |= t->shape[d] < 0;
			bad |= size_mul(n, (size_t)t->shape[d], &n);
			/* the strides written use max(size, 1) and must fit too */
			bad |= size_mul(padded, t->shape[d] > 1 ? (size_t)t->shape[d] : 1, &padded);
		}
		if (bad || padded > INT64_MAX || (int64_t)n != t->numel)
			return set_cause(cause, "tensor '%s': shape does not match numel %lld",
			                 name, (long long)t->numel);
		if (size_mul(n, tz_dtype_size(t->dtype), &bytes) || (bytes > 0 && t->data == NULL))
			return set_cause(cause, "tensor '%s' has no data", name);
	}
	/* a repeated key would silently lose a tensor in torch.load */
	const char **names = xmalloc((a->count ? a->count : 1) * sizeof *names);
	for (size_t i = 0; i < a->count; i++)
		names[i] = a->tensors[i].name ? a->tensors[i].name : "";
	qsort(names, a->count, sizeof *names, cmp_name);
	for (size_t i = 1; i < a->count; i++)
		if (strcmp(names[i - 1], names[i]) == 0) {
			set_cause(cause, "tensor name '%s' appears twice", names[i]);
			free(names);
			return -1;
		}
	free(names);
	return 0;
}

/* Adds a stored entry.  pos tracks where libzip will put the local header
 * (it writes entries in order: 30-byte header, name, local extra fields,
 * data), so that a padding extra field can align the data; if that guess were
 * ever off, the file would only be unaligned, which torch.load accepts. */
static int add_entry(zip_t *za, const char *name, const void *data, size_t len, int align,
                     zip_uint64_t *pos)
{
	zip_source_t *s = zip_source_buffer(za, data, len, 0);
	if (s == NULL)
		return -1;
	zip_int64_t idx = zip_file_add(za, name, s, ZIP_FL_ENC_UTF_8);
	if (idx < 0) {
		zip_source_free(s);
		return -1;
	}
	/* a fixed time (1980-01-01 00:00, the DOS epoch) keeps the output
	 * byte-for-byte reproducible */
	if (zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0) != 0
	    || zip_file_set_dostime(za, (zip_uint64_t)idx, 0, 0x21, 0) != 0)
		return -1;
	zip_uint64_t head = *pos + 30 + strlen(name);
	if (align) {
		static const zip_uint8_t zeros[ALIGN];
		zip_uint16_t pad = (zip_uint16_t)((ALIGN - (head + 4) % ALIGN) % ALIGN);
		/* 0x4246 is "FB", the id torch itself uses for this padding */
		if (zip_file_extra_field_set(za, (zip_uint64_t)idx, 0x4246, ZIP_EXTRA_FIELD_NEW,
		                             zeros, pad, ZIP_FL_LOCAL) != 0)
			return -1;
		head += 4 + pad;
	}
	*pos = head + len;
	return 0;
}

/* Builds the zip in memory, then hands it to write_file_atomic, which
 * fsyncs and renames (libzip's own temp-file rename does not fsync). */
int tz_save(const char *path, const struct tz_archive *a, char **cause)
{
	struct pk_buf pkl = { 0 };
	zip_error_t ze;
	zip_source_t *src = NULL;
	zip_t *za = NULL;
	uint8_t *bytes = NULL;
	zip_uint64_t pos = 0;
	int rc = -1;

	if (check_tensors(a, cause) || pk_write_state_dict(a, &pkl, cause)) {
		free(pkl.data);
		return prefix_cause(cause, "%s", path);
	}
	zip_error_init(&ze);
	if ((src = zip_source_buffer_create(NULL, 0, 0, &ze)) == NULL
	    || (za = zip_open_from_source(src, ZIP_TRUNCATE, &ze)) == NULL) {
		set_cause(cause, "%s: cannot build the zip: %s", path, zip_error_strerror(&ze));
		goto out;
	}
	zip_source_keep(src);   /* the archive is read back from it after zip_close */
	int bad = add_entry(za, "archive/data.pkl", pkl.data, pkl.len, 0, &pos);
	bad = bad || add_entry(za, "archive/byteorder", "little", 6, 0, &pos);
	for (size_t i = 0; !bad && i < a->count; i++) {
		char name[48];
		const struct tz_tensor *t = &a->tensors[i];
		snprintf(name, sizeof name, "archive/data/%zu", i);
		bad = add_entry(za, name, t->data, (size_t)t->numel * tz_dtype_size(t->dtype), 1, &pos);
	}
	bad = bad || add_entry(za, "archive/version", "3\n", 2, 0, &pos);
	if (bad || zip_close(za) != 0) {
		set_cause(cause, "%s: cannot build the zip: %s", path, zip_strerror(za));
		zip_discard(za);
		goto out;
	}
	zip_stat_t st;
	zip_stat_init(&st);
	if (zip_source_stat(src, &st) != 0 || zip_source_open(src) != 0) {
		set_cause(cause, "%s: cannot read the built zip: %s", path,
		          zip_error_strerror(zip_source_error(src)));
		goto out;
	}
	bytes = malloc(st.size ? (size_t)st.size : 1);
	if (bytes == NULL || zip_source_read(src, bytes, st.size) != (zip_int64_t)st.size) {
		set_cause(cause, "%s: cannot read the built zip (%llu bytes)", path,
		          (unsigned long long)st.size);
		zip_source_close(src);
		goto out;
	}
	zip_source_close(src);
	rc = write_file_atomic(path, bytes, (size_t)st.size, cause);
out:
	if (src != NULL)
		zip_source_free(src);
	zip_error_fini(&ze);
	free(bytes);
	free(pkl.data);
	return rc;
}
