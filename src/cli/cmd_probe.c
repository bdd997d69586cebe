/* cmd_probe.c - `hrmscope probe-simple`: easy variants of solved puzzles
 * (sudoku with a few blanks, maze with S and G close together on the true
 * path), run through the model, and its failures sorted into fixed-point
 * violations, wrong fixed points and no fixed point (probe_simple.h). */
#include "cli/cli.h"
#include "cli/cli_puzzle.h"
#include "io/model_fit.h"
#include "cli/options.h"
#include "io/dataset.h"
#include "model/engine.h"
#include "analysis/fixedpoint.h"
#include "analysis/probe_simple.h"
#include "core/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char probe_help[] =
	"usage: hrmscope probe-simple --model DIR (--data DIR [--split test] [--limit K] | --puzzle SPEC...)\n"
	"                             [--blanks LIST | --distances LIST] [--variants R] [--seed S]\n"
	"                             [--batch B] [--max-steps M] [--threads N] [--fp-tol X] [--show N]\n"
	"                             [--dtype fp32|bf16]\n"
	"\n"
	"Does the model solve puzzles that are almost solved already?  From solved puzzles (the\n"
	"examples of a dataset split, or puzzle files; a file without its answer is solved by the\n"
	"exact solver) it makes easy variants, every one a valid puzzle with a known solution:\n"
	"  sudoku: the solution with k cells blanked, cells drawn with the seed and drawn again\n"
	"          until the solver finds one solution only (then the original one);\n"
	"  maze:   S and G moved onto the true path, d moves apart along it (where: drawn with the\n"
	"          seed; drawn again until that part of the path is the only shortest path).\n"
	"ARC tasks have no such variant and are refused.  Every variant runs all M segments (the\n"
	"official evaluation).  Per level (k or d) the table gives the variants run, those skipped\n"
	"(a path shorter than d; no unique blanking in 200 drawings), the exact accuracy after\n"
	"the last segment, and how each run ended:\n"
	"  unsettled   right at the end, but the state has not entered a fixed point;\n"
	"  violation   a fixed-point violation (Ren and Liu, arXiv 2601.10679): wrong at the end,\n"
	"              and either the answer was exactly right at the end of an earlier segment\n"
	"              (the trajectory passed through the right answer and left it: 'left right'),\n"
	"              or, never right, the state came to rest and moved on again: a run of still\n"
	"              segments (answer unchanged, z_H and z_L changed by at most the tolerance\n"
	"              over the segment, as hrmscope run) that ended ('left rest');\n"
	"  wrong fp    wrong at the end, no violation, settled on a wrong fixed point;\n"
	"  no fp       wrong at the end, no violation, the state has not settled.\n"
	"failed = violation + wrong fp + no fp.  The first failures follow, each variant as text\n"
	"(save it to a file and give it to hrmscope run to step through it).  One line per level,\n"
	"'hrmscope-probe-simple level=... variants=... exact=...', is for scripts.\n"
	"\n"
	"  --model DIR      a checkpoint directory\n"
	"  --data DIR       an official dataset folder of solved mazes or sudokus\n"
	"  --split NAME     its split (default test)\n"
	"  --limit K        only its first K examples\n"
	"  --puzzle SPEC    or a puzzle: FILE[:INDEX] or DATASET[:SPLIT[:INDEX]]; repeat for more\n"
	"  --blanks LIST    sudoku: blanks per variant, 1..64, as a list (1,2,4,8: the default) or\n"
	"                   a maximum N (1 to N)\n"
	"  --distances LIST maze: moves between S and G, as a list (default 1,2,4,8) or a maximum N\n"
	"  --variants R     variants per puzzle and level (default 1)\n"
	"  --seed S         draws the blanks and the positions (default 0)\n"
	"  --batch B        variants at once (default 16)\n"
	"  --max-steps M    segments (default: the model's halt_max_steps)\n"
	"  --threads N      BLAS threads (default 2)\n"
	"  --fp-tol X       fixed-point tolerance on the relative state change (default 0.01)\n"
	"  --show N         failures to list with their variant (default 3, 0: none)\n"
	"  --dtype D        the arithmetic: fp32 (default) or bf16, as the official code computes\n"
	"                   (forward_dtype: bfloat16); float32 and bfloat16 are accepted too\n";

#define MAX_LEVELS 64
#define MAX_PUZZLES 64

