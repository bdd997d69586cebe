/* bench_forward.c - the forward-pass half of `make bench` (issue 6).
 *
 *   bench_forward sgemm --model DIR --seq-len S --batch B [--reps R] [--threads N] [--label L]
 *       OpenBLAS sgemm GFLOP/s at every matrix product one HRM block issues
 *       for that configuration, with the engine's own layouts (transposes,
 *       leading dimensions), so the ceiling is what the engine could reach;
 *   bench_forward sgemm --square N [--reps R] [--threads N] [--label L]
 *       a square N x N x N sgemm (NoTrans, NoTrans); both name the OpenBLAS
 *       kernel that ran (openblas_get_corename);
 *   bench_forward onednn --model DIR --seq-len S --batch B [--reps R] [--threads N] [--label L]
 *       the same products as oneDNN's bf16 matmul primitive alone
 *       (bench_onednn.h: compact bf16 operands, prepacked weights), with
 *       N threads used two ways: one product on an OpenMP team of N, and N
 *       products at once, each on one thread (as gemm_bf16 runs oneDNN);
 *       the faster is the ceiling of the bf16 engine;
 *   bench_forward forward --model DIR --seq-len S --batch B --segments K
 *                         [--dtype fp32|bf16] [--threads N] [--history] [--warmup 0|1] [--label L]
 *       hrmscope's engine stepping K segments one module call at a time, in a
 *       child process: the time of every L-step, H-step and segment, the
 *       FLOPs of each, and the child's peak RSS (ru_maxrss).  --history keeps
 *       a full float32 copy of z_H and z_L after every module call, as a UI
 *       that rewinds by copies would.  --warmup 1 (the default) first runs one
 *       module call and resets, so that page faults and BLAS thread start-up
 *       stay out of the figures (negligible against the 27M model's B = 8
 *       steps, which skip it to save time); --dtype bf16 runs the engine in
 *       bf16 (hrm_engine_new_dtype, the matrix products in gemm_bf16).
 *       A TRM checkpoint runs too: an H-step is then one call of the one
 *       L_level (its FLOPs counted so, hrm_update_layers), and mlp_t blocks
 *       count their SwiGLU over the positions in place of attention;
 *   bench_forward peak [--min-ms MS] [--label L]
 *       one core's GFLOP/s at vfmadd231ps ymm and zmm and vdpbf16ps zmm
 *       (bench_peak.c): whether bf16 can be faster than fp32 on this CPU;
 *   bench_forward info [--threads N]
 *       the BLAS hrmscope runs on (openblas_get_config) and its threads.
 *
 * Every result is one JSON object per line on stdout (bench/run_bench.sh
 * collects them; tools/bench_report.py makes the table). */
#include "bench_common.h"
#include "bench_onednn.h"
#include "bench_peak.h"
#include "model/engine.h"
#include "model/hrm.h"
#include "io/checkpoint.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One matrix product as the engine issues it (ops.c): row-major
 * C[M][N] = A[M][K] op(B), op(B) = B^T (B stored [N][ldb]) or B ([K][ldb]). */
struct mm_op {
	const char *name;
	int M, K, N;
	int transB;
	int lda, ldb, ldc;
	long calls;  /* per block (attention: one per batch row and head) */
};

#define MAX_OPS 6

/* The products of one block for B rows of T positions (block_forward and
 * attention_forward in the engine). */
static int block_ops(const struct hrm_config *c, int B, int T, struct mm_op *op)
{
	int n = B * T, d = c->hidden_size, in = c->inter, hd = c->head_dim;
	long bh = (long)B * c->num_heads;
	if (c->mlp_t) {
		/* TRM's mlp_t in place of attention: a SwiGLU over the T
		 * positions of each of the B d channels (forward.c) */
		int nt = B * d, it = c->inter_t;
		op[0] = (struct mm_op){ "t_gate_up", nt, T, 2 * it, 1, T, T, 2 * it, 1 };
		op[1] = (struct mm_op){ "t_down", nt, it, T, 1, it, it, T, 1 };
		op[2] = (struct mm_op){ "gate_up", n, d, 2 * in, 1, d, d, 2 * in, 1 };
		op[3] = (struct mm_op){ "down", n, in, d, 1, in, in, d, 1 };
		return 4;
	}
	op[0] = (struct mm_op){ "qkv", n, d, 3 * d, 1, d, d, 3 * d, 1 };
	op[1] = (struct mm_op){ "attn_qk", T, hd, T, 1, 3 * d, 3 * d, T, bh };
	op[2] = (struct mm_op){ "attn_pv", T, T, hd, 0, T, 3 * d, d, bh };
	op[3] = (struct mm_op){ "o", n, d, d, 1, d, d, d, 1 };
	op[4] = (struct mm_op){ "gate_up", n, d, 2 * in, 1, d, d, 2 * in, 1 };
	op[5] = (struct mm_op){ "down", n, in, d, 1, in, in, d, 1 };
	return MAX_OPS;
}

