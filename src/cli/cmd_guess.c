/* cmd_guess.c - `hrmscope guess`: K perturbed versions of one puzzle as one
 * batch, the answers mapped back and grouped by the fixed point they settle
 * on, and the votes; several --model pool their guesses. */
#include "cli/cli.h"
#include "cli/cli_puzzle.h"
#include "io/model_fit.h"
#include "cli/options.h"
#include "analysis/guess.h"
#include "core/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char guess_help[] =
	"usage: hrmscope guess --model DIR [--model DIR2 ...] --puzzle SPEC [--k K]\n"
	"                      [--perturb augment|dihedral|relabel|shuffle|colors|noise]\n"
	"                      [--noise SIGMA] [--seed S] [--max-steps M] [--fp-tol X]\n"
	"                      [--threads N] [--no-grid] [--dtype fp32|bf16]\n"
	"\n"
	"Inference as guessing: run K perturbed versions of one puzzle as one batch (B = K)\n"
	"through each model, map every answer back to the original frame, and group the runs\n"
	"by the answer they settle on (the fixed points).  Prints every run (perturbation,\n"
	"q_halt, the segment it entered a fixed point, its critical step, its group), each\n"
	"group's size, mean q_halt, how many of its runs settled and whether it is right, and\n"
	"the votes: majority, and weighted by sigmoid(q_halt).  Several --model pool their\n"
	"runs (model bootstrapping).  The last line is a machine-readable summary.\n"
	"\n"
	"  --model DIR      a checkpoint directory; repeat to pool checkpoints (up to 16)\n"
	"  --puzzle SPEC    FILE[:INDEX] or DATASET[:SPLIT[:INDEX]] as for hrmscope run\n"
	"  --k K            versions per model, the batch size (default 8)\n"
	"  --perturb KIND   augment (default: the kind's official augmentation: maze dihedral;\n"
	"                   sudoku digits, transpose and band/row/stack/column shuffles; ARC\n"
	"                   dihedral and colours), dihedral (the 8 transforms), relabel (sudoku\n"
	"                   digits), shuffle (sudoku transpose and shuffles), colors (ARC), noise\n"
	"                   (Gaussian noise on the initial z_H and z_L)\n"
	"  --noise SIGMA    noise on the initial state of versions 1..K-1, on top of any kind\n"
	"                   (kind noise without it: 0.2)\n"
	"  --seed S         draws the perturbations and the noise (default 0)\n"
	"  --max-steps M    segments (default: the model's halt_max_steps)\n"
	"  --fp-tol X       fixed-point tolerance on the relative state change (default 0.01)\n"
	"  --threads N      BLAS threads (default 2)\n"
	"  --no-grid        leave out the answers' grids\n"
	"  --dtype D        the arithmetic: fp32 (default) or bf16, as the official code computes\n"
	"                   (forward_dtype: bfloat16); float32 and bfloat16 are accepted too\n"
	"\n"
	"Version 0 is always the puzzle as given, without noise: it is the plain run.\n";

#define MAX_MODELS 16

static const char *yes_no(int v)
{
	return v < 0 ? "?" : v ? "yes" : "no";
}

static void print_runs(const struct guess_result *r)
{
	printf(" run  model  version  perturbation                            q_halt  fixed@seg  critical  group  right\n");
	for (int i = 0; i < r->n; i++) {
		const struct guess_one *o = &r->runs[i];
		char fp[16] = "-", cr[24] = "-", g[8];
		if (o->fp_entered >= 0)
			snprintf(fp, sizeof fp, "%d", o->fp_entered + 1);
		if (o->crit_seg >= 0 && o->crit_h >= 0)
			snprintf(cr, sizeof cr, "%d.H%d", o->crit_seg + 1, o->crit_h + 1);
		else if (o->crit_seg >= 0)
			snprintf(cr, sizeof cr, "%d", o->crit_seg + 1);
		guess_group_name(o->group, g, sizeof g);
		printf("%4d  %5d  %7d  %-36.36s  %+8.4f  %9s  %8s  %5s  %s\n", i + 1, o->model + 1, o->version, o->pt.desc,
		       (double)o->q_halt, fp, cr, g, yes_no(o->exact));
	}
}

