/* cmd_traj.c - `hrmscope traj`: the trajectory map's numbers: the pooled
 * state after every step of one run, projected on its first two principal
 * components (analysis/trajectory.h, analysis/pca.h). */
#include "cli/cli.h"
#include "cli/cli_puzzle.h"
#include "cli/options.h"
#include "analysis/guess.h"
#include "analysis/pca.h"
#include "analysis/trajectory.h"
#include "core/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char traj_help[] =
	"usage: hrmscope traj --model DIR --puzzle SPEC [--state zH|zL] [--segments N]\n"
	"                     [--format text|csv] [--dtype fp32|bf16] [--fp-tol X] [--threads N]\n"
	"                     [--guesses K [--perturb KIND] [--seed S]]\n"
	"\n"
	"The trajectory map of one run: the state after every step (z_H or z_L, the mean over\n"
	"the puzzle's cells, as the PR pools it) projected on the first two principal\n"
	"components of those states, with the share of the variance each axis explains.  Each\n"
	"step says whether its answer (lm_head(z_H)) was exactly right and whether it lies in\n"
	"the fixed point (a segment after the one whose end state the run settled in, as\n"
	"hrmscope trace finds it).  Each axis's sign puts the last step on its positive side.\n"
	"\n"
	"  --state S        zH (default) or zL\n"
	"  --segments N     segments to run (default: the model's halt_max_steps)\n"
	"  --format F       text (default) or csv: step,segment,h_cycle,l_step,kind,pc1,pc2,\n"
	"                   exact,fixed_point,explained1,explained2 (the last two the same on\n"
	"                   every line; segments and cycles 0-based; exact -1: no label)\n"
	"  --fp-tol X       fixed-point tolerance (default 0.01)\n"
	"  --guesses K      the K versions of hrmscope guess as one batch (all segments), their\n"
	"                   trajectories on the principal axes of all of them together: text,\n"
	"                   each run's group (the answer it settles on) and last point; csv, a\n"
	"                   line per run and step: run,group,step,segment,h_cycle,l_step,kind,\n"
	"                   pc1,pc2,explained1,explained2\n"
	"  --perturb KIND   with --guesses: augment (default), dihedral, relabel, shuffle,\n"
	"                   colors or noise, as hrmscope guess\n"
	"  --seed S         with --guesses: the versions' seed (default 0)\n";

struct traj_args {
	struct cli_common co;
	long segments, guesses;
	enum perturb_kind kind;
	bool zL, csv;
};

static int parse_traj(int argc, char **argv, struct traj_args *a)
{
	static const struct option opts[] = {
		CLI_OPTION_MODEL, CLI_OPTION_PUZZLE, CLI_OPTION_DTYPE, CLI_OPTION_THREADS, CLI_OPTION_FP_TOL,
		{ "segments", required_argument, NULL, 'n' }, { "state", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },   { "help", no_argument, NULL, 'h' },
		{ "guesses", required_argument, NULL, 'g' },  { "perturb", required_argument, NULL, 'p' },
		CLI_OPTION_SEED,
		{ 0, 0, 0, 0 }
	};
	memset(a, 0, sizeof *a);
	cli_common_init(&a->co, "traj");
	a->kind = PERTURB_AUGMENT;
	int c, rc;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		rc = 0;
		switch (c) {
		case 'n': rc = cli_opt_int("traj", "--segments", optarg, 1, 1 << 16, &a->segments); break;
		case 'g': rc = cli_opt_int("traj", "--guesses", optarg, 1, 4096, &a->guesses); break;
		case 'p':
			if (perturb_kind_parse(optarg, &a->kind) != 0)
				return cli_usage("traj", "--perturb: unknown kind '%s'", optarg);
			break;
		case 's':
			if (strcmp(optarg, "zL") == 0 || strcmp(optarg, "z_L") == 0)
				a->zL = true;
			else if (strcmp(optarg, "zH") != 0 && strcmp(optarg, "z_H") != 0)
				return cli_usage("traj", "--state: expected zH or zL, got '%s'", optarg);
			break;
		case 'f':
			if (strcmp(optarg, "csv") == 0)
				a->csv = true;
			else if (strcmp(optarg, "text") != 0)
				return cli_usage("traj", "--format: expected text or csv, got '%s'", optarg);
			break;
		case 'h': fputs(traj_help, stdout); return EXIT_OK;
		default: rc = cli_common_opt(&a->co, c, optarg);
		}
		if (rc != 0)
			return rc;
	}
	if (optind < argc)
		return cli_usage("traj", "unexpected argument '%s'", argv[optind]);
	if (!a->co.src.model || !a->co.puzzle)
		return cli_usage("traj", "give --model DIR and --puzzle SPEC");
	return -1;
}