static double op_flops(const struct mm_op *o)
{
	return 2.0 * o->M * o->K * o->N * (double)o->calls;
}

static double block_flops(const struct hrm_config *c, int B, int T)
{
	struct mm_op op[MAX_OPS];
	int n = block_ops(c, B, T, op);
	double f = 0;
	for (int i = 0; i < n; i++)
		f += op_flops(&op[i]);
	return f;
}

static void fill_random(float *p, size_t n, unsigned *seed)
{
	for (size_t i = 0; i < n; i++) {
		*seed = *seed * 1103515245u + 12345u;
		p[i] = (float)((*seed >> 8) & 0xffff) / 32768.0f - 1.0f;
	}
}

/* Median seconds per call of fn(ctx), over `reps` samples of enough calls
 * to last about 50 ms each, after one warm-up call (threads, page faults,
 * kernels made). */
static double time_calls(void (*fn)(void *), void *ctx, int reps, int *calls_per_sample)
{
	fn(ctx);
	double t0 = bench_now();
	fn(ctx);
	double one = bench_now() - t0;
	int k = one > 0 ? (int)ceil(0.05 / one) : 1;
	if (k < 1)
		k = 1;
	if (k > 10000)
		k = 10000;
	double *s = malloc((size_t)reps * sizeof *s);
	if (!s) {
		fprintf(stderr, "bench_forward: out of memory\n");
		exit(1);
	}
	for (int r = 0; r < reps; r++) {
		t0 = bench_now();
		for (int i = 0; i < k; i++)
			fn(ctx);
		s[r] = (bench_now() - t0) / k;
	}
	double med = bench_median(s, reps);
	free(s);
	*calls_per_sample = k;
	return med;
}

struct sgemm_call {
	const struct mm_op *o;
	float *A, *B, *C;
};

static void run_sgemm(void *v)
{
	const struct sgemm_call *c = v;
	const struct mm_op *o = c->o;
	cblas_sgemm(CblasRowMajor, CblasNoTrans, o->transB ? CblasTrans : CblasNoTrans, o->M, o->N, o->K, 1.0f, c->A,
		    o->lda, c->B, o->ldb, 0.0f, c->C, o->ldc);
}

/* Median seconds per call of one product through cblas_sgemm. */
static double time_sgemm(const struct mm_op *o, int reps, int *calls_per_sample)
{
	size_t a_n = (size_t)o->M * o->lda;
	size_t b_n = o->transB ? (size_t)o->N * o->ldb : (size_t)o->K * o->ldb;
	size_t c_n = (size_t)o->M * o->ldc;
	struct sgemm_call c = { o, malloc(a_n * sizeof(float)), malloc(b_n * sizeof(float)),
				malloc(c_n * sizeof(float)) };
	if (!c.A || !c.B || !c.C) {
		fprintf(stderr, "bench_forward: out of memory for %s\n", o->name);
		exit(1);
	}
	unsigned seed = 12345;
	fill_random(c.A, a_n, &seed);
	fill_random(c.B, b_n, &seed);
	memset(c.C, 0, c_n * sizeof(float));
	double med = time_calls(run_sgemm, &c, reps, calls_per_sample);
	free(c.A);
	free(c.B);
	free(c.C);
	return med;
}

