/* pickle_read.c - a pickle VM restricted to what torch.save writes for a dict
 * of tensors.  It never imports or calls anything: GLOBAL resolves only a
 * whitelist of names to tags, and REDUCE/BINPERSID build plain descriptions
 * of tensors and storages.  The input is untrusted, so every read is
 * bounds-checked and the stack, memo, MARK nesting, object count, string
 * length and container nesting are all capped (see pickle.h). */
#include "io/pickle_read.h"
#include "core/util.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vm {
	const uint8_t *buf;
	size_t len, pos;
	size_t op_pos;              /* offset of the opcode being run, for messages */
	struct pk_pool *pool;
	struct pk_obj **stack;
	size_t sp, scap;
	size_t marks[PK_MAX_MARKS];
	int nmarks;
	struct pk_obj **memo;       /* indexed by memo key; NULL = unset */
	size_t memo_cap;
	size_t memo_count;          /* keys set, what MEMOIZE uses as next key */
	char **cause;
};

static int fail(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct vm *vm, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return set_cause(vm->cause, "pickle: %s at offset %zu", msg, vm->op_pos);
}

static const char *kind_name(enum pk_kind k)
{
	static const char *const names[] = {
		"None", "bool", "int", "float", "str", "bytes", "tuple", "list",
		"dict", "global", "storage", "tensor"
	};
	return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

static struct pk_obj *new_obj(struct vm *vm, enum pk_kind kind)
{
	struct pk_pool *p = vm->pool;
	size_t max = p->max_objects && p->max_objects < PK_MAX_OBJECTS ? p->max_objects : PK_MAX_OBJECTS;
	if (p->n >= max) {
		fail(vm, "more than %zu objects", max);
		return NULL;
	}
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 256;
		p->objs = xrealloc(p->objs, p->cap * sizeof *p->objs);
	}
	struct pk_obj *o = xcalloc(1, sizeof *o);
	o->kind = kind;
	p->objs[p->n++] = o;
	return o;
}

void pk_pool_free(struct pk_pool *pool)
{
	for (size_t i = 0; i < pool->n; i++) {
		struct pk_obj *o = pool->objs[i];
		switch (o->kind) {
		case PK_STR:
		case PK_BYTES:
			free(o->u.str.s);
			break;
		case PK_TUPLE:
		case PK_LIST:
			free(o->u.seq.items);
			break;
		case PK_DICT:
			free(o->u.dict.keys);
			free(o->u.dict.vals);
			break;
		case PK_STORAGE:
			free(o->u.storage.key);
			break;
		default:
			break;
		}
		free(o);
	}
	free(pool->objs);
	pool->objs = NULL;
	pool->n = pool->cap = 0;
}

/* ---- stack, marks, memo ---- */

static int push(struct vm *vm, struct pk_obj *o)
{
	if (o == NULL)
		return -1;
	if (vm->sp >= PK_MAX_STACK)
		return fail(vm, "stack deeper than %u", PK_MAX_STACK);
	if (vm->sp == vm->scap) {
		vm->scap = vm->scap ? vm->scap * 2 : 64;
		vm->stack = xrealloc(vm->stack, vm->scap * sizeof *vm->stack);
	}
	vm->stack[vm->sp++] = o;
	return 0;
}

/* stack[pos - 1], if it lies above the topmost MARK. */
static struct pk_obj *peek(struct vm *vm, size_t pos)
{
	size_t floor = vm->nmarks ? vm->marks[vm->nmarks - 1] : 0;
	if (pos <= floor) {
		fail(vm, "stack underflow");
		return NULL;
	}
	return vm->stack[pos - 1];
}

static struct pk_obj *top(struct vm *vm)
{
	return peek(vm, vm->sp);
}

static struct pk_obj *pop(struct vm *vm)
{
	struct pk_obj *o = peek(vm, vm->sp);
	if (o != NULL)
		vm->sp--;
	return o;
}

