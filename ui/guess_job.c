/* guess_job.c - the guesses view's computation and keys: the puzzle on
 * screen run as K perturbed versions in one batch (src/analysis/guess.h) on a
 * thread of its own, so the UI never waits; Enter steps into the selected
 * run with the full debugger: the version is loaded in its own frame (and
 * with its initial-state noise), G comes back to the table.  The model is
 * only read, by this thread and the worker alike; the threaded OpenBLAS
 * serialises concurrent level-3 calls. */
#include "ui/tui.h"
#include "ui/guess_view.h"
#include "ui/app.h"
#include "ui/guess_job.h"
#include "core/fmap.h"
#include "core/util.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GUESS_K_DEFAULT 8
#define GUESS_K_MAX 64

static void on_progress(void *user, int done, int total)
{
	struct guess_view *gv = user;
	pthread_mutex_lock(&gv->mu);
	gv->step_done = done;
	gv->step_total = total;
	gv->news = true;
	pthread_mutex_unlock(&gv->mu);
}

static void guess_traj_free(struct guess_view *gv)
{
	for (int k = 0; k < gv->traj_n; k++)
		traj_free(&gv->traj[k]);
	free(gv->traj);
	gv->traj = NULL;
	gv->traj_n = 0;
}

static void *job_main(void *arg)
{
	struct guess_view *gv = arg;
	struct guess_result r;
	guess_result_init(&r, gv->orig.seq_len);
	/* the official builders' ignore label: pad cells carry no answer */
	struct guess_puzzle gp = {&gv->orig, true, gv->pid, true, 0};
	char *cause = NULL;
	struct guess_opts o = gv->opts;
	int K = o.K;
	o.traj = xmalloc((size_t)K * sizeof *o.traj);
	for (int k = 0; k < K; k++)
		traj_init(&o.traj[k], gv->model->cfg.hidden_size);
	int rc = guess_run(gv->model, 0, &gp, &o, &r, &cause);
	if (rc == 0)
		guess_tally(&r);
	pthread_mutex_lock(&gv->mu);
	if (rc == 0) {
		guess_result_free(&gv->res);
		gv->res = r;
		gv->have = true;
		guess_traj_free(gv);
		gv->traj = o.traj;
		gv->traj_n = K;
		o.traj = NULL;
	} else {
		snprintf(gv->error, sizeof gv->error, "%s", cause ? cause : "the guesses failed");
		guess_result_free(&r);
	}
	gv->running = false;
	gv->news = true;
	pthread_mutex_unlock(&gv->mu);
	if (o.traj != NULL) {
		for (int k = 0; k < K; k++)
			traj_free(&o.traj[k]);
		free(o.traj);
	}
	free(cause);
	return NULL;
}

static void job_stop(struct guess_view *gv)
{
	if (!gv->started)
		return;
	atomic_store(&gv->cancel, 1);
	pthread_join(gv->thread, NULL);
	gv->started = false;
}

/* Guesses on the puzzle on screen, with the view's kind and K. */
static void job_start(struct tui *t)
{
	struct guess_view *gv = t->gv;
	job_stop(gv);
	char why[160];
	if (!perturb_applies(gv->kind, &t->puz, true, why, sizeof why))
		gv->kind = PERTURB_NOISE;
	gv->model = t->model;
	gv->orig = t->puz;
	gv->pid = t->pid;
	gv->stepped = false;
	gv->sel = 0;
	gv->opts = (struct guess_opts){.kind = gv->kind,
	                               .K = gv->K,
	                               .fp_tol = FP_TOL_DEFAULT,
	                               .dtype = t->dtype,
	                               .cancel = &gv->cancel,
	                               .progress = on_progress,
	                               .progress_user = gv};
	pthread_mutex_lock(&gv->mu);
	guess_result_free(&gv->res);
	gv->have = false;
	gv->running = true;
	gv->news = true;
	gv->error[0] = '\0';
	const struct hrm_config *c = &t->model->cfg;
	gv->step_done = 0;
	gv->step_total = c->halt_max_steps * c->H_cycles * (c->L_cycles + 1);
	gv->since = monotonic_ms();
	pthread_mutex_unlock(&gv->mu);
	atomic_store(&gv->cancel, 0);
	/* signals stay with the UI thread (but a checkpoint cut short under
	 * the job must still raise SIGBUS to fmap's handler, not kill us) */
	sigset_t all, old;
	sigfillset(&all);
	fmap_keep_faults(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&gv->thread, NULL, job_main, gv);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	gv->started = rc == 0;
	if (rc != 0) {
		gv->running = false;
		snprintf(gv->error, sizeof gv->error, "cannot start the guesses' thread");
	}
}

