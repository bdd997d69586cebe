/* view_charts.c - the residual charts: one bar per L-step (the L chart) or
 * per H-step (the H chart) over the whole run, segments separated and the
 * L bars coloured by H cycle, so the saw-tooth of hierarchical convergence
 * shows at a glance: L settles within a cycle and jumps when H updates.
 * The moment the trajectory entered a fixed point (the end of that
 * segment) is marked over its last bar, and on the H chart the critical
 * step over its H-step (src/analysis/fixedpoint.h). */
#include "ui/tui.h"
#include "ui/compare.h"
#include "analysis/fixedpoint.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define YLAB 8 /* width of the y-axis labels, "1.2e+01" + axis */

struct bar {
	int pos; /* history position */
	double value;
	int segment, h_cycle;
};

enum col_kind { COL_BAR, COL_SEG, COL_GAP };
struct column {
	enum col_kind kind;
	int bar;
};

static int collect(const struct tui *t, enum hist_kind kind, struct bar *bars, int max)
{
	int n = 0;
	for (int p = 1; p < t->hist_n && n < max; p++) {
		const struct hist_pos *hp = &t->hist->pos[p];
		if (hp->kind != kind)
			continue;
		bars[n].pos = p;
		bars[n].value = hp->res[t->metric];
		bars[n].segment = hp->segment;
		bars[n].h_cycle = hp->h_cycle;
		n++;
	}
	return n;
}

/* Columns for bars first..n-1, bw columns a bar: separators between
 * segments and gaps between H cycles while they fit in width. */
static int plan_columns(const struct bar *b, int first, int n, int bw, bool gaps, bool seps, struct column *cols,
                        int width)
{
	int nc = 0;
	for (int i = first; i < n && nc < width; i++) {
		if (i > first && seps && b[i].segment != b[i - 1].segment)
			cols[nc++] = (struct column){COL_SEG, -1};
		else if (i > first && gaps && b[i].h_cycle != b[i - 1].h_cycle)
			cols[nc++] = (struct column){COL_GAP, -1};
		/* a wide bar: a blank column after it, so that bars stay apart */
		for (int k = 0; k < bw && nc < width; k++)
			cols[nc++] = (struct column){bw > 1 && k == bw - 1 ? COL_GAP : COL_BAR, i};
	}
	return nc;
}

static int count_columns(const struct bar *b, int first, int n, int bw, bool gaps, bool seps)
{
	int nc = 0;
	for (int i = first; i < n; i++) {
		if (i > first &&
		    ((seps && b[i].segment != b[i - 1].segment) || (gaps && b[i].h_cycle != b[i - 1].h_cycle)))
			nc++;
		nc += bw;
	}
	return nc;
}

/* Columns a bar (a blank one included when more than one): as many as the whole run's bars (M segments of H
 * cycles, of L-steps on the L chart) and the separators between segments
 * leave room for, so that a wide chart is filled and the bars keep their
 * width from the first step to the last; 1 when they do not all fit. */
static int bar_width(const struct tui *t, enum hist_kind kind, int pw)
{
	const struct hrm_config *c = &t->model->cfg;
	int total = c->halt_max_steps * c->H_cycles * (kind == HIST_L ? c->L_cycles : 1);
	int bw = total > 0 ? (pw - (c->halt_max_steps - 1)) / total : 1;
	return bw < 1 ? 1 : bw > 8 ? 8 : bw;
}

/* Is column i the first of its bar? */
static bool bar_start(const struct column *cols, int i)
{
	return cols[i].kind == COL_BAR && (i == 0 || cols[i - 1].kind != COL_BAR || cols[i - 1].bar != cols[i].bar);
}

/* The first column after i where another segment's bars start (nc if none) */
static int next_segment_col(const struct column *cols, int nc, const struct bar *bars, int i)
{
	int seg = bars[cols[i].bar].segment;
	for (int j = i + 1; j < nc; j++)
		if (cols[j].kind == COL_BAR && bars[cols[j].bar].segment != seg)
			return j;
	return nc;
}

