/* eval_summary.h - the machine-readable summary line of `hrmscope eval`
 * ("hrmscope-eval shard=I/N total=... ...") and the merging of the lines of
 * the shards of one evaluation (`hrmscope eval --merge`).  A summary line
 * is untrusted input (it may have been edited, cut or mixed with another
 * run's): every number is range-checked when parsed, so that nothing read
 * from it can index or size an array, or overflow a sum. */
#ifndef HRM_EVAL_SUMMARY_H
#define HRM_EVAL_SUMMARY_H

#include "analysis/guess.h"
#include "model/metrics.h"

#include <stddef.h>

/* The most examples an evaluation counts (as eval's --limit). */
#define EVAL_MAX_EXAMPLES (1L << 40)
/* The longest summary line --merge reads (1024 segments take about 70 KB). */
#define EVAL_SUMMARY_MAX_LINE (1 << 20)

/* The guesses over a dataset: examples run, and how many were exactly
 * right without the vote (version 0, the plain run), by the majority vote
 * and by the q_halt-weighted vote; runs that settled on a fixed point. */
struct eval_guess_sums {
	long n, plain, majority, weighted;
	long runs, settled, groups;
};

/* What one shard (or the merge of all) counted. */
struct eval_summary {
	long shard_i, shard_n, total; /* total: examples before sharding */
	long n;                       /* examples run (mt.valid: with a labelled cell) */
	struct hrm_metrics mt;        /* [0] max-steps, [1] adaptive halting */
	long crit_at[HRM_METRICS_MAX_SEGMENTS + 1]; /* critical step at segment s; [M]: never right at the end */
	long fp[3];                                 /* fixed point at the end: right, wrong, none */
	double fp_tol;
	enum hrm_dtype dtype; /* the arithmetic; "dtype=bf16" in the line, absent for fp32 */
	bool halt_q_only;     /* adaptive halting on q_halt > 0 (TRM without a continue target):
	                       * "halt=q_halt>0" in the line; absent: q_halt > q_continue */
	struct guess_opts go; /* go.K = 0: no guesses */
	struct eval_guess_sums g;
};

/* The examples of shard i of n among the first `total`: i, i + n, ... */
long eval_shard_count(long total, long i, long n);

/* The summary line of s (no newline), malloc'd. */
char *eval_summary_format(const struct eval_summary *s);

/* Parses one line starting with "hrmscope-eval " into *s.  Unknown keys are
 * skipped (a newer eval may add some); a missing key, a repeated one, a
 * number out of range or inconsistent with the others is refused with a
 * cause such as "shard=5/2: the shard index must be 0..1". */
int eval_summary_parse(const char *line, struct eval_summary *s, char **cause);

/* Adds up the summaries of the shards of one evaluation. */
struct eval_merge {
	struct eval_summary tot; /* the sums; shard 0/1 */
	long found;              /* summaries added */
	struct eval_merge_seen {
		long shard, line;
		const char *file;
		long order; /* the order read */
	} *seen;                 /* one per summary added: the duplicates are found by eval_merge_finish */
	size_t cap;
};
void eval_merge_init(struct eval_merge *mg);
/* Adds s, read at file:line (the file name is kept, not copied): refused
 * when it belongs to another evaluation than the first summary (another N,
 * number of segments, of examples or of guesses, another arithmetic or
 * halting rule). */
int eval_merge_add(struct eval_merge *mg, const struct eval_summary *s, const char *file, long line, char **cause);
/* The adaptive halting rule the summary counted, in words. */
const char *eval_summary_halt_rule(const struct eval_summary *s);
/* Checks that every shard 0..N-1 was added exactly once. */
int eval_merge_finish(struct eval_merge *mg, char **cause);
void eval_merge_free(struct eval_merge *mg);

#endif
