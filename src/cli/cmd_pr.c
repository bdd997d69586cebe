/* cmd_pr.c - `hrmscope pr`: participation ratio of the final-segment states
 * z_H and z_L over N puzzles (HRM-SPEC "Readouts", the paper's Fig. 8),
 * PR = (tr C)^2 / ||C||_F^2 for the covariance C of the pooled states,
 * in double precision; optionally beside a fresh random init of the same
 * architecture. */
#include "cli/cli.h"
#include "cli/cli_puzzle.h"
#include "io/model_fit.h"
#include "cli/options.h"
#include "io/dataset.h"
#include "model/engine.h"
#include "analysis/pr.h"
#include "core/util.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char pr_help[] =
	"usage: hrmscope pr --model DIR --data DIR [--n 100] [--split test] [--pool mean|tokens]\n"
	"                   [--untrained] [--seed K] [--max-steps M] [--batch B] [--threads N]\n"
	"                   [--dtype fp32|bf16]\n"
	"\n"
	"Participation ratio PR = (tr C)^2 / ||C||_F^2 = (sum l)^2 / sum l^2 of the covariance C\n"
	"of the high-level state z_H and of the low-level state z_L after the final segment\n"
	"(all M segments), over the first N examples of a dataset split, in double precision.\n"
	"The states of the puzzle cells are used (not the puzzle-embedding prefix). PR is biased\n"
	"low at small N: it is printed with the number of samples.\n"
	"\n"
	"  --n N            puzzles (trajectories), default 100\n"
	"  --pool P         mean (default): one sample per puzzle, its state averaged over the\n"
	"                   cells (N samples of dimension d; PR <= min(N - 1, d));\n"
	"                   tokens: every cell of every puzzle is a sample (N x S samples)\n"
	"  --untrained      also a fresh random init of the same architecture (official init,\n"
	"                   seed --seed, default 0), for the paper's trained-vs-untrained comparison\n"
	"  --split NAME     default test\n"
	"  --max-steps M    segments to run (default: the model's halt_max_steps)\n"
	"  --batch B        puzzles at once (default 16)\n"
	"  --threads N      BLAS threads (default 2)\n"
	"  --dtype D        the arithmetic of both models: fp32 (default) or bf16, as the official\n"
	"                   code computes (forward_dtype: bfloat16); float32, bfloat16 too\n"
	"\n"
	"With fewer samples than dimensions the Gram matrix of the centred samples is used\n"
	"(same non-zero spectrum), else the d x d covariance accumulated in blocks.\n";

struct pr_job {
	const struct dataset_split *split;
	const char *what;
	long n;
	int M, B;
	bool tokens;
	enum hrm_dtype dtype;
};

/* out[d] = the mean of z[S][d] over its S cells, in double */
static void mean_over_cells(const float *z, int S, int d, double *out)
{
	memset(out, 0, (size_t)d * sizeof *out);
	for (int t = 0; t < S; t++)
		for (int i = 0; i < d; i++)
			out[i] += z[(size_t)t * d + i];
	for (int i = 0; i < d; i++)
		out[i] /= S;
}

/* PR of z_H and z_L for model m. */
static int pr_model(const struct hrm_model *m, const struct pr_job *j, double pr[2], bool gram[2], long samples[2],
		    char **cause)
{
	int S = (int)j->split->meta.seq_len, d = m->cfg.hidden_size, Lp = m->cfg.puzzle_emb_len, B = j->B;
	struct hrm_engine *e = hrm_engine_new_dtype(m, B, S, j->dtype, cause);
	if (e == NULL)
		return -1;
	int T = hrm_engine_T(e), rc = 0;
	int32_t *in = xmalloc((size_t)B * S * sizeof *in), *pid = xcalloc((size_t)B, sizeof *pid);
	double *x = xmalloc((size_t)B * d * sizeof *x);
	struct pr_acc acc[2];
	pr_acc_init(&acc[0], d, PR_BLAS);
	pr_acc_init(&acc[1], d, PR_BLAS);
	for (long start = 0; start < j->n && rc == 0; start += B) {
		int rows = j->n - start < B ? (int)(j->n - start) : B;
		for (int b = 0; b < B; b++) {
			struct dataset_example ex;
			dataset_get_example(j->split, start + (b < rows ? b : 0), &ex);
			memcpy(in + (size_t)b * S, ex.inputs, (size_t)S * sizeof *in);
			pid[b] = ex.puzzle_identifier;
		}
		if (hrm_engine_set_inputs(e, in, pid, cause) != 0) {
			rc = prefix_cause(cause, "%s", j->what);
			break;
		}
		hrm_engine_reset(e, -1);
		for (int s = 0; s < j->M; s++)
			hrm_engine_step(e, HRM_GRAIN_SEGMENT);
		for (int k = 0; k < 2; k++) {
			const float *z = k == 0 ? hrm_engine_zH(e) : hrm_engine_zL(e);
			for (int b = 0; b < rows; b++) {
				const float *zb = z + ((size_t)b * T + Lp) * d;
				if (j->tokens)
					pr_acc_add_rows(&acc[k], zb, S);
				else
					mean_over_cells(zb, S, d, x + (size_t)b * d);
			}
			if (!j->tokens)
				pr_acc_add_rows_f64(&acc[k], x, rows);
		}
	}
	for (int k = 0; k < 2; k++) {
		samples[k] = acc[k].n;
		gram[k] = pr_acc_gram(&acc[k], NULL);
		pr[k] = rc == 0 ? pr_acc_ratio(&acc[k], NULL) : NAN;
		pr_acc_free(&acc[k]);
	}
	free(x);
	free(in);
	free(pid);
	hrm_engine_free(e);
	return rc;
}