static void fmt_value(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%.1e", v);
}

/* The title: what the chart shows, the fixed-point and critical marks, the
 * metric, the scale, the bar count (or which bars are shown when not all fit:
 * bars first..last of n, from 0) and the current value.  When it does not
 * fit, the bar count goes first, then the metric and the scale: the marks and
 * the current value stay. */
static void chart_title(WINDOW *w, struct tui *t, enum hist_kind kind, int n, int first, int last, double now_value,
                        bool has_now, const struct fp_track *f, int reserve)
{
	static const char *metric_titles[METRICS] = {"abs L2 ||dz||", "relative ||dz||/||z||", "per-token RMS"};
	static const char *metric_short[METRICS] = {"abs", "rel", "RMS"};
	char title[256], now[32] = "", marks[96] = "", count[48], brief[48] = "";
	if (has_now)
		fmt_value(now, sizeof now, now_value);
	int entered = fp_track_entered(f), crit_seg = kind == HIST_H ? f->crit_seg : -1;
	size_t ml = 0;
	/* short, so that they fit before the rest: the halting panel spells them out */
	if (entered >= 0)
		ml += (size_t)snprintf(marks, sizeof marks, " %s fixed %d", t->g->fixed, entered + 1);
	if (crit_seg >= 0 && ml < sizeof marks)
		snprintf(marks + ml, sizeof marks - ml, " %s crit %d.H%d", t->g->crit, crit_seg + 1, f->crit_h + 1);
	const struct hrm_arch_desc *a = hrm_arch_desc(&t->model->cfg);
	char name[48];
	snprintf(name, sizeof name, kind == HIST_L ? "L residual %s" : "H update %s", kind == HIST_L ? a->dzL : a->dzH);
	const char *scale = t->log_scale ? "log" : "lin";
	const char *nowsep = has_now ? "  now " : "", *sep = t->g->sep;
	bool hidden = first > 0 || last < n - 1;
	if (hidden) {
		snprintf(count, sizeof count, "bars %d-%d of %d", first + 1, last + 1, n);
		snprintf(brief, sizeof brief, "%sbars %d-%d/%d", sep, first + 1, last + 1, n);
	} else {
		snprintf(count, sizeof count, "%d bars", n);
	}
	/* the longest that fits: everything; without the count of bars (unless
	 * some are hidden); the metric in a word; then, when bars are hidden,
	 * saying so before the metric and the scale; then without the value (a
	 * cut value, or c and L showing no change, is worse); the name alone */
	enum { NONE, SHORT, FULL };
	static const struct {
		char metric, count, now; /* NONE / SHORT / FULL; the count SHORT is `brief` */
		bool if_hidden;
	} variants[] = {
	    {FULL, FULL, FULL, false}, {FULL, SHORT, FULL, false},  {SHORT, SHORT, FULL, false},
	    {NONE, SHORT, SHORT, true}, {SHORT, NONE, FULL, false}, {SHORT, NONE, NONE, false},
	    {NONE, NONE, NONE, false},
	};
	for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
		if (variants[i].if_hidden && !hidden)
			continue;
		char m[96] = "", c[64] = "";
		if (variants[i].metric == FULL)
			snprintf(m, sizeof m, "%s%s%s%s", sep, metric_titles[t->metric], sep, t->log_scale ? "log" : "linear");
		else if (variants[i].metric == SHORT)
			snprintf(m, sizeof m, "%s%s %s", sep, metric_short[t->metric], scale);
		if (variants[i].count == FULL)
			snprintf(c, sizeof c, "%s%s", sep, count);
		else if (variants[i].count == SHORT)
			snprintf(c, sizeof c, "%s", brief);
		const char *ns = variants[i].now == FULL ? nowsep : variants[i].now == SHORT && has_now ? " now " : "";
		snprintf(title, sizeof title, "%s%s%s%s%s%s", name, marks, m, c, ns, variants[i].now ? now : "");
		if (text_width(title) <= getmaxx(w) - reserve)
			break;
	}
	draw_title(w, t, 0, title);
}

