/* model_bf16.c - the linear layers' weights rounded to bfloat16, made once
 * per model for the bf16 forward and refreshed when the weights change. */
#include "model/hrm.h"
#include "model/gemm_bf16.h"
#include "core/util.h"

#include <stdlib.h>

/* the matrices of m->bf16 with their fp32 sources, in one order */
static size_t bf16_slots(struct hrm_model *m, struct bf16_mat ***mats, const float **src, int *rows, int *cols)
{
	const struct hrm_config *c = &m->cfg;
	struct hrm_bf16_weights *b = m->bf16;
	int d = c->hidden_size, inter = c->inter;
	size_t n = 0;
	for (int lv = hrm_arch_desc(c)->shared_net ? 1 : 0; lv < 2; lv++) {
		int layers = lv ? c->L_layers : c->H_layers;
		struct hrm_bf16_block *bb = lv ? b->L : b->H;
		const struct hrm_block_weights *bw = lv ? m->w.L : m->w.H;
		for (int l = 0; l < layers; l++) {
			/* the first sub-layer: attention, or mlp_t over the T positions */
			struct bf16_mat **p[4] = { &bb[l].qkv, &bb[l].o, &bb[l].gate_up, &bb[l].down };
			const float *w[4] = { bw[l].qkv, bw[l].o, bw[l].gate_up, bw[l].down };
			int r[4] = { 3 * d, d, 2 * inter, d }, k[4] = { d, d, d, inter };
			if (c->mlp_t) {
				p[0] = &bb[l].t_gate_up, p[1] = &bb[l].t_down;
				w[0] = bw[l].t_gate_up, w[1] = bw[l].t_down;
				r[0] = 2 * c->inter_t, k[0] = c->T, r[1] = c->T, k[1] = c->inter_t;
			}
			for (int i = 0; i < 4; i++, n++)
				if (mats) {
					mats[n] = p[i];
					src[n] = w[i];
					rows[n] = r[i];
					cols[n] = k[i];
				}
		}
	}
	if (mats) {
		mats[n] = &b->lm_head;
		src[n] = m->w.lm_head;
		rows[n] = c->vocab_size;
		cols[n] = d;
	}
	return n + 1;
}

static void bf16_weights_free(struct hrm_model *m)
{
	if (m->bf16 == NULL)
		return;
	size_t n = bf16_slots(m, NULL, NULL, NULL, NULL);
	struct bf16_mat ***mats = xcalloc(n, sizeof *mats);
	const float **src = xcalloc(n, sizeof *src);
	int *rows = xcalloc(n, sizeof *rows), *cols = xcalloc(n, sizeof *cols);
	bf16_slots(m, mats, src, rows, cols);
	for (size_t i = 0; i < n; i++)
		bf16_mat_free(*mats[i]);
	free(mats);
	free(src);
	free(rows);
	free(cols);
	free(m->bf16->H);
	free(m->bf16->L);
	free(m->bf16);
	m->bf16 = NULL;
}

void hrm_model_free_bf16(struct hrm_model *m)
{
	bf16_weights_free(m);
}

int hrm_model_prepare_bf16(struct hrm_model *m, char **cause)
{
	const struct hrm_config *c = &m->cfg;
	bool fresh = m->bf16 == NULL;
	if (fresh) {
		m->bf16 = xcalloc(1, sizeof *m->bf16);
		if (!hrm_arch_desc(c)->shared_net)
			m->bf16->H = xcalloc((size_t)c->H_layers, sizeof *m->bf16->H);
		m->bf16->L = xcalloc((size_t)c->L_layers, sizeof *m->bf16->L);
	}
	size_t n = bf16_slots(m, NULL, NULL, NULL, NULL);
	struct bf16_mat ***mats = xcalloc(n, sizeof *mats);
	const float **src = xcalloc(n, sizeof *src);
	int *rows = xcalloc(n, sizeof *rows), *cols = xcalloc(n, sizeof *cols);
	bf16_slots(m, mats, src, rows, cols);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (*mats[i] == NULL)
			*mats[i] = bf16_mat_new(rows[i], cols[i]);
		if (*mats[i] == NULL)
			rc = -1;
		else
			bf16_mat_set(*mats[i], src[i]);
	}
	free(mats);
	free(src);
	free(rows);
	free(cols);
	if (rc != 0) {
		bf16_weights_free(m);
		return set_cause(cause, "model: out of memory for the bf16 copy of the weights");
	}
	return 0;
}
