/* cmd_gen.c - `hrmscope gen`: official dataset folders from the puzzle
 * generators or from the official CSV files, laid out exactly as
 * dataset/build_maze_dataset.py and build_sudoku_dataset.py do:
 *
 *   one group per original puzzle; each augmented variant is a puzzle of its
 *   own (one example each) in the group of its original; the original comes
 *   first; augmentation on the train split only; every puzzle identifier is
 *   0 (the blank one); tokens uint8, indices int32; ignore_label_id 0. */
#include "cli/cli.h"
#include "io/dataset.h"
#include "puzzles/maze.h"
#include "core/rng.h"
#include "puzzles/sudoku.h"
#include "core/util.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char gen_help[] =
	"usage: hrmscope gen maze --size N [--canvas C] --count K [--min-path L] [--loops P] [common options] [--force] -o DIR\n"
	"       hrmscope gen sudoku --count K [--givens G] [--min-backtracks B] [common options] [--force] -o DIR\n"
	"       hrmscope gen --from-csv FILE.csv|CSVDIR [--kind maze|sudoku] [--split NAME]\n"
	"                    [--subsample N] [--min-difficulty R] [--aug K] [--seed S] [--force] -o DIR\n"
	"\n"
	"Write an official dataset folder (DIR/identifiers.json, DIR/{train,test}/dataset.json and\n"
	"all__{inputs,labels,puzzle_identifiers,puzzle_indices,group_indices}.npy) laid out as the\n"
	"official build_maze_dataset.py / build_sudoku_dataset.py do: one group per original\n"
	"puzzle, each augmented variant a puzzle of its own in that group, train split only.\n"
	"\n"
	"generators (no puzzle appears twice in the folder, train and test together)\n"
	"  --size N             maze side, 5..30 (sudoku: 9)\n"
	"  --count K            train puzzles (groups)\n"
	"  --min-path L         maze: shortest S-to-G path of at least L moves (Maze-Hard: 30, 111)\n"
	"  --loops P            maze: share of extra openings, 0..1 (default 0: one path)\n"
	"  --canvas C           maze: wall each maze into a C x C grid (as hrmscope train --maze-mix\n"
	"                       does), to evaluate a model of another size on smaller mazes\n"
	"  --givens G           sudoku: givens left, 17..81 (default 0: as few as keep it unique)\n"
	"  --min-backtracks B   sudoku: hardness, search backtracks at least B (default 0)\n"
	"  --seed S             generator seed (default 0)\n"
	"  --test-count K2      test puzzles (default: K; 0 = no test split)\n"
	"  --test-seed S2       their seed (default: derived from S)\n"
	"common\n"
	"  --aug K              augmented variants per train puzzle: sudoku, K random shuffles\n"
	"                       (digits, bands, rows, stacks, columns, transpose: official num_aug);\n"
	"                       maze, the dihedral transforms 1..K, K <= 7 (7 = official aug=True)\n"
	"  -o, --out DIR        output folder (created if missing), written whole: a folder that\n"
	"                       holds anything but a dataset is refused\n"
	"  --force              replace the dataset DIR already holds, as a whole (without it, refused)\n"
	"CSV (the official source,question,answer,rating files)\n"
	"  --from-csv PATH      a CSV file, or a folder with train.csv and/or test.csv\n"
	"  --kind K             maze or sudoku (default: from the first row)\n"
	"  --split NAME         split of a CSV file (default: test for test*.csv, else train)\n"
	"  --subsample N        train split: keep N random rows (seeded by --seed)\n"
	"  --min-difficulty R   keep rows with rating >= R (as the official sudoku builder)\n";

struct gen_opts {
	const char *kind, *out, *csv, *split;
	long size, canvas, count, min_path, givens, min_bt, aug, test_count, subsample, min_difficulty;
	double loops;
	uint64_t seed, test_seed;
	bool test_count_set, test_seed_set, min_difficulty_set, force;
};

/* ---- one group: the original and its augmented variants ---- */

