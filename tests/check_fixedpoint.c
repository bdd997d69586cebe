/* check_fixedpoint.c - the fixed-point and critical-step tracker on
 * hand-made event streams, and the engine's segment readouts (state change
 * over the segment, answer changed, the answer after each H-step) against
 * the same quantities computed here from the engine's states. */
#include "model/engine.h"
#include "analysis/fixedpoint.h"
#include "model/hrm.h"
#include "io/checkpoint.h"
#include "core/util.h"

#include "test_util.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MODEL FIXTURES_DIR "/models/tiny_maze"

/* ---- hand-made event streams ---- */

struct stream {
	int B, S;
	struct hrm_residual dzH[4], dzL[4];
	int changed[4];
	bool answer_changed[4];
	int32_t pred[4 * 8];
};

static void feed_reset(struct fp_tracker *t, int row)
{
	struct hrm_event ev = { .kind = HRM_EV_RESET, .l_step = -1, .reset_row = row, .B = t->B };
	fp_tracker_observe(&ev, t);
}

/* One H-step whose answer row b is pred row b. */
static void feed_h(struct fp_tracker *t, struct stream *s, int seg, int h)
{
	struct hrm_event ev = { .kind = HRM_EV_H_STEP, .segment = seg, .h_cycle = h, .l_step = -1, .B = s->B,
				.pred = s->pred };
	fp_tracker_observe(&ev, t);
}

static void feed_end(struct fp_tracker *t, struct stream *s, int seg)
{
	struct hrm_event ev = { .kind = HRM_EV_SEGMENT_END, .segment = seg, .l_step = -1, .B = s->B, .pred = s->pred,
				.seg_dzH = s->dzH, .seg_dzL = s->dzL, .cells_changed = s->changed,
				.answer_changed = s->answer_changed };
	fp_tracker_observe(&ev, t);
}

/* Row b's answer: right (= label 1 1 1 1) or wrong in one cell. */
static void set_answer(struct stream *s, int b, bool right)
{
	for (int i = 0; i < s->S; i++)
		s->pred[b * s->S + i] = 1;
	if (!right)
		s->pred[b * s->S + 2] = 2;
}

static void set_move(struct stream *s, int b, double relH, double relL, bool changed)
{
	s->dzH[b].rel = relH;
	s->dzL[b].rel = relL;
	s->answer_changed[b] = changed;
	s->changed[b] = changed;
}

START_TEST(test_track_fixed_point)
{
	struct fp_track f;
	fp_track_reset(&f);
	/* the first segment is never still, even without any change */
	ck_assert(!fp_track_segment(&f, false, 0.0, 0.0, -1, 0.01));
	ck_assert_int_eq(fp_track_entered(&f), -1);
	ck_assert(!fp_track_segment(&f, true, 1e-4, 1e-4, -1, 0.01)); /* the answer changed */
	ck_assert(!fp_track_segment(&f, false, 0.02, 1e-4, -1, 0.01)); /* z_H moved too much */
	ck_assert(!fp_track_segment(&f, false, 1e-4, 0.02, -1, 0.01)); /* z_L moved too much */
	ck_assert(fp_track_segment(&f, false, 0.01, 0.005, -1, 0.01)); /* at the tolerance: still */
	ck_assert_int_eq(fp_track_entered(&f), 3);
	ck_assert_int_eq(fp_track_verdict(&f), FP_UNLABELLED);
	ck_assert(fp_track_segment(&f, false, 1e-6, 1e-6, -1, 0.01));
	ck_assert_int_eq(fp_track_entered(&f), 3);
	/* it moves on: no fixed point, one departure; then settles again later */
	ck_assert(!fp_track_segment(&f, false, NAN, 0.0, -1, 0.01));
	ck_assert_int_eq(fp_track_entered(&f), -1);
	ck_assert_int_eq(f.left, 1);
	ck_assert_int_eq(fp_track_verdict(&f), FP_MOVING);
	ck_assert(fp_track_segment(&f, false, 1e-3, 1e-3, 0, 0.01));
	ck_assert_int_eq(fp_track_entered(&f), 6);
	ck_assert_int_eq(fp_track_verdict(&f), FP_WRONG);
	ck_assert_int_eq(f.still_count, 3);
	ck_assert_int_eq(f.segments, 8);
}
END_TEST