struct probe_args {
	const char *model, *data, *split, *levels_arg;
	const char *puzzles[MAX_PUZZLES];
	int n_puzzles;
	bool blanks_given, distances_given;
	int levels[MAX_LEVELS], n_levels;
	long limit, variants, batch, max_steps, threads, show;
	double fp_tol;
	uint64_t seed;
	enum hrm_dtype dtype;
};

/* "a,b,c" (each lo..hi) or "N" (1..N); returns the count or -1. */
static int parse_levels(const char *s, int hi, int *out)
{
	long v;
	if (strchr(s, ',') == NULL) {
		if (cli_int(s, 1, hi < MAX_LEVELS ? hi : MAX_LEVELS, &v))
			return -1;
		for (int i = 0; i < v; i++)
			out[i] = i + 1;
		return (int)v;
	}
	char *copy = xstrdup(s), *save = NULL;
	int n = 0;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (n == MAX_LEVELS || cli_int(t, 1, hi, &v)) {
			n = -1;
			break;
		}
		out[n++] = (int)v;
	}
	/* "1,,2" and a trailing comma are junk too */
	if (n > 0 && (strstr(s, ",,") || s[0] == ',' || s[strlen(s) - 1] == ','))
		n = -1;
	free(copy);
	return n > 0 ? n : -1;
}

/* ---- the solved puzzles ---- */

struct sources {
	struct dataset_split split; /* when from --data */
	bool have_split;
	struct cli_puzzle *files;   /* when from --puzzle */
	long n;
	enum puzzle_kind kind;
	const char *what;           /* for messages */
	char what_buf[4200];
};

/* Solved puzzle i of the sources: example i of the split, or the i-th --puzzle. */
static int sources_puzzle(const struct sources *s, const struct probe_args *a, long i, struct cli_puzzle *out,
		      char **cause)
{
	if (!s->have_split) {
		*out = s->files[i];
		return 0;
	}
	return cli_puzzle_from_dataset(&s->split, a->data, i, out, cause);
}

/* Opens the sources and checks each one: a maze or sudoku of one kind, with
 * a usable solution, that the model takes. */
static int sources_open(struct sources *s, const struct probe_args *a, const struct hrm_model *m, char **cause)
{
	memset(s, 0, sizeof *s);
	if (a->data) {
		if (!dataset_name_ok(a->split))
			return set_cause(cause, "%s: '%s' is not a split name (train, test)", a->data, a->split);
		if (dataset_read_split(a->data, a->split, &s->split, cause) != 0)
			return -1;
		s->have_split = true;
		s->n = s->split.num_examples < a->limit ? (long)s->split.num_examples : a->limit;
		snprintf(s->what_buf, sizeof s->what_buf, "%s/%s", a->data, a->split);
		if (s->n == 0)
			return set_cause(cause, "%s: no examples", s->what_buf);
	} else {
		s->files = xcalloc((size_t)a->n_puzzles, sizeof *s->files);
		for (int i = 0; i < a->n_puzzles; i++)
			if (cli_puzzle_open(a->puzzles[i], &s->files[i], cause) != 0)
				return -1;
		s->n = a->n_puzzles;
		snprintf(s->what_buf, sizeof s->what_buf, "%s%s", a->puzzles[0], a->n_puzzles > 1 ? " ..." : "");
	}
	s->what = s->what_buf;
	struct cli_puzzle *cp = xmalloc(sizeof *cp);
	int path[PUZZLE_MAX_CELLS], rc = 0;
	for (long i = 0; i < s->n && rc == 0; i++) {
		rc = sources_puzzle(s, a, i, cp, cause);
		if (rc != 0)
			break;
		if (!cp->known_kind || cp->p.kind == PUZZLE_ARC)
			rc = set_cause(cause, "%s: %s; probe-simple makes variants of mazes and sudokus only", cp->where,
				       cp->known_kind ? "an ARC task has no simple variant with a known answer"
						      : "not a maze or a sudoku (unknown vocabulary)");
		else if (i > 0 && cp->p.kind != s->kind)
			rc = set_cause(cause, "%s: a %s among %ss; give puzzles of one kind", cp->where,
				       puzzle_ops_for(cp->p.kind)->name, puzzle_ops_for(s->kind)->name);
		else if (cli_puzzle_fit(m, cp, cause) != 0)
			rc = -1;
		else if (!cp->p.has_label)
			rc = set_cause(cause, "%s: no solution (the solver found none), nothing to make variants from",
				       cp->where);
		else if (cp->p.kind == PUZZLE_SUDOKU ? probe_check_sudoku(&cp->p, cause) != 0
						      : probe_maze_path(&cp->p, path, cause) < 0)
			rc = prefix_cause(cause, "%s", cp->where);
		s->kind = cp->p.kind;
	}
	free(cp);
	return rc;
}

