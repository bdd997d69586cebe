/* puzzlegen.c - generate mazes and sudokus (official CSV rows or text), and
 * the example files of puzzles/examples. */
#include "puzzles/maze.h"
#include "puzzles/puzzle.h"
#include "core/rng.h"
#include "puzzles/sudoku.h"
#include "core/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: puzzlegen maze [--side N] [--min-path N] [--loops Q] [options]\n"
	"       puzzlegen sudoku [--givens N] [--min-backtracks N] [options]\n"
	"       puzzlegen examples DIR\n"
	"\n"
	"options: --count N (default 1)  --seed S (default 0)  -o FILE (default stdout)\n"
	"         --format csv|text|solution (default: csv for several, text for one)\n"
	"CSV rows are the official source,question,answer,rating; the rating is the\n"
	"path length (maze) or the search backtracks (sudoku).  The time taken goes\n"
	"to stderr.  `examples DIR` writes the files described in\n"
	"puzzles/examples/README.md (fixed seeds).\n";

struct opts {
	int count, side, min_path, givens;
	long min_backtracks;
	double loops;
	unsigned long long seed;
	const char *format, *out;
};

static int write_text(const char *path, const char *text)
{
	char *cause = NULL;
	if (write_file_atomic(path, text, strlen(text), &cause) != 0) {
		fprintf(stderr, "puzzlegen: %s\n", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* One puzzle in the chosen format. */
static char *render(const struct puzzle *p, const char *format, int index, long rating)
{
	const struct puzzle_ops *ops = puzzle_ops_for(p->kind);
	char src[32];
	if (strcmp(format, "text") == 0)
		return ops->format(p, p->input);
	if (strcmp(format, "solution") == 0)
		return ops->format(p, p->label);
	snprintf(src, sizeof src, "puzzlegen-%d", index);
	return puzzle_csv_row(p, src, rating);
}

static int generate(const char *kind, const struct opts *o)
{
	struct hrm_rng rng;
	struct puzzle *p = xmalloc(sizeof *p);
	char *cause = NULL;
	const char *format = o->format ? o->format : o->count > 1 ? "csv" : "text";
	FILE *f = stdout;
	bool maze = strcmp(kind, "maze") == 0;
	int rc = 1;

	if (strcmp(format, "csv") != 0 && strcmp(format, "text") != 0 && strcmp(format, "solution") != 0) {
		fprintf(stderr, "puzzlegen: unknown format '%s' (csv, text, solution)\n", format);
		free(p);
		return 2;
	}
	struct atomic_file af = { 0 };
	if (o->out && atomic_open(&af, o->out, &cause) != 0) {
		fprintf(stderr, "puzzlegen: %s\n", cause);
		free(cause);
		free(p);
		return 1;
	}
	if (o->out)
		f = af.f;
	if (strcmp(format, "csv") == 0)
		fputs("source,question,answer,rating\n", f);
	hrm_rng_seed(&rng, o->seed);
	double t0 = monotonic_s();
	for (int i = 0; i < o->count; i++) {
		long rating;
		if (maze) {
			struct maze_gen_opts mo = { .side = o->side, .min_path = o->min_path, .loops = o->loops };
			if (maze_generate(&rng, &mo, p, &cause) != 0)
				goto out;
			rating = maze_shortest_length(p);
		} else {
			struct sudoku_gen_opts so = { .givens = o->givens, .min_backtracks = o->min_backtracks };
			struct sudoku_stats st;
			if (sudoku_generate(&rng, &so, p, &st, &cause) != 0)
				goto out;
			rating = st.backtracks;
		}
		char *s = render(p, format, i, rating);
		fputs(s, f);
		free(s);
	}
	fprintf(stderr, "puzzlegen: %d %s%s in %.3f s\n", o->count, kind, o->count == 1 ? "" : "s", monotonic_s() - t0);
	rc = 0;
out:
	if (rc != 0) {
		fprintf(stderr, "puzzlegen: %s\n", cause);
		free(cause);
	}
	if (af.f != NULL && rc == 0 && atomic_commit(&af, &cause) != 0) {
		fprintf(stderr, "puzzlegen: %s\n", cause);
		free(cause);
		rc = 1;
	}
	atomic_abort(&af);
	free(p);
	return rc;
}

/* The examples: kind, file stem, and generator settings with a fixed seed. */
struct example {
	const char *stem;
	bool maze;
	int side, min_path, givens;
	double loops;
	long min_backtracks;
	unsigned long long seed;
};

static const struct example examples[] = {
	{ "maze-7", true, 7, 8, 0, 0.0, 0, 7 },
	{ "maze-9", true, 9, 12, 0, 0.0, 0, 9 },
	{ "maze-11", true, 11, 20, 0, 0.0, 0, 11 },
	{ "maze-15", true, 15, 36, 0, 0.0, 0, 15 },
	{ "maze-21", true, 21, 50, 0, 0.1, 0, 21 },
	{ "maze-30", true, 30, 111, 0, 0.0, 0, 30 },
	{ "sudoku-easy", false, 0, 0, 40, 0.0, 0, 1 },
	{ "sudoku-medium", false, 0, 0, 30, 0.0, 0, 2 },
	{ "sudoku-hard", false, 0, 0, 25, 0.0, 10, 3 },
	{ "sudoku-extreme", false, 0, 0, 0, 0.0, 100, 4 },
};

static int write_examples(const char *dir)
{
	struct puzzle *p = xmalloc(sizeof *p);
	char *cause = NULL, path[4096];
	int rc = 0;

	for (size_t k = 0; k < sizeof examples / sizeof examples[0] && rc == 0; k++) {
		const struct example *e = &examples[k];
		struct hrm_rng rng;
		hrm_rng_seed(&rng, e->seed);
		if (e->maze) {
			struct maze_gen_opts mo = { .side = e->side, .min_path = e->min_path, .loops = e->loops };
			rc = maze_generate(&rng, &mo, p, &cause);
		} else {
			struct sudoku_gen_opts so = { .givens = e->givens, .min_backtracks = e->min_backtracks,
						      .max_tries = 100000 };
			rc = sudoku_generate(&rng, &so, p, NULL, &cause);
		}
		if (rc != 0) {
			fprintf(stderr, "puzzlegen: %s: %s\n", e->stem, cause);
			free(cause);
			break;
		}
		const struct puzzle_ops *ops = puzzle_ops_for(p->kind);
		char *q = ops->format(p, p->input), *a = ops->format(p, p->label);
		snprintf(path, sizeof path, "%s/%s.txt", dir, e->stem);
		rc = write_text(path, q);
		snprintf(path, sizeof path, "%s/%s.solution.txt", dir, e->stem);
		if (rc == 0)
			rc = write_text(path, a);
		free(q);
		free(a);
	}
	free(p);
	return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct opts o = { .count = 1, .side = 30, .min_path = 111 };
	static const struct option longopts[] = {
		{ "side", required_argument, NULL, 's' },     { "min-path", required_argument, NULL, 'p' },
		{ "loops", required_argument, NULL, 'l' },    { "givens", required_argument, NULL, 'g' },
		{ "min-backtracks", required_argument, NULL, 'b' }, { "count", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 'S' },     { "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
	};
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "examples") == 0) {
		if (argc != 3) {
			fputs(usage, stderr);
			return 2;
		}
		return write_examples(argv[2]);
	}
	if (strcmp(cmd, "maze") != 0 && strcmp(cmd, "sudoku") != 0) {
		bool help = strcmp(cmd, "--help") == 0;
		fputs(usage, help ? stdout : stderr);
		return help ? 0 : 2;
	}
	int c;
	optind = 2;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.side = atoi(optarg);
			break;
		case 'p':
			o.min_path = atoi(optarg);
			break;
		case 'l':
			o.loops = atof(optarg);
			break;
		case 'g':
			o.givens = atoi(optarg);
			break;
		case 'b':
			o.min_backtracks = atol(optarg);
			break;
		case 'n':
			o.count = atoi(optarg);
			break;
		case 'S':
			o.seed = strtoull(optarg, NULL, 0);
			break;
		case 'f':
			o.format = optarg;
			break;
		case 'o':
			o.out = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc || o.count < 1) {
		fputs(usage, stderr);
		return 2;
	}
	return generate(cmd, &o);
}
