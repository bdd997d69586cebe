/* cmd_eval.c - `hrmscope eval`: the paper's metrics on a dataset split, for
 * max-steps halting (the official evaluation: every puzzle runs all M
 * segments) and for adaptive halting (the first segment with q_halt >
 * q_continue) from the same run; sharded, with a summary line per shard
 * that `hrmscope eval --merge` adds up. */
#include "cli/cli.h"
#include "cli/cli_puzzle.h"
#include "io/model_fit.h"
#include "io/dataset.h"
#include "model/engine.h"
#include "cli/eval_extra.h"
#include "cli/options.h"
#include "analysis/eval_summary.h"
#include "analysis/fixedpoint.h"
#include "model/loss.h"
#include "model/metrics.h"
#include "core/util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char eval_help[] =
	"usage: hrmscope eval --model DIR --data DIR [--split test] [--limit K] [--shard I/N]\n"
	"                     [--batch B] [--max-steps M] [--threads N] [--fp-tol X] [--dtype fp32|bf16]\n"
	"                     [--guesses K [--perturb KIND] [--noise SIGMA] [--seed S]]\n"
	"       hrmscope eval --merge FILE... ('-' reads stdin)\n"
	"\n"
	"The paper's metrics over the examples of a dataset split, as the official ACTLossHead\n"
	"counts them (examples with no labelled cell are left out): exact accuracy, token\n"
	"accuracy, q_halt accuracy ((q_halt >= 0) == exact) and mean segments, for max-steps\n"
	"halting (all M segments, the official evaluation) and adaptive halting (stop at the\n"
	"first q_halt > q_continue) from the same run; and the exact accuracy after each segment.\n"
	"Then where the trajectories end (a right fixed point, a wrong one, none: see hrmscope\n"
	"run), and two histograms side by side: the critical step (the segment after which the\n"
	"answer is exactly right and stays right) and the segments adaptive halting uses.\n"
	"With --guesses K every example also runs as K perturbed versions in one batch (see\n"
	"hrmscope guess) and the exact accuracy is given without the vote (the plain run) and\n"
	"with the majority and the q_halt-weighted vote.\n"
	"\n"
	"  --model DIR      a checkpoint directory\n"
	"  --data DIR       an official dataset folder\n"
	"  --split NAME     split to evaluate (default test)\n"
	"  --limit K        only the first K examples of the split\n"
	"  --shard I/N      only examples i (of the first K) with i % N == I\n"
	"  --batch B        puzzles at once (default 16)\n"
	"  --max-steps M    segments (default: the model's halt_max_steps)\n"
	"  --threads N      BLAS threads (default 2)\n"
	"  --fp-tol X       fixed-point tolerance on the relative state change (default 0.01)\n"
	"  --dtype D        the arithmetic: fp32 (default) or bf16, as the official code computes\n"
	"                   (forward_dtype: bfloat16); float32 and bfloat16 are accepted too; the\n"
	"                   summary line says dtype=bf16 (no dtype: fp32), and --merge adds up\n"
	"                   shards of one arithmetic only\n"
	"  --guesses K      K guesses per example (one batch of K per example: K times the work)\n"
	"  --perturb KIND   augment (default), dihedral, relabel, shuffle, colors or noise\n"
	"  --noise SIGMA    noise on the initial state of versions 1..K-1\n"
	"  --seed S         draws the perturbations (default 0)\n"
	"  --merge FILE...  add up the 'hrmscope-eval' summary lines of shards and print the total\n"
	"                   (a TRM's line says halt=q_halt>0, its adaptive rule; the shards must agree)\n"
	"\n"
	"A progress bar with rate and ETA goes to stderr when it is a terminal, plain progress\n"
	"lines otherwise. The last line of the output is the machine-readable summary.\n";

#define MAX_SEG HRM_METRICS_MAX_SEGMENTS

struct progress {
	bool tty;
	double t0, last;
	long total;
	int last_decile;
};

