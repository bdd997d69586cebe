/* cmd_run.c - `hrmscope run`: solve one puzzle and show how the answer
 * developed over the segments. */
#include "cli/cli.h"
#include "cli/cli_puzzle.h"
#include "io/model_fit.h"
#include "cli/options.h"
#include "model/metrics.h"
#include "model/engine.h"
#include "analysis/fixedpoint.h"
#include "core/util.h"
#include "puzzles/puzzle.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char run_help[] =
	"usage: hrmscope run (--model DIR | --arch FILE.yaml [--seed K]) --puzzle SPEC\n"
	"                    [--max-steps M] [--adaptive] [--dtype fp32|bf16] [--threads N] [--no-grid]\n"
	"                    [--fp-tol X]\n"
	"\n"
	"Solve one puzzle and print, per segment, q_halt and q_continue, the cells that\n"
	"changed, the token accuracy and the exact/valid verdicts; then the grids (input,\n"
	"answer, label if known, wrong cells marked X), the segment from which the answer\n"
	"stopped changing and the first segment at which it was valid and exact.\n"
	"Fixed points: per segment the relative change of z_H and z_L over the whole segment\n"
	"(||z(end) - z(start)|| / ||z(start)||) and whether it was still (the answer unchanged\n"
	"and both changes <= the tolerance); then the segment at which the trajectory entered a\n"
	"fixed point (every later segment still) and whether its answer is right, and the\n"
	"critical step: the first segment (and H-step inside it) after which the answer is\n"
	"exactly right and stays right.\n"
	"\n"
	"  --model DIR      a checkpoint directory (all_config.yaml beside it)\n"
	"  --arch FILE      or a random model of this architecture sized for the puzzle\n"
	"  --puzzle SPEC    FILE or FILE:INDEX (a maze/sudoku text file, an official CSV, a\n"
	"                   sudoku list, an ARC task .json; INDEX counts from 0), or a dataset\n"
	"                   folder DIR, DIR:SPLIT or DIR:SPLIT:INDEX (default split test, or train\n"
	"                   when DIR has no test split; example 0)\n"
	"  --max-steps M    segments to run (default: the model's halt_max_steps, as the official\n"
	"                   evaluation; a larger M keeps thinking past it)\n"
	"  --adaptive       stop at the first segment where q_halt > q_continue (the training rule)\n"
	"  --dtype D        the arithmetic: fp32 (default) or bf16, as the official code computes\n"
	"                   (forward_dtype: bfloat16); float32 and bfloat16 are accepted too\n"
	"  --threads N      BLAS threads (default 2)\n"
	"  --no-grid        leave out the grids\n"
	"  --fp-tol X       fixed-point tolerance on the relative state change (default 0.01)\n"
	"\n"
	"A valid answer: maze, a shortest S-to-G path that keeps the maze; sudoku, a complete\n"
	"grid keeping the givens and the rules; ARC, the cropped answer equals the label.\n";

struct run_log {
	const struct hrm_config *cfg;
	int S, n;          /* segments run */
	int32_t *pred;     /* [M][S] */
	float *qh, *qc;    /* [M] */
	struct hrm_score *score;
	int *valid;        /* [M]: 1, 0, -1 unknown */
	int *changed;      /* [M]: vs the previous segment (the input for the first) */
	double *dzH, *dzL; /* [M]: relative change of the state over the segment */
	bool *still;       /* [M] */
	struct fp_tracker fp;
};

/* The segment readouts of row 0 (the tracker has already seen the event). */
static void on_segment(const struct hrm_event *ev, void *user)
{
	struct run_log *L = user;
	if (ev->kind != HRM_EV_SEGMENT_END)
		return;
	L->dzH[L->n] = ev->seg_dzH[0].rel;
	L->dzL[L->n] = ev->seg_dzL[0].rel;
	L->still[L->n] = L->fp.still[0];
}

static const char *yn(int v)
{
	return v < 0 ? "?" : v ? "yes" : "no";
}

