/* cmd_trace.c - `hrmscope trace`: step a model and write one record per
 * L-step, H-step and segment (text, csv or jsonl), with step timings. */
#include "cli/cli.h"
#include "cli/cli_puzzle.h"
#include "io/model_fit.h"
#include "cli/options.h"
#include "model/metrics.h"
#include "model/engine.h"
#include "analysis/fixedpoint.h"
#include "analysis/states_rec.h"
#include "core/rng.h"
#include "core/util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char trace_help[] =
	"usage: hrmscope trace (--model DIR | --arch FILE.yaml --vocab V --seq-len S [--puzzle-ids N])\n"
	"                      [--puzzle SPEC] [--segments N] [--batch B] [--seed K] [--threads N]\n"
	"                      [--format text|csv|jsonl] [-o FILE] [--fp-tol X] [--dtype fp32|bf16]\n"
	"                      [--states FILE.npz [--states-every K] [--states-limit MB]]\n"
	"\n"
	"Run N segments on a puzzle (or on random tokens, seeded) and write one record per\n"
	"L-step, H-step and segment: residual of the updated state (abs L2, relative,\n"
	"per-element RMS), state norms, and per segment q_halt, q_continue, both halting\n"
	"decisions, the cells whose prediction changed (since the previous segment; the first\n"
	"segment: since the input) and, when the label is known, token accuracy and exact\n"
	"(H-steps too: of the answer lm_head(z_H) right after the H-step).  Segment records also\n"
	"carry the fixed-point readouts: the change of z_H and z_L over the whole segment (abs,\n"
	"relative), whether the answer changed, whether the segment was still (answer unchanged,\n"
	"both relative changes <= the tolerance), the segment at which the trajectory entered a\n"
	"fixed point and the critical step (segment, H cycle) as known after this segment.\n"
	"Segments and cycles count from 0 in the records.  Every record names the arithmetic\n"
	"(a dtype column, a \"dtype\" key; a text trace says it on its first line).\n"
	"Ends with the measured time per L-step, H-step and segment.\n"
	"\n"
	"  --model DIR      a checkpoint directory (all_config.yaml beside it)\n"
	"  --arch FILE      or a random model of this architecture (see hrmscope init)\n"
	"  --puzzle SPEC    FILE[:INDEX] or DATASET[:SPLIT[:INDEX]] as for hrmscope run\n"
	"                   (with --arch, --vocab and --seq-len then come from the puzzle)\n"
	"  --segments N     segments to run (default: the model's halt_max_steps)\n"
	"  --batch B        puzzles at once (default 1); records are for puzzle 0\n"
	"  --seq-len S      cells per puzzle (required for rope models given by --arch)\n"
	"  --threads N      BLAS threads (default 2)\n"
	"  --format F       text (default), csv or jsonl\n"
	"  -o FILE          write records to FILE instead of stdout\n"
	"  --fp-tol X       fixed-point tolerance on the relative state change (default 0.01)\n"
	"  --dtype D        the arithmetic: fp32 (default) or bf16, as the official code computes\n"
	"                   (forward_dtype: bfloat16); float32 and bfloat16 are accepted too\n"
	"  --states FILE    also write z_H and z_L after every step, with the step table, as a\n"
	"                   numpy .npz (np.load reads it; the arrays are listed in the README);\n"
	"                   the size it will have is printed first\n"
	"  --states-every K keep the states of every K-th step only (K = L_cycles + 1: the H-steps)\n"
	"  --states-limit MB  refuse a states file larger than this (default 1024); the states are\n"
	"                   held in memory until the end\n";

enum fmt { FMT_TEXT, FMT_CSV, FMT_JSONL };

struct tracer {
	FILE *f;
	enum fmt fmt;
	const struct cli_puzzle *cp; /* NULL: random tokens */
	const int32_t *tokens;       /* row 0's input */
	int S;
	const char *dtype;           /* "fp32" or "bf16", on every record */
	struct fp_tracker fp;        /* runs before this observer */
	struct timespec last;
	double ms_l, ms_h;
	int n_l, n_h;
};

static double elapsed_ms(struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double ms = (double)(now.tv_sec - since->tv_sec) * 1e3 + (double)(now.tv_nsec - since->tv_nsec) / 1e6;
	*since = now;
	return ms;
}

/* "" or the number, and "null" or the number, for an index that may be -1 */
static void opt_int(int v, char *csv, char *json, size_t len)
{
	snprintf(csv, len, v >= 0 ? "%d" : "", v);
	snprintf(json, len, v >= 0 ? "%d" : "null", v);
}