static void sources_free(struct sources *s)
{
	if (s->have_split)
		dataset_split_free(&s->split);
	free(s->files);
}

/* ---- running the levels ---- */

struct level_sums {
	int value;
	long variants, skipped;
	long out[PROBE_OUTCOMES];
};

struct shown {
	char head[400];
	char *text;
};

struct probe_ctx {
	const struct probe_args *a;
	const struct sources *src;
	const char *level_name; /* "blanks" or "distance" */
	int B, S, M;
	struct hrm_engine *e;
	struct fp_tracker fp;
	/* the batch being filled */
	struct puzzle *v;       /* [B] */
	const struct puzzle **vp;
	int32_t *pid;           /* [B] */
	char (*where)[200];     /* [B] */
	int *at;                /* [B]: maze, path index of the new S */
	int n;
	struct probe_result *res;
	struct shown *shown;
	long n_shown;
};

static void note_failure(struct probe_ctx *c, int b, int level)
{
	const struct probe_result *r = &c->res[b];
	if (r->exact || c->n_shown >= c->a->show)
		return;
	struct shown *s = &c->shown[c->n_shown++];
	char right[80] = "never exact";
	if (r->first_right >= 0 && r->last_right > r->first_right)
		snprintf(right, sizeof right, "exact first after segment %d, last after segment %d", r->first_right + 1,
			 r->last_right + 1);
	else if (r->first_right >= 0)
		snprintf(right, sizeof right, "exact after segment %d only", r->first_right + 1);
	char settled[48] = "not settled";
	if (r->fp_entered >= 0)
		snprintf(settled, sizeof settled, "settled from segment %d", r->fp_entered + 1);
	char at[40] = "";
	if (c->at[b] >= 0)
		snprintf(at, sizeof at, " (S on path cell %d)", c->at[b]);
	snprintf(s->head, sizeof s->head, "%ld. %s %d, %s%s: %s (%s, wrong at segment %d, %s, %d still run%s ended, "
		 "q_halt %+.3f)", c->n_shown, c->level_name, level, c->where[b], at, probe_outcome_name(r->outcome), right,
		 c->M, settled, r->left, r->left == 1 ? "" : "s", (double)r->q_halt);
	s->text = puzzle_ops_for(c->v[b].kind)->format(&c->v[b], c->v[b].input);
}

static int flush_batch(struct probe_ctx *c, struct level_sums *ls, char **cause)
{
	if (c->n == 0)
		return 0;
	if (probe_run_batch(c->e, &c->fp, c->vp, c->pid, c->n, c->M, true, 0, c->res, cause) != 0)
		return -1;
	for (int b = 0; b < c->n; b++) {
		ls->variants++;
		ls->out[c->res[b].outcome]++;
		note_failure(c, b, ls->value);
	}
	c->n = 0;
	return 0;
}

static int run_level(struct probe_ctx *c, struct level_sums *ls, char **cause)
{
	const struct probe_args *a = c->a;
	struct cli_puzzle *cp = xmalloc(sizeof *cp);
	int rc = 0;
	for (long i = 0; i < c->src->n && rc == 0; i++) {
		rc = sources_puzzle(c->src, a, i, cp, cause);
		for (int r = 0; r < a->variants && rc == 0; r++) {
			struct hrm_rng rng;
			int k = c->n, at = -1, made;
			probe_variant_rng(a->seed, i, ls->value, r, &rng);
			if (cp->p.kind == PUZZLE_SUDOKU)
				made = probe_sudoku_variant(&cp->p, ls->value, &rng, &c->v[k], cause);
			else
				made = probe_maze_variant(&cp->p, ls->value, &rng, &c->v[k], &at, cause);
			if (made < 0) {
				rc = prefix_cause(cause, "%s", cp->where);
				break;
			}
			if (made == PROBE_SKIP) {
				ls->skipped++;
				continue;
			}
			c->pid[k] = cp->pid;
			c->at[k] = at;
			if (a->variants > 1)
				snprintf(c->where[k], sizeof c->where[k], "%s, variant %d", cp->where, r);
			else
				snprintf(c->where[k], sizeof c->where[k], "%s", cp->where);
			if (++c->n == c->B)
				rc = flush_batch(c, ls, cause);
		}
	}
	if (rc == 0)
		rc = flush_batch(c, ls, cause);
	free(cp);
	return rc;
}

