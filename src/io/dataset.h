/* dataset.h - the official HRM dataset folder, read and written in C.
 *
 * Layout (dataset/build_*_dataset.py, puzzle_dataset.py):
 *
 *   DIR/identifiers.json              ["<blank>", name1, ...]  (id -> name)
 *   DIR/SPLIT/dataset.json            PuzzleDatasetMetadata     (SPLIT: train, test)
 *   DIR/SPLIT/SET__inputs.npy         [N, seq_len] tokens       (SET: "all" normally)
 *   DIR/SPLIT/SET__labels.npy         [N, seq_len] tokens
 *   DIR/SPLIT/SET__puzzle_identifiers.npy  [P]   identifier id of each puzzle
 *   DIR/SPLIT/SET__puzzle_indices.npy      [P+1] puzzle p = examples [pi[p], pi[p+1])
 *   DIR/SPLIT/SET__group_indices.npy       [G+1] group g = puzzles [gi[g], gi[g+1])
 *
 * A group is one original puzzle; its puzzles are augmented variants (the
 * trainer samples one puzzle per group per epoch); a puzzle's examples share
 * one puzzle identifier.  The official builders store tokens as uint8 and the
 * index arrays as int32; the reader accepts any integer dtype that fits and
 * holds everything in memory as int32 (4 bytes a token: fine for the maze,
 * sudoku and ARC test splits, too much for ARC's augmented train split).
 *
 * Functions return 0, or -1 with *cause set to a malloc'd one-line message
 * that names the file. */
#ifndef HRM_DATASET_H
#define HRM_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* PuzzleDatasetMetadata, field for field. */
struct dataset_meta {
	int64_t pad_id;
	bool has_ignore_label_id; /* false: JSON null */
	int64_t ignore_label_id;
	int64_t blank_identifier_id;
	int64_t vocab_size;
	int64_t seq_len;
	int64_t num_puzzle_identifiers;
	int64_t total_groups;        /* over all sets of the split */
	double mean_puzzle_examples; /* examples per puzzle (informational) */
	int num_sets;
	char **sets; /* set names, in file order */
};

struct dataset_set {
	char *name;
	int64_t num_examples;        /* N */
	int64_t num_puzzles;         /* P */
	int64_t num_groups;          /* G */
	int32_t *inputs;             /* N x seq_len */
	int32_t *labels;             /* N x seq_len (may hold ignore_label_id) */
	int32_t *puzzle_identifiers; /* P */
	int32_t *puzzle_indices;     /* P + 1, from 0 to N, non-decreasing */
	int32_t *group_indices;      /* G + 1, from 0 to P, increasing */
};

struct dataset_split {
	char *name; /* "train", "test" */
	struct dataset_meta meta;
	struct dataset_set *sets; /* meta.num_sets of them */
	int64_t num_examples;     /* over all sets */
};

/* One example, by its index over all sets of a split (sets in file order,
 * as puzzle_dataset.py's test iterator visits them). */
struct dataset_example {
	const int32_t *inputs; /* seq_len tokens, pointing into the split */
	const int32_t *labels;
	int32_t puzzle_identifier;
	int set;        /* index into split->sets */
	int64_t index;  /* example index within the set */
	int64_t puzzle; /* puzzle index within the set */
	int64_t group;  /* group index within the set */
};

/* dataset.json on its own.  The writer emits exactly what json.dump of the
 * pydantic model writes. */
int dataset_meta_read(const char *path, struct dataset_meta *m, char **cause);
/* The same from memory; path is only used in messages. */
int dataset_meta_parse(const char *text, size_t len, const char *path, struct dataset_meta *m, char **cause);
int dataset_meta_write(const char *path, const struct dataset_meta *m, char **cause);
void dataset_meta_free(struct dataset_meta *m);

/* Reads DIR/SPLIT and checks it: shapes against seq_len, the index arrays
 * (start at 0, monotonic, end at the next level's count), tokens in
 * 0..vocab_size-1 (labels may also be ignore_label_id), puzzle identifiers
 * in 0..num_puzzle_identifiers-1 and total_groups. */
int dataset_read_split(const char *dir, const char *split, struct dataset_split *out, char **cause);
void dataset_split_free(struct dataset_split *s);

/* Example i of 0..num_examples-1; returns -1 (no message) if out of range. */
int dataset_get_example(const struct dataset_split *s, int64_t i, struct dataset_example *ex);

/* DIR/identifiers.json: names[0..count-1], names[0] being "<blank>".  Only
 * used for display; a split's num_puzzle_identifiers should equal count. */
int dataset_read_identifiers(const char *dir, char ***names, int64_t *count, char **cause);
int dataset_identifiers_parse(const char *text, size_t len, const char *path, char ***names, int64_t *count,
                              char **cause);
void dataset_identifiers_free(char **names, int64_t count);
/* Writes DIR/identifiers.json (atomically), as json.dump writes the list. */
int dataset_identifiers_write(const char *dir, char *const *names, int64_t count, char **cause);

/* A set or split name must be a plain file-name component (no '/', not
 * "." or ".."), since it becomes part of a path. */
bool dataset_name_ok(const char *name);

/* ---- writer (dataset_write.c) ----
 *
 * Collects examples in memory, then writes the folder the way the official
 * builders do.  Call order:
 *
 *   w = dataset_writer_new(&opts);
 *   for each group:   dataset_writer_begin_group(w, "train", "all", ...)
 *     for each puzzle:  dataset_writer_begin_puzzle(w, "name" or NULL, ...)
 *       for each example: dataset_writer_add_example(w, inputs, labels, ...)
 *   dataset_writer_write(w, dir, ...); dataset_writer_free(w);
 *
 * Splits and sets appear in the order first named.  Identifier names get
 * ids 1, 2, ... in order of first use over splits, sets, groups and puzzles
 * (as build_arc_dataset.py numbers them); NULL is the blank identifier 0.
 * Tokens are stored as uint8 when the vocabulary (and ignore_label_id)
 * fit, as the builders do, else as int32. */
struct dataset_writer_opts {
	int64_t vocab_size;
	int64_t seq_len;
	int64_t pad_id;
	bool has_ignore_label_id;
	int64_t ignore_label_id;
};

struct dataset_writer;

struct dataset_writer *dataset_writer_new(const struct dataset_writer_opts *opts, char **cause);
int dataset_writer_begin_group(struct dataset_writer *w, const char *split, const char *set, char **cause);
int dataset_writer_begin_puzzle(struct dataset_writer *w, const char *identifier, char **cause);
/* inputs and labels: seq_len tokens each, checked like the reader checks. */
int dataset_writer_add_example(struct dataset_writer *w, const int32_t *inputs, const int32_t *labels, char **cause);
/* Writes DIR whole: into a temporary folder beside it (parents created as
 * needed), then swapped into place, replacing an old DIR as a whole. */
int dataset_writer_write(struct dataset_writer *w, const char *dir, char **cause);
void dataset_writer_free(struct dataset_writer *w);

#endif