static int add_group(struct dataset_writer *w, const char *split, bool maze, int side, const int32_t *in,
		     const int32_t *lab, int aug, struct hrm_rng *rng, char **cause)
{
	int32_t ti[PUZZLE_MAX_CELLS], tl[PUZZLE_MAX_CELLS];
	if (dataset_writer_begin_group(w, split, "all", cause) != 0)
		return -1;
	for (int a = 0; a <= aug; a++) {
		const int32_t *pi = in, *pl = lab;
		if (a > 0 && maze) {
			puzzle_dihedral(a, side, in, ti);
			puzzle_dihedral(a, side, lab, tl);
			pi = ti;
			pl = tl;
		} else if (a > 0) {
			struct sudoku_transform t;
			sudoku_transform_random(rng, &t);
			sudoku_transform_apply(&t, in, ti);
			sudoku_transform_apply(&t, lab, tl);
			pi = ti;
			pl = tl;
		}
		if (dataset_writer_begin_puzzle(w, NULL, cause) != 0 || dataset_writer_add_example(w, pi, pl, cause) != 0)
			return -1;
	}
	return 0;
}

static struct dataset_writer *new_writer(int vocab, int seq_len, char **cause)
{
	struct dataset_writer_opts wo = {
		.vocab_size = vocab, .seq_len = seq_len, .pad_id = 0, .has_ignore_label_id = true, .ignore_label_id = 0,
	};
	return dataset_writer_new(&wo, cause);
}

/* ---- generators ---- */

/* Hashes of the inputs made so far (open addressing; 0 = empty). */
struct seen {
	uint64_t *h;
	size_t cap, n;
};

static uint64_t tokens_hash(const int32_t *t, int n)
{
	uint64_t h = 1469598103934665603ull;
	for (int i = 0; i < n; i++)
		h = (h ^ (uint64_t)(uint32_t)t[i]) * 1099511628211ull;
	return h ? h : 1;
}

/* Adds h; false if it was there already. */
static bool seen_add(struct seen *s, uint64_t h)
{
	if (2 * (s->n + 1) > s->cap) {
		struct seen b = { xcalloc(s->cap ? 2 * s->cap : 1024, sizeof *b.h), s->cap ? 2 * s->cap : 1024, 0 };
		for (size_t i = 0; i < s->cap; i++)
			if (s->h[i])
				seen_add(&b, s->h[i]);
		free(s->h);
		*s = b;
	}
	size_t i = (size_t)h & (s->cap - 1);
	while (s->h[i] && s->h[i] != h)
		i = (i + 1) & (s->cap - 1);
	if (s->h[i])
		return false;
	s->h[i] = h;
	s->n++;
	return true;
}

static int generate_split(struct dataset_writer *w, const struct gen_opts *o, const char *split, long n, uint64_t seed,
			  int aug, struct seen *seen, char **cause)
{
	bool maze = !strcmp(o->kind, "maze");
	struct hrm_rng rng, arng;
	struct puzzle *p = xmalloc(sizeof *p);
	hrm_rng_seed(&rng, seed);
	hrm_rng_seed(&arng, seed ^ 0x6175676d656e7473ull); /* augmentation: its own stream */
	long made = 0, tries = 0, max_tries = 20 * n + 1000;
	bool tty = isatty(STDERR_FILENO);
	int rc = 0;
	while (made < n && rc == 0) {
		if (++tries > max_tries) {
			rc = set_cause(cause, "%s: only %ld distinct %s puzzles in %ld tries: ask for fewer or larger ones",
				       o->out, made, o->kind, max_tries);
			break;
		}
		if (maze) {
			struct maze_gen_opts mo = { .side = (int)o->size, .min_path = (int)o->min_path, .loops = o->loops };
			rc = maze_generate(&rng, &mo, p, cause);
			if (rc == 0 && o->canvas > o->size)
				maze_wall_into(p, (int)o->canvas, p);
		} else {
			struct sudoku_gen_opts so = { .givens = (int)o->givens, .min_backtracks = o->min_bt };
			rc = sudoku_generate(&rng, &so, p, NULL, cause);
		}
		if (rc != 0 || !seen_add(seen, tokens_hash(p->input, p->seq_len)))
			continue;
		rc = add_group(w, split, maze, p->side, p->input, p->label, aug, &arng, cause);
		made++;
		if (tty && (made % 100 == 0 || made == n))
			fprintf(stderr, "\rhrmscope gen: %s %ld/%ld", split, made, n);
	}
	if (tty)
		fprintf(stderr, "\n");
	free(p);
	return rc;
}

