/* block_train.c - cached forward and backward of a block and of a module. */
#include "train/block_train.h"
#include "model/gemm_bf16.h"
#include "model/ops.h"
#include "model/ops_bf16.h"
#include "train/ops_backward.h"
#include "core/half.h"
#include "core/parallel.h"
#include "core/util.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct block_scratch {
	float *proj;  /* [n][d] o_proj / down_proj output (forward) */
	float *tmp;   /* [n][d] input gradient of a linear before the residual sum */
	float *dattn; /* [n][d] */
	float *dqkv;  /* [n][3d] */
	float *dact;  /* [n][inter] */
	float *dgu;   /* [n][2 inter] */
	float *dp;    /* [dp_blocks][T][T] attention backward, one block per thread */
	float *dw;    /* the largest weight: a bf16 weight gradient before it is added */
	int dp_blocks;
	/* mlp_t blocks (TRM), channels as rows: n_t = B*d rows of T */
	float *t_proj; /* [n_t][T] the positions' SwiGLU output (forward), then d(u) */
	float *t_tmp;  /* [n_t][T] input gradient of mlp_t.gate_up_proj */
	float *t_dact; /* [n_t][inter_t] */
	float *t_dgu;  /* [n_t][2 inter_t] */
};

static void scratch_free(struct block_scratch *s)
{
	if (s == NULL)
		return;
	free(s->proj);
	free(s->tmp);
	free(s->dattn);
	free(s->dqkv);
	free(s->dact);
	free(s->dgu);
	free(s->dp);
	free(s->dw);
	free(s->t_proj);
	free(s->t_tmp);
	free(s->t_dact);
	free(s->t_dgu);
	free(s);
}

static struct block_scratch *scratch_new(const struct hrm_config *cfg, int B, int T, int *failed)
{
	struct block_scratch *s = xcalloc(1, sizeof *s);
	size_t n = (size_t)B * T, d = (size_t)cfg->hidden_size, inter = (size_t)cfg->inter;
	s->proj = alloc_floats(n * d, failed);
	s->tmp = alloc_floats(n * d, failed);
	s->dact = alloc_floats(n * inter, failed);
	s->dgu = alloc_floats(n * 2 * inter, failed);
	size_t w = 2 * inter * d;
	if (cfg->mlp_t) {
		size_t it = (size_t)cfg->inter_t, nt = (size_t)B * d;
		s->t_proj = alloc_floats(nt * T, failed);
		s->t_tmp = alloc_floats(nt * T, failed);
		s->t_dact = alloc_floats(nt * it, failed);
		s->t_dgu = alloc_floats(nt * 2 * it, failed);
		if (2 * it * (size_t)T > w)
			w = 2 * it * (size_t)T;
	} else {
		s->dattn = alloc_floats(n * d, failed);
		s->dqkv = alloc_floats(n * 3 * d, failed);
		/* enough for the threads asked for now, and for at least 4 */
		int nth = hrm_par_threads();
		s->dp_blocks = nth > 4 ? nth : 4;
		s->dp = alloc_floats((size_t)T * T * s->dp_blocks, failed);
		if (3 * d * d > w)
			w = 3 * d * d;
	}
	s->dw = alloc_floats(w, failed);
	return s;
}

/* fp32 attention over more positions than one tile (T > 256: the 30x30
 * mazes' 901) does not save its probabilities: the backward computes them
 * again from q and k (attention_backward_ex with probs NULL), which took
 * less time than writing and reading them (at B 32 and T 901, 415 MB per
 * block).  bf16 saves them (its rounded softmax is not recomputed); so do
 * small T, whose probabilities stay in cache. */
static int attn_recompute(const struct block_cache *c, int T)
{
	return !c->bf16 && attn_tile_rows(T) < T;
}

/* c->probs at the cache's capacity, allocated by the first forward that
 * saves them (a cache that only recomputes never holds them: 415 MB of
 * address space per block at B 32, T 901); 0 when memory is short */
static size_t probs_floats(const struct block_cache *c)
{
	return (size_t)c->B_cap * c->T_cap * (size_t)c->heads * c->T_cap;
}

static int cache_probs(struct block_cache *c)
{
	if (c->probs == NULL && !c->mlp_t) {
		int failed = 0;
		float *p = alloc_floats(probs_floats(c), &failed);
		if (failed)
			return 0;
		c->probs = p;
	}
	return c->probs != NULL;
}