static bool same_input(const struct puzzle *a, const int32_t *input)
{
	return memcmp(a->input, input, (size_t)a->seq_len * sizeof *input) == 0;
}

static void open_view(struct tui *t)
{
	if (t->gv == NULL) {
		t->gv = xcalloc(1, sizeof *t->gv);
		pthread_mutex_init(&t->gv->mu, NULL);
		guess_result_init(&t->gv->res, 1);
		t->gv->K = GUESS_K_DEFAULT;
		t->gv->kind = PERTURB_AUGMENT;
		t->gv->started = false;
	}
	struct guess_view *gv = t->gv;
	/* the table stays for the puzzle it was made for, or a run stepped into,
	 * in the arithmetic on screen */
	bool same = (gv->have || gv->running) && gv->opts.dtype == t->dtype && gv->orig.seq_len == t->puz.seq_len &&
	            (same_input(&gv->orig, t->puz.input) || (gv->stepped && same_input(&t->puz, gv->stepped_input)));
	if (!same)
		job_start(t);
	t->focus = FOCUS_GUESS;
	t->playing = false;
	t->dirty |= DIRTY_ALL | DIRTY_GUESS | DIRTY_LAYOUT | DIRTY_CLEAR;
}

static void close_view(struct tui *t)
{
	t->focus = FOCUS_MAIN;
	t->dirty |= DIRTY_ALL | DIRTY_LAYOUT | DIRTY_CLEAR;
}

/* Loads the selected run into the debugger, in its own frame. */
/* Puzzle p in the debugger, its run started with this noise on the initial
 * state; on failure the guesses view stays, with its noise, and says why. */
static int show_run(struct tui *t, const struct puzzle *p, int32_t pid, double sigma, uint64_t seed)
{
	char why[512];
	double old_sigma = t->noise_sigma;
	uint64_t old_seed = t->noise_seed;
	t->noise_sigma = sigma;
	t->noise_seed = seed;
	t->focus = FOCUS_MAIN;
	if (app_show_puzzle(t, p, pid, why, sizeof why) != 0) {
		t->noise_sigma = old_sigma;
		t->noise_seed = old_seed;
		t->focus = FOCUS_GUESS;
		app_message(t, true, "%s", why);
		return -1;
	}
	return 0;
}

/* o: the puzzle and position the debugger showed before the first Enter,
 * recomputed (the engine is deterministic, so it is the same run). */
static void step_back(struct tui *t)
{
	struct guess_view *gv = t->gv;
	if (!gv->stepped) {
		app_message(t, false, "the original puzzle is on screen (Enter steps into a run)");
		return;
	}
	if (show_run(t, &gv->back, gv->back_pid, gv->back_sigma, gv->back_seed) != 0)
		return;
	gv->stepped = false;
	app_goto(t, gv->back_target);
	app_message(t, false, "back to %s at step %d: G shows the guesses again", gv->back.name, gv->back_target);
	t->dirty |= DIRTY_ALL | DIRTY_LAYOUT | DIRTY_CLEAR;
}

static void step_into(struct tui *t)
{
	struct guess_view *gv = t->gv;
	if (!gv->have || gv->sel < 0 || gv->sel >= gv->res.n) {
		app_message(t, false, "no run to step into yet");
		return;
	}
	const struct guess_one *o = &gv->res.runs[gv->sel];
	struct puzzle *v = xmalloc(sizeof *v);
	char *cause = NULL;
	if (perturb_apply(&o->pt, &gv->orig, v, &cause) != 0) {
		app_message(t, true, "%s", cause ? cause : "cannot make the version");
		free(cause);
		free(v);
		return;
	}
	snprintf(v->name, sizeof v->name, "%.60s [guess %d: %.40s]", gv->orig.name, gv->sel + 1, o->pt.desc);
	if (!gv->stepped) { /* the session to come back to (o) */
		gv->back = t->puz;
		gv->back_pid = t->pid;
		gv->back_target = t->target;
		gv->back_sigma = t->noise_sigma;
		gv->back_seed = t->noise_seed;
	}
	if (show_run(t, v, gv->pid, o->pt.sigma, o->pt.noise_seed) == 0) {
		gv->stepped = true;
		memcpy(gv->stepped_input, v->input, (size_t)v->seq_len * sizeof *v->input);
		app_message(t, false, "run %d (%s) in its own frame: G goes back to the guesses", gv->sel + 1, o->pt.desc);
	}
	t->dirty |= DIRTY_ALL | DIRTY_LAYOUT | DIRTY_CLEAR;
	free(v);
}