static int gen_puzzles(const struct gen_opts *o, struct dataset_writer **w, char **cause)
{
	bool maze = !strcmp(o->kind, "maze");
	long side = o->canvas > o->size ? o->canvas : o->size;
	int seq_len = maze ? (int)(side * side) : SUDOKU_CELLS;
	struct seen seen = { 0 };
	*w = new_writer(maze ? MAZE_VOCAB : SUDOKU_VOCAB, seq_len, cause);
	if (*w == NULL)
		return -1;
	long test_n = o->test_count_set ? o->test_count : o->count;
	uint64_t tseed = o->test_seed_set ? o->test_seed : o->seed ^ 0x7465737473706c74ull;
	int rc = generate_split(*w, o, "train", o->count, o->seed, (int)o->aug, &seen, cause);
	if (rc == 0 && test_n > 0)
		rc = generate_split(*w, o, "test", test_n, tseed, 0, &seen, cause);
	free(seen.h);
	return rc;
}

/* ---- official CSV files ---- */

/* Splits one CSV line in place (RFC 4180 quoting as Python's csv writes it;
 * a quoted field may not span lines: the official files have none). */
static int csv_fields(char *line, char **f, size_t *len, int max, const char *where, char **cause)
{
	int n = 0;
	char *p = line;
	for (;;) {
		if (n == max)
			return set_cause(cause, "%s: more than %d fields", where, max);
		char *dst = p, *start = p;
		if (*p == '"') {
			start = dst = ++p;
			for (;;) {
				if (*p == '\0')
					return set_cause(cause, "%s: unterminated quoted field", where);
				if (*p == '"' && p[1] == '"') {
					*dst++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					*dst++ = *p++;
				}
			}
			if (*p != ',' && *p != '\0')
				return set_cause(cause, "%s: text after a closing quote", where);
		} else {
			while (*p != ',' && *p != '\0')
				p++;
			dst = p;
		}
		char sep = *p;
		*dst = '\0';
		f[n] = start;
		len[n++] = (size_t)(dst - start);
		if (sep == '\0')
			return n;
		p++;
	}
}

static bool sudoku_like(const char *q, size_t len)
{
	if (len != SUDOKU_CELLS)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)q[i]) && q[i] != '.')
			return false;
	return true;
}

/* Rows kept for --subsample: tokens as bytes, and the row number. */
struct keep {
	uint8_t *tok; /* [cap][2][S] */
	long *row, n, cap;
};

struct csv_job {
	const struct gen_opts *o;
	const char *path, *split;
	bool train;
	struct dataset_writer **w;
	const char **kind; /* decided by the first row of the first file */
	int *seq_len;
};

static int csv_emit(struct csv_job *j, const int32_t *in, const int32_t *lab, int side, struct hrm_rng *arng,
		    char **cause)
{
	bool maze = !strcmp(*j->kind, "maze");
	return add_group(*j->w, j->split, maze, side, in, lab, j->train ? (int)j->o->aug : 0, arng, cause);
}

static const long *sort_by_row;

static int cmp_row(const void *a, const void *b)
{
	long x = sort_by_row[*(const long *)a], y = sort_by_row[*(const long *)b];
	return (x > y) - (x < y);
}

/* One CSV line (without its newline) into p: 1 a puzzle row, 0 a line to
 * skip (the header, below --min-difficulty), -1 an error.  The first row
 * decides the kind and makes the writer; later rows must have its size. */
