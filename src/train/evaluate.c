/* evaluate.c - batched evaluation with the engine. */
#include "train/evaluate.h"
#include "model/engine.h"
#include "model/loss.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

struct eval_obs {
	struct hrm_metrics *r;
	const int32_t *labels;   /* [B][S] prepared (-100 ignored) */
	int rows, S;
	bool *stopped;           /* [B] adaptive halting already stopped this row */
};

static void on_segment(const struct hrm_event *ev, void *user)
{
	struct eval_obs *o = user;
	if (ev->kind != HRM_EV_SEGMENT_END || ev->segment >= o->r->M)
		return;
	for (int b = 0; b < o->rows; b++) {
		size_t off = (size_t)b * o->S;
		hrm_metrics_add(o->r, ev->segment, ev->pred + off, o->labels + off, o->S, ev->q_halt[b],
				ev->halt_adaptive[b], &o->stopped[b], NULL);
	}
}

int evaluate(const struct hrm_model *m, enum hrm_dtype dt, struct sample_source *src, uint64_t seed, int n, int B,
	     int M, struct hrm_metrics *out, char **cause)
{
	return evaluate_from(m, dt, src, seed, 0, n, B, M, out, cause);
}

int evaluate_from(const struct hrm_model *m, enum hrm_dtype dt, struct sample_source *src, uint64_t seed,
		  int64_t first, int n, int B, int M, struct hrm_metrics *out, char **cause)
{
	hrm_metrics_init(out, M);
	if (M > EVAL_MAX_SEGMENTS)
		return set_cause(cause, "evaluation: at most %d segments", EVAL_MAX_SEGMENTS);
	int S = src->seq_len, V = m->cfg.vocab_size;
	if (n < 1)
		return set_cause(cause, "evaluation: no samples");
	if (B > n)
		B = n;
	struct hrm_engine *e = hrm_engine_new_dtype(m, B, S, dt, cause);
	if (e == NULL)
		return -1;
	int32_t *in = xcalloc((size_t)B * S, sizeof *in), *lab = xcalloc((size_t)B * S, sizeof *lab);
	int32_t *pid = xcalloc((size_t)B, sizeof *pid);
	bool *stopped = xcalloc((size_t)B, sizeof *stopped);
	struct eval_obs o = { .r = out, .labels = lab, .S = S, .stopped = stopped };
	hrm_engine_add_observer(e, on_segment, &o);
	int rc = 0;
	for (int start = 0; start < n && rc == 0; start += B) {
		int rows = n - start < B ? n - start : B;
		for (int b = 0; b < B && rc == 0; b++) {
			/* a short last batch repeats its first row; only `rows` are scored */
			int64_t idx = first + start + (b < rows ? b : 0);
			rc = samples_get(src, seed, idx, in + (size_t)b * S, lab + (size_t)b * S, pid + b, cause);
		}
		if (rc != 0)
			break;
		if (labels_prepare(lab, (size_t)B * S, src->ignore_label_id, V, cause) != 0 ||
		    hrm_engine_set_inputs(e, in, pid, cause) != 0) {
			rc = -1;
			break;
		}
		o.rows = rows;
		memset(stopped, 0, (size_t)B * sizeof *stopped);
		hrm_engine_reset(e, -1);
		for (int s = 0; s < M; s++)
			hrm_engine_step(e, HRM_GRAIN_SEGMENT);
	}
	free(in);
	free(lab);
	free(pid);
	free(stopped);
	hrm_engine_free(e);
	return rc;
}