/* Removes the topmost MARK; the items above it are stack[*start .. sp), and
 * the object they go into (APPENDS, SETITEMS) is peek(vm, *start). */
static int pop_mark(struct vm *vm, size_t *start)
{
	if (vm->nmarks == 0)
		return fail(vm, "no MARK on the stack");
	*start = vm->marks[--vm->nmarks];
	return 0;
}

static int memo_put(struct vm *vm, uint64_t idx)
{
	struct pk_obj *o = top(vm);
	if (o == NULL)
		return -1;
	if (idx >= PK_MAX_MEMO)
		return fail(vm, "memo index %" PRIu64 " above the limit of %u", idx, PK_MAX_MEMO);
	/* each key stored takes an opcode: a key beyond the pickle's length is a lie */
	if (idx > vm->len)
		return fail(vm, "memo index %" PRIu64 " above what %zu bytes of pickle can store", idx, vm->len);
	if (idx >= vm->memo_cap) {
		size_t cap = vm->memo_cap ? vm->memo_cap : 64;
		while (cap <= idx)
			cap *= 2;
		vm->memo = xrealloc(vm->memo, cap * sizeof *vm->memo);
		memset(vm->memo + vm->memo_cap, 0, (cap - vm->memo_cap) * sizeof *vm->memo);
		vm->memo_cap = cap;
	}
	if (vm->memo[idx] == NULL)
		vm->memo_count++;
	vm->memo[idx] = o;
	return 0;
}

static int memo_get(struct vm *vm, uint64_t idx)
{
	if (idx >= vm->memo_cap || vm->memo[idx] == NULL)
		return fail(vm, "memo key %" PRIu64 " was never stored", idx);
	return push(vm, vm->memo[idx]);
}

/* ---- reading the byte stream ---- */

static int need(struct vm *vm, size_t n)
{
	if (vm->len - vm->pos < n)
		return fail(vm, "unexpected end of data");
	return 0;
}

static uint64_t rd_le(struct vm *vm, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)vm->buf[vm->pos + i] << (8 * i);
	vm->pos += n;
	return v;
}

/* Reads an n-byte little-endian length; fails before anything is read past
 * the end. */
static int rd_len(struct vm *vm, size_t n, uint64_t *out)
{
	if (need(vm, n))
		return -1;
	*out = rd_le(vm, n);
	return 0;
}

static int push_string(struct vm *vm, enum pk_kind kind, uint64_t n)
{
	if (n > PK_MAX_STRING)
		return fail(vm, "string of %" PRIu64 " bytes exceeds the limit of %u", n, PK_MAX_STRING);
	if (need(vm, (size_t)n))
		return -1;
	struct pk_obj *o = new_obj(vm, kind);
	if (o == NULL)
		return -1;
	o->u.str.s = xmalloc((size_t)n + 1);
	memcpy(o->u.str.s, vm->buf + vm->pos, (size_t)n);
	o->u.str.s[n] = '\0';
	o->u.str.len = (size_t)n;
	vm->pos += (size_t)n;
	return push(vm, o);
}

static int push_int(struct vm *vm, enum pk_kind kind, int64_t v)
{
	struct pk_obj *o = new_obj(vm, kind);
	if (o == NULL)
		return -1;
	o->u.i = v;
	return push(vm, o);
}

/* ---- containers ---- */

static int nest(struct vm *vm, struct pk_obj *c, const struct pk_obj *child)
{
	if (child->depth + 1 > c->depth)
		c->depth = child->depth + 1;
	if (c->depth > PK_MAX_NEST)
		return fail(vm, "containers nested deeper than %d", PK_MAX_NEST);
	return 0;
}

static int seq_add(struct vm *vm, struct pk_obj *c, struct pk_obj *item)
{
	if (c->u.seq.n == c->u.seq.cap) {
		c->u.seq.cap = c->u.seq.cap ? c->u.seq.cap * 2 : 4;
		c->u.seq.items = xrealloc(c->u.seq.items, c->u.seq.cap * sizeof *c->u.seq.items);
	}
	c->u.seq.items[c->u.seq.n++] = item;
	return nest(vm, c, item);
}