static void progress(struct progress *p, long done)
{
	double t = monotonic_s(), el = t - p->t0, rate = el > 0 ? (double)done / el : 0;
	double eta = rate > 0 ? (double)(p->total - done) / rate : 0;
	if (p->tty) {
		if (done < p->total && t - p->last < 0.2)
			return;
		int w = 30, fill = p->total ? (int)((double)w * (double)done / (double)p->total) : w;
		fprintf(stderr, "\r[%.*s%*s] %ld/%ld  %.1f/s  ETA %d:%02d\033[K", fill, "##############################",
			w - fill, "", done, p->total, rate, (int)eta / 60, (int)eta % 60);
		if (done == p->total)
			fprintf(stderr, "\n");
	} else {
		int dec = p->total ? (int)(10 * done / p->total) : 10;
		if (dec == p->last_decile && done < p->total)
			return;
		p->last_decile = dec;
		fprintf(stderr, "hrmscope eval: %ld/%ld examples, %.1f/s, ETA %.0f s\n", done, p->total, rate, eta);
	}
	p->last = t;
}

/* dtype: what the header says of the arithmetic (cli_dtype_desc); rule:
 * the adaptive halting rule in words (hrm_halt_rule) */
static void print_results(const struct eval_summary *s, const char *dtype, const char *rule)
{
	double v = s->mt.valid > 0 ? (double)s->mt.valid : 1;
	printf("evaluated %ld examples (%ld with a label), dtype %s\n", s->n, s->mt.valid, dtype);
	printf("halting               exact     token    q_halt  mean steps\n");
	for (int k = 0; k < 2; k++) {
		char name[32];
		snprintf(name, sizeof name, k ? "adaptive" : "max-steps (M = %d)", s->mt.M);
		printf("%-19s  %6.2f%%  %7.2f%%  %7.2f%%  %10.2f\n", name, 100.0 * (double)s->mt.exact[k] / v,
		       100.0 * s->mt.acc[k] / v, 100.0 * (double)s->mt.q_halt[k] / v, s->mt.steps[k] / v);
	}
	printf("exact after segment:");
	for (int i = 0; i < s->mt.M; i++)
		printf(" %d: %.2f%%", i + 1, 100.0 * (double)s->mt.exact_at[i] / v);
	printf("\n");
	printf("fixed point at the end (tolerance %g): right %.2f%%, wrong %.2f%%, none %.2f%%\n", s->fp_tol,
	       100.0 * (double)s->fp[0] / v, 100.0 * (double)s->fp[1] / v, 100.0 * (double)s->fp[2] / v);
	eval_extra_histograms(stdout, s->crit_at, s->mt.used_at, s->mt.M, s->mt.valid, rule);
	if (s->go.K > 0)
		eval_extra_print_guesses(stdout, &s->g, &s->go);
	char *line = eval_summary_format(s);
	printf("%s\n", line);
	free(line);
}

/* ---- the evaluation ---- */

struct eval_ctx {
	const struct hrm_model *m;
	const struct dataset_split *split;
	const char *data;
	int B, S, M;
	struct fp_tracker *fp; /* an observer of the engine */
};