/* ---- the report ---- */

static double pct(long a, long n)
{
	return n > 0 ? 100.0 * (double)a / (double)n : 0.0;
}

static void print_row(const char *name, const struct level_sums *s)
{
	const long *o = s->out;
	long exact = o[PROBE_RIGHT_SETTLED] + o[PROBE_RIGHT_MOVING];
	long lr = o[PROBE_VIOLATION_LEFT_RIGHT], lrest = o[PROBE_VIOLATION_LEFT_REST];
	printf("%8s  %8ld  %7ld  %6ld  %6.1f%%  %9ld  %6ld  %9ld  %10ld  %9ld  %8ld  %5ld\n", name, s->variants,
	       s->skipped, exact, pct(exact, s->variants), o[PROBE_RIGHT_MOVING], s->variants - exact, lr + lrest, lr,
	       lrest, o[PROBE_WRONG_FIXED_POINT], o[PROBE_NO_FIXED_POINT]);
}

static void print_report(const struct probe_ctx *c, const struct level_sums *ls, int n)
{
	printf("\n%8s  variants  skipped   exact  exact %%  unsettled  failed  violation  left right  left rest  "
	       "wrong fp  no fp\n", c->level_name);
	struct level_sums all = { 0 };
	for (int i = 0; i < n; i++) {
		char v[16];
		snprintf(v, sizeof v, "%d", ls[i].value);
		print_row(v, &ls[i]);
		all.variants += ls[i].variants;
		all.skipped += ls[i].skipped;
		for (int k = 0; k < PROBE_OUTCOMES; k++)
			all.out[k] += ls[i].out[k];
	}
	if (n > 1)
		print_row("all", &all);
	printf("(exact: right after the last segment; unsettled: of those, not in a fixed point;\n"
	       " failed = violation + wrong fp + no fp, violation = left right + left rest: see --help)\n");
	if (c->n_shown > 0) {
		printf("\nfailures (the first %ld):\n", c->n_shown);
		for (long i = 0; i < c->n_shown; i++)
			printf("%s\n%s%s", c->shown[i].head, c->shown[i].text,
			       c->shown[i].text[0] && c->shown[i].text[strlen(c->shown[i].text) - 1] == '\n' ? "" : "\n");
	}
	const char *kind = puzzle_ops_for(c->src->kind)->name;
	for (int i = 0; i < n; i++) {
		const long *o = ls[i].out;
		long exact = o[PROBE_RIGHT_SETTLED] + o[PROBE_RIGHT_MOVING];
		printf("hrmscope-probe-simple kind=%s level=%s value=%d variants=%ld skipped=%ld exact=%ld "
		       "right_settled=%ld right_moving=%ld failed=%ld violation=%ld violation_left_right=%ld "
		       "violation_left_rest=%ld wrong_fp=%ld no_fp=%ld segments=%d fp_tol=%.17g seed=%llu dtype=%s\n",
		       kind, c->level_name, ls[i].value, ls[i].variants, ls[i].skipped, exact, o[PROBE_RIGHT_SETTLED],
		       o[PROBE_RIGHT_MOVING], ls[i].variants - exact,
		       o[PROBE_VIOLATION_LEFT_RIGHT] + o[PROBE_VIOLATION_LEFT_REST], o[PROBE_VIOLATION_LEFT_RIGHT],
		       o[PROBE_VIOLATION_LEFT_REST], o[PROBE_WRONG_FIXED_POINT], o[PROBE_NO_FIXED_POINT], c->M,
		       c->fp.tol, (unsigned long long)c->a->seed, hrm_dtype_name(c->a->dtype));
	}
}