static int csv_row(struct csv_job *j, char *line, long lineno, struct puzzle *p, char **cause)
{
	const struct gen_opts *o = j->o;
	char *fld[8], where[1200];
	size_t len[8];
	snprintf(where, sizeof where, "%s: line %ld", j->path, lineno);
	int n = csv_fields(line, fld, len, 8, where, cause);
	if (n < 0)
		return -1;
	if (lineno == 1 && n >= 2 && !strcmp(fld[1], "question"))
		return 0;
	if (n < 3)
		return set_cause(cause, "%s: %d fields, expected source,question,answer,rating", where, n);
	if (len[1] != len[2])
		return set_cause(cause, "%s: the question has %zu characters, the answer %zu", where, len[1], len[2]);
	if (o->min_difficulty_set) {
		long r;
		if (n < 4 || cli_int(fld[3], -(1L << 62), 1L << 62, &r) != 0)
			return set_cause(cause, "%s: the rating '%s' is not an integer (--min-difficulty)", where,
					 n < 4 ? "" : fld[3]);
		if (r < o->min_difficulty)
			return 0;
	}
	if (*j->kind == NULL)
		*j->kind = sudoku_like(fld[1], len[1]) ? "sudoku" : "maze";
	bool maze = !strcmp(*j->kind, "maze");
	if ((maze ? maze_from_strings(fld[1], fld[2], len[1], where, p, cause)
		  : sudoku_from_strings(fld[1], fld[2], len[1], where, p, cause)) != 0)
		return -1;
	if (*j->w == NULL) {
		*j->seq_len = p->seq_len;
		if ((*j->w = new_writer(maze ? MAZE_VOCAB : SUDOKU_VOCAB, p->seq_len, cause)) == NULL)
			return -1;
	} else if (p->seq_len != *j->seq_len) {
		return set_cause(cause, "%s: a %dx%d puzzle among %d-cell ones (one size per dataset)", where, p->side,
				 p->side, *j->seq_len);
	}
	return 1;
}

/* Reservoir sampling for --subsample: row number `rows` (counted from 1)
 * takes a uniform random place among the `subsample` kept, or none. */
static void keep_row(struct keep *k, long subsample, struct hrm_rng *srng, long rows, const struct puzzle *p)
{
	long slot = k->n < subsample ? k->n : (long)hrm_rng_below(srng, (uint64_t)rows);
	if (slot >= subsample)
		return;
	if (k->n < subsample) {
		if (k->n == k->cap) {
			k->cap = k->cap ? 2 * k->cap : 256;
			k->tok = xrealloc(k->tok, (size_t)k->cap * 2 * (size_t)p->seq_len);
			k->row = xrealloc(k->row, (size_t)k->cap * sizeof *k->row);
		}
		k->n++;
	}
	uint8_t *t = k->tok + (size_t)slot * 2 * (size_t)p->seq_len;
	for (int i = 0; i < p->seq_len; i++) {
		t[i] = (uint8_t)p->input[i];
		t[p->seq_len + i] = (uint8_t)p->label[i];
	}
	k->row[slot] = rows;
}

/* The kept rows into the writer, in the file's order. */
static int emit_kept(struct csv_job *j, const struct keep *k, int side, struct hrm_rng *arng, char **cause)
{
	int S = *j->seq_len, rc = 0;
	int32_t in[PUZZLE_MAX_CELLS], lab[PUZZLE_MAX_CELLS];
	long *order = xmalloc((size_t)(k->n ? k->n : 1) * sizeof *order);
	for (long i = 0; i < k->n; i++)
		order[i] = i;
	sort_by_row = k->row;
	qsort(order, (size_t)k->n, sizeof *order, cmp_row);
	for (long i = 0; i < k->n && rc == 0; i++) {
		const uint8_t *t = k->tok + (size_t)order[i] * 2 * (size_t)S;
		for (int c = 0; c < S; c++) {
			in[c] = t[c];
			lab[c] = t[S + c];
		}
		rc = csv_emit(j, in, lab, side, arng, cause);
	}
	free(order);
	return rc;
}