/* Runs one batch of `rows` examples idx[0..rows-1] and adds to s. */
static int eval_batch(struct eval_ctx *c, struct hrm_engine *e, const int64_t *idx, int rows, int32_t *in, int32_t *lab,
		      int32_t *pid, bool *stopped, struct eval_summary *s, char **cause)
{
	int B = c->B, S = c->S, V = c->m->cfg.vocab_size;
	const struct dataset_meta *meta = &c->split->meta;
	for (int b = 0; b < B; b++) {
		struct dataset_example ex;
		int64_t i = idx[b < rows ? b : 0]; /* a short batch repeats its first row, unscored */
		dataset_get_example(c->split, i, &ex);
		memcpy(in + (size_t)b * S, ex.inputs, (size_t)S * sizeof *in);
		memcpy(lab + (size_t)b * S, ex.labels, (size_t)S * sizeof *lab);
		pid[b] = ex.puzzle_identifier;
		if (c->m->cfg.puzzle_emb_ndim > 0 && (pid[b] < 0 || pid[b] >= c->m->cfg.num_puzzle_identifiers))
			return set_cause(cause, "%s/%s example %lld: puzzle identifier %d but the model has %d", c->data,
					 c->split->name, (long long)i, pid[b], c->m->cfg.num_puzzle_identifiers);
	}
	if (labels_prepare(lab, (size_t)B * S, meta->has_ignore_label_id ? (int32_t)meta->ignore_label_id : -1, V,
			   cause) != 0)
		return prefix_cause(cause, "%s/%s", c->data, c->split->name);
	if (hrm_engine_set_inputs(e, in, pid, cause) != 0)
		return prefix_cause(cause, "%s/%s", c->data, c->split->name);
	fp_tracker_set_labels(c->fp, lab, true, HRM_IGNORE_LABEL_ID);
	memset(stopped, 0, (size_t)B * sizeof *stopped);
	hrm_engine_reset(e, -1);
	bool may_halt = c->m->cfg.halt_max_steps > 1;
	for (int seg = 0; seg < c->M; seg++) {
		hrm_engine_step(e, HRM_GRAIN_SEGMENT);
		const int32_t *pred = hrm_engine_pred(e);
		const float *q = hrm_engine_q(e);
		for (int b = 0; b < rows; b++) {
			size_t off = (size_t)b * S;
			bool halts = may_halt && q[2 * b] > q[2 * b + 1];
			if (hrm_metrics_add(&s->mt, seg, pred + off, lab + off, S, q[2 * b], halts, &stopped[b], NULL) &&
			    seg == c->M - 1) {
				const struct fp_track *f = &c->fp->rows[b];
				enum fp_verdict v = fp_track_verdict(f);
				s->crit_at[f->crit_seg >= 0 ? f->crit_seg : c->M]++;
				s->fp[v == FP_RIGHT ? 0 : v == FP_WRONG ? 1 : 2]++;
			}
		}
	}
	s->n += rows;
	return 0;
}

static int run_eval(const struct hrm_model *m, const char *data, const char *split_name, long limit, int batch, int M,
		    struct eval_summary *s, char **cause)
{
	struct dataset_split split;
	if (dataset_read_split(data, split_name, &split, cause) != 0)
		return -1;
	char what[4200];
	snprintf(what, sizeof what, "%s/%s", data, split_name);
	int S = (int)split.meta.seq_len;
	struct fit_query q = {.what = what, .vocab = (int)split.meta.vocab_size, .seq_len = S};
	if (model_fit(m, &q, FIT_EXACT, NULL, NULL, 0, cause) != 0) {
		dataset_split_free(&split);
		return -1;
	}
	s->total = split.num_examples < limit ? (long)split.num_examples : limit;
	long count = 0;
	int64_t *idx = xmalloc((size_t)(s->total > 0 ? s->total : 1) * sizeof *idx);
	for (long i = s->shard_i; i < s->total; i += s->shard_n)
		idx[count++] = i;
	if (count == 0) {
		free(idx);
		dataset_split_free(&split);
		return set_cause(cause, "%s: no examples in shard %ld/%ld of %ld", what, s->shard_i, s->shard_n, s->total);
	}
	int B = batch < count ? batch : (int)count;
	struct hrm_engine *e = hrm_engine_new_dtype(m, B, S, s->dtype, cause);
	if (e == NULL) {
		free(idx);
		dataset_split_free(&split);
		return -1;
	}
	char md[256];
	fprintf(stderr, "hrmscope eval: %s on %s: %ld of %ld examples (shard %ld/%ld), batch %d, %d segments, %s\n",
		cli_model_desc(m, md, sizeof md), what, count, s->total, s->shard_i, s->shard_n, B, M,
		hrm_dtype_name(s->dtype));
	int32_t *in = xmalloc((size_t)B * S * sizeof *in), *lab = xmalloc((size_t)B * S * sizeof *lab);
	int32_t *pid = xmalloc((size_t)B * sizeof *pid);
	bool *stopped = xmalloc((size_t)B * sizeof *stopped);
	struct fp_tracker fp;
	fp_tracker_init(&fp, B, S, s->fp_tol);
	hrm_engine_add_observer(e, fp_tracker_observe, &fp);
	struct eval_ctx c = { m, &split, data, B, S, M, &fp };
	struct progress pr = { .tty = isatty(STDERR_FILENO), .t0 = monotonic_s(), .total = count, .last_decile = 0 };
	int rc = 0;
	for (long start = 0; start < count && rc == 0; start += B) {
		int rows = count - start < B ? (int)(count - start) : B;
		rc = eval_batch(&c, e, idx + start, rows, in, lab, pid, stopped, s, cause);
		if (rc == 0)
			progress(&pr, start + rows);
	}
	if (rc == 0 && s->go.K > 0) {
		fprintf(stderr, "hrmscope eval: %d guesses per example (%s)\n", s->go.K, perturb_kind_name(s->go.kind));
		struct progress pg = { .tty = pr.tty, .t0 = monotonic_s(), .total = count, .last_decile = 0 };
		s->go.M = M;
		s->go.fp_tol = s->fp_tol;
		for (long i = 0; i < count && rc == 0; i++) {
			rc = eval_extra_guess(m, &split, data, idx[i], &s->go, &s->g, cause);
			if (rc == 0)
				progress(&pg, i + 1);
		}
	}
	fp_tracker_free(&fp);
	free(in);
	free(lab);
	free(pid);
	free(stopped);
	free(idx);
	hrm_engine_free(e);
	dataset_split_free(&split);
	return rc;
}

