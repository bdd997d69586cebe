/* text.h - helpers shared by the puzzle kinds' parsers (text.c); not part of
 * the interface (include puzzle.h, maze.h, sudoku.h, arc.h). */
#ifndef HRM_PUZZLES_TEXT_H
#define HRM_PUZZLES_TEXT_H

#include "puzzles/puzzle.h"

/* One line of a text file: without its "\n" and a trailing "\r"; no counts
 * from 1 so that messages can say "line 3". */
struct puzzle_line {
	const char *s;
	size_t len;
	int no;
};

/* Steps *pos through [*pos, end); false when no line is left. */
bool puzzle_next_line(const char **pos, const char *end, struct puzzle_line *ln);

/* A byte as a message shows it: 'x', or a name for unprintable bytes.
 * Returns buf (at least 16 bytes). */
const char *puzzle_char_name(unsigned char c, char *buf);

/* The part of path after the last '/'. */
const char *puzzle_basename(const char *path);
void puzzle_set_name(struct puzzle *p, const char *name);

/* One CSV record (RFC 4180 quoting, as Python's csv module writes it).
 * Fields point into a malloc'd buffer owned by the record. */
#define PUZZLE_CSV_MAX_FIELDS 8
struct puzzle_csv_rec {
	char *buf;
	const char *field[PUZZLE_CSV_MAX_FIELDS];
	size_t flen[PUZZLE_CSV_MAX_FIELDS];
	int nfields;
	int line; /* line where the record starts */
};

/* Reads the next record; 1 = a record, 0 = end of text, -1 = error. */
int puzzle_csv_next(const char **pos, const char *end, int *line, struct puzzle_csv_rec *rec, const char *fname,
		    char **cause);
void puzzle_csv_free(struct puzzle_csv_rec *rec);

#endif
