/* mixing.c - one block's token-mixing weights from one query position (mixing.h). */
#include "model/mixing.h"
#include "model/arch.h"
#include "model/forward.h"
#include "model/gemm_bf16.h"
#include "model/ops.h"
#include "model/ops_bf16.h"
#include "core/half.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int module_layers(const struct hrm_config *c, enum hrm_module mod)
{
	return hrm_update_layers(c, mod == HRM_MODULE_L);
}

/* the H-step's blocks: H_level for HRM, the one L_level for TRM */
static bool L_blocks(const struct hrm_config *c, enum hrm_module mod)
{
	return mod == HRM_MODULE_L || hrm_arch_desc(c)->shared_net;
}

enum hrm_mix_kind hrm_block_mix_kind(const struct hrm_config *c, enum hrm_module mod, int layer)
{
	/* every HRM block is attention then SwiGLU; a TRM mlp_t block mixes
	 * tokens with an MLP instead (no attention weights to show yet) */
	if (layer < 0 || layer >= module_layers(c, mod) || c->mlp_t)
		return HRM_MIX_NONE;
	return HRM_MIX_ATTENTION;
}

int hrm_block_mix_rows(const struct hrm_config *c, enum hrm_module mod, int layer)
{
	switch (hrm_block_mix_kind(c, mod, layer)) {
	case HRM_MIX_ATTENTION: return c->num_heads;
	case HRM_MIX_NONE: break;
	}
	return 0;
}

/* One softmax row as attention_forward_tiled computes it: the scaled
 * product with every key, softmax in float32. */
static void row_fp32(const float *q, const float *k, int ld, int T, int hd, float *w)
{
	hrm_sgemm_small(0, 1, 1, T, hd, 1.0f / sqrtf((float)hd), q, ld, k, ld, w, T);
	softmax_rows(w, 1, T);
}

/* One row as attention_forward_bf16_tiled keeps it: bf16 q.k products with
 * fp32 sums, scaled, p = exp(s - max) rounded to bf16 for the product with
 * v, divided by the fp32 sum of the unrounded p (in the forward's order of
 * eight running sums). */
static void row_bf16(const float *q, const float *k, int ld, int T, int hd, float *w)
{
	float scale = 1.0f / sqrtf((float)hd);
	gemm_bf16(1, 1, T, hd, q, ld, k, ld, w, T);
	float mx = -INFINITY;
	for (int j = 0; j < T; j++) {
		w[j] *= scale;
		if (w[j] > mx)
			mx = w[j];
	}
	float acc[8] = { 0 };
	for (int j = 0; j < T; j++) {
		float e = exp_f32(w[j] - mx);
		w[j] = bf16_round(e);
		acc[j % 8] += e;
	}
	float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
	float inv = 1.0f / sum;
	for (int j = 0; j < T; j++)
		w[j] *= inv;
}

int hrm_module_mixing(const struct hrm_model *m, enum hrm_dtype dt, enum hrm_module mod, int T, const float *z,
		      const float *a, const float *b, int layer, int query, float *w, char **cause)
{
	const struct hrm_config *c = &m->cfg;
	const char *name = L_blocks(c, mod) ? "L_level" : "H_level";
	int layers = module_layers(c, mod), d = c->hidden_size, hd = c->head_dim, heads = c->num_heads;
	if (layer < 0 || layer >= layers)
		return set_cause(cause, "%s has layers 0..%d, not %d", name, layers - 1, layer);
	if (hrm_block_mix_kind(c, mod, layer) == HRM_MIX_NONE)
		return set_cause(cause, "%s layer %d has no attention: no token-mixing weights to show", name, layer);
	if (query < 0 || query >= T)
		return set_cause(cause, "position %d is outside 0..%d", query, T - 1);
	if (dt == HRM_DTYPE_BF16 && m->bf16 == NULL)
		return set_cause(cause, "the model's bf16 weights are not prepared");
	struct block_scratch s;
	int failed = 0;
	float *h = alloc_floats((size_t)T * d, &failed), *rc = NULL, *rs = NULL;
	if (c->pos_encodings == HRM_POS_ROPE) {
		rc = alloc_floats((size_t)T * hd, &failed);
		rs = alloc_floats((size_t)T * hd, &failed);
	}
	if (failed || block_scratch_alloc(&s, c, 1, T) != 0) {
		if (!failed)
			block_scratch_free(&s);
		free(h);
		free(rc);
		free(rs);
		return set_cause(cause, "out of memory for the attention of %d positions", T);
	}
	if (rc != NULL)
		rope_tables(rc, rs, T, hd, c->rope_theta);
	/* the module's input and the blocks before `layer`, as the step ran them */
	if (dt == HRM_DTYPE_BF16) {
		const struct hrm_bf16_block *bl = L_blocks(c, mod) ? m->bf16->L : m->bf16->H;
		hrm_module_forward_bf16(&s, bl, layer, c, 1, T, rc, rs, z, a, b, h, NULL);
		linear_bf16(s.qkv, h, bl[layer].qkv, T);
		if (rc != NULL)
			rope_forward_bf16(s.qkv, rc, rs, 1, T, heads, hd);
	} else {
		const struct hrm_block_weights *bl = L_blocks(c, mod) ? m->w.L : m->w.H;
		hrm_module_forward(&s, bl, layer, c, 1, T, rc, rs, z, a, b, h, NULL);
		linear_forward(s.qkv, h, bl[layer].qkv, T, d, 3 * d);
		if (rc != NULL)
			rope_forward(s.qkv, rc, rs, 1, T, heads, hd);
	}
	for (int hh = 0; hh < heads; hh++) {
		const float *q = s.qkv + (size_t)query * 3 * d + (size_t)hh * hd, *k = s.qkv + d + (size_t)hh * hd;
		if (dt == HRM_DTYPE_BF16)
			row_bf16(q, k, 3 * d, T, hd, w + (size_t)hh * T);
		else
			row_fp32(q, k, 3 * d, T, hd, w + (size_t)hh * T);
	}
	block_scratch_free(&s);
	free(h);
	free(rc);
	free(rs);
	return 0;
}