static int probe_main(struct probe_args *a)
{
	hrm_set_threads((int)a->threads);
	struct model_source msrc = { .model = a->model };
	struct hrm_model m;
	if (cli_load_model(&msrc, &m) != 0)
		return EXIT_RUNTIME;
	int rc = cli_use_dtype(&m, a->dtype);
	if (rc != EXIT_OK) {
		hrm_model_free(&m);
		return rc;
	}
	char *cause = NULL;
	struct sources src;
	if (sources_open(&src, a, &m, &cause) != 0) {
		sources_free(&src);
		hrm_model_free(&m);
		return cli_fail(cause);
	}
	bool sudoku = src.kind == PUZZLE_SUDOKU;
	if (sudoku && a->distances_given)
		rc = cli_usage("probe-simple", "--distances: %s holds sudokus (use --blanks)", src.what);
	else if (!sudoku && a->blanks_given)
		rc = cli_usage("probe-simple", "--blanks: %s holds mazes (use --distances)", src.what);
	else if (a->levels_arg && (a->n_levels = parse_levels(a->levels_arg, sudoku ? PROBE_MAX_BLANKS : PUZZLE_MAX_CELLS,
								 a->levels)) < 0)
		rc = cli_usage("probe-simple", "%s: expected %s as a list like 1,2,4,8 or a maximum N (1..%d), got '%s'",
			       sudoku ? "--blanks" : "--distances", sudoku ? "blanks 1..64" : "distances of 1 or more",
			       MAX_LEVELS, a->levels_arg);
	if (rc != EXIT_OK) {
		sources_free(&src);
		hrm_model_free(&m);
		return rc;
	}
	struct probe_ctx c = { .a = a, .src = &src, .level_name = sudoku ? "blanks" : "distance" };
	struct cli_puzzle *first = xmalloc(sizeof *first);
	sources_puzzle(&src, a, 0, first, NULL);
	c.S = first->p.seq_len;
	free(first);
	long per_level = src.n * a->variants;
	c.B = (int)(a->batch < per_level ? a->batch : per_level);
	c.M = a->max_steps > 0 ? (int)a->max_steps : m.cfg.halt_max_steps;
	c.e = hrm_engine_new_dtype(&m, c.B, c.S, a->dtype, &cause);
	if (c.e == NULL) {
		sources_free(&src);
		hrm_model_free(&m);
		return cli_fail(cause);
	}
	fp_tracker_init(&c.fp, c.B, c.S, a->fp_tol);
	c.v = xmalloc((size_t)c.B * sizeof *c.v);
	c.vp = xmalloc((size_t)c.B * sizeof *c.vp);
	for (int b = 0; b < c.B; b++)
		c.vp[b] = &c.v[b];
	c.pid = xmalloc((size_t)c.B * sizeof *c.pid);
	c.where = xmalloc((size_t)c.B * sizeof *c.where);
	c.at = xmalloc((size_t)c.B * sizeof *c.at);
	c.res = xcalloc((size_t)c.B, sizeof *c.res);
	c.shown = xcalloc((size_t)(a->show > 0 ? a->show : 1), sizeof *c.shown);
	char dt[128];
	char md[256];
	printf("model: %s, dtype %s\n", cli_model_desc(&m, md, sizeof md),
	       cli_dtype_desc(a->dtype, dt, sizeof dt));
	cli_print_states(stdout, &m.cfg);
	printf("source: %s: %ld solved %s%s\n", src.what, src.n, sudoku ? "sudoku" : "maze", src.n == 1 ? "" : "s");
	printf("variants: %s, %ld per puzzle and level, seed %llu\n",
	       sudoku ? "the solution with cells blanked (a unique solution)"
		      : "S and G moved together along the true path (a unique shortest path)",
	       a->variants, (unsigned long long)a->seed);
	printf("run: %d segments each (max-steps, the official evaluation), batch %d, fixed-point tolerance %g\n",
	       c.M, c.B, a->fp_tol);
	fflush(stdout);
	struct level_sums ls[MAX_LEVELS];
	memset(ls, 0, sizeof ls);
	for (int i = 0; i < a->n_levels && rc == EXIT_OK; i++) {
		ls[i].value = a->levels[i];
		if (run_level(&c, &ls[i], &cause) != 0)
			rc = cli_fail(cause);
		else
			fprintf(stderr, "hrmscope probe-simple: %s %d: %ld variants, %ld skipped\n", c.level_name,
				ls[i].value, ls[i].variants, ls[i].skipped);
	}
	if (rc == EXIT_OK)
		print_report(&c, ls, a->n_levels);
	for (long i = 0; i < c.n_shown; i++)
		free(c.shown[i].text);
	free(c.shown);
	free(c.res);
	free(c.at);
	free(c.where);
	free(c.pid);
	free(c.vp);
	free(c.v);
	fp_tracker_free(&c.fp);
	hrm_engine_free(c.e);
	sources_free(&src);
	hrm_model_free(&m);
	return rc;
}

