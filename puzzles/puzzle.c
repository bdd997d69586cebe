/* puzzle.c - the registry of puzzle kinds and the loader above them: which
 * kind a file holds (kind guessing, official CSVs, sudoku lists, ARC tasks)
 * and the official CSV row of a puzzle.  The kinds' shared text helpers are
 * text.c; the dihedral transforms dihedral.c. */
#include "puzzles/puzzle.h"
#include "puzzles/arc.h"
#include "puzzles/maze.h"
#include "puzzles/text.h"
#include "puzzles/sudoku.h"
#include "core/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TEXT_MAX ((size_t)64 << 20)  /* task and puzzle files */
#define CSV_MAX ((size_t)4 << 30)    /* whole official CSVs (load_all) */
#define CSV_HEAD ((size_t)256 << 10) /* enough for a header and a first row */

const struct puzzle_ops *puzzle_ops_for(enum puzzle_kind k)
{
	switch (k) {
	case PUZZLE_MAZE:
		return &maze_ops;
	case PUZZLE_SUDOKU:
		return &sudoku_ops;
	case PUZZLE_ARC:
		return &arc_ops;
	}
	return NULL;
}

int puzzle_side_of(int cells)
{
	int r = 0;
	while ((r + 1) * (r + 1) <= cells)
		r++;
	return r * r == cells ? r : 0;
}

/* ---- files ---- */

static bool is_sudoku_question(const char *q, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)q[i]) && q[i] != '.')
			return false;
	return len > 0;
}

/* Rows of an official CSV; the header (second field "question") is skipped. */
static int csv_puzzles(const char *path, const char *text, size_t len, int max, struct puzzle **out, int *count,
		       char **cause)
{
	const char *pos = text, *end = text + len;
	int line = 1, n = 0, cap = 0, row = 0, rc;
	struct puzzle *ps = NULL;
	struct puzzle_csv_rec rec;
	char where[1100];

	while ((max <= 0 || n < max) && (rc = puzzle_csv_next(&pos, end, &line, &rec, path, cause)) == 1) {
		if (row == 0 && rec.nfields >= 2 && strcmp(rec.field[1], "question") == 0) {
			puzzle_csv_free(&rec);
			continue;
		}
		row++;
		snprintf(where, sizeof where, "%s: line %d", path, rec.line);
		if (rec.nfields < 3) {
			set_cause(cause, "%s: %d fields, expected source,question,answer,rating", where, rec.nfields);
			goto fail;
		}
		if (rec.flen[1] != rec.flen[2]) {
			set_cause(cause, "%s: the question has %zu characters, the answer %zu", where, rec.flen[1],
				  rec.flen[2]);
			goto fail;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			ps = xrealloc(ps, (size_t)cap * sizeof *ps);
		}
		if (is_sudoku_question(rec.field[1], rec.flen[1]))
			rc = sudoku_from_strings(rec.field[1], rec.field[2], rec.flen[2], where, &ps[n], cause);
		else
			rc = maze_from_strings(rec.field[1], rec.field[2], rec.flen[2], where, &ps[n], cause);
		if (rc != 0)
			goto fail;
		snprintf(ps[n].name, sizeof ps[n].name, "%s row %d", puzzle_basename(path), row);
		n++;
		puzzle_csv_free(&rec);
	}
	if (max > 0 && n >= max)
		rc = 0;
	if (rc < 0) {
		free(ps);
		return -1;
	}
	if (n == 0) {
		free(ps);
		return set_cause(cause, "%s: no puzzle rows in the CSV", path);
	}
	*out = ps;
	*count = n;
	return 0;
fail:
	puzzle_csv_free(&rec);
	free(ps);
	return -1;
}

static bool has_suffix(const char *path, const char *suf)
{
	size_t n = strlen(path), m = strlen(suf);
	return n >= m && strcasecmp(path + n - m, suf) == 0;
}