START_TEST(test_track_critical)
{
	struct fp_track f;
	fp_track_reset(&f);
	/* segment ends: wrong, right, wrong, right, right: critical = 3 */
	static const int ends[5] = { 0, 1, 0, 1, 1 };
	/* H-step answers (2 per segment; the second is the segment's end) */
	static const int hs[5][2] = { { 0, 0 }, { 1, 1 }, { 1, 0 }, { 0, 1 }, { 0, 1 } };
	for (int s = 0; s < 5; s++) {
		for (int h = 0; h < 2; h++)
			fp_track_hstep(&f, h, hs[s][h]);
		fp_track_segment(&f, s == 0, 1.0, 1.0, ends[s], 0.01);
		if (s == 1) {
			ck_assert_int_eq(f.crit_seg, 1);
			ck_assert_int_eq(f.crit_h, 0);
		}
		if (s == 2)
			ck_assert_int_eq(f.crit_seg, -1);
	}
	ck_assert_int_eq(f.crit_seg, 3);
	ck_assert_int_eq(f.crit_h, 1);
	/* without H-step answers the segment is known, the H-step is not */
	fp_track_reset(&f);
	fp_track_segment(&f, true, 1, 1, 1, 0.01);
	ck_assert_int_eq(f.crit_seg, 0);
	ck_assert_int_eq(f.crit_h, -1);
	/* no label: no critical step */
	fp_track_reset(&f);
	fp_track_hstep(&f, 0, -1);
	fp_track_segment(&f, true, 1, 1, -1, 0.01);
	ck_assert_int_eq(f.crit_seg, -1);
}
END_TEST

/* The tracker as an engine observer, on a made-up stream of two rows. */
START_TEST(test_tracker_stream)
{
	struct stream s = { .B = 2, .S = 4 };
	int32_t labels[8] = { 1, 1, 1, 1, 1, 1, 0, 0 }; /* row 1: the last two cells are not scored */
	struct fp_tracker t;
	fp_tracker_init(&t, 2, 4, 0.01);
	fp_tracker_set_labels(&t, labels, true, 0);
	feed_reset(&t, -1);
	/* row 0 is wrong until segment 2 and settles from segment 3; row 1 is right
	 * (its wrong cell is unscored) from the start and never settles */
	static const bool right0[5] = { false, false, true, true, true };
	static const double rel0[5] = { 1.0, 0.5, 0.1, 0.004, 0.0005 };
	for (int seg = 0; seg < 5; seg++) {
		set_answer(&s, 0, right0[seg]);
		set_answer(&s, 1, false);
		s.pred[1 * 4 + 2] = 7; /* unscored cell */
		for (int h = 0; h < 2; h++)
			feed_h(&t, &s, seg, h);
		set_move(&s, 0, rel0[seg], rel0[seg] / 2, seg == 0 || right0[seg] != right0[seg - 1]);
		set_move(&s, 1, 0.5, 0.5, seg == 0);
		feed_end(&t, &s, seg);
		ck_assert_int_eq(t.still[0], seg >= 3);
		ck_assert(!t.still[1]);
	}
	ck_assert_int_eq(fp_track_entered(&t.rows[0]), 2);
	ck_assert_int_eq(fp_track_verdict(&t.rows[0]), FP_RIGHT);
	ck_assert_int_eq(t.rows[0].crit_seg, 2);
	ck_assert_int_eq(t.rows[0].crit_h, 0);
	ck_assert_int_eq(fp_track_entered(&t.rows[1]), -1);
	ck_assert_int_eq(t.rows[1].crit_seg, 0);
	/* resetting row 1 leaves row 0 alone */
	feed_reset(&t, 1);
	ck_assert_int_eq(t.rows[1].segments, 0);
	ck_assert_int_eq(t.rows[0].segments, 5);
	fp_tracker_free(&t);
}
END_TEST

START_TEST(test_exact_ignore)
{
	int32_t label[4] = { 3, 0, 4, 0 }, pred[4] = { 3, 9, 4, 9 };
	ck_assert(fp_exact(pred, label, 4, true, 0));
	ck_assert(!fp_exact(pred, label, 4, false, 0));
	pred[2] = 5;
	ck_assert(!fp_exact(pred, label, 4, true, 0));
}
END_TEST

/* ---- the engine's readouts ---- */

struct seen {
	int n_end, n_h;
	double relH[16][2], relL[16][2], absH[16][2];
	int changed[16][2];
	bool answer_changed[16][2];
	int32_t hpred[64][2][25];
};

static void record(const struct hrm_event *ev, void *user)
{
	struct seen *s = user;
	if (ev->kind == HRM_EV_H_STEP && s->n_h < 64) {
		memcpy(s->hpred[s->n_h], ev->pred, 2 * 25 * sizeof(int32_t));
		s->n_h++;
	}
	if (ev->kind != HRM_EV_SEGMENT_END || s->n_end >= 16)
		return;
	for (int b = 0; b < 2; b++) {
		s->relH[s->n_end][b] = ev->seg_dzH[b].rel;
		s->relL[s->n_end][b] = ev->seg_dzL[b].rel;
		s->absH[s->n_end][b] = ev->seg_dzH[b].abs_l2;
		s->changed[s->n_end][b] = ev->cells_changed[b];
		s->answer_changed[s->n_end][b] = ev->answer_changed[b];
	}
	s->n_end++;
}

