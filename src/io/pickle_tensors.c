/* pickle_tensors.c - the reader's last step: a parsed pickle's dict (and the
 * dicts inside it) flattened into named tensors, in insertion order. */
#include "io/pickle_read.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAME_BYTES 4096                 /* one flattened tensor name */
#define MAX_ALL_NAME_BYTES ((size_t)1 << 28)

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
