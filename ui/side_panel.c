/* side_panel.c - the side panels that take the place of the charts: the
 * attention view (v) and the trajectory map (z).  Their keys, and the
 * attention asked of the worker for the step and cell on screen. */
#include "ui/tui.h"

#include <string.h>

/* the blocks of the update that ran: TRM's H-step runs the one L_level */
static int module_layers(const struct tui *t, enum hrm_module mod)
{
	return hrm_update_layers(&t->model->cfg, mod == HRM_MODULE_L);
}

struct worker_attn_ask side_attn_ask(const struct tui *t, enum hrm_module *mod)
{
	const struct hrm_config *c = &t->model->cfg;
	struct worker_attn_ask a = { 0, 0, 0 };
	int K = attn_steps_per_segment(c);
	enum hrm_module m = attn_step_module(c, t->pos > 0 ? (t->pos - 1) % K + 1 : 1);
	if (mod)
		*mod = m;
	if (t->pos < 1)
		return a;
	a.pos = t->pos;
	a.layer = t->attn_layer < module_layers(t, m) ? t->attn_layer : module_layers(t, m) - 1;
	a.cell = t->cur_r * t->puz.side + t->cur_c;
	return a;
}

void side_sync(struct tui *t)
{
	if (t->side != SIDE_ATTN || t->worker == NULL)
		return;
	struct worker_attn_ask want = side_attn_ask(t, NULL);
	worker_want_attn(t->worker, want.pos, want.layer, want.cell);
	worker_lock(t->worker);
	const struct worker_attn *a = worker_attention(t->worker);
	struct worker_attn_ask got = a ? a->ask : (struct worker_attn_ask){ 0, 0, 0 };
	worker_unlock(t->worker);
	if (memcmp(&got, &t->attn_seen, sizeof got) != 0) {
		t->attn_seen = got;
		t->dirty |= DIRTY_CHARTS;
	}
}

static void show(struct tui *t, enum side_panel p)
{
	t->side = t->side == p ? SIDE_CHARTS : p;
	t->dirty |= DIRTY_ALL | DIRTY_LAYOUT | DIRTY_CLEAR;
}

int side_request(struct tui *t, enum request r)
{
	const struct hrm_config *c = &t->model->cfg;
	int most = c->L_layers > c->H_layers ? c->L_layers : c->H_layers;
	switch (r) {
	case REQ_ATTN_VIEW: show(t, SIDE_ATTN); return RES_HANDLED;
	case REQ_TRAJ_VIEW: show(t, SIDE_TRAJ); return RES_HANDLED;
	case REQ_TRAJ_STATE:
		t->traj_zL = !t->traj_zL;
		if (t->side != SIDE_TRAJ)
			show(t, SIDE_TRAJ);
		t->dirty |= DIRTY_CHARTS;
		return RES_HANDLED;
	case REQ_ATTN_LAYER:
	case REQ_ATTN_LAYER_BACK: {
		enum hrm_module mod;
		side_attn_ask(t, &mod);
		/* from the layer shown (the module that ran may have fewer) */
		int now = t->attn_layer < module_layers(t, mod) ? t->attn_layer : module_layers(t, mod) - 1;
		t->attn_layer = (now + (r == REQ_ATTN_LAYER ? 1 : most - 1)) % most;
		break;
	}
	/* attn_head: 0 the mean, then the heads 1..num_heads */
	case REQ_ATTN_HEAD: t->attn_head = (t->attn_head + 1) % (c->num_heads + 1); break;
	case REQ_ATTN_HEAD_BACK: t->attn_head = (t->attn_head + c->num_heads) % (c->num_heads + 1); break;
	case REQ_ATTN_MEAN: t->attn_head = t->attn_head == 0 ? 1 : 0; break;
	default: return RES_NONE;
	}
	if (t->side != SIDE_ATTN)
		show(t, SIDE_ATTN);
	t->dirty |= DIRTY_CHARTS;
	return RES_HANDLED;
}
