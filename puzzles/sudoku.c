/* sudoku.c - sudoku text/CSV parsing, formatting, the rule validator and
 * the official augmentation. */
#include "puzzles/sudoku.h"
#include "puzzles/text.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where each cell came from in the text, for messages (line 0: a CSV
 * field, named by character number). */
struct origin {
	int line[SUDOKU_CELLS], col[SUDOKU_CELLS];
};

static const char *place_name(const struct origin *org, int i, char *buf, size_t n)
{
	if (org->line[i] == 0)
		snprintf(buf, n, "question character %d", org->col[i]);
	else
		snprintf(buf, n, "line %d column %d", org->line[i], org->col[i]);
	return buf;
}

static int digit_of(char ch)
{
	if (ch >= '1' && ch <= '9')
		return ch - '0';
	return ch == '.' || ch == '0' ? 0 : -1;
}

static const char *unit_kind(int a, int b)
{
	if (a / 9 == b / 9)
		return "row";
	if (a % 9 == b % 9)
		return "column";
	return "box";
}

/* Fills a puzzle from 81 characters; positions named by `org`. */
static int from_cells(const char *cells, const struct origin *org, const char *fname, struct puzzle *out,
		      char **cause)
{
	uint8_t d[SUDOKU_CELLS];
	char cb[16], pa[48], pb[48];
	int a, b;

	for (int i = 0; i < SUDOKU_CELLS; i++) {
		int v = digit_of(cells[i]);
		if (v < 0)
			return set_cause(cause, "%s: %s: unknown character %s (a sudoku uses 1-9, and '.' or '0' for a blank)",
					 fname, place_name(org, i, pa, sizeof pa),
					 puzzle_char_name((unsigned char)cells[i], cb));
		d[i] = (uint8_t)v;
	}
	if (sudoku_conflict(d, &a, &b) == 0)
		return set_cause(cause, "%s: the givens contradict each other: %d at %s and at %s (same %s)", fname, d[a],
				 place_name(org, a, pa, sizeof pa), place_name(org, b, pb, sizeof pb), unit_kind(a, b));
	memset(out, 0, sizeof *out);
	out->kind = PUZZLE_SUDOKU;
	out->side = 9;
	out->seq_len = SUDOKU_CELLS;
	sudoku_from_digits(d, out->input);
	puzzle_set_name(out, puzzle_basename(fname));
	return 0;
}

static int from_line(const struct puzzle_line *ln, const char *fname, struct puzzle *out, char **cause)
{
	struct origin org;
	if (ln->len != SUDOKU_CELLS)
		return set_cause(cause, "%s: line %d has %zu characters, a sudoku line has 81", fname, ln->no,
				 ln->len);
	for (int i = 0; i < SUDOKU_CELLS; i++) {
		org.line[i] = ln->no;
		org.col[i] = i + 1;
	}
	return from_cells(ln->s, &org, fname, out, cause);
}

/* A line without its trailing blanks (spaces and tabs). */
static void trim_end(struct puzzle_line *ln)
{
	while (ln->len > 0 && (ln->s[ln->len - 1] == ' ' || ln->s[ln->len - 1] == '\t'))
		ln->len--;
}

int sudoku_parse(const char *text, size_t len, const char *fname, struct puzzle *out, char **cause)
{
	const char *pos = text, *end = text + len;
	struct puzzle_line ln = { 0 }, lines[9];
	int n = 0;

	if (len == 0)
		return set_cause(cause, "%s: empty file", fname);
	while (puzzle_next_line(&pos, end, &ln)) {
		trim_end(&ln);
		if (ln.len == 0)
			continue;
		if (n == 1 && lines[0].len == SUDOKU_CELLS)
			return set_cause(cause, "%s: line %d: a second puzzle; one sudoku per file (or a list of one "
						"81-character line per puzzle)",
					 fname, ln.no);
		if (n == 9)
			return set_cause(cause, "%s: line %d: more than 9 lines of a 9x9 sudoku", fname, ln.no);
		lines[n++] = ln;
	}
	if (n == 0)
		return set_cause(cause, "%s: no sudoku in the file (only blank lines)", fname);
	if (n == 1)
		return from_line(&lines[0], fname, out, cause);

	char cells[SUDOKU_CELLS];
	struct origin org;
	for (int r = 0; r < n; r++) {
		if (lines[r].len != 9)
			return set_cause(cause,
					 "%s: line %d has %zu characters: a sudoku is one line of 81 or 9 lines of 9",
					 fname, lines[r].no, lines[r].len);
		for (int c = 0; c < 9; c++) {
			cells[r * 9 + c] = lines[r].s[c];
			org.line[r * 9 + c] = lines[r].no;
			org.col[r * 9 + c] = c + 1;
		}
	}
	if (n != 9)
		return set_cause(cause, "%s: %d lines of 9: a sudoku is one line of 81 or 9 lines of 9", fname, n);
	return from_cells(cells, &org, fname, out, cause);
}

