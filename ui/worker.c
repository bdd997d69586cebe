/* worker.c - the compute thread (see worker.h). */
#include "ui/worker.h"
#include "model/engine.h"
#include "model/loss.h"
#include "analysis/perturb.h"
#include "analysis/attention.h"
#include "core/fmap.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct wanted {
	uint64_t gen;
	int32_t *tokens, *labels; /* [S]; labels NULL when unknown */
	int S;
	int32_t pid;
	int target;
	double noise_sigma; /* noise on the initial state (a guess run), 0 none */
	uint64_t noise_seed;
	enum hrm_dtype dtype;
	bool until_halt, adaptive;
	int halt_from;
	int probe;
	struct worker_attn_ask attn; /* pos 0: none */
};

struct worker {
	const struct hrm_model *m;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int pipe_fd[2];
	bool quit, busy;
	atomic_int abort_step; /* set by the UI: stop the running step between two blocks */
	struct wanted want;  /* written by the UI */
	struct history hist; /* published positions */
	uint64_t loaded_gen;
	double ms_L, ms_H;
	char error[256];
	struct worker_attn attn; /* the last attention answered */

	/* the thread's own, never touched by the UI */
	struct hrm_engine *e;
	int S, T, d;
	int32_t *labels;          /* prepared for lm_accuracy, NULL when unknown */
	float **ckpt;             /* [M+1] z_H then z_L at each segment start */
	float *save_zH, *save_zL; /* the live state while a past position is replayed */
	float *buf_zH, *buf_zL, *buf_probe, *buf_q;
	struct hist_pos pending;
	bool replaying;
};

static void notify(struct worker *w)
{
	char c = 'w';
	ssize_t r = write(w->pipe_fd[1], &c, 1);
	(void)r; /* a full pipe already says "look" */
}

static void on_event(const struct hrm_event *ev, void *user)
{
	struct worker *w = user;
	struct hist_pos *p = &w->pending;
	if (w->replaying || ev->kind == HRM_EV_RESET)
		return;
	if (ev->kind == HRM_EV_SEGMENT_END) {
		p->seg_end = true;
		p->q_halt = ev->q_halt[0];
		p->q_continue = ev->q_continue[0];
		p->halt_max = ev->halt_max_steps[0];
		p->halt_adaptive = ev->halt_adaptive[0];
		p->seg_rel[0] = ev->seg_dzH[0].rel;
		p->seg_rel[1] = ev->seg_dzL[0].rel;
		p->cells_changed = ev->cells_changed[0];
		p->answer_changed = ev->answer_changed[0];
		return;
	}
	p->kind = ev->kind == HRM_EV_L_STEP ? HIST_L : HIST_H;
	p->segment = ev->segment;
	p->h_cycle = ev->h_cycle;
	p->l_step = ev->l_step;
	p->res[0] = ev->res[0].abs_l2;
	p->res[1] = ev->res[0].rel;
	p->res[2] = ev->res[0].rms;
	p->norm_zH = ev->norm_zH[0];
	p->norm_zL = ev->norm_zL[0];
}

static void pool(const float *z, int T, int d, float *out)
{
	for (int k = 0; k < d; k++)
		out[k] = 0.0f;
	for (int t = 0; t < T; t++)
		for (int k = 0; k < d; k++)
			out[k] += z[(size_t)t * d + k];
	for (int k = 0; k < d; k++)
		out[k] /= (float)T;
}