/* Which bars fit in pw columns: all of them with gaps and separators if
 * possible, else the window of them around the current one. */
static int chart_columns(const struct bar *bars, int n, int cur, int bw, bool gaps, int pw, struct column *cols,
                         bool *seps)
{
	int first = 0;
	*seps = true;
	if (count_columns(bars, 0, n, bw, gaps, *seps) > pw)
		gaps = false;
	if (count_columns(bars, 0, n, bw, gaps, *seps) > pw)
		*seps = false;
	if (n > pw) {
		int c = cur < 0 ? n - 1 : cur;
		first = c - pw * 3 / 4;
		if (first > n - pw)
			first = n - pw;
		if (first < 0)
			first = 0;
	}
	return plan_columns(bars, first, n, bw, gaps, *seps, cols, pw < 512 ? pw : 512);
}

/* The scale over the bars shown, and its labels on the y axis. */
static void chart_scale(WINDOW *w, const struct tui *t, const struct bar *bars, const struct bar *bars2, int n2,
                        const struct column *cols, int nc, int rows, double *lo_out, double *hi_out)
{
	double lo = INFINITY, hi = 0.0;
	for (int i = 0; i < nc; i++) {
		if (cols[i].kind != COL_BAR)
			continue;
		for (int k = 0; k < 2; k++) {
			if (k == 1 && cols[i].bar >= n2)
				break;
			double val = k ? bars2[cols[i].bar].value : bars[cols[i].bar].value;
			if (val > hi)
				hi = val;
			if (val > 0 && val < lo)
				lo = val;
		}
	}
	if (!(hi > 0))
		hi = 1.0;
	if (!(lo < INFINITY))
		lo = hi;
	char lab[32];
	fmt_value(lab, sizeof lab, hi);
	draw_text(w, 1, 0, YLAB - 1, UI_DIM, lab);
	fmt_value(lab, sizeof lab, t->log_scale ? lo : 0.0);
	draw_text(w, rows, 0, YLAB - 1, UI_DIM, lab);
	for (int r = 1; r <= rows; r++)
		draw_text(w, r, YLAB - 1, 1, UI_SEPARATOR, t->g->axis);
	*lo_out = lo;
	*hi_out = hi;
}

/* A value's height on the scale, in eighths of a row. */
static int bar_eighths(const struct tui *t, double value, int rows, double lo, double hi)
{
	double frac;
	if (t->log_scale)
		frac = hi > lo && value > 0 ? 0.1 + 0.9 * (log(value) - log(lo)) / (log(hi) - log(lo)) : 1.0;
	else
		frac = value / hi;
	if (!(frac >= 0))
		frac = 0;
	return (int)lround(frac * rows * 8);
}

/* The compared run's value over a bar: a point at its height. */
static void chart_point(WINDOW *w, const struct tui *t, const struct bar *b, int x, int rows, double lo, double hi)
{
	int e = bar_eighths(t, b->value, rows, lo, hi), r = e > 0 ? (e - 1) / 8 : 0;
	if (r >= rows)
		r = rows - 1;
	draw_text(w, rows - r, x, 1, b->pos > t->pos ? UI_DIM : UI_SERIES2, t->g->point);
}

/* One bar in column x, as tall as its value on the scale. */
static void chart_bar(WINDOW *w, const struct tui *t, enum hist_kind kind, const struct bar *b, bool is_cur, int x,
                      int rows, double lo, double hi)
{
	int eighths = bar_eighths(t, b->value, rows, lo, hi);
	if (eighths < 1)
		eighths = 1;
	enum ui_role role = kind == HIST_H ? UI_BAR_H : b->h_cycle % 2 ? UI_BAR_B : UI_BAR_A;
	if (is_cur)
		role = UI_BAR_NOW;
	else if (b->pos > t->pos)
		role = UI_DIM;
	for (int r = 0; r < rows; r++) {
		int e = eighths - r * 8;
		if (e <= 0)
			break;
		draw_text(w, rows - r, x, 1, role, t->g->bar[e > 8 ? 8 : e]);
	}
}