static void print_sgemm(const char *label, const struct mm_op *o, int reps, int threads)
{
	int k;
	double t = time_sgemm(o, reps, &k);
	double f = 2.0 * o->M * o->K * o->N;
	printf("{\"kind\":\"sgemm\",\"label\":\"%s\",\"op\":\"%s\",\"M\":%d,\"K\":%d,\"N\":%d,\"transB\":%d,"
	       "\"lda\":%d,\"ldb\":%d,\"ldc\":%d,\"threads\":%d,\"reps\":%d,\"calls_per_rep\":%d,"
	       "\"seconds\":%.9g,\"gflops\":%.4f,\"corename\":\"%s\"}\n",
	       label, o->name, o->M, o->K, o->N, o->transB, o->lda, o->ldb, o->ldc, threads, reps, k, t,
	       f / t * 1e-9, openblas_get_corename());
	fflush(stdout);
}

/* The architecture of DIR/all_config.yaml with S cells: enough for shapes,
 * without loading the tensors. */
static int load_config(const char *dir, int S, struct hrm_config *c)
{
	char path[4096];
	char *cause = NULL;
	snprintf(path, sizeof path, "%s/all_config.yaml", dir);
	hrm_config_default(c);
	if (hrm_config_load_yaml(path, c, &cause) != 0) {
		fprintf(stderr, "bench_forward: %s\n", cause);
		free(cause);
		return -1;
	}
	c->seq_len = S;
	if (c->vocab_size < 1)
		c->vocab_size = 2;
	if (c->num_puzzle_identifiers < 1)
		c->num_puzzle_identifiers = 1;
	if (hrm_config_derive(c, &cause) != 0) {
		fprintf(stderr, "bench_forward: %s\n", cause);
		free(cause);
		return -1;
	}
	return 0;
}

static int cmd_sgemm(int argc, char **argv)
{
	int reps = (int)bench_opt_long(argc, argv, "--reps", 5);
	int threads = (int)bench_opt_long(argc, argv, "--threads", 1);
	hrm_set_threads(threads);
	long sq = bench_opt_long(argc, argv, "--square", 0);
	if (sq > 0) {
		struct mm_op o = { "square", (int)sq, (int)sq, (int)sq, 0, (int)sq, (int)sq, (int)sq, 1 };
		char label[32];
		snprintf(label, sizeof label, "square%ld", sq);
		const char *l = bench_opt(argc, argv, "--label");
		print_sgemm(l ? l : label, &o, reps, threads);
		return 0;
	}
	const char *dir = bench_opt(argc, argv, "--model");
	int S = (int)bench_opt_long(argc, argv, "--seq-len", 0);
	int B = (int)bench_opt_long(argc, argv, "--batch", 1);
	const char *label = bench_opt(argc, argv, "--label");
	struct hrm_config c;
	if (dir == NULL || S < 1 || B < 1 || load_config(dir, S, &c) != 0) {
		fprintf(stderr, "bench_forward sgemm: --model DIR --seq-len S --batch B required\n");
		return 2;
	}
	struct mm_op op[MAX_OPS];
	int n = block_ops(&c, B, c.T, op);
	for (int i = 0; i < n; i++)
		print_sgemm(label ? label : "model", &op[i], reps, threads);
	return 0;
}

/* oneDNN's bf16 primitive at every product of a block: the ceiling the bf16
 * engine is measured against (tools/bench_report.py weighs them by FLOPs) */
