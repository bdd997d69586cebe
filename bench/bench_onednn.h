/* bench_onednn.h - oneDNN's matmul primitive alone, the ceiling the bf16
 * products are measured against (bench/bench_gemm and bench/bench_forward's
 * `onednn` command).  Compact operands, linear weights in the layout oneDNN
 * picks (prepacked, as a model keeps them), float32 out, oneDNN's own
 * OpenMP team of the given size: the best oneDNN does at a shape, with none
 * of the work the engine adds around a product (converting inputs, rounding
 * outputs, splitting rows over hrmscope's pool).  Only with HAVE_ONEDNN. */
#ifndef HRM_BENCH_ONEDNN_H
#define HRM_BENCH_ONEDNN_H

#ifdef HAVE_ONEDNN
#include <dnnl.h>

struct bench_dnnl_mm {
	dnnl_primitive_t prim;
	dnnl_memory_t src, wei, dst;
	void *bufs[3];
	char impl[64]; /* oneDNN's implementation name, e.g. "brg:avx512_core_bf16" */
};

/* C[M][N] = A[M][K] B[K][N] in data type dt (dnnl_bf16 or dnnl_f32); a
 * linear product lets oneDNN choose the weights' layout, otherwise B is
 * plain ([N][K] read transposed when tb).  Exits on failure. */
void bench_dnnl_make(struct bench_dnnl_mm *r, int M, int N, int K, int linear, int tb, dnnl_data_type_t dt,
		     int threads);
/* one product, waited for (void * for the benchmarks' timing loops) */
void bench_dnnl_run(void *r);
void bench_dnnl_free(struct bench_dnnl_mm *r);
/* Seconds per product when `threads` threads each run their own primitive
 * of the shape at once, every one on a single OpenMP thread (the way
 * gemm_bf16 uses oneDNN: one thread per call, hrmscope's pool splitting the
 * work): the wall time of `calls` products on every thread divided by
 * threads x calls, the median of `reps` samples of about min_s seconds.
 * No OpenMP team, so no barrier waits for a descheduled thread. */
double bench_dnnl_parallel_seconds(int M, int N, int K, int linear, int tb, dnnl_data_type_t dt, int threads,
				   int reps, double min_s);
/* "avx512_core_bf16": dnnl_get_effective_cpu_isa's name */
const char *bench_dnnl_isa(void);
/* "2.6.3, CPU runtime OpenMP" */
const char *bench_dnnl_version(void);
#endif

#endif