/* The marks over the bars: the last step of the segment whose end state is
 * the fixed point; the critical H-step. */
static void chart_marks(WINDOW *w, const struct tui *t, enum hist_kind kind, const struct bar *bars, int n,
                        const struct column *cols, int nc, const struct fp_track *f)
{
	int entered = fp_track_entered(f), crit_seg = kind == HIST_H ? f->crit_seg : -1;
	enum fp_verdict fv = fp_track_verdict(f);
	enum ui_role fr = fv == FP_RIGHT ? UI_GOOD : fv == FP_WRONG ? UI_BAD : UI_WARN;
	for (int i = 0; i < nc; i++) {
		if (!bar_start(cols, i))
			continue;
		int bi = cols[i].bar;
		const struct bar *b = &bars[bi];
		bool last_of_seg = bi + 1 >= n || bars[bi + 1].segment != b->segment;
		if (b->segment == entered && last_of_seg && b->pos < t->hist_n)
			draw_text(w, 1, YLAB + i, 1, fr, t->g->fixed);
		if (b->segment == crit_seg && (f->crit_h < 0 ? last_of_seg : b->h_cycle == f->crit_h))
			draw_text(w, entered == crit_seg && last_of_seg ? 2 : 1, YLAB + i, 1, UI_GOOD, t->g->crit);
	}
}

/* Comparing: which series is which, on the right of the title line (the
 * title takes fewer words to leave it the room, chart_legend_width). */
static int chart_legend_width(const struct tui *t)
{
	return t->cmp ? 2 + text_width(t->run_name) + 3 + text_width(t->cmp->name) + 2 : 0;
}

static void chart_legend(WINDOW *w, const struct tui *t, enum hist_kind kind)
{
	char a[80], b[80];
	snprintf(a, sizeof a, " %s %s", t->g->bar[8], t->run_name);
	snprintf(b, sizeof b, " %s %s ", t->g->point, t->cmp->name);
	int width = getmaxx(w), need = text_width(a) + text_width(b);
	int x = width - need < 0 ? 0 : width - need;
	draw_text(w, 0, x, width - x, UI_TITLE, a);
	draw_text(w, 0, x + 1, 1, kind == HIST_H ? UI_BAR_H : UI_BAR_A, t->g->bar[8]);
	int xb = x + text_width(a);
	if (xb < width) {
		draw_text(w, 0, xb, width - xb, UI_TITLE, b);
		draw_text(w, 0, xb + 1, 1, UI_SERIES2, t->g->point);
	}
}

