/* tensors.c - the one table of the model's tensors.  The size table, the
 * pointer assignment, the loader's name and shape checks, the saver and the
 * `info` tensor listing all come from these two X-macros. */
#include "model/hrm.h"

#include <stdio.h>
#include <string.h>

/* X(name, field, rows, cols, ndim, present, buffer, bf16)
 * rows/cols are expressions over c (the config); cols is ignored for ndim 1. */
#define HRM_GLOBAL_TENSORS(X) \
	X("H_init", w->H_init, c->hidden_size, 0, 1, 1, 1, 1) \
	X("L_init", w->L_init, c->hidden_size, 0, 1, 1, 1, 1) \
	X("embed_tokens.embedding_weight", w->embed_tokens, c->vocab_size, c->hidden_size, 2, 1, 0, 0) \
	X("lm_head.weight", w->lm_head, c->vocab_size, c->hidden_size, 2, 1, 0, 0) \
	X("q_head.weight", w->q_head_w, 2, c->hidden_size, 2, 1, 0, 0) \
	X("q_head.bias", w->q_head_b, 2, 0, 1, 1, 0, 0) \
	X("puzzle_emb.weights", w->puzzle_emb, c->num_puzzle_identifiers, c->puzzle_emb_ndim, 2, c->puzzle_emb_ndim > 0, 1, 0) \
	X("embed_pos.embedding_weight", w->embed_pos, c->T, c->hidden_size, 2, c->pos_encodings == HRM_POS_LEARNED, 0, 0)

/* X(name, field, rows, cols, present); TRM's mlp_t blocks mix positions
 * (T = seq_len + puzzle_emb_len) where the others attend. */
#define HRM_BLOCK_TENSORS(X) \
	X("self_attn.qkv_proj.weight", b->qkv, 3 * c->hidden_size, c->hidden_size, !c->mlp_t) \
	X("self_attn.o_proj.weight", b->o, c->hidden_size, c->hidden_size, !c->mlp_t) \
	X("mlp_t.gate_up_proj.weight", b->t_gate_up, 2 * c->inter_t, c->T, c->mlp_t) \
	X("mlp_t.down_proj.weight", b->t_down, c->T, c->inter_t, c->mlp_t) \
	X("mlp.gate_up_proj.weight", b->gate_up, 2 * c->inter, c->hidden_size, 1) \
	X("mlp.down_proj.weight", b->down, c->hidden_size, c->inter, 1)

static void put(struct hrm_tensor_info *out, size_t cap, size_t i, const char *name, int ndim,
		int64_t rows, int64_t cols, float **field, bool buffer, bool bf16)
{
	if (out == NULL || i >= cap)
		return;
	struct hrm_tensor_info *t = &out[i];
	snprintf(t->name, sizeof t->name, "%s", name);
	t->ndim = ndim;
	t->shape[0] = rows;
	t->shape[1] = ndim > 1 ? cols : 0;
	t->field = field;
	t->buffer = buffer;
	t->bf16 = bf16;
}

size_t hrm_tensor_list(struct hrm_model *m, struct hrm_tensor_info *out, size_t cap)
{
	const struct hrm_config *c = &m->cfg;
	struct hrm_weights *w = &m->w;
	size_t n = 0;
	char name[96];

#define GLOBAL(nm, field, rows, cols, ndim, present, buffer, bf16) \
	if (present) { put(out, cap, n, nm, ndim, rows, cols, &(field), buffer, bf16); n++; }
	HRM_GLOBAL_TENSORS(GLOBAL)
#undef GLOBAL

	/* TRM has one network, L_level; no H_level */
	for (int level = hrm_arch_desc(c)->shared_net ? 1 : 0; level < 2; level++) {
		const char *lname = level == 0 ? "H_level" : "L_level";
		int layers = level == 0 ? c->H_layers : c->L_layers;
		struct hrm_block_weights *blocks = level == 0 ? w->H : w->L;
		for (int i = 0; i < layers; i++) {
			struct hrm_block_weights *b = blocks ? &blocks[i] : NULL;
#define BLOCK(nm, field, rows, cols, present) \
			if (present) { \
				snprintf(name, sizeof name, "%s.layers.%d.%s", lname, i, nm); \
				put(out, cap, n, name, 2, rows, cols, b ? &(field) : NULL, false, false); \
				n++; \
			}
			HRM_BLOCK_TENSORS(BLOCK)
#undef BLOCK
		}
	}
	return n;
}
