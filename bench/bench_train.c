/* bench_train.c - the training half of `make bench` (issue 4): optimiser
 * steps per second of hrmscope's trainer on a fixed dataset.
 *
 *   bench_train --model DIR --data DIR [--batch 32] [--grad one_step|full|last_cycle]
 *               [--dtype fp32|bf16] [--threads N] [--steps K] [--reps R]
 *               [--warmup W] [--label L]
 *
 * One step is what `hrmscope train` does per step (trainer.c): refill the
 * halted rows, zero the gradients, train_segment (one segment of deep
 * supervision with ACT Q-learning, its extra no-grad segment for the
 * continue target, the loss and the backward), global clipping to norm 1,
 * AdamW (lr 1e-3, betas 0.9/0.95, weight decay 0.1) and sign-SGD on the
 * puzzle embeddings (a TRM with no_ACT_continue: no continue target, so no
 * extra segment; --grad last_cycle is TRM's official gradient, the last H
 * cycle in full); --dtype bf16 trains in the official trainer's bf16
 * arithmetic (train_ctx_set_dtype: fp32 master weights, bf16 forward and
 * backward).  The JSON line also carries HRMSCOPE_GEMM as it was set (the
 * matrix-product path the library was told to take, if it reads it).
 * Halted rows take the dataset's examples in order (as
 * tools/bench_torch.py does); exploration is off so both sides halt alike.
 * After W warm-up steps, R repetitions of K steps; prints the median
 * steps/s as one JSON line. */
#include "bench_common.h"
#include "model/engine.h"
#include "model/hrm.h"
#include "io/checkpoint.h"
#include "model/loss.h"
#include "train/optim.h"
#include "train/samples.h"
#include "train/train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bench_trainer {
	struct hrm_model m, g;
	struct optim opt;
	struct train_ctx *ctx;
	struct train_batch b;
	struct sample_source src;
	struct train_segment_opts so;
	struct hrm_rng rng;
	int64_t next;  /* next example of the dataset */
};

/* the --grad spelling of a mode, as the JSON line names it */
static const char *grad_key(enum train_grad_mode g)
{
	return g == TRAIN_GRAD_FULL ? "full" : g == TRAIN_GRAD_LAST_CYCLE ? "last_cycle" : "one_step";
}

static int fail(char *cause)
{
	fprintf(stderr, "bench_train: %s\n", cause ? cause : "failed");
	free(cause);
	return 1;
}

static int refill(struct bench_trainer *t, char **cause)
{
	struct train_batch *b = &t->b;
	int64_t n = samples_count(&t->src);
	for (int r = 0; r < b->B; r++) {
		if (!b->halted[r])
			continue;
		int32_t *in = b->inputs + (size_t)r * b->S, *lab = b->labels + (size_t)r * b->S;
		if (samples_get(&t->src, 0, t->next % n, in, lab, &b->puzzle_ids[r], cause) != 0)
			return -1;
		t->next++;
		if (labels_prepare(lab, (size_t)b->S, t->src.ignore_label_id, t->m.cfg.vocab_size, cause) != 0)
			return -1;
	}
	return 0;
}

static int one_step(struct bench_trainer *t, double *loss, char **cause)
{
	int B = t->b.B;
	struct train_metrics met;
	memset(&met, 0, sizeof met);
	if (refill(t, cause) != 0)
		return -1;
	memset(t->g.arena, 0, t->g.arena_floats * sizeof(float));
	if (train_segment(t->ctx, &t->m, &t->g, &t->b, &t->so, 1.0 / B, &t->rng, &met, cause) != 0)
		return -1;
	clip_grad_norm(&t->m, &t->g, 1.0);
	optim_step(&t->opt, &t->m, &t->g, 1e-3);
	puzzle_emb_sign_sgd(&t->m, &t->g, t->b.puzzle_ids, B, 1e-2, 0.1);
	*loss = met.loss / B;
	return 0;
}

static int setup(struct bench_trainer *t, const char *model, const char *data, int B, enum train_grad_mode grad,
		 enum hrm_dtype dt, char **cause)
{
	if (samples_open_dataset(&t->src, data, "train", cause) != 0)
		return -1;
	if (hrm_model_load(&t->m, model, cause) != 0 || hrm_model_own(&t->m, cause) != 0)
		return -1;
	struct hrm_config *c = &t->m.cfg;
	if (c->seq_len == 0)
		c->seq_len = t->src.seq_len;
	if (c->vocab_size != t->src.vocab_size) {
		fprintf(stderr, "bench_train: the model's vocabulary %d is not the data's %d\n", c->vocab_size,
			t->src.vocab_size);
		return -1;
	}
	if (hrm_model_alloc(&t->g, c, cause) != 0)
		return -1;
	if (optim_init(&t->opt, &t->m, OPTIM_ADAMW, 0.9, 0.95, 0.1, cause) != 0)
		return -1;
	int S = t->src.seq_len;
	t->ctx = train_ctx_new(c, B, S, grad, cause);
	if (t->ctx == NULL || train_ctx_set_dtype(t->ctx, dt, cause) != 0)
		return -1;
	if (train_batch_alloc(&t->b, c, B, S) != 0) {
		fprintf(stderr, "bench_train: out of memory\n");
		return -1;
	}
	enum hrm_loss_kind lk;
	if (hrm_loss_kind_from_name(c->loss_type, &lk, cause) != 0)
		return -1;
	t->so = (struct train_segment_opts){
		.grad = grad, .loss = lk, .halt_max_steps = c->halt_max_steps,
		.halt_exploration_prob = 0.0, .q_learning = true,
	};
	hrm_rng_seed(&t->rng, 1);
	return 0;
}