static int convert_csv(struct csv_job *j, long *rows_out, char **cause)
{
	const struct gen_opts *o = j->o;
	FILE *f = fopen(j->path, "r");
	if (f == NULL)
		return set_cause(cause, "%s: cannot open: %s", j->path, strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0, rows = 0;
	bool sub = j->train && o->subsample > 0;
	struct keep k = { 0 };
	struct hrm_rng srng, arng;
	struct puzzle *p = xmalloc(sizeof *p);
	hrm_rng_seed(&srng, o->seed);
	hrm_rng_seed(&arng, o->seed ^ 0x6175676d656e7473ull);
	int rc = 0;
	ssize_t got;
	while (rc == 0 && (got = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
			line[--got] = '\0';
		if (got == 0)
			continue;
		int row = csv_row(j, line, lineno, p, cause);
		if (row <= 0) {
			rc = row;
			continue;
		}
		rows++;
		if (sub)
			keep_row(&k, o->subsample, &srng, rows, p);
		else
			rc = csv_emit(j, p->input, p->label, p->side, &arng, cause);
	}
	if (rc == 0 && ferror(f))
		rc = set_cause(cause, "%s: read error", j->path);
	if (rc == 0 && sub) {
		rc = emit_kept(j, &k, p->side, &arng, cause);
		rows = k.n;
	}
	if (rc == 0 && rows == 0)
		rc = set_cause(cause, "%s: no puzzle rows%s", j->path, o->min_difficulty_set ? " at that difficulty" : "");
	*rows_out = rows;
	free(k.tok);
	free(k.row);
	free(p);
	free(line);
	fclose(f);
	return rc;
}

static int gen_from_csv(struct gen_opts *o, struct dataset_writer **w, char **cause)
{
	const char *kind = o->kind;
	int seq_len = 0;
	char paths[2][4096];
	const char *splits[2];
	int nfiles = 0;
	if (path_is_dir(o->csv)) {
		static const char *const names[2] = { "train", "test" };
		for (int i = 0; i < 2; i++) {
			snprintf(paths[nfiles], sizeof paths[0], "%s/%s.csv", o->csv, names[i]);
			if (access(paths[nfiles], R_OK) == 0)
				splits[nfiles++] = names[i];
		}
		if (nfiles == 0)
			return set_cause(cause, "%s: no train.csv or test.csv in the folder", o->csv);
	} else {
		const char *base = strrchr(o->csv, '/') ? strrchr(o->csv, '/') + 1 : o->csv;
		snprintf(paths[0], sizeof paths[0], "%s", o->csv);
		splits[0] = o->split ? o->split : !strncmp(base, "test", 4) ? "test" : "train";
		nfiles = 1;
	}
	for (int i = 0; i < nfiles; i++) {
		long rows = 0;
		struct csv_job j = { o, paths[i], splits[i], !strcmp(splits[i], "train"), w, &kind, &seq_len };
		if (convert_csv(&j, &rows, cause) != 0)
			return -1;
		fprintf(stderr, "hrmscope gen: %s: %ld %s puzzles -> %s\n", paths[i], rows, kind, splits[i]);
	}
	o->kind = kind;
	return 0;
}

/* ---- the command ---- */

enum {
	O_SIZE = 256, O_CANVAS, O_COUNT, O_MINPATH, O_LOOPS, O_GIVENS, O_MINBT, O_SEED, O_AUG, O_TCOUNT, O_TSEED, O_CSV, O_KIND,
	O_SPLIT, O_SUB, O_MINDIFF, O_FORCE,
};

static int parse_gen(int argc, char **argv, struct gen_opts *o)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, O_SIZE }, { "count", required_argument, NULL, O_COUNT },
		{ "canvas", required_argument, NULL, O_CANVAS },
		{ "min-path", required_argument, NULL, O_MINPATH }, { "loops", required_argument, NULL, O_LOOPS },
		{ "givens", required_argument, NULL, O_GIVENS }, { "min-backtracks", required_argument, NULL, O_MINBT },
		{ "seed", required_argument, NULL, O_SEED }, { "aug", required_argument, NULL, O_AUG },
		{ "test-count", required_argument, NULL, O_TCOUNT }, { "test-seed", required_argument, NULL, O_TSEED },
		{ "from-csv", required_argument, NULL, O_CSV }, { "kind", required_argument, NULL, O_KIND },
		{ "split", required_argument, NULL, O_SPLIT }, { "subsample", required_argument, NULL, O_SUB },
		{ "min-difficulty", required_argument, NULL, O_MINDIFF }, { "out", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, O_FORCE }, { "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 },
	};
	long v;
	int c;
	optind = 1;
#define NUM(name, lo, hi, dst)                                                                          \
	do {                                                                                            \
		if (cli_int(optarg, lo, hi, &v))                                                        \
			return cli_usage("gen", "--" name ": expected %ld..%ld, got '%s'", (long)(lo), (long)(hi), optarg); \
		dst = v;                                                                                \
	} while (0)
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case O_SIZE: NUM("size", 1, PUZZLE_MAX_SIDE, o->size); break;
		case O_CANVAS: NUM("canvas", MAZE_GEN_MIN_SIDE, PUZZLE_MAX_SIDE, o->canvas); break;
		case O_COUNT: NUM("count", 1, 100000000L, o->count); break;
		case O_MINPATH: NUM("min-path", 1, PUZZLE_MAX_CELLS, o->min_path); break;
		case O_GIVENS: NUM("givens", 0, SUDOKU_CELLS, o->givens); break;
		case O_MINBT: NUM("min-backtracks", 0, 1000000000L, o->min_bt); break;
		case O_SEED: NUM("seed", 0, 0x7fffffffL, o->seed); break;
		case O_AUG: NUM("aug", 0, 100000, o->aug); break;
		case O_TCOUNT: NUM("test-count", 0, 100000000L, o->test_count); o->test_count_set = true; break;
		case O_TSEED: NUM("test-seed", 0, 0x7fffffffL, o->test_seed); o->test_seed_set = true; break;
		case O_SUB: NUM("subsample", 1, 100000000L, o->subsample); break;
		case O_MINDIFF:
			NUM("min-difficulty", -(1L << 40), 1L << 40, o->min_difficulty);
			o->min_difficulty_set = true;
			break;
		case O_LOOPS:
			if (cli_double(optarg, &o->loops) || !(o->loops >= 0 && o->loops <= 1))
				return cli_usage("gen", "--loops: expected a share 0..1, got '%s'", optarg);
			break;
		case O_CSV: o->csv = optarg; break;
		case O_KIND: o->kind = optarg; break;
		case O_SPLIT: o->split = optarg; break;
		case 'o': o->out = optarg; break;
		case O_FORCE: o->force = true; break;
		case 'h': fputs(gen_help, stdout); return -2;
		default: return cli_usage("gen", "bad option");
		}
	}
