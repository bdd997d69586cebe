/* engine.c - the forward pass of HRM and TRM as a resumable cursor with
 * observers.  What differs between the two is read from the architecture
 * description (model/arch.h): which blocks the H-step calls and how a row
 * halts. */
#include "model/engine.h"
#include "model/forward.h"
#include "model/gemm_bf16.h"
#include "model/ops.h"
#include "core/half.h"
#include "core/util.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OBSERVERS 16

struct observer {
	hrm_observer_fn fn;
	void *user;
};

struct hrm_engine {
	const struct hrm_model *m;
	enum hrm_dtype dt;
	int B, S, T, d;
	float *rope_cos, *rope_sin;   /* [T][hd] (rope only) */
	float *x;                     /* [B][T][d] input embeddings */
	float *zH, *zL;               /* [B][T][d] the carry */
	float *prev;                  /* [B][T][d] state before the last step */
	float *tmp;                   /* [B][T][d] module input / probe state */
	float *seg0_zH, *seg0_zL;     /* [B][T][d] the state at the start of the running segment */
	const atomic_int *abort;      /* a step stops when this becomes nonzero (may be NULL) */
	struct block_scratch scratch; /* block forward buffers */
	float *logits;                /* [B][S][V] */
	int32_t *pred;                /* [B][S] */
	float *q;                     /* [B][2] */
	float *q_halt, *q_cont;       /* [B] */
	bool *halt_max, *halt_adapt;  /* [B] */
	struct hrm_residual *res;     /* [B] */
	float *h_logits;              /* [B][S][V] lm_head(z_H) after the last H-step */
	int32_t *h_pred;              /* [B][S] */
	int32_t *tokens;              /* [B][S] the inputs, for the first segment's changed cells */
	int32_t *prev_ans;            /* [B][S] the previous segment's answer */
	bool *has_prev;               /* [B] prev_ans holds an answer of this puzzle */
	struct hrm_residual *seg_dzH, *seg_dzL; /* [B] */
	int *cells_changed;           /* [B] */
	bool *answer_changed;         /* [B] */
	double *norm_zH, *norm_zL;    /* [B] */
	struct hrm_cursor cur;
	struct observer obs[MAX_OBSERVERS];
	int n_obs;
};

int hrm_engine_bytes(const struct hrm_config *c, int B, int S, size_t *bytes)
{
	size_t T = (size_t)S + (size_t)c->puzzle_emb_len, bt, btd, bsv, gu, floats = 0, ints, b;
	if (size_mul((size_t)B, T, &bt) || size_mul(bt, (size_t)c->hidden_size, &btd) ||
	    size_mul((size_t)B * (size_t)S, (size_t)c->vocab_size, &bsv) || size_mul(bt, 3 * (size_t)c->inter, &gu))
		return -1;
	/* x, zH, zL, prev, tmp, the segment's start (2); scratch qkv (3), attn, proj;
	 * mlp_t's scratch, 3 inter_t per channel (inter_t < 4 T + 256, no overflow) */
	size_t tgu = c->mlp_t ? (size_t)B * c->hidden_size * 3 * (size_t)c->inter_t : 0;
	size_t parts[] = { btd, btd, btd, btd, btd, btd, btd, btd, btd, btd, btd, btd, bsv, bsv, gu, tgu,
			   attention_scratch_floats((int)T), 2 * T * (size_t)c->head_dim, 4 * (size_t)B };
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		if (size_add(floats, parts[i], &floats))
			return -1;
	/* pred, h_pred, tokens, prev_ans; the per-puzzle values */
	if (size_mul(floats, sizeof(float), &b) || size_mul((size_t)B * (size_t)S, 4 * sizeof(int32_t), &ints) ||
	    size_add(b, ints, &b) || size_add(b, (size_t)B * 256, &b))
		return -1;
	*bytes = b;
	return 0;
}

struct hrm_engine *hrm_engine_new(const struct hrm_model *m, int B, int S, char **cause)
{
	return hrm_engine_new_dtype(m, B, S, HRM_DTYPE_FP32, cause);
}