/* The readouts of the engine's current state into w->pending. */
static void read_state(struct worker *w)
{
	struct hist_pos *p = &w->pending;
	const float *zH = hrm_engine_zH(w->e), *zL = hrm_engine_zL(w->e);
	hrm_engine_heads(w->e, zH, w->buf_zH, w->buf_q);
	hrm_engine_decode_zL(w->e, w->buf_zL);
	/* over the puzzle cells, as `hrmscope pr --pool mean` (not the prefix) */
	size_t lp = (size_t)(w->T - w->S) * w->d;
	pool(zH + lp, w->S, w->d, p->pool_zH);
	pool(zL + lp, w->S, w->d, p->pool_zL);
	p->logits_zH = w->buf_zH;
	p->logits_zL = w->buf_zL;
	p->probe = NULL;
	if (p->kind == HIST_H && w->labels) {
		int count;
		double acc;
		bool exact;
		/* lm_head(z_H): at a segment end, the segment's logits */
		lm_accuracy(w->buf_zH, w->labels, 1, w->S, w->m->cfg.vocab_size, &count, &acc, &exact);
		p->scored = count;
		p->right = (int)(acc * count + 0.5);
		p->exact = exact;
	}
}

static void save_checkpoint(struct worker *w, int segment)
{
	size_t n = (size_t)w->T * w->d;
	if (segment < 0 || segment > w->m->cfg.halt_max_steps)
		return;
	if (w->ckpt[segment] == NULL)
		w->ckpt[segment] = xmalloc(2 * n * sizeof(float));
	memcpy(w->ckpt[segment], hrm_engine_zH(w->e), n * sizeof(float));
	memcpy(w->ckpt[segment] + n, hrm_engine_zL(w->e), n * sizeof(float));
}

static void free_engine(struct worker *w)
{
	if (w->ckpt)
		for (int i = 0; i <= w->m->cfg.halt_max_steps; i++)
			free(w->ckpt[i]);
	free(w->ckpt);
	w->ckpt = NULL;
	hrm_engine_free(w->e);
	w->e = NULL;
	free(w->save_zH);
	free(w->save_zL);
	free(w->buf_zH);
	free(w->buf_zL);
	free(w->buf_probe);
	free(w->buf_q);
	free(w->pending.pool_zH);
	free(w->pending.pool_zL);
	w->save_zH = w->save_zL = w->buf_zH = w->buf_zL = w->buf_probe = w->buf_q = NULL;
	w->pending.pool_zH = w->pending.pool_zL = NULL;
	free(w->labels);
	w->labels = NULL;
}

/* Runs without the lock; `want` is this thread's copy of the request. */
static int load(struct worker *w, const struct wanted *want, char **cause)
{
	const struct hrm_config *c = &w->m->cfg;
	if (w->e == NULL || w->S != want->S || hrm_engine_dtype(w->e) != want->dtype) {
		free_engine(w);
		w->e = hrm_engine_new_dtype(w->m, 1, want->S, want->dtype, cause);
		if (w->e == NULL)
			return -1;
		hrm_engine_add_observer(w->e, on_event, w);
		hrm_engine_set_abort(w->e, &w->abort_step);
		w->S = want->S;
		w->T = hrm_engine_T(w->e);
		w->d = c->hidden_size;
		size_t n = (size_t)w->T * w->d, sv = (size_t)w->S * c->vocab_size;
		w->ckpt = xcalloc((size_t)c->halt_max_steps + 1, sizeof *w->ckpt);
		w->save_zH = xmalloc(n * sizeof(float));
		w->save_zL = xmalloc(n * sizeof(float));
		w->buf_zH = xmalloc(sv * sizeof(float));
		w->buf_zL = xmalloc(sv * sizeof(float));
		w->buf_probe = xmalloc(sv * sizeof(float));
		w->buf_q = xmalloc(2 * sizeof(float));
		w->pending.pool_zH = xmalloc((size_t)w->d * sizeof(float));
		w->pending.pool_zL = xmalloc((size_t)w->d * sizeof(float));
	}
	if (hrm_engine_set_inputs(w->e, want->tokens, &want->pid, cause) != 0)
		return -1;
	free(w->labels);
	w->labels = NULL;
	if (want->labels) {
		w->labels = xmalloc((size_t)w->S * sizeof *w->labels);
		memcpy(w->labels, want->labels, (size_t)w->S * sizeof *w->labels);
		char *ignored = NULL;
		if (labels_prepare(w->labels, (size_t)w->S, 0, c->vocab_size, &ignored) != 0) {
			free(ignored);
			free(w->labels);
			w->labels = NULL;
		}
	}
	hrm_engine_reset(w->e, -1);
	if (want->noise_sigma > 0) {
		struct perturb pt = { .sigma = want->noise_sigma, .noise_seed = want->noise_seed };
		perturb_noise(&pt, hrm_engine_zH(w->e), hrm_engine_zL(w->e), (size_t)w->T * w->d);
	}
	save_checkpoint(w, 0);
	float *keep_zH = w->pending.pool_zH, *keep_zL = w->pending.pool_zL;
	memset(&w->pending, 0, sizeof w->pending);
	w->pending.pool_zH = keep_zH;
	w->pending.pool_zL = keep_zL;
	w->pending.kind = HIST_RESET;
	w->pending.l_step = -1;
	read_state(w);
	return 0;
}

