/* text.c - what the puzzle kinds' parsers share: lines of a text, bytes and
 * file names as messages show them, and the records of an official CSV. */
#include "puzzles/text.h"
#include "core/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool puzzle_next_line(const char **pos, const char *end, struct puzzle_line *ln)
{
	const char *s = *pos;
	if (s >= end)
		return false;
	const char *nl = memchr(s, '\n', (size_t)(end - s));
	const char *e = nl ? nl : end;
	ln->s = s;
	ln->len = (size_t)(e - s);
	if (ln->len > 0 && s[ln->len - 1] == '\r')
		ln->len--;
	ln->no++;
	*pos = nl ? nl + 1 : end;
	return true;
}

const char *puzzle_char_name(unsigned char c, char *buf)
{
	if (c == '\t')
		snprintf(buf, 16, "tab");
	else if (c == '\'')
		snprintf(buf, 16, "\"'\"");
	else if (isprint(c))
		snprintf(buf, 16, "'%c'", c);
	else
		snprintf(buf, 16, "byte 0x%02x", c);
	return buf;
}

const char *puzzle_basename(const char *path)
{
	const char *b = strrchr(path, '/');
	return b ? b + 1 : path;
}

void puzzle_set_name(struct puzzle *p, const char *name)
{
	snprintf(p->name, sizeof p->name, "%s", name);
}

int puzzle_csv_next(const char **pos, const char *end, int *line, struct puzzle_csv_rec *rec, const char *fname,
		    char **cause)
{
	const char *s = *pos;
	memset(rec, 0, sizeof *rec);
	/* blank lines hold no record (as Python's csv reader) */
	while (s < end && (*s == '\n' || *s == '\r')) {
		if (*s == '\n')
			(*line)++;
		s++;
	}
	if (s >= end) {
		*pos = s;
		return 0;
	}
	rec->line = *line;
	size_t cap = 256, n = 0, off[PUZZLE_CSV_MAX_FIELDS];
	rec->buf = xmalloc(cap);
	for (;;) {
		if (rec->nfields == PUZZLE_CSV_MAX_FIELDS) {
			set_cause(cause, "%s: line %d: more than %d fields", fname, rec->line, PUZZLE_CSV_MAX_FIELDS);
			puzzle_csv_free(rec);
			return -1;
		}
		off[rec->nfields] = n;
		bool quoted = s < end && *s == '"';
		if (quoted)
			s++;
		for (;;) {
			if (s >= end) {
				if (quoted) {
					set_cause(cause, "%s: line %d: a quoted field is not closed", fname,
						  rec->line);
					puzzle_csv_free(rec);
					return -1;
				}
				break;
			}
			char ch = *s;
			if (quoted && ch == '"') {
				if (s + 1 < end && s[1] == '"') {
					s++;
				} else {
					quoted = false;
					s++;
					continue;
				}
			} else if (!quoted && (ch == ',' || ch == '\n' || ch == '\r')) {
				break;
			}
			if (ch == '\n')
				(*line)++;
			if (n + 2 >= cap) {
				cap *= 2;
				rec->buf = xrealloc(rec->buf, cap);
			}
			rec->buf[n++] = ch;
			s++;
		}
		if (n + 1 >= cap) {
			cap *= 2;
			rec->buf = xrealloc(rec->buf, cap);
		}
		rec->buf[n++] = '\0';
		rec->flen[rec->nfields] = n - 1 - off[rec->nfields];
		rec->nfields++;
		if (s < end && *s == ',') {
			s++;
			continue;
		}
		break;
	}
	if (s < end && *s == '\r')
		s++;
	if (s < end && *s == '\n') {
		s++;
		(*line)++;
	}
	/* pointers only now: the buffer may have moved while growing */
	for (int i = 0; i < rec->nfields; i++)
		rec->field[i] = rec->buf + off[i];
	*pos = s;
	return 1;
}

void puzzle_csv_free(struct puzzle_csv_rec *rec)
{
	free(rec->buf);
	memset(rec, 0, sizeof *rec);
}

/* Digits and dots only: a sudoku (its reader names a wrong length). */