int module_cache_reserve_probs(struct module_cache *m, char **cause)
{
	for (int l = 0; l < m->layers; l++)
		if (!m->blocks[l]->mlp_t && !cache_probs(m->blocks[l]))
			return set_cause(cause, "training cache: out of memory for the attention probabilities "
					 "(B=%d, T=%d)", m->B_cap, m->T_cap);
	return 0;
}

void block_cache_free(struct block_cache *c)
{
	if (c == NULL)
		return;
	if (c->owns_io) {
		free(c->in);
		free(c->out);
	}
	if (c->owns_scratch)
		scratch_free(c->scratch);
	free(c->qkv);
	free(c->probs);
	free(c->attn_stats);
	free(c->attn);
	free(c->h1);
	free(c->inv1);
	free(c->gu);
	free(c->act);
	free(c->inv2);
	free(c->t_u);
	free(c->t_gu);
	free(c->t_act);
	free(c->t_h1);
	free(c->t_inv);
	free(c->in_b);
	free(c->attn_b);
	free(c->h1_b);
	free(c->act_b);
	free(c->t_u_b);
	free(c->t_act_b);
	free(c);
}

/* the bits buffers (block_cache: in_b ...), at the cache's capacity; 0 when
 * memory is short (the forward then converts as it goes, as without them) */
static int cache_bits(struct block_cache *c)
{
	if (c->act_b != NULL)
		return 1;
	size_t n = (size_t)c->B_cap * c->T_cap, d = (size_t)c->d, b = sizeof(uint16_t);
	int ok;
	if (c->mlp_t) {
		size_t nt = (size_t)c->B_cap * d;
		c->t_u_b = malloc(nt * c->T_cap * b);
		c->t_act_b = malloc(nt * (size_t)c->inter_t * b);
		ok = c->t_u_b && c->t_act_b;
	} else {
		c->in_b = malloc(n * d * b);
		c->attn_b = malloc(n * d * b);
		ok = c->in_b && c->attn_b;
	}
	c->h1_b = malloc(n * d * b);
	c->act_b = malloc(n * (size_t)c->inter * b);
	if (ok && c->h1_b && c->act_b)
		return 1;
	free(c->in_b), free(c->attn_b), free(c->h1_b), free(c->act_b), free(c->t_u_b), free(c->t_act_b);
	c->in_b = c->attn_b = c->h1_b = c->act_b = c->t_u_b = c->t_act_b = NULL;
	return 0;
}

/* in/out NULL: the cache owns them; else they live in a module's states.
 * scratch NULL: the cache owns one. */
static struct block_cache *cache_new(const struct hrm_config *cfg, int B, int T, float *in, float *out,
				     struct block_scratch *scratch, int *failed)
{
	struct block_cache *c = xcalloc(1, sizeof *c);
	size_t n = (size_t)B * T, d = (size_t)cfg->hidden_size, inter = (size_t)cfg->inter;
	c->B_cap = B;
	c->T_cap = T;
	c->d = cfg->hidden_size;
	c->heads = cfg->num_heads;
	c->hd = cfg->head_dim;
	c->inter = cfg->inter;
	c->eps = (float)cfg->rms_norm_eps;
	c->owns_io = in == NULL;
	c->in = in ? in : alloc_floats(n * d, failed);
	c->out = out ? out : alloc_floats(n * d, failed);
	c->owns_scratch = scratch == NULL;
	c->scratch = scratch ? scratch : scratch_new(cfg, B, T, failed);
	c->mlp_t = cfg->mlp_t;
	c->inter_t = cfg->inter_t;
	if (cfg->mlp_t) {
		size_t it = (size_t)cfg->inter_t, nt = (size_t)B * d;
		c->t_u = alloc_floats(nt * T, failed);
		c->t_gu = alloc_floats(nt * 2 * it, failed);
		c->t_act = alloc_floats(nt * it, failed);
		c->t_h1 = alloc_floats(nt * T, failed);
		c->t_inv = alloc_floats(nt, failed);
	} else {
		c->qkv = alloc_floats(n * 3 * d, failed);
		c->attn = alloc_floats(n * d, failed);
		c->inv1 = alloc_floats(n, failed);
		c->attn_stats = alloc_floats(n * (size_t)cfg->num_heads * 2, failed);
	}
	c->h1 = alloc_floats(n * d, failed);
	c->gu = alloc_floats(n * 2 * inter, failed);
	c->act = alloc_floats(n * inter, failed);
	c->inv2 = alloc_floats(n, failed);
	return c;
}

