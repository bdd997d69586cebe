/* onednn_matmul.c - the oneDNN side of the bf16 products (onednn_matmul.h).
 *
 * The C API of oneDNN 2.x: a matmul primitive per shape, src bf16 [M][K],
 * weights bf16 [K][N], dst float32 [M][N].  dst stays float32 because the
 * rounding to bf16 must be torch's (core/half.h); all tensors are compact
 * because oneDNN picks its brgemm kernels only for dense dst rows (with a
 * leading dimension it falls back to a slower gemm whose sums also change
 * with the number of rows).  With brgemm every row's sums are the same
 * bits whatever M is, so splitting a product by rows changes no result. */
#ifdef HAVE_ONEDNN

#include "model/onednn_matmul.h"
#include "core/half.h"

#include <dnnl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if DNNL_CPU_RUNTIME == DNNL_RUNTIME_OMP
#include <omp.h>
#elif DNNL_CPU_RUNTIME != DNNL_RUNTIME_SEQ
#error "oneDNN built with a CPU runtime other than OpenMP or sequential (configure refuses those)"
#endif

/* primitives kept at once: a model issues about ten bf16 shapes and as
 * many float32 ones per batch size, each at one or two row-block sizes */
#define MM_CACHE 128
#define ALIGN 64
/* onednn_scratch's buffers per thread */
#define ONEDNN_SCRATCH_SLOTS 14

enum mm_kind { MM_EMPTY, MM_LINEAR, MM_GEMM, MM_SGEMM };

struct mm_entry {
	enum mm_kind kind;
	int M, N, K, ta, tb;
	dnnl_primitive_t prim;
	dnnl_memory_desc_t src_md, wei_md, dst_md, sp_md;
	size_t sp_bytes;
	unsigned long gen;      /* new for every primitive this slot holds */
	unsigned long last_use; /* for replacing the least recently used */
	int busy;               /* calls running it now: never replaced then */
};

struct onednn_weights {
	int rows, cols;
	dnnl_memory_desc_t md; /* the matmul's weights: cols x rows, blocked */
	uint16_t *data;
	size_t bytes;
	size_t *off_c, *off_r; /* element W[r][c] is data[off_c[c] + off_r[r]] */
	dnnl_memory_t mem;     /* read-only once made: shared by every thread */
};

/* a thread's memory objects for one table slot, made for its generation */
struct thread_slot {
	unsigned long gen;
	dnnl_memory_t src, wei, dst, sp;
};