static int cmd_onednn(int argc, char **argv)
{
	int reps = (int)bench_opt_long(argc, argv, "--reps", 5);
	int threads = (int)bench_opt_long(argc, argv, "--threads", 1);
	const char *dir = bench_opt(argc, argv, "--model");
	int S = (int)bench_opt_long(argc, argv, "--seq-len", 0);
	int B = (int)bench_opt_long(argc, argv, "--batch", 1);
	const char *label = bench_opt(argc, argv, "--label");
	struct hrm_config c;
	if (dir == NULL || S < 1 || B < 1 || reps < 1 || load_config(dir, S, &c) != 0) {
		fprintf(stderr, "bench_forward onednn: --model DIR --seq-len S --batch B required\n");
		return 2;
	}
#ifdef HAVE_ONEDNN
	struct mm_op op[MAX_OPS];
	int n = block_ops(&c, B, c.T, op);
	for (int i = 0; i < n; i++) {
		const struct mm_op *o = &op[i];
		/* attention's products read plain operands; the linear layers'
		 * weights are prepacked, as the engine keeps them */
		int linear = o->calls == 1;
		struct bench_dnnl_mm r;
		bench_dnnl_make(&r, o->M, o->N, o->K, linear, o->transB, dnnl_bf16, threads);
		int k;
		double t_team = time_calls(bench_dnnl_run, &r, reps, &k);
		double t_par = bench_dnnl_parallel_seconds(o->M, o->N, o->K, linear, o->transB, dnnl_bf16, threads,
							   reps, 0.05);
		double f = 2.0 * o->M * o->K * o->N;
		/* the ceiling is the better of the two ways to use the threads */
		double t = t_par < t_team ? t_par : t_team;
		printf("{\"kind\":\"onednn_bf16\",\"label\":\"%s\",\"op\":\"%s\",\"M\":%d,\"K\":%d,\"N\":%d,"
		       "\"transB\":%d,\"threads\":%d,\"reps\":%d,\"calls_per_rep\":%d,\"seconds\":%.9g,"
		       "\"gflops\":%.4f,\"gflops_team\":%.4f,\"gflops_parallel\":%.4f,\"best\":\"%s\","
		       "\"impl\":\"%s\",\"isa\":\"%s\",\"version\":\"%s\"}\n",
		       label ? label : "model", o->name, o->M, o->K, o->N, o->transB, threads, reps, k, t, f / t * 1e-9,
		       f / t_team * 1e-9, f / t_par * 1e-9, t_par < t_team ? "parallel" : "team", r.impl,
		       bench_dnnl_isa(), bench_dnnl_version());
		fflush(stdout);
		bench_dnnl_free(&r);
	}
	return 0;
#else
	(void)threads;
	(void)label;
	fprintf(stderr, "bench_forward onednn: built without oneDNN\n");
	return 1;
#endif
}

/* ---- forward ---- */

#define MAX_CALLS 4096

/* Filled by the child, read by the parent (shared memory). */
struct fwd_result {
	int ok;
	int n_l, n_h, n_seg;
	double t_l[MAX_CALLS], t_h[MAX_CALLS], t_seg[MAX_CALLS];
	double checksum[2];   /* sum and sum of squares of z_H, batch row 0, after segment 1 */
	long setup_rss_kb;    /* peak RSS after loading, the engine and the first step */
	double history_bytes; /* state copies kept (--history) */
	struct hrm_config cfg;
	int T;
	char err[256];
};

struct fwd_args {
	const char *dir;
	int S, B, segments, threads, history, warmup;
	enum hrm_dtype dt;
	struct fwd_result *r;
};

static float *copy_state(const float *z, size_t n)
{
	float *p = malloc(n * sizeof *p);
	if (p != NULL)
		memcpy(p, z, n * sizeof *p);
	return p;
}