static void print_pr(const char *label, const char *name, const double pr[2])
{
	char a[32], b[32];
	snprintf(a, sizeof a, isnan(pr[0]) ? "n/a" : "%.2f", pr[0]);
	snprintf(b, sizeof b, isnan(pr[1]) ? "n/a" : "%.2f", pr[1]);
	printf("%-10s %-36s %10s %10s\n", label, name, a, b);
}

/* The report: the route, the table and one line per model for scripts.
 * pr[k], samples[k]: the trained model (k = 0) and the fresh one (k = 1). */
static void print_report(const struct pr_job *j, const struct hrm_model *m, long seed, bool untrained,
			 double pr[2][2], const bool gram[2], const long samples[2])
{
	int S = (int)j->split->meta.seq_len, d = m->cfg.hidden_size;
	char md[256];
	printf("participation ratio PR = (tr C)^2 / ||C||_F^2 of the states after segment %d (the last)\n", j->M);
	printf("model: %s\n", cli_model_desc(m, md, sizeof md));
	cli_print_states(stdout, &m->cfg);
	char dt[128];
	printf("data: %s, N = %ld puzzles (the first %ld examples)\n", j->what, j->n, j->n);
	printf("dtype: %s\n", cli_dtype_desc(j->dtype, dt, sizeof dt));
	if (j->tokens)
		printf("pooling: tokens - every cell of every puzzle is a sample: %ld samples of dimension %d\n",
		       samples[0], d);
	else
		printf("pooling: mean - one sample per puzzle, its state averaged over the %d cells: %ld samples of "
		       "dimension %d (PR <= %ld)\n", S, samples[0], d, samples[0] - 1 < d ? samples[0] - 1 : (long)d);
	printf("route: %s\n\n", gram[0] ? "Gram matrix of the centred samples (samples <= d)" : "d x d covariance");
	char ph[32], pl[32];
	const struct hrm_arch_desc *a = hrm_arch_desc(&m->cfg);
	snprintf(ph, sizeof ph, "PR %s", a->zH);
	snprintf(pl, sizeof pl, "PR %s", a->zL);
	printf("%-10s %-36s %10s %10s\n", "", "model", ph, pl);
	print_pr("trained", m->name, pr[0]);
	char uname[64];
	snprintf(uname, sizeof uname, "fresh init, seed %ld", seed);
	if (untrained)
		print_pr("untrained", uname, pr[1]);
	for (int k = 0; k < (untrained ? 2 : 1); k++)
		printf("hrmscope-pr model=%s n=%ld pooling=%s samples=%ld dim=%d segments=%d zH=%.17g zL=%.17g dtype=%s\n",
		       k ? "untrained" : "trained", j->n, j->tokens ? "tokens" : "mean", samples[0], d, j->M, pr[k][0],
		       pr[k][1], hrm_dtype_name(j->dtype));
}

struct pr_args {
	struct cli_common co; /* --model, --seed (the fresh init's), --threads */
	const char *data, *split_name;
	long n, max_steps, batch;
	bool untrained, tokens;
};

enum { O_DATA = 256, O_N, O_SPLIT, O_POOL, O_UNTRAINED, O_MAXSTEPS, O_BATCH };

