/* app.c - the application state the loop, the editor and the guesses view
 * change: which puzzle is shown (open, next/previous, show after checking
 * that the model takes it), where the run is (restart, go to a position, run
 * to the halt), and the status line's message. */
#include "ui/app.h"
#include "ui/compare.h"
#include "io/model_fit.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void app_message(struct tui *t, bool error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof t->msg, fmt, ap);
	va_end(ap);
	t->msg_error = error;
	t->msg_until = monotonic_ms() + (error ? 6000 : 4000);
	t->dirty |= DIRTY_STATUS;
}

int app_max_pos(const struct tui *t)
{
	const struct hrm_config *c = &t->model->cfg;
	return c->halt_max_steps * c->H_cycles * (c->L_cycles + 1);
}

void app_goto(struct tui *t, int p)
{
	if (p < 0)
		p = 0;
	if (p > app_max_pos(t))
		p = app_max_pos(t);
	t->target = p;
	t->to_halt = false;
	if (p > t->hist_n - 1)
		worker_compute_to(t->worker, p);
	t->dirty |= DIRTY_POSITION;
}

void app_run(struct tui *t)
{
	/* from the position asked for (keys before r may not be shown yet) */
	int from = t->to_halt ? t->pos : t->target;
	if (from >= app_max_pos(t)) {
		app_message(t, false, "all %d segments ran (R restarts)", t->model->cfg.halt_max_steps);
		return;
	}
	if (t->adaptive && from > 0 && from == t->pos) {
		worker_lock(t->worker);
		const struct history *h = worker_history(t->worker);
		bool halted = h->gen == t->gen && history_halted_at(h, h->n, from, true);
		worker_unlock(t->worker);
		if (halted) {
			app_message(t, false, "the run halted here (adaptive): R restarts, a switches to max-steps");
			return;
		}
	}
	int found = worker_run_until_halt(t->worker, from, t->adaptive);
	if (found >= 0) {
		app_goto(t, found);
	} else {
		t->target = app_max_pos(t);
		t->to_halt = true;
	}
	t->dirty |= DIRTY_POSITION;
}

/* Can the model take puzzle p (io/model_fit.h: what the model can run)? */
int app_check_fit(const struct hrm_model *m, const struct puzzle *p, int32_t *pid, char *note, size_t note_len,
                  char **cause)
{
	struct fit_query q = {.what = p->name, .vocab = puzzle_ops_for(p->kind)->vocab_size, .seq_len = p->seq_len,
	                      .tokens = p->input, .pid = *pid};
	return model_fit(m, &q, FIT_RUNNABLE, pid, note, note_len, cause);
}
static void fold_history(struct tui *t)
{
	worker_lock(t->worker);
	const struct history *h = worker_history(t->worker);
	if (h->gen == t->gen && h->n > 1) {
		for (int p = 1; p < h->n; p++) {
			const struct hist_pos *hp = &h->pos[p];
			if (hp->kind == HIST_H)
				pr_acc_add(&t->acc_H, hp->pool_zH);
			else
				pr_acc_add(&t->acc_L, hp->pool_zL);
		}
		/* read on every redraw of the PR view: no held rows to pass over */
		pr_acc_flush(&t->acc_H);
		pr_acc_flush(&t->acc_L);
		t->acc_puzzles++;
	}
	worker_unlock(t->worker);
}

void app_restart(struct tui *t)
{
	worker_set_noise(t->worker, t->noise_sigma, t->noise_seed);
	t->gen = worker_load(t->worker, t->puz.input, t->puz.seq_len, t->pid, t->puz.has_label ? t->puz.label : NULL);
	if (t->cmp) { /* the compared run loads the same puzzle (with its own puzzle identifier) */
		struct session *s = t->cmp;
		worker_set_noise(s->worker, t->noise_sigma, t->noise_seed);
		s->gen = worker_load(s->worker, t->puz.input, t->puz.seq_len, s->pid,
		                     t->puz.has_label ? t->puz.label : NULL);
		s->asked = 0;
		s->pos = s->hist_n = 0;
	}
	t->target = 0;
	t->to_halt = false;
	t->pos = 0;
	t->hist_n = 0;
	t->dirty |= DIRTY_ALL | DIRTY_LAYOUT | DIRTY_CLEAR;
}

int app_set_dtype(struct tui *t, enum hrm_dtype dt)
{
	char *cause = NULL;
	/* made once, while nothing computes in bf16: the fp32 runs never read it */
	if (dt == HRM_DTYPE_BF16 && t->model->bf16 == NULL && hrm_model_prepare_bf16(t->model, &cause) != 0) {
		app_message(t, true, "bf16: %s", cause ? cause : "cannot make the bf16 weights");
		free(cause);
		return -1;
	}
	t->dtype = dt;
	worker_set_dtype(t->worker, dt);
	return 0;
}