static int check_sizes(const struct hrm_config *cfg, int B, int T, char **cause)
{
	if (B < 1 || T < 1)
		return set_cause(cause, "training cache: batch %d x %d positions is empty", B, T);
	if (cfg->hidden_size < 1 || cfg->num_heads < 1 || cfg->head_dim * cfg->num_heads != cfg->hidden_size ||
	    cfg->inter < 1)
		return set_cause(cause, "training cache: config sizes not derived (hidden_size %d, heads %d, "
				 "head_dim %d, inter %d)", cfg->hidden_size, cfg->num_heads, cfg->head_dim, cfg->inter);
	/* an mlp_t block mixes exactly the config's T positions */
	if (cfg->mlp_t && (cfg->inter_t < 1 || T != cfg->T))
		return set_cause(cause, "training cache: mlp_t blocks mix %d positions (width %d), not %d", cfg->T,
				 cfg->inter_t, T);
	return 0;
}

struct block_cache *block_cache_new(const struct hrm_config *cfg, int B, int T, char **cause)
{
	if (check_sizes(cfg, B, T, cause) != 0)
		return NULL;
	int failed = 0;
	struct block_cache *c = cache_new(cfg, B, T, NULL, NULL, NULL, &failed);
	if (failed) {
		block_cache_free(c);
		set_cause(cause, "training cache: out of memory for B=%d, T=%d, d=%d", B, T, cfg->hidden_size);
		return NULL;
	}
	return c;
}

static void add_into(float *dst, const float *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] += src[i];
}

/* TRM's mlp_t sub-layer on c->in into c->h1, saving its activations: the
 * op sequence of the engine's (forward.c), over u = in^T (B*d rows of T). */
static void mlp_t_forward_io(struct block_cache *c, const struct hrm_block_weights *w, int B, int T)
{
	struct block_scratch *s = c->scratch;
	int nt = B * c->d, it = c->inter_t;
	hrm_transpose_rows(c->t_u, c->in, B, T, c->d);
	linear_forward(c->t_gu, c->t_u, w->t_gate_up, nt, T, 2 * it);
	swiglu_forward(c->t_act, c->t_gu, nt, it);
	linear_forward(s->t_proj, c->t_act, w->t_down, nt, it, T);
	memcpy(c->t_h1, c->t_u, (size_t)nt * T * sizeof(float));
	add_rmsnorm_forward_save(c->t_h1, s->t_proj, c->t_inv, nt, T, c->eps);
	hrm_transpose_rows(c->h1, c->t_h1, B, c->d, T);
}

/* the same in bf16 (forward_bf16.c's ops) */
static void mlp_t_forward_io_bf16(struct block_cache *c, const struct hrm_bf16_block *w, int B, int T)
{
	struct block_scratch *s = c->scratch;
	int nt = B * c->d, it = c->inter_t;
	hrm_transpose_rows(c->t_u, c->in, B, T, c->d);
	linear_bf16_keep(c->t_gu, c->t_u, c->bits ? c->t_u_b : NULL, w->t_gate_up, nt, 1);
	swiglu_down_bf16(s->t_proj, c->t_act, c->bits ? c->t_act_b : NULL, c->t_gu, w->t_down, nt, it);
	memcpy(c->t_h1, c->t_u, (size_t)nt * T * sizeof(float));
	add_rmsnorm_forward_bf16_inv(c->t_h1, s->t_proj, c->t_inv, nt, T, c->eps);
	hrm_transpose_rows(c->h1, c->t_h1, B, c->d, T);
}

/* c->out = block(c->in), saving the activations; the same op sequence as the
 * engine's block_forward, so the values are identical. */
