/* ops.h - the forward ops of the model, one small function each, named after
 * their PyTorch counterparts.  Row-major float32; matrix products go through
 * cblas_sgemm. */
#ifndef HRM_OPS_H
#define HRM_OPS_H

#include <stddef.h>

/* y[n][out] = x[n][in] W^T, W: [out][in] (F.linear without bias) */
void linear_forward(float *y, const float *x, const float *W, int n, int in, int out);
/* x = rmsnorm(x + r) row-wise over d, weightless (rms_norm(h + r)) */
void add_rmsnorm_forward(float *x, const float *r, int n, int d, float eps);
/* RoPE on the q and k parts of qkv rows ([n_tok][3d]); cos/sin [T][hd] */
void rope_forward(float *qkv, const float *cos_t, const float *sin_t, int B, int T, int heads, int hd);
/* Non-causal attention per batch row and head; qkv [B*T][3d] -> out [B*T][d];
 * scores is scratch of T*T floats. */
void attention_forward(float *out, const float *qkv, float *scores, int B, int T, int heads, int hd);
/* act[n][inter] = silu(gu[:, :inter]) * gu[:, inter:] */
void swiglu_forward(float *act, const float *gu, int n, int inter);
/* rope tables as torch computes them in float32 */
void rope_tables(float *cos_t, float *sin_t, int T, int hd, double theta);
/* index of the largest value (first on ties, as torch.argmax) */
int argmax_f32(const float *v, int n);

#endif