static void restart_with(struct tui *t, enum perturb_kind kind, int K)
{
	struct guess_view *gv = t->gv;
	struct puzzle *p = xmalloc(sizeof *p);
	*p = gv->orig; /* guess on the same puzzle, even from a stepped-into run */
	struct puzzle keep = t->puz;
	int32_t keep_pid = t->pid;
	t->puz = *p;
	t->pid = gv->pid;
	gv->kind = kind;
	gv->K = K;
	bool stepped = gv->stepped; /* the run on screen (if any) still belongs to this puzzle */
	job_start(t);
	gv->stepped = stepped;
	t->puz = keep;
	t->pid = keep_pid;
	free(p);
	t->dirty |= DIRTY_GUESS;
}

int guess_request(struct tui *t, enum request r)
{
	if (r == REQ_GUESSES) {
		open_view(t);
		return RES_HANDLED;
	}
	struct guess_view *gv = t->gv;
	if (gv == NULL || t->focus != FOCUS_GUESS)
		return RES_NONE;
	int n = gv->have ? gv->res.n : 0;
	switch (r) {
	case REQ_GUESS_CLOSE: {
		/* leaving cancels a computation still running: on a large model it
		 * would slow every step of the debugger with nothing on screen to
		 * say why (guess_poll joins the thread once it has stopped) */
		pthread_mutex_lock(&gv->mu);
		bool running = gv->running;
		pthread_mutex_unlock(&gv->mu);
		if (running) {
			atomic_store(&gv->cancel, 1);
			app_message(t, false, "guesses cancelled (G starts them again)");
		}
		close_view(t);
		break;
	}
	case REQ_GUESS_MAP:
		gv->map = !gv->map;
		t->dirty |= DIRTY_GUESS;
		return RES_HANDLED;
	case REQ_GUESS_DOWN:
	case REQ_GUESS_UP:
		gv->sel += r == REQ_GUESS_DOWN ? 1 : -1;
		gv->sel = gv->sel >= n ? n - 1 : gv->sel;
		gv->sel = gv->sel < 0 ? 0 : gv->sel;
		t->dirty |= DIRTY_GUESS;
		break;
	case REQ_GUESS_ENTER:
		step_into(t);
		break;
	case REQ_GUESS_ORIGINAL:
		step_back(t);
		break;
	case REQ_GUESS_PERTURB: {
		enum perturb_kind k = gv->kind;
		char why[160];
		do
			k = (enum perturb_kind)((k + 1) % PERTURB_KINDS);
		while (!perturb_applies(k, &gv->orig, true, why, sizeof why));
		restart_with(t, k, gv->K);
		break;
	}
	case REQ_GUESS_MORE:
	case REQ_GUESS_FEWER: {
		int K = r == REQ_GUESS_MORE ? gv->K * 2 : gv->K / 2;
		K = K < 1 ? 1 : K > GUESS_K_MAX ? GUESS_K_MAX : K;
		if (K != gv->K)
			restart_with(t, gv->kind, K);
		break;
	}
	case REQ_HELP:
	case REQ_QUIT:
	case REQ_REDRAW:
	case REQ_EXPORT:
		return RES_NONE;
	default:
		app_message(t, false, "Esc or G goes back to the debugger");
		break;
	}
	return RES_HANDLED;
}

bool guess_poll(struct tui *t)
{
	struct guess_view *gv = t->gv;
	if (gv == NULL)
		return false;
	pthread_mutex_lock(&gv->mu);
	bool news = gv->news, running = gv->running;
	char err[256];
	snprintf(err, sizeof err, "%s", gv->news ? gv->error : "");
	gv->news = false;
	pthread_mutex_unlock(&gv->mu);
	if (!running && gv->started) {
		pthread_join(gv->thread, NULL);
		gv->started = false;
	}
	if (news) {
		t->dirty |= DIRTY_GUESS | DIRTY_STATUS;
		if (err[0] && strcmp(err, "cancelled") != 0)
			app_message(t, true, "guesses: %s", err);
	}
	return running || news;
}

void guess_view_free(struct tui *t)
{
	if (t->gv == NULL)
		return;
	job_stop(t->gv);
	guess_result_free(&t->gv->res);
	guess_traj_free(t->gv);
	pthread_mutex_destroy(&t->gv->mu);
	free(t->gv);
	t->gv = NULL;
}