static void print_table(const struct cli_puzzle *cp, const struct run_log *L)
{
	bool lab = cp->p.has_label;
	/* "q says halt": the adaptive rule's verdict (q_halt > q_continue; TRM's
	 * no_ACT_continue: q_halt > 0), which a max-steps run does not follow */
	printf("segment    q_halt  q_continue  q says halt  changed  token_acc  exact  valid   dz_H rel   dz_L rel  still\n");
	for (int s = 0; s < L->n; s++) {
		char acc[16];
		if (lab)
			snprintf(acc, sizeof acc, "%.4f", L->score[s].acc);
		else
			snprintf(acc, sizeof acc, "-");
		printf("%7d  %+8.4f  %+10.4f%s %-11s  %7d  %9s  %-5s  %-5s  %9.3e  %9.3e  %s\n", s + 1, (double)L->qh[s],
		       (double)L->qc[s], hrm_q_continue_used(L->cfg) ? " " : "*",
		       hrm_halts_adaptive(L->cfg, L->qh[s], L->qc[s]) ? "yes" : "no", L->changed[s], acc,
		       lab ? yn(L->score[s].exact) : "-", yn(L->valid[s]), L->dzH[s], L->dzL[s], L->still[s] ? "yes" : "no");
	}
	if (!hrm_q_continue_used(L->cfg))
		printf("(* q_continue: computed, unused; the model halts on q_halt > 0)\n");
}

/* The grids: input, answer, label and the wrong cells. */
static void print_grids(const struct cli_puzzle *cp, const int32_t *answer)
{
	int S = cp->p.seq_len;
	bool *vw = xcalloc((size_t)S, sizeof *vw);
	char *marks = xmalloc((size_t)S);
	cli_validate(cp, answer, vw, NULL, 0);
	for (int i = 0; i < S; i++) {
		bool scored = !(cp->has_ignore && cp->p.label[i] == cp->ignore_label);
		if (cp->p.has_label && scored && answer[i] != cp->p.label[i])
			marks[i] = 'X';
		else if (vw[i])
			marks[i] = cp->p.has_label ? '!' : 'X';
		else
			marks[i] = '.';
	}
	const char *titles[4] = { "input", "answer", cp->p.has_label ? "label" : "wrong", "wrong" };
	const int32_t *grids[4] = { cp->p.input, answer, cp->p.label, NULL };
	const char *mk[4] = { NULL, NULL, cp->p.has_label ? NULL : marks, marks };
	int n = cp->p.has_label ? 4 : 3;
	printf("\n");
	cli_print_panels(stdout, cp, n, titles, grids, mk);
	printf("(wrong: X = differs from the label%s, . = right)\n\n",
	       cp->p.has_label ? ", ! = matches the label but the validator objects" : " or breaks a rule");
	free(vw);
	free(marks);
}

/* Fixed point and critical step, 1-based. */
static void print_fixed_point(const struct fp_track *f, int n, double tol)
{
	int e = fp_track_entered(f);
	if (e >= 0)
		printf("fixed point: entered at segment %d (%s); still in segments %d-%d (tolerance %g)\n", e + 1,
		       fp_verdict_name(fp_track_verdict(f)), e + 2, n, tol);
	else
		printf("fixed point: none in %d segment%s (tolerance %g)%s\n", n, n == 1 ? "" : "s", tol,
		       f->left ? "; the trajectory was still and moved on again" : "");
	if (f->crit_seg >= 0 && f->crit_h >= 0)
		printf("critical step: segment %d, H-step %d (exactly right from there on)\n", f->crit_seg + 1,
		       f->crit_h + 1);
	else if (f->crit_seg >= 0)
		printf("critical step: segment %d (exactly right from there on)\n", f->crit_seg + 1);
	else
		printf("critical step: %s\n", f->last_exact < 0 ? "? (no label)" : "never (the last answer is wrong)");
}

static void print_verdicts(const struct cli_puzzle *cp, const struct run_log *L)
{
	int last = L->n - 1, S = L->S;
	const int32_t *answer = L->pred + (size_t)last * S;
	char detail[200];
	int v = cli_validate(cp, answer, NULL, detail, sizeof detail);
	if (cp->p.has_label) {
		const struct hrm_score *sc = &L->score[last];
		printf("exact: %s (%d of %d labelled cells wrong)\n", yn(sc->exact), sc->scored - sc->right, sc->scored);
	} else {
		printf("exact: ? (no label)\n");
	}
	printf("valid: %s (%s)\n", yn(v), detail);
	/* the answer is stable from the first segment after which it never changed */
	int stable = last;
	while (stable > 0 && L->changed[stable] == 0)
		stable--;
	printf("answer stopped changing: segment %d", stable + 1);
	if (L->n > 1 && stable == last)
		printf(" (it still changed in the last segment)");
	printf("\n");
	int first_valid = -1, first_exact = -1;
	for (int s = 0; s < L->n; s++) {
		if (first_valid < 0 && L->valid[s] == 1)
			first_valid = s;
		if (first_exact < 0 && cp->p.has_label && L->score[s].exact)
			first_exact = s;
	}
	if (first_valid >= 0)
		printf("first valid: segment %d\n", first_valid + 1);
	else
		printf("first valid: %s\n", v < 0 ? "?" : "never");
	if (first_exact >= 0)
		printf("first exact: segment %d\n", first_exact + 1);
	else
		printf("first exact: %s\n", cp->p.has_label ? "never" : "?");
	print_fixed_point(&L->fp.rows[0], L->n, L->fp.tol);
}