struct hrm_engine *hrm_engine_new_dtype(const struct hrm_model *m, int B, int S, enum hrm_dtype dt, char **cause)
{
	const struct hrm_config *c = &m->cfg;
	if (dt == HRM_DTYPE_BF16 && m->bf16 == NULL) {
		set_cause(cause, "engine: the model's bf16 weights are not prepared (hrm_model_prepare_bf16)");
		return NULL;
	}
	if (B < 1 || B > 4096) {
		set_cause(cause, "engine: batch size %d out of range 1..4096", B);
		return NULL;
	}
	if (S < 1 || S > (1 << 20)) {
		set_cause(cause, "engine: sequence length %d out of range", S);
		return NULL;
	}
	if (c->pos_encodings == HRM_POS_LEARNED && S != c->seq_len) {
		set_cause(cause, "engine: the model has learned positions for %d cells, the puzzle has %d",
			  c->seq_len, S);
		return NULL;
	}
	if (c->mlp_t && S != c->seq_len) {
		set_cause(cause, "engine: the model's mlp_t blocks mix %d cells, the puzzle has %d", c->seq_len, S);
		return NULL;
	}
	size_t need;
	if (hrm_engine_bytes(c, B, S, &need) != 0)
		need = SIZE_MAX;
	if (need > HRM_ENGINE_MAX_BYTES) {
		set_cause(cause, "engine: %d puzzles x %d positions x hidden size %d need %.0f GB: more than the %zu GiB "
			  "an engine may take", B, S + c->puzzle_emb_len, c->hidden_size,
			  (double)need / 1e9, HRM_ENGINE_MAX_BYTES >> 30);
		return NULL;
	}
	struct hrm_engine *e = xcalloc(1, sizeof *e);
	e->m = m;
	e->dt = dt;
	e->B = B;
	e->S = S;
	e->T = S + c->puzzle_emb_len;
	e->d = c->hidden_size;
	size_t bt = (size_t)B * e->T, btd = bt * e->d;
	int failed = 0;
	if (c->pos_encodings == HRM_POS_ROPE) {
		e->rope_cos = alloc_floats((size_t)e->T * c->head_dim, &failed);
		e->rope_sin = alloc_floats((size_t)e->T * c->head_dim, &failed);
		if (!failed)
			rope_tables(e->rope_cos, e->rope_sin, e->T, c->head_dim, c->rope_theta);
	}
	e->x = alloc_floats(btd, &failed);
	e->zH = alloc_floats(btd, &failed);
	e->zL = alloc_floats(btd, &failed);
	e->prev = alloc_floats(btd, &failed);
	e->tmp = alloc_floats(btd, &failed);
	e->seg0_zH = alloc_floats(btd, &failed);
	e->seg0_zL = alloc_floats(btd, &failed);
	e->h_logits = alloc_floats((size_t)B * S * c->vocab_size, &failed);
	if (block_scratch_alloc(&e->scratch, c, B, e->T) != 0)
		failed = 1;
	e->logits = alloc_floats((size_t)B * S * c->vocab_size, &failed);
	e->q = alloc_floats((size_t)B * 2, &failed);
	e->q_halt = alloc_floats((size_t)B, &failed);
	e->q_cont = alloc_floats((size_t)B, &failed);
	e->pred = xcalloc((size_t)B * S, sizeof *e->pred);
	e->halt_max = xcalloc((size_t)B, sizeof *e->halt_max);
	e->halt_adapt = xcalloc((size_t)B, sizeof *e->halt_adapt);
	e->res = xcalloc((size_t)B, sizeof *e->res);
	e->norm_zH = xcalloc((size_t)B, sizeof *e->norm_zH);
	e->norm_zL = xcalloc((size_t)B, sizeof *e->norm_zL);
	e->h_pred = xcalloc((size_t)B * S, sizeof *e->h_pred);
	e->tokens = xcalloc((size_t)B * S, sizeof *e->tokens);
	e->prev_ans = xcalloc((size_t)B * S, sizeof *e->prev_ans);
	e->has_prev = xcalloc((size_t)B, sizeof *e->has_prev);
	e->seg_dzH = xcalloc((size_t)B, sizeof *e->seg_dzH);
	e->seg_dzL = xcalloc((size_t)B, sizeof *e->seg_dzL);
	e->cells_changed = xcalloc((size_t)B, sizeof *e->cells_changed);
	e->answer_changed = xcalloc((size_t)B, sizeof *e->answer_changed);
	if (failed) {
		set_cause(cause, "engine: out of memory for B=%d, T=%d, d=%d", B, e->T, e->d);
		hrm_engine_free(e);
		return NULL;
	}
	hrm_engine_reset(e, -1);
	return e;
}

