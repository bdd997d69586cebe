/* trainer.c - the training loop of `hrmscope train`. */
#include "train/trainer.h"
#include "io/checkpoint.h"
#include "model/engine.h"
#include "train/evaluate.h"
#include "train/samples.h"
#include "io/torchzip.h"
#include "train/train_state.h"
#include "train/dist.h"
#include "train/trainer_dist.h"
#include "core/util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void trainer_opts_default(struct trainer_opts *o)
{
	memset(o, 0, sizeof *o);
	o->maze_side = 11;
	o->maze_min_path = 1;
	o->steps = 10000;
	o->batch = 32;
	o->lr = 1e-3;
	o->lr_min_ratio = 0.0;
	o->warmup = 200;
	o->weight_decay = 0.1;
	o->beta1 = 0.9;
	o->beta2 = 0.95;
	o->optim = OPTIM_ADAM_ATAN2;
	o->puzzle_emb_lr = 1e-2;
	o->puzzle_emb_weight_decay = 0.1;
	o->grad = TRAIN_GRAD_ARCH;
	o->ema = -1;
	o->loss = HRM_LOSS_STABLEMAX;
	o->clip = 1.0;
	o->exploration = -1;
	o->m_raise_at = 0.6;
	o->eval_every = 500;
	o->eval_n = 256;
	o->checkpoint_every = 500;
	o->threads = 2;
}

/* Fill the rows that halted with new samples: from the run's one stream in
 * row order, or (under MPI) each row from its own, so that a row's samples
 * do not depend on how many ranks share the batch. */
static int refill(struct trainer *tr, char **cause)
{
	struct train_batch *b = &tr->batch;
	for (int r = 0; r < b->B; r++) {
		if (!b->halted[r])
			continue;
		struct hrm_rng *rng = tr->row_streams ? &tr->row_rng[r] : &tr->rng;
		int32_t *in = b->inputs + (size_t)r * b->S, *lab = b->labels + (size_t)r * b->S;
		if (samples_next(&tr->src, rng, in, lab, &b->puzzle_ids[r], cause) != 0)
			return -1;
		if (labels_prepare(lab, (size_t)b->S, tr->src.ignore_label_id, tr->model.cfg.vocab_size, cause) != 0)
			return -1;
		tr->run_to_max[r] = tr->opts.run_to_max > 0 && hrm_rng_uniform(rng) < tr->opts.run_to_max;
	}
	return 0;
}

/* Held-out side x side mazes with paths of min_path moves or more, walled into
 * the training canvas, scored over all the arch's segments. */
static int eval_walled(struct trainer *tr, const struct hrm_model *m, int side, int min_path, uint64_t seed,
		       struct hrm_metrics *q, char **cause)
{
	struct sample_source s;
	if (samples_open_maze(&s, side, tr->src.canvas, min_path, tr->opts.maze_loops, cause) != 0)
		return -1;
	int rc = trainer_dist_eval(tr, m, &s, seed, tr->opts.eval_n, tr->model.cfg.halt_max_steps, q, cause);
	samples_close(&s);
	return rc;
}

/* A log's rows so far written (a full disk stops the run, with the last
 * checkpoint kept, instead of training on without a log). */
static int log_check(const struct trainer *tr, FILE *f, const char *name, char **cause)
{
	if (f == NULL)
		return 0; /* ranks other than 0 write no logs */
	char *path = path_join(tr->opts.out, name);
	int rc = stream_check(f, path, cause);
	free(path);
	return rc;
}

