/* evaluate.h - the paper's metrics on a set of samples, official semantics
 * (model/metrics.h): every puzzle runs all M segments (max-steps halting);
 * adaptive halting (stop at the first q_halt > q_continue, or at the
 * model's halt_max_steps) is scored from the same run. */
#ifndef HRM_EVALUATE_H
#define HRM_EVALUATE_H

#include "model/hrm.h"
#include "model/metrics.h"
#include "train/samples.h"

#define EVAL_MAX_SEGMENTS 64

/* Evaluate samples [0, n) of src (with its fixed seed) in batches of B,
 * M segments each (at most EVAL_MAX_SEGMENTS), in dt's arithmetic (bf16:
 * m->bf16 prepared); out->valid counts the samples scored. */
int evaluate(const struct hrm_model *m, enum hrm_dtype dt, struct sample_source *src, uint64_t seed, int n, int B,
	     int M, struct hrm_metrics *out, char **cause);
/* The same on samples [first, first + n): one rank's share of a set. */
int evaluate_from(const struct hrm_model *m, enum hrm_dtype dt, struct sample_source *src, uint64_t seed,
		  int64_t first, int n, int B, int M, struct hrm_metrics *out, char **cause);

#endif
