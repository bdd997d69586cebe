/* attention.c - one cell's attention at one step (attention.h). */
#include "analysis/attention.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

void attn_result_free(struct attn_result *r)
{
	free(r->w);
	memset(r, 0, sizeof *r);
}

int attn_steps_per_segment(const struct hrm_config *c)
{
	return c->H_cycles * (c->L_cycles + 1);
}

enum hrm_module attn_step_module(const struct hrm_config *c, int step)
{
	return (step - 1) % (c->L_cycles + 1) == c->L_cycles ? HRM_MODULE_H : HRM_MODULE_L;
}

int attn_from_engine(struct hrm_engine *e, const struct hrm_model *m, int row, enum hrm_module mod, int layer,
		     int cell, struct attn_result *out, char **cause)
{
	const struct hrm_config *c = &m->cfg;
	int T = hrm_engine_T(e), S = hrm_engine_S(e), d = c->hidden_size;
	memset(out, 0, sizeof *out);
	if (cell < 0 || cell >= S)
		return set_cause(cause, "cell %d is outside the puzzle's 0..%d", cell, S - 1);
	int rows = hrm_block_mix_rows(c, mod, layer);
	size_t off = (size_t)row * T * d;
	const float *zH = hrm_engine_zH(e) + off, *zL = hrm_engine_zL(e) + off, *x = hrm_engine_x(e) + off;
	float *w = xmalloc((size_t)(rows > 0 ? rows : 1) * T * sizeof *w);
	int rc = mod == HRM_MODULE_L
		     ? hrm_module_mixing(m, hrm_engine_dtype(e), mod, T, zL, zH, x, layer, T - S + cell, w, cause)
		     : hrm_module_mixing(m, hrm_engine_dtype(e), mod, T, zH, zL, NULL, layer, T - S + cell, w, cause);
	if (rc != 0) {
		free(w);
		return -1;
	}
	*out = (struct attn_result){ .mod = mod, .kind = hrm_block_mix_kind(c, mod, layer), .layer = layer,
				     .query = T - S + cell, .rows = rows, .T = T, .Lp = T - S, .w = w };
	return 0;
}

int attn_at_step(const struct hrm_model *m, enum hrm_dtype dt, const int32_t *tokens, int S, int32_t pid,
		 int segment, int step, int layer, int cell, struct attn_result *out, char **cause)
{
	const struct hrm_config *c = &m->cfg;
	int K = attn_steps_per_segment(c);
	memset(out, 0, sizeof *out);
	if (segment < 1 || segment > c->halt_max_steps)
		return set_cause(cause, "segment %d is outside the model's 1..%d", segment, c->halt_max_steps);
	if (step < 1 || step > K)
		return set_cause(cause, "step %d is outside a segment's 1..%d (H_cycles %d x (L_cycles %d + 1))", step,
				 K, c->H_cycles, c->L_cycles);
	struct hrm_engine *e = hrm_engine_new_dtype(m, 1, S, dt, cause);
	if (e == NULL)
		return -1;
	int rc = hrm_engine_set_inputs(e, tokens, c->puzzle_emb_ndim > 0 ? &pid : NULL, cause);
	if (rc == 0) {
		hrm_engine_reset(e, -1);
		for (int i = 0; i < (segment - 1) * K + step - 1; i++)
			hrm_engine_step(e, HRM_GRAIN_MODULE);
		rc = attn_from_engine(e, m, 0, attn_step_module(c, step), layer, cell, out, cause);
	}
	hrm_engine_free(e);
	return rc;
}

void attn_cells(const struct attn_result *r, int head, float *cells)
{
	int S = r->T - r->Lp;
	for (int s = 0; s < S; s++) {
		double acc = 0.0;
		for (int h = 0; h < r->rows; h++)
			if (head < 0 || h == head)
				acc += r->w[(size_t)h * r->T + r->Lp + s];
		cells[s] = (float)(head < 0 && r->rows > 0 ? acc / r->rows : acc);
	}
}

double attn_prefix_share(const struct attn_result *r, int head)
{
	double acc = 0.0;
	for (int h = 0; h < r->rows; h++)
		if (head < 0 || h == head)
			for (int j = 0; j < r->Lp; j++)
				acc += r->w[(size_t)h * r->T + j];
	return head < 0 && r->rows > 0 ? acc / r->rows : acc;
}