static int run_puzzle(struct hrm_model *m, const struct cli_puzzle *cp, int M, bool adaptive, bool grid, double tol,
		      enum hrm_dtype dt)
{
	char *cause = NULL;
	int S = cp->p.seq_len, M_model = m->cfg.halt_max_steps;
	struct hrm_engine *e = hrm_engine_new_dtype(m, 1, S, dt, &cause);
	if (e == NULL)
		return cli_fail(cause);
	if (hrm_engine_set_inputs(e, cp->p.input, &cp->pid, &cause) != 0) {
		hrm_engine_free(e);
		return cli_fail(cause);
	}
	struct run_log L = { .cfg = &m->cfg, .S = S };
	L.pred = xmalloc((size_t)M * S * sizeof *L.pred);
	L.qh = xmalloc((size_t)M * sizeof *L.qh);
	L.qc = xmalloc((size_t)M * sizeof *L.qc);
	L.score = xcalloc((size_t)M, sizeof *L.score);
	L.valid = xmalloc((size_t)M * sizeof *L.valid);
	L.changed = xmalloc((size_t)M * sizeof *L.changed);
	L.dzH = xmalloc((size_t)M * sizeof *L.dzH);
	L.dzL = xmalloc((size_t)M * sizeof *L.dzL);
	L.still = xmalloc((size_t)M * sizeof *L.still);
	fp_tracker_init(&L.fp, 1, S, tol);
	fp_tracker_set_labels(&L.fp, cp->p.has_label ? cp->p.label : NULL, cp->has_ignore, cp->ignore_label);
	hrm_engine_add_observer(e, fp_tracker_observe, &L.fp);
	hrm_engine_add_observer(e, on_segment, &L);
	hrm_engine_reset(e, -1);
	int halted_at = -1;
	for (int s = 0; s < M; s++) {
		hrm_engine_step(e, HRM_GRAIN_SEGMENT);
		int32_t *pr = L.pred + (size_t)s * S;
		memcpy(pr, hrm_engine_pred(e), (size_t)S * sizeof *pr);
		L.qh[s] = hrm_engine_q(e)[0];
		L.qc[s] = hrm_engine_q(e)[1];
		L.changed[s] = cli_changed(pr, s > 0 ? pr - S : cp->p.input, S);
		hrm_score_row(pr, cp->p.label, S, cp->has_ignore, cp->ignore_label, &L.score[s]);
		L.valid[s] = cli_validate(cp, pr, NULL, NULL, 0);
		L.n = s + 1;
		/* the official rule: never before segment 1 ends, only when M > 1 */
		if (adaptive && M_model > 1 && hrm_halts_adaptive(&m->cfg, L.qh[s], L.qc[s])) {
			halted_at = s;
			break;
		}
	}
	if (adaptive && halted_at >= 0)
		printf("halting: adaptive, %s after segment %d (at most %d)\n", hrm_halt_rule(&m->cfg), halted_at + 1, M);
	else if (adaptive)
		printf("halting: adaptive, no %s in %d segments\n", hrm_halt_rule(&m->cfg), M);
	else
		printf("halting: max-steps, %d segment%s%s\n", M, M == 1 ? "" : "s",
		       M > M_model ? " (past the model's halt_max_steps)" : M < M_model ? " (fewer than halt_max_steps)" : "");
	printf("segments used: %d\n\n", L.n);
	print_table(cp, &L);
	if (grid)
		print_grids(cp, L.pred + (size_t)(L.n - 1) * S);
	else
		printf("\n");
	print_verdicts(cp, &L);
	free(L.pred);
	free(L.qh);
	free(L.qc);
	free(L.score);
	free(L.valid);
	free(L.changed);
	free(L.dzH);
	free(L.dzL);
	free(L.still);
	fp_tracker_free(&L.fp);
	hrm_engine_free(e);
	return EXIT_OK;
}