struct thread_state {
	dnnl_stream_t stream;
	void *buf[ONEDNN_SCRATCH_SLOTS];
	size_t cap[ONEDNN_SCRATCH_SLOTS];
	void *sp;
	size_t sp_cap;
	struct thread_slot slot[MM_CACHE];
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int usable, f32_usable;
static char name[96];
static dnnl_engine_t engine;
static pthread_key_t state_key;

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct mm_entry cache[MM_CACHE];
static unsigned long cache_clock, cache_gen;

/* oneDNN sizes a primitive's OpenMP team by the creating thread's
 * omp_get_max_threads() and runs it with that many threads: one, on every
 * thread that calls here, keeps each call on its own thread.  Checked on
 * every call, since anything else in the process may change it. */
static void omp_single(void)
{
#if DNNL_CPU_RUNTIME == DNNL_RUNTIME_OMP
	if (omp_get_max_threads() != 1)
		omp_set_num_threads(1);
#endif
}

static void *aligned_bytes(size_t n)
{
	size_t r = (n + ALIGN - 1) / ALIGN * ALIGN;
	return aligned_alloc(ALIGN, r ? r : ALIGN);
}

static void slot_clear(struct thread_slot *s)
{
	dnnl_memory_t *m[4] = { &s->src, &s->wei, &s->dst, &s->sp };
	for (int i = 0; i < 4; i++)
		if (*m[i]) {
			dnnl_memory_destroy(*m[i]);
			*m[i] = NULL;
		}
	s->gen = 0;
}

static void state_free(void *v)
{
	struct thread_state *ts = v;
	for (int i = 0; i < MM_CACHE; i++)
		slot_clear(&ts->slot[i]);
	if (ts->stream)
		dnnl_stream_destroy(ts->stream);
	for (int i = 0; i < ONEDNN_SCRATCH_SLOTS; i++)
		free(ts->buf[i]);
	free(ts->sp);
	free(ts);
}

/* A forked child has only the forking thread: a lock another thread held
 * at the fork would never be released. */
static void atfork_child(void)
{
	pthread_mutex_t m0 = PTHREAD_MUTEX_INITIALIZER;
	cache_mu = m0;
}

static const char *isa_of_impl(const char *impl)
{
	/* "brg:avx512_core_bf16" -> "avx512_core_bf16" */
	const char *c = strchr(impl, ':');
	return c ? c + 1 : impl;
}

static int matmul_pd(dnnl_primitive_desc_t *pd, const dnnl_memory_desc_t *src, const dnnl_memory_desc_t *wei,
		     const dnnl_memory_desc_t *dst, int user_scratchpad)
{
	dnnl_matmul_desc_t d;
	dnnl_primitive_attr_t attr = NULL;
	if (dnnl_matmul_desc_init(&d, src, wei, NULL, dst) != dnnl_success)
		return -1;
	if (user_scratchpad && (dnnl_primitive_attr_create(&attr) != dnnl_success ||
				dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user) != dnnl_success)) {
		if (attr)
			dnnl_primitive_attr_destroy(attr);
		return -1;
	}
	dnnl_status_t st = dnnl_primitive_desc_create(pd, &d, attr, engine, NULL);
	if (attr)
		dnnl_primitive_attr_destroy(attr);
	return st == dnnl_success ? 0 : -1;
}

static void md2(dnnl_memory_desc_t *md, int d0, int d1, dnnl_data_type_t dt, dnnl_format_tag_t tag)
{
	dnnl_dims_t dims = { d0, d1 };
	dnnl_memory_desc_init_by_tag(md, 2, dims, dt, tag);
}

/* The weights layout oneDNN wants for N outputs of K inputs, and the name
 * of the implementation that asked for it (impl may be NULL).  Asked with a
 * fixed M: the layout depends on N and K only, and a primitive of another M
 * is made with this one (it would fail, not compute wrong, if it did not fit). */
static int weights_layout(int N, int K, dnnl_memory_desc_t *out, char *impl, size_t impl_size)
{
	dnnl_memory_desc_t src, wei, dst;
	dnnl_primitive_desc_t pd;
	md2(&src, 256, K, dnnl_bf16, dnnl_ab);
	md2(&wei, K, N, dnnl_bf16, dnnl_format_tag_any);
	md2(&dst, 256, N, dnnl_f32, dnnl_ab);
	if (matmul_pd(&pd, &src, &wei, &dst, 1) != 0)
		return -1;
	const dnnl_memory_desc_t *q = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
	if (q)
		*out = *q;
	if (impl) {
		const char *s = "";
		dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &s);
		snprintf(impl, impl_size, "%s", s ? s : "");
	}
	dnnl_primitive_desc_destroy(pd);
	return q && out->format_kind == dnnl_blocked ? 0 : -1;
}

static void init(void)
{
	pthread_atfork(NULL, NULL, atfork_child);
	if (pthread_key_create(&state_key, state_free) != 0)
		return;
	omp_single();
	if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success)
		return;
	/* float32: only the AVX-512 brgemm kernels were measured to beat
	 * OpenBLAS's (ops.c); none under valgrind, which hides AVX-512 */
	dnnl_memory_desc_t src, wei, dst;
	dnnl_primitive_desc_t pd;
	md2(&src, 256, 64, dnnl_f32, dnnl_ab);
	md2(&wei, 64, 64, dnnl_f32, dnnl_ba);
	md2(&dst, 256, 64, dnnl_f32, dnnl_ab);
	if (matmul_pd(&pd, &src, &wei, &dst, 1) == 0) {
		const char *s = "";
		dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &s);
		f32_usable = s && strncmp(s, "brg:avx512", 10) == 0;
		dnnl_primitive_desc_destroy(pd);
	}
	/* only the brgemm kernels (AVX512-BF16, AMX) beat sgemm; without them
	 * oneDNN emulates bf16 or has no bf16 matmul at all */
	dnnl_memory_desc_t md;
	char impl[64];
	if (weights_layout(64, 64, &md, impl, sizeof impl) != 0 || strncmp(impl, "brg:", 4) != 0)
		return;
	const dnnl_version_t *v = dnnl_version();
	snprintf(name, sizeof name, "oneDNN %d.%d.%d (%s)", v->major, v->minor, v->patch, isa_of_impl(impl));
	usable = 1;
}

