/* onednn_matmul.h - oneDNN's bf16 matmul, the fast backend of gemm_bf16.c,
 * and its float32 matmul for hrm_sgemm's layouts it wins (ops.c)
 * (declared and compiled only with HAVE_ONEDNN).
 *
 * One CPU engine for the process.  Primitives are made on the first product
 * of a shape and kept in a small table (making one compiles its kernels:
 * milliseconds).  Every call computes on the calling thread alone: oneDNN's
 * OpenMP is held at one thread on each thread that calls it, so no OpenMP
 * team is ever started (nothing spins on the cores hrmscope's own pool needs)
 * and --threads N stays N threads: gemm_bf16.c splits a large product into
 * row blocks over the pool (core/parallel.h), one call per block.  Any number
 * of threads may call at once: each has its own stream, scratchpad, memory
 * objects and conversion buffers, and the table is locked. */
#ifndef HRM_ONEDNN_MATMUL_H
#define HRM_ONEDNN_MATMUL_H

#ifdef HAVE_ONEDNN

#include <stddef.h>
#include <stdint.h>

/* 1 when oneDNN runs bf16 matmuls with its brgemm kernels on this CPU
 * (AVX512-BF16 or AMX), else 0 (older CPUs, or under valgrind, which hides
 * AVX-512); decided once, on the first call. */
int onednn_usable(void);
/* 1 when oneDNN runs float32 matmuls with its brgemm kernels (AVX-512),
 * else 0; decided once. */
int onednn_f32_usable(void);
/* "oneDNN 2.6.3 (avx512_core_bf16)": the library's version and the ISA its
 * kernels use */
const char *onednn_name(void);

/* A weight matrix W [rows][cols] as the matmul's weights (W^T, cols x rows),
 * in the blocked layout the kernels read, as bf16 bits. */
struct onednn_weights;
/* NULL when memory runs out or oneDNN has no layout for the shape */
struct onednn_weights *onednn_weights_new(int rows, int cols);
/* W[r][c] rounded to bf16 (nearest even, core/half.h) into its place */
void onednn_weights_set(struct onednn_weights *w, const float *W);
/* W[r][c] as stored (a bf16 value) */
float onednn_weights_get(const struct onednn_weights *w, int r, int c);
void onednn_weights_free(struct onednn_weights *w);

/* The calling thread's buffer i (0 .. 9: 0 to 2 for the bf16 products, 3
 * to 6 for the float32 ones, 7 to 9 for bf16_scratch) of at least `bytes`
 * bytes, 64-byte aligned, grown as needed and kept for the thread's life;
 * NULL when it cannot grow. */
void *onednn_scratch(int i, size_t bytes);

/* y[m][rows] = x[m][cols] W^T: x bf16 bits (compact rows), y float32 sums
 * (not rounded).  Returns 0, or -1 (nothing written) when no primitive
 * could be made. */
int onednn_linear(float *y, const uint16_t *x, int m, const struct onednn_weights *w);
/* C[M][N] = op(A) op(B): A, B bf16 bits, compact (A [M][K], or [K][M]
 * read transposed when ta; B [K][N], or [N][K] when tb); C float32,
 * compact.  0, or -1 as above. */
int onednn_gemm(int ta, int tb, int M, int N, int K, const uint16_t *A, const uint16_t *B, float *C);
/* The same in float32: C[M][N] = op(A) op(B), A [M][K] (or [K][M] read
 * transposed when ta), B [K][N] (or [N][K] when tb), all compact.  0, or
 * -1 (nothing written) when no primitive could be made or oneDNN has no
 * brgemm kernels for float32 here. */
int onednn_sgemm(int ta, int tb, int M, int N, int K, const float *A, const float *B, float *C);

#endif
#endif