static void print_groups(const struct guess_result *r)
{
	double total_w = 0;
	for (int g = 0; g < r->n_groups; g++)
		total_w += r->groups[g].weight;
	printf("\nfixed points (the runs grouped by the answer they settle on, in the original frame):\n");
	printf("group  runs   share  mean q_halt  q_halt weight  settled  right\n");
	for (int g = 0; g < r->n_groups; g++) {
		const struct guess_group *gr = &r->groups[g];
		char name[8];
		guess_group_name(g, name, sizeof name);
		printf("%5s  %4d  %5.1f%%  %+11.4f  %13.3f  %7d  %s\n", name, gr->runs, 100.0 * gr->runs / (r->n - r->repeats),
		       gr->q_sum / gr->runs, gr->weight, gr->settled, yes_no(gr->exact));
	}
	char a[8], b[8];
	guess_group_name(r->majority, a, sizeof a);
	guess_group_name(r->weighted, b, sizeof b);
	if (r->repeats > 0)
		printf("\n%d runs repeat an earlier run's version (more versions asked than the perturbation has):\n"
		       "each version is counted once in the groups and the votes\n",
		       r->repeats);
	printf("\nvote (majority):         %s, %d of %d runs  right: %s\n", a, r->groups[r->majority].runs,
	       r->n - r->repeats, yes_no(r->groups[r->majority].exact));
	printf("vote (q_halt-weighted):  %s, weight %.3f of %.3f  right: %s\n", b, r->groups[r->weighted].weight, total_w,
	       yes_no(r->groups[r->weighted].exact));
	guess_group_name(r->runs[0].group, a, sizeof a);
	printf("plain run (version 0 of model 1): %s  right: %s\n", a, yes_no(r->runs[0].exact));
}

/* The input, the answers of the first groups and the label, side by side. */
static void print_grids(const struct cli_puzzle *cp, const struct guess_result *r)
{
	const char *titles[6];
	const int32_t *grids[6];
	char names[4][32];
	int n = 0;
	titles[n] = "input";
	grids[n++] = cp->p.input;
	for (int g = 0; g < r->n_groups && g < 3; g++) {
		char gn[8];
		guess_group_name(g, gn, sizeof gn);
		snprintf(names[g], sizeof names[g], "group %s (%d)", gn, r->groups[g].runs);
		titles[n] = names[g];
		grids[n++] = r->answers + (size_t)r->groups[g].first * r->S;
	}
	if (cp->p.has_label) {
		titles[n] = "label";
		grids[n++] = cp->p.label;
	}
	printf("\n");
	cli_print_panels(stdout, cp, n, titles, grids, NULL);
}

static void print_summary(const struct guess_result *r, enum hrm_dtype dt)
{
	char a[8], b[8];
	guess_group_name(r->majority, a, sizeof a);
	guess_group_name(r->weighted, b, sizeof b);
	/* a repeated version (repeat_of >= 0) is one run, as in the votes */
	int settled = 0;
	for (int i = 0; i < r->n; i++)
		settled += r->runs[i].repeat_of < 0 && r->runs[i].fp_entered >= 0;
	printf("hrmscope-guess runs=%d repeats=%d groups=%d settled=%d majority=%s majority_runs=%d majority_right=%d "
	       "weighted=%s weighted_right=%d plain_right=%d dtype=%s\n",
	       r->n - r->repeats, r->repeats, r->n_groups, settled, a, r->groups[r->majority].runs, r->groups[r->majority].exact, b,
	       r->groups[r->weighted].exact, r->runs[0].exact, hrm_dtype_name(dt));
}

struct guess_args {
	const char *models[MAX_MODELS];
	int n_models;
	const char *spec;
	struct guess_opts o;
	long threads;
	bool grid;
};

