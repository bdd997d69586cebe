/* bench_common.h - helpers shared by the benchmark programs (bench/):
 * clocks, medians, the deterministic inputs both hrmscope and the PyTorch
 * baseline (tools/bench_torch.py) feed the model, and peak-RSS measurement
 * in a child process. */
#ifndef HRM_BENCH_COMMON_H
#define HRM_BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic wall clock in seconds. */
double bench_now(void);
/* Median of v[0..n) (v is reordered); 0 when n == 0. */
double bench_median(double *v, int n);

/* tokens [B][S] in 1..V-1 by a fixed formula; tools/bench_torch.py uses
 * the same one, so both sides compute on the same inputs. */
void bench_tokens(int32_t *tok, int B, int S, int V);

/* Zero-filled memory shared with the child processes of bench_in_child. */
void *bench_shared_alloc(size_t n);

/* Runs fn(arg) in a forked child; returns its exit status (0 = fine, -1 if
 * it could not run or died) and its peak resident set size in KiB
 * (getrusage ru_maxrss of the child, from wait4). */
int bench_in_child(int (*fn)(void *arg), void *arg, long *maxrss_kb);

/* getrusage(RUSAGE_SELF) ru_maxrss in KiB. */
long bench_self_maxrss_kb(void);

/* Option parsing: "--name value" pairs; returns the value or NULL. */
const char *bench_opt(int argc, char **argv, const char *name);
int bench_flag(int argc, char **argv, const char *name);
long bench_opt_long(int argc, char **argv, const char *name, long dflt);

#endif
