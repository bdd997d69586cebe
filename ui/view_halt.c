/* view_halt.c - the halting panel: per segment the Q head's logits and
 * sigmoids, the decision under max-steps (the official evaluation) and
 * under adaptive halting (q_halt > q_continue, the training rule), where
 * adaptive halting stops, and accuracy when the label is known.  A mark
 * before each segment number: where the trajectory entered a fixed point,
 * the still segments after it, the critical step (src/analysis/fixedpoint.h). */
#include "ui/tui.h"
#include "analysis/fixedpoint.h"
#include "model/ops.h"

#include <math.h>
#include <stdio.h>

static void sig_fmt(char *buf, size_t len, double p)
{
	if (p >= 0.995)
		snprintf(buf, len, "1.0");
	else
		snprintf(buf, len, ".%02d", (int)lround(p * 100));
}

int tui_fixed_point(const struct tui *t, struct fp_track *out, bool *still)
{
	if (t->hist == NULL) {
		fp_track_reset(out);
		return 0;
	}
	return history_fixed_point(t->hist, t->hist_n - 1, FP_TOL_DEFAULT, out, still);
}

/* The bottom line: where the trajectory settled and the critical step. */
static void fp_summary(WINDOW *w, int y, int width, const struct tui *t, const struct fp_track *f)
{
	char a[96], b[64];
	int e = fp_track_entered(f);
	enum fp_verdict v = fp_track_verdict(f);
	bool over = t->hist != NULL && t->hist_n > 0 && t->hist_n - 1 >= history_max_pos(t->hist);
	const char *fx = t->g->fixed, *cr = t->g->crit;
	/* both halves whole: the long words, or the short ones where the panel is narrow */
	for (int brief = 0; brief < 2; brief++) {
		if (e >= 0)
			snprintf(a, sizeof a, brief ? "%s fixed from %d (%s)" : "%s fixed point from seg %d (%s)", fx, e + 1,
			         fp_verdict_name(v));
		else if (over && !brief)
			snprintf(a, sizeof a, "%s no fixed point in %d segments", fx, t->hist->M);
		else
			snprintf(a, sizeof a, "%s no fixed point%s", fx, over ? "" : " yet");
		const char *label = brief ? "crit" : "critical:";
		if (f->crit_seg >= 0 && f->crit_h >= 0)
			snprintf(b, sizeof b, brief ? "%s %s %d.H%d" : "%s %s seg %d H %d", cr, label, f->crit_seg + 1,
			         f->crit_h + 1);
		else if (f->crit_seg >= 0)
			snprintf(b, sizeof b, brief ? "%s %s %d" : "%s %s seg %d", cr, label, f->crit_seg + 1);
		else
			snprintf(b, sizeof b, "%s %s %s", cr, label, f->last_exact < 0 ? "-" : "not yet");
		if (text_width(a) + 2 + text_width(b) <= width)
			break;
	}
	enum ui_role r = e < 0 ? UI_DIM : v == FP_RIGHT ? UI_GOOD : v == FP_WRONG ? UI_BAD : UI_WARN;
	draw_text(w, y, 0, width, r, a);
	int x = text_width(a) + 2;
	if (x < width)
		draw_text(w, y, x, width - x, f->crit_seg >= 0 ? UI_GOOD : UI_DIM, b);
}