int sudoku_parse_list(const char *text, size_t len, const char *fname, int max, struct puzzle **out, int *count,
		      char **cause)
{
	const char *pos = text, *end = text + len;
	struct puzzle_line ln = { 0 };
	struct puzzle *ps = NULL;
	int n = 0, cap = 0;

	*out = NULL;
	*count = 0;
	if (len == 0)
		return set_cause(cause, "%s: empty file", fname);
	/* a single 9x9 block is one puzzle */
	const char *nl = memchr(text, '\n', len);
	size_t first = nl ? (size_t)(nl - text) : len;
	if (first > 0 && text[first - 1] == '\r')
		first--;
	if (first == 9) {
		ps = xmalloc(sizeof *ps);
		if (sudoku_parse(text, len, fname, ps, cause) != 0) {
			free(ps);
			return -1;
		}
		*out = ps;
		*count = 1;
		return 0;
	}
	while ((max <= 0 || n < max) && puzzle_next_line(&pos, end, &ln)) {
		trim_end(&ln);
		if (ln.len == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			ps = xrealloc(ps, (size_t)cap * sizeof *ps);
		}
		if (from_line(&ln, fname, &ps[n], cause) != 0) {
			free(ps);
			return -1;
		}
		snprintf(ps[n].name, sizeof ps[n].name, "%s line %d", puzzle_basename(fname), ln.no);
		n++;
	}
	if (n == 0) {
		free(ps);
		return set_cause(cause, "%s: no sudoku in the file (only blank lines)", fname);
	}
	*out = ps;
	*count = n;
	return 0;
}

int sudoku_from_strings(const char *q, const char *a, size_t len, const char *where, struct puzzle *out,
			char **cause)
{
	struct origin org;
	char cb[16];
	bool wrong[SUDOKU_CELLS];
	int32_t ans[SUDOKU_CELLS];

	if (len != SUDOKU_CELLS)
		return set_cause(cause, "%s: a sudoku question has 81 characters, not %zu", where, len);
	for (int i = 0; i < SUDOKU_CELLS; i++) {
		org.line[i] = 0;
		org.col[i] = i + 1;
	}
	if (from_cells(q, &org, where, out, cause) != 0)
		return -1;
	if (a == NULL)
		return 0;
	for (int i = 0; i < SUDOKU_CELLS; i++) {
		int v = digit_of(a[i]);
		if (v <= 0)
			return set_cause(cause, "%s: answer character %d is %s, not a digit 1-9", where, i + 1,
					 puzzle_char_name((unsigned char)a[i], cb));
		ans[i] = v + 1;
	}
	if (!sudoku_check_answer(out, ans, wrong)) {
		int n = 0, first = -1;
		for (int i = 0; i < SUDOKU_CELLS; i++)
			if (wrong[i]) {
				n++;
				if (first < 0)
					first = i;
			}
		return set_cause(cause,
				 "%s: the answer is not a solution of the question (%d cells break a rule or a given, "
				 "the first at row %d column %d)",
				 where, n, first / 9 + 1, first % 9 + 1);
	}
	memcpy(out->label, ans, sizeof ans);
	out->has_label = true;
	return 0;
}

char *sudoku_format(const struct puzzle *p, const int32_t *cells)
{
	(void)p;
	char *s = xmalloc(SUDOKU_CELLS + 2);
	for (int i = 0; i < SUDOKU_CELLS; i++) {
		int32_t t = cells[i];
		s[i] = t == SUDOKU_BLANK ? '.' : t >= 2 && t <= 10 ? (char)('0' + t - 1) : '?';
	}
	s[SUDOKU_CELLS] = '\n';
	s[SUDOKU_CELLS + 1] = '\0';
	return s;
}

static struct cell_look sudoku_look(const struct puzzle *p, int cell, int32_t token)
{
	if (token == SUDOKU_BLANK)
		return (struct cell_look){ '.', ROLE_BLANK };
	if (token >= 2 && token <= 10) {
		bool given = cell >= 0 && cell < SUDOKU_CELLS && p->input[cell] >= 2 && p->input[cell] <= 10;
		return (struct cell_look){ (char)('0' + token - 1), given ? ROLE_GIVEN : ROLE_DIGIT };
	}
	return (struct cell_look){ token == SUDOKU_PAD ? ' ' : '?', ROLE_PAD };
}