void hrm_engine_free(struct hrm_engine *e)
{
	if (e == NULL)
		return;
	float *bufs[] = { e->rope_cos, e->rope_sin, e->x, e->zH, e->zL, e->prev, e->tmp,
			  e->logits, e->q, e->q_halt, e->q_cont, e->seg0_zH, e->seg0_zL, e->h_logits };
	block_scratch_free(&e->scratch);
	for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
		free(bufs[i]);
	free(e->pred);
	free(e->halt_max);
	free(e->halt_adapt);
	free(e->res);
	free(e->norm_zH);
	free(e->norm_zL);
	free(e->h_pred);
	free(e->tokens);
	free(e->prev_ans);
	free(e->has_prev);
	free(e->seg_dzH);
	free(e->seg_dzL);
	free(e->cells_changed);
	free(e->answer_changed);
	free(e);
}

int hrm_engine_set_inputs(struct hrm_engine *e, const int32_t *tokens, const int32_t *puzzle_ids, char **cause)
{
	const struct hrm_config *c = &e->m->cfg;
	for (int b = 0; b < e->B; b++) {
		for (int s = 0; s < e->S; s++) {
			int32_t tok = tokens[(size_t)b * e->S + s];
			if (tok < 0 || tok >= c->vocab_size)
				return set_cause(cause, "puzzle %d cell %d: token %d outside the model's vocabulary 0..%d",
						 b, s, tok, c->vocab_size - 1);
		}
		if (c->puzzle_emb_ndim > 0) {
			int32_t id = puzzle_ids ? puzzle_ids[b] : 0;
			if (id < 0 || id >= c->num_puzzle_identifiers)
				return set_cause(cause, "puzzle %d: puzzle identifier %d outside 0..%d",
						 b, id, c->num_puzzle_identifiers - 1);
		}
	}
	if (e->dt == HRM_DTYPE_BF16)
		hrm_embed_forward_bf16(e->m, e->B, e->S, tokens, puzzle_ids, e->x);
	else
		hrm_embed_forward(e->m, e->B, e->S, tokens, puzzle_ids, e->x);
	memcpy(e->tokens, tokens, (size_t)e->B * e->S * sizeof *e->tokens);
	return 0;
}

/* H_init/L_init are bf16 in official checkpoints; rounded in bf16 mode in
 * case a checkpoint stored them wider */
static void fill_init(float *z, const float *init, int rows, int d, enum hrm_dtype dt)
{
	for (int r = 0; r < rows; r++)
		memcpy(z + (size_t)r * d, init, (size_t)d * sizeof(float));
	if (dt == HRM_DTYPE_BF16)
		round_bf16(z, (size_t)rows * d);
}

static double norm_l2(const float *v, size_t n)
{
	double s = 0.0;
	for (size_t i = 0; i < n; i++)
		s += (double)v[i] * v[i];
	return sqrt(s);
}

static void emit(struct hrm_engine *e, struct hrm_event *ev)
{
	ev->B = e->B;
	ev->res = e->res;
	ev->norm_zH = e->norm_zH;
	ev->norm_zL = e->norm_zL;
	for (int i = 0; i < e->n_obs; i++)
		e->obs[i].fn(ev, e->obs[i].user);
}

static void update_norms(struct hrm_engine *e)
{
	size_t n = (size_t)e->T * e->d;
	for (int b = 0; b < e->B; b++) {
		e->norm_zH[b] = norm_l2(e->zH + b * n, n);
		e->norm_zL[b] = norm_l2(e->zL + b * n, n);
	}
}