enum { O_DATA = 256, O_SPLIT, O_LIMIT, O_BLANKS, O_DISTANCES, O_VARIANTS, O_BATCH, O_MAXSTEPS, O_SHOW };

int cmd_probe_simple(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_OPTION_MODEL, { "data", required_argument, NULL, O_DATA },
		{ "split", required_argument, NULL, O_SPLIT }, { "limit", required_argument, NULL, O_LIMIT },
		CLI_OPTION_PUZZLE, { "blanks", required_argument, NULL, O_BLANKS },
		{ "distances", required_argument, NULL, O_DISTANCES }, { "variants", required_argument, NULL, O_VARIANTS },
		CLI_OPTION_SEED, { "batch", required_argument, NULL, O_BATCH },
		{ "max-steps", required_argument, NULL, O_MAXSTEPS }, CLI_OPTION_THREADS,
		CLI_OPTION_FP_TOL, { "show", required_argument, NULL, O_SHOW }, CLI_OPTION_DTYPE,
		{ "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 },
	};
	struct probe_args a = { .split = "test", .limit = 1L << 62, .variants = 1, .batch = 16, .show = 3,
				.levels = { 1, 2, 4, 8 }, .n_levels = 4 };
	struct cli_common co;
	int scratch[MAX_LEVELS];
	int c, rc = 0;
	cli_common_init(&co, "probe-simple");
	co.max_puzzles = MAX_PUZZLES;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_DATA: a.data = optarg; break;
		case O_SPLIT: a.split = optarg; break;
		case O_LIMIT: rc = cli_opt_int("probe-simple", "--limit", optarg, 1, 1L << 40, &a.limit); break;
		case O_BLANKS:
		case O_DISTANCES:
			/* checked here for junk, against the kind once the data is open */
			if (parse_levels(optarg, c == O_BLANKS ? PROBE_MAX_BLANKS : PUZZLE_MAX_CELLS, scratch) < 0)
				return cli_usage("probe-simple", "%s: expected %s as a list like 1,2,4,8 or a maximum N "
					       "(1..%d), got '%s'", c == O_BLANKS ? "--blanks" : "--distances",
					       c == O_BLANKS ? "blanks 1..64" : "distances of 1 or more", MAX_LEVELS, optarg);
			a.levels_arg = optarg;
			a.blanks_given |= c == O_BLANKS;
			a.distances_given |= c == O_DISTANCES;
			break;
		case O_VARIANTS: rc = cli_opt_int("probe-simple", "--variants", optarg, 1, 1000, &a.variants); break;
		case O_BATCH: rc = cli_opt_int("probe-simple", "--batch", optarg, 1, 4096, &a.batch); break;
		case O_MAXSTEPS: rc = cli_opt_int("probe-simple", "--max-steps", optarg, 1, 100000, &a.max_steps); break;
		case O_SHOW: rc = cli_opt_int("probe-simple", "--show", optarg, 0, 1000, &a.show); break;
		case 'h': fputs(probe_help, stdout); return EXIT_OK;
		default: rc = cli_common_opt(&co, c, optarg);
		}
		if (rc != 0)
			return rc;
	}
	a.model = co.src.model;
	memcpy(a.puzzles, co.puzzles, (size_t)co.n_puzzles * sizeof *a.puzzles);
	a.n_puzzles = co.n_puzzles;
	a.seed = (uint64_t)co.seed;
	a.threads = co.threads;
	a.fp_tol = co.fp_tol;
	a.dtype = co.dtype;
	if (optind < argc)
		return cli_usage("probe-simple", "unexpected argument '%s'", argv[optind]);
	if (a.model == NULL)
		return cli_usage("probe-simple", "--model DIR is required");
	if (!a.data == !a.n_puzzles)
		return cli_usage("probe-simple", "give either --data DIR or --puzzle SPEC");
	if (a.blanks_given && a.distances_given)
		return cli_usage("probe-simple", "give --blanks (sudoku) or --distances (maze), not both");
	if (a.n_puzzles > 0 && (a.limit != 1L << 62 || strcmp(a.split, "test")))
		return cli_usage("probe-simple", "--split and --limit go with --data");
	return probe_main(&a);
}
