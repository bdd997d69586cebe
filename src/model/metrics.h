/* metrics.h - the paper's metrics, scored one way for the trainer's
 * evaluation (train/evaluate.h) and `hrmscope eval`, with the official
 * semantics (ACTLossHead): per sequence, the cells whose label is not the
 * ignore label are scored; a sequence is exact when every scored cell is
 * right; a sequence without a scored cell is left out of the metrics.
 * Every row runs all M segments (max-steps halting, the official
 * evaluation); adaptive halting, the first segment where the caller's halt
 * rule fires, is scored from the same run. */
#ifndef HRM_MODEL_METRICS_H
#define HRM_MODEL_METRICS_H

#include <stdbool.h>
#include <stdint.h>

/* One sequence's answer against its label. */
struct hrm_score {
	int scored, right; /* cells scored, and right among them */
	double acc;        /* right / max(scored, 1) */
	bool exact;        /* right == scored */
};
/* Cells whose label is `ignore` (when has_ignore) are not scored. */
void hrm_score_row(const int32_t *pred, const int32_t *label, int S, bool has_ignore, int32_t ignore,
		   struct hrm_score *o);

#define HRM_METRICS_MAX_SEGMENTS 1024
enum { HRM_HALT_MAX, HRM_HALT_ADAPTIVE }; /* the two halting rules, as indices */

/* Sums over the scored sequences. */
struct hrm_metrics {
	int M;                                   /* segments every sequence runs */
	long valid;                              /* sequences scored (with a scored cell) */
	long exact[2], q_halt[2];                /* exact; (q_halt >= 0) == exact */
	double acc[2], steps[2];                 /* token accuracy; segments used */
	long exact_at[HRM_METRICS_MAX_SEGMENTS]; /* exact after segment s + 1 */
	double acc_at[HRM_METRICS_MAX_SEGMENTS]; /* token accuracy after segment s + 1 */
	long used_at[HRM_METRICS_MAX_SEGMENTS];  /* adaptive halting stopped after segment s + 1 */
};

/* Clears the sums for runs of M segments (1..HRM_METRICS_MAX_SEGMENTS). */
void hrm_metrics_init(struct hrm_metrics *mt, int M);
/* Scores one sequence's answer after segment seg (0-based, < M) against
 * its label (the ignore label HRM_IGNORE_LABEL_ID, as labels_prepare
 * leaves it).  q_halt: the segment's halt logit; halts: adaptive halting
 * stops here (the caller's rule); *stopped: it already stopped in this run
 * (false at the start of a run; set here).  The last segment counts for
 * max-steps halting and, if not stopped before, for adaptive halting.
 * Returns false (adding nothing) when the label has no scored cell; sc (may
 * be NULL) receives the score. */
bool hrm_metrics_add(struct hrm_metrics *mt, int seg, const int32_t *pred, const int32_t *label, int S, float q_halt,
		     bool halts, bool *stopped, struct hrm_score *sc);

#endif
