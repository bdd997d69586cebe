/* arc.c - ARC task files (jansson), the 30x30 canvas encoding, decoding,
 * augmentations and the puzzle operations. */
#include "puzzles/arc.h"
#include "puzzles/text.h"
#include "core/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- task files ---- */

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_REAL:
		return "a fraction";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	default:
		return "a number";
	}
}

static int parse_grid(const json_t *j, const char *fname, const char *where, struct arc_grid *g, char **cause)
{
	if (!json_is_array(j))
		return set_cause(cause, "%s: %s is %s, not a grid (an array of rows)", fname, where, json_kind(j));
	size_t rows = json_array_size(j), cols = 0;
	if (rows == 0)
		return set_cause(cause, "%s: %s is an empty grid", fname, where);
	if (rows > ARC_SIDE)
		return set_cause(cause, "%s: %s has %zu rows, more than %d", fname, where, rows, ARC_SIDE);
	memset(g, 0, sizeof *g);
	for (size_t r = 0; r < rows; r++) {
		const json_t *row = json_array_get(j, r);
		if (!json_is_array(row))
			return set_cause(cause, "%s: %s row %zu is %s, not an array of colours", fname, where, r + 1,
					 json_kind(row));
		size_t n = json_array_size(row);
		if (n > ARC_SIDE)
			return set_cause(cause, "%s: %s row %zu has %zu cells, more than %d", fname, where, r + 1, n,
					 ARC_SIDE);
		if (r == 0 && n == 0)
			return set_cause(cause, "%s: %s row 1 is empty", fname, where);
		if (r == 0)
			cols = n;
		else if (n != cols)
			return set_cause(cause, "%s: %s row %zu has %zu cells, row 1 has %zu", fname, where, r + 1, n,
					 cols);
		for (size_t c = 0; c < n; c++) {
			const json_t *v = json_array_get(row, c);
			if (!json_is_integer(v))
				return set_cause(cause, "%s: %s row %zu column %zu is %s, not a colour 0-9", fname,
						 where, r + 1, c + 1, json_kind(v));
			json_int_t x = json_integer_value(v);
			if (x < 0 || x > 9)
				return set_cause(cause, "%s: %s row %zu column %zu: colour %" JSON_INTEGER_FORMAT
							" is outside 0-9",
						 fname, where, r + 1, c + 1, x);
			g->cell[r][c] = (uint8_t)x;
		}
	}
	g->rows = (int)rows;
	g->cols = (int)cols;
	return 0;
}

static int parse_pairs(const json_t *root, const char *key, bool need_output, const char *fname,
		       struct arc_pair **out, int *count, char **cause)
{
	const json_t *arr = json_object_get(root, key);
	char where[64];
	*out = NULL;
	*count = 0;
	if (arr == NULL)
		return need_output ? 0 : set_cause(cause, "%s: no \"%s\" examples", fname, key);
	if (!json_is_array(arr))
		return set_cause(cause, "%s: \"%s\" is %s, not an array of examples", fname, key, json_kind(arr));
	size_t n = json_array_size(arr);
	if (n == 0 && !need_output)
		return set_cause(cause, "%s: no \"%s\" examples", fname, key);
	struct arc_pair *ps = xcalloc(n ? n : 1, sizeof *ps);
	for (size_t i = 0; i < n; i++) {
		const json_t *ex = json_array_get(arr, i), *in, *o;
		if (!json_is_object(ex)) {
			set_cause(cause, "%s: %s[%zu] is %s, not an object with input and output", fname, key, i,
				  json_kind(ex));
			goto fail;
		}
		in = json_object_get(ex, "input");
		o = json_object_get(ex, "output");
		if (in == NULL || (o == NULL && need_output)) {
			set_cause(cause, "%s: %s[%zu] has no \"%s\"", fname, key, i, in == NULL ? "input" : "output");
			goto fail;
		}
		snprintf(where, sizeof where, "%s[%zu].input", key, i);
		if (parse_grid(in, fname, where, &ps[i].input, cause) != 0)
			goto fail;
		if (o != NULL) {
			snprintf(where, sizeof where, "%s[%zu].output", key, i);
			if (parse_grid(o, fname, where, &ps[i].output, cause) != 0)
				goto fail;
			ps[i].has_output = true;
		}
	}
	*out = ps;
	*count = (int)n;
	return 0;
fail:
	free(ps);
	return -1;
}