int onednn_usable(void)
{
	pthread_once(&init_once, init);
	return usable;
}

int onednn_f32_usable(void)
{
	pthread_once(&init_once, init);
	return f32_usable;
}

const char *onednn_name(void)
{
	return onednn_usable() ? name : "oneDNN (no bf16 matmul kernels on this CPU)";
}

static struct thread_state *state_get(void)
{
	omp_single();
	struct thread_state *ts = pthread_getspecific(state_key);
	if (ts)
		return ts;
	ts = calloc(1, sizeof *ts);
	if (!ts)
		return NULL;
	if (dnnl_stream_create(&ts->stream, engine, dnnl_stream_default_flags) != dnnl_success ||
	    pthread_setspecific(state_key, ts) != 0) {
		state_free(ts);
		return NULL;
	}
	return ts;
}

void *onednn_scratch(int i, size_t bytes)
{
	if (!(onednn_usable() || onednn_f32_usable()) || i < 0 || i >= ONEDNN_SCRATCH_SLOTS)
		return NULL;
	struct thread_state *ts = state_get();
	if (!ts)
		return NULL;
	if (ts->cap[i] < bytes) {
		void *p = aligned_bytes(bytes);
		if (!p)
			return NULL;
		free(ts->buf[i]);
		ts->buf[i] = p;
		ts->cap[i] = bytes;
	}
	return ts->buf[i];
}

/* ---- weights in the blocked layout ---- */

/* Where index i of dimension dim of md lies, in elements: the outer block
 * times that dimension's stride, plus the digits of the index inside its
 * blocks (the innermost block, listed last, varies fastest).  A blocked
 * layout's offset is the sum of one such term per dimension. */
static size_t dim_offset(const dnnl_memory_desc_t *md, int dim, size_t i)
{
	const dnnl_blocking_desc_t *b = &md->format_desc.blocking;
	size_t blk = 1;
	for (int k = 0; k < b->inner_nblks; k++)
		if (b->inner_idxs[k] == dim)
			blk *= (size_t)b->inner_blks[k];
	size_t off = i / blk * (size_t)b->strides[dim], rem = i % blk, stride = 1;
	for (int k = b->inner_nblks - 1; k >= 0; k--) {
		if (b->inner_idxs[k] == dim) {
			off += rem % (size_t)b->inner_blks[k] * stride;
			rem /= (size_t)b->inner_blks[k];
		}
		stride *= (size_t)b->inner_blks[k];
	}
	return off;
}

void onednn_weights_free(struct onednn_weights *w)
{
	if (!w)
		return;
	if (w->mem)
		dnnl_memory_destroy(w->mem);
	free(w->data);
	free(w->off_c);
	free(w->off_r);
	free(w);
}

struct onednn_weights *onednn_weights_new(int rows, int cols)
{
	if (!onednn_usable() || rows < 1 || cols < 1 || !state_get())
		return NULL;
	struct onednn_weights *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->rows = rows;
	w->cols = cols;
	if (weights_layout(rows, cols, &w->md, NULL, 0) != 0)
		goto fail;
	w->bytes = dnnl_memory_desc_get_size(&w->md);
	w->data = aligned_bytes(w->bytes);
	w->off_c = malloc((size_t)cols * sizeof *w->off_c);
	w->off_r = malloc((size_t)rows * sizeof *w->off_r);
	if (!w->data || !w->off_c || !w->off_r)
		goto fail;
	/* the padding of the blocks must be zero: the kernels multiply it */
	memset(w->data, 0, w->bytes);
	/* the weights tensor is [K][N] = [cols][rows]: dim 0 is c, dim 1 is r */
	for (int c = 0; c < cols; c++)
		w->off_c[c] = (size_t)w->md.offset0 + dim_offset(&w->md, 0, (size_t)c);
	for (int r = 0; r < rows; r++)
		w->off_r[r] = dim_offset(&w->md, 1, (size_t)r);
	if (dnnl_memory_create(&w->mem, &w->md, engine, w->data) != dnnl_success) {
		w->mem = NULL;
		goto fail;
	}
	return w;
fail:
	onednn_weights_free(w);
	return NULL;
}

