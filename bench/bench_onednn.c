/* bench_onednn.c - see bench_onednn.h. */
#include "bench_onednn.h"

#ifdef HAVE_ONEDNN
#include "bench_common.h"

#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static dnnl_engine_t eng;
static dnnl_stream_t strm;

#define CHECK_DNNL(x)                                                           \
	do {                                                                    \
		if ((x) != dnnl_success) {                                      \
			fprintf(stderr, "bench: %s failed\n", #x);              \
			exit(1);                                                \
		}                                                               \
	} while (0)

static void init(void)
{
	if (eng != NULL)
		return;
	CHECK_DNNL(dnnl_engine_create(&eng, dnnl_cpu, 0));
	CHECK_DNNL(dnnl_stream_create(&strm, eng, dnnl_stream_default_flags));
}

static void *zeroed(size_t n)
{
	void *p = calloc(n ? n : 1, 1);
	if (!p) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	return p;
}

void bench_dnnl_make(struct bench_dnnl_mm *r, int M, int N, int K, int linear, int tb, dnnl_data_type_t dt,
		     int threads)
{
	init();
	omp_set_num_threads(threads); /* oneDNN sizes its team when the primitive is made */
	dnnl_memory_desc_t sm, wm, dm;
	dnnl_dims_t sd = { M, K }, wd = { K, N }, dd = { M, N };
	CHECK_DNNL(dnnl_memory_desc_init_by_tag(&sm, 2, sd, dt, dnnl_ab));
	CHECK_DNNL(dnnl_memory_desc_init_by_tag(&wm, 2, wd, dt, linear ? dnnl_format_tag_any : (tb ? dnnl_ba : dnnl_ab)));
	CHECK_DNNL(dnnl_memory_desc_init_by_tag(&dm, 2, dd, dnnl_f32, dnnl_ab));
	dnnl_matmul_desc_t md;
	dnnl_primitive_desc_t pd;
	CHECK_DNNL(dnnl_matmul_desc_init(&md, &sm, &wm, NULL, &dm));
	CHECK_DNNL(dnnl_primitive_desc_create(&pd, &md, NULL, eng, NULL));
	const char *impl = "";
	dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
	snprintf(r->impl, sizeof r->impl, "%s", impl);
	const dnnl_memory_desc_t *wq = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
	size_t es = dt == dnnl_bf16 ? 2 : 4;
	r->bufs[0] = zeroed((size_t)M * K * es);
	r->bufs[1] = zeroed(dnnl_memory_desc_get_size(wq));
	r->bufs[2] = zeroed((size_t)M * N * 4);
	/* operand values do not change the speed of these kernels */
	CHECK_DNNL(dnnl_memory_create(&r->src, &sm, eng, r->bufs[0]));
	CHECK_DNNL(dnnl_memory_create(&r->wei, wq, eng, r->bufs[1]));
	CHECK_DNNL(dnnl_memory_create(&r->dst, &dm, eng, r->bufs[2]));
	CHECK_DNNL(dnnl_primitive_create(&r->prim, pd));
	dnnl_primitive_desc_destroy(pd);
}

void bench_dnnl_free(struct bench_dnnl_mm *r)
{
	dnnl_primitive_destroy(r->prim);
	dnnl_memory_destroy(r->src);
	dnnl_memory_destroy(r->wei);
	dnnl_memory_destroy(r->dst);
	for (int i = 0; i < 3; i++)
		free(r->bufs[i]);
}

void bench_dnnl_run(void *v)
{
	struct bench_dnnl_mm *r = v;
	dnnl_exec_arg_t args[3] = { { DNNL_ARG_SRC, r->src }, { DNNL_ARG_WEIGHTS, r->wei }, { DNNL_ARG_DST, r->dst } };
	CHECK_DNNL(dnnl_primitive_execute(r->prim, strm, 3, args));
	CHECK_DNNL(dnnl_stream_wait(strm));
}

struct par_worker {
	struct bench_dnnl_mm mm;
	pthread_barrier_t *bar;
	dnnl_stream_t strm;
	const int *calls; /* per sample; 0 ends the thread */
};

static void *par_main(void *v)
{
	struct par_worker *w = v;
	omp_set_num_threads(1);
	dnnl_exec_arg_t args[3] = { { DNNL_ARG_SRC, w->mm.src }, { DNNL_ARG_WEIGHTS, w->mm.wei },
				    { DNNL_ARG_DST, w->mm.dst } };
	for (;;) {
		pthread_barrier_wait(w->bar); /* start of a sample */
		int k = *w->calls;
		if (k == 0)
			return NULL;
		for (int i = 0; i < k; i++)
			CHECK_DNNL(dnnl_primitive_execute(w->mm.prim, w->strm, 3, args));
		CHECK_DNNL(dnnl_stream_wait(w->strm));
		pthread_barrier_wait(w->bar); /* end of it */
	}
}

double bench_dnnl_parallel_seconds(int M, int N, int K, int linear, int tb, dnnl_data_type_t dt, int threads,
				   int reps, double min_s)
{
	init();
	if (threads < 1)
		threads = 1;
	struct par_worker *w = calloc((size_t)threads, sizeof *w);
	pthread_t *tid = calloc((size_t)threads, sizeof *tid);
	double *s = calloc((size_t)(reps > 0 ? reps : 1), sizeof *s);
	if (!w || !tid || !s) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	pthread_barrier_t bar;
	pthread_barrier_init(&bar, NULL, (unsigned)threads + 1);
	int calls = 1;
	for (int t = 0; t < threads; t++) {
		bench_dnnl_make(&w[t].mm, M, N, K, linear, tb, dt, 1);
		CHECK_DNNL(dnnl_stream_create(&w[t].strm, eng, dnnl_stream_default_flags));
		w[t].bar = &bar;
		w[t].calls = &calls;
		if (pthread_create(&tid[t], NULL, par_main, &w[t]) != 0) {
			fprintf(stderr, "bench: pthread_create failed\n");
			exit(1);
		}
	}
	/* two warm-up samples of one call each (kernels, pages); the second
	 * one's time sizes the samples */
	double one = 0;
	for (int i = 0; i < 2; i++) {
		pthread_barrier_wait(&bar);
		double t0 = bench_now();
		pthread_barrier_wait(&bar);
		one = bench_now() - t0;
	}
	calls = one > 0 ? (int)ceil(min_s / one) : 1;
	if (calls < 1)
		calls = 1;
	if (calls > 10000)
		calls = 10000;
	for (int r = 0; r < reps; r++) {
		pthread_barrier_wait(&bar);
		double t0 = bench_now();
		pthread_barrier_wait(&bar);
		s[r] = (bench_now() - t0) / ((double)calls * threads);
	}
	calls = 0;
	pthread_barrier_wait(&bar);
	for (int t = 0; t < threads; t++) {
		pthread_join(tid[t], NULL);
		dnnl_stream_destroy(w[t].strm);
		bench_dnnl_free(&w[t].mm);
	}
	pthread_barrier_destroy(&bar);
	double med = bench_median(s, reps);
	free(s);
	free(tid);
	free(w);
	return med;
}

const char *bench_dnnl_isa(void)
{
	switch (dnnl_get_effective_cpu_isa()) {
	case dnnl_cpu_isa_sse41: return "sse41";
	case dnnl_cpu_isa_avx: return "avx";
	case dnnl_cpu_isa_avx2: return "avx2";
	case dnnl_cpu_isa_avx512_core: return "avx512_core";
	case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
	case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
	case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
	case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
	default: return "other";
	}
}

const char *bench_dnnl_version(void)
{
	static char s[64];
	const dnnl_version_t *v = dnnl_version();
	snprintf(s, sizeof s, "%d.%d.%d, CPU runtime %s", v->major, v->minor, v->patch,
		 v->cpu_runtime == DNNL_RUNTIME_OMP	? "OpenMP"
		 : v->cpu_runtime == DNNL_RUNTIME_SEQ ? "sequential"
						      : "other");
	return s;
}
#else
typedef int bench_onednn_unused; /* ISO C wants a translation unit to declare something */
#endif