/* ---- merging shard summaries ---- */

/* The next line of f into buf (of EVAL_SUMMARY_MAX_LINE + 2 bytes), without
 * its newline: 1, 0 at the end, -1 when a summary line is longer than that
 * (other lines, of any length, are skipped in pieces). */
static int read_line(FILE *f, char *buf, bool *cut)
{
	size_t cap = EVAL_SUMMARY_MAX_LINE + 2;
	*cut = false;
	if (fgets(buf, (int)cap, f) == NULL)
		return 0;
	size_t len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n') {
		buf[len - 1] = '\0';
		return 1;
	}
	if (len < cap - 1) /* the last line, without a newline */
		return 1;
	*cut = true;
	int c;
	while ((c = getc(f)) != EOF && c != '\n')
		;
	return 1;
}

static int merge(int nfiles, char **files)
{
	struct eval_merge mg;
	struct eval_summary *s = xmalloc(sizeof *s);
	char *line = xmalloc(EVAL_SUMMARY_MAX_LINE + 2), *cause = NULL;
	int rc = 0;
	eval_merge_init(&mg);
	for (int f = 0; f < nfiles && rc == 0; f++) {
		const char *name = files[f];
		/* fopen, not fopen_regular: <(...) is a pipe */
		FILE *fp = strcmp(name, "-") ? fopen(name, "r") : stdin;
		long lineno = 0;
		bool cut;
		if (fp == NULL) {
			rc = set_cause(&cause, "%s: cannot open: %s", name, strerror(errno));
			break;
		}
		while (rc == 0 && read_line(fp, line, &cut) == 1) {
			lineno++;
			if (strncmp(line, "hrmscope-eval ", 14) != 0)
				continue;
			if (cut)
				rc = set_cause(&cause, "a summary line longer than %d bytes", EVAL_SUMMARY_MAX_LINE);
			else if (eval_summary_parse(line, s, &cause) == 0)
				rc = eval_merge_add(&mg, s, name, lineno, &cause);
			else
				rc = -1;
			if (rc != 0)
				prefix_cause(&cause, "%s:%ld", name, lineno);
		}
		if (rc == 0 && ferror(fp))
			rc = set_cause(&cause, "%s: read failed: %s", name, strerror(errno));
		if (fp != stdin)
			fclose(fp);
	}
	if (rc == 0)
		rc = eval_merge_finish(&mg, &cause);
	if (rc == 0) {
		printf("merged %ld shards\n", mg.found);
		print_results(&mg.tot, hrm_dtype_name(mg.tot.dtype), eval_summary_halt_rule(&mg.tot));
	}
	eval_merge_free(&mg);
	free(line);
	free(s);
	return rc == 0 ? EXIT_OK : cli_fail(cause);
}

enum { O_DATA = 256, O_SPLIT, O_LIMIT, O_SHARD, O_BATCH, O_MAXSTEPS, O_MERGE, O_GUESSES, O_PERTURB, O_NOISE };