static double rel_change(const float *a, const float *b, size_t n, double *abs_out)
{
	double dd = 0, aa = 0;
	for (size_t i = 0; i < n; i++) {
		double d = (double)b[i] - a[i];
		dd += d * d;
		aa += (double)a[i] * a[i];
	}
	*abs_out = sqrt(dd);
	return sqrt(dd / aa);
}

START_TEST(test_engine_readouts)
{
	struct hrm_model m;
	char *cause = NULL;
	ck_assert_msg(hrm_model_load(&m, MODEL, &cause) == 0, "%s", cause);
	/* livelier L-level attention, so that the answers change between segments */
	for (int l = 0; l < m.cfg.L_layers; l++)
		for (int i = 0; i < 3 * m.cfg.hidden_size * m.cfg.hidden_size; i++)
			m.w.L[l].qkv[i] *= 1.6f;
	int S = 25, B = 2, V = m.cfg.vocab_size, later_changes = 0;
	struct hrm_engine *e = hrm_engine_new(&m, B, S, &cause);
	ck_assert_msg(e != NULL, "%s", cause);
	/* two 5x5 mazes (tokens of the maze vocabulary) */
	int32_t tok[50], pid[2] = { 0, 0 };
	for (int i = 0; i < 50; i++)
		tok[i] = (i % 5 == 0 || i % 5 == 4 || i / 5 % 5 == 0 || i / 5 % 5 == 4) ? 1 : 2;
	tok[6] = 3, tok[18] = 4, tok[25 + 8] = 3, tok[25 + 16] = 4, tok[25 + 12] = 1;
	ck_assert(hrm_engine_set_inputs(e, tok, pid, &cause) == 0);
	struct seen *s = xcalloc(1, sizeof *s);
	hrm_engine_add_observer(e, record, s);
	hrm_engine_reset(e, -1);
	size_t n = (size_t)hrm_engine_T(e) * m.cfg.hidden_size;
	float *zH0 = xmalloc(B * n * sizeof(float)), *zL0 = xmalloc(B * n * sizeof(float));
	int32_t *prev = xmalloc((size_t)B * S * sizeof *prev);
	float *logits = xmalloc((size_t)B * S * V * sizeof(float)), q[4];
	memcpy(prev, tok, sizeof tok);
	/* a kick to row 1's state: written directly, it must count as the start */
	hrm_engine_zH(e)[n + 5] += 0.5f;
	for (int seg = 0; seg < 6; seg++) {
		memcpy(zH0, hrm_engine_zH(e), B * n * sizeof(float));
		memcpy(zL0, hrm_engine_zL(e), B * n * sizeof(float));
		for (int h = 0; h < m.cfg.H_cycles; h++) {
			hrm_engine_step(e, HRM_GRAIN_H);
			/* the H-step's answer: lm_head(z_H) now */
			hrm_engine_heads(e, hrm_engine_zH(e), logits, q);
			for (int i = 0; i < B * S; i++) {
				int best = 0;
				for (int v = 1; v < V; v++)
					if (logits[(size_t)i * V + v] > logits[(size_t)i * V + best])
						best = v;
				ck_assert_int_eq(s->hpred[seg * m.cfg.H_cycles + h][i / S][i % S], best);
			}
		}
		ck_assert_int_eq(s->n_end, seg + 1);
		const int32_t *pred = hrm_engine_pred(e);
		for (int b = 0; b < B; b++) {
			double ab, rh = rel_change(zH0 + b * n, hrm_engine_zH(e) + b * n, n, &ab), al;
			double rl = rel_change(zL0 + b * n, hrm_engine_zL(e) + b * n, n, &al);
			ck_assert_msg(fabs(rh - s->relH[seg][b]) <= 1e-9 * (1 + rh), "seg %d row %d: %g vs %g", seg, b, rh,
				      s->relH[seg][b]);
			ck_assert(fabs(ab - s->absH[seg][b]) <= 1e-9 * (1 + ab));
			ck_assert(fabs(rl - s->relL[seg][b]) <= 1e-9 * (1 + rl));
			int ch = 0;
			for (int i = 0; i < S; i++)
				ch += pred[b * S + i] != prev[b * S + i];
			ck_assert_int_eq(s->changed[seg][b], ch);
			ck_assert_int_eq(s->answer_changed[seg][b], seg == 0 || ch > 0);
			later_changes += seg > 0 && ch > 0;
		}
		memcpy(prev, pred, (size_t)B * S * sizeof *prev);
	}
	ck_assert_int_gt(later_changes, 0); /* the case the previous answer matters in */
	free(zH0);
	free(zL0);
	free(prev);
	free(logits);
	free(s);
	hrm_engine_free(e);
	hrm_model_free(&m);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fixedpoint");
	TCase *tc = tcase_create("tracker");
	tcase_add_test(tc, test_track_fixed_point);
	tcase_add_test(tc, test_track_critical);
	tcase_add_test(tc, test_tracker_stream);
	tcase_add_test(tc, test_exact_ignore);
	tcase_add_test(tc, test_engine_readouts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(suite(), "check_fixedpoint");
}
