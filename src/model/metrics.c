/* metrics.c - exact and token accuracy, q_halt accuracy and segments under
 * both halting rules (see metrics.h). */
#include "model/metrics.h"
#include "model/loss.h"

#include <string.h>

void hrm_score_row(const int32_t *pred, const int32_t *label, int S, bool has_ignore, int32_t ignore,
		   struct hrm_score *o)
{
	o->scored = o->right = 0;
	for (int i = 0; i < S; i++) {
		if (has_ignore && label[i] == ignore)
			continue;
		o->scored++;
		o->right += pred[i] == label[i];
	}
	o->acc = (double)o->right / (double)(o->scored > 0 ? o->scored : 1);
	o->exact = o->right == o->scored;
}

void hrm_metrics_init(struct hrm_metrics *mt, int M)
{
	memset(mt, 0, sizeof *mt);
	mt->M = M;
}

/* The sums of one halting rule for a sequence it stops at segment seg. */
static void add_stop(struct hrm_metrics *mt, int rule, int seg, const struct hrm_score *sc, float q_halt)
{
	mt->exact[rule] += sc->exact;
	mt->acc[rule] += sc->acc;
	mt->q_halt[rule] += (q_halt >= 0) == sc->exact;
	mt->steps[rule] += seg + 1;
}

bool hrm_metrics_add(struct hrm_metrics *mt, int seg, const int32_t *pred, const int32_t *label, int S, float q_halt,
		     bool halts, bool *stopped, struct hrm_score *sc)
{
	struct hrm_score own;
	if (sc == NULL)
		sc = &own;
	hrm_score_row(pred, label, S, true, HRM_IGNORE_LABEL_ID, sc);
	if (sc->scored == 0)
		return false;
	bool last = seg == mt->M - 1;
	mt->exact_at[seg] += sc->exact;
	mt->acc_at[seg] += sc->acc;
	if (!*stopped && (halts || last)) {
		*stopped = true;
		add_stop(mt, HRM_HALT_ADAPTIVE, seg, sc, q_halt);
		mt->used_at[seg]++;
	}
	if (last) {
		add_stop(mt, HRM_HALT_MAX, seg, sc, q_halt);
		mt->valid++;
	}
	return true;
}