static void halt_draw(struct view *v, struct tui *t)
{
	WINDOW *w = v->win;
	/* at 80 columns the panel is narrower than the full table: without the
	 * sigmoid columns (the logits give them) the decisions and the answer fit */
	static const char head[] = "seg q_halt sig q_cont sig  max   adapt acc  exact";
	bool compact = v->w < (int)sizeof head - 1;
	char title[160];
	const char *stops = t->adaptive ? "adaptive" : "max-steps";
	const struct hrm_config *cfg = &t->model->cfg;
	bool qc_used = hrm_q_continue_used(cfg);
	/* comparing two runs: whose table it is, first */
	char who[80] = "";
	if (tui_run_label(t))
		snprintf(who, sizeof who, "%s: ", tui_run_label(t));
	snprintf(title, sizeof title, "%sHalting (Q head on %s[0]%s)%sr stops at: %s", who, hrm_arch_desc(cfg)->zH,
	         qc_used ? "" : ", q_cont unused", t->g->sep, stops);
	if (text_width(title) > v->w)
		snprintf(title, sizeof title, "%sHalting (%s)%sr stops at: %s", who, qc_used ? "Q head" : "q_cont unused",
		         t->g->sep, stops);
	if (text_width(title) > v->w && !qc_used)
		snprintf(title, sizeof title, "%sHalting (q_cont unused)%s%s", who, t->g->sep, stops);
	if (text_width(title) > v->w)
		snprintf(title, sizeof title, "%sHalting (Q head)%sr stops at: %s", who, t->g->sep, stops);
	if (text_width(title) > v->w && who[0])
		snprintf(title, sizeof title, "%sHalting", who);
	draw_title(w, t, 0, title);
	draw_text(w, 1, 0, v->w, UI_DIM, compact ? "seg q_halt q_cont  max   adapt acc  exact" : head);
	if (t->hist == NULL)
		return;
	struct fp_track f;
	bool still[1024] = { false };
	tui_fixed_point(t, &f, t->hist->M <= 1024 ? still : NULL);
	int entered = fp_track_entered(&f);
	int ends[1024], ne = 0, first_adaptive = -1;
	for (int p = 1; p < t->hist_n && ne < 1024; p++)
		if (t->hist->pos[p].seg_end) {
			if (first_adaptive < 0 && t->hist->pos[p].halt_adaptive)
				first_adaptive = ne;
			ends[ne++] = p;
		}
	if (ne == 0) {
		draw_text(w, 2, 0, v->w, UI_DIM, "no segment finished yet (s runs one)");
		return;
	}
	int rows = v->h - 2;
	if (rows >= 4) { /* the last line sums the marks up */
		rows--;
		fp_summary(w, v->h - 1, v->w, t, &f);
	}
	/* keep the segment on screen in view */
	int now = -1;
	for (int i = 0; i < ne; i++)
		if (ends[i] <= t->pos)
			now = i;
	int first = 0;
	if (ne > rows) {
		first = (now < 0 ? 0 : now) - rows + 2;
		if (first > ne - rows)
			first = ne - rows;
		if (first < 0)
			first = 0;
	}
	/* some segments scrolled off: which ones show, at the column
	 * header's end when there is room */
	if (ne > rows) {
		char span[48];
		int last = first + rows < ne ? first + rows : ne;
		int hx = compact ? (int)sizeof "seg q_halt q_cont  max   adapt acc  exact" - 1 : (int)sizeof head - 1;
		static const char *const forms[] = { "segs %d-%d of %d", "%d-%d of %d", "%d-%d/%d" };
		for (size_t k = 0; k < sizeof forms / sizeof forms[0]; k++) {
			snprintf(span, sizeof span, forms[k], first + 1, last, ne);
			if (hx + 2 + text_width(span) <= v->w) {
				draw_text(w, 1, v->w - text_width(span), text_width(span), UI_DIM, span);
				break;
			}
		}
	}
	for (int i = first; i < ne && i - first < rows; i++) {
		const struct hist_pos *hp = &t->hist->pos[ends[i]];
		char sh[8], sc[8], acc[16], line[160];
		sig_fmt(sh, sizeof sh, sigmoid_f64(hp->q_halt));
		sig_fmt(sc, sizeof sc, sigmoid_f64(hp->q_continue));
		if (hp->scored > 0)
			snprintf(acc, sizeof acc, "%3d%% %s", history_pct_right(hp), hp->exact ? "yes" : "no");
		else
			snprintf(acc, sizeof acc, "  -   -");
		const char *hm = hp->halt_max ? "HALT" : "cont", *ha = hp->halt_adaptive ? "HALT" : "cont";
		if (compact)
			snprintf(line, sizeof line, " %2d %+6.2f %+6.2f  %-5s %-5s %s", hp->segment + 1, hp->q_halt,
			         hp->q_continue, hm, ha, acc);
		else
			snprintf(line, sizeof line, " %2d %+6.2f %s %+6.2f %s  %-5s %-5s %s", hp->segment + 1, hp->q_halt,
			         sh, hp->q_continue, sc, hm, ha, acc);
		enum ui_role role = ends[i] > t->pos ? UI_DIM : i == now ? UI_SELECT : UI_NORMAL;
		int y = 2 + i - first;
		draw_text(w, y, 0, v->w, role, line);
		if (!qc_used && role != UI_DIM) {
			/* computed but unused (TRM's no_ACT_continue): greyed */
			char pre[64], qc[32];
			if (compact)
				snprintf(pre, sizeof pre, " %2d %+6.2f ", hp->segment + 1, hp->q_halt);
			else
				snprintf(pre, sizeof pre, " %2d %+6.2f %s ", hp->segment + 1, hp->q_halt, sh);
			if (compact)
				snprintf(qc, sizeof qc, "%+6.2f", hp->q_continue);
			else
				snprintf(qc, sizeof qc, "%+6.2f %s", hp->q_continue, sc);
			int x0 = text_width(pre);
			if (x0 < v->w)
				draw_text(w, y, x0, v->w - x0, UI_DIM, qc);
		}
		/* the mark: fixed point entered here (it wins over the critical step
		 * in the same segment: the summary line names both), still, critical */
		enum fp_verdict fv = fp_track_verdict(&f);
		if (i == entered)
			draw_text(w, y, 0, 1, fv == FP_RIGHT ? UI_GOOD : fv == FP_WRONG ? UI_BAD : UI_WARN, t->g->fixed);
		else if (i == f.crit_seg)
			draw_text(w, y, 0, 1, UI_GOOD, t->g->crit);
		else if (i < 1024 && still[i])
			draw_text(w, y, 0, 1, UI_DIM, "=");
		/* where a rule stops: the words if they fit, else the mark alone */
		int x = text_width(line) + 1;
		const char *why = i == first_adaptive ? (hp->halt_max ? "both rules stop" : "adaptive stops")
		                  : hp->halt_max      ? "max-steps stops"
		                                      : NULL;
		if (why != NULL && x < v->w) {
			if (x + text_width(t->g->mark) + 1 + text_width(why) <= v->w)
				draw_fmt(w, y, x, v->w - x, UI_WARN, "%s %s", t->g->mark, why);
			else
				draw_text(w, y, x, v->w - x, UI_WARN, t->g->mark);
		}
		if (hp->scored > 0 && hp->exact && role == UI_NORMAL)
			draw_text(w, y, text_width(line) - 3, 3, UI_GOOD, "yes"); /* the line ends in it */
	}
}

const struct view_ops view_halt_ops = {
    .name = "halting",
    .dirty = DIRTY_HALT,
    .draw = halt_draw,
};