bool sudoku_check_answer(const struct puzzle *p, const int32_t *answer, bool *wrong)
{
	bool w[SUDOKU_CELLS] = { false }, ok = true;
	for (int i = 0; i < SUDOKU_CELLS; i++) {
		int32_t t = answer[i], g = p->input[i];
		if (t < 2 || t > 10 || (g >= 2 && g <= 10 && t != g))
			w[i] = true;
	}
	for (int u = 0; u < 27; u++) {
		int cells[9], count[11] = { 0 };
		for (int k = 0; k < 9; k++) {
			/* rows, columns, boxes as in sudoku_solve.c */
			int i = u < 9 ? u * 9 + k
				: u < 18 ? k * 9 + (u - 9)
					 : (((u - 18) / 3) * 3 + k / 3) * 9 + ((u - 18) % 3) * 3 + k % 3;
			cells[k] = i;
			if (answer[i] >= 2 && answer[i] <= 10)
				count[answer[i]]++;
		}
		for (int k = 0; k < 9; k++) {
			int32_t t = answer[cells[k]];
			if (t >= 2 && t <= 10 && count[t] > 1)
				w[cells[k]] = true;
		}
	}
	for (int i = 0; i < SUDOKU_CELLS; i++)
		ok &= !w[i];
	if (wrong)
		memcpy(wrong, w, sizeof w);
	return ok;
}

static bool sudoku_validate(const struct puzzle *p, const int32_t *answer, bool *wrong)
{
	return sudoku_check_answer(p, answer, wrong);
}

/* ---- the official augmentation ---- */

static void shuffle_u8(struct hrm_rng *rng, uint8_t *a, int n)
{
	for (int k = n - 1; k > 0; k--) {
		int j = (int)hrm_rng_below(rng, (uint64_t)k + 1);
		uint8_t t = a[k];
		a[k] = a[j];
		a[j] = t;
	}
}

static void block_perm(struct hrm_rng *rng, uint8_t *perm)
{
	uint8_t blocks[3] = { 0, 1, 2 };
	shuffle_u8(rng, blocks, 3);
	for (int b = 0; b < 3; b++) {
		uint8_t within[3] = { 0, 1, 2 };
		shuffle_u8(rng, within, 3);
		for (int k = 0; k < 3; k++)
			perm[b * 3 + k] = (uint8_t)(blocks[b] * 3 + within[k]);
	}
}

void sudoku_transform_random(struct hrm_rng *rng, struct sudoku_transform *t)
{
	/* drawn in the official order: digits, transpose, rows, columns */
	t->digit[0] = 0;
	for (int d = 1; d <= 9; d++)
		t->digit[d] = (uint8_t)d;
	shuffle_u8(rng, t->digit + 1, 9);
	t->transpose = hrm_rng_below(rng, 2) == 1;
	block_perm(rng, t->row_perm);
	block_perm(rng, t->col_perm);
}

int sudoku_transform_source(const struct sudoku_transform *t, int cell)
{
	int r = t->row_perm[cell / 9], c = t->col_perm[cell % 9];
	/* (r, c) indexes the transposed grid when transpose is set */
	return t->transpose ? c * 9 + r : r * 9 + c;
}

void sudoku_transform_apply(const struct sudoku_transform *t, const int32_t *in, int32_t *out)
{
	for (int i = 0; i < SUDOKU_CELLS; i++) {
		int32_t v = in[sudoku_transform_source(t, i)];
		out[i] = v >= 2 && v <= 10 ? t->digit[v - 1] + 1 : v;
	}
}

void sudoku_shuffle(struct hrm_rng *rng, struct puzzle *p)
{
	struct sudoku_transform t;
	int32_t tmp[SUDOKU_CELLS];
	sudoku_transform_random(rng, &t);
	sudoku_transform_apply(&t, p->input, tmp);
	memcpy(p->input, tmp, sizeof tmp);
	if (p->has_label) {
		sudoku_transform_apply(&t, p->label, tmp);
		memcpy(p->label, tmp, sizeof tmp);
	}
}

const struct puzzle_ops sudoku_ops = {
	.name = "sudoku",
	.vocab_size = SUDOKU_VOCAB,
	.parse = sudoku_parse,
	.format = sudoku_format,
	.look = sudoku_look,
	.solve = sudoku_solve,
	.validate = sudoku_validate,
};