#undef NUM
	return 0;
}

static int check_gen(int argc, char **argv, struct gen_opts *o)
{
	if (o->csv) {
		if (optind < argc)
			return cli_usage("gen", "unexpected argument '%s' with --from-csv", argv[optind]);
		if (o->count || o->size || o->canvas || o->min_path || o->givens || o->min_bt || o->test_count_set)
			return cli_usage("gen", "--from-csv takes no generator options (--size, --count, ...)");
	} else {
		if (optind >= argc)
			return cli_usage("gen", "say what to generate: maze or sudoku (or give --from-csv)");
		if (o->kind && strcmp(o->kind, argv[optind]) != 0)
			return cli_usage("gen", "--kind %s disagrees with '%s'", o->kind, argv[optind]);
		o->kind = argv[optind++];
		if (optind < argc)
			return cli_usage("gen", "unexpected argument '%s'", argv[optind]);
		if (o->split || o->subsample || o->min_difficulty_set)
			return cli_usage("gen", "--split, --subsample and --min-difficulty go with --from-csv");
		if (o->count == 0)
			return cli_usage("gen", "--count is required");
	}
	if (o->kind && strcmp(o->kind, "maze") != 0 && strcmp(o->kind, "sudoku") != 0)
		return cli_usage("gen", "unknown kind '%s': maze or sudoku", o->kind);
	if (o->out == NULL)
		return cli_usage("gen", "-o DIR is required");
	if (o->split && !dataset_name_ok(o->split))
		return cli_usage("gen", "--split: '%s' is not a plain name", o->split);
	if (!o->csv && !strcmp(o->kind, "maze")) {
		if (o->size < MAZE_GEN_MIN_SIDE)
			return cli_usage("gen", "a maze needs --size %d..%d", MAZE_GEN_MIN_SIDE, PUZZLE_MAX_SIDE);
		if (o->givens || o->min_bt)
			return cli_usage("gen", "--givens and --min-backtracks are for sudoku");
		if (o->canvas && o->canvas < o->size)
			return cli_usage("gen", "--canvas %ld is smaller than the maze (--size %ld)", o->canvas, o->size);
	} else if (!o->csv) {
		if (o->size && o->size != 9)
			return cli_usage("gen", "a sudoku is 9x9 (--size 9 or none)");
		if (o->givens && o->givens < 17)
			return cli_usage("gen", "--givens: a sudoku with a unique solution has 17..81 givens");
		if (o->min_path || o->loops > 0 || o->canvas)
			return cli_usage("gen", "--min-path, --loops and --canvas are for mazes");
	}
	if (o->kind && !strcmp(o->kind, "maze") && o->aug > 7)
		return cli_usage("gen", "--aug: a maze has 7 dihedral variants besides itself (0..7)");
	return 0;
}