/* One module call; -1 when the UI aborted it (nothing changed). */
static int step(struct worker *w)
{
	float *keep_zH = w->pending.pool_zH, *keep_zL = w->pending.pool_zL;
	memset(&w->pending, 0, sizeof w->pending);
	w->pending.pool_zH = keep_zH;
	w->pending.pool_zL = keep_zL;
	double t0 = monotonic_ms();
	if (hrm_engine_step(w->e, HRM_GRAIN_MODULE) != 0)
		return -1;
	w->pending.ms = monotonic_ms() - t0;
	read_state(w);
	if (w->pending.seg_end)
		save_checkpoint(w, hrm_engine_cursor(w->e).segment);
	return 0;
}

/* fn(w, arg) on the state of a past position: replay from its segment's
 * checkpoint, then put the live state back.  -1 when the UI aborted the
 * replay (fn not called). */
static int replay_then(struct worker *w, int pos, int live_pos, void (*fn)(struct worker *, void *), void *arg)
{
	if (pos == live_pos) {
		fn(w, arg);
		return 0;
	}
	int rc = 0;
	size_t n = (size_t)w->T * w->d;
	int K = w->hist.K, seg = pos / K, rest = pos % K;
	float *zH = hrm_engine_zH(w->e), *zL = hrm_engine_zL(w->e);
	struct hrm_cursor live = hrm_engine_cursor(w->e);
	memcpy(w->save_zH, zH, n * sizeof(float));
	memcpy(w->save_zL, zL, n * sizeof(float));
	memcpy(zH, w->ckpt[seg], n * sizeof(float));
	memcpy(zL, w->ckpt[seg] + n, n * sizeof(float));
	hrm_engine_set_cursor(w->e, (struct hrm_cursor){.segment = seg});
	w->replaying = true;
	for (int i = 0; i < rest && rc == 0; i++)
		rc = hrm_engine_step(w->e, HRM_GRAIN_MODULE);
	w->replaying = false;
	if (rc == 0)
		fn(w, arg);
	memcpy(zH, w->save_zH, n * sizeof(float));
	memcpy(zL, w->save_zL, n * sizeof(float));
	hrm_engine_set_cursor(w->e, live);
	/* the replay took its own segment's start: the live segment's is its checkpoint */
	if (live.segment <= w->m->cfg.halt_max_steps && w->ckpt[live.segment]) {
		memcpy(hrm_engine_seg_start_zH(w->e), w->ckpt[live.segment], n * sizeof(float));
		memcpy(hrm_engine_seg_start_zL(w->e), w->ckpt[live.segment] + n, n * sizeof(float));
	}
	return rc;
}

static void probe_now(struct worker *w, void *arg)
{
	(void)arg;
	hrm_engine_probe(w->e, w->buf_probe);
}

static int probe_at(struct worker *w, int pos, int live_pos)
{
	return replay_then(w, pos, live_pos, probe_now, NULL);
}