static void print_traj(const struct traj_args *a, const struct hrm_model *m, const struct trajectory *t,
		       const struct pca2 *p)
{
	char dt[128];
	if (a->csv)
		printf("step,segment,h_cycle,l_step,kind,pc1,pc2,exact,fixed_point,explained1,explained2\n");
	else {
		printf("model: %s, dtype %s, state %s (mean over the cells), %d steps\n", m->name,
		       cli_dtype_desc(a->co.dtype, dt, sizeof dt), a->zL ? "z_L" : "z_H", t->n);
		printf("explained variance: PC1 %.2f %%, PC2 %.2f %%\n", 100.0 * p->ratio[0], 100.0 * p->ratio[1]);
		if (t->fp_entered >= 0)
			printf("fixed point: the end of segment %d (%s)\n", t->fp_entered + 1, fp_verdict_name(t->verdict));
		else
			printf("fixed point: none\n");
		printf("step segment cycle  kind        pc1        pc2  answer  fixed\n");
	}
	for (int i = 0; i < t->n; i++) {
		const struct traj_step *s = &t->steps[i];
		const double *xy = p->xy + (size_t)i * 2;
		bool fp = traj_in_fixed_point(t, i);
		if (a->csv)
			printf("%d,%d,%d,%d,%c,%.9g,%.9g,%d,%d,%.9g,%.9g\n", i + 1, s->segment, s->h_cycle, s->l_step,
			       s->l_step < 0 ? 'H' : 'L', xy[0], xy[1], s->exact, fp, p->ratio[0], p->ratio[1]);
		else
			printf("%4d %7d %5d  %-4s %10.4f %10.4f  %-6s  %s\n", i + 1, s->segment + 1, s->h_cycle + 1,
			       s->l_step < 0 ? "H" : "L", xy[0], xy[1],
			       s->exact < 0 ? "?" : s->exact ? "right" : "wrong", fp ? "yes" : "");
	}
}

