/* bench_gemm.c - the bf16 matrix products (model/gemm_bf16.h, issue 19)
 * against their ceilings, at 1 and 2 threads:
 *
 *   sgemm         hrm_sgemm in float32, the engine's layouts (today's path);
 *   oneDNN f32    oneDNN's float32 matmul, its own OpenMP threads;
 *   oneDNN bf16   oneDNN's bf16 matmul primitive alone (compact bf16
 *                 operands, linear weights prepacked, float32 out, its own
 *                 OpenMP threads): the ceiling of the next column;
 *   gemm_bf16     linear_bf16 (weights prepared once) or gemm_bf16 with
 *                 everything they do per call: converting the inputs,
 *                 rounding linear's outputs, splitting rows over the pool.
 *
 *   bench_gemm [--reps R] [--min-ms T]
 *
 * GFLOP/s (2 M N K per product) of the median of R samples (default 5),
 * each sample enough calls to fill T ms (default 30).  Then the thread
 * handling: how much CPU the process burns while idle right after a
 * product, and how long a pool region takes right after one (OpenMP's
 * idle threads spin and take the cores the pool needs; gemm_bf16 starts
 * no OpenMP thread).  Built without oneDNN the oneDNN columns read "-". */
#include "bench_common.h"
#include "model/engine.h"
#include "model/gemm_bf16.h"
#include "model/ops.h"
#include "core/parallel.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench_onednn.h"

#ifdef HAVE_ONEDNN
#include <omp.h>
#endif

/* M x N x K as the engine issues it: linear (x [M][K] W^T, W [N][K]) or
 * attention's per-head products with their strided layouts */
struct shape {
	const char *name;
	int M, N, K;
	int linear;
	int tb, lda, ldb, ldc;
};

static const struct shape shapes[] = {
	{ "qkv (27M, 30x30 maze)", 901, 1536, 512, 1, 1, 512, 512, 1536 },
	{ "gate_up", 901, 3072, 512, 1, 1, 512, 512, 3072 },
	{ "down", 901, 512, 1536, 1, 1, 1536, 1536, 512 },
	{ "d = 64 model, B*T = 3904", 3904, 256, 64, 1, 1, 64, 64, 256 },
	{ "o", 901, 512, 512, 1, 1, 512, 512, 512 },
	{ "scores q k^T (per head)", 901, 901, 64, 0, 1, 1536, 1536, 901 },
	{ "p v (per head)", 901, 64, 901, 0, 0, 901, 1536, 512 },
};
#define NSHAPES (int)(sizeof shapes / sizeof *shapes)

static int reps = 5;
static double min_s = 0.03;

static float *bf16_values(size_t n, unsigned seed)
{
	float *p = malloc(n * sizeof *p);
	if (!p) {
		fprintf(stderr, "bench_gemm: out of memory\n");
		exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = ((float)(seed >> 9) / 8388608.0f - 0.5f);
	}
	round_bf16(p, n);
	return p;
}

/* GFLOP/s of fn(ctx): median over reps samples of enough calls to fill min_s */
static double rate(const struct shape *s, void (*fn)(void *), void *ctx)
{
	fn(ctx); /* primitives, scratch, threads: made before timing */
	double t0 = bench_now();
	fn(ctx);
	double one = bench_now() - t0;
	int calls = one > 0 ? (int)(min_s / one) + 1 : 1;
	double t[16];
	for (int r = 0; r < reps && r < 16; r++) {
		t0 = bench_now();
		for (int c = 0; c < calls; c++)
			fn(ctx);
		t[r] = (bench_now() - t0) / calls;
	}
	return 2.0 * s->M * s->N * s->K / bench_median(t, reps < 16 ? reps : 16) * 1e-9;
}

struct operands {
	const struct shape *s;
	float *A, *B, *C;
	struct bf16_mat *W;
};

static void run_sgemm(void *v)
{
	const struct operands *o = v;
	const struct shape *s = o->s;
	hrm_sgemm(0, s->tb, s->M, s->N, s->K, 1.0f, o->A, s->lda, o->B, s->ldb, 0.0f, o->C, s->ldc);
}

static void run_ours(void *v)
{
	const struct operands *o = v;
	const struct shape *s = o->s;
	if (s->linear)
		linear_bf16(o->C, o->A, o->W, s->M);
	else
		gemm_bf16(s->tb, s->M, s->N, s->K, o->A, s->lda, o->B, s->ldb, o->C, s->ldc);
}

#ifdef HAVE_ONEDNN
static double raw_rate(const struct shape *s, dnnl_data_type_t dt, int threads, char *impl, size_t impl_size)
{
	struct bench_dnnl_mm r;
	bench_dnnl_make(&r, s->M, s->N, s->K, s->linear, s->tb, dt, threads);
	double g = rate(s, bench_dnnl_run, &r);
	snprintf(impl, impl_size, "%s", r.impl);
	bench_dnnl_free(&r);
	return g;
}
#endif

