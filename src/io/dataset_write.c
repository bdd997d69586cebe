/* dataset_write.c - writes an official HRM dataset folder (see dataset.h). */
#include "io/dataset.h"
#include "io/npy.h"
#include "core/outdir.h"
#include "core/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* One SET of one SPLIT, collected in memory.  Puzzles and groups are kept
 * as start offsets; the closing entry of each index array is added when
 * writing. */
struct wset {
	char *name;
	unsigned char *inputs, *labels; /* tokens in the output dtype */
	size_t tok_bytes, tok_cap;
	int64_t n_examples;
	int64_t *puzzle_start, n_puzzles, cap_puzzles;
	char **puzzle_name; /* NULL = blank identifier */
	int64_t *group_start, n_groups, cap_groups;
};

struct wsplit {
	char *name;
	struct wset *sets;
	int n_sets;
};

struct dataset_writer {
	struct dataset_writer_opts o;
	enum npy_dtype tok_dtype;
	struct wsplit *splits;
	int n_splits;
	int cur_split, cur_set; /* -1 before the first group */
};

struct dataset_writer *dataset_writer_new(const struct dataset_writer_opts *o, char **cause)
{
	if (o->vocab_size < 1 || o->vocab_size > INT32_MAX || o->seq_len < 1 || o->seq_len > INT32_MAX ||
	    o->pad_id < 0 || o->pad_id >= o->vocab_size ||
	    (o->has_ignore_label_id && (o->ignore_label_id < INT32_MIN || o->ignore_label_id > INT32_MAX))) {
		set_cause(cause, "dataset writer: invalid vocab_size, seq_len, pad_id or ignore_label_id");
		return NULL;
	}
	struct dataset_writer *w = xcalloc(1, sizeof *w);
	w->o = *o;
	/* the official builders store tokens as uint8; wider vocabularies need more */
	bool small =
	    o->vocab_size <= 256 && (!o->has_ignore_label_id || (o->ignore_label_id >= 0 && o->ignore_label_id <= 255));
	w->tok_dtype = small ? NPY_DT_U1 : NPY_DT_I4;
	w->cur_split = w->cur_set = -1;
	return w;
}

static void wset_free(struct wset *s)
{
	for (int64_t p = 0; p < s->n_puzzles; p++)
		free(s->puzzle_name[p]);
	free(s->puzzle_name);
	free(s->puzzle_start);
	free(s->group_start);
	free(s->inputs);
	free(s->labels);
	free(s->name);
}

void dataset_writer_free(struct dataset_writer *w)
{
	if (w == NULL)
		return;
	for (int i = 0; i < w->n_splits; i++) {
		for (int k = 0; k < w->splits[i].n_sets; k++)
			wset_free(&w->splits[i].sets[k]);
		free(w->splits[i].sets);
		free(w->splits[i].name);
	}
	free(w->splits);
	free(w);
}

static struct wset *cur(struct dataset_writer *w)
{
	return w->cur_split < 0 ? NULL : &w->splits[w->cur_split].sets[w->cur_set];
}

/* Checks that the open puzzle has an example and (if whole) that the open
 * group has a puzzle: the builders never make empty ones, and the trainer
 * cannot draw from an empty group. */
static int check_open(struct dataset_writer *w, bool whole_group, char **cause)
{
	struct wset *s = cur(w);
	if (s == NULL)
		return 0;
	const char *split = w->splits[w->cur_split].name;
	int64_t g = s->n_groups - 1, p = s->n_puzzles - 1;
	bool group_has_puzzle = p >= 0 && p >= s->group_start[g];
	if (whole_group && !group_has_puzzle)
		return set_cause(cause, "dataset writer: %s/%s group %" PRId64 " has no puzzles", split, s->name, g);
	if (group_has_puzzle && s->puzzle_start[p] == s->n_examples)
		return set_cause(cause, "dataset writer: %s/%s puzzle %" PRId64 " has no examples", split, s->name, p);
	return 0;
}

