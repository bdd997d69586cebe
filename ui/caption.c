/* caption.c - teaching mode: one line of plain language about the step on
 * screen, made from the same history the charts draw. */
#include "ui/tui.h"
#include "puzzles/maze.h"

#include <stdio.h>
#include <string.h>

/* Cells whose lm_head(z_H) answer differs between positions a and b; for
 * a maze, cells that joined or left the path. */
static int answer_moves(const struct tui *t, int a, int b)
{
	const struct history *h = t->hist;
	int S = h->S, V = h->V, n = 0;
	for (int c = 0; c < S; c++) {
		int x = history_argmax(h->pos[a].logits_zH + (size_t)c * V, V);
		int y = history_argmax(h->pos[b].logits_zH + (size_t)c * V, V);
		if (t->puz.kind == PUZZLE_MAZE)
			n += (x == MAZE_PATH) != (y == MAZE_PATH);
		else
			n += x != y;
	}
	return n;
}

void caption_text(const struct tui *t, char *buf, size_t len, int form)
{
	if (t->hist == NULL || t->hist_n == 0) {
		snprintf(buf, len, "Loading the puzzle...");
		return;
	}
	int p = t->pos;
	if (p == 0) {
		snprintf(buf, len,
		         "Start: z_H and z_L hold the model's learned initial vectors; nothing is computed yet.");
		return;
	}
	const struct hist_pos *hp = &t->hist->pos[p];
	int m = t->metric;
	if (hp->kind == HIST_L) {
		int p0 = p - hp->l_step;
		double r0 = t->hist->pos[p0].res[m], r = hp->res[m];
		if (hp->l_step == 0)
			snprintf(
			    buf, len,
			    "L-module, cycle %d of segment %d: a fresh start from the updated plan (residual %.2g).",
			    hp->h_cycle + 1, hp->segment + 1, r);
		else if (r > 0 && r0 / r > 1.05)
			snprintf(buf, len, "L-module settling: residual fell %.1fx in this cycle (%.2g -> %.2g).",
			         r0 / r, r0, r);
		else if (r0 > 0 && r / r0 > 1.05)
			snprintf(buf, len, "L-module not settling yet: residual rose %.1fx in this cycle.", r / r0);
		else
			snprintf(buf, len,
			         "L-module steady: residual about the same as at the start of the cycle (%.2g).", r);
		return;
	}
	/* an H-step: what moved, and at a segment's end what the Q head says
	 * and how right the answer is; each in three lengths */
	static const char *const same[CAPTION_FORMS] = {
	    "H update (residual %.2g): the plan moved, the answer read from z_H did not.",
	    "H update (residual %.2g): the plan moved, the answer did not.",
	    "H update: the plan moved, the answer did not.",
	};
	static const char *const moved_path[CAPTION_FORMS] = {
	    "H update: plan changed, %d cells of the path moved.",
	    "H update: plan changed, %d cells of the path moved.",
	    "H update: %d path cells moved.",
	};
	static const char *const moved_cells[CAPTION_FORMS] = {
	    "H update: plan changed, %d cells of the answer changed.",
	    "H update: plan changed, %d cells of the answer changed.",
	    "H update: %d cells changed.",
	};
	static const char *const done[2][CAPTION_FORMS] = {
	    { " q_halt rose above q_continue: the model believes it is done.",
	      " q_halt > q_continue: the model believes it is done.", " q_halt > q_continue: done." },
	    /* q_continue unused (TRM's no_ACT_continue) */
	    { " q_halt rose above 0: the model believes it is done.", " q_halt > 0: the model believes it is done.",
	      " q_halt > 0: done." },
	};
	static const char *const more[2][CAPTION_FORMS] = {
	    { " q_continue is above q_halt: the model wants to keep thinking.",
	      " q_continue > q_halt: the model wants to keep thinking.", " q_continue > q_halt: keep thinking." },
	    { " q_halt is below 0: the model wants to keep thinking.", " q_halt < 0: the model wants to keep thinking.",
	      " q_halt < 0: keep thinking." },
	};
	static const char *const exact[CAPTION_FORMS] = {
	    " The answer is exactly right.",
	    " The answer is exactly right.",
	    " All cells right.",
	};
	static const char *const right[CAPTION_FORMS] = {
	    " %d%% of the cells are right.",
	    " %d%% of the cells are right.",
	    " %d%% of cells right.",
	};
	if (form < 0)
		form = 0;
	if (form >= CAPTION_FORMS)
		form = CAPTION_FORMS - 1;
	int moved = answer_moves(t, p - 1, p);
	size_t n;
	if (moved == 0)
		n = (size_t)snprintf(buf, len, same[form], hp->res[m]);
	else if (t->puz.kind == PUZZLE_MAZE)
		n = (size_t)snprintf(buf, len, moved_path[form], moved);
	else
		n = (size_t)snprintf(buf, len, moved_cells[form], moved);
	if (!hp->seg_end || n >= len)
		return;
	const struct hrm_config *cfg = &t->model->cfg;
	int rule = !hrm_q_continue_used(cfg);
	n += (size_t)snprintf(buf + n, len - n, "%s",
	                      hrm_halts_adaptive(cfg, (float)hp->q_halt, (float)hp->q_continue) ? done[rule][form]
	                                                                                         : more[rule][form]);
	if (hp->scored > 0 && n < len) {
		if (hp->exact)
			snprintf(buf + n, len - n, "%s", exact[form]);
		else
			snprintf(buf + n, len - n, right[form], history_pct_right(hp));
	}
}

/* The caption over the view's lines, broken between words, in the
 * longest of its forms that fits whole. */
static void caption_draw(struct view *v, struct tui *t)
{
	char buf[512];
	int room = v->w - 2;
	for (int form = 0; form < CAPTION_FORMS; form++) {
		caption_text(t, buf, sizeof buf, form);
		if (text_wrap_lines(buf, room) <= v->h)
			break;
	}
	const char *s = buf;
	for (int y = 0; y < v->h; y++) {
		char line[512];
		draw_fill(v->win, y, UI_CAPTION);
		s = text_wrap(s, room, line, sizeof line);
		draw_text(v->win, y, 1, v->w - 1, UI_CAPTION, line);
	}
}

const struct view_ops view_caption_ops = {
    .name = "caption",
    .dirty = DIRTY_POSITION,
    .draw = caption_draw,
};