static void segment_record(struct tracer *t, const struct hrm_event *ev)
{
	const struct fp_track *f = &t->fp.rows[0];
	const struct hrm_residual *h = &ev->seg_dzH[0], *l = &ev->seg_dzL[0];
	bool ch = ev->answer_changed[0], still = t->fp.still[0];
	char cfp[16], jfp[16], cs[16], js[16], chh[16], jh[16];
	opt_int(fp_track_entered(f), cfp, jfp, sizeof cfp);
	opt_int(f->crit_seg, cs, js, sizeof cs);
	opt_int(f->crit_seg >= 0 ? f->crit_h : -1, chh, jh, sizeof chh);
	if (t->fmt == FMT_CSV)
		fprintf(t->f, ",%.9g,%.9g,%.9g,%.9g,%d,%d,%s,%s,%s,%s\n", h->abs_l2, h->rel, l->abs_l2, l->rel, ch, still, cfp,
			cs, chh, t->dtype);
	else if (t->fmt == FMT_JSONL)
		fprintf(t->f, ",\"seg_dzH_abs\":%.9g,\"seg_dzH_rel\":%.9g,\"seg_dzL_abs\":%.9g,\"seg_dzL_rel\":%.9g,"
			"\"answer_changed\":%s,\"still\":%s,\"fixed_point\":%s,\"critical_segment\":%s,"
			"\"critical_h\":%s,\"dtype\":\"%s\"}\n",
			h->abs_l2, h->rel, l->abs_l2, l->rel, ch ? "true" : "false", still ? "true" : "false", jfp, js, jh,
			t->dtype);
	else
		fprintf(t->f, "            segment dz_H abs %.4e rel %.4e  dz_L abs %.4e rel %.4e  answer %s%s\n",
			h->abs_l2, h->rel, l->abs_l2, l->rel, ch ? "changed" : "same", still ? "  still" : "");
}

/* The last lines of a text trace: the fixed point and the critical step. */
static void text_summary(struct tracer *t, int segments)
{
	const struct fp_track *f = &t->fp.rows[0];
	int e = fp_track_entered(f);
	if (e >= 0)
		fprintf(t->f, "fixed point: entered at segment %d (%s), tolerance %g\n", e,
			fp_verdict_name(fp_track_verdict(f)), t->fp.tol);
	else
		fprintf(t->f, "fixed point: none in %d segments, tolerance %g\n", segments, t->fp.tol);
	if (f->crit_seg >= 0)
		fprintf(t->f, "critical step: segment %d, H cycle %d\n", f->crit_seg, f->crit_h);
	else
		fprintf(t->f, "critical step: %s\n", f->last_exact < 0 ? "? (no label)" : "never (wrong at the end)");
}