/* ---- the thread handling ---- */

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + 1e-6 * (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* CPU time the process uses while its caller sleeps 100 ms */
static double idle_cpu_ms(void)
{
	double c0 = cpu_seconds();
	struct timespec ts = { 0, 100000000 };
	nanosleep(&ts, NULL);
	return (cpu_seconds() - c0) * 1e3;
}

/* a pool region of fixed work: each of its threads sums a private buffer */
static float pool_buf[2][1 << 16];
static volatile float pool_sink;

static void pool_work(void *ctx, int t, int nth)
{
	(void)ctx;
	(void)nth;
	float s = 0.0f;
	for (int rep = 0; rep < 40; rep++)
		for (int i = 0; i < 1 << 16; i++)
			s += pool_buf[t][i] * (float)rep;
	pool_sink = s;
}

/* milliseconds of the region run right after fn(ctx), median of 7 */
static double region_after_ms(void (*fn)(void *), void *ctx)
{
	double t[7];
	for (int r = 0; r < 7; r++) {
		fn(ctx);
		double t0 = bench_now();
		hrm_par_run(2, pool_work, NULL);
		t[r] = (bench_now() - t0) * 1e3;
	}
	return bench_median(t, 7);
}

static void nothing(void *ctx)
{
	(void)ctx;
}

static void thread_handling(void)
{
	const struct shape *s = &shapes[4]; /* o: 901 x 512 x 512 */
	struct operands o = { s, bf16_values((size_t)s->M * s->K, 1), bf16_values((size_t)s->N * s->K, 2),
			      bf16_values((size_t)s->M * s->N, 3), bf16_mat_new(s->N, s->K) };
	bf16_mat_set(o.W, o.B);
	hrm_set_threads(2);
	printf("\nThread handling at 2 threads, after a %d x %d x %d product: the CPU the process uses in 100 ms "
	       "of sleep, and a pool region (2 threads, fixed work) run right after the product (medians of 7)\n\n",
	       s->M, s->N, s->K);
	printf("| product before | CPU while idle | pool region after it |\n|---|---|---|\n");
	printf("| none | %.1f ms | %.2f ms |\n", idle_cpu_ms(), region_after_ms(nothing, NULL));
	run_ours(&o);
	printf("| linear_bf16 | %.1f ms | %.2f ms |\n", idle_cpu_ms(), region_after_ms(run_ours, &o));
#ifdef HAVE_ONEDNN
	struct bench_dnnl_mm r;
	bench_dnnl_make(&r, s->M, s->N, s->K, s->linear, s->tb, dnnl_bf16, 2);
	bench_dnnl_run(&r);
	double idle = idle_cpu_ms();
	omp_set_num_threads(2);
	printf("| oneDNN bf16 primitive, 2 OpenMP threads | %.1f ms | %.2f ms |\n", idle,
	       region_after_ms(bench_dnnl_run, &r));
	bench_dnnl_free(&r);
#endif
	bf16_mat_free(o.W);
	free(o.A);
	free(o.B);
	free(o.C);
}

int main(int argc, char **argv)
{
	reps = (int)bench_opt_long(argc, argv, "--reps", 5);
	min_s = bench_opt_long(argc, argv, "--min-ms", 30) * 1e-3;
	if (reps < 1)
		reps = 1;
	printf("bf16 products: %s\n", bf16_backend());
#ifdef HAVE_ONEDNN
	printf("oneDNN %s, effective ISA %s\n", bench_dnnl_version(), bench_dnnl_isa());
#endif
	char impl_f32[64] = "-", impl_bf16[64] = "-";
	for (int threads = 1; threads <= 2; threads++) {
		printf("\n%d thread%s: GFLOP/s (median of %d samples of >= %.0f ms)\n\n", threads, threads > 1 ? "s" : "",
		       reps, min_s * 1e3);
		printf("| M x N x K | product | sgemm | oneDNN f32 | oneDNN bf16 primitive | gemm_bf16 | gemm_bf16 / sgemm "
		       "|\n|---|---|---|---|---|---|---|\n");
		for (int i = 0; i < NSHAPES; i++) {
			const struct shape *s = &shapes[i];
			size_t na = (size_t)s->M * s->lda, nb = s->tb ? (size_t)s->N * s->ldb : (size_t)s->K * s->ldb;
			struct operands o = { s, bf16_values(na, 11), bf16_values(nb, 12),
					      bf16_values((size_t)s->M * s->ldc, 13), NULL };
			if (s->linear) {
				o.W = bf16_mat_new(s->N, s->K);
				if (!o.W) {
					fprintf(stderr, "bench_gemm: out of memory\n");
					return 1;
				}
				bf16_mat_set(o.W, o.B);
			}
			hrm_set_threads(threads);
			double g_sgemm = rate(s, run_sgemm, &o);
			double g_ours = rate(s, run_ours, &o);
			char f32[16] = "-", bf16[16] = "-";
#ifdef HAVE_ONEDNN
			snprintf(f32, sizeof f32, "%.1f", raw_rate(s, dnnl_f32, threads, impl_f32, sizeof impl_f32));
			snprintf(bf16, sizeof bf16, "%.1f", raw_rate(s, dnnl_bf16, threads, impl_bf16, sizeof impl_bf16));
			/* let OpenMP's idle threads stop spinning before the next figures */
			struct timespec ts = { 0, 50000000 };
			nanosleep(&ts, NULL);
#endif
			printf("| %d x %d x %d | %s | %.1f | %s | %s | %.1f | %.2fx |\n", s->M, s->N, s->K, s->name, g_sgemm,
			       f32, bf16, g_ours, g_ours / g_sgemm);
			bf16_mat_free(o.W);
			free(o.A);
			free(o.B);
			free(o.C);
		}
	}
	printf("\noneDNN kernels: f32 %s, bf16 %s (the last shape's; ONEDNN_VERBOSE=1 lists every one)\n", impl_f32,
	       impl_bf16);
	thread_handling();
	return 0;
}
