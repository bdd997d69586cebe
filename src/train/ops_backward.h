/* ops_backward.h - the backward of every forward op in ops.h, plus the two
 * forward variants that save what a backward needs.  Row-major float32 like
 * the forwards; matrix products go through hrm_sgemm (ops.h), the bf16
 * ones through gemm_bf16 (gemm_bf16.h).
 *
 * Convention: `dy` is the gradient of the loss with respect to an op's output,
 * `dx` the gradient with respect to its input.  Input gradients are written
 * (overwritten); weight gradients are accumulated (+=) so that several calls
 * (blocks, segments, micro-batches) can sum into one gradient buffer. */
#ifndef HRM_OPS_BACKWARD_H
#define HRM_OPS_BACKWARD_H

#include <stddef.h>
#include <stdint.h>

/* y = x W^T (linear_forward): dx[n][in] = dy[n][out] W (skipped when dx is
 * NULL), dW[out][in] += dy^T x (skipped when dW is NULL). */
void linear_backward(float *dx, float *dW, const float *dy, const float *x, const float *W,
		     int n, int in, int out);

/* linear_backward as autograd computes it for a bf16 F.linear: dy, x and W
 * hold bf16 values (products exact, fp32 sums, in gemm_bf16_ex: oneDNN's
 * bf16 matmul where it has the kernels); dx is rounded to bf16, and the
 * weight's gradient is the bf16 product dy^T x (rounded, in dW_tmp
 * [out][in]) added to the fp32 master gradient dW.  xb: x's bits as the
 * forward kept them (linear_grad_bf16_ex; x may then be NULL), or NULL. */
void linear_backward_bf16(float *dx, float *dW, float *dW_tmp, const float *dy, const float *x,
			  const uint16_t *xb, const float *W, int n, int in, int out);

/* add_rmsnorm_forward that also saves inv[n] = 1/sqrt(mean((x+r)^2) + eps)
 * per row.  The values left in x are exactly those of add_rmsnorm_forward. */
void add_rmsnorm_forward_save(float *x, const float *r, float *inv, int n, int d, float eps);
/* y = rmsnorm(x + r): dx[n][d] = d(x + r) = inv * (dy - y * mean(dy * y)),
 * from the saved output y and inv.  dx may alias dy. */
void add_rmsnorm_backward(float *dx, const float *dy, const float *y, const float *inv, int n, int d);
/* the same; with round, each row of dx rounded to bf16 (round_bf16) while it
 * is in cache: the values of add_rmsnorm_backward followed by round_bf16 */
void add_rmsnorm_backward_ex(float *dx, const float *dy, const float *y, const float *inv, int n, int d, int round);

/* rope_forward rotates each (i, i + hd/2) pair of every q and k head by the
 * position's angle; the backward rotates the q and k parts of a qkv gradient
 * ([n_tok][3d], in place) by the opposite angle.  The v part is untouched. */
void rope_backward(float *dqkv, const float *cos_t, const float *sin_t, int B, int T, int heads, int hd);
/* the same; with round, the rotated q and k values rounded to bf16 in the
 * same pass (v untouched) */
void rope_backward_ex(float *dqkv, const float *cos_t, const float *sin_t, int B, int T, int heads, int hd,
		      int round);

/* attention_forward that also saves the softmax probabilities
 * probs[B][heads][T][T].  out is exactly attention_forward's. */
void attention_forward_save(float *out, const float *qkv, float *probs, int B, int T, int heads, int hd);
/* dqkv[B*T][3d] (written) from dout[B*T][d], the saved qkv (after rope) and
 * probs; scratch holds T*T floats. */
void attention_backward(float *dqkv, const float *dout, const float *qkv, const float *probs, float *scratch,
			int B, int T, int heads, int hd);

/* attention_backward with scratch_floats of scratch: it runs on as many
 * threads (hrm_par_threads()) as the scratch holds T * T blocks for. */
void attention_backward_n(float *dqkv, const float *dout, const float *qkv, const float *probs, float *scratch,
			  size_t scratch_floats, int B, int T, int heads, int hd);
/* Floats of scratch attention_backward_n needs per thread: T * T with
 * probs, fewer without (recompute: probs NULL, P computed again tile by
 * tile of the forward's query rows; the forward then need not save it). */
size_t attention_backward_scratch_floats(int T, int hd, int recompute);
/* attention_backward_n; with round, each (batch row, head) task rounds its
 * dq, dk and dv columns to bf16 right after its products (in cache): the
 * values of attention_backward_n followed by round_bf16 over dqkv */
void attention_backward_ex(float *dqkv, const float *dout, const float *qkv, const float *probs, float *scratch,
			   size_t scratch_floats, int B, int T, int heads, int hd, int round);
/* attention_backward_ex; without probs, stats (not NULL: the softmax
 * statistics attention_forward_stats kept) let it compute the
 * probabilities again in one pass, with the same bits */
void attention_backward_stats(float *dqkv, const float *dout, const float *qkv, const float *probs,
			      const float *stats, float *scratch, size_t scratch_floats, int B, int T, int heads,
			      int hd, int round);

/* act = silu(g) * u (swiglu_forward): dgu[n][2 inter] (written) from
 * dact[n][inter] and the saved gu[n][2 inter]. */
void swiglu_backward(float *dgu, const float *dact, const float *gu, int n, int inter);
/* the same; with round, each row of dgu rounded to bf16 as it is written */
void swiglu_backward_ex(float *dgu, const float *dact, const float *gu, int n, int inter, int round);

/* y[i] = E[idx[i]] (embedding lookup): dE[idx[i]] += dy[i] for the n rows;
 * rows with idx < 0 are skipped.  Rows sharing an index add up. */
void embedding_backward(float *dE, const float *dy, const int32_t *idx, int n, int d);

/* dS = P * (dP - rowsum(dP * P)) over T rows of T, in place over ds (dP);
 * each row sum in 8 interleaved partial sums combined pairwise */
void softmax_backward_rows(float *ds, const float *p, int T);
/* the same over rows rows of T */
void softmax_backward_rows_n(float *ds, const float *p, int rows, int T);

#endif