static void draw_chart(struct view *v, struct tui *t, enum hist_kind kind)
{
	WINDOW *w = v->win;
	int which = kind == HIST_L ? 0 : 1;
	static struct bar bars[4096], bars2[4096];
	int n = t->hist ? collect(t, kind, bars, 4096) : 0;
	/* comparing: the compared run's steps, the same positions, as points */
	int n2 = 0;
	if (t->cmp) {
		compare_swap(t);
		n2 = t->hist ? collect(t, kind, bars2, 4096) : 0;
		compare_swap(t);
	}
	int cur = -1;
	for (int i = 0; i < n; i++)
		if (bars[i].pos <= t->pos)
			cur = i;
	struct fp_track f;
	tui_fixed_point(t, &f, NULL);
	for (int x = 0; x < 512; x++)
		t->chart_pos[which][x] = -1;
	int rows = v->h - 2, pw = v->w - YLAB;
	struct column cols[512];
	bool seps = true;
	int nc = n > 0 && rows >= 1 && pw >= 4
	             ? chart_columns(bars, n, cur, bar_width(t, kind, pw), kind == HIST_L, pw, cols, &seps)
	             : 0;
	int first = 0, last = n - 1;
	for (int i = 0, seen = 0; i < nc; i++)
		if (cols[i].kind == COL_BAR) {
			if (!seen++)
				first = cols[i].bar;
			last = cols[i].bar;
		}
	chart_title(w, t, kind, n, first, last, cur >= 0 ? bars[cur].value : 0.0, cur >= 0, &f, chart_legend_width(t));
	if (t->cmp)
		chart_legend(w, t, kind);
	if (rows < 1 || pw < 4)
		return;
	if (n == 0) {
		draw_text(w, 1 + rows / 2, YLAB, pw, UI_DIM,
		          kind == HIST_L ? "no L-step yet: press l, h, s or r" : "no H-step yet: press h, s or r");
		return;
	}
	double lo, hi;
	chart_scale(w, t, bars, bars2, n2, cols, nc, rows, &lo, &hi);
	int label_x = 0; /* where the next segment number may start: never two run together */
	for (int i = 0; i < nc; i++) {
		int x = YLAB + i;
		if (cols[i].kind == COL_SEG) {
			for (int r = 1; r <= rows; r++)
				draw_text(w, r, x, 1, UI_SEPARATOR, t->g->vline);
			continue;
		}
		if (cols[i].kind == COL_GAP)
			continue;
		const struct bar *b = &bars[cols[i].bar];
		chart_bar(w, t, kind, b, cols[i].bar == cur, x, rows, lo, hi);
		if (cols[i].bar < n2 && bar_start(cols, i))
			chart_point(w, t, &bars2[cols[i].bar], x, rows, lo, hi);
		if (x < 512)
			t->chart_pos[which][x] = b->pos;
		/* segment numbers under the first bar of each segment, those that
		 * have room after the one before (every k-th when segments are narrow) */
		if (bar_start(cols, i) &&
		    (i == 0 || (cols[i - 1].kind == COL_SEG) ||
		     (cols[i].bar > 0 && bars[cols[i].bar - 1].segment != b->segment && !seps)) &&
		    x >= label_x) {
			char sn[16];
			int len = snprintf(sn, sizeof sn, "%d", b->segment + 1);
			/* a first segment shown only in part is named only if its
			 * number leaves the next segment's start free */
			if (i == 0 && cols[i].bar > 0 && bars[cols[i].bar - 1].segment == b->segment &&
			    next_segment_col(cols, nc, bars, 0) <= len)
				continue;
			draw_text(w, rows + 1, x, v->w - x, UI_DIM, sn);
			label_x = x + len + 1;
		}
	}
	draw_text(w, rows + 1, 0, YLAB - 1, UI_DIM, "segment");
	chart_marks(w, t, kind, bars, n, cols, nc, &f);
}

static void lchart_draw(struct view *v, struct tui *t)
{
	draw_chart(v, t, HIST_L);
}
static void hchart_draw(struct view *v, struct tui *t)
{
	draw_chart(v, t, HIST_H);
}

static int chart_click(const struct tui *t, int which, int x, int *pos)
{
	if (x < 0 || x >= 512 || t->chart_pos[which][x] < 0)
		return RES_NONE;
	*pos = t->chart_pos[which][x];
	return RES_GOTO;
}

static int lchart_click(struct view *v, struct tui *t, int y, int x, int *pos)
{
	(void)v;
	(void)y;
	return chart_click(t, 0, x, pos);
}

static int hchart_click(struct view *v, struct tui *t, int y, int x, int *pos)
{
	(void)v;
	(void)y;
	return chart_click(t, 1, x, pos);
}

const struct view_ops view_lchart_ops = {
    .name = "L chart",
    .dirty = DIRTY_CHARTS,
    .draw = lchart_draw,
    .click = lchart_click,
};

const struct view_ops view_hchart_ops = {
    .name = "H chart",
    .dirty = DIRTY_CHARTS,
    .draw = hchart_draw,
    .click = hchart_click,
};