/* --guesses: the K runs of hrmscope guess, on the axes of all their steps */
static int traj_guesses(const struct traj_args *a, const struct hrm_model *m, const struct cli_puzzle *cp, char **cause)
{
	int K = (int)a->guesses, d = m->cfg.hidden_size;
	struct guess_puzzle gp = { &cp->p, cp->known_kind, cp->pid, cp->has_ignore, cp->ignore_label };
	struct trajectory *tr = xmalloc((size_t)K * sizeof *tr);
	for (int k = 0; k < K; k++)
		traj_init(&tr[k], d);
	struct guess_opts o = { .kind = a->kind, .K = K, .seed = (uint64_t)a->co.seed, .fp_tol = a->co.fp_tol,
				.dtype = a->co.dtype, .traj = tr, .M = a->segments > 0 ? (int)a->segments : 0 };
	struct guess_result r;
	guess_result_init(&r, cp->p.seq_len);
	struct pca2 p = { 0 };
	int rc = guess_run(m, 0, &gp, &o, &r, cause);
	float *pts = NULL;
	int n = 0;
	if (rc == 0) {
		guess_tally(&r);
		for (int k = 0; k < K; k++)
			n += tr[k].n;
		pts = xmalloc((size_t)n * d * sizeof *pts);
		for (int k = 0, at = 0; k < K; at += tr[k].n, k++)
			memcpy(pts + (size_t)at * d, a->zL ? tr[k].zL : tr[k].zH, (size_t)tr[k].n * d * sizeof *pts);
		rc = pca2_fit(pts, n, d, &p, cause);
	}
	if (rc == 0) {
		if (a->csv)
			printf("run,group,step,segment,h_cycle,l_step,kind,pc1,pc2,explained1,explained2\n");
		else
			printf("%d runs (%s) x %d steps, state %s (mean over the cells)\nexplained variance: PC1 %.2f %%, "
			       "PC2 %.2f %%\nrun group  last pc1   last pc2  version\n", K, perturb_kind_name(a->kind),
			       tr[0].n, a->zL ? "z_L" : "z_H", 100.0 * p.ratio[0], 100.0 * p.ratio[1]);
		for (int k = 0, at = 0; k < K; at += tr[k].n, k++) {
			char g[8];
			guess_group_name(r.runs[k].group, g, sizeof g);
			if (!a->csv) {
				const double *xy = p.xy + (size_t)(at + tr[k].n - 1) * 2;
				printf("%3d %5s %10.4f %10.4f  %s\n", k, g, xy[0], xy[1], r.runs[k].pt.desc);
				continue;
			}
			for (int i = 0; i < tr[k].n; i++) {
				const struct traj_step *s = &tr[k].steps[i];
				const double *xy = p.xy + (size_t)(at + i) * 2;
				printf("%d,%s,%d,%d,%d,%d,%c,%.9g,%.9g,%.9g,%.9g\n", k, g, i + 1, s->segment, s->h_cycle,
				       s->l_step, s->l_step < 0 ? 'H' : 'L', xy[0], xy[1], p.ratio[0], p.ratio[1]);
			}
		}
	}
	pca2_free(&p);
	free(pts);
	guess_result_free(&r);
	for (int k = 0; k < K; k++)
		traj_free(&tr[k]);
	free(tr);
	return rc;
}

int cmd_traj(int argc, char **argv)
{
	struct traj_args a;
	int rc = parse_traj(argc, argv, &a);
	if (rc >= 0)
		return rc;
	char *cause = NULL;
	struct cli_puzzle *cp = xmalloc(sizeof *cp);
	struct hrm_model m;
	if (cli_puzzle_open(a.co.puzzle, cp, &cause) != 0) {
		free(cp);
		return cli_fail(cause);
	}
	hrm_set_threads((int)a.co.threads);
	if (cli_load_model(&a.co.src, &m) != 0) {
		free(cp);
		return EXIT_RUNTIME;
	}
	struct trajectory t;
	struct pca2 p = { 0 };
	traj_init(&t, m.cfg.hidden_size);
	if (cli_puzzle_fit(&m, cp, &cause) != 0) {
		rc = cli_fail(cause);
	} else if ((rc = cli_use_dtype(&m, a.co.dtype)) != EXIT_OK) {
	} else if (a.guesses > 0) {
		rc = traj_guesses(&a, &m, cp, &cause) == 0 ? EXIT_OK : cli_fail(cause);
	} else if (traj_run(&m, a.co.dtype, cp->p.input, cp->p.has_label ? cp->p.label : NULL, cp->has_ignore,
			    cp->ignore_label, cp->p.seq_len, cp->pid,
			    a.segments > 0 ? (int)a.segments : m.cfg.halt_max_steps, a.co.fp_tol, &t, &cause) != 0 ||
		   pca2_fit(a.zL ? t.zL : t.zH, t.n, t.d, &p, &cause) != 0) {
		rc = cli_fail(cause);
	} else {
		print_traj(&a, &m, &t, &p);
		rc = EXIT_OK;
	}
	pca2_free(&p);
	traj_free(&t);
	free(cp);
	hrm_model_free(&m);
	return rc;
}