static void on_event(const struct hrm_event *ev, void *user)
{
	struct tracer *t = user;
	double ms = elapsed_ms(&t->last);
	if (ev->kind == HRM_EV_RESET)
		return;
	bool lab = t->cp && t->cp->p.has_label;
	if (ev->kind == HRM_EV_SEGMENT_END) {
		const char *hm = ev->halt_max_steps[0] ? "halt" : "continue";
		const char *ha = ev->halt_adaptive[0] ? "halt" : "continue";
		int changed = ev->cells_changed[0];
		struct hrm_score sc = { 0 };
		char acc[32] = "", ex[8] = "", jacc[32] = "null", jex[8] = "null", tacc[48] = "";
		if (lab) {
			hrm_score_row(ev->pred, t->cp->p.label, t->S, t->cp->has_ignore, t->cp->ignore_label, &sc);
			snprintf(acc, sizeof acc, "%.9g", sc.acc);
			snprintf(ex, sizeof ex, "%d", sc.exact);
			snprintf(jacc, sizeof jacc, "%.9g", sc.acc);
			snprintf(jex, sizeof jex, "%s", sc.exact ? "true" : "false");
			snprintf(tacc, sizeof tacc, "  token_acc %.4f  exact %s", sc.acc, sc.exact ? "yes" : "no");
		}
		if (t->fmt == FMT_CSV)
			fprintf(t->f, "segment,%d,,,,,,,,%.9g,%.9g,%s,%s,%s,%s,%d", ev->segment, ev->q_halt[0],
				ev->q_continue[0], hm, ha, acc, ex, changed);
		else if (t->fmt == FMT_JSONL)
			fprintf(t->f, "{\"kind\":\"segment\",\"segment\":%d,\"q_halt\":%.9g,\"q_continue\":%.9g,"
				"\"halt_max_steps\":\"%s\",\"halt_adaptive\":\"%s\",\"token_acc\":%s,\"exact\":%s,"
				"\"changed\":%d",
				ev->segment, ev->q_halt[0], ev->q_continue[0], hm, ha, jacc, jex, changed);
		else
			fprintf(t->f, "segment %-3d end          q_halt %+.4f  q_continue %+.4f  max-steps: %s  adaptive: %s"
				"  changed %d%s\n",
				ev->segment, ev->q_halt[0], ev->q_continue[0], hm, ha, changed, tacc);
		segment_record(t, ev);
		return;
	}
	bool is_l = ev->kind == HRM_EV_L_STEP;
	if (is_l) {
		t->ms_l += ms;
		t->n_l++;
	} else {
		t->ms_h += ms;
		t->n_h++;
	}
	const struct hrm_residual *r = &ev->res[0];
	/* the answer right after an H-step, when the label is known */
	char acc[32] = "", ex[8] = "", jacc[32] = "null", jex[8] = "null";
	if (!is_l && lab) {
		struct hrm_score sc;
		hrm_score_row(ev->pred, t->cp->p.label, t->S, t->cp->has_ignore, t->cp->ignore_label, &sc);
		snprintf(acc, sizeof acc, "%.9g", sc.acc);
		snprintf(ex, sizeof ex, "%d", sc.exact);
		snprintf(jacc, sizeof jacc, "%.9g", sc.acc);
		snprintf(jex, sizeof jex, "%s", sc.exact ? "true" : "false");
	}
	if (t->fmt == FMT_CSV)
		fprintf(t->f, "%s,%d,%d,%d,%.9g,%.9g,%.9g,%.9g,%.9g,,,,,%s,%s,,,,,,,,,,,%s\n", is_l ? "L" : "H", ev->segment,
			ev->h_cycle, ev->l_step, r->abs_l2, r->rel, r->rms, ev->norm_zH[0], ev->norm_zL[0], acc, ex,
			t->dtype);
	else if (t->fmt == FMT_JSONL && is_l)
		fprintf(t->f, "{\"kind\":\"L\",\"segment\":%d,\"h_cycle\":%d,\"l_step\":%d,\"res_abs\":%.9g,"
			"\"res_rel\":%.9g,\"res_rms\":%.9g,\"norm_zH\":%.9g,\"norm_zL\":%.9g,\"ms\":%.3f,\"dtype\":\"%s\"}\n",
			ev->segment, ev->h_cycle, ev->l_step, r->abs_l2, r->rel, r->rms, ev->norm_zH[0], ev->norm_zL[0],
			ms, t->dtype);
	else if (t->fmt == FMT_JSONL)
		fprintf(t->f, "{\"kind\":\"H\",\"segment\":%d,\"h_cycle\":%d,\"l_step\":%d,\"res_abs\":%.9g,"
			"\"res_rel\":%.9g,\"res_rms\":%.9g,\"norm_zH\":%.9g,\"norm_zL\":%.9g,\"ms\":%.3f,"
			"\"token_acc\":%s,\"exact\":%s,\"dtype\":\"%s\"}\n",
			ev->segment, ev->h_cycle, ev->l_step, r->abs_l2, r->rel, r->rms, ev->norm_zH[0], ev->norm_zL[0],
			ms, jacc, jex, t->dtype);
	else if (is_l)
		fprintf(t->f, "segment %-3d H %d  L %d    dz_L abs %.4e  rel %.4e  rms %.4e   |z_L| %.3f  (%.1f ms)\n",
			ev->segment, ev->h_cycle, ev->l_step, r->abs_l2, r->rel, r->rms, ev->norm_zL[0], ms);
	else
		fprintf(t->f, "segment %-3d H %d  update dz_H abs %.4e  rel %.4e  rms %.4e   |z_H| %.3f  (%.1f ms)\n",
			ev->segment, ev->h_cycle, r->abs_l2, r->rel, r->rms, ev->norm_zH[0], ms);
}

struct trace_args {
	struct cli_common co; /* --model/--arch/--vocab/--seq-len/--puzzle-ids, --puzzle, --seed, --threads, --fp-tol */
	long segments, batch;
	const char *out;
	enum fmt fmt;
	const char *states;
	long states_every, states_limit_mb;
};