static void forward_io(struct block_cache *c, const struct hrm_block_weights *w, const struct hrm_config *cfg,
		       int B, int T, const float *rope_cos, const float *rope_sin)
{
	c->bf16 = 0;
	c->bits = 0;
	assert(B <= c->B_cap && T <= c->T_cap);
	struct block_scratch *s = c->scratch;
	int n = B * T, d = c->d, inter = c->inter;
	size_t nd = (size_t)n * d;
	int rope = cfg->pos_encodings == HRM_POS_ROPE;
	c->B = B;
	c->T = T;
	c->rope_cos = rope ? rope_cos : NULL;
	c->rope_sin = rope ? rope_sin : NULL;

	if (c->mlp_t) {
		mlp_t_forward_io(c, w, B, T);
	} else {
		linear_forward(c->qkv, c->in, w->qkv, n, d, 3 * d);
		if (rope)
			rope_forward(c->qkv, rope_cos, rope_sin, B, T, c->heads, c->hd);
		/* short of memory for them, recompute them too */
		c->probs_saved = !attn_recompute(c, T) && cache_probs(c);
		if (c->probs_saved)
			attention_forward_save(c->attn, c->qkv, c->probs, B, T, c->heads, c->hd);
		else /* keeping the softmax statistics for the backward */
			attention_forward_stats(c->attn, c->qkv, NULL, c->attn_stats, s->dp,
						(size_t)T * T * s->dp_blocks, B, T, c->heads, c->hd);
		linear_forward(s->proj, c->attn, w->o, n, d, d);
		memcpy(c->h1, c->in, nd * sizeof(float));
		add_rmsnorm_forward_save(c->h1, s->proj, c->inv1, n, d, c->eps);
	}
	linear_forward(c->gu, c->h1, w->gate_up, n, d, 2 * inter);
	swiglu_forward(c->act, c->gu, n, inter);
	linear_forward(s->proj, c->act, w->down, n, inter, d);
	memcpy(c->out, c->h1, nd * sizeof(float));
	add_rmsnorm_forward_save(c->out, s->proj, c->inv2, n, d, c->eps);
}

/* forward_io in bf16: the ops of the engine's bf16 block */
static void forward_io_bf16(struct block_cache *c, const struct hrm_bf16_block *w, const struct hrm_config *cfg,
			    int B, int T, const float *rope_cos, const float *rope_sin)
{
	assert(B <= c->B_cap && T <= c->T_cap);
	struct block_scratch *s = c->scratch;
	int n = B * T, d = c->d, inter = c->inter;
	size_t nd = (size_t)n * d;
	int rope = cfg->pos_encodings == HRM_POS_ROPE;
	c->bf16 = 1;
	/* with bits: each linear leaves its input's bits in the cache for the
	 * weight gradient (linear_bf16_keep), the SwiGLU writes bits only */
	c->bits = !c->no_bits && bf16_bits_usable() && cache_bits(c);
	c->B = B;
	c->T = T;
	c->rope_cos = rope ? rope_cos : NULL;
	c->rope_sin = rope ? rope_sin : NULL;

	if (c->mlp_t) {
		mlp_t_forward_io_bf16(c, w, B, T);
	} else {
		/* unrounded where the next op rounds as it reads
		 * (linear_bf16_ex): RoPE, the add and norm; gu stays
		 * rounded, the backward reads it */
		linear_bf16_keep(c->qkv, c->in, c->bits ? c->in_b : NULL, w->qkv, n, !rope);
		if (rope)
			rope_forward_bf16(c->qkv, rope_cos, rope_sin, B, T, c->heads, c->hd);
		/* bf16 always saves them (module_cache_reserve_probs has
		 * reserved them where a trainer chose bf16) */
		if (!cache_probs(c)) /* the out-of-memory message and exit */
			c->probs = xcalloc(probs_floats(c), sizeof(float));
		c->probs_saved = 1;
		attention_forward_bf16_tiled(c->attn, c->qkv, c->probs, NULL, 0, B, T, c->heads, c->hd);
		linear_bf16_keep(s->proj, c->attn, c->bits ? c->attn_b : NULL, w->o, n, 0);
		memcpy(c->h1, c->in, nd * sizeof(float));
		add_rmsnorm_forward_bf16_inv(c->h1, s->proj, c->inv1, n, d, c->eps);
	}
	linear_bf16_keep(c->gu, c->h1, c->bits ? c->h1_b : NULL, w->gate_up, n, 1);
	swiglu_down_bf16(s->proj, c->act, c->bits ? c->act_b : NULL, c->gu, w->down, n, inter);
	memcpy(c->out, c->h1, nd * sizeof(float));
	add_rmsnorm_forward_bf16_inv(c->out, s->proj, c->inv2, n, d, c->eps);
}

void block_forward_train_bf16(struct block_cache *c, const struct hrm_bf16_block *w, const struct hrm_config *cfg,
			      int B, int T, float *h, const float *rope_cos, const float *rope_sin)
{
	size_t nd = (size_t)B * T * c->d;
	memcpy(c->in, h, nd * sizeof(float));
	forward_io_bf16(c, w, cfg, B, T, rope_cos, rope_sin);
	memcpy(h, c->out, nd * sizeof(float));
}