int dataset_writer_begin_group(struct dataset_writer *w, const char *split, const char *set, char **cause)
{
	int i, k;
	if (!dataset_name_ok(split) || !dataset_name_ok(set))
		return set_cause(cause, "dataset writer: '%s/%s' is not a plain split/set name", split ? split : "",
		                 set ? set : "");
	if (check_open(w, true, cause) != 0)
		return -1;
	for (i = 0; i < w->n_splits && strcmp(w->splits[i].name, split) != 0; i++)
		;
	if (i == w->n_splits) {
		w->splits = xrealloc(w->splits, (size_t)(i + 1) * sizeof *w->splits);
		memset(&w->splits[i], 0, sizeof w->splits[i]);
		w->splits[i].name = xstrdup(split);
		w->n_splits++;
	}
	struct wsplit *sp = &w->splits[i];
	for (k = 0; k < sp->n_sets && strcmp(sp->sets[k].name, set) != 0; k++)
		;
	if (k == sp->n_sets) {
		sp->sets = xrealloc(sp->sets, (size_t)(k + 1) * sizeof *sp->sets);
		memset(&sp->sets[k], 0, sizeof sp->sets[k]);
		sp->sets[k].name = xstrdup(set);
		sp->n_sets++;
	}
	struct wset *s = &sp->sets[k];
	if (s->n_groups >= INT32_MAX)
		return set_cause(cause, "dataset writer: %s/%s: too many groups for int32 indices", split, set);
	if (s->n_groups == s->cap_groups) {
		s->cap_groups = s->cap_groups ? s->cap_groups * 2 : 64;
		s->group_start = xrealloc(s->group_start, (size_t)s->cap_groups * sizeof *s->group_start);
	}
	s->group_start[s->n_groups++] = s->n_puzzles;
	w->cur_split = i;
	w->cur_set = k;
	return 0;
}

int dataset_writer_begin_puzzle(struct dataset_writer *w, const char *identifier, char **cause)
{
	struct wset *s = cur(w);
	if (s == NULL)
		return set_cause(cause, "dataset writer: puzzle begun before any group");
	if (check_open(w, false, cause) != 0)
		return -1;
	if (s->n_puzzles >= INT32_MAX)
		return set_cause(cause, "dataset writer: %s: too many puzzles for int32 indices", s->name);
	if (s->n_puzzles == s->cap_puzzles) {
		s->cap_puzzles = s->cap_puzzles ? s->cap_puzzles * 2 : 64;
		s->puzzle_start = xrealloc(s->puzzle_start, (size_t)s->cap_puzzles * sizeof *s->puzzle_start);
		s->puzzle_name = xrealloc(s->puzzle_name, (size_t)s->cap_puzzles * sizeof *s->puzzle_name);
	}
	s->puzzle_start[s->n_puzzles] = s->n_examples;
	s->puzzle_name[s->n_puzzles] = identifier ? xstrdup(identifier) : NULL;
	s->n_puzzles++;
	return 0;
}

/* Appends seq_len tokens in the output dtype; the values were checked. */
static void put_tokens(unsigned char *dst, const int32_t *src, int64_t n, enum npy_dtype dt)
{
	for (int64_t i = 0; i < n; i++)
		if (dt == NPY_DT_U1)
			dst[i] = (unsigned char)src[i];
		else
			memcpy(dst + 4 * i, &src[i], 4);
}

int dataset_writer_add_example(struct dataset_writer *w, const int32_t *inputs, const int32_t *labels, char **cause)
{
	struct wset *s = cur(w);
	const struct dataset_writer_opts *o = &w->o;
	if (s == NULL || s->n_puzzles - 1 < s->group_start[s->n_groups - 1])
		return set_cause(cause, "dataset writer: example added before its puzzle was begun");
	if (s->n_examples >= INT32_MAX)
		return set_cause(cause, "dataset writer: %s: too many examples for int32 indices", s->name);
	for (int64_t i = 0; i < o->seq_len; i++) {
		bool in_ok = inputs[i] >= 0 && inputs[i] < o->vocab_size;
		bool lab_ok = (labels[i] >= 0 && labels[i] < o->vocab_size) ||
		              (o->has_ignore_label_id && labels[i] == o->ignore_label_id);
		if (!in_ok || !lab_ok)
			return set_cause(cause,
			                 "dataset writer: %s token %d at position %" PRId64 " is outside 0..%" PRId64
			                 " (vocab_size)",
			                 in_ok ? "label" : "input", in_ok ? labels[i] : inputs[i], i,
			                 o->vocab_size - 1);
	}
	size_t row = (size_t)o->seq_len * (size_t)npy_dtype_size(w->tok_dtype);
	if (s->tok_bytes + row > s->tok_cap) {
		size_t cap = s->tok_cap ? s->tok_cap * 2 : row * 64;
		unsigned char *a = realloc(s->inputs, cap), *b;
		if (a == NULL)
			return set_cause(cause, "dataset writer: out of memory for %zu bytes", cap);
		s->inputs = a;
		b = realloc(s->labels, cap);
		if (b == NULL)
			return set_cause(cause, "dataset writer: out of memory for %zu bytes", cap);
		s->labels = b;
		s->tok_cap = cap;
	}
	put_tokens(s->inputs + s->tok_bytes, inputs, o->seq_len, w->tok_dtype);
	put_tokens(s->labels + s->tok_bytes, labels, o->seq_len, w->tok_dtype);
	s->tok_bytes += row;
	s->n_examples++;
	return 0;
}