/* The options into a: -1 to go on, else the exit code (--help, a usage error). */
static int parse_trace(int argc, char **argv, struct trace_args *a)
{
	static const struct option opts[] = {
		CLI_OPTION_MODEL, CLI_OPTION_ARCH, CLI_OPTION_VOCAB, CLI_OPTION_SEQ_LEN, CLI_OPTION_PUZZLE_IDS,
		{ "segments", required_argument, NULL, 'n' }, { "batch", required_argument, NULL, 'b' }, CLI_OPTION_SEED,
		CLI_OPTION_THREADS, { "format", required_argument, NULL, 'f' }, { "out", required_argument, NULL, 'o' },
		CLI_OPTION_PUZZLE, CLI_OPTION_FP_TOL, CLI_OPTION_DTYPE, { "help", no_argument, NULL, 'h' },
		{ "states", required_argument, NULL, 1201 }, { "states-every", required_argument, NULL, 1202 },
		{ "states-limit", required_argument, NULL, 1203 }, { 0, 0, 0, 0 },
	};
	int c, rc = 0;
	cli_common_init(&a->co, "trace");
	a->segments = 0;
	a->batch = 1;
	a->out = NULL;
	a->fmt = FMT_TEXT;
	a->states = NULL;
	a->states_every = 1;
	a->states_limit_mb = 1024;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': rc = cli_opt_int("trace", "--segments", optarg, 1, 1 << 20, &a->segments); break;
		case 'b': rc = cli_opt_int("trace", "--batch", optarg, 1, 4096, &a->batch); break;
		case 'f':
			if (!strcmp(optarg, "text")) a->fmt = FMT_TEXT;
			else if (!strcmp(optarg, "csv")) a->fmt = FMT_CSV;
			else if (!strcmp(optarg, "jsonl")) a->fmt = FMT_JSONL;
			else return cli_usage("trace", "--format: expected text, csv or jsonl, got '%s'", optarg);
			break;
		case 'o': a->out = optarg; break;
		case 1201: a->states = optarg; break;
		case 1202: rc = cli_opt_int("trace", "--states-every", optarg, 1, 1 << 30, &a->states_every); break;
		case 1203: rc = cli_opt_int("trace", "--states-limit", optarg, 1, 1 << 30, &a->states_limit_mb); break;
		case 'h': fputs(trace_help, stdout); return EXIT_OK;
		default: rc = cli_common_opt(&a->co, c, optarg);
		}
		if (rc != 0)
			return rc;
	}
	if (optind < argc)
		return cli_usage("trace", "unexpected argument '%s'", argv[optind]);
	if (!a->co.src.model == !a->co.src.arch)
		return cli_usage("trace", "give either --model DIR or --arch FILE");
	if (!a->states && (a->states_every != 1 || a->states_limit_mb != 1024))
		return cli_usage("trace", "--states-every and --states-limit go with --states FILE");
	return -1;
}

/* The puzzle of --puzzle (*cpp, NULL without one) and the model, sized for
 * it when random: -1 to go on, else the exit code. */
static int trace_open(struct trace_args *a, struct cli_puzzle **cpp, struct hrm_model *m)
{
	struct model_source *src = &a->co.src;
	char *cause = NULL;
	struct cli_puzzle *cp = NULL;
	*cpp = NULL;
	if (a->co.puzzle) {
		cp = xmalloc(sizeof *cp);
		if (cli_puzzle_open(a->co.puzzle, cp, &cause) != 0) {
			free(cp);
			return cli_fail(cause);
		}
		if ((src->vocab && src->vocab != cp->vocab) || (src->seq_len && src->seq_len != cp->p.seq_len)) {
			free(cp);
			return cli_usage("trace", "--vocab/--seq-len disagree with the puzzle (leave them out)");
		}
		src->vocab = cp->vocab;
		src->seq_len = cp->p.seq_len;
		if (src->puzzle_ids <= cp->pid)
			src->puzzle_ids = cp->pid + 1;
	}
	if (src->arch && (!src->vocab || !src->seq_len)) {
		free(cp);
		return cli_usage("trace", "--arch needs --vocab and --seq-len (or --puzzle)");
	}
	hrm_set_threads((int)a->co.threads);
	if (cli_load_model(src, m) != 0) {
		free(cp);
		return EXIT_RUNTIME;
	}
	if (cp && cli_puzzle_fit(m, cp, &cause) != 0) {
		free(cp);
		hrm_model_free(m);
		return cli_fail(cause);
	}
	int rc = cli_use_dtype(m, a->co.dtype);
	if (rc != EXIT_OK) {
		free(cp);
		hrm_model_free(m);
		return rc;
	}
	*cpp = cp;
	return -1;
}