void block_forward_train(struct block_cache *c, const struct hrm_block_weights *w, const struct hrm_config *cfg,
			 int B, int T, float *h, const float *rope_cos, const float *rope_sin)
{
	size_t nd = (size_t)B * T * c->d;
	memcpy(c->in, h, nd * sizeof(float));
	forward_io(c, w, cfg, B, T, rope_cos, rope_sin);
	memcpy(h, c->out, nd * sizeof(float));
}

/* dst += src, a bf16 tensor in bf16 */
static void add_grad(const struct block_cache *c, float *dst, const float *src, size_t n)
{
	if (c->bf16)
		add_round_bf16_pool(dst, src, n);
	else
		add_into(dst, src, n);
}

/* xb: x's bits, when the forward kept them (c->bits), else ignored */
static void linear_bwd(const struct block_cache *c, float *dx, float *dW, const float *dy, const float *x,
		       const uint16_t *xb, const float *W, int n, int in, int out)
{
	if (c->bf16)
		linear_backward_bf16(dx, dW, c->scratch->dw, dy, x, c->bits ? xb : NULL, W, n, in, out);
	else
		linear_backward(dx, dW, dy, x, W, n, in, out);
}

/* dh: d(h1) in, d(in) out, through h1 = (rmsnorm_T(u + SwiGLU_T(u)))^T,
 * u = in^T: the same steps as the channel sub-layer, on the transposed
 * rows (transposes move values exactly, in fp32 and bf16 alike). */
static void mlp_t_backward(struct block_cache *c, const struct hrm_block_weights *w, struct hrm_block_weights *g,
			   float *dh)
{
	struct block_scratch *s = c->scratch;
	int B = c->B, T = c->T, nt = B * c->d, it = c->inter_t;
	size_t ntT = (size_t)nt * T;
	float *du = s->t_proj;
	hrm_transpose_rows(du, dh, B, T, c->d);
	add_rmsnorm_backward_ex(du, du, c->t_h1, c->t_inv, nt, T, c->bf16);
	/* with bits t_act holds nothing: only its bits were kept */
	linear_bwd(c, s->t_dact, g->t_down, du, c->bits ? NULL : c->t_act, c->t_act_b, w->t_down, nt, it, T);
	swiglu_backward_ex(s->t_dgu, s->t_dact, c->t_gu, nt, it, c->bf16);
	linear_bwd(c, s->t_tmp, g->t_gate_up, s->t_dgu, c->t_u, c->t_u_b, w->t_gate_up, nt, T, 2 * it);
	add_grad(c, du, s->t_tmp, ntT); /* du = d(u) */
	hrm_transpose_rows(dh, du, B, c->d, T);
}

void block_backward(struct block_cache *c, const struct hrm_block_weights *w, struct hrm_block_weights *grads,
		    float *dh)
{
	struct block_scratch *s = c->scratch;
	int B = c->B, T = c->T, n = B * T, d = c->d, inter = c->inter;
	size_t nd = (size_t)n * d;
	/* in bf16 every gradient between two ops is a bf16 tensor: the _ex
	 * ops round what they write (c->bf16), in the same pass */
	/* a NULL grads skips every weight gradient */
	struct hrm_block_weights none = { 0 }, *g = grads ? grads : &none;

	/* out = rmsnorm(h1 + down(act)): both addends get d(h1 + proj) */
	add_rmsnorm_backward_ex(dh, dh, c->out, c->inv2, n, d, c->bf16);
	/* with bits act holds nothing: only its bits were kept */
	linear_bwd(c, s->dact, g->down, dh, c->bits ? NULL : c->act, c->act_b, w->down, n, inter, d);
	swiglu_backward_ex(s->dgu, s->dact, c->gu, n, inter, c->bf16);
	linear_bwd(c, s->tmp, g->gate_up, s->dgu, c->h1, c->h1_b, w->gate_up, n, d, 2 * inter);
	add_grad(c, dh, s->tmp, nd); /* dh = d(h1) */

	if (c->mlp_t) {
		mlp_t_backward(c, w, g, dh);
		return;
	}
	/* h1 = rmsnorm(in + o_proj(attn)) */
	add_rmsnorm_backward_ex(dh, dh, c->h1, c->inv1, n, d, c->bf16);
	linear_bwd(c, s->dattn, g->o, dh, c->attn, c->attn_b, w->o, n, d, d);
	/* in bf16 dqkv is rounded after the attention and again after RoPE
	 * (v keeps its first rounding), each inside the op's own pass */
	attention_backward_stats(s->dqkv, s->dattn, c->qkv, c->probs_saved ? c->probs : NULL, c->attn_stats, s->dp,
			      (size_t)T * T * s->dp_blocks, B, T, c->heads, c->hd, c->bf16);
	if (c->rope_cos != NULL)
		rope_backward_ex(s->dqkv, c->rope_cos, c->rope_sin, B, T, c->heads, c->hd, c->bf16);
	linear_bwd(c, s->tmp, g->qkv, s->dqkv, c->in, c->in_b, w->qkv, n, d, 3 * d);
	add_grad(c, dh, s->tmp, nd); /* dh = d(in) */
}