int main(int argc, char **argv)
{
	const char *model = bench_opt(argc, argv, "--model"), *data = bench_opt(argc, argv, "--data");
	const char *gname = bench_opt(argc, argv, "--grad"), *label = bench_opt(argc, argv, "--label");
	const char *dname = bench_opt(argc, argv, "--dtype");
	int B = (int)bench_opt_long(argc, argv, "--batch", 32);
	int threads = (int)bench_opt_long(argc, argv, "--threads", 1);
	int steps = (int)bench_opt_long(argc, argv, "--steps", 10);
	int reps = (int)bench_opt_long(argc, argv, "--reps", 5);
	int warmup = (int)bench_opt_long(argc, argv, "--warmup", 2);
	if (model == NULL || data == NULL || B < 1 || steps < 1 || reps < 1 || reps > 1000) {
		fprintf(stderr, "usage: bench_train --model DIR --data DIR [--batch B] [--grad one_step|full|last_cycle] "
				"[--dtype fp32|bf16] [--threads N] [--steps K] [--reps R] [--warmup W] [--label L]\n");
		return 2;
	}
	enum hrm_dtype dt = HRM_DTYPE_FP32;
	if (dname != NULL && hrm_dtype_parse(dname, &dt) != 0) {
		fprintf(stderr, "bench_train: --dtype fp32|bf16\n");
		return 2;
	}
	enum train_grad_mode grad = TRAIN_GRAD_ONE_STEP;
	if (gname && strcmp(gname, "full") == 0)
		grad = TRAIN_GRAD_FULL;
	else if (gname && strcmp(gname, "last_cycle") == 0)
		grad = TRAIN_GRAD_LAST_CYCLE;
	else if (gname && strcmp(gname, "one_step") != 0) {
		fprintf(stderr, "bench_train: --grad one_step|full|last_cycle\n");
		return 2;
	}
	hrm_set_threads(threads);
	static struct bench_trainer t;
	char *cause = NULL;
	if (setup(&t, model, data, B, grad, dt, &cause) != 0)
		return fail(cause);
	double loss = 0, first_loss = 0;
	for (int i = 0; i < warmup; i++) {
		if (one_step(&t, &loss, &cause) != 0)
			return fail(cause);
		if (i == 0)
			first_loss = loss;
	}
	double rate[1000];
	for (int r = 0; r < reps; r++) {
		double t0 = bench_now();
		for (int i = 0; i < steps; i++)
			if (one_step(&t, &loss, &cause) != 0)
				return fail(cause);
		rate[r] = steps / (bench_now() - t0);
	}
	const char *gemm_env = getenv("HRMSCOPE_GEMM");
	if (gemm_env == NULL || strpbrk(gemm_env, "\"\\") != NULL) /* keep the JSON line valid */
		gemm_env = "";
	double mn = rate[0], mx = rate[0];
	for (int r = 1; r < reps; r++) {
		mn = rate[r] < mn ? rate[r] : mn;
		mx = rate[r] > mx ? rate[r] : mx;
	}
	printf("{\"kind\":\"train\",\"impl\":\"hrmscope\",\"label\":\"%s\",\"B\":%d,\"S\":%d,\"d\":%d,\"grad\":\"%s\","
	       "\"arch\":\"%s\",\"dtype\":\"%s\",\"gemm_env\":\"%s\",\"threads\":%d,\"steps_per_rep\":%d,\"reps\":%d,\"steps_per_s\":%.6g,\"min_steps_per_s\":%.6g,"
	       "\"max_steps_per_s\":%.6g,\"first_loss\":%.9g,\"last_loss\":%.9g,\"maxrss_kb\":%ld}\n",
	       label ? label : "model", B, t.b.S, t.m.cfg.hidden_size, grad_key(grad),
	       hrm_arch_desc(&t.m.cfg)->name, hrm_dtype_name(dt), gemm_env, threads, steps, reps, bench_median(rate, reps), mn, mx, first_loss, loss, bench_self_maxrss_kb());
	return 0;
}
