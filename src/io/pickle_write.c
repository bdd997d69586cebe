/* pickle_write.c - the protocol-2 pickle that torch.save writes for an
 * OrderedDict of contiguous CPU tensors (torchzip_write.c wraps it in the
 * zip layout). */
#include "io/pickle_write.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Entries per SETITEMS, as Python's pickler batches them. */
#define BATCH 1000

/* Fixed memo keys of the values written more than once. */
enum { M_ODICT, M_REBUILD, M_STORAGE_STR, M_CPU, M_TYPES };

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