int cmd_eval(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_OPTION_MODEL, { "data", required_argument, NULL, O_DATA },
		{ "split", required_argument, NULL, O_SPLIT }, { "limit", required_argument, NULL, O_LIMIT },
		{ "shard", required_argument, NULL, O_SHARD }, { "batch", required_argument, NULL, O_BATCH },
		{ "max-steps", required_argument, NULL, O_MAXSTEPS }, CLI_OPTION_THREADS,
		{ "merge", no_argument, NULL, O_MERGE }, CLI_OPTION_FP_TOL,
		{ "guesses", required_argument, NULL, O_GUESSES }, { "perturb", required_argument, NULL, O_PERTURB },
		{ "noise", required_argument, NULL, O_NOISE }, CLI_OPTION_SEED, CLI_OPTION_DTYPE,
		{ "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 },
	};
	struct cli_common co;
	const char *data = NULL, *split = "test";
	long limit = -1, batch = 16, max_steps = 0;
	struct eval_summary *s = xcalloc(1, sizeof *s);
	bool do_merge = false;
	int c, rc;
	s->shard_n = 1;
	s->go.kind = PERTURB_AUGMENT;
	long v;
	cli_common_init(&co, "eval");
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		rc = 0;
		switch (c) {
		case O_DATA: data = optarg; break;
		case O_SPLIT: split = optarg; break;
		case O_LIMIT: rc = cli_opt_int("eval", "--limit", optarg, 1, 1L << 40, &limit); break;
		case O_SHARD:
			if (cli_parse_shard(optarg, &s->shard_i, &s->shard_n))
				rc = cli_usage("eval", "--shard: expected I/N with 0 <= I < N, got '%s'", optarg);
			break;
		case O_BATCH: rc = cli_opt_int("eval", "--batch", optarg, 1, 4096, &batch); break;
		case O_MAXSTEPS: rc = cli_opt_int("eval", "--max-steps", optarg, 1, MAX_SEG, &max_steps); break;
		case O_MERGE: do_merge = true; break;
		case O_GUESSES:
			if ((rc = cli_opt_int("eval", "--guesses", optarg, 1, 4096, &v)) == 0)
				s->go.K = (int)v;
			break;
		case O_PERTURB:
			if (perturb_kind_parse(optarg, &s->go.kind))
				rc = cli_usage("eval", "--perturb: expected augment, dihedral, relabel, shuffle, colors or "
						       "noise, got '%s'", optarg);
			break;
		case O_NOISE: rc = cli_opt_double("eval", "--noise", optarg, 0, 100, &s->go.sigma); break;
		case 'h':
			fputs(eval_help, stdout);
			free(s);
			return EXIT_OK;
		default: rc = cli_common_opt(&co, c, optarg);
		}
		if (rc != 0) {
			free(s);
			return rc;
		}
	}
	struct model_source src = co.src;
	s->fp_tol = co.fp_tol;
	s->go.seed = (uint64_t)co.seed;
	s->dtype = s->go.dtype = co.dtype;
	if (do_merge) {
		free(s);
		if (optind >= argc)
			return cli_usage("eval", "--merge needs the files with the shards' output ('-' for stdin)");
		return merge(argc - optind, argv + optind);
	}
	rc = EXIT_OK;
	if (optind < argc)
		rc = cli_usage("eval", "unexpected argument '%s'", argv[optind]);
	else if (!src.model || !data)
		rc = cli_usage("eval", "--model DIR and --data DIR are required");
	if (rc != EXIT_OK) {
		free(s);
		return rc;
	}
	hrm_set_threads((int)co.threads);
	struct hrm_model m;
	if (cli_load_model(&src, &m) != 0) {
		free(s);
		return EXIT_RUNTIME;
	}
	char *cause = NULL, dt[128];
	s->mt.M = max_steps ? (int)max_steps : m.cfg.halt_max_steps;
	s->halt_q_only = !hrm_q_continue_used(&m.cfg);
	if (s->mt.M > MAX_SEG) {
		rc = cli_fail(xstrdup("the model's halt_max_steps is more than eval can run"));
	} else if ((rc = cli_use_dtype(&m, co.dtype)) != EXIT_OK) {
		/* said */
	} else if (run_eval(&m, data, split, limit > 0 ? limit : 1L << 62, (int)batch, s->mt.M, s, &cause) != 0) {
		rc = cli_fail(cause);
	} else {
		print_results(s, cli_dtype_desc(co.dtype, dt, sizeof dt), hrm_halt_rule(&m.cfg));
	}
	hrm_model_free(&m);
	free(s);
	return rc;
}