/* Reads at most max bytes of a file (a CSV's first rows). */
static int read_head(const char *path, size_t max, char **data, size_t *len, char **cause)
{
	FILE *f = fopen_regular(path, cause);
	if (f == NULL)
		return -1;
	char *buf = xmalloc(max + 1);
	size_t n = fread(buf, 1, max, f);
	if (ferror(f)) {
		set_cause(cause, "%s: read failed: %s", path, strerror(errno));
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	if (n == max) {
		/* keep whole lines only */
		while (n > 0 && buf[n - 1] != '\n')
			n--;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

enum guess { G_EMPTY, G_BLANK, G_ARC, G_CSV, G_MAZE, G_SUDOKU, G_UNKNOWN };

static enum guess guess_kind(const char *path, const char *text, size_t len)
{
	size_t i = 0;
	if (has_suffix(path, ".json"))
		return G_ARC;
	if (has_suffix(path, ".csv"))
		return G_CSV;
	if (len == 0)
		return G_EMPTY;
	while (i < len && isspace((unsigned char)text[i]))
		i++;
	if (i == len)
		return G_BLANK;
	if (text[i] == '{')
		return G_ARC;
	if (memchr(text, '#', len) || memchr(text, 'S', len) || memchr(text, 'G', len))
		return G_MAZE;
	for (i = 0; i < len; i++)
		if (isdigit((unsigned char)text[i]) || text[i] == '.')
			return G_SUDOKU;
	return G_UNKNOWN;
}

/* Why a file of kind g holds no puzzle: empty, blank, or of no kind. */
static int no_puzzle(enum guess g, const char *path, char **cause)
{
	if (g == G_EMPTY)
		return set_cause(cause, "%s: empty file", path);
	if (g == G_BLANK)
		return set_cause(cause, "%s: no puzzle in the file (only blank lines)", path);
	return set_cause(cause,
			 "%s: cannot tell the puzzle kind: expected an ARC task (.json), an official CSV (.csv), "
			 "a maze ('#' walls, S, G) or a sudoku (81 digits or dots)",
			 path);
}

int puzzle_load_file(const char *path, struct puzzle *out, char **cause)
{
	char *text = NULL;
	size_t len = 0;
	int rc;
	bool csv = has_suffix(path, ".csv");

	if ((csv ? read_head(path, CSV_HEAD, &text, &len, cause) : read_file_all(path, TEXT_MAX, &text, &len, cause)) !=
	    0)
		return -1;
	enum guess g = guess_kind(path, text, len);
	switch (g) {
	case G_ARC:
		rc = arc_parse(text, len, path, out, cause);
		break;
	case G_CSV: {
		struct puzzle *ps = NULL;
		int n = 0;
		rc = csv_puzzles(path, text, len, 1, &ps, &n, cause);
		if (rc == 0) {
			*out = ps[0];
			free(ps);
		}
		break;
	}
	case G_MAZE:
		rc = maze_parse(text, len, path, out, cause);
		break;
	case G_SUDOKU:
		rc = sudoku_parse(text, len, path, out, cause);
		break;
	default:
		rc = no_puzzle(g, path, cause);
		break;
	}
	free(text);
	if (rc == 0 && !csv)
		puzzle_set_name(out, puzzle_basename(path));
	return rc;
}

static int arc_all(const char *path, const char *text, size_t len, int max, struct puzzle **out, int *count,
		   char **cause)
{
	struct arc_task t;
	char name[160];
	if (arc_task_parse(text, len, path, &t, cause) != 0)
		return -1;
	int n = t.n_train + t.n_test;
	if (max > 0 && n > max)
		n = max;
	struct puzzle *ps = xmalloc((size_t)n * sizeof *ps);
	for (int i = 0; i < n; i++) {
		if (i < t.n_train)
			snprintf(name, sizeof name, "%s train %d", puzzle_basename(path), i + 1);
		else
			snprintf(name, sizeof name, "%s test %d", puzzle_basename(path), i - t.n_train + 1);
		if (arc_to_puzzle(&t, i, name, &ps[i], cause) != 0) {
			free(ps);
			arc_task_free(&t);
			return -1;
		}
	}
	arc_task_free(&t);
	*out = ps;
	*count = n;
	return 0;
}

int puzzle_load_all(const char *path, int max, struct puzzle **out, int *count, char **cause)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	*count = 0;
	if (read_file_all(path, has_suffix(path, ".csv") ? CSV_MAX : TEXT_MAX, &text, &len, cause) != 0)
		return -1;
	enum guess g = guess_kind(path, text, len);
	switch (g) {
	case G_ARC:
		rc = arc_all(path, text, len, max, out, count, cause);
		break;
	case G_CSV:
		rc = csv_puzzles(path, text, len, max, out, count, cause);
		break;
	case G_MAZE:
		*out = xmalloc(sizeof **out);
		rc = maze_parse(text, len, path, *out, cause);
		if (rc == 0)
			*count = 1;
		break;
	case G_SUDOKU:
		rc = sudoku_parse_list(text, len, path, max, out, count, cause);
		break;
	default:
		rc = no_puzzle(g, path, cause);
		break;
	}
	free(text);
	if (rc != 0) {
		free(*out);
		*out = NULL;
		*count = 0;
	}
	return rc;
}

char *puzzle_csv_row(const struct puzzle *p, const char *source, long rating)
{
	const struct puzzle_ops *ops = puzzle_ops_for(p->kind);
	if (p->kind == PUZZLE_ARC || !p->has_label)
		return NULL;
	char *q = ops->format(p, p->input), *a = ops->format(p, p->label);
	size_t ns = strlen(source), nq = strlen(q), na = strlen(a);
	char *row = xmalloc(2 * ns + nq + na + 48), *o = row;
	/* quote the source if the csv module would */
	if (strpbrk(source, ",\"\r\n")) {
		*o++ = '"';
		for (const char *s = source; *s; s++) {
			if (*s == '"')
				*o++ = '"';
			*o++ = *s;
		}
		*o++ = '"';
	} else {
		memcpy(o, source, ns);
		o += ns;
	}
	*o++ = ',';
	/* formats hold one grid row per line: flatten them */
	for (const char *s = q; *s; s++)
		if (*s != '\n')
			*o++ = *s;
	*o++ = ',';
	for (const char *s = a; *s; s++)
		if (*s != '\n')
			*o++ = *s;
	o += sprintf(o, ",%ld\n", rating);
	free(q);
	free(a);
	return row;
}
