/* eval_extra.h - what `hrmscope eval` adds for the fixed-point and guessing
 * readouts: the critical-step histogram beside the segments used, and the
 * exact accuracy with and without the vote over K guesses per example. */
#ifndef HRM_EVAL_EXTRA_H
#define HRM_EVAL_EXTRA_H

#include "analysis/eval_summary.h"
#include "analysis/guess.h"

#include <stdint.h>
#include <stdio.h>

struct dataset_split;

/* crit[0..M]: examples whose critical step is segment s (crit[M]: never
 * exactly right at the end); used[0..M-1]: examples adaptive halting
 * stopped after segment s+1; n: the examples counted. */
void eval_extra_histograms(FILE *f, const long *crit, const long *used, int M, long n, const char *rule);

/* K guesses (one batch) on example `index` of the split; examples without a
 * labelled cell are skipped (n unchanged). */
int eval_extra_guess(const struct hrm_model *m, const struct dataset_split *split, const char *dir, int64_t index,
		     const struct guess_opts *o, struct eval_guess_sums *g, char **cause);
void eval_extra_print_guesses(FILE *f, const struct eval_guess_sums *g, const struct guess_opts *o);

#endif