int cmd_gen(int argc, char **argv)
{
	struct gen_opts o = { 0 };
	int rc = parse_gen(argc, argv, &o);
	if (rc == -2)
		return EXIT_OK;
	if (rc != 0 || (rc = check_gen(argc, argv, &o)) != 0)
		return rc;
	if (!o.csv && !strcmp(o.kind, "maze") && o.min_path == 0)
		o.min_path = 1;
	char *cause = NULL;
	struct dataset_writer *w = NULL;
	struct dir_lock lock;
	if (cli_claim_out(o.out, CLI_OUT_DATASET, o.force, &lock) != EXIT_OK)
		return EXIT_RUNTIME;
	if ((o.csv ? gen_from_csv(&o, &w, &cause) : gen_puzzles(&o, &w, &cause)) != 0 ||
	    dataset_writer_write(w, o.out, &cause) != 0) {
		dataset_writer_free(w);
		dir_unlock(&lock, true);
		return cli_fail(cause);
	}
	dataset_writer_free(w);
	dir_unlock(&lock, false); /* its lock file went with the old folder */
	/* read back what was written: the summary is what a reader sees */
	static const char *const splits[2] = { "train", "test" };
	printf("wrote %s (%s)", o.out, o.kind ? o.kind : "?");
	for (int i = 0, n = 0; i < 2; i++) {
		struct dataset_split s;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s/dataset.json", o.out, splits[i]);
		if (access(path, F_OK) != 0)
			continue;
		if (dataset_read_split(o.out, splits[i], &s, &cause) != 0)
			return cli_fail(cause);
		int64_t puzzles = 0;
		for (int k = 0; k < s.meta.num_sets; k++)
			puzzles += s.sets[k].num_puzzles;
		printf("%s %s: %lld groups, %lld puzzles, %lld examples, seq_len %lld, vocab %lld", n++ ? ";" : ":", splits[i],
		       (long long)s.meta.total_groups, (long long)puzzles, (long long)s.num_examples,
		       (long long)s.meta.seq_len, (long long)s.meta.vocab_size);
		dataset_split_free(&s);
	}
	printf("\n");
	return EXIT_OK;
}
