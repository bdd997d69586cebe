/* fixedpoint.c - fixed-point entry and critical step (see fixedpoint.h). */
#include "analysis/fixedpoint.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

void fp_track_reset(struct fp_track *f)
{
	memset(f, 0, sizeof *f);
	f->still_from = -1;
	f->last_exact = -1;
	f->crit_seg = -1;
	f->crit_h = -1;
	f->h_run = -1;
}

void fp_track_hstep(struct fp_track *f, int h_cycle, int exact)
{
	if (h_cycle == 0)
		f->h_run = -1;
	if (exact != 1)
		f->h_run = -1;
	else if (f->h_run < 0)
		f->h_run = h_cycle;
}

bool fp_track_segment(struct fp_track *f, bool answer_changed, double rel_zH, double rel_zL, int exact, double tol)
{
	int s = f->segments++;
	/* NaN compares false: a state that blew up is not still */
	bool still = s > 0 && !answer_changed && rel_zH <= tol && rel_zL <= tol;
	if (still) {
		f->still_count++;
		if (f->still_from < 0)
			f->still_from = s;
	} else if (f->still_from >= 0) {
		f->left++;
		f->still_from = -1;
	}
	f->last_still = still;
	f->last_exact = exact;
	if (exact == 1) {
		if (f->crit_seg < 0) {
			f->crit_seg = s;
			f->crit_h = f->h_run;
		}
	} else {
		f->crit_seg = -1;
		f->crit_h = -1;
	}
	f->h_run = -1;
	return still;
}

int fp_track_entered(const struct fp_track *f)
{
	return f->still_from > 0 ? f->still_from - 1 : -1;
}

enum fp_verdict fp_track_verdict(const struct fp_track *f)
{
	if (fp_track_entered(f) < 0)
		return FP_MOVING;
	if (f->last_exact < 0)
		return FP_UNLABELLED;
	return f->last_exact ? FP_RIGHT : FP_WRONG;
}

const char *fp_verdict_name(enum fp_verdict v)
{
	switch (v) {
	case FP_RIGHT: return "right";
	case FP_WRONG: return "wrong";
	case FP_UNLABELLED: return "label unknown";
	default: return "no fixed point";
	}
}

bool fp_exact(const int32_t *pred, const int32_t *label, int S, bool has_ignore, int32_t ignore)
{
	for (int i = 0; i < S; i++)
		if (!(has_ignore && label[i] == ignore) && pred[i] != label[i])
			return false;
	return true;
}

void fp_tracker_init(struct fp_tracker *t, int B, int S, double tol)
{
	memset(t, 0, sizeof *t);
	t->B = B;
	t->S = S;
	t->tol = tol;
	t->rows = xcalloc((size_t)B, sizeof *t->rows);
	t->still = xcalloc((size_t)B, sizeof *t->still);
	for (int b = 0; b < B; b++)
		fp_track_reset(&t->rows[b]);
}

void fp_tracker_free(struct fp_tracker *t)
{
	free(t->rows);
	free(t->still);
	free(t->labels);
	memset(t, 0, sizeof *t);
}

void fp_tracker_set_labels(struct fp_tracker *t, const int32_t *labels, bool has_ignore, int32_t ignore)
{
	free(t->labels);
	t->labels = NULL;
	if (labels) {
		t->labels = xmalloc((size_t)t->B * t->S * sizeof *t->labels);
		memcpy(t->labels, labels, (size_t)t->B * t->S * sizeof *t->labels);
	}
	t->has_ignore = has_ignore;
	t->ignore = ignore;
}

static int row_exact(const struct fp_tracker *t, const int32_t *pred, int b)
{
	if (t->labels == NULL)
		return -1;
	size_t o = (size_t)b * t->S;
	return fp_exact(pred + o, t->labels + o, t->S, t->has_ignore, t->ignore);
}

void fp_tracker_observe(const struct hrm_event *ev, void *user)
{
	struct fp_tracker *t = user;
	int B = ev->B < t->B ? ev->B : t->B;
	switch (ev->kind) {
	case HRM_EV_RESET:
		for (int b = 0; b < t->B; b++)
			if (ev->reset_row < 0 || ev->reset_row == b) {
				fp_track_reset(&t->rows[b]);
				t->still[b] = false;
			}
		break;
	case HRM_EV_H_STEP:
		for (int b = 0; b < B; b++)
			fp_track_hstep(&t->rows[b], ev->h_cycle, row_exact(t, ev->pred, b));
		break;
	case HRM_EV_SEGMENT_END:
		for (int b = 0; b < B; b++)
			t->still[b] = fp_track_segment(&t->rows[b], ev->answer_changed[b], ev->seg_dzH[b].rel,
						       ev->seg_dzL[b].rel, row_exact(t, ev->pred, b), t->tol);
		break;
	default:
		break;
	}
}