void hrm_engine_reset(struct hrm_engine *e, int b)
{
	const struct hrm_weights *w = &e->m->w;
	int lo = b < 0 ? 0 : b, hi = b < 0 ? e->B : b + 1;
	for (int r = lo; r < hi; r++) {
		fill_init(e->zH + (size_t)r * e->T * e->d, w->H_init, e->T, e->d, e->dt);
		fill_init(e->zL + (size_t)r * e->T * e->d, w->L_init, e->T, e->d, e->dt);
		e->has_prev[r] = false;
	}
	e->cur.segment = 0;
	e->cur.h_cycle = 0;
	e->cur.l_step = 0;
	memset(e->res, 0, (size_t)e->B * sizeof *e->res);
	update_norms(e);
	struct hrm_event ev = { .kind = HRM_EV_RESET, .l_step = -1, .reset_row = b < 0 ? -1 : b };
	emit(e, &ev);
}

int hrm_engine_add_observer(struct hrm_engine *e, hrm_observer_fn fn, void *user)
{
	if (e->n_obs >= MAX_OBSERVERS)
		return -1;
	e->obs[e->n_obs].fn = fn;
	e->obs[e->n_obs].user = user;
	e->n_obs++;
	return 0;
}

void hrm_engine_remove_observer(struct hrm_engine *e, hrm_observer_fn fn, void *user)
{
	for (int i = 0; i < e->n_obs; i++)
		if (e->obs[i].fn == fn && e->obs[i].user == user) {
			memmove(&e->obs[i], &e->obs[i + 1], (size_t)(e->n_obs - i - 1) * sizeof e->obs[0]);
			e->n_obs--;
			return;
		}
}

/* out = L_level(z, a + b) (level_L) or the H-step's module(z, a) in the
 * engine's arithmetic: H_level for HRM, the same L_level for TRM */
static int module_forward(struct hrm_engine *e, int level_L, const float *z, const float *a, const float *b2,
			  float *out, const atomic_int *abort)
{
	const struct hrm_model *m = e->m;
	int layers = hrm_update_layers(&m->cfg, level_L);
	bool L_blocks = level_L || hrm_arch_desc(&m->cfg)->shared_net;
	if (e->dt == HRM_DTYPE_BF16)
		return hrm_module_forward_bf16(&e->scratch, L_blocks ? m->bf16->L : m->bf16->H, layers, &m->cfg, e->B,
					       e->T, e->rope_cos, e->rope_sin, z, a, b2, out, abort);
	return hrm_module_forward(&e->scratch, L_blocks ? m->w.L : m->w.H, layers, &m->cfg, e->B, e->T, e->rope_cos,
				  e->rope_sin, z, a, b2, out, abort);
}

void hrm_engine_L_call(struct hrm_engine *e, const float *zL, const float *zH, float *out)
{
	module_forward(e, 1, zL, zH, e->x, out, NULL);
}

void hrm_engine_H_call(struct hrm_engine *e, const float *zH, const float *zL, float *out)
{
	module_forward(e, 0, zH, zL, NULL, out, NULL);
}

void hrm_engine_set_abort(struct hrm_engine *e, const atomic_int *flag)
{
	e->abort = flag;
}

static void lm_head_rows(struct hrm_engine *e, const float *z, float *out);

void hrm_engine_heads(struct hrm_engine *e, const float *zH, float *logits, float *q)
{
	lm_head_rows(e, zH, logits);
	for (int b = 0; b < e->B; b++)
		hrm_q_head(e->m, zH + (size_t)b * e->T * e->d, e->dt, q + b * 2);
}

/* out[b]: the change from `before` to `now`, row by row. */
static void change_stats(const struct hrm_engine *e, const float *before, const float *now, struct hrm_residual *out)
{
	size_t n = (size_t)e->T * e->d;
	for (int b = 0; b < e->B; b++) {
		const float *p = before + b * n, *z = now + b * n;
		double dd = 0.0, pp = 0.0;
		for (size_t i = 0; i < n; i++) {
			double diff = (double)z[i] - p[i];
			dd += diff * diff;
			pp += (double)p[i] * p[i];
		}
		out[b].abs_l2 = sqrt(dd);
		out[b].rel = pp > 0 ? sqrt(dd / pp) : 0.0;
		out[b].rms = sqrt(dd / (double)n);
	}
}

