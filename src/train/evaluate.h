/* evaluate.h - the paper's metrics on a set of samples, official semantics:
 * every puzzle runs all M segments (max-steps halting); adaptive halting
 * (stop at the first q_halt > q_continue) is scored from the same run. */
#ifndef HRM_EVALUATE_H
#define HRM_EVALUATE_H

#include "model/hrm.h"
#include "train/samples.h"

#define EVAL_MAX_SEGMENTS 64

struct eval_result {
	int n;                                   /* puzzles evaluated */
	int segments;                            /* M */
	int exact_at[EVAL_MAX_SEGMENTS];         /* exactly right after segment s+1 */
	double token_acc_at[EVAL_MAX_SEGMENTS];  /* sum of token accuracy after segment s+1 */
	int exact;                               /* after all M segments (the official metric) */
	double token_acc;                        /* sum, after M */
	int q_halt_correct;                      /* (q_halt >= 0) == exact, at M */
	int adaptive_exact;                      /* exact at the segment adaptive halting stops */
	double adaptive_steps;                   /* sum of segments adaptive halting uses */
};

/* Evaluate samples [0, n) of src (with its fixed seed) in batches of B. */
int evaluate(const struct hrm_model *m, struct sample_source *src, uint64_t seed, int n, int B, int M,
	     struct eval_result *out, char **cause);

#endif
