/* ops_bf16.h - the forward ops in the official bf16 arithmetic (HRM-SPEC,
 * "The official arithmetic is bfloat16"): inputs and outputs are bf16
 * values in float32 storage; each op computes in float32 and rounds its
 * result to bf16 (nearest even) where torch.bfloat16 does.  The linear
 * layers are in gemm_bf16.h. */
#ifndef HRM_OPS_BF16_H
#define HRM_OPS_BF16_H

#include <stddef.h>
#include <stdint.h>

struct bf16_mat;

/* x = bf16(rms_norm(bf16(x + r))): the residual add in bf16, the norm in
 * float32 (rms_norm casts up, normalises, casts back); r is rounded to
 * bf16 as it is read, so it may be a linear's unrounded output
 * (linear_bf16_ex) */
void add_rmsnorm_forward_bf16(float *x, const float *r, int n, int d, float eps);
/* the same, keeping each row's 1/rms in inv[n] for the backward */
void add_rmsnorm_forward_bf16_inv(float *x, const float *r, float *inv, int n, int d, float eps);
/* RoPE on the q and k parts of qkv rows in float32 (cos/sin are float32
 * tables), the rotated q and k rounded back to bf16; the rows are rounded
 * to bf16 first (q, k and v), so qkv may be a linear's unrounded output */
void rope_forward_bf16(float *qkv, const float *cos_t, const float *sin_t, int B, int T, int heads, int hd);
/* act = bf16(bf16(silu(gate)) * up); gate and up rounded to bf16 as they
 * are read, so gu may be a linear's unrounded output */
void swiglu_forward_bf16(float *act, const float *gu, int n, int inter);
/* the same values written as bf16 bits, the input of linear_bf16_bits_ex */
void swiglu_forward_bf16_bits(uint16_t *act, const float *gu, int n, int inter);
/* y[n][rows of down] = down(SwiGLU(gu)), not rounded (the add and norm
 * after it round as they read): with act_bits, the SwiGLU written there as
 * bits and the linear reading them (linear_bf16_bits_ex; where
 * bf16_bits_usable()); without, written as float32 into act */
void swiglu_down_bf16(float *y, float *act, uint16_t *act_bits, const float *gu, const struct bf16_mat *down, int n,
		      int inter);
/* Attention as flash-attention computes it on bf16 q, k, v: scores and the
 * softmax in float32, the unnormalised probabilities rounded to bf16 for
 * the product with v (fp32 sums), that product divided by the fp32 sum of
 * the unrounded probabilities, the output rounded to bf16 once.  Scratch as
 * attention_forward_tiled. */
void attention_forward_bf16(float *out, const float *qkv, float *scratch, size_t scratch_floats, int B, int T,
			    int heads, int hd);
/* The same; with probs ([B][heads][T][T], not NULL) the weights each
 * output used, bf16(p) / sum, are kept there for the backward (the scratch
 * is then unused).  The output is the same bits either way. */
void attention_forward_bf16_tiled(float *out, const float *qkv, float *probs, float *scratch, size_t scratch_floats,
				  int B, int T, int heads, int hd);

#endif