static void residuals(struct hrm_engine *e, const float *now)
{
	change_stats(e, e->prev, now, e->res);
}

/* The segment's fixed-point readouts, before its answer becomes the previous one. */
static void segment_changes(struct hrm_engine *e)
{
	change_stats(e, e->seg0_zH, e->zH, e->seg_dzH);
	change_stats(e, e->seg0_zL, e->zL, e->seg_dzL);
	for (int b = 0; b < e->B; b++) {
		size_t o = (size_t)b * e->S;
		const int32_t *before = e->has_prev[b] ? e->prev_ans + o : e->tokens + o;
		int n = 0;
		for (int s = 0; s < e->S; s++)
			n += e->pred[o + s] != before[s];
		e->cells_changed[b] = n;
		e->answer_changed[b] = !e->has_prev[b] || n > 0;
		memcpy(e->prev_ans + o, e->pred + o, (size_t)e->S * sizeof *e->prev_ans);
		e->has_prev[b] = true;
	}
}

static void segment_end(struct hrm_engine *e)
{
	const struct hrm_config *c = &e->m->cfg;
	int V = c->vocab_size;
	hrm_engine_heads(e, e->zH, e->logits, e->q);
	for (size_t i = 0; i < (size_t)e->B * e->S; i++)
		e->pred[i] = argmax_f32(e->logits + i * V, V);
	for (int b = 0; b < e->B; b++) {
		e->q_halt[b] = e->q[b * 2];
		e->q_cont[b] = e->q[b * 2 + 1];
		e->halt_max[b] = e->cur.segment + 1 >= c->halt_max_steps;
		e->halt_adapt[b] = e->halt_max[b] ||
				   (c->halt_max_steps > 1 && hrm_halts_adaptive(c, e->q_halt[b], e->q_cont[b]));
	}
	segment_changes(e);
	struct hrm_event ev = {
		.kind = HRM_EV_SEGMENT_END, .segment = e->cur.segment, .h_cycle = c->H_cycles - 1, .l_step = -1,
		.logits = e->logits, .pred = e->pred, .q_halt = e->q_halt, .q_continue = e->q_cont,
		.halt_max_steps = e->halt_max, .halt_adaptive = e->halt_adapt,
		.seg_dzH = e->seg_dzH, .seg_dzL = e->seg_dzL, .cells_changed = e->cells_changed,
		.answer_changed = e->answer_changed,
	};
	e->cur.segment++;
	e->cur.h_cycle = 0;
	e->cur.l_step = 0;
	emit(e, &ev);
}

/* lm_head(z_H) after an H-step: cheap next to a module call (S x d x V). */
static void h_answer(struct hrm_engine *e)
{
	int V = e->m->cfg.vocab_size;
	lm_head_rows(e, e->zH, e->h_logits);
	for (size_t i = 0; i < (size_t)e->B * e->S; i++)
		e->h_pred[i] = argmax_f32(e->h_logits + i * V, V);
}

/* Runs the next module call; returns the kind of step done, or -1 when the
 * abort flag stopped it (the state and cursor are then as before). */