int arc_task_parse(const char *text, size_t len, const char *fname, struct arc_task *t, char **cause)
{
	json_error_t err;
	memset(t, 0, sizeof *t);
	if (len == 0)
		return set_cause(cause, "%s: empty file", fname);
	json_t *root = json_loadb(text, len, 0, &err);
	if (root == NULL)
		return set_cause(cause, "%s: line %d column %d: %s", fname, err.line, err.column, err.text);
	int rc = -1;
	if (!json_is_object(root)) {
		set_cause(cause, "%s: the task is %s, not an object with \"train\" and \"test\"", fname,
			  json_kind(root));
		goto out;
	}
	if (parse_pairs(root, "train", true, fname, &t->train, &t->n_train, cause) != 0)
		goto out;
	if (parse_pairs(root, "test", false, fname, &t->test, &t->n_test, cause) != 0) {
		arc_task_free(t);
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int arc_task_load(const char *path, struct arc_task *t, char **cause)
{
	char *text;
	size_t len;
	memset(t, 0, sizeof *t);
	if (read_file_all(path, (size_t)64 << 20, &text, &len, cause) != 0)
		return -1;
	int rc = arc_task_parse(text, len, path, t, cause);
	free(text);
	return rc;
}

void arc_task_free(struct arc_task *t)
{
	free(t->train);
	free(t->test);
	memset(t, 0, sizeof *t);
}

struct sbuf {
	char *s;
	size_t n, cap;
};

static void put(struct sbuf *b, const char *s)
{
	size_t m = strlen(s);
	if (b->n + m + 1 > b->cap) {
		b->cap = (b->n + m + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->n, s, m + 1);
	b->n += m;
}

static void put_grid(struct sbuf *b, const struct arc_grid *g, const char *indent)
{
	char num[4];
	put(b, "[");
	for (int r = 0; r < g->rows; r++) {
		if (r > 0) {
			put(b, ",\n");
			put(b, indent);
		}
		put(b, "[");
		for (int c = 0; c < g->cols; c++) {
			snprintf(num, sizeof num, c ? ", %d" : "%d", g->cell[r][c]);
			put(b, num);
		}
		put(b, "]");
	}
	put(b, "]");
}

static void put_pairs(struct sbuf *b, const char *key, const struct arc_pair *ps, int n)
{
	put(b, "  \"");
	put(b, key);
	put(b, "\": [");
	for (int i = 0; i < n; i++) {
		put(b, i ? ",\n    {\"input\": " : "\n    {\"input\": ");
		put_grid(b, &ps[i].input, "               ");
		if (ps[i].has_output) {
			put(b, ",\n     \"output\": ");
			put_grid(b, &ps[i].output, "                ");
		}
		put(b, "}");
	}
	put(b, "\n  ]");
}

char *arc_task_format(const struct arc_task *t)
{
	struct sbuf b = { 0 };
	put(&b, "{\n");
	put_pairs(&b, "train", t->train, t->n_train);
	put(&b, ",\n");
	put_pairs(&b, "test", t->test, t->n_test);
	put(&b, "\n}\n");
	return b.s;
}

/* ---- canvas ---- */

void arc_encode(const struct arc_grid *g, int top, int left, int32_t *canvas)
{
	memset(canvas, 0, ARC_SIDE * ARC_SIDE * sizeof *canvas);
	for (int r = 0; r < g->rows; r++)
		for (int c = 0; c < g->cols; c++)
			canvas[(top + r) * ARC_SIDE + left + c] = g->cell[r][c] + 2;
	if (top + g->rows < ARC_SIDE)
		for (int c = 0; c < g->cols; c++)
			canvas[(top + g->rows) * ARC_SIDE + left + c] = ARC_EOS;
	if (left + g->cols < ARC_SIDE)
		for (int r = 0; r < g->rows; r++)
			canvas[(top + r) * ARC_SIDE + left + g->cols] = ARC_EOS;
}

void arc_random_offset(struct hrm_rng *rng, const struct arc_grid *a, const struct arc_grid *b, int *top,
		       int *left)
{
	int rows = a->rows > b->rows ? a->rows : b->rows, cols = a->cols > b->cols ? a->cols : b->cols;
	*top = (int)hrm_rng_below(rng, (uint64_t)(ARC_SIDE - rows + 1));
	*left = (int)hrm_rng_below(rng, (uint64_t)(ARC_SIDE - cols + 1));
}

static bool is_colour(int32_t t)
{
	return t >= 2 && t <= 11;
}

/* Strict decoding, also giving the grid's place on the canvas. */
static int decode_at(const int32_t *cv, struct arc_grid *g, int *top_out, int *left_out, char **cause)
{
	int top = ARC_SIDE, left = ARC_SIDE;
	memset(g, 0, sizeof *g);
	for (int i = 0; i < ARC_SIDE * ARC_SIDE; i++)
		if (cv[i] != ARC_PAD) {
			if (i / ARC_SIDE < top)
				top = i / ARC_SIDE;
			if (i % ARC_SIDE < left)
				left = i % ARC_SIDE;
		}
	if (top == ARC_SIDE)
		return set_cause(cause, "ARC canvas: no grid (every cell is pad)");
	if (!is_colour(cv[top * ARC_SIDE + left]))
		return set_cause(cause, "ARC canvas: the grid's top-left cell (row %d column %d) holds token %d, not a colour",
				 top + 1, left + 1, (int)cv[top * ARC_SIDE + left]);
	int rows = 0, cols = 0;
	while (left + cols < ARC_SIDE && is_colour(cv[top * ARC_SIDE + left + cols]))
		cols++;
	while (top + rows < ARC_SIDE && is_colour(cv[(top + rows) * ARC_SIDE + left]))
		rows++;
	for (int r = 0; r < ARC_SIDE; r++)
		for (int c = 0; c < ARC_SIDE; c++) {
			int32_t t = cv[r * ARC_SIDE + c], want = ARC_PAD;
			bool in_r = r >= top && r < top + rows, in_c = c >= left && c < left + cols;
			if (in_r && in_c)
				want = -1; /* any colour */
			else if ((r == top + rows && in_c) || (c == left + cols && in_r))
				want = ARC_EOS;
			if (want < 0 ? !is_colour(t) : t != want)
				return set_cause(cause,
						 "ARC canvas: row %d column %d holds token %d where a %dx%d grid at row %d "
						 "column %d needs %s",
						 r + 1, c + 1, (int)t, rows, cols, top + 1, left + 1,
						 want < 0 ? "a colour" : want == ARC_EOS ? "end-of-grid" : "pad");
			if (want < 0)
				g->cell[r - top][c - left] = (uint8_t)(t - 2);
		}
	g->rows = rows;
	g->cols = cols;
	*top_out = top;
	*left_out = left;
	return 0;
}

int arc_decode(const int32_t *canvas, struct arc_grid *g, char **cause)
{
	int top, left;
	return decode_at(canvas, g, &top, &left, cause);
}

void arc_crop(const int32_t *canvas, struct arc_grid *g)
{
	int width = ARC_SIDE, best = 0;
	memset(g, 0, sizeof *g);
	for (int r = 0; r < ARC_SIDE && width > 0; r++) {
		int run = 0;
		while (run < width && is_colour(canvas[r * ARC_SIDE + run]))
			run++;
		width = run;
		if ((r + 1) * width > best) {
			best = (r + 1) * width;
			g->rows = r + 1;
			g->cols = width;
		}
	}
	for (int r = 0; r < g->rows; r++)
		for (int c = 0; c < g->cols; c++)
			g->cell[r][c] = (uint8_t)(canvas[r * ARC_SIDE + c] - 2);
}

/* ---- augmentation ---- */

void arc_dihedral(int tid, const struct arc_grid *in, struct arc_grid *out)
{
	int rows, cols;
	puzzle_dihedral_shape(tid, in->rows, in->cols, &rows, &cols);
	memset(out, 0, sizeof *out);
	out->rows = rows;
	out->cols = cols;
	for (int r = 0; r < rows; r++)
		for (int c = 0; c < cols; c++) {
			int sr, sc;
			puzzle_dihedral_source(tid, in->rows, in->cols, r, c, &sr, &sc);
			out->cell[r][c] = in->cell[sr][sc];
		}
}

void arc_recolour(const uint8_t map[10], const struct arc_grid *in, struct arc_grid *out)
{
	*out = *in;
	for (int r = 0; r < in->rows; r++)
		for (int c = 0; c < in->cols; c++)
			out->cell[r][c] = map[in->cell[r][c] % 10];
}

void arc_random_colours(struct hrm_rng *rng, uint8_t map[10])
{
	for (int k = 0; k < 10; k++)
		map[k] = (uint8_t)k;
	for (int k = 9; k > 1; k--) {
		int j = 1 + (int)hrm_rng_below(rng, (uint64_t)k);
		uint8_t t = map[k];
		map[k] = map[j];
		map[j] = t;
	}
}

static void augment_pairs(const struct arc_pair *in, int n, int tid, const uint8_t map[10], struct arc_pair **out)
{
	struct arc_grid tmp;
	*out = xcalloc(n ? (size_t)n : 1, sizeof **out);
	for (int i = 0; i < n; i++) {
		/* colours first, then the transform, as the official _map_grid */
		arc_recolour(map, &in[i].input, &tmp);
		arc_dihedral(tid, &tmp, &(*out)[i].input);
		(*out)[i].has_output = in[i].has_output;
		if (in[i].has_output) {
			arc_recolour(map, &in[i].output, &tmp);
			arc_dihedral(tid, &tmp, &(*out)[i].output);
		}
	}
}

void arc_task_augment(const struct arc_task *in, int tid, const uint8_t map[10], struct arc_task *out)
{
	out->n_train = in->n_train;
	out->n_test = in->n_test;
	augment_pairs(in->train, in->n_train, tid, map, &out->train);
	augment_pairs(in->test, in->n_test, tid, map, &out->test);
}

bool arc_grid_equal(const struct arc_grid *a, const struct arc_grid *b)
{
	if (a->rows != b->rows || a->cols != b->cols)
		return false;
	for (int r = 0; r < a->rows; r++)
		if (memcmp(a->cell[r], b->cell[r], (size_t)a->cols) != 0)
			return false;
	return true;
}

/* ---- puzzle operations ---- */

int arc_to_puzzle(const struct arc_task *t, int index, const char *name, struct puzzle *out, char **cause)
{
	if (index < 0 || index >= t->n_train + t->n_test)
		return set_cause(cause, "%s: no example %d (the task has %d train and %d test)", name, index + 1,
				 t->n_train, t->n_test);
	const struct arc_pair *pr = index < t->n_train ? &t->train[index] : &t->test[index - t->n_train];
	memset(out, 0, sizeof *out);
	out->kind = PUZZLE_ARC;
	out->side = ARC_SIDE;
	out->seq_len = ARC_SIDE * ARC_SIDE;
	arc_encode(&pr->input, 0, 0, out->input);
	if (pr->has_output) {
		arc_encode(&pr->output, 0, 0, out->label);
		out->has_label = true;
	}
	puzzle_set_name(out, name);
	return 0;
}

int arc_parse(const char *text, size_t len, const char *fname, struct puzzle *out, char **cause)
{
	struct arc_task t;
	if (arc_task_parse(text, len, fname, &t, cause) != 0)
		return -1;
	int rc = arc_to_puzzle(&t, t.n_train, puzzle_basename(fname), out, cause);
	arc_task_free(&t);
	return rc;
}

static char *arc_format(const struct puzzle *p, const int32_t *cells)
{
	struct arc_grid g;
	struct sbuf b = { 0 };
	(void)p;
	if (arc_decode(cells, &g, NULL) == 0) {
		put_grid(&b, &g, " ");
		put(&b, "\n");
		return b.s;
	}
	/* not a well-formed canvas (a prediction): show it raw */
	char line[ARC_SIDE + 2];
	for (int r = 0; r < ARC_SIDE; r++) {
		for (int c = 0; c < ARC_SIDE; c++) {
			int32_t t = cells[r * ARC_SIDE + c];
			line[c] = t == ARC_PAD ? '.' : t == ARC_EOS ? '+' : is_colour(t) ? (char)('0' + t - 2) : '?';
		}
		line[ARC_SIDE] = '\n';
		line[ARC_SIDE + 1] = '\0';
		put(&b, line);
	}
	return b.s;
}

static struct cell_look arc_look(const struct puzzle *p, int cell, int32_t token)
{
	(void)p;
	(void)cell;
	if (is_colour(token))
		return (struct cell_look){ (char)('0' + token - 2), (enum cell_role)(ROLE_ARC0 + token - 2) };
	if (token == ARC_EOS)
		return (struct cell_look){ '+', ROLE_EOS };
	return (struct cell_look){ token == ARC_PAD ? ' ' : '?', ROLE_PAD };
}

static int arc_solve(struct puzzle *p, char **cause)
{
	(void)p;
	return set_cause(cause, "ARC tasks have no solver: the label comes from the task file");
}

bool arc_check_answer(const struct puzzle *p, const int32_t *answer, bool *wrong)
{
	struct arc_grid want, got;
	int top = 0, left = 0, n = ARC_SIDE * ARC_SIDE;
	bool ok;

	if (wrong)
		memset(wrong, 0, (size_t)n * sizeof *wrong);
	if (!p->has_label || decode_at(p->label, &want, &top, &left, NULL) != 0)
		return false;
	if (top == 0 && left == 0) {
		arc_crop(answer, &got);
		ok = arc_grid_equal(&want, &got);
	} else {
		/* a translated label: the crop reads from 0,0, so compare exactly */
		ok = memcmp(answer, p->label, (size_t)n * sizeof *answer) == 0;
	}
	if (wrong)
		for (int i = 0; i < n; i++) {
			int r = i / ARC_SIDE - top, c = i % ARC_SIDE - left;
			bool near = r >= 0 && r <= want.rows && c >= 0 && c <= want.cols;
			wrong[i] = answer[i] != p->label[i] && (near || is_colour(answer[i]));
		}
	return ok;
}

static bool arc_validate(const struct puzzle *p, const int32_t *answer, bool *wrong)
{
	return arc_check_answer(p, answer, wrong);
}

const struct puzzle_ops arc_ops = {
	.name = "arc",
	.vocab_size = ARC_VOCAB,
	.parse = arc_parse,
	.format = arc_format,
	.look = arc_look,
	.solve = arc_solve,
	.validate = arc_validate,
};