static int guess_main(const struct guess_args *a)
{
	char *cause = NULL;
	struct cli_puzzle *cp = xmalloc(sizeof *cp);
	if (cli_puzzle_open(a->spec, cp, &cause) != 0) {
		free(cp);
		return cli_fail(cause);
	}
	char why[160];
	if (!perturb_applies(a->o.kind, &cp->p, cp->known_kind, why, sizeof why)) {
		free(cp);
		return cli_usage("guess", "%s", why);
	}
	hrm_set_threads((int)a->threads);
	struct guess_puzzle gp = { &cp->p, cp->known_kind, cp->pid, cp->has_ignore, cp->ignore_label };
	struct guess_result r;
	guess_result_init(&r, cp->p.seq_len);
	int rc = EXIT_OK, M = 0;
	printf("puzzle: %s (%s, %d cells, %s)\n", cp->where,
	       cp->known_kind ? puzzle_ops_for(cp->p.kind)->name : "tokens", cp->p.seq_len,
	       cp->p.has_label ? "label known" : "no label");
	for (int i = 0; i < a->n_models && rc == EXIT_OK; i++) {
		struct model_source src = { .model = a->models[i] };
		struct hrm_model m;
		if (cli_load_model(&src, &m) != 0) {
			rc = EXIT_RUNTIME;
			break;
		}
		M = a->o.M > 0 ? a->o.M : m.cfg.halt_max_steps;
		char dt[128];
		char md[256];
		printf("model %d: %s, dtype %s\n", i + 1, cli_model_desc(&m, md, sizeof md),
		       cli_dtype_desc(a->o.dtype, dt, sizeof dt));
		cli_print_states(stdout, &m.cfg);
		fflush(stdout);
		if (cli_puzzle_fit(&m, cp, &cause) != 0)
			rc = cli_fail(cause);
		else if ((rc = cli_use_dtype(&m, a->o.dtype)) == EXIT_OK && guess_run(&m, i, &gp, &a->o, &r, &cause) != 0)
			rc = cli_fail(cause);
		hrm_model_free(&m);
	}
	if (rc == EXIT_OK) {
		guess_tally(&r);
		printf("guesses: K = %d versions per model as one batch, %d model%s, perturbation %s%s, seed %llu, "
		       "%d segments, fixed-point tolerance %g\n(version 0 is the puzzle as given; answers mapped back to "
		       "the original frame)\n\n",
		       a->o.K, a->n_models, a->n_models == 1 ? "" : "s", perturb_kind_name(a->o.kind),
		       a->o.sigma > 0 ? " + noise" : "", (unsigned long long)a->o.seed, M,
		       a->o.fp_tol > 0 ? a->o.fp_tol : FP_TOL_DEFAULT);
		print_runs(&r);
		print_groups(&r);
		if (a->grid)
			print_grids(cp, &r);
		print_summary(&r, a->o.dtype);
	}
	guess_result_free(&r);
	free(cp);
	return rc;
}

enum { O_K = 256, O_PERTURB, O_NOISE, O_MAXSTEPS, O_NOGRID };

int cmd_guess(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_OPTION_MODEL, CLI_OPTION_PUZZLE,
		{ "k", required_argument, NULL, O_K }, { "perturb", required_argument, NULL, O_PERTURB },
		{ "noise", required_argument, NULL, O_NOISE }, CLI_OPTION_SEED,
		{ "max-steps", required_argument, NULL, O_MAXSTEPS }, CLI_OPTION_FP_TOL,
		CLI_OPTION_THREADS, { "no-grid", no_argument, NULL, O_NOGRID }, CLI_OPTION_DTYPE,
		{ "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 },
	};
	struct guess_args a = { .o = { .kind = PERTURB_AUGMENT, .K = 8 }, .grid = true };
	struct cli_common co;
	long v;
	int c, rc = 0;
	cli_common_init(&co, "guess");
	co.max_models = MAX_MODELS;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_K:
			if ((rc = cli_opt_int("guess", "--k", optarg, 1, 4096, &v)) == 0)
				a.o.K = (int)v;
			break;
		case O_PERTURB:
			if (perturb_kind_parse(optarg, &a.o.kind))
				return cli_usage("guess", "--perturb: expected augment, dihedral, relabel, shuffle, colors "
					       "or noise, got '%s'", optarg);
			break;
		case O_NOISE: rc = cli_opt_double("guess", "--noise", optarg, 0, 100, &a.o.sigma); break;
		case O_MAXSTEPS:
			if ((rc = cli_opt_int("guess", "--max-steps", optarg, 1, 100000, &v)) == 0)
				a.o.M = (int)v;
			break;
		case O_NOGRID: a.grid = false; break;
		case 'h': fputs(guess_help, stdout); return EXIT_OK;
		default: rc = cli_common_opt(&co, c, optarg);
		}
		if (rc != 0)
			return rc;
	}
	memcpy(a.models, co.models, (size_t)co.n_models * sizeof *a.models);
	a.n_models = co.n_models;
	a.spec = co.puzzle;
	a.o.seed = (uint64_t)co.seed;
	a.o.fp_tol = co.fp_tol;
	a.o.dtype = co.dtype;
	a.threads = co.threads;
	if (optind < argc)
		return cli_usage("guess", "unexpected argument '%s'", argv[optind]);
	if (a.n_models == 0 || a.spec == NULL)
		return cli_usage("guess", "--model DIR and --puzzle SPEC are required");
	return guess_main(&a);
}