/* Appends without looking for an existing key: lookups would make a hostile
 * pickle quadratic, and pk_collect_tensors resolves repeats once at the end. */
static int dict_add(struct vm *vm, struct pk_obj *d, struct pk_obj *k, struct pk_obj *v)
{
	if (d->u.dict.n == d->u.dict.cap) {
		d->u.dict.cap = d->u.dict.cap ? d->u.dict.cap * 2 : 8;
		d->u.dict.keys = xrealloc(d->u.dict.keys, d->u.dict.cap * sizeof *d->u.dict.keys);
		d->u.dict.vals = xrealloc(d->u.dict.vals, d->u.dict.cap * sizeof *d->u.dict.vals);
	}
	d->u.dict.keys[d->u.dict.n] = k;
	d->u.dict.vals[d->u.dict.n++] = v;
	if (nest(vm, d, k))
		return -1;
	return nest(vm, d, v);
}

/* Replaces stack[start .. sp) by a new tuple or list of those items. */
static int make_seq(struct vm *vm, enum pk_kind kind, size_t start)
{
	struct pk_obj *o = new_obj(vm, kind);
	if (o == NULL)
		return -1;
	for (size_t i = start; i < vm->sp; i++)
		if (seq_add(vm, o, vm->stack[i]))
			return -1;
	vm->sp = start;
	return push(vm, o);
}

static int seq_from_mark(struct vm *vm, enum pk_kind kind)
{
	size_t start = 0;
	return pop_mark(vm, &start) ? -1 : make_seq(vm, kind, start);
}

static int tuple_n(struct vm *vm, size_t n)
{
	size_t floor = vm->nmarks ? vm->marks[vm->nmarks - 1] : 0;
	if (vm->sp - floor < n)
		return fail(vm, "stack underflow");
	return make_seq(vm, PK_TUPLE, vm->sp - n);
}

static int appends(struct vm *vm)
{
	size_t start = 0;
	if (pop_mark(vm, &start))
		return -1;
	struct pk_obj *l = peek(vm, start);
	if (l == NULL)
		return -1;
	if (l->kind != PK_LIST)
		return fail(vm, "APPENDS to a %s", kind_name(l->kind));
	for (size_t i = start; i < vm->sp; i++)
		if (seq_add(vm, l, vm->stack[i]))
			return -1;
	vm->sp = start;
	return 0;
}

/* SETITEMS (into the dict below the MARK) and DICT (into a new dict). */
static int setitems(struct vm *vm, int new_dict)
{
	size_t start = 0;
	if (pop_mark(vm, &start))
		return -1;
	if ((vm->sp - start) % 2 != 0)
		return fail(vm, "odd number of items for a dict");
	struct pk_obj *d = new_dict ? new_obj(vm, PK_DICT) : peek(vm, start);
	if (d == NULL)
		return -1;
	if (d->kind != PK_DICT)
		return fail(vm, "SETITEMS on a %s", kind_name(d->kind));
	for (size_t i = start; i < vm->sp; i += 2)
		if (dict_add(vm, d, vm->stack[i], vm->stack[i + 1]))
			return -1;
	vm->sp = start;
	return new_dict ? push(vm, d) : 0;
}

/* ---- globals: a whitelist mapped to tags ---- */

static const struct {
	const char *name;
	enum tz_dtype dtype;
} storage_types[] = {
	{ "FloatStorage", TZ_F32 }, { "DoubleStorage", TZ_F64 },
	{ "HalfStorage", TZ_F16 }, { "BFloat16Storage", TZ_BF16 },
	{ "LongStorage", TZ_I64 }, { "IntStorage", TZ_I32 },
	{ "ShortStorage", TZ_I16 }, { "CharStorage", TZ_I8 },
	{ "ByteStorage", TZ_U8 }, { "BoolStorage", TZ_BOOL },
};