enum { O_MAXSTEPS = 256, O_ADAPTIVE, O_NOGRID };

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_OPTION_MODEL, CLI_OPTION_ARCH, CLI_OPTION_SEED, CLI_OPTION_PUZZLE,
		{ "max-steps", required_argument, NULL, O_MAXSTEPS }, { "adaptive", no_argument, NULL, O_ADAPTIVE },
		CLI_OPTION_THREADS, { "no-grid", no_argument, NULL, O_NOGRID },
		CLI_OPTION_FP_TOL, CLI_OPTION_DTYPE, { "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 },
	};
	struct cli_common co;
	long max_steps = 0;
	bool adaptive = false, grid = true;
	int c, rc = 0;
	cli_common_init(&co, "run");
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_MAXSTEPS: rc = cli_opt_int("run", "--max-steps", optarg, 1, 100000, &max_steps); break;
		case O_ADAPTIVE: adaptive = true; break;
		case O_NOGRID: grid = false; break;
		case 'h': fputs(run_help, stdout); return EXIT_OK;
		default: rc = cli_common_opt(&co, c, optarg);
		}
		if (rc != 0)
			return rc;
	}
	struct model_source src = co.src;
	const char *spec = co.puzzle;
	if (optind < argc)
		return cli_usage("run", "unexpected argument '%s'", argv[optind]);
	if (!src.model == !src.arch)
		return cli_usage("run", "give either --model DIR or --arch FILE");
	if (spec == NULL)
		return cli_usage("run", "--puzzle is required");
	char *cause = NULL;
	struct cli_puzzle *cp = xmalloc(sizeof *cp);
	if (cli_puzzle_open(spec, cp, &cause) != 0) {
		free(cp);
		return cli_fail(cause);
	}
	src.vocab = cp->vocab;
	src.seq_len = cp->p.seq_len;
	src.puzzle_ids = cp->pid + 1;
	hrm_set_threads((int)co.threads);
	struct hrm_model m;
	if (cli_load_model(&src, &m) != 0) {
		free(cp);
		return EXIT_RUNTIME;
	}
	if (cli_puzzle_fit(&m, cp, &cause) != 0) {
		rc = cli_fail(cause);
	} else if ((rc = cli_use_dtype(&m, co.dtype)) == EXIT_OK) {
		const char *kind = cp->known_kind ? puzzle_ops_for(cp->p.kind)->name : "tokens";
		int M = max_steps ? (int)max_steps : m.cfg.halt_max_steps;
		char dt[128];
		char md[256];
		printf("model: %s, dtype %s\n", cli_model_desc(&m, md, sizeof md), cli_dtype_desc(co.dtype, dt, sizeof dt));
		cli_print_states(stdout, &m.cfg);
		char walled[64] = "";
		if (cp->walled_from)
			snprintf(walled, sizeof walled, ", a %dx%d maze walled in", cp->walled_from, cp->walled_from);
		printf("puzzle: %s (%s %dx%d%s, %d cells, puzzle id %d, %s)\n", cp->where, kind, cp->p.side,
		       cp->p.seq_len / (cp->p.side ? cp->p.side : 1), walled, cp->p.seq_len, cp->pid,
		       cp->p.has_label ? cp->label_solved ? "label from the solver" : "label known" : "no label");
		fflush(stdout);
		rc = run_puzzle(&m, cp, M, adaptive, grid, co.fp_tol, co.dtype);
	}
	hrm_model_free(&m);
	free(cp);
	return rc;
}

/* `hrmscope` with no arguments where there is no terminal (a pipe, CI): the
 * same embedded model and bundled maze, solved headless by `run`. */
int cmd_run_embedded(void)
{
	char model_dir[PATH_MAX], maze[PATH_MAX];
	if (!cli_find_data("models/maze/all_config.yaml", model_dir, sizeof model_dir)) {
		fprintf(stderr, "hrmscope: the embedded maze model (models/maze/) is not installed; "
		                "see `hrmscope --help`\n");
		return EXIT_RUNTIME;
	}
	*strrchr(model_dir, '/') = '\0';
	struct hrm_model *m = xcalloc(1, sizeof *m);
	struct model_source ms = {.model = model_dir};
	if (cli_load_model(&ms, m) != 0) {
		free(m);
		return EXIT_RUNTIME;
	}
	int side = m->cfg.seq_len > 0 ? puzzle_side_of(m->cfg.seq_len) : 0;
	hrm_model_free(m);
	free(m);
	char rel[64];
	snprintf(rel, sizeof rel, "puzzles/examples/maze-%d.txt", side);
	if (side == 0 || !cli_find_data(rel, maze, sizeof maze)) {
		fprintf(stderr, "hrmscope: no bundled maze (%s) for the embedded model\n", rel);
		return EXIT_RUNTIME;
	}
	printf("hrmscope: not a terminal, so here is the embedded model solving %s as text.\n"
	       "Run `hrmscope` in a terminal for the step-by-step TUI.\n\n", rel);
	fflush(stdout);
	char a0[] = "run", a1[] = "--model", a3[] = "--puzzle"; /* argv is writable (-Wwrite-strings) */
	char *argv[] = { a0, a1, model_dir, a3, maze, NULL };
	return cmd_run(5, argv);
}