static int step_module(struct hrm_engine *e)
{
	const struct hrm_config *c = &e->m->cfg;
	size_t n = (size_t)e->B * e->T * e->d;
	struct hrm_event ev = { .segment = e->cur.segment, .h_cycle = e->cur.h_cycle };
	if (e->cur.h_cycle == 0 && e->cur.l_step == 0) {
		memcpy(e->seg0_zH, e->zH, n * sizeof(float));
		memcpy(e->seg0_zL, e->zL, n * sizeof(float));
	}
	if (e->cur.l_step < c->L_cycles) {
		memcpy(e->prev, e->zL, n * sizeof(float));
		if (module_forward(e, 1, e->prev, e->zH, e->x, e->zL, e->abort)) {
			memcpy(e->zL, e->prev, n * sizeof(float));
			return -1;
		}
		residuals(e, e->zL);
		ev.kind = HRM_EV_L_STEP;
		ev.l_step = e->cur.l_step;
		e->cur.l_step++;
	} else {
		memcpy(e->prev, e->zH, n * sizeof(float));
		if (module_forward(e, 0, e->prev, e->zL, NULL, e->zH, e->abort)) {
			memcpy(e->zH, e->prev, n * sizeof(float));
			return -1;
		}
		residuals(e, e->zH);
		ev.kind = HRM_EV_H_STEP;
		ev.l_step = -1;
		h_answer(e);
		ev.logits = e->h_logits;
		ev.pred = e->h_pred;
		e->cur.h_cycle++;
		e->cur.l_step = 0;
	}
	update_norms(e);
	emit(e, &ev);
	if (ev.kind == HRM_EV_H_STEP && e->cur.h_cycle >= c->H_cycles)
		segment_end(e);
	return ev.kind;
}

int hrm_engine_step(struct hrm_engine *e, enum hrm_grain g)
{
	int start_segment = e->cur.segment, k;
	switch (g) {
	case HRM_GRAIN_MODULE:
		return step_module(e) < 0 ? -1 : 0;
	case HRM_GRAIN_L:
		while ((k = step_module(e)) != HRM_EV_L_STEP)
			if (k < 0)
				return -1;
		return 0;
	case HRM_GRAIN_H:
		while ((k = step_module(e)) != HRM_EV_H_STEP)
			if (k < 0)
				return -1;
		return 0;
	case HRM_GRAIN_SEGMENT:
		while (e->cur.segment == start_segment)
			if (step_module(e) < 0)
				return -1;
		return 0;
	}
	return 0;
}

struct hrm_cursor hrm_engine_cursor(const struct hrm_engine *e) { return e->cur; }
void hrm_engine_set_cursor(struct hrm_engine *e, struct hrm_cursor c) { e->cur = c; }
float *hrm_engine_zH(struct hrm_engine *e) { return e->zH; }
float *hrm_engine_zL(struct hrm_engine *e) { return e->zL; }
float *hrm_engine_seg_start_zH(struct hrm_engine *e) { return e->seg0_zH; }
float *hrm_engine_seg_start_zL(struct hrm_engine *e) { return e->seg0_zL; }
const float *hrm_engine_x(const struct hrm_engine *e) { return e->x; }
const float *hrm_engine_logits(const struct hrm_engine *e) { return e->logits; }
const int32_t *hrm_engine_pred(const struct hrm_engine *e) { return e->pred; }
const float *hrm_engine_q(const struct hrm_engine *e) { return e->q; }
int hrm_engine_B(const struct hrm_engine *e) { return e->B; }
int hrm_engine_S(const struct hrm_engine *e) { return e->S; }
int hrm_engine_T(const struct hrm_engine *e) { return e->T; }
enum hrm_dtype hrm_engine_dtype(const struct hrm_engine *e) { return e->dt; }

static void lm_head_rows(struct hrm_engine *e, const float *z, float *out)
{
	const struct hrm_config *c = &e->m->cfg;
	int d = e->d, V = c->vocab_size, Lp = c->puzzle_emb_len;
	for (int b = 0; b < e->B; b++) {
		const float *zb = z + ((size_t)b * e->T + Lp) * d;
		if (e->dt == HRM_DTYPE_BF16)
			linear_bf16(out + (size_t)b * e->S * V, zb, e->m->bf16->lm_head, e->S);
		else
			linear_forward(out + (size_t)b * e->S * V, zb, e->m->w.lm_head, e->S, d, V);
	}
}

void hrm_engine_probe(struct hrm_engine *e, float *out)
{
	hrm_engine_H_call(e, e->zH, e->zL, e->tmp);
	lm_head_rows(e, e->tmp, out);
}

void hrm_engine_decode_zL(struct hrm_engine *e, float *out)
{
	lm_head_rows(e, e->zL, out);
}

void hrm_set_threads(int n)
{
	if (n < 1)
		n = 1;
	openblas_set_num_threads(n);
}
