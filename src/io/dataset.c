/* dataset.c - the official HRM dataset folder: dataset.json, identifiers.json
 * and the checked reader of a split (the writer is in dataset_write.c). */
#include "io/dataset.h"
#include "io/npy.h"
#include "core/util.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* dataset.json is a few hundred bytes; identifiers.json of ARC with 1000
 * augmentations holds about a million names. */
#define META_MAX_BYTES (1u << 20)
#define IDENTIFIERS_MAX_BYTES (256u << 20)

static char *path_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *path_fmt(const char *fmt, ...)
{
	va_list ap, aq;
	va_start(ap, fmt);
	va_copy(aq, ap);
	int n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	char *s = xmalloc((size_t)(n < 0 ? 0 : n) + 1);
	vsnprintf(s, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
	va_end(ap);
	return s;
}

bool dataset_name_ok(const char *name)
{
	return name != NULL && name[0] != '\0' && strchr(name, '/') == NULL && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0 && strlen(name) < 256;
}

/* ---- JSON text exactly as Python's json.dump writes it ---- */

struct sbuf {
	char *p;
	size_t n, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* Python's ensure_ascii escaping: printable ASCII stays, the rest becomes
 * \uXXXX (surrogate pairs above the BMP).  Invalid UTF-8 is refused. */
static int sb_json_string(struct sbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[16];
	sb_puts(b, "\"");
	while (*p) {
		uint32_t c = *p;
		int extra = c < 0x80             ? 0
		            : (c & 0xe0) == 0xc0 ? 1
		            : (c & 0xf0) == 0xe0 ? 2
		            : (c & 0xf8) == 0xf0 ? 3
		                                 : -1;
		if (extra < 0)
			return -1;
		c &= extra == 0 ? 0x7f : 0x3f >> extra;
		for (int k = 1; k <= extra; k++) {
			if ((p[k] & 0xc0) != 0x80)
				return -1;
			c = c << 6 | (p[k] & 0x3f);
		}
		if ((extra == 1 && c < 0x80) || (extra == 2 && c < 0x800) || (extra == 3 && c < 0x10000) ||
		    c > 0x10ffff || (c >= 0xd800 && c < 0xe000))
			return -1;
		p += extra + 1;
		if (c == '"' || c == '\\') {
			snprintf(esc, sizeof esc, "\\%c", (char)c);
		} else if (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') {
			snprintf(esc, sizeof esc, "\\%c",
			         c == '\n'   ? 'n'
			         : c == '\r' ? 'r'
			         : c == '\t' ? 't'
			         : c == '\b' ? 'b'
			                     : 'f');
		} else if (c >= 0x20 && c < 0x7f) {
			esc[0] = (char)c;
			esc[1] = '\0';
		} else if (c < 0x10000) {
			snprintf(esc, sizeof esc, "\\u%04x", (unsigned)c);
		} else {
			c -= 0x10000;
			snprintf(esc, sizeof esc, "\\u%04x\\u%04x", (unsigned)(0xd800 | c >> 10),
			         (unsigned)(0xdc00 | (c & 0x3ff)));
		}
		sb_puts(b, esc);
	}
	sb_puts(b, "\"");
	return 0;
}

/* Python's repr(float): the shortest digits that read back exactly, in
 * positional notation when the decimal point falls within -4 < decpt <= 16
 * (as float_repr_style 'short' does), else like "1e+16" or "1.5e-05". */
static void sb_py_float(struct sbuf *b, double x)
{
	char e[40], digits[24] = {0}, out[64];
	int prec, nd = 0;
	size_t n = 0;
	for (prec = 1; prec < 17; prec++) {
		snprintf(e, sizeof e, "%.*e", prec - 1, x);
		if (strtod(e, NULL) == x)
			break;
	}
	snprintf(e, sizeof e, "%.*e", prec - 1, x);
	const char *q = e;
	if (*q == '-')
		out[n++] = *q++;
	for (; *q != 'e'; q++)
		if (*q != '.')
			digits[nd++] = *q;
	int exp10 = atoi(q + 1), decpt = exp10 + 1;
	if (decpt > -4 && decpt <= 16) {
		if (decpt <= 0) {
			out[n++] = '0';
			out[n++] = '.';
			for (int k = 0; k < -decpt; k++)
				out[n++] = '0';
		}
		for (int k = 0; k < nd || k < decpt; k++) {
			if (k == decpt && decpt > 0)
				out[n++] = '.';
			out[n++] = k < nd ? digits[k] : '0';
		}
		if (decpt >= nd) {
			out[n++] = '.';
			out[n++] = '0';
		}
		out[n] = '\0';
	} else {
		out[n++] = digits[0];
		if (nd > 1) {
			out[n++] = '.';
			memcpy(out + n, digits + 1, (size_t)nd - 1);
			n += (size_t)nd - 1;
		}
		snprintf(out + n, sizeof out - n, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
	}
	sb_puts(b, out);
}

int dataset_meta_write(const char *path, const struct dataset_meta *m, char **cause)
{
	struct sbuf b = {0};
	char num[32];
	if (!isfinite(m->mean_puzzle_examples))
		return set_cause(cause, "%s: mean_puzzle_examples is not a finite number", path);
#define INT_FIELD(k, v) (snprintf(num, sizeof num, "%" PRId64, (int64_t)(v)), sb_puts(&b, k), sb_puts(&b, num))
	INT_FIELD("{\"pad_id\": ", m->pad_id);
	if (m->has_ignore_label_id)
		INT_FIELD(", \"ignore_label_id\": ", m->ignore_label_id);
	else
		sb_puts(&b, ", \"ignore_label_id\": null");
	INT_FIELD(", \"blank_identifier_id\": ", m->blank_identifier_id);
	INT_FIELD(", \"vocab_size\": ", m->vocab_size);
	INT_FIELD(", \"seq_len\": ", m->seq_len);
	INT_FIELD(", \"num_puzzle_identifiers\": ", m->num_puzzle_identifiers);
	INT_FIELD(", \"total_groups\": ", m->total_groups);
#undef INT_FIELD
	sb_puts(&b, ", \"mean_puzzle_examples\": ");
	sb_py_float(&b, m->mean_puzzle_examples);
	sb_puts(&b, ", \"sets\": [");
	for (int i = 0; i < m->num_sets; i++) {
		if (i > 0)
			sb_puts(&b, ", ");
		if (sb_json_string(&b, m->sets[i]) != 0) {
			free(b.p);
			return set_cause(cause, "%s: set name is not valid UTF-8", path);
		}
	}
	sb_puts(&b, "]}");
	int rc = write_file_atomic(path, b.p, b.n, cause);
	free(b.p);
	return rc;
}

int dataset_identifiers_write(const char *dir, char *const *names, int64_t count, char **cause)
{
	struct sbuf b = {0};
	char *path = path_fmt("%s/identifiers.json", dir);
	sb_puts(&b, "[");
	for (int64_t i = 0; i < count; i++) {
		if (i > 0)
			sb_puts(&b, ", ");
		if (sb_json_string(&b, names[i]) != 0) {
			set_cause(cause, "%s: identifier %" PRId64 " is not valid UTF-8", path, i);
			free(b.p);
			free(path);
			return -1;
		}
	}
	sb_puts(&b, "]");
	int rc = write_file_atomic(path, b.p, b.n, cause);
	free(b.p);
	free(path);
	return rc;
}

/* ---- dataset.json ---- */

void dataset_meta_free(struct dataset_meta *m)
{
	if (m == NULL)
		return;
	for (int i = 0; i < m->num_sets; i++)
		free(m->sets[i]);
	free(m->sets);
	memset(m, 0, sizeof *m);
}

static int get_int(json_t *root, const char *key, int64_t lo, int64_t hi, int64_t *out, const char *path, char **cause)
{
	json_t *v = json_object_get(root, key);
	if (v == NULL)
		return set_cause(cause, "%s: missing field '%s'", path, key);
	if (!json_is_integer(v))
		return set_cause(cause, "%s: field '%s' is not an integer", path, key);
	*out = (int64_t)json_integer_value(v);
	if (*out < lo || *out > hi)
		return set_cause(cause, "%s: %s is %" PRId64 ", expected %" PRId64 "..%" PRId64, path, key, *out, lo,
		                 hi);
	return 0;
}

static int parse_meta(json_t *root, struct dataset_meta *m, const char *path, char **cause)
{
	json_t *v;
	if (!json_is_object(root))
		return set_cause(cause, "%s: not a JSON object", path);
	if (get_int(root, "vocab_size", 1, INT32_MAX, &m->vocab_size, path, cause) != 0 ||
	    get_int(root, "seq_len", 1, INT32_MAX, &m->seq_len, path, cause) != 0 ||
	    get_int(root, "num_puzzle_identifiers", 1, INT32_MAX, &m->num_puzzle_identifiers, path, cause) != 0 ||
	    get_int(root, "pad_id", 0, m->vocab_size - 1, &m->pad_id, path, cause) != 0 ||
	    get_int(root, "blank_identifier_id", 0, m->num_puzzle_identifiers - 1, &m->blank_identifier_id, path,
	            cause) != 0 ||
	    get_int(root, "total_groups", 0, INT64_MAX, &m->total_groups, path, cause) != 0)
		return -1;
	v = json_object_get(root, "ignore_label_id");
	if (v == NULL)
		return set_cause(cause, "%s: missing field 'ignore_label_id'", path);
	m->has_ignore_label_id = !json_is_null(v);
	if (m->has_ignore_label_id &&
	    get_int(root, "ignore_label_id", INT32_MIN, INT32_MAX, &m->ignore_label_id, path, cause) != 0)
		return -1;
	v = json_object_get(root, "mean_puzzle_examples");
	if (v == NULL || !json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < 0)
		return set_cause(cause, "%s: field 'mean_puzzle_examples' is missing or not a non-negative number",
		                 path);
	m->mean_puzzle_examples = json_number_value(v);
	v = json_object_get(root, "sets");
	if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > 1024)
		return set_cause(cause, "%s: field 'sets' is missing or not a non-empty list", path);
	m->sets = xcalloc(json_array_size(v), sizeof *m->sets);
	for (size_t i = 0; i < json_array_size(v); i++) {
		const char *s = json_string_value(json_array_get(v, i));
		if (!dataset_name_ok(s))
			return set_cause(cause, "%s: sets[%zu] is not a plain name", path, i);
		for (int k = 0; k < m->num_sets; k++)
			if (strcmp(m->sets[k], s) == 0)
				return set_cause(cause, "%s: set '%s' is listed twice", path, s);
		m->sets[m->num_sets++] = xstrdup(s);
	}
	return 0;
}

int dataset_meta_read(const char *path, struct dataset_meta *m, char **cause)
{
	char *text;
	size_t len;
	memset(m, 0, sizeof *m);
	if (read_file_all(path, META_MAX_BYTES, &text, &len, cause) != 0)
		return -1;
	int rc = dataset_meta_parse(text, len, path, m, cause);
	free(text);
	return rc;
}

int dataset_meta_parse(const char *text, size_t len, const char *path, struct dataset_meta *m, char **cause)
{
	json_error_t err;
	memset(m, 0, sizeof *m);
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL)
		return set_cause(cause, "%s: invalid JSON at line %d: %s", path, err.line, err.text);
	int rc = parse_meta(root, m, path, cause);
	json_decref(root);
	if (rc != 0)
		dataset_meta_free(m);
	return rc;
}

/* ---- identifiers.json ---- */

void dataset_identifiers_free(char **names, int64_t count)
{
	for (int64_t i = 0; names != NULL && i < count; i++)
		free(names[i]);
	free(names);
}

int dataset_read_identifiers(const char *dir, char ***names, int64_t *count, char **cause)
{
	char *path = path_fmt("%s/identifiers.json", dir), *text;
	size_t len;
	int rc = -1;
	*names = NULL;
	*count = 0;
	if (read_file_all(path, IDENTIFIERS_MAX_BYTES, &text, &len, cause) == 0) {
		rc = dataset_identifiers_parse(text, len, path, names, count, cause);
		free(text);
	}
	free(path);
	return rc;
}

int dataset_identifiers_parse(const char *text, size_t len, const char *path, char ***names, int64_t *count,
                              char **cause)
{
	size_t n;
	json_error_t err;
	int rc = -1;
	*names = NULL;
	*count = 0;
	json_t *root = json_loadb(text, len, 0, &err);
	if (root == NULL) {
		set_cause(cause, "%s: invalid JSON at line %d: %s", path, err.line, err.text);
		goto out;
	}
	n = json_array_size(root);
	if (!json_is_array(root) || n == 0) {
		set_cause(cause, "%s: not a non-empty list of names", path);
		goto out;
	}
	char **v = xcalloc(n, sizeof *v);
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(root, i));
		if (s == NULL || (i == 0 && strcmp(s, "<blank>") != 0)) {
			set_cause(cause, "%s: entry %zu is not %s", path, i, i == 0 ? "\"<blank>\"" : "a string");
			dataset_identifiers_free(v, (int64_t)i);
			goto out;
		}
		v[i] = xstrdup(s);
	}
	*names = v;
	*count = (int64_t)n;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* ---- reading a split ---- */

