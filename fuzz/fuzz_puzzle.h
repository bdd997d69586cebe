/* fuzz_puzzle.h - what the commands do with a parsed puzzle, shared by the
 * maze, sudoku and ARC targets: format it, draw every cell, validate the
 * input and the label as answers. */
#ifndef HRM_FUZZ_PUZZLE_H
#define HRM_FUZZ_PUZZLE_H

#include "puzzles/puzzle.h"
#include "puzzles/text.h"

#include <stdlib.h>
#include <string.h>

static inline void exercise_puzzle(const struct puzzle *p)
{
	const struct puzzle_ops *ops = puzzle_ops_for(p->kind);
	if (p->seq_len < 1 || p->seq_len > PUZZLE_MAX_CELLS || p->side < 1 || p->side > PUZZLE_MAX_SIDE)
		abort();
	for (int i = 0; i < p->seq_len; i++)
		if (p->input[i] < 0 || p->input[i] >= ops->vocab_size ||
		    (p->has_label && (p->label[i] < 0 || p->label[i] >= ops->vocab_size)))
			abort();
	free(ops->format(p, p->input));
	if (p->has_label)
		free(ops->format(p, p->label));
	for (int i = 0; i < p->seq_len; i++)
		(void)ops->look(p, i, p->input[i]);
	bool wrong[PUZZLE_MAX_CELLS];
	(void)ops->validate(p, p->input, wrong);
	if (p->has_label)
		(void)ops->validate(p, p->label, wrong);
}

/* Rows of the official CSV format (source,question,answer,rating), as
 * hrmscope gen --from-csv and puzzle files ending in .csv read them. */
static inline void exercise_csv(const char *text, size_t len,
                                int (*from_strings)(const char *, const char *, size_t, const char *, struct puzzle *,
                                                    char **))
{
	const char *pos = text, *end = text + len;
	int line = 1, rows = 0;
	struct puzzle_csv_rec rec;
	char *cause = NULL;
	while (rows++ < 64 && puzzle_csv_next(&pos, end, &line, &rec, "fuzz.csv", &cause) == 1) {
		struct puzzle p;
		if (rec.nfields >= 3 && rec.flen[1] == rec.flen[2] &&
		    from_strings(rec.field[1], rec.field[2], rec.flen[2], "fuzz.csv", &p, &cause) == 0)
			exercise_puzzle(&p);
		if (rec.nfields >= 2 && from_strings(rec.field[1], NULL, rec.flen[1], "fuzz.csv", &p, &cause) == 0)
			exercise_puzzle(&p);
		puzzle_csv_free(&rec);
	}
	free(cause);
}

#endif