static int run_eval(struct trainer *tr, char **cause)
{
	struct hrm_model *m = tr->opts.ema > 0 ? &tr->ema : &tr->model;
	struct hrm_metrics r;
	/* the evals run in the training arithmetic, on this step's weights */
	if (tr->opts.dtype == HRM_DTYPE_BF16 && hrm_model_prepare_bf16(m, cause) != 0)
		return -1;
	int Mfull = tr->model.cfg.halt_max_steps;
	/* always evaluate all the arch's segments: that is what the official eval does */
	if (trainer_dist_eval(tr, m, &tr->eval_src, tr->eval_seed, tr->opts.eval_n, Mfull, &r, cause) != 0)
		return -1;
	bool root = tr->rank == 0;
	double n = (double)r.valid, exact = (double)r.exact[HRM_HALT_MAX] / n, first = (double)r.exact_at[0] / n;
	double token = r.acc[HRM_HALT_MAX], adaptive = (double)r.exact[HRM_HALT_ADAPTIVE];
	double steps = r.steps[HRM_HALT_ADAPTIVE];
	if (root) {
		fprintf(tr->eval_log, "%ld,%d,%ld,%.6f,%.6f,%.6f,%.6f,%.4f", tr->step, tr->M, r.valid, exact, token / n,
			(double)r.q_halt[HRM_HALT_MAX] / n, adaptive / n, steps / n);
		for (int s = 0; s < Mfull; s++)
			fprintf(tr->eval_log, ",%.6f", (double)r.exact_at[s] / n);
		fprintf(tr->eval_log, "\n");
	}
	if (log_check(tr, tr->eval_log, "eval_log.csv", cause) != 0)
		return -1;
	if (!tr->opts.quiet && root)
		fprintf(stderr, "%seval step %ld: exact %.1f%% after %d segments (%.1f%% after 1), token %.2f%%, "
				"adaptive %.1f%% in %.2f segments\n",
			isatty(2) ? "\r\033[K" : "", tr->step, 100 * exact, Mfull, 100 * first, 100 * token / n,
			100.0 * adaptive / n, steps / n);
	/* with a size mix: the smaller sizes too, walled in as in training; the
	 * curriculum then looks at the mean first-segment accuracy over sizes */
	double trigger = first;
	int sizes = 1, sides[SAMPLES_MAX_MIX], nsides = samples_mix_sides(&tr->src, sides);
	for (int i = 0; tr->src.nmix > 0 && i < nsides; i++) {
		int side = sides[i];
		if (side == tr->src.side)
			continue;
		struct hrm_metrics q;
		if (eval_walled(tr, m, side, tr->opts.maze_min_path, tr->eval_seed + (uint64_t)side, &q, cause) != 0)
			return -1;
		double qn = (double)q.valid, qexact = (double)q.exact[HRM_HALT_MAX], qfirst = (double)q.exact_at[0];
		if (root)
			fprintf(tr->mix_log, "%ld,%d,%d,%d,%ld,%.6f,%.6f,%.6f,%.6f\n", tr->step, tr->M, side, tr->src.canvas,
			q.valid, qexact / qn, qfirst / qn, (double)q.exact[HRM_HALT_ADAPTIVE] / qn, q.acc[HRM_HALT_MAX] / qn);
		if (log_check(tr, tr->mix_log, "eval_mix_log.csv", cause) != 0)
			return -1;
		trigger += qfirst / qn;
		sizes++;
		if (!tr->opts.quiet && root)
			fprintf(stderr, "eval step %ld, %dx%d mazes in the canvas: exact %.1f%% after %d segments "
					"(%.1f%% after 1)\n", tr->step, side, side, 100.0 * qexact / qn, Mfull,
				100.0 * qfirst / qn);
	}
	/* --eval-min-path: the same on mazes whose paths are long (another stream) */
	for (int i = 0; i < tr->npath; i++) {
		int side = tr->path_sides[i], L = tr->opts.eval_min_path;
		struct hrm_metrics q;
		if (eval_walled(tr, m, side, L, tr->eval_seed + 0x9a7bULL + (uint64_t)side, &q, cause) != 0)
			return -1;
		double qn = (double)q.valid, qexact = (double)q.exact[HRM_HALT_MAX], qfirst = (double)q.exact_at[0];
		if (root)
			fprintf(tr->path_log, "%ld,%d,%d,%d,%d,%ld,%.6f,%.6f,%.6f,%.6f\n", tr->step, tr->M, side, tr->src.canvas,
			L, q.valid, qexact / qn, qfirst / qn, (double)q.exact[HRM_HALT_ADAPTIVE] / qn,
			q.acc[HRM_HALT_MAX] / qn);
		if (log_check(tr, tr->path_log, "eval_path_log.csv", cause) != 0)
			return -1;
		if (!tr->opts.quiet && root)
			fprintf(stderr, "eval step %ld, %dx%d mazes with paths of %d+ moves: exact %.1f%% after %d segments "
					"(%.1f%% after 1)\n", tr->step, side, side, L, 100.0 * qexact / qn, Mfull,
				100.0 * qfirst / qn);
	}
	/* curriculum: raise M once the first segment solves enough on its own */
	trigger /= sizes;
	if (tr->M < Mfull && trigger >= tr->opts.m_raise_at) {
		tr->M = Mfull;
		if (root)
			fprintf(stderr, "curriculum: halt_max_steps raised to %d at step %ld\n", Mfull, tr->step);
	}
	if (exact > tr->best_exact || tr->best_exact < 0) {
		tr->best_exact = exact;
		char *dir = path_join(tr->opts.out, "best");
		int rc = root ? hrm_model_save(m, dir, cause) : 0;
		free(dir);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static void progress(struct trainer *tr, const struct train_metrics *met, double sps)
{
	if (tr->opts.quiet || !isatty(2) || tr->rank != 0)
		return;
	double eta = sps > 0 ? (double)(tr->opts.steps - tr->step) * tr->opts.batch / sps : 0;
	fprintf(stderr, "\r\033[Kstep %ld/%ld  loss %.4f  lm %.4f  exact %.1f%%  M %d  %.0f samples/s  ETA %02d:%02d:%02d",
		tr->step, tr->opts.steps, met->loss / tr->opts.batch, met->lm_loss / tr->opts.batch,
		met->count ? 100.0 * met->exact_accuracy / met->count : 0.0, tr->M, sps, (int)(eta / 3600),
		(int)fmod(eta / 60, 60), (int)fmod(eta, 60));
}

int trainer_run(const struct trainer_opts *o, volatile int *stop_flag, char **cause)
{
	struct trainer tr;
	int rc = trainer_setup(&tr, o, cause);
	/* the ranks go on together or not at all: a rank that failed says why */
	int N = dist_size(), last_up = dist_max_int(rc != 0 ? N - 1 - dist_rank() : -1);
	if (last_up >= 0) {
		/* the lowest rank that failed says why (all ranks usually fail alike) */
		if (rc != 0 && dist_rank() != N - 1 - last_up) {
			free(*cause);
			*cause = NULL;
		}
		trainer_teardown(&tr);
		return -2;
	}
	/* from here on the run's options, with the architecture's defaults
	 * (gradient, EMA) filled in */
	o = &tr.opts;
	int B = o->batch;
	bool root = tr.rank == 0, stop = false;
	struct train_segment_opts so = {
		.grad = o->grad, .loss = o->loss, .q_learning = true,
		.halt_exploration_prob = o->exploration >= 0 ? o->exploration : tr.model.cfg.halt_exploration_prob,
	};
	double t_last = monotonic_s(), sps = 0;
	long steps_since = 0;
	long last = o->stop_at > 0 && o->stop_at < o->steps ? o->stop_at : o->steps;
	double t_loop = monotonic_s();
	long step0 = tr.step;
	/* one process stops between steps; ranks stop together, at the end of
	 * the step in which any of them was asked to */
	while (tr.step < last && !stop && !(tr.nranks == 1 && *stop_flag)) {
		struct train_metrics met = { 0 };
		if (refill(&tr, cause) != 0) {
			rc = -1;
			break;
		}
		so.halt_max_steps = tr.M;
		if (trainer_dist_grads(&tr, &so, &met, stop_flag, &stop, cause) != 0) {
			rc = -1;
			break;
		}
		/* rows drawn to run to M do not halt early (trains the late segments) */
		for (int r = 0; r < tr.batch.B; r++)
			if (tr.run_to_max[r] && tr.batch.steps[r] < tr.M)
				tr.batch.halted[r] = false;
		double gnorm = clip_grad_norm(&tr.model, &tr.grads, o->clip);
		double lr = lr_at(tr.step, o->lr, o->warmup, o->steps, o->lr_min_ratio);
		double plr = lr_at(tr.step, o->puzzle_emb_lr, o->warmup, o->steps, o->lr_min_ratio);
		optim_step(&tr.opt, &tr.model, &tr.grads, lr);
		if (tr.model.cfg.puzzle_emb_ndim > 0)
			puzzle_emb_sign_sgd(&tr.model, &tr.grads, trainer_dist_ids(&tr), B, plr, o->puzzle_emb_weight_decay);
		if (o->ema > 0)
			ema_update(&tr.ema, &tr.model, o->ema);
		tr.step++;
		steps_since++;
		double t = monotonic_s();
		if (t - t_last >= 1.0) {
			sps = (double)steps_since * B / (t - t_last);
			t_last = t;
			steps_since = 0;
		}
		if (!isfinite(met.loss)) {
			rc = set_cause(cause, "training diverged at step %ld (loss %g); the last checkpoint is kept",
				       tr.step, met.loss);
			break;
		}
		if (root)
			fprintf(tr.log, "%ld,%.6g,%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.4f,%d,%.5g,%.1f\n", tr.step, lr, tr.M,
			met.loss / B, met.lm_loss / B, met.q_halt_loss / B, met.q_continue_loss / B,
			met.count ? met.accuracy / met.count : 0.0, met.count ? (double)met.exact_accuracy / met.count : 0.0,
			met.count ? (double)met.q_halt_accuracy / met.count : 0.0,
			met.count ? (double)met.steps / met.count : 0.0, met.count, gnorm, sps);
		progress(&tr, &met, sps);
		if (o->eval_every > 0 && tr.step % o->eval_every == 0 && run_eval(&tr, cause) != 0) {
			rc = -1;
			break;
		}
		if ((o->checkpoint_every > 0 && tr.step % o->checkpoint_every == 0) || tr.step == last) {
			if (train_state_save(&tr, cause) != 0) { /* which first checks and syncs every log */
				rc = -1;
				break;
			}
		}
	}
	t_loop = monotonic_s() - t_loop;
	if (tr.nranks == 1)
		stop = stop || *stop_flag;
	if (rc == 0 && root && dist_active() && tr.step > step0) {
		/* what the scaling arithmetic needs (docs/scaling.md, make bench) */
		long k = tr.step - step0;
		size_t bytes = tr.grads.arena_floats * sizeof(float) * (size_t)(o->grad_parts > 0 ? tr.parts : 1);
		fprintf(stderr, "train: %d ranks x %d threads, %ld steps in %.3f s (%.4f steps/s, with logs, evals and "
				"checkpoints); waiting for the slowest rank %.3f ms per step; gradient sum across ranks %.3f ms per "
				"step, %zu bytes per rank per step (%s)\n",
			tr.nranks, o->threads, k, t_loop, (double)k / t_loop, 1e3 * tr.wait_s / (double)tr.reduce_steps,
			1e3 * tr.reduce_s / (double)tr.reduce_steps, bytes, o->grad_parts > 0 ? "MPI_Allgather, summed in part order" : "MPI_Allreduce");
	}
	if (rc == 0 && stop) {
		if (root)
			fprintf(stderr, "%sinterrupted at step %ld: saving\n", isatty(2) ? "\r\033[K" : "", tr.step);
		rc = train_state_save(&tr, cause);
	}
	if (!o->quiet && isatty(2) && root)
		fprintf(stderr, "\n");
	if (rc == 0 && !stop && last < o->steps && root)
		fprintf(stderr, "stopped at step %ld of %ld (--stop-at): saved; --resume goes on\n", tr.step, o->steps);
	trainer_teardown(&tr);
	return rc;
}
