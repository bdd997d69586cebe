/* caption.c - teaching mode: one line of plain language about the step on
 * screen, made from the same history the charts draw. */
#include "ui/tui.h"
#include "model/arch.h"
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

/* What each paper calls the actors of a step: HRM's L-module and plan,
 * TRM's latent z and answer y (the same positions, the same formats). */
static const struct caption_words {
	const char *L_who;        /* what an L-step updates */
	const char *from;         /* what an L-cycle starts again from */
	const char *H_who;        /* an H-step */
	const char *moved;        /* the H state moved (with an article) */
	const char *changed;      /* the same, short */
	const char *read_from;    /* the answer read from the H state */
} caption_words[] = {
	[HRM_ARCH_HRM] = { "L-module", "the updated plan", "H update", "the plan moved", "plan changed",
			   "the answer read from z_H" },
	[HRM_ARCH_TRM] = { "Latent z", "the updated answer y", "Answer update", "y moved", "y changed",
			   "the answer read from y" },
};

void caption_text(const struct tui *t, char *buf, size_t len, int form)
{
	if (t->hist == NULL || t->hist_n == 0) {
		snprintf(buf, len, "Loading the puzzle...");
		return;
	}
	int p = t->pos;
	if (p == 0) {
		const struct hrm_arch_desc *a = hrm_arch_desc(&t->model->cfg);
		snprintf(buf, len, "Start: %s and %s hold the model's learned initial vectors; nothing is computed yet.",
		         a->zH, a->zL);
		return;
	}
	const struct hist_pos *hp = &t->hist->pos[p];
	const struct caption_words *w = &caption_words[hrm_arch_desc(&t->model->cfg)->kind];
	int m = t->metric;
	if (hp->kind == HIST_L) {
		int p0 = p - hp->l_step;
		double r0 = t->hist->pos[p0].res[m], r = hp->res[m];
		if (hp->l_step == 0)
			snprintf(
			    buf, len,
			    "%s, cycle %d of segment %d: a fresh start from %s (residual %.2g).", w->L_who,
			    hp->h_cycle + 1, hp->segment + 1, w->from, r);
		else if (r > 0 && r0 / r > 1.05)
			snprintf(buf, len, "%s settling: residual fell %.1fx in this cycle (%.2g -> %.2g).", w->L_who,
			         r0 / r, r0, r);
		else if (r0 > 0 && r / r0 > 1.05)
			snprintf(buf, len, "%s not settling yet: residual rose %.1fx in this cycle.", w->L_who, r / r0);
		else
			snprintf(buf, len,
			         "%s steady: residual about the same as at the start of the cycle (%.2g).", w->L_who, r);
		return;
	}
	/* an H-step: what moved, and at a segment's end what the Q head says
	 * and how right the answer is; each in three lengths */
	static const char *const same[CAPTION_FORMS] = {
	    "%s (residual %.2g): %s, %s did not.",
	    "%s (residual %.2g): %s, the answer did not.",
	    "%s: %s, the answer did not.",
	};
	static const char *const moved_path[CAPTION_FORMS] = {
	    "%s: %s, %d cells of the path moved.",
	    "%s: %s, %d cells of the path moved.",
	    "%s: %d path cells moved.",
	};
	static const char *const moved_cells[CAPTION_FORMS] = {
	    "%s: %s, %d cells of the answer changed.",
	    "%s: %s, %d cells of the answer changed.",
	    "%s: %d cells changed.",
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
	if (moved == 0 && form < 2)
		n = (size_t)snprintf(buf, len, same[form], w->H_who, hp->res[m], w->moved, w->read_from);
	else if (moved == 0)
		n = (size_t)snprintf(buf, len, same[form], w->H_who, w->moved);
	else {
		const char *f = t->puz.kind == PUZZLE_MAZE ? moved_path[form] : moved_cells[form];
		if (form < 2)
			n = (size_t)snprintf(buf, len, f, w->H_who, w->changed, moved);
		else
			n = (size_t)snprintf(buf, len, f, w->H_who, moved);
	}
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
