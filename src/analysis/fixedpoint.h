/* fixedpoint.h - has the trajectory settled, and when did the answer become
 * right?  Two readouts per puzzle, made from the engine's events (or fed by
 * hand, as the tests do).
 *
 * Fixed point.  HRM is built on the premise that the recurrence converges:
 * one more segment maps the state (z_H, z_L) onto itself.  A segment is
 * STILL when its answer equals the previous segment's and neither state
 * moved more than the tolerance over the whole segment:
 *
 *     ||z_H(end) - z_H(start)|| / ||z_H(start)|| <= tol,  the same for z_L.
 *
 * The first segment after a reset is never still (there is no earlier
 * answer).  The trajectory ENTERED a fixed point at segment e (0-based) when
 * every segment after e, up to the last one run, is still: the state after
 * segment e maps (nearly) onto itself from then on.  A run of still
 * segments that ends (the state moves on) is counted in `left`: the
 * fixed-point property held for a while and then broke.  The fixed point is
 * right when its answer (the last segment's; it has not changed since e) is
 * exactly the label.
 *
 * The tolerance, FP_TOL_DEFAULT = 0.01: every block ends in an RMSNorm
 * without weight, so each token's state has RMS 1 and ||z|| = sqrt(T d);
 * the relative change is then the per-element RMS change, and 0.01 means
 * the state moved by 1 % of its own scale over a whole segment (H_cycles x
 * (L_cycles + 1) module calls).  That is far above the fp32 floor (a
 * converged state still moves by rounding, 1e-7 to 1e-5: it always passes)
 * and well below the change of a segment that still reasons (the first
 * segment moves the state by about 1.4 from H_init/L_init, the next ones by
 * 0.1 or more while the answer changes).  Measured on the tiny fixture
 * model over 12 segments: 1.4, 0.1, 0.02, 0.006, 0.002, 4e-4, ... 2e-7, a
 * geometric fall of about 4x per segment, so 0.01 is crossed once the
 * trajectory has plainly begun to converge, not at the fp32 floor.  Because
 * the answer must also stay the same, a slow drift under 1 % that flips a
 * cell is not taken for a fixed point.  Commands take --fp-tol to use
 * another value.
 *
 * Critical step ("grokking" along the steps).  The first segment s after
 * which the answer is exactly right and stays right at every later segment
 * end that ran; inside it, the first H cycle h from which the answer after
 * each H-step (lm_head(z_H), which is the HRM-SPEC probe taken just before
 * that H-step) is exactly right up to the segment's end.  Needs the label. */
#ifndef HRM_FIXEDPOINT_H
#define HRM_FIXEDPOINT_H

#include "model/engine.h"

#include <stdbool.h>
#include <stdint.h>

#define FP_TOL_DEFAULT 0.01

/* One puzzle's trajectory since its reset. */
struct fp_track {
	int segments;    /* segment ends seen */
	int still_from;  /* first segment of the run of still segments that reaches the last one, -1 */
	int still_count; /* still segments in all */
	int left;        /* runs of still segments that ended: the state moved on */
	bool last_still;
	int last_exact;  /* the last segment's answer: 1 exact, 0 not, -1 no label */
	int crit_seg;    /* critical step: segment, -1 none */
	int crit_h;      /* and H cycle inside it, -1 unknown (no H-step answers fed) */
	int h_run;       /* running segment: first H cycle of the run of exact H-step answers, -1 */
};

void fp_track_reset(struct fp_track *f);
/* The answer after H-step h_cycle of the running segment: exact 1, 0, or -1 (no label). */
void fp_track_hstep(struct fp_track *f, int h_cycle, int exact);
/* The end of the next segment; returns whether it is still. */
bool fp_track_segment(struct fp_track *f, bool answer_changed, double rel_zH, double rel_zL, int exact, double tol);
/* The segment (0-based) whose end state is the fixed point, -1 if the last
 * segment was not still. */
int fp_track_entered(const struct fp_track *f);

enum fp_verdict { FP_MOVING, FP_RIGHT, FP_WRONG, FP_UNLABELLED };
enum fp_verdict fp_track_verdict(const struct fp_track *f);
/* "no fixed point", "right", "wrong", "label unknown" */
const char *fp_verdict_name(enum fp_verdict v);

/* Exact with the official semantics: cells whose label is `ignore` (when
 * has_ignore) are not scored. */
bool fp_exact(const int32_t *pred, const int32_t *label, int S, bool has_ignore, int32_t ignore);

/* The tracker for a batch: register fp_tracker_observe as an engine
 * observer with the tracker as user data.  Rows reset with the engine. */
struct fp_tracker {
	int B, S;
	double tol;
	struct fp_track *rows; /* [B] */
	bool *still;           /* [B] the last segment end's verdicts */
	int32_t *labels;       /* [B][S] raw labels, NULL when unknown */
	bool has_ignore;
	int32_t ignore;
};
void fp_tracker_init(struct fp_tracker *t, int B, int S, double tol);
void fp_tracker_free(struct fp_tracker *t);
/* labels [B][S] (copied) or NULL for unknown. */
void fp_tracker_set_labels(struct fp_tracker *t, const int32_t *labels, bool has_ignore, int32_t ignore);
void fp_tracker_observe(const struct hrm_event *ev, void *user);

#endif