/* The batch's inputs: random tokens and puzzle ids drawn with the seed, or
 * the puzzle in every row. */
static void trace_inputs(const struct hrm_model *m, const struct cli_puzzle *cp, long batch, int S,
			 unsigned long long seed, int32_t *tokens, int32_t *ids)
{
	struct hrm_rng r;
	hrm_rng_seed(&r, seed + 1);
	for (long i = 0; i < batch * S; i++)
		tokens[i] = m->cfg.vocab_size > 1 ? 1 + (int32_t)hrm_rng_below(&r, (uint64_t)m->cfg.vocab_size - 1) : 0;
	for (long b = 0; b < batch; b++)
		ids[b] = m->cfg.num_puzzle_identifiers > 0 ? (int32_t)hrm_rng_below(&r, (uint64_t)m->cfg.num_puzzle_identifiers) : 0;
	if (cp) /* every row of the batch gets the puzzle */
		for (long b = 0; b < batch; b++) {
			memcpy(tokens + (size_t)b * S, cp->p.input, (size_t)S * sizeof *tokens);
			ids[b] = cp->pid;
		}
}

/* "... (at segment S of N)": how far the run went */
static int prefix_segment(char **cause, long s, long n)
{
	char *c = *cause;
	*cause = NULL;
	set_cause(cause, "%s (at segment %ld of %ld)", c, s + 1, n);
	free(c);
	return -1;
}

/* Runs the segments with the tracer observing; the records go to t->f. */
static int trace_steps(const struct trace_args *a, const struct hrm_model *m, struct hrm_engine *e, struct tracer *t,
		       const int32_t *tokens, const int32_t *ids, char **cause)
{
	if (hrm_engine_set_inputs(e, tokens, ids, cause) != 0)
		return -1;
	char dt[128];
	if (t->fmt == FMT_CSV)
		fprintf(t->f, "kind,segment,h_cycle,l_step,res_abs,res_rel,res_rms,norm_zH,norm_zL,q_halt,q_continue,halt_max_steps,halt_adaptive,"
			"token_acc,exact,changed,seg_dzH_abs,seg_dzH_rel,seg_dzL_abs,seg_dzL_rel,answer_changed,still,"
			"fixed_point,critical_segment,critical_h,dtype\n");
	else if (t->fmt == FMT_TEXT)
	{
		char md[256];
		fprintf(t->f, "model: %s, dtype %s\n", cli_model_desc(m, md, sizeof md),
			cli_dtype_desc(a->co.dtype, dt, sizeof dt));
		cli_print_states(t->f, &m->cfg);
	}
	hrm_engine_add_observer(e, fp_tracker_observe, &t->fp);
	hrm_engine_add_observer(e, on_event, t);
	hrm_engine_reset(e, -1);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	t->last = t0;
	/* a write that failed (a full disk) stops the run at the segment it happened in */
	for (long s = 0; s < a->segments; s++) {
		hrm_engine_step(e, HRM_GRAIN_SEGMENT);
		if (stream_check(t->f, a->out, cause) != 0)
			return prefix_segment(cause, s, a->segments);
	}
	double total = elapsed_ms(&t0);
	if (t->fmt == FMT_TEXT)
		text_summary(t, (int)a->segments);
	fprintf(stderr, "%s: B=%ld T=%d d=%d, %s, %ld threads: %.1f ms per L-step, %.1f ms per H-step, %.1f ms per "
		"segment\n", m->name, a->batch, hrm_engine_T(e), m->cfg.hidden_size, t->dtype, a->co.threads,
		t->n_l ? t->ms_l / t->n_l : 0.0,
		t->n_h ? t->ms_h / t->n_h : 0.0, total / (double)a->segments);
	return 0;
}

/* --states: the size said on stderr, refused past --states-limit, and the
 * recorder observing row 0 (*rec stays NULL without --states). */
