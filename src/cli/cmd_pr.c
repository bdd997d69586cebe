/* cmd_pr.c - `hrmscope pr`: participation ratio of the final-segment states
 * z_H and z_L over N puzzles (HRM-SPEC "Readouts", the paper's Fig. 8),
 * PR = (tr C)^2 / ||C||_F^2 for the covariance C of the pooled states,
 * in double precision; optionally beside a fresh random init of the same
 * architecture. */
#include "cli/cli.h"
#include "cli/cli_puzzle.h"
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
	"\n"
	"With fewer samples than dimensions the Gram matrix of the centred samples is used\n"
	"(same non-zero spectrum), else the d x d covariance accumulated in blocks.\n";

struct pr_job {
	const struct dataset_split *split;
	const char *what;
	long n;
	int M, B;
	bool tokens;
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
	struct hrm_engine *e = hrm_engine_new(m, B, S, cause);
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

enum { O_MODEL = 256, O_DATA, O_N, O_SPLIT, O_POOL, O_UNTRAINED, O_SEED, O_MAXSTEPS, O_BATCH, O_THREADS };

int cmd_pr(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "model", required_argument, NULL, O_MODEL }, { "data", required_argument, NULL, O_DATA },
		{ "n", required_argument, NULL, O_N }, { "split", required_argument, NULL, O_SPLIT },
		{ "pool", required_argument, NULL, O_POOL }, { "untrained", no_argument, NULL, O_UNTRAINED },
		{ "seed", required_argument, NULL, O_SEED }, { "max-steps", required_argument, NULL, O_MAXSTEPS },
		{ "batch", required_argument, NULL, O_BATCH }, { "threads", required_argument, NULL, O_THREADS },
		{ "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 },
	};
	struct model_source src = { .puzzle_ids = 1 };
	const char *data = NULL, *split_name = "test";
	long n = 100, seed = 0, max_steps = 0, batch = 16, threads = 2;
	bool untrained = false, tokens = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_MODEL: src.model = optarg; break;
		case O_DATA: data = optarg; break;
		case O_SPLIT: split_name = optarg; break;
		case O_N:
			if (cli_int(optarg, 1, 1L << 30, &n))
				return cli_usage("pr", "--n: expected a positive count, got '%s'", optarg);
			break;
		case O_POOL:
			if (strcmp(optarg, "mean") != 0 && strcmp(optarg, "tokens") != 0)
				return cli_usage("pr", "--pool: expected mean or tokens, got '%s'", optarg);
			tokens = !strcmp(optarg, "tokens");
			break;
		case O_UNTRAINED: untrained = true; break;
		case O_SEED:
			if (cli_int(optarg, 0, 0x7fffffffL, &seed))
				return cli_usage("pr", "--seed: expected a non-negative integer, got '%s'", optarg);
			break;
		case O_MAXSTEPS:
			if (cli_int(optarg, 1, 100000, &max_steps))
				return cli_usage("pr", "--max-steps: expected 1..100000, got '%s'", optarg);
			break;
		case O_BATCH:
			if (cli_int(optarg, 1, 4096, &batch))
				return cli_usage("pr", "--batch: expected 1..4096, got '%s'", optarg);
			break;
		case O_THREADS:
			if (cli_int(optarg, 1, 1024, &threads))
				return cli_usage("pr", "--threads: expected 1..1024, got '%s'", optarg);
			break;
		case 'h': fputs(pr_help, stdout); return EXIT_OK;
		default: return cli_usage("pr", "bad option");
		}
	}
	if (optind < argc)
		return cli_usage("pr", "unexpected argument '%s'", argv[optind]);
	if (!src.model || !data)
		return cli_usage("pr", "--model DIR and --data DIR are required");
	if (!tokens && n < 2)
		return cli_usage("pr", "--n: the per-puzzle mean needs at least 2 puzzles");
	hrm_set_threads((int)threads);
	char *cause = NULL, what[4200];
	struct dataset_split split;
	if (!dataset_name_ok(split_name))
		return cli_usage("pr", "--split: '%s' is not a split name", split_name);
	if (dataset_read_split(data, split_name, &split, &cause) != 0)
		return cli_fail(cause);
	snprintf(what, sizeof what, "%s/%s", data, split_name);
	struct hrm_model m, u;
	bool have_u = false;
	int rc = EXIT_OK;
	if (cli_load_model(&src, &m) != 0) {
		dataset_split_free(&split);
		return EXIT_RUNTIME;
	}
	int S = (int)split.meta.seq_len, d = m.cfg.hidden_size;
	struct pr_job j = { &split, what, n < split.num_examples ? n : (long)split.num_examples, 0, 0, tokens };
	j.M = max_steps ? (int)max_steps : m.cfg.halt_max_steps;
	j.B = batch < j.n ? (int)batch : (int)j.n;
	if (cli_check_model_fits(&m, (int)split.meta.vocab_size, S, 0, what, &cause) != 0) {
		rc = cli_fail(cause);
		goto out;
	}
	if (j.n < n)
		fprintf(stderr, "hrmscope pr: %s has only %ld examples: N = %ld\n", what, j.n, j.n);
	if (!tokens && j.n < 2) {
		rc = cli_fail(xstrdup("the per-puzzle mean needs at least 2 puzzles"));
		goto out;
	}
	double pr[2][2];
	bool gram[2];
	long samples[2];
	if (pr_model(&m, &j, pr[0], gram, samples, &cause) != 0) {
		rc = cli_fail(cause);
		goto out;
	}
	if (untrained) {
		if (hrm_model_alloc(&u, &m.cfg, &cause) != 0) {
			rc = cli_fail(cause);
			goto out;
		}
		have_u = true;
		hrm_model_init_random(&u, (uint64_t)seed);
		if (pr_model(&u, &j, pr[1], gram, samples, &cause) != 0) {
			rc = cli_fail(cause);
			goto out;
		}
	}
	printf("participation ratio PR = (tr C)^2 / ||C||_F^2 of the states after segment %d (the last)\n", j.M);
	printf("data: %s, N = %ld puzzles (the first %ld examples)\n", what, j.n, j.n);
	if (tokens)
		printf("pooling: tokens - every cell of every puzzle is a sample: %ld samples of dimension %d\n",
		       samples[0], d);
	else
		printf("pooling: mean - one sample per puzzle, its state averaged over the %d cells: %ld samples of "
		       "dimension %d (PR <= %ld)\n", S, samples[0], d, samples[0] - 1 < d ? samples[0] - 1 : (long)d);
	printf("route: %s\n\n", gram[0] ? "Gram matrix of the centred samples (samples <= d)" : "d x d covariance");
	printf("%-10s %-36s %10s %10s\n", "", "model", "PR z_H", "PR z_L");
	print_pr("trained", m.name, pr[0]);
	char uname[64];
	snprintf(uname, sizeof uname, "fresh init, seed %ld", seed);
	if (untrained)
		print_pr("untrained", uname, pr[1]);
	for (int k = 0; k < (untrained ? 2 : 1); k++)
		printf("hrmscope-pr model=%s n=%ld pooling=%s samples=%ld dim=%d segments=%d zH=%.17g zL=%.17g\n",
		       k ? "untrained" : "trained", j.n, tokens ? "tokens" : "mean", samples[0], d, j.M, pr[k][0],
		       pr[k][1]);
out:
	if (have_u)
		hrm_model_free(&u);
	hrm_model_free(&m);
	dataset_split_free(&split);
	return rc;
}