/* The attention of a step, from the state before it (position pos - 1). */
struct attn_job {
	struct worker_attn_ask ask;
	enum hrm_module mod;
	struct attn_result r;
	char *cause;
};

static void attn_now(struct worker *w, void *arg)
{
	struct attn_job *j = arg;
	attn_from_engine(w->e, w->m, 0, j->mod, j->ask.layer, j->ask.cell, &j->r, &j->cause);
}

static bool attn_answered(const struct worker *w)
{
	const struct worker_attn *a = &w->attn;
	return a->gen == w->loaded_gen && a->ask.pos == w->want.attn.pos && a->ask.layer == w->want.attn.layer &&
	       a->ask.cell == w->want.attn.cell;
}

static bool halts(const struct hist_pos *p, bool adaptive)
{
	return p->seg_end && (adaptive ? p->halt_adaptive : p->halt_max);
}

static void *thread_main(void *arg)
{
	struct worker *w = arg;
	struct wanted mine = {0};
	pthread_mutex_lock(&w->mu);
	while (!w->quit) {
		struct history *h = &w->hist;
		if (w->want.gen != w->loaded_gen) {
			/* copy the request so the UI may post another meanwhile */
			uint64_t gen = w->want.gen;
			free(mine.tokens);
			free(mine.labels);
			mine = w->want;
			mine.tokens = xmalloc((size_t)mine.S * sizeof(int32_t));
			memcpy(mine.tokens, w->want.tokens, (size_t)mine.S * sizeof(int32_t));
			if (w->want.labels) {
				mine.labels = xmalloc((size_t)mine.S * sizeof(int32_t));
				memcpy(mine.labels, w->want.labels, (size_t)mine.S * sizeof(int32_t));
			}
			w->busy = true;
			pthread_mutex_unlock(&w->mu);
			char *cause = NULL;
			int rc = load(w, &mine, &cause);
			pthread_mutex_lock(&w->mu);
			history_clear(h);
			w->loaded_gen = gen;
			h->gen = gen;
			if (rc == 0) {
				history_init(h, w->S, w->m->cfg.vocab_size, w->d, w->m->cfg.L_cycles,
				             w->m->cfg.H_cycles, w->m->cfg.halt_max_steps);
				h->gen = gen;
				history_append(h, &w->pending);
				w->error[0] = '\0';
			} else {
				snprintf(w->error, sizeof w->error, "%s", cause ? cause : "cannot load the puzzle");
				free(cause);
				free_engine(w);
			}
			w->busy = false;
			notify(w);
			continue;
		}
		bool loaded = w->e != NULL && h->n > 0;
		int last = h->n - 1;
		if (loaded && last < w->want.target && last < history_max_pos(h)) {
			uint64_t gen = w->loaded_gen;
			w->busy = true;
			atomic_store(&w->abort_step, 0);
			pthread_mutex_unlock(&w->mu);
			int rc = step(w);
			pthread_mutex_lock(&w->mu);
			w->busy = false;
			if (rc == 0 && w->want.gen == gen) {
				history_append(h, &w->pending);
				if (w->pending.kind == HIST_L)
					w->ms_L = w->pending.ms;
				else
					w->ms_H = w->pending.ms;
				if (w->want.until_halt && h->n - 1 > w->want.halt_from &&
				    halts(&h->pos[h->n - 1], w->want.adaptive)) {
					w->want.until_halt = false;
					w->want.target = h->n - 1;
				}
			}
			notify(w);
			continue;
		}
		int pp = w->want.probe;
		if (loaded && pp >= 0 && pp <= last && h->pos[pp].probe == NULL) {
			uint64_t gen = w->loaded_gen;
			w->busy = true;
			atomic_store(&w->abort_step, 0);
			pthread_mutex_unlock(&w->mu);
			int rc = probe_at(w, pp, last);
			pthread_mutex_lock(&w->mu);
			w->busy = false;
			if (rc == 0 && w->want.gen == gen && pp < h->n) {
				size_t sv = (size_t)h->S * h->V;
				h->pos[pp].probe = xmalloc(sv * sizeof(float));
				memcpy(h->pos[pp].probe, w->buf_probe, sv * sizeof(float));
			}
			if (w->want.probe == pp)
				w->want.probe = -1;
			notify(w);
			continue;
		}
		struct attn_job aj = { .ask = w->want.attn };
		if (loaded && aj.ask.pos >= 1 && aj.ask.pos <= last && !attn_answered(w)) {
			uint64_t gen = w->loaded_gen;
			aj.mod = h->pos[aj.ask.pos].kind == HIST_H ? HRM_MODULE_H : HRM_MODULE_L;
			w->busy = true;
			atomic_store(&w->abort_step, 0);
			pthread_mutex_unlock(&w->mu);
			int rc = replay_then(w, aj.ask.pos - 1, last, attn_now, &aj);
			pthread_mutex_lock(&w->mu);
			w->busy = false;
			if (rc == 0 && w->want.gen == gen) {
				attn_result_free(&w->attn.r);
				w->attn.gen = gen;
				w->attn.ask = aj.ask;
				w->attn.r = aj.r;
				aj.r.w = NULL;
				snprintf(w->attn.error, sizeof w->attn.error, "%s", aj.cause ? aj.cause : "");
			}
			attn_result_free(&aj.r);
			free(aj.cause);
			notify(w);
			continue;
		}
		if (w->want.until_halt && loaded && last >= history_max_pos(h))
			w->want.until_halt = false;
		pthread_cond_wait(&w->cv, &w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	free(mine.tokens);
	free(mine.labels);
	return NULL;
}

struct worker *worker_new(const struct hrm_model *m, char **cause)
{
	struct worker *w = xcalloc(1, sizeof *w);
	w->m = m;
	w->want.probe = -1;
	if (pipe(w->pipe_fd) != 0) {
		set_cause(cause, "cannot make a pipe: %s", strerror(errno));
		free(w);
		return NULL;
	}
	for (int i = 0; i < 2; i++) {
		fcntl(w->pipe_fd[i], F_SETFL, fcntl(w->pipe_fd[i], F_GETFL) | O_NONBLOCK);
		fcntl(w->pipe_fd[i], F_SETFD, FD_CLOEXEC);
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	/* signals go to the UI thread, which turns them into redraws and exits
	 * (but a checkpoint cut short under this thread must still raise SIGBUS
	 * to fmap's handler here, not kill the process) */
	sigset_t all, old;
	sigfillset(&all);
	fmap_keep_faults(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&w->thread, NULL, thread_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		set_cause(cause, "cannot start the compute thread: %s", strerror(rc));
		close(w->pipe_fd[0]);
		close(w->pipe_fd[1]);
		free(w);
		return NULL;
	}
	return w;
}

void worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = true;
	atomic_store(&w->abort_step, 1);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	free_engine(w);
	attn_result_free(&w->attn.r);
	history_free(&w->hist);
	free(w->want.tokens);
	free(w->want.labels);
	close(w->pipe_fd[0]);
	close(w->pipe_fd[1]);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}

int worker_fd(const struct worker *w)
{
	return w->pipe_fd[0];
}

void worker_drain(struct worker *w)
{
	char buf[64];
	while (read(w->pipe_fd[0], buf, sizeof buf) > 0)
		;
}

void worker_lock(struct worker *w)
{
	pthread_mutex_lock(&w->mu);
}
void worker_unlock(struct worker *w)
{
	pthread_mutex_unlock(&w->mu);
}
const struct history *worker_history(const struct worker *w)
{
	return &w->hist;
}

struct worker_status worker_status(struct worker *w)
{
	struct worker_status s;
	pthread_mutex_lock(&w->mu);
	s.loaded_gen = w->loaded_gen;
	s.busy = w->busy || w->want.gen != w->loaded_gen ||
	         (w->hist.n > 0 && w->hist.n - 1 < w->want.target && w->hist.n - 1 < history_max_pos(&w->hist));
	s.target = w->want.target;
	s.until_halt = w->want.until_halt;
	s.ms_L = w->ms_L;
	s.ms_H = w->ms_H;
	snprintf(s.error, sizeof s.error, "%s", w->error);
	pthread_mutex_unlock(&w->mu);
	return s;
}

uint64_t worker_load(struct worker *w, const int32_t *tokens, int S, int32_t pid, const int32_t *labels)
{
	pthread_mutex_lock(&w->mu);
	free(w->want.tokens);
	free(w->want.labels);
	w->want.tokens = xmalloc((size_t)S * sizeof *tokens);
	memcpy(w->want.tokens, tokens, (size_t)S * sizeof *tokens);
	w->want.labels = NULL;
	if (labels) {
		w->want.labels = xmalloc((size_t)S * sizeof *labels);
		memcpy(w->want.labels, labels, (size_t)S * sizeof *labels);
	}
	w->want.S = S;
	w->want.pid = pid;
	w->want.target = 0;
	w->want.until_halt = false;
	w->want.probe = -1;
	uint64_t gen = ++w->want.gen;
	atomic_store(&w->abort_step, 1); /* the step running is for the old puzzle */
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return gen;
}

void worker_set_noise(struct worker *w, double sigma, uint64_t seed)
{
	pthread_mutex_lock(&w->mu);
	w->want.noise_sigma = sigma;
	w->want.noise_seed = seed;
	pthread_mutex_unlock(&w->mu);
}

void worker_set_dtype(struct worker *w, enum hrm_dtype dt)
{
	pthread_mutex_lock(&w->mu);
	w->want.dtype = dt;
	pthread_mutex_unlock(&w->mu);
}

void worker_compute_to(struct worker *w, int pos)
{
	pthread_mutex_lock(&w->mu);
	w->want.target = pos;
	w->want.until_halt = false;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

int worker_run_until_halt(struct worker *w, int from, bool adaptive)
{
	pthread_mutex_lock(&w->mu);
	int found = -1;
	const struct history *h = &w->hist;
	/* a puzzle still loading (r pressed as the TUI opens, or right after n)
	 * has no history yet, and the one there is the old puzzle's: run to
	 * the end of whatever the new one allows (the stepping stops at its
	 * last position) */
	bool current = w->loaded_gen == w->want.gen && h->gen == w->want.gen && h->n > 0;
	for (int p = from + 1; current && p < h->n && found < 0; p++)
		if (halts(&h->pos[p], adaptive))
			found = p;
	if (found < 0) {
		w->want.target = current ? history_max_pos(h) : INT_MAX;
		w->want.until_halt = true;
		w->want.adaptive = adaptive;
		w->want.halt_from = from;
		pthread_cond_signal(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return found;
}

void worker_cancel(struct worker *w)
{
	pthread_mutex_lock(&w->mu);
	w->want.target = w->hist.n > 0 ? w->hist.n - 1 : 0;
	w->want.until_halt = false;
	atomic_store(&w->abort_step, 1);
	pthread_mutex_unlock(&w->mu);
}

void worker_want_probe(struct worker *w, int pos)
{
	pthread_mutex_lock(&w->mu);
	if (w->want.probe != pos) {
		w->want.probe = pos;
		pthread_cond_signal(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
}

void worker_want_attn(struct worker *w, int pos, int layer, int cell)
{
	pthread_mutex_lock(&w->mu);
	struct worker_attn_ask *a = &w->want.attn;
	if (a->pos != pos || a->layer != layer || a->cell != cell) {
		*a = (struct worker_attn_ask){ pos, layer, cell };
		pthread_cond_signal(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
}

const struct worker_attn *worker_attention(const struct worker *w)
{
	return w->attn.gen == w->loaded_gen && w->attn.ask.pos > 0 ? &w->attn : NULL;
}
