/* puzzle_spec.h - the one reading of a puzzle spec, as --puzzle takes it in
 * every command and in the TUI (and the TUI's open prompt):
 *
 *   FILE              the first puzzle of a puzzle file
 *   FILE:INDEX        puzzle INDEX of it (0-based: a CSV row, a line of a
 *                     sudoku list, a pair of an ARC task)
 *   DIR               an official dataset folder: split test (train when
 *                     the folder has no test split), example 0
 *   DIR:SPLIT         example 0 of that split
 *   DIR:SPLIT:INDEX   example INDEX of it
 *
 * A name that exists as it is wins over a reading with colons.  Only the
 * spec is read here (and which names exist); opening the file or the split
 * is the caller's. */
#ifndef HRM_IO_PUZZLE_SPEC_H
#define HRM_IO_PUZZLE_SPEC_H

#include <stdbool.h>

struct puzzle_spec {
	const char *path;  /* the file or the dataset folder */
	bool dataset;      /* path is a dataset folder */
	const char *split; /* dataset: the split's name */
	long index;        /* the puzzle of the file, or the example of the split */
	char *buf;         /* owns path and split */
};

/* Returns 0, or -1 with *cause a one-line message naming the spec. */
int puzzle_spec_parse(const char *spec, struct puzzle_spec *out, char **cause);
void puzzle_spec_free(struct puzzle_spec *s);

/* An INDEX as the spec takes it: plain decimal digits up to INT_MAX - 1
 * (no sign, no spaces); -1 for anything else. */
long puzzle_spec_index(const char *s);

#endif