static int forward_child(void *arg)
{
	struct fwd_args *a = arg;
	struct fwd_result *r = a->r;
	hrm_set_threads(a->threads);
	struct hrm_model m;
	char *cause = NULL;
	if (hrm_model_load(&m, a->dir, &cause) != 0) {
		snprintf(r->err, sizeof r->err, "%s", cause);
		free(cause);
		return 1;
	}
	if (a->dt == HRM_DTYPE_BF16 && hrm_model_prepare_bf16(&m, &cause) != 0) {
		snprintf(r->err, sizeof r->err, "%s", cause);
		free(cause);
		hrm_model_free(&m);
		return 1;
	}
	struct hrm_engine *e = hrm_engine_new_dtype(&m, a->B, a->S, a->dt, &cause);
	if (e == NULL) {
		snprintf(r->err, sizeof r->err, "%s", cause);
		free(cause);
		hrm_model_free(&m);
		return 1;
	}
	const struct hrm_config *c = &m.cfg;
	int32_t *tok = malloc((size_t)a->B * a->S * sizeof *tok);
	int32_t *pid = calloc((size_t)a->B, sizeof *pid);
	bench_tokens(tok, a->B, a->S, c->vocab_size);
	if (hrm_engine_set_inputs(e, tok, pid, &cause) != 0) {
		snprintf(r->err, sizeof r->err, "%s", cause);
		free(cause);
		return 1;
	}
	r->cfg = *c;
	r->T = hrm_engine_T(e);
	size_t n = (size_t)a->B * r->T * c->hidden_size;

	/* warm-up: one module call faults in every buffer and starts BLAS's
	 * threads; then back to the start */
	if (a->warmup) {
		hrm_engine_step(e, HRM_GRAIN_MODULE);
		hrm_engine_reset(e, -1);
	}
	r->setup_rss_kb = bench_self_maxrss_kb();

	size_t max_hist = 2 * ((size_t)a->segments * c->H_cycles * (c->L_cycles + 1) + 1);
	float **hist = a->history ? calloc(max_hist, sizeof *hist) : NULL;
	size_t n_hist = 0;
	if (hist) {
		hist[n_hist++] = copy_state(hrm_engine_zH(e), n);
		hist[n_hist++] = copy_state(hrm_engine_zL(e), n);
	}
	for (int s = 0; s < a->segments; s++) {
		double seg = 0;
		while (hrm_engine_cursor(e).segment == s) {
			int is_L = hrm_engine_cursor(e).l_step < c->L_cycles;
			double t0 = bench_now();
			hrm_engine_step(e, HRM_GRAIN_MODULE);
			double dt = bench_now() - t0;
			seg += dt;
			if (is_L && r->n_l < MAX_CALLS)
				r->t_l[r->n_l++] = dt;
			else if (!is_L && r->n_h < MAX_CALLS)
				r->t_h[r->n_h++] = dt;
			if (hist && n_hist + 2 <= max_hist) {
				hist[n_hist++] = copy_state(hrm_engine_zH(e), n);
				hist[n_hist++] = copy_state(hrm_engine_zL(e), n);
				if (hist[n_hist - 1] == NULL || hist[n_hist - 2] == NULL) {
					snprintf(r->err, sizeof r->err, "out of memory keeping the history");
					return 1;
				}
			}
		}
		if (r->n_seg < MAX_CALLS)
			r->t_seg[r->n_seg++] = seg;
		if (s == 0) {
			const float *z = hrm_engine_zH(e);
			size_t row = (size_t)r->T * c->hidden_size;
			for (size_t i = 0; i < row; i++) {
				r->checksum[0] += z[i];
				r->checksum[1] += (double)z[i] * z[i];
			}
		}
	}
	r->history_bytes = (double)n_hist * n * sizeof(float);
	r->ok = 1;
	/* the process exits: no need to free the history one by one */
	return 0;
}

static void print_times(const char *key, double *t, int n)
{
	double mn = n ? t[0] : 0, mx = n ? t[0] : 0;
	for (int i = 1; i < n; i++) {
		mn = t[i] < mn ? t[i] : mn;
		mx = t[i] > mx ? t[i] : mx;
	}
	printf("\"%s_s\":%.6g,\"%s_min_s\":%.6g,\"%s_max_s\":%.6g,\"%s_n\":%d,", key, bench_median(t, n), key, mn,
	       key, mx, key, n);
}