void onednn_weights_set(struct onednn_weights *w, const float *W)
{
	for (int r = 0; r < w->rows; r++) {
		uint16_t *dst = w->data + w->off_r[r];
		const float *src = W + (size_t)r * w->cols;
		for (int c = 0; c < w->cols; c++)
			dst[w->off_c[c]] = f32_to_bf16(src[c]);
	}
}

float onednn_weights_get(const struct onednn_weights *w, int r, int c)
{
	return bf16_to_f32(w->data[w->off_r[r] + w->off_c[c]]);
}

/* ---- the primitive table ---- */

static int entry_make(struct mm_entry *e, enum mm_kind kind, int M, int N, int K, int ta, int tb,
		      const dnnl_memory_desc_t *wei)
{
	dnnl_primitive_desc_t pd;
	dnnl_data_type_t dt = kind == MM_SGEMM ? dnnl_f32 : dnnl_bf16;
	md2(&e->src_md, M, K, dt, ta ? dnnl_ba : dnnl_ab);
	if (wei)
		e->wei_md = *wei;
	else
		md2(&e->wei_md, K, N, dt, tb ? dnnl_ba : dnnl_ab);
	md2(&e->dst_md, M, N, dnnl_f32, dnnl_ab);
	if (matmul_pd(&pd, &e->src_md, &e->wei_md, &e->dst_md, 1) != 0)
		return -1;
	const dnnl_memory_desc_t *sp = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
	if (sp)
		e->sp_md = *sp;
	e->sp_bytes = sp ? dnnl_memory_desc_get_size(sp) : 0;
	dnnl_status_t st = dnnl_primitive_create(&e->prim, pd);
	dnnl_primitive_desc_destroy(pd);
	if (st != dnnl_success)
		return -1;
	e->kind = kind;
	e->M = M;
	e->N = N;
	e->K = K;
	e->ta = ta;
	e->tb = tb;
	e->gen = ++cache_gen;
	e->busy = 0;
	return 0;
}

/* The table slot holding the primitive for this product, marked busy (the
 * caller releases it); made on first use into an empty slot or the least
 * recently used idle one.  -1 when it cannot be made.  A linear's weights
 * layout is decided by N and K, so (kind, M, N, K, ta, tb) names the primitive.
 * Made under the lock: other threads wait the few milliseconds it takes. */
static int entry_get(enum mm_kind kind, int M, int N, int K, int ta, int tb, const dnnl_memory_desc_t *wei)
{
	int hit = -1, victim = -1;
	pthread_mutex_lock(&cache_mu);
	for (int i = 0; i < MM_CACHE && hit < 0; i++) {
		const struct mm_entry *e = &cache[i];
		if (e->kind == kind && e->M == M && e->N == N && e->K == K && e->ta == ta && e->tb == tb)
			hit = i;
		else if (e->busy == 0 && (victim < 0 || (cache[victim].kind != MM_EMPTY &&
							 (e->kind == MM_EMPTY || e->last_use < cache[victim].last_use))))
			victim = i;
	}
	if (hit < 0 && victim >= 0) {
		struct mm_entry fresh;
		memset(&fresh, 0, sizeof fresh);
		if (entry_make(&fresh, kind, M, N, K, ta, tb, wei) == 0) {
			if (cache[victim].kind != MM_EMPTY)
				dnnl_primitive_destroy(cache[victim].prim);
			cache[victim] = fresh;
			hit = victim;
		}
	}
	if (hit >= 0) {
		cache[hit].busy++;
		cache[hit].last_use = ++cache_clock;
	}
	pthread_mutex_unlock(&cache_mu);
	return hit;
}