/* The options into a: -1 to go on, else the exit code (--help, a usage error). */
static int parse_pr(int argc, char **argv, struct pr_args *a)
{
	static const struct option opts[] = {
		CLI_OPTION_MODEL, { "data", required_argument, NULL, O_DATA },
		{ "n", required_argument, NULL, O_N }, { "split", required_argument, NULL, O_SPLIT },
		{ "pool", required_argument, NULL, O_POOL }, { "untrained", no_argument, NULL, O_UNTRAINED },
		CLI_OPTION_SEED, { "max-steps", required_argument, NULL, O_MAXSTEPS },
		{ "batch", required_argument, NULL, O_BATCH }, CLI_OPTION_THREADS, CLI_OPTION_DTYPE,
		{ "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 },
	};
	int c, rc;
	memset(a, 0, sizeof *a);
	cli_common_init(&a->co, "pr");
	a->co.terse = true;
	a->split_name = "test";
	a->n = 100;
	a->batch = 16;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_DATA: a->data = optarg; break;
		case O_SPLIT: a->split_name = optarg; break;
		case O_N:
			if (cli_int(optarg, 1, 1L << 30, &a->n))
				return cli_usage("pr", "--n: expected a positive count, got '%s'", optarg);
			break;
		case O_POOL:
			if (strcmp(optarg, "mean") != 0 && strcmp(optarg, "tokens") != 0)
				return cli_usage("pr", "--pool: expected mean or tokens, got '%s'", optarg);
			a->tokens = !strcmp(optarg, "tokens");
			break;
		case O_UNTRAINED: a->untrained = true; break;
		case O_MAXSTEPS:
			if (cli_int(optarg, 1, 100000, &a->max_steps))
				return cli_usage("pr", "--max-steps: expected 1..100000, got '%s'", optarg);
			break;
		case O_BATCH:
			if (cli_int(optarg, 1, 4096, &a->batch))
				return cli_usage("pr", "--batch: expected 1..4096, got '%s'", optarg);
			break;
		case 'h': fputs(pr_help, stdout); return EXIT_OK;
		default:
			if ((rc = cli_common_opt(&a->co, c, optarg)) != 0)
				return rc;
		}
	}
	if (optind < argc)
		return cli_usage("pr", "unexpected argument '%s'", argv[optind]);
	if (!a->co.src.model || !a->data)
		return cli_usage("pr", "--model DIR and --data DIR are required");
	if (!a->tokens && a->n < 2)
		return cli_usage("pr", "--n: the per-puzzle mean needs at least 2 puzzles");
	return -1;
}

/* PR of the trained model, and of a fresh init beside it with --untrained. */
static int pr_models(const struct pr_args *a, struct pr_job *j, const struct hrm_model *m, double pr[2][2],
		     bool gram[2], long samples[2])
{
	char *cause = NULL;
	struct hrm_model u;
	if (pr_model(m, j, pr[0], gram, samples, &cause) != 0)
		return cli_fail(cause);
	if (!a->untrained)
		return EXIT_OK;
	if (hrm_model_alloc(&u, &m->cfg, &cause) != 0)
		return cli_fail(cause);
	hrm_model_init_random(&u, (uint64_t)a->co.seed);
	/* the fresh init in the same arithmetic (its config is the trained one's: no second note) */
	if (j->dtype == HRM_DTYPE_BF16 && hrm_model_prepare_bf16(&u, &cause) != 0) {
		hrm_model_free(&u);
		return cli_fail(cause);
	}
	int rc = pr_model(&u, j, pr[1], gram, samples, &cause) != 0 ? cli_fail(cause) : EXIT_OK;
	hrm_model_free(&u);
	return rc;
}

int cmd_pr(int argc, char **argv)
{
	struct pr_args a;
	int rc = parse_pr(argc, argv, &a);
	if (rc >= 0)
		return rc;
	hrm_set_threads((int)a.co.threads);
	char *cause = NULL, what[4200];
	struct dataset_split split;
	if (!dataset_name_ok(a.split_name))
		return cli_usage("pr", "--split: '%s' is not a split name", a.split_name);
	if (dataset_read_split(a.data, a.split_name, &split, &cause) != 0)
		return cli_fail(cause);
	snprintf(what, sizeof what, "%s/%s", a.data, a.split_name);
	struct hrm_model m;
	if (cli_load_model(&a.co.src, &m) != 0) {
		dataset_split_free(&split);
		return EXIT_RUNTIME;
	}
	int S = (int)split.meta.seq_len;
	struct pr_job j = { &split, what, a.n < split.num_examples ? a.n : (long)split.num_examples, 0, 0, a.tokens,
			    a.co.dtype };
	j.M = a.max_steps ? (int)a.max_steps : m.cfg.halt_max_steps;
	j.B = a.batch < j.n ? (int)a.batch : (int)j.n;
	double pr[2][2];
	bool gram[2];
	long samples[2];
	struct fit_query q = {.what = what, .vocab = (int)split.meta.vocab_size, .seq_len = S};
	if (model_fit(&m, &q, FIT_EXACT, NULL, NULL, 0, &cause) != 0) {
		rc = cli_fail(cause);
	} else if ((rc = cli_use_dtype(&m, a.co.dtype)) == EXIT_OK) {
		if (j.n < a.n)
			fprintf(stderr, "hrmscope pr: %s has only %ld examples: N = %ld\n", what, j.n, j.n);
		if (!a.tokens && j.n < 2)
			rc = cli_fail(xstrdup("the per-puzzle mean needs at least 2 puzzles"));
		else if ((rc = pr_models(&a, &j, &m, pr, gram, samples)) == EXIT_OK)
			print_report(&j, &m, a.co.seed, a.untrained, pr, gram, samples);
	}
	hrm_model_free(&m);
	dataset_split_free(&split);
	return rc;
}
