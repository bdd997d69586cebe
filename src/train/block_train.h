/* block_train.h - forward with saved activations, and backward, of one HRM
 * block and one reasoning module (a stack of blocks), for the trainer.
 *
 * The training forward computes exactly the values of the engine's forward
 * (same ops, same order) and keeps what the backward needs in a cache that is
 * allocated once for a (B, T, config) and reused for every step.  The cache
 * holds the activations of ONE forward: a backward must follow its forward
 * before the cache is used again. */
#ifndef HRM_BLOCK_TRAIN_H
#define HRM_BLOCK_TRAIN_H

#include <stdint.h>
#include "model/hrm.h"

/* Scratch shared by the blocks of a module (never read across calls). */
struct block_scratch;

struct block_cache {
	/* capacity and the sizes of the last forward */
	int B_cap, T_cap, B, T;
	int d, heads, hd, inter;
	float eps;
	const float *rope_cos, *rope_sin; /* of the last forward; NULL = no rope */
	int bf16;                         /* the last forward ran in bf16 */
	/* saved activations, n = B*T rows */
	float *in;     /* [n][d] block input */
	float *qkv;    /* [n][3d] q, k after rope; v */
	float *probs;  /* [B][heads][T][T] softmax probabilities; NULL until a
			* forward saves them (bf16; fp32 where T fits one tile) */
	int probs_saved; /* the last forward saved them (else the backward
			  * computes them again) */
	float *attn_stats; /* [B][heads][T][2] the softmax's max and 1/sum per
			    * query row, which an fp32 forward that does not
			    * save the probabilities keeps for the backward */
	float *attn;   /* [n][d] attention output (input of o_proj) */
	float *h1;     /* [n][d] rmsnorm(in + o_proj(attn)) */
	float *inv1;   /* [n] its 1/rms */
	float *gu;     /* [n][2 inter] gate | up */
	float *act;    /* [n][inter] silu(gate) * up */
	float *out;    /* [n][d] block output */
	float *inv2;   /* [n] its 1/rms */
	/* TRM's mlp_t blocks (attention's qkv, probs, attn, inv1 then unused),
	 * channels as rows: n_t = B*d rows of T positions */
	int mlp_t, inter_t;
	float *t_u;    /* [n_t][T] in^T, input of mlp_t.gate_up_proj */
	float *t_gu;   /* [n_t][2 inter_t] gate | up */
	float *t_act;  /* [n_t][inter_t] silu(gate) * up */
	float *t_h1;   /* [n_t][T] rmsnorm_T(u + mlp_t(u)) = h1^T */
	float *t_inv;  /* [n_t] its 1/rms over the positions */
	/* bf16 where the products take bits (bf16_bits_usable): the linears'
	 * inputs as bf16 bits, left by the forward for the weight gradients
	 * (allocated by the first such forward); act and t_act are then kept
	 * as bits only */
	uint16_t *in_b, *attn_b, *h1_b, *act_b, *t_u_b, *t_act_b;
	int bits;    /* the last forward kept them */
	int no_bits; /* set by a caller (the tests): keep none, convert as
		      * the products go, as where the products take no bits */
	/* private */
	struct block_scratch *scratch;
	int owns_io, owns_scratch;
};

/* Capacity B x T (calls may use B <= B_cap, T <= T_cap; with mlp_t T is
 * the config's T).  Uses from cfg: hidden_size, num_heads, head_dim, inter,
 * rms_norm_eps, mlp_t, T, inter_t.  Returns NULL with
 * *cause set when memory is short. */
struct block_cache *block_cache_new(const struct hrm_config *cfg, int B, int T, char **cause);
void block_cache_free(struct block_cache *c);

/* h [B*T][d] = block(h) in place, as the engine's block_forward.  rope_cos,
 * rope_sin: [T][head_dim] tables (ops.h rope_tables), used only when
 * cfg->pos_encodings == HRM_POS_ROPE (may be NULL otherwise). */
void block_forward_train(struct block_cache *c, const struct hrm_block_weights *w, const struct hrm_config *cfg,
			 int B, int T, float *h, const float *rope_cos, const float *rope_sin);
/* The same in bf16 arithmetic, as the engine's bf16 block (forward.h):
 * h must hold bf16 values. */
void block_forward_train_bf16(struct block_cache *c, const struct hrm_bf16_block *w, const struct hrm_config *cfg,
			      int B, int T, float *h, const float *rope_cos, const float *rope_sin);
/* dh: in = d(block output), out = d(block input).  Weight gradients are
 * accumulated (+=) into grads, whose arrays have the weights' shapes; a NULL
 * array there skips that gradient.  After a bf16 forward, w must be the
 * weights rounded to bf16 and the backward is autograd's through the bf16
 * ops: every activation gradient a bf16 value, the matrix products on bf16
 * operands, each weight gradient rounded before it joins the fp32 sum. */
void block_backward(struct block_cache *c, const struct hrm_block_weights *w, struct hrm_block_weights *grads,
		    float *dh);

struct module_cache {
	int layers;
	int B_cap, T_cap, B, T, d;
	float *states;              /* [layers + 1][n][d]: z + inj, then each block's output */
	struct block_cache **blocks;
	struct block_scratch *scratch;
};

struct module_cache *module_cache_new(const struct hrm_config *cfg, int layers, int B, int T, char **cause);
void module_cache_free(struct module_cache *m);
/* the attention probabilities of every block, which bf16 training saves
 * (fp32 at T over one tile recomputes them and never allocates them):
 * reserved up front so that memory running short is said before a step;
 * 0, or -1 with *cause */
int module_cache_reserve_probs(struct module_cache *m, char **cause);

/* out [B*T][d] = blocks(z + inj), as the engine's module_forward; out may
 * alias z or inj.  For the engine's L_level(z_L, z_H + x) pass inj = z_H + x
 * summed beforehand (the engine sums the injection first too). */
void module_forward_train(struct module_cache *m, const struct hrm_block_weights *blocks,
			  const struct hrm_config *cfg, int B, int T, const float *z, const float *inj,
			  float *out, const float *rope_cos, const float *rope_sin);
/* The same in bf16 (z + inj rounded, then the bf16 blocks); the backward
 * then takes the rounded weights. */
void module_forward_train_bf16(struct module_cache *m, const struct hrm_bf16_block *blocks,
			       const struct hrm_config *cfg, int B, int T, const float *z, const float *inj,
			       float *out, const float *rope_cos, const float *rope_sin);
/* din = d(z + inj) from dout = d(out): the gradient of z and of inj alike.
 * din may alias dout.  Weight gradients are accumulated into grads[layers]. */
void module_backward(struct module_cache *m, const struct hrm_block_weights *blocks,
		     struct hrm_block_weights *grads, const float *dout, float *din);

#endif