static void entry_release(int i)
{
	pthread_mutex_lock(&cache_mu);
	cache[i].busy--;
	pthread_mutex_unlock(&cache_mu);
}

static int mem_at(dnnl_memory_t *m, const dnnl_memory_desc_t *md, void *p)
{
	if (!*m && dnnl_memory_create(m, md, engine, DNNL_MEMORY_NONE) != dnnl_success) {
		*m = NULL;
		return -1;
	}
	return dnnl_memory_set_data_handle(*m, p) == dnnl_success ? 0 : -1;
}

/* Runs table entry i on the calling thread: src, dst and (gemm) the weights
 * through this thread's memory objects for the slot, made again when the
 * slot holds a new primitive; wmem (linear) is the weights' own object. */
static int run(struct thread_state *ts, int i, const void *src, const void *wei, dnnl_memory_t wmem, float *dst)
{
	const struct mm_entry *e = &cache[i]; /* busy: not replaced meanwhile */
	struct thread_slot *s = &ts->slot[i];
	if (s->gen != e->gen) {
		slot_clear(s);
		s->gen = e->gen;
	}
	if (e->sp_bytes > ts->sp_cap) {
		void *p = aligned_bytes(e->sp_bytes);
		if (!p)
			return -1;
		free(ts->sp);
		ts->sp = p;
		ts->sp_cap = e->sp_bytes;
	}
	if (mem_at(&s->src, &e->src_md, (void *)src) != 0 || mem_at(&s->dst, &e->dst_md, dst) != 0)
		return -1;
	if (!wmem) {
		if (mem_at(&s->wei, &e->wei_md, (void *)wei) != 0)
			return -1;
		wmem = s->wei;
	}
	dnnl_exec_arg_t args[4] = {
		{ DNNL_ARG_SRC, s->src }, { DNNL_ARG_WEIGHTS, wmem }, { DNNL_ARG_DST, s->dst }, { DNNL_ARG_SCRATCHPAD, NULL }
	};
	int nargs = 3;
	if (e->sp_bytes > 0) {
		if (mem_at(&s->sp, &e->sp_md, ts->sp) != 0)
			return -1;
		args[3].memory = s->sp;
		nargs = 4;
	}
	if (dnnl_primitive_execute(e->prim, ts->stream, nargs, args) != dnnl_success)
		return -1;
	return dnnl_stream_wait(ts->stream) == dnnl_success ? 0 : -1;
}

int onednn_linear(float *y, const uint16_t *x, int m, const struct onednn_weights *w)
{
	struct thread_state *ts = onednn_usable() ? state_get() : NULL;
	if (!ts)
		return -1;
	int i = entry_get(MM_LINEAR, m, w->rows, w->cols, 0, 0, &w->md);
	if (i < 0)
		return -1;
	int rc = run(ts, i, x, NULL, w->mem, y);
	entry_release(i);
	return rc;
}

int onednn_gemm(int ta, int tb, int M, int N, int K, const uint16_t *A, const uint16_t *B, float *C)
{
	struct thread_state *ts = onednn_usable() ? state_get() : NULL;
	if (!ts)
		return -1;
	int i = entry_get(MM_GEMM, M, N, K, ta ? 1 : 0, tb ? 1 : 0, NULL);
	if (i < 0)
		return -1;
	int rc = run(ts, i, A, B, NULL, C);
	entry_release(i);
	return rc;
}

int onednn_sgemm(int ta, int tb, int M, int N, int K, const float *A, const float *B, float *C)
{
	struct thread_state *ts = onednn_f32_usable() ? state_get() : NULL;
	if (!ts)
		return -1;
	int i = entry_get(MM_SGEMM, M, N, K, ta ? 1 : 0, tb ? 1 : 0, NULL);
	if (i < 0)
		return -1;
	int rc = run(ts, i, A, B, NULL, C);
	entry_release(i);
	return rc;
}

#endif