static void set_free(struct dataset_set *s)
{
	free(s->name);
	free(s->inputs);
	free(s->labels);
	free(s->puzzle_identifiers);
	free(s->puzzle_indices);
	free(s->group_indices);
	memset(s, 0, sizeof *s);
}

void dataset_split_free(struct dataset_split *s)
{
	if (s == NULL)
		return;
	for (int i = 0; s->sets != NULL && i < s->meta.num_sets; i++)
		set_free(&s->sets[i]);
	free(s->sets);
	free(s->name);
	dataset_meta_free(&s->meta);
	memset(s, 0, sizeof *s);
}

static void shape_str(const struct npy_array *a, char *buf, size_t cap)
{
	size_t n = (size_t)snprintf(buf, cap, "(");
	for (int i = 0; i < a->ndim && n < cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s%" PRId64, i ? ", " : "", a->shape[i]);
	if (n < cap)
		snprintf(buf + n, cap - n, a->ndim == 1 ? ",)" : ")");
}

/* Reads SET__FIELD.npy as int32 and checks its rank (and, for ndim 2, its
 * row length).  *path is kept for later messages. */
static int read_field(const char *base, const char *set, const char *field, int ndim, int64_t row, char **path,
                      struct npy_array *a, char **cause)
{
	char sh[200];
	*path = path_fmt("%s/%s__%s.npy", base, set, field);
	if (npy_read(*path, a, cause) != 0)
		return -1;
	shape_str(a, sh, sizeof sh);
	if (a->ndim != ndim)
		return set_cause(cause, "%s: shape %s, expected %d dimension%s", *path, sh, ndim, ndim > 1 ? "s" : "");
	if (ndim == 2 && a->shape[1] != row)
		return set_cause(cause, "%s: shape %s does not match seq_len %" PRId64 " of dataset.json", *path, sh,
		                 row);
	int32_t *v;
	if (npy_to_int32(a, *path, &v, cause) != 0)
		return -1;
	free(a->data);
	a->data = v;
	a->dtype = NPY_DT_I4;
	a->itemsize = 4;
	return 0;
}

/* Index arrays run from 0 to `last` and never go down; group_indices also
 * never stand still, since the trainer draws a puzzle from every group. */
static int check_indices(const int32_t *v, int64_t n, int64_t last, bool strict, const char *path, const char *what,
                         char **cause)
{
	if (v[0] != 0)
		return set_cause(cause, "%s: starts at %d, expected 0", path, v[0]);
	for (int64_t i = 0; i + 1 < n; i++)
		if (v[i + 1] < v[i] || (strict && v[i + 1] == v[i]))
			return set_cause(cause, "%s: entries %" PRId64 " and %" PRId64 " are %d and %d (must %s)", path,
			                 i, i + 1, v[i], v[i + 1], strict ? "increase" : "not decrease");
	if (v[n - 1] != last)
		return set_cause(cause, "%s: ends at %d but there are %" PRId64 " %s", path, v[n - 1], last, what);
	return 0;
}

static int check_tokens(const int32_t *v, int64_t n, const struct dataset_meta *m, bool labels, const char *path,
                        char **cause)
{
	for (int64_t i = 0; i < n; i++) {
		if (v[i] >= 0 && v[i] < m->vocab_size)
			continue;
		if (labels && m->has_ignore_label_id && v[i] == m->ignore_label_id)
			continue;
		return set_cause(cause,
		                 "%s: token %d at example %" PRId64 " position %" PRId64 " is outside 0..%" PRId64
		                 " (vocab_size %" PRId64 ")",
		                 path, v[i], i / m->seq_len, i % m->seq_len, m->vocab_size - 1, m->vocab_size);
	}
	return 0;
}

enum { F_INPUTS, F_LABELS, F_PUZZLE_IDS, F_PUZZLE_IDX, F_GROUP_IDX, NFIELDS };

static int read_set(const char *base, const struct dataset_meta *m, struct dataset_set *s, char **cause)
{
	static const char *const fields[NFIELDS] = {"inputs", "labels", "puzzle_identifiers", "puzzle_indices",
	                                            "group_indices"};
	static const int ranks[NFIELDS] = {2, 2, 1, 1, 1};
	struct npy_array a[NFIELDS] = {{0}};
	char *path[NFIELDS] = {0}, sh0[200], sh1[200];
	int rc = -1;
	for (int f = 0; f < NFIELDS; f++)
		if (read_field(base, s->name, fields[f], ranks[f], m->seq_len, &path[f], &a[f], cause) != 0)
			goto out;
	s->num_examples = a[F_INPUTS].shape[0];
	s->num_puzzles = a[F_PUZZLE_IDS].shape[0];
	s->num_groups = a[F_GROUP_IDX].shape[0] - 1;
	shape_str(&a[F_INPUTS], sh0, sizeof sh0);
	shape_str(&a[F_LABELS], sh1, sizeof sh1);
	if (a[F_LABELS].shape[0] != s->num_examples) {
		set_cause(cause, "%s: shape %s differs from %s__inputs.npy %s", path[F_LABELS], sh1, s->name, sh0);
		goto out;
	}
	if (a[F_PUZZLE_IDX].shape[0] != s->num_puzzles + 1) {
		set_cause(cause,
		          "%s: %" PRId64 " entries, expected %" PRId64 " (one more than %s__puzzle_identifiers.npy)",
		          path[F_PUZZLE_IDX], a[F_PUZZLE_IDX].shape[0], s->num_puzzles + 1, s->name);
		goto out;
	}
	if (s->num_groups < 0) {
		set_cause(cause, "%s: empty (needs at least the leading 0)", path[F_GROUP_IDX]);
		goto out;
	}
	s->inputs = a[F_INPUTS].data;
	s->labels = a[F_LABELS].data;
	s->puzzle_identifiers = a[F_PUZZLE_IDS].data;
	s->puzzle_indices = a[F_PUZZLE_IDX].data;
	s->group_indices = a[F_GROUP_IDX].data;
	for (int f = 0; f < NFIELDS; f++)
		a[f].data = NULL; /* now owned by s */
	if (check_indices(s->puzzle_indices, s->num_puzzles + 1, s->num_examples, false, path[F_PUZZLE_IDX], "examples",
	                  cause) != 0 ||
	    check_indices(s->group_indices, s->num_groups + 1, s->num_puzzles, true, path[F_GROUP_IDX], "puzzles",
	                  cause) != 0 ||
	    check_tokens(s->inputs, a[F_INPUTS].numel, m, false, path[F_INPUTS], cause) != 0 ||
	    check_tokens(s->labels, a[F_LABELS].numel, m, true, path[F_LABELS], cause) != 0)
		goto out;
	for (int64_t p = 0; p < s->num_puzzles; p++)
		if (s->puzzle_identifiers[p] < 0 || s->puzzle_identifiers[p] >= m->num_puzzle_identifiers) {
			set_cause(cause,
			          "%s: identifier %d of puzzle %" PRId64 " is outside 0..%" PRId64
			          " (num_puzzle_identifiers)",
			          path[F_PUZZLE_IDS], s->puzzle_identifiers[p], p, m->num_puzzle_identifiers - 1);
			goto out;
		}
	rc = 0;
out:
	for (int f = 0; f < NFIELDS; f++) {
		npy_free(&a[f]);
		free(path[f]);
	}
	return rc;
}

int dataset_read_split(const char *dir, const char *split, struct dataset_split *out, char **cause)
{
	memset(out, 0, sizeof *out);
	if (!dataset_name_ok(split))
		return set_cause(cause, "%s: '%s' is not a plain split name", dir, split);
	char *base = path_fmt("%s/%s", dir, split), *meta_path = path_fmt("%s/dataset.json", base);
	int64_t groups = 0;
	int rc = -1;
	out->name = xstrdup(split);
	if (dataset_meta_read(meta_path, &out->meta, cause) != 0)
		goto out;
	out->sets = xcalloc((size_t)out->meta.num_sets, sizeof *out->sets);
	for (int i = 0; i < out->meta.num_sets; i++) {
		out->sets[i].name = xstrdup(out->meta.sets[i]);
		if (read_set(base, &out->meta, &out->sets[i], cause) != 0)
			goto out;
		out->num_examples += out->sets[i].num_examples;
		groups += out->sets[i].num_groups;
	}
	if (groups != out->meta.total_groups) {
		set_cause(cause, "%s: total_groups is %" PRId64 " but the group_indices files hold %" PRId64 " groups",
		          meta_path, out->meta.total_groups, groups);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		dataset_split_free(out);
	free(base);
	free(meta_path);
	return rc;
}

/* The last k in [0, n) with v[k] <= x, given v[0] <= x and v sorted. */
static int64_t last_le(const int32_t *v, int64_t n, int64_t x)
{
	int64_t lo = 0, hi = n - 1;
	while (lo < hi) {
		int64_t mid = lo + (hi - lo + 1) / 2;
		if (v[mid] <= x)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

int dataset_get_example(const struct dataset_split *s, int64_t i, struct dataset_example *ex)
{
	if (i < 0)
		return -1;
	for (int k = 0; k < s->meta.num_sets; k++) {
		const struct dataset_set *set = &s->sets[k];
		if (i >= set->num_examples) {
			i -= set->num_examples;
			continue;
		}
		ex->set = k;
		ex->index = i;
		ex->inputs = set->inputs + i * s->meta.seq_len;
		ex->labels = set->labels + i * s->meta.seq_len;
		/* empty puzzles may share a start; take the one that owns i, as
		 * np.searchsorted(puzzle_indices, i, side="right") - 1 does */
		ex->puzzle = last_le(set->puzzle_indices, set->num_puzzles, i);
		ex->group = last_le(set->group_indices, set->num_groups, ex->puzzle);
		ex->puzzle_identifier = set->puzzle_identifiers[ex->puzzle];
		return 0;
	}
	return -1;
}