/* ---- identifier numbering: name -> id, in order of first use ---- */

struct idmap {
	const char **key;
	int32_t *val;
	size_t cap, n;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* Returns the slot of key, or the empty slot where it belongs. */
static size_t idmap_slot(const struct idmap *m, const char *key)
{
	size_t i = (size_t)hash_str(key) & (m->cap - 1);
	while (m->key[i] != NULL && strcmp(m->key[i], key) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int32_t idmap_get(struct idmap *m, const char *key, const char ***names)
{
	if (2 * (m->n + 1) > m->cap) {
		struct idmap big = {xcalloc(m->cap ? m->cap * 2 : 64, sizeof *big.key), NULL, m->cap ? m->cap * 2 : 64,
		                    m->n};
		big.val = xcalloc(big.cap, sizeof *big.val);
		for (size_t i = 0; i < m->cap; i++)
			if (m->key[i] != NULL) {
				size_t j = idmap_slot(&big, m->key[i]);
				big.key[j] = m->key[i];
				big.val[j] = m->val[i];
			}
		free(m->key);
		free(m->val);
		*m = big;
	}
	size_t i = idmap_slot(m, key);
	if (m->key[i] == NULL) {
		m->key[i] = key;
		m->val[i] = (int32_t)++m->n; /* 0 is the blank identifier */
		*names = xrealloc(*names, (m->n + 1) * sizeof **names);
		(*names)[m->n] = key;
	}
	return m->val[i];
}

static int write_i32(const char *base, const char *set, const char *field, const int32_t *v, int64_t n, char **cause)
{
	struct npy_array a = {
	    .dtype = NPY_DT_I4, .itemsize = 4, .ndim = 1, .shape = {n}, .numel = n, .data = (void *)v};
	size_t len = strlen(base) + strlen(set) + strlen(field) + 8;
	char *path = xmalloc(len);
	snprintf(path, len, "%s/%s__%s.npy", base, set, field);
	int rc = npy_write(path, &a, cause);
	free(path);
	return rc;
}

static int write_set(const struct dataset_writer *w, const char *base, const struct wset *s, const int32_t *ids,
                     char **cause)
{
	static const char *const tok_field[2] = {"inputs", "labels"};
	const unsigned char *tok[2] = {s->inputs, s->labels};
	int32_t *pi = xmalloc((size_t)(s->n_puzzles + 1) * sizeof *pi);
	int32_t *gi = xmalloc((size_t)(s->n_groups + 1) * sizeof *gi);
	int rc = 0;
	for (int64_t p = 0; p < s->n_puzzles; p++)
		pi[p] = (int32_t)s->puzzle_start[p];
	pi[s->n_puzzles] = (int32_t)s->n_examples;
	for (int64_t g = 0; g < s->n_groups; g++)
		gi[g] = (int32_t)s->group_start[g];
	gi[s->n_groups] = (int32_t)s->n_puzzles;
	for (int f = 0; f < 2 && rc == 0; f++) {
		struct npy_array a = {.dtype = w->tok_dtype,
		                      .itemsize = npy_dtype_size(w->tok_dtype),
		                      .ndim = 2,
		                      .shape = {s->n_examples, w->o.seq_len},
		                      .numel = s->n_examples * w->o.seq_len,
		                      .data = (void *)tok[f]};
		size_t len = strlen(base) + strlen(s->name) + 16;
		char *path = xmalloc(len);
		snprintf(path, len, "%s/%s__%s.npy", base, s->name, tok_field[f]);
		rc = npy_write(path, &a, cause);
		free(path);
	}
	if (rc == 0)
		rc = write_i32(base, s->name, "group_indices", gi, s->n_groups + 1, cause);
	if (rc == 0)
		rc = write_i32(base, s->name, "puzzle_indices", pi, s->n_puzzles + 1, cause);
	if (rc == 0)
		rc = write_i32(base, s->name, "puzzle_identifiers", ids, s->n_puzzles, cause);
	free(pi);
	free(gi);
	return rc;
}

/* The folder is written whole under a temporary name beside dir and then
 * swapped into place (core/outdir.h): a kill at any moment leaves the old
 * dataset or the new one, never the new inputs of a split beside its old
 * labels.  Within the temporary, arrays come first, then dataset.json,
 * identifiers.json last. */
static int write_tree(struct dataset_writer *w, const char *dir, char **cause);

int dataset_writer_write(struct dataset_writer *w, const char *dir, char **cause)
{
	struct dir_swap d;
	if (check_open(w, true, cause) != 0)
		return -1;
	if (dir[0] == '\0' || w->n_splits == 0)
		return set_cause(cause, "dataset writer: %s: nothing to write (no groups)", dir);
	if (dir_swap_begin(&d, dir, cause) != 0)
		return -1;
	if (write_tree(w, d.tmp, cause) != 0) {
		/* messages name the folder asked for, not the temporary */
		if (cause != NULL && *cause != NULL) {
			char *at = strstr(*cause, d.tmp);
			if (at != NULL) {
				size_t n = strlen(*cause) + strlen(dir) + 1;
				char *m = xmalloc(n);
				snprintf(m, n, "%.*s%s%s", (int)(at - *cause), *cause, dir, at + strlen(d.tmp));
				free(*cause);
				*cause = m;
			}
		}
		dir_swap_abort(&d);
		return -1;
	}
	return dir_swap_commit(&d, cause);
}

static int write_tree(struct dataset_writer *w, const char *dir, char **cause)
{
	struct idmap map = {0};
	const char **names = xmalloc(sizeof *names);
	int32_t **ids = NULL;
	int rc = -1, nset = 0, total_sets = 0;
	names[0] = "<blank>";
	/* number identifiers over all splits before writing any (build_arc_dataset.py) */
	for (int i = 0; i < w->n_splits; i++)
		for (int k = 0; k < w->splits[i].n_sets; k++) {
			const struct wset *s = &w->splits[i].sets[k];
			ids = xrealloc(ids, (size_t)(nset + 1) * sizeof *ids);
			total_sets = nset + 1;
			ids[nset] = xmalloc((size_t)(s->n_puzzles ? s->n_puzzles : 1) * sizeof **ids);
			for (int64_t p = 0; p < s->n_puzzles; p++)
				ids[nset][p] = s->puzzle_name[p] ? idmap_get(&map, s->puzzle_name[p], &names) : 0;
			nset++;
		}
	total_sets = nset;
	nset = 0;
	for (int i = 0; i < w->n_splits; i++) {
		const struct wsplit *sp = &w->splits[i];
		size_t len = strlen(dir) + strlen(sp->name) + 16;
		char *base = xmalloc(len), *meta_path = xmalloc(len);
		int64_t examples = 0, puzzles = 0, groups = 0;
		int r = 0;
		snprintf(base, len, "%s/%s", dir, sp->name);
		snprintf(meta_path, len, "%s/dataset.json", base);
		r = mkdir(base, 0777) != 0 ? set_cause(cause, "%s: cannot create directory: %s", base, strerror(errno)) : 0;
		for (int k = 0; k < sp->n_sets; k++, nset++) {
			if (r == 0)
				r = write_set(w, base, &sp->sets[k], ids[nset], cause);
			examples += sp->sets[k].n_examples;
			puzzles += sp->sets[k].n_puzzles;
			groups += sp->sets[k].n_groups;
		}
		struct dataset_meta m = {
		    .pad_id = w->o.pad_id,
		    .has_ignore_label_id = w->o.has_ignore_label_id,
		    .ignore_label_id = w->o.ignore_label_id,
		    .blank_identifier_id = 0,
		    .vocab_size = w->o.vocab_size,
		    .seq_len = w->o.seq_len,
		    .num_puzzle_identifiers = (int64_t)map.n + 1,
		    .total_groups = groups,
		    .mean_puzzle_examples = (double)examples / (double)puzzles,
		    .num_sets = sp->n_sets,
		    .sets = xmalloc((size_t)sp->n_sets * sizeof(char *)),
		};
		for (int k = 0; k < sp->n_sets; k++)
			m.sets[k] = sp->sets[k].name;
		if (r == 0)
			r = dataset_meta_write(meta_path, &m, cause);
		free(m.sets);
		free(base);
		free(meta_path);
		if (r != 0)
			goto out;
	}
	rc = dataset_identifiers_write(dir, (char *const *)names, (int64_t)map.n + 1, cause);
out:
	for (int k = 0; k < total_sets; k++)
		free(ids[k]);
	free(ids);
	free(names);
	free(map.key);
	free(map.val);
	return rc;
}
