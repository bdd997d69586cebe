/* history.h - every position of a run, kept so the user can scrub it.
 *
 * A position is the state after some number of module calls: position 0 is
 * the reset state, position p the state after p calls.  A segment has
 * K = H_cycles * (L_cycles + 1) calls, so position s*K is the end of
 * segment s (1-based) and the start of segment s+1.  For each position the
 * history keeps what the views need (residuals, norms, lm_head of z_H and
 * of z_L, pooled states for the PR, and at segment ends the heads); the
 * states themselves are kept only at segment starts (the worker's
 * checkpoints), from which any position is recomputed exactly.
 *
 * The worker appends; the UI reads.  Both hold the worker's lock. */
#ifndef HRM_UI_HISTORY_H
#define HRM_UI_HISTORY_H

#include <stdbool.h>
#include <stdint.h>

enum hist_kind { HIST_RESET, HIST_L, HIST_H };

struct hist_pos {
	enum hist_kind kind;
	int segment, h_cycle, l_step; /* of the step just done (0-based) */
	double res[3];                /* abs L2, relative, per-token RMS of the updated state */
	double norm_zH, norm_zL;
	double ms;                /* time the step took */
	float *logits_zH;         /* [S][V] lm_head(z_H) */
	float *logits_zL;         /* [S][V] lm_head(z_L) */
	float *probe;             /* [S][V] lm_head(H_level(z_H, z_L)), NULL until asked for */
	float *pool_zH, *pool_zL; /* [d] mean over positions, for the PR */
	/* H-steps (segment ends too): the answer lm_head(z_H) scored */
	int scored, right; /* cells with a label, and right ones (scored 0: no label) */
	bool exact;
	/* segment end only */
	bool seg_end;
	float q_halt, q_continue;
	bool halt_max, halt_adaptive;
	double seg_rel[2];   /* z_H, z_L: relative change over the whole segment */
	int cells_changed;   /* vs the previous segment's answer (the first: the input) */
	bool answer_changed; /* always true for the first segment */
};

struct history {
	uint64_t gen; /* which puzzle load it belongs to */
	int S, V, d;
	int Lc, Hc, K, M; /* L_cycles, H_cycles, calls per segment, max segments */
	int n, cap;
	struct hist_pos *pos;
};

/* Clears h (which must be zeroed or initialised) and sets its sizes. */
void history_init(struct history *h, int S, int V, int d, int Lc, int Hc, int M);
void history_clear(struct history *h);
void history_free(struct history *h);
/* Appends a copy of src (its arrays are copied; probe may be NULL). */
void history_append(struct history *h, const struct hist_pos *src);
/* The last position reachable: M segments. */
int history_max_pos(const struct history *h);
/* Has the run halted at position p (of the n computed) under the rule:
 * adaptive (q_halt > q_continue) or max-steps?  The last position always. */
bool history_halted_at(const struct history *h, int n, int p, bool adaptive);

/* Where a position sits: the next step to run from it (0-based segment,
 * H cycle, L step; l == Lc means the H-step is next). */
struct hist_cursor {
	int segment, h_cycle, l_step;
	bool done; /* all M segments run */
};
struct hist_cursor history_cursor(const struct history *h, int p);

/* The percent of scored cells right at a position, rounded down (so 100
 * only when every cell is right): the one rounding the halting panel and
 * the caption share.  -1 when nothing is scored. */
int history_pct_right(const struct hist_pos *hp);

/* argmax of a [V] row. */
int history_argmax(const float *row, int V);

/* The fixed-point and critical-step tracker (src/analysis/fixedpoint.h) run over
 * positions 1..upto (clamped to what is computed); still[s] (may be NULL,
 * h->M entries) receives each segment's verdict.  Returns the number of
 * segments seen. */
struct fp_track;
int history_fixed_point(const struct history *h, int upto, double tol, struct fp_track *out, bool *still);

#endif