/* Copies s for an error message, replacing bytes that could break the
 * one-line message or the terminal. */
static void printable(char *dst, size_t cap, const char *s, size_t n)
{
	size_t j = 0;
	for (size_t i = 0; i < n && j + 1 < cap; i++)
		dst[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	dst[j] = '\0';
}

static int push_global(struct vm *vm, const char *mod, size_t mlen, const char *name, size_t nlen)
{
	struct pk_obj *o = new_obj(vm, PK_GLOBAL);
	if (o == NULL)
		return -1;
	int ok = 0;
	if (mlen == 11 && memcmp(mod, "collections", 11) == 0
	    && nlen == 11 && memcmp(name, "OrderedDict", 11) == 0) {
		o->u.global.which = PK_G_ORDEREDDICT;
		ok = 1;
	} else if (mlen == 12 && memcmp(mod, "torch._utils", 12) == 0) {
		static const struct { const char *n; enum pk_global g; } fns[] = {
			{ "_rebuild_tensor_v2", PK_G_REBUILD_TENSOR_V2 },
			{ "_rebuild_parameter", PK_G_REBUILD_PARAMETER },
			{ "_rebuild_parameter_with_state", PK_G_REBUILD_PARAMETER_WITH_STATE },
		};
		for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
			if (strlen(fns[i].n) == nlen && memcmp(fns[i].n, name, nlen) == 0) {
				o->u.global.which = fns[i].g;
				ok = 1;
			}
	} else if (mlen == 5 && memcmp(mod, "torch", 5) == 0) {
		for (size_t i = 0; i < sizeof storage_types / sizeof storage_types[0]; i++)
			if (strlen(storage_types[i].name) == nlen
			    && memcmp(storage_types[i].name, name, nlen) == 0) {
				o->u.global.which = PK_G_STORAGE;
				o->u.global.dtype = storage_types[i].dtype;
				ok = 1;
			}
	}
	if (!ok) {
		char m[80], n[80];
		printable(m, sizeof m, mod, mlen);
		printable(n, sizeof n, name, nlen);
		return set_cause(vm->cause, "pickle references forbidden global '%s.%s'", m, n);
	}
	return push(vm, o);
}

/* GLOBAL: "module\nname\n" inline in the stream. */
static int op_global(struct vm *vm)
{
	const char *part[2];
	size_t plen[2];
	for (int k = 0; k < 2; k++) {
		const uint8_t *s = vm->buf + vm->pos;
		size_t room = vm->len - vm->pos;
		size_t lim = room < PK_MAX_GLOBAL ? room : PK_MAX_GLOBAL;
		const uint8_t *nl = memchr(s, '\n', lim);
		if (nl == NULL)
			return room < PK_MAX_GLOBAL ? fail(vm, "unexpected end of data")
			                            : fail(vm, "GLOBAL name longer than %d bytes", PK_MAX_GLOBAL);
		part[k] = (const char *)s;
		plen[k] = (size_t)(nl - s);
		vm->pos += plen[k] + 1;
	}
	return push_global(vm, part[0], plen[0], part[1], plen[1]);
}

static int op_stack_global(struct vm *vm)
{
	struct pk_obj *name = pop(vm);
	struct pk_obj *mod = name ? pop(vm) : NULL;
	if (mod == NULL)
		return -1;
	if (mod->kind != PK_STR || name->kind != PK_STR)
		return fail(vm, "STACK_GLOBAL needs two strings");
	return push_global(vm, mod->u.str.s, mod->u.str.len, name->u.str.s, name->u.str.len);
}

/* ---- torch objects ---- */

static int is_int(const struct pk_obj *o)
{
	return o->kind == PK_INT || o->kind == PK_BOOL;
}

/* BINPERSID with ('storage', torch.<Type>Storage, key, location, numel). */
static int op_persid(struct vm *vm)
{
	struct pk_obj *pid = pop(vm);
	if (pid == NULL)
		return -1;
	struct pk_obj **it = pid->kind == PK_TUPLE ? pid->u.seq.items : NULL;
	if (it == NULL || pid->u.seq.n != 5 || it[0]->kind != PK_STR
	    || strcmp(it[0]->u.str.s, "storage") != 0)
		return fail(vm, "persistent id is not ('storage', type, key, location, numel)");
	if (it[1]->kind != PK_GLOBAL || it[1]->u.global.which != PK_G_STORAGE)
		return fail(vm, "persistent id has no torch storage type");
	if (it[2]->kind != PK_STR || it[3]->kind != PK_STR || !is_int(it[4]))
		return fail(vm, "persistent id has a bad key, location or size");
	const char *key = it[2]->u.str.s;
	/* The key names a zip entry; only plain names, so that it can never
	 * reach outside <prefix>/data/ even if someone used it as a path. */
	bool plain = true; /* printable ASCII only: the key appears in messages and entry names */
	for (size_t i = 0; i < it[2]->u.str.len; i++)
		plain &= key[i] >= 0x20 && key[i] < 0x7f;
	if (it[2]->u.str.len == 0 || it[2]->u.str.len > PK_MAX_KEY || !plain
	    || strpbrk(key, "/\\") != NULL || strstr(key, "..") != NULL) {
		char k[80];
		printable(k, sizeof k, key, it[2]->u.str.len);
		return fail(vm, "invalid storage key '%s'", k);
	}
	if (it[4]->u.i < 0)
		return fail(vm, "negative storage size");
	struct pk_obj *o = new_obj(vm, PK_STORAGE);
	if (o == NULL)
		return -1;
	o->u.storage.dtype = it[1]->u.global.dtype;
	o->u.storage.key = xstrdup(key);
	o->u.storage.numel = it[4]->u.i;
	return push(vm, o);
}

static int int_tuple(const struct pk_obj *t, int64_t *dst, int *n)
{
	if (t->kind != PK_TUPLE || t->u.seq.n > TZ_MAX_DIMS)
		return -1;
	for (size_t i = 0; i < t->u.seq.n; i++) {
		const struct pk_obj *e = t->u.seq.items[i];
		if (!is_int(e) || e->u.i < 0)
			return -1;
		dst[i] = e->u.i;
	}
	*n = (int)t->u.seq.n;
	return 0;
}

/* _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks
 * [, metadata]): records the view; torchzip.c checks it against the data. */
static int rebuild_tensor(struct vm *vm, struct pk_obj *args)
{
	struct pk_obj **a = args->u.seq.items;
	size_t n = args->u.seq.n;
	if (n < 4 || n > 7 || a[0]->kind != PK_STORAGE || !is_int(a[1]) || a[1]->u.i < 0)
		return fail(vm, "_rebuild_tensor_v2 arguments are not (storage, offset, size, stride, ...)");
	struct pk_obj *o = new_obj(vm, PK_TENSOR);
	if (o == NULL)
		return -1;
	int nd, ns;
	if (int_tuple(a[2], o->u.tensor.size, &nd) || int_tuple(a[3], o->u.tensor.stride, &ns) || nd != ns)
		return fail(vm, "tensor size/stride are not matching tuples of at most %d non-negative ints",
		            TZ_MAX_DIMS);
	o->u.tensor.storage = a[0];
	o->u.tensor.offset = a[1]->u.i;
	o->u.tensor.ndim = nd;
	return push(vm, o);
}

static int op_reduce(struct vm *vm)
{
	struct pk_obj *args = pop(vm);
	struct pk_obj *fn = args ? pop(vm) : NULL;
	if (fn == NULL)
		return -1;
	if (fn->kind != PK_GLOBAL)
		return fail(vm, "REDUCE on a %s", kind_name(fn->kind));
	if (args->kind != PK_TUPLE)
		return fail(vm, "REDUCE arguments are a %s, not a tuple", kind_name(args->kind));
	size_t n = args->u.seq.n;
	switch (fn->u.global.which) {
	case PK_G_ORDEREDDICT:
		if (n != 0)
			return fail(vm, "OrderedDict called with arguments");
		return push(vm, new_obj(vm, PK_DICT));
	case PK_G_REBUILD_TENSOR_V2:
		return rebuild_tensor(vm, args);
	case PK_G_REBUILD_PARAMETER:
	case PK_G_REBUILD_PARAMETER_WITH_STATE:
		/* A Parameter is its data; requires_grad, hooks and state don't
		 * matter for inference. */
		if (n < 1 || args->u.seq.items[0]->kind != PK_TENSOR)
			return fail(vm, "_rebuild_parameter without a tensor");
		return push(vm, args->u.seq.items[0]);
	case PK_G_STORAGE:
	default:
		return fail(vm, "REDUCE on a storage type");
	}
}

static int op_build(struct vm *vm)
{
	struct pk_obj *state = pop(vm);
	struct pk_obj *obj = state ? top(vm) : NULL;
	if (obj == NULL)
		return -1;
	/* torch's state dicts carry _metadata (module versions) this way; the
	 * tensors don't depend on it. */
	if (obj->kind != PK_DICT)
		return fail(vm, "BUILD on a %s", kind_name(obj->kind));
	return 0;
}

/* ---- the loop ---- */

static int step(struct vm *vm, int *stop)
{
	uint64_t n = 0;
	struct pk_obj *a, *b, *c;
	size_t start = 0;
	vm->op_pos = vm->pos;
	if (need(vm, 1))
		return -1;
	uint8_t op = vm->buf[vm->pos++];
	switch (op) {
	case 0x80: /* PROTO */
		if (rd_len(vm, 1, &n))
			return -1;
		if (n < 2 || n > 5)
			return fail(vm, "pickle protocol %" PRIu64 " not supported (2..5)", n);
		return 0;
	case 0x95: /* FRAME: only a length hint for buffered readers */
		return rd_len(vm, 8, &n);
	case 'c': return op_global(vm);
	case 0x93: return op_stack_global(vm);
	case 'q': return rd_len(vm, 1, &n) ? -1 : memo_put(vm, n);
	case 'r': return rd_len(vm, 4, &n) ? -1 : memo_put(vm, n);
	case 0x94: return memo_put(vm, vm->memo_count);   /* MEMOIZE */
	case 'h': return rd_len(vm, 1, &n) ? -1 : memo_get(vm, n);
	case 'j': return rd_len(vm, 4, &n) ? -1 : memo_get(vm, n);
	case '(': /* MARK */
		if (vm->nmarks >= PK_MAX_MARKS)
			return fail(vm, "more than %d nested MARKs", PK_MAX_MARKS);
		vm->marks[vm->nmarks++] = vm->sp;
		return 0;
	case '0': return pop(vm) ? 0 : -1;                  /* POP */
	case '1': /* POP_MARK */
		if (pop_mark(vm, &start))
			return -1;
		vm->sp = start;
		return 0;
	case '2': return (a = top(vm)) ? push(vm, a) : -1;  /* DUP */
	case ')': return push(vm, new_obj(vm, PK_TUPLE));
	case 't': return seq_from_mark(vm, PK_TUPLE);
	case 0x85: return tuple_n(vm, 1);
	case 0x86: return tuple_n(vm, 2);
	case 0x87: return tuple_n(vm, 3);
	case ']': return push(vm, new_obj(vm, PK_LIST));
	case 'l': return seq_from_mark(vm, PK_LIST);
	case 'a': /* APPEND */
		if ((b = pop(vm)) == NULL || (a = top(vm)) == NULL)
			return -1;
		if (a->kind != PK_LIST)
			return fail(vm, "APPEND to a %s", kind_name(a->kind));
		return seq_add(vm, a, b);
	case 'e': return appends(vm);
	case '}': return push(vm, new_obj(vm, PK_DICT));
	case 'd': return setitems(vm, 1);
	case 'u': return setitems(vm, 0);
	case 's': /* SETITEM */
		if ((c = pop(vm)) == NULL || (b = pop(vm)) == NULL || (a = top(vm)) == NULL)
			return -1;
		if (a->kind != PK_DICT)
			return fail(vm, "SETITEM on a %s", kind_name(a->kind));
		return dict_add(vm, a, b, c);
	case 'J': /* BININT: signed 4 bytes */
		if (rd_len(vm, 4, &n))
			return -1;
		return push_int(vm, PK_INT, (int64_t)n - (n & 0x80000000u ? (int64_t)1 << 32 : 0));
	case 'K': return rd_len(vm, 1, &n) ? -1 : push_int(vm, PK_INT, (int64_t)n);
	case 'M': return rd_len(vm, 2, &n) ? -1 : push_int(vm, PK_INT, (int64_t)n);
	case 0x8a: /* LONG1: little-endian two's complement, here at most 8 bytes */
		if (rd_len(vm, 1, &n))
			return -1;
		if (n > 8)
			return fail(vm, "integer of %" PRIu64 " bytes is too large", n);
		if (need(vm, (size_t)n))
			return -1;
		{
			size_t nb = (size_t)n;
			uint64_t v = rd_le(vm, nb);
			if (nb > 0 && nb < 8 && (v >> (8 * nb - 1)) & 1)
				v |= ~(uint64_t)0 << (8 * nb);
			return push_int(vm, PK_INT, (int64_t)v);
		}
	case 'G': /* BINFLOAT: big-endian IEEE double */
		if (need(vm, 8))
			return -1;
		{
			uint64_t bits = 0;
			for (int i = 0; i < 8; i++)
				bits = bits << 8 | vm->buf[vm->pos++];
			if ((a = new_obj(vm, PK_FLOAT)) == NULL)
				return -1;
			memcpy(&a->u.f, &bits, sizeof a->u.f);
			return push(vm, a);
		}
	case 0x88: return push_int(vm, PK_BOOL, 1);
	case 0x89: return push_int(vm, PK_BOOL, 0);
	case 'N': return push(vm, new_obj(vm, PK_NONE));
	case 'X': return rd_len(vm, 4, &n) ? -1 : push_string(vm, PK_STR, n);
	case 0x8c: return rd_len(vm, 1, &n) ? -1 : push_string(vm, PK_STR, n);
	case 0x8d: return rd_len(vm, 8, &n) ? -1 : push_string(vm, PK_STR, n);
	case 'U': return rd_len(vm, 1, &n) ? -1 : push_string(vm, PK_STR, n);
	case 'T': /* BINSTRING: signed 4-byte length */
		if (rd_len(vm, 4, &n))
			return -1;
		if (n & 0x80000000u)
			return fail(vm, "negative string length");
		return push_string(vm, PK_STR, n);
	case 'B': return rd_len(vm, 4, &n) ? -1 : push_string(vm, PK_BYTES, n);
	case 'C': return rd_len(vm, 1, &n) ? -1 : push_string(vm, PK_BYTES, n);
	case 0x8e: return rd_len(vm, 8, &n) ? -1 : push_string(vm, PK_BYTES, n);
	case 'R': return op_reduce(vm);
	case 'b': return op_build(vm);
	case 'Q': return op_persid(vm);
	case '.': /* STOP */
		*stop = 1;
		return 0;
	default:
		return fail(vm, "unsupported opcode 0x%02x", op);
	}
}

int pk_parse(const uint8_t *buf, size_t len, struct pk_pool *pool,
             struct pk_obj **result, char **cause)
{
	struct vm vm = { .buf = buf, .len = len, .pool = pool, .cause = cause };
	int stop = 0, rc = 0;
	while (!stop && rc == 0)
		rc = step(&vm, &stop);
	if (rc == 0) {
		vm.nmarks = 0;
		*result = top(&vm);
		if (*result == NULL)
			rc = -1;
	}
	free(vm.stack);
	free(vm.memo);
	return rc;
}