static int cmd_forward(int argc, char **argv)
{
	struct fwd_args a = {
		.dir = bench_opt(argc, argv, "--model"),
		.S = (int)bench_opt_long(argc, argv, "--seq-len", 0),
		.B = (int)bench_opt_long(argc, argv, "--batch", 1),
		.segments = (int)bench_opt_long(argc, argv, "--segments", 1),
		.threads = (int)bench_opt_long(argc, argv, "--threads", 1),
		.history = bench_flag(argc, argv, "--history"),
		.warmup = (int)bench_opt_long(argc, argv, "--warmup", 1),
	};
	const char *label = bench_opt(argc, argv, "--label");
	const char *dname = bench_opt(argc, argv, "--dtype");
	a.dt = HRM_DTYPE_FP32;
	if (dname != NULL && hrm_dtype_parse(dname, &a.dt) != 0) {
		fprintf(stderr, "bench_forward forward: --dtype fp32|bf16\n");
		return 2;
	}
	if (a.dir == NULL || a.S < 1 || a.B < 1 || a.segments < 1) {
		fprintf(stderr, "bench_forward forward: --model DIR --seq-len S --batch B --segments K required\n");
		return 2;
	}
	hrm_set_threads(a.threads);
	a.r = bench_shared_alloc(sizeof *a.r);
	long rss = 0;
	if (bench_in_child(forward_child, &a, &rss) != 0 || !a.r->ok) {
		fprintf(stderr, "bench_forward forward: %s\n", a.r->err[0] ? a.r->err : "the child failed");
		return 1;
	}
	struct fwd_result *r = a.r;
	const struct hrm_config *c = &r->cfg;
	double fb = block_flops(c, a.B, r->T);
	/* the blocks each update runs (TRM's H-step runs the one L_level) */
	int l_blocks = hrm_update_layers(c, true), h_blocks = hrm_update_layers(c, false);
	double f_l = fb * l_blocks, f_h = fb * h_blocks;
	double f_heads = 2.0 * a.B * a.S * c->hidden_size * c->vocab_size + 2.0 * a.B * 2 * c->hidden_size;
	double f_seg = c->H_cycles * (c->L_cycles * f_l + f_h) + f_heads;
	printf("{\"kind\":\"forward\",\"impl\":\"hrmscope\",\"label\":\"%s\",\"B\":%d,\"S\":%d,\"T\":%d,\"d\":%d,"
	       "\"threads\":%d,\"segments\":%d,\"history\":%d,\"warmup\":%d,\"dtype\":\"%s\",",
	       label ? label : "model", a.B, a.S, r->T, c->hidden_size, a.threads, a.segments, a.history, a.warmup,
	       hrm_dtype_name(a.dt));
	print_times("l_step", r->t_l, r->n_l);
	print_times("h_step", r->t_h, r->n_h);
	print_times("segment", r->t_seg, r->n_seg);
	printf("\"flops_block\":%.6g,\"flops_l_step\":%.6g,\"flops_h_step\":%.6g,\"flops_heads\":%.6g,"
	       "\"flops_segment\":%.6g,\"L_layers\":%d,\"H_layers\":%d,\"L_cycles\":%d,\"H_cycles\":%d,"
	       "\"arch\":\"%s\",\"mlp_t\":%d,\"puzzle_emb_len\":%d,",
	       fb, f_l, f_h, f_heads, f_seg, l_blocks, h_blocks, c->L_cycles, c->H_cycles, hrm_arch_desc(c)->name,
	       c->mlp_t ? 1 : 0, c->puzzle_emb_len);
	struct mm_op op[MAX_OPS];
	int nop = block_ops(c, a.B, r->T, op);
	printf("\"ops\":[");
	for (int i = 0; i < nop; i++)
		printf("%s{\"op\":\"%s\",\"M\":%d,\"K\":%d,\"N\":%d,\"calls\":%ld,\"flops\":%.6g}", i ? "," : "",
		       op[i].name, op[i].M, op[i].K, op[i].N, op[i].calls, op_flops(&op[i]));
	printf("],\"checksum\":[%.9g,%.9g],\"setup_maxrss_kb\":%ld,\"history_bytes\":%.0f,\"maxrss_kb\":%ld}\n",
	       r->checksum[0], r->checksum[1], r->setup_rss_kb, r->history_bytes, rss);
	return 0;
}

static int cmd_info(int argc, char **argv)
{
	int threads = (int)bench_opt_long(argc, argv, "--threads", 1);
	hrm_set_threads(threads);
	printf("{\"kind\":\"hrmscope_info\",\"openblas_config\":\"%s\",\"openblas_corename\":\"%s\","
	       "\"openblas_threads\":%d,\"openblas_parallel\":%d,\"procs\":%d}\n",
	       openblas_get_config(), openblas_get_corename(), openblas_get_num_threads(), openblas_get_parallel(),
	       openblas_get_num_procs());
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "info") == 0)
		return cmd_info(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "sgemm") == 0)
		return cmd_sgemm(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "onednn") == 0)
		return cmd_onednn(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "forward") == 0)
		return cmd_forward(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "peak") == 0)
		return bench_peak_main(argc, argv);
	fprintf(stderr, "usage: bench_forward sgemm|onednn|forward|peak|info [options] "
			"(see the comment at the top of bench/bench_forward.c)\n");
	return 2;
}