static int states_open(const struct trace_args *a, const struct hrm_model *m, struct hrm_engine *e,
		       const struct cli_puzzle *cp, const int32_t *tokens, struct states_rec **rec)
{
	char *cause = NULL;
	if (a->states == NULL)
		return EXIT_OK;
	const struct hrm_config *c = &m->cfg;
	long steps = a->segments * c->H_cycles * (c->L_cycles + 1);
	int T = hrm_engine_T(e), S = hrm_engine_S(e), d = c->hidden_size;
	size_t bytes = states_rec_estimate(steps, (int)a->states_every, a->segments, T, d, S);
	double mb = (double)bytes / (1024.0 * 1024.0);
	fprintf(stderr, "hrmscope trace: %s: %ld of %ld steps' z_H and z_L (%d x %d each), about %.1f MB\n",
		a->states, steps / a->states_every, steps, T, d, mb);
	if (mb > (double)a->states_limit_mb) {
		set_cause(&cause, "%s: the states would take about %.0f MB, over the limit of %ld MB: thin them "
			  "with --states-every K or raise the limit with --states-limit MB", a->states, mb,
			  a->states_limit_mb);
		return cli_fail(cause);
	}
	*rec = states_rec_new(e, d, (int)a->states_every, steps, &cause);
	if (*rec == NULL) {
		prefix_cause(&cause, "%s", a->states);
		return cli_fail(cause);
	}
	states_rec_set_puzzle(*rec, tokens, cp != NULL && cp->p.has_label ? cp->p.label : NULL);
	hrm_engine_add_observer(e, states_rec_observe, *rec);
	return EXIT_OK;
}

int cmd_trace(int argc, char **argv)
{
	struct trace_args a;
	struct cli_puzzle *cp;
	struct hrm_model m;
	char *cause = NULL;
	int rc = parse_trace(argc, argv, &a);
	if (rc >= 0 || (rc = trace_open(&a, &cp, &m)) >= 0)
		return rc;
	int S = cp ? cp->p.seq_len : m.cfg.seq_len ? m.cfg.seq_len : (int)a.co.src.seq_len;
	if (S <= 0) {
		hrm_model_free(&m);
		return cli_usage("trace", "this model uses rope: give --seq-len S (or --puzzle)");
	}
	if (a.segments == 0)
		a.segments = m.cfg.halt_max_steps;
	struct hrm_engine *e = hrm_engine_new_dtype(&m, (int)a.batch, S, a.co.dtype, &cause);
	if (e == NULL) {
		if (cp == NULL) /* the size came from the options */
			prefix_cause(&cause, "--batch %ld x --seq-len %d", a.batch, S);
		free(cp);
		hrm_model_free(&m);
		return cli_fail(cause);
	}
	int32_t *tokens = xmalloc((size_t)a.batch * S * sizeof *tokens), *ids = xcalloc((size_t)a.batch, sizeof *ids);
	trace_inputs(&m, cp, a.batch, S, a.co.src.seed, tokens, ids);
	struct tracer t = { .fmt = a.fmt, .cp = cp, .tokens = tokens, .S = S, .f = stdout,
			    .dtype = hrm_dtype_name(a.co.dtype) };
	fp_tracker_init(&t.fp, (int)a.batch, S, a.co.fp_tol);
	if (cp && cp->p.has_label) {
		int32_t *lab = xmalloc((size_t)a.batch * S * sizeof *lab);
		for (long b = 0; b < a.batch; b++)
			memcpy(lab + (size_t)b * S, cp->p.label, (size_t)S * sizeof *lab);
		fp_tracker_set_labels(&t.fp, lab, cp->has_ignore, cp->ignore_label);
		free(lab);
	}
	struct states_rec *rec = NULL;
	rc = states_open(&a, &m, e, cp, tokens, &rec);
	struct atomic_file af = { 0 };
	if (rc != EXIT_OK) {
	} else if (a.out && atomic_open(&af, a.out, &cause) != 0) {
		rc = cli_fail(cause);
	} else {
		if (a.out) {
			t.f = af.f;
			atomic_remove_on_signals(&af);
		}
		if (trace_steps(&a, &m, e, &t, tokens, ids, &cause) == 0) {
		} else if (a.out == NULL && ferror(stdout)) {
			free(cause); /* main's close_stdout says it once, as for every command */
			rc = EXIT_RUNTIME;
		} else {
			rc = cli_fail(cause);
		}
	}
	if (rec != NULL && rc == EXIT_OK && states_rec_write(rec, a.states, &cause) != 0)
		rc = cli_fail(cause);
	/* the trace file appears whole, and only for a complete run */
	if (af.f != NULL && rc == EXIT_OK && atomic_commit(&af, &cause) != 0)
		rc = cli_fail(cause);
	states_rec_free(rec);
	atomic_abort(&af);
	free(tokens);
	free(ids);
	fp_tracker_free(&t.fp);
	free(cp);
	hrm_engine_free(e);
	hrm_model_free(&m);
	return rc;
}
