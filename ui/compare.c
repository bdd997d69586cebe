/* compare.c - the compared run (see compare.h). */
#include "ui/compare.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

#define SWAP(type, a, b)                                                                                             \
	do {                                                                                                         \
		type tmp_ = (a);                                                                                     \
		(a) = (b);                                                                                           \
		(b) = tmp_;                                                                                          \
	} while (0)

void compare_swap(struct tui *t)
{
	struct session *s = t->cmp;
	if (s == NULL)
		return;
	SWAP(struct hrm_model *, t->model, s->model);
	SWAP(struct worker *, t->worker, s->worker);
	SWAP(uint64_t, t->gen, s->gen);
	SWAP(const struct history *, t->hist, s->hist);
	SWAP(int, t->hist_n, s->hist_n);
	SWAP(int, t->pos, s->pos);
	SWAP(bool, t->busy, s->busy);
	SWAP(struct worker_status, t->ws, s->ws);
	SWAP(double, t->busy_since, s->busy_since);
	SWAP(enum hrm_dtype, t->dtype, s->dtype);
	SWAP(int32_t, t->pid, s->pid);
	char name[sizeof s->name], desc[sizeof s->desc];
	memcpy(name, t->run_name, sizeof name);
	memcpy(t->run_name, s->name, sizeof name);
	memcpy(s->name, name, sizeof name);
	memcpy(desc, t->run_desc, sizeof desc);
	memcpy(t->run_desc, s->desc, sizeof desc);
	memcpy(s->desc, desc, sizeof desc);
}

void compare_toggle_front(struct tui *t)
{
	struct session *s = t->cmp;
	if (s == NULL)
		return;
	compare_swap(t);
	s->swapped = !s->swapped;
	s->asked = -1; /* the worker now behind may have been asked less */
	memset(&t->attn_seen, 0, sizeof t->attn_seen);
	t->dirty |= DIRTY_ALL | DIRTY_LAYOUT | DIRTY_CLEAR;
}

int compare_sync(struct tui *t, int front_n)
{
	struct session *s = t->cmp;
	/* while r runs the front's target is the end: follow what it reached */
	int want = t->to_halt ? front_n - 1 : t->target;
	if (want < 0)
		want = 0;
	if (want != s->asked) {
		worker_compute_to(s->worker, want);
		s->asked = want;
	}
	struct worker_status ws = worker_status(s->worker);
	worker_lock(s->worker);
	const struct history *h = worker_history(s->worker);
	int n = h->gen == s->gen ? h->n : 0;
	worker_unlock(s->worker);
	bool busy = ws.busy || ws.loaded_gen != s->gen;
	if (busy && !s->busy)
		s->busy_since = monotonic_ms();
	if (n != s->hist_n || busy != s->busy)
		t->dirty |= DIRTY_POSITION;
	s->busy = busy;
	s->ws = ws;
	s->hist_n = n;
	return n;
}

void compare_follow(struct tui *t)
{
	struct session *s = t->cmp;
	int p = t->pos < s->hist_n - 1 ? t->pos : s->hist_n - 1;
	s->pos = p < 0 ? 0 : p;
	if (t->grid_mode != GRID_PROBE || s->hist_n == 0)
		return;
	worker_lock(s->worker);
	const struct history *h = worker_history(s->worker);
	bool missing = h->gen == s->gen && s->pos < h->n && h->pos[s->pos].probe == NULL;
	worker_unlock(s->worker);
	if (missing)
		worker_want_probe(s->worker, s->pos);
}

void compare_lock(struct tui *t)
{
	struct session *s = t->cmp;
	if (s == NULL)
		return;
	worker_lock(s->worker);
	const struct history *h = worker_history(s->worker);
	s->hist = h->gen == s->gen && h->n > 0 ? h : NULL;
	if (s->hist == NULL)
		s->hist_n = 0;
	else if (s->hist_n > h->n)
		s->hist_n = h->n;
}

void compare_unlock(struct tui *t)
{
	struct session *s = t->cmp;
	if (s == NULL)
		return;
	s->hist = NULL;
	worker_unlock(s->worker);
}

void compare_free(struct tui *t)
{
	struct session *s = t->cmp;
	if (s == NULL)
		return;
	if (s->swapped)
		compare_swap(t);
	worker_free(s->worker);
	if (s->own_model) {
		hrm_model_free(s->model);
		free(s->model);
	}
	free(s);
	t->cmp = NULL;
}

/* The compared run's halting table: the usual one, drawn with it in front. */
static void halt2_draw(struct view *v, struct tui *t)
{
	compare_swap(t);
	view_halt_ops.draw(v, t);
	compare_swap(t);
}

const struct view_ops view_halt2_ops = {
    .name = "halting (compared)",
    .dirty = DIRTY_HALT,
    .draw = halt2_draw,
};