void module_cache_free(struct module_cache *m)
{
	if (m == NULL)
		return;
	if (m->blocks != NULL)
		for (int l = 0; l < m->layers; l++)
			block_cache_free(m->blocks[l]);
	free(m->blocks);
	scratch_free(m->scratch);
	free(m->states);
	free(m);
}

struct module_cache *module_cache_new(const struct hrm_config *cfg, int layers, int B, int T, char **cause)
{
	if (check_sizes(cfg, B, T, cause) != 0)
		return NULL;
	if (layers < 1) {
		set_cause(cause, "training cache: a module needs at least one block, not %d", layers);
		return NULL;
	}
	int failed = 0;
	struct module_cache *m = xcalloc(1, sizeof *m);
	size_t nd = (size_t)B * T * cfg->hidden_size;
	m->layers = layers;
	m->B_cap = B;
	m->T_cap = T;
	m->d = cfg->hidden_size;
	/* block l reads states[l] and writes states[l + 1]: each block's output
	 * is the next one's saved input, stored once */
	m->states = alloc_floats(nd * (size_t)(layers + 1), &failed);
	m->scratch = scratch_new(cfg, B, T, &failed);
	m->blocks = xcalloc((size_t)layers, sizeof *m->blocks);
	if (!failed)
		for (int l = 0; l < layers; l++)
			m->blocks[l] = cache_new(cfg, B, T, m->states + nd * l, m->states + nd * (l + 1),
						 m->scratch, &failed);
	if (failed) {
		module_cache_free(m);
		set_cause(cause, "training cache: out of memory for a %d-block module, B=%d, T=%d, d=%d",
			  layers, B, T, cfg->hidden_size);
		return NULL;
	}
	return m;
}

void module_forward_train(struct module_cache *m, const struct hrm_block_weights *blocks,
			  const struct hrm_config *cfg, int B, int T, const float *z, const float *inj,
			  float *out, const float *rope_cos, const float *rope_sin)
{
	assert(B <= m->B_cap && T <= m->T_cap);
	size_t nd = (size_t)B * T * m->d;
	m->B = B;
	m->T = T;
	for (size_t i = 0; i < nd; i++)
		m->states[i] = z[i] + inj[i];
	for (int l = 0; l < m->layers; l++)
		forward_io(m->blocks[l], &blocks[l], cfg, B, T, rope_cos, rope_sin);
	memcpy(out, m->blocks[m->layers - 1]->out, nd * sizeof(float));
}

void module_forward_train_bf16(struct module_cache *m, const struct hrm_bf16_block *blocks,
			       const struct hrm_config *cfg, int B, int T, const float *z, const float *inj,
			       float *out, const float *rope_cos, const float *rope_sin)
{
	assert(B <= m->B_cap && T <= m->T_cap);
	size_t nd = (size_t)B * T * m->d;
	m->B = B;
	m->T = T;
	for (size_t i = 0; i < nd; i++)
		m->states[i] = bf16_round(z[i] + inj[i]);
	for (int l = 0; l < m->layers; l++)
		forward_io_bf16(m->blocks[l], &blocks[l], cfg, B, T, rope_cos, rope_sin);
	memcpy(out, m->blocks[m->layers - 1]->out, nd * sizeof(float));
}

void module_backward(struct module_cache *m, const struct hrm_block_weights *blocks,
		     struct hrm_block_weights *grads, const float *dout, float *din)
{
	size_t nd = (size_t)m->B * m->T * m->d;
	if (din != dout)
		memcpy(din, dout, nd * sizeof(float));
	for (int l = m->layers - 1; l >= 0; l--)
		block_backward(m->blocks[l], &blocks[l], grads ? &grads[l] : NULL, din);
}
