/* bench_peak.c - what one core of this CPU does per second at the three
 * instructions the engine's products end in: vfmadd231ps on 8 floats (AVX2,
 * OpenBLAS's Haswell kernels), on 16 floats (AVX-512, oneDNN's fp32 brgemm)
 * and vdpbf16ps (AVX512-BF16, oneDNN's bf16 brgemm: 32 pairs of bf16 into 16
 * fp32 sums).  The bf16 targets of issue 19 are ratios against fp32; they
 * assume a core where vdpbf16ps does twice the FLOPs of an fp32 FMA per
 * cycle.  Virtual machines do not always give that (on one host of this
 * workplace vdpbf16ps ran at 84 GFLOP/s against 155 for the zmm FMA), and
 * this probe says which kind of core a RESULTS.md was measured on.
 *
 * Each loop keeps 16 independent accumulators in registers, so it measures
 * throughput, not latency; the best of three runs of at least min_ms each. */
#include "bench_peak.h"
#include "bench_common.h"

#include <stdio.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

/* One probe: 16 accumulators (unrolled, so they live in registers; the
 * object code has 16 of the instruction in the loop), STEP(acc, x, y) on
 * each per iteration, x hidden from the optimiser so that the loop stays a
 * loop, then the sums returned so that nothing is dropped as unused. */
#define PEAK_FN(NAME, TGT, VT, SET1, X0, Y0, STEP, ADD, REDUCE, CONS)           \
	__attribute__((target(TGT))) static float NAME(long n)                  \
	{                                                                       \
		VT a[16];                                                       \
		_Pragma("GCC unroll 16") for (int i = 0; i < 16; i++)           \
			a[i] = SET1((float)i);                                  \
		__typeof__(X0) x = X0, y = Y0;                                  \
		for (long k = 0; k < n; k++) {                                  \
			_Pragma("GCC unroll 16") for (int i = 0; i < 16; i++)   \
				a[i] = STEP(a[i], x, y);                        \
			__asm__ volatile("" : CONS(x));                         \
		}                                                               \
		VT s = SET1(0.0f);                                              \
		_Pragma("GCC unroll 16") for (int i = 0; i < 16; i++)           \
			s = ADD(s, a[i]);                                       \
		return REDUCE(s);                                               \
	}

__attribute__((target("avx2,fma"))) static inline __m256 fma_ymm(__m256 acc, __m256 x, __m256 y)
{
	return _mm256_fmadd_ps(x, y, acc);
}

__attribute__((target("avx2"))) static inline float sum_ymm(__m256 s)
{
	float o[8];
	_mm256_storeu_ps(o, s);
	return o[0] + o[7];
}

__attribute__((target("avx512f"))) static inline __m512 fma_zmm(__m512 acc, __m512 x, __m512 y)
{
	return _mm512_fmadd_ps(x, y, acc);
}

PEAK_FN(run_fma_ymm, "avx2,fma", __m256, _mm256_set1_ps, _mm256_set1_ps(1e-7f), _mm256_set1_ps(0.5f), fma_ymm,
	_mm256_add_ps, sum_ymm, "+x")
PEAK_FN(run_fma_zmm, "avx512f", __m512, _mm512_set1_ps, _mm512_set1_ps(1e-7f), _mm512_set1_ps(0.5f), fma_zmm,
	_mm512_add_ps, _mm512_reduce_add_ps, "+v")
/* 0x3380 is bf16 6e-8 and 0x3f80 is 1: the sums stay finite for any n */
PEAK_FN(run_dpbf16_zmm, "avx512f,avx512bf16", __m512, _mm512_set1_ps, (__m512bh)_mm512_set1_epi16(0x3380),
	(__m512bh)_mm512_set1_epi16(0x3f80), _mm512_dpbf16_ps, _mm512_add_ps, _mm512_reduce_add_ps, "+v")

static int has_avx2(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
static int has_avx512(void) { return __builtin_cpu_supports("avx512f"); }
static int has_bf16(void) { return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16"); }

#else /* no x86: every op is "not on this CPU" */
static float run_none(long n) { return (float)n; }
#define run_fma_ymm run_none
#define run_fma_zmm run_none
#define run_dpbf16_zmm run_none
static int has_none(void) { return 0; }
#define has_avx2 has_none
#define has_avx512 has_none
#define has_bf16 has_none
#endif

struct peak_op {
	const char *name, *isa, *what;
	int flops;   /* per instruction */
	float (*run)(long n);
	int (*supported)(void);
};

static const struct peak_op ops[] = {
	{ "fma_ymm", "avx2", "vfmadd231ps ymm (8 floats)", 16, run_fma_ymm, has_avx2 },
	{ "fma_zmm", "avx512f", "vfmadd231ps zmm (16 floats)", 32, run_fma_zmm, has_avx512 },
	{ "dpbf16_zmm", "avx512_bf16", "vdpbf16ps zmm (32 bf16 pairs)", 64, run_dpbf16_zmm, has_bf16 },
};

static volatile float bench_peak_sink;

/* GFLOP/s of one op on this thread: n doubled until a run takes min_ms,
 * then the best of three runs of that n. */
static double measure(const struct peak_op *op, double min_ms)
{
	long n = 1 << 16;
	double t;
	for (;;) {
		double t0 = bench_now();
		bench_peak_sink = op->run(n);
		t = bench_now() - t0;
		if (t * 1e3 >= min_ms || n > (1L << 40))
			break;
		n *= 2;
	}
	for (int r = 0; r < 3; r++) {
		double t0 = bench_now();
		bench_peak_sink = op->run(n);
		double tr = bench_now() - t0;
		t = tr < t ? tr : t;
	}
	return (double)n * 16 * op->flops / t / 1e9;
}

int bench_peak_main(int argc, char **argv)
{
	const char *label = bench_opt(argc, argv, "--label");
	double min_ms = (double)bench_opt_long(argc, argv, "--min-ms", 200);
	if (min_ms < 1 || min_ms > 60000) {
		fprintf(stderr, "bench_forward peak: --min-ms is 1 to 60000\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		const struct peak_op *op = &ops[i];
		int ok = op->supported();
		printf("{\"kind\":\"peak\",\"label\":\"%s\",\"op\":\"%s\",\"isa\":\"%s\",\"instruction\":\"%s\","
		       "\"flops_per_instruction\":%d,\"supported\":%s,\"gflops\":%.6g}\n",
		       label ? label : "core", op->name, op->isa, op->what, op->flops, ok ? "true" : "false",
		       ok ? measure(op, min_ms) : 0.0);
		fflush(stdout);
	}
	return 0;
}