void app_switch_dtype(struct tui *t)
{
	enum hrm_dtype dt = t->dtype == HRM_DTYPE_FP32 ? HRM_DTYPE_BF16 : HRM_DTYPE_FP32;
	if (app_set_dtype(t, dt) != 0)
		return;
	t->playing = false;
	app_restart(t);
	app_message(t, false, "dtype %s: the puzzle restarted in %s (D switches back)", hrm_dtype_name(dt),
	            dt == HRM_DTYPE_BF16 ? "the official bfloat16 arithmetic" : "float32");
}

static int show_fitted(struct tui *t, const struct puzzle *p, int32_t pid, int walled, char *why, size_t len)
{
	char warn[256], *cause = NULL;
	int32_t cmp_pid = pid;
	if (app_check_fit(t->model, p, &pid, warn, sizeof warn, &cause) != 0) {
		snprintf(why, len, "%s", cause ? cause : "the model cannot take this puzzle");
		free(cause);
		return -1;
	}
	/* comparing: both runs take it, or neither */
	char cmp_warn[256];
	if (t->cmp && app_check_fit(t->cmp->model, p, &cmp_pid, cmp_warn, sizeof cmp_warn, &cause) != 0) {
		snprintf(why, len, "%s: %s", t->cmp->name, cause ? cause : "the model cannot take this puzzle");
		free(cause);
		return -1;
	}
	if (t->cmp)
		t->cmp->pid = cmp_pid;
	fold_history(t);
	t->puz = *p;
	t->pid = pid;
	t->pops = puzzle_ops_for(p->kind);
	if (t->cur_r >= p->side || t->cur_c >= p->side)
		t->cur_r = t->cur_c = 0;
	if (t->focus == FOCUS_EDIT)
		t->focus = FOCUS_MAIN;
	app_restart(t);
	if (walled)
		app_message(t, false, "note: a %dx%d maze, walled into the model's %dx%d canvas", walled, walled, p->side,
		            p->side);
	else if (warn[0])
		app_message(t, false, "note: %s", warn);
	return 0;
}

int app_show_puzzle(struct tui *t, const struct puzzle *given, int32_t pid, char *why, size_t len)
{
	/* a smaller maze is walled into the model's canvas, as the commands do */
	struct puzzle *p = xmalloc(sizeof *p);
	*p = *given;
	int walled = model_fit_wall_maze(t->model, p);
	int rc = show_fitted(t, p, pid, walled, why, len);
	free(p);
	return rc;
}

/* A puzzle of a source: no guess noise (kept if it cannot be shown). */
static int show_plain(struct tui *t, const struct puzzle *p, int32_t pid, char *why, size_t len)
{
	double sigma = t->noise_sigma;
	t->noise_sigma = 0;
	int rc = app_show_puzzle(t, p, pid, why, len);
	if (rc != 0)
		t->noise_sigma = sigma;
	return rc;
}

void app_step_puzzle(struct tui *t, int delta)
{
	int64_t count = source_count(&t->src), i = t->src_index + delta;
	if (i < 0 || i >= count) {
		app_message(t, false, "%s", i < 0 ? "this is the first puzzle" : "this is the last puzzle");
		return;
	}
	struct puzzle *p = xmalloc(sizeof *p);
	int32_t pid;
	char *cause = NULL, why[512];
	if (source_get(&t->src, i, p, &pid, &cause) != 0) {
		app_message(t, true, "%s", cause ? cause : "cannot read the puzzle");
		free(cause);
	} else if (show_plain(t, p, pid, why, sizeof why) != 0) {
		app_message(t, true, "%s", why);
	} else {
		t->src_index = i;
		t->playing = t->teaching;
	}
	free(p);
}

int app_open(struct tui *t, const char *spec)
{
	struct puzzle_source s;
	char *cause = NULL, why[512];
	if (source_open(&s, spec, &cause) != 0) {
		app_message(t, true, "%s", cause ? cause : "cannot open it");
		free(cause);
		return -1;
	}
	struct puzzle *p = xmalloc(sizeof *p);
	int32_t pid;
	int rc = -1;
	if (source_get(&s, s.start, p, &pid, &cause) != 0) {
		app_message(t, true, "%s", cause ? cause : "cannot read the puzzle");
		free(cause);
		source_close(&s);
	} else if (show_plain(t, p, pid, why, sizeof why) != 0) {
		app_message(t, true, "%s", why);
		source_close(&s);
	} else {
		source_close(&t->src);
		t->src = s;
		t->src_index = s.start;
		rc = 0;
	}
	free(p);
	return rc;
}
