/* view_header.c - the two header lines: puzzle, model and the arithmetic,
 * where the run is (the next step to run), and the compute status. */
#include "ui/tui.h"
#include "ui/compare.h"
#include "model/gemm_bf16.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>

static void param_count(const struct hrm_model *m, char *buf, size_t len)
{
	double n = (double)hrm_model_param_count(m, false);
	if (n >= 1e6)
		snprintf(buf, len, "%.1fM", n / 1e6);
	else
		snprintf(buf, len, "%.0fk", n / 1e3);
}

static void header_draw(struct view *v, struct tui *t)
{
	WINDOW *w = v->win;
	const struct hrm_config *c = &t->model->cfg;
	const char *sep = t->g->sep;
	char params[32], line[1024], right[192];
	param_count(t->model, params, sizeof params);
	draw_fill(w, 0, UI_HEADER);
	draw_fill(w, 1, UI_HEADER);
	int64_t count = source_count(&t->src);
	char idx[64] = "";
	if (count > 1 && count != INT64_MAX)
		snprintf(idx, sizeof idx, " [%lld/%lld]", (long long)t->src_index + 1, (long long)count);
	const char *arch = hrm_arch_desc(c)->name;
	/* comparing two runs: both named where the model's name goes, and
	 * whether x is needed to see the other grid */
	char model_name[320];
	snprintf(model_name, sizeof model_name, "%s", t->model->name);
	if (t->cmp)
		snprintf(model_name, sizeof model_name, "%s vs %s%s", t->run_desc, t->cmp->desc,
		         t->geom.pair ? "" : " (x swaps)");
	snprintf(line, sizeof line, " hrmscope%s%s%s%s%s%s (%s, %s params, d %d, H x L cycles %dx%d, M %d)", sep,
	         t->puz.name, idx, t->focus == FOCUS_EDIT ? " (editing)" : "", sep, model_name, arch, params,
	         c->hidden_size, c->H_cycles, c->L_cycles, c->halt_max_steps);

	/* compute status, right-aligned */
	if (t->ws.error[0])
		snprintf(right, sizeof right, " error ");
	else if (t->busy && t->hist_n == 0)
		snprintf(right, sizeof right, " loading ");
	else if (t->busy && t->ws.until_halt)
		snprintf(right, sizeof right, " computing step %d, until halting (%.1f s)%sEsc cancels ", t->hist_n,
		         (monotonic_ms() - t->busy_since) / 1e3, sep);
	else if (t->busy && t->target >= t->hist_n)
		snprintf(right, sizeof right, " computing step %d/%d (%.1f s)%sEsc cancels ", t->hist_n, t->target,
		         (monotonic_ms() - t->busy_since) / 1e3, sep);
	else if (t->busy)
		snprintf(right, sizeof right, " computing the probe (%.1f s) ", (monotonic_ms() - t->busy_since) / 1e3);
	else if (t->ws.ms_L > 0 && t->playing) /* between the steps of play: not idle */
		snprintf(right, sizeof right, " L-step %.0f ms, H-step %.0f ms ", t->ws.ms_L, t->ws.ms_H);
	else if (t->ws.ms_L > 0)
		snprintf(right, sizeof right, " idle%sL-step %.0f ms, H-step %.0f ms ", sep, t->ws.ms_L, t->ws.ms_H);
	else
		snprintf(right, sizeof right, " %s ", t->playing ? "" : "idle");
	/* the step times in fewer words, for when the cursor line needs the room */
	char right_short[2][192];
	if (!t->busy && !t->ws.error[0] && t->ws.ms_L > 0) {
		snprintf(right_short[0], sizeof right_short[0], " %s%sL %.0f ms, H %.0f ms ", t->playing ? "" : "idle",
		         t->playing ? "" : sep, t->ws.ms_L, t->ws.ms_H);
		snprintf(right_short[1], sizeof right_short[1], " %s ", t->playing ? "" : "idle");
	} else {
		snprintf(right_short[0], sizeof right_short[0], "%s", right);
		snprintf(right_short[1], sizeof right_short[1], "%s", right);
	}
	int rw = text_width(right);

	/* the arithmetic, right-aligned: bf16 with what computes its products
	 * when there is room */
	char dt[128];
	if (t->dtype == HRM_DTYPE_BF16) {
		snprintf(dt, sizeof dt, " bf16%s%s ", sep, bf16_backend());
		if (text_width(line) + 1 + text_width(dt) > v->w)
			snprintf(dt, sizeof dt, " bf16 ");
	} else {
		snprintf(dt, sizeof dt, " fp32 ");
	}
	int dw = text_width(dt);
	/* the model's sizes in fewer words where the line has no room (never a
	 * word cut): a table of forms, the longest that fits */
	for (int form = 1; form <= 4 && text_width(line) > v->w - dw - 1; form++) {
		char sizes[96];
		/* the architecture stays in every form */
		snprintf(sizes, sizeof sizes, " (%s)", arch);
		if (form == 1)
			snprintf(sizes, sizeof sizes, " (%s, %s params, d %d, %dx%d cycles, M %d)", arch, params,
			         c->hidden_size, c->H_cycles, c->L_cycles, c->halt_max_steps);
		else if (form == 2)
			snprintf(sizes, sizeof sizes, " (%s, %s params, M %d)", arch, params, c->halt_max_steps);
		snprintf(line, sizeof line, "%s%s%s%s%s%s%s%s", form == 4 ? " " : " hrmscope", form == 4 ? "" : sep,
		         t->puz.name, idx, t->focus == FOCUS_EDIT ? " (editing)" : "", sep, model_name, sizes);
	}
	draw_text(w, 0, 0, v->w - dw - 1, UI_HEADER_HI, line);
	draw_text(w, 0, v->w - dw, dw, UI_HEADER_HI, dt);

	/* the cursor in the computation: the next step to run */
	char cur[256];
	if (t->hist && t->hist_n > 0) {
		struct hist_cursor hc = history_cursor(t->hist, t->pos);
		int K = t->hist->K, total = history_max_pos(t->hist);
		if (hc.done)
			snprintf(cur, sizeof cur, " segment %d/%d%sdone (max steps)", c->halt_max_steps,
			         c->halt_max_steps, sep);
		else if (t->adaptive && t->pos > 0 && history_halted_at(t->hist, t->hist_n, t->pos, true))
			/* the segment that just ended, not the one the cursor would run next */
			snprintf(cur, sizeof cur, " segment %d/%d%shalted (adaptive)", hc.segment,
			         c->halt_max_steps, sep);
		else if (hc.l_step < c->L_cycles)
			snprintf(cur, sizeof cur, " segment %d/%d%sH %d/%d%sL %d/%d", hc.segment + 1, c->halt_max_steps,
			         sep, hc.h_cycle + 1, c->H_cycles, sep, hc.l_step + 1, c->L_cycles);
		else
			snprintf(cur, sizeof cur, " segment %d/%d%sH %d/%d%sH-step next", hc.segment + 1,
			         c->halt_max_steps, sep, hc.h_cycle + 1, c->H_cycles, sep);
		/* the step count and the halting rule (the halting panel names it
		 * too) go when the line has no room for them */
		size_t n = strlen(cur);
		const char *mode = t->teaching ? "teaching" : "playing";
		int mw = t->playing ? text_width(sep) + text_width(mode) : 0;
		char step[64], rule[64];
		snprintf(step, sizeof step, "%sstep %d/%d", sep, t->pos, total);
		snprintf(rule, sizeof rule, "%shalting: %s", sep, t->adaptive ? "adaptive" : "max-steps");
		/* the step count stays: the step times take fewer words first */
		for (int i = 0; i < 2 && text_width(cur) + text_width(step) + mw > v->w - rw - 1; i++) {
			memcpy(right, right_short[i], sizeof right);
			rw = text_width(right);
		}
		int room = v->w - rw - 1 - mw;
		if (text_width(cur) + text_width(step) + text_width(rule) <= room)
			snprintf(cur + n, sizeof cur - n, "%s%s", step, rule);
		else if (text_width(cur) + text_width(step) <= room)
			snprintf(cur + n, sizeof cur - n, "%s", step);
		(void)K;
	} else {
		snprintf(cur, sizeof cur, " loading...");
	}
	if (t->playing) {
		size_t n = strlen(cur);
		snprintf(cur + n, sizeof cur - n, "%s%s", sep, t->teaching ? "teaching" : "playing");
	}
	draw_text(w, 1, 0, v->w - rw - 1, UI_HEADER, cur);
	draw_text(w, 1, v->w - rw, rw, t->busy || t->ws.error[0] ? UI_HEADER_HI : UI_HEADER, right);
}

const struct view_ops view_header_ops = {
    .name = "header",
    .dirty = DIRTY_HEADER,
    .draw = header_draw,
};
