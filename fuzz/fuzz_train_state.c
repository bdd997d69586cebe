/* fuzz_train_state.c - what `train --resume` reads: a train_state file
 * (torchzip, the expectation of the sixteen entries the trainer writes, and
 * every value check of train_state.c), into the trainer of the d 4
 * architecture of tests/fixtures/bad/ (M 2) with batch 2 on 5x5 mazes and
 * EMA weights: the seeds are states of such runs (`hrmscope train --arch
 * tests/fixtures/bad/wrong_shape/all_config.yaml --maze-size 5 --batch 2
 * --ema 0.5`).
 *
 * A state that loads must be one the trainer can go on with: the counters
 * in range, every weight, moment and carried state finite, every bool 0 or
 * 1 (the target checks them again, and abort()s on a disagreement). */
#include "fuzz.h"
#include "model/hrm.h"
#include "train/train_state.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define B 2
#define S 25

static void tiny_config(struct hrm_config *c)
{
	hrm_config_default(c);
	c->hidden_size = 4, c->num_heads = 2, c->H_layers = 1, c->L_layers = 1;
	c->H_cycles = c->L_cycles = 1, c->halt_max_steps = 2, c->halt_exploration_prob = 0.1;
	c->expansion = 2, c->puzzle_emb_ndim = 4;
	c->vocab_size = 6, c->seq_len = S, c->num_puzzle_identifiers = 1;
	if (hrm_config_derive(c, NULL) != 0)
		abort();
}

static void check_loaded(const struct trainer *tr)
{
	const struct train_batch *b = &tr->batch;
	if (tr->step < 0 || tr->opt.step < 0 || tr->M < 1 || tr->M > tr->model.cfg.halt_max_steps)
		abort();
	for (size_t i = 0; i < tr->model.arena_floats; i++)
		if (!isfinite(tr->model.arena[i]) || !isfinite(tr->ema.arena[i]) || !isfinite(tr->opt.m[i]) ||
		    !(tr->opt.v[i] >= 0) || !isfinite(tr->opt.v[i]))
			abort();
	for (int r = 0; r < B; r++) {
		uint8_t h, m;
		memcpy(&h, &b->halted[r], 1);
		memcpy(&m, &tr->run_to_max[r], 1);
		if (h > 1 || m > 1 || b->steps[r] < 0 || b->steps[r] > tr->model.cfg.halt_max_steps)
			abort();
	}
	for (size_t i = 0; i < (size_t)B * b->T * b->d; i++)
		if (!isfinite(b->zH[i]) || !isfinite(b->zL[i]))
			abort();
}

FUZZ_TARGET(train_state)
{
	struct trainer *tr = calloc(1, sizeof *tr);
	struct hrm_config c;
	char *cause = NULL;
	if (tr == NULL)
		abort();
	tiny_config(&c);
	tr->opts.ema = 0.5;
	tr->opts.batch = B;
	if (hrm_model_alloc(&tr->model, &c, &cause) != 0 || hrm_model_alloc(&tr->ema, &c, &cause) != 0 ||
	    optim_init(&tr->opt, &tr->model, OPTIM_ADAMW, 0.9, 0.95, 0.1, &cause) != 0 ||
	    train_batch_alloc(&tr->batch, &c, B, S) != 0)
		abort();
	tr->run_to_max = calloc(B, sizeof *tr->run_to_max);
	if (train_state_load_mem(tr, data, size, "train_state", &cause) == 0)
		check_loaded(tr);
	else if (cause == NULL || strchr(cause, '\n') != NULL) {
		fprintf(stderr, "failure without a one-line message: %s\n", cause ? cause : "(none)");
		abort();
	}
	free(cause);
	free(tr->run_to_max);
	train_batch_free(&tr->batch);
	optim_free(&tr->opt);
	hrm_model_free(&tr->ema);
	hrm_model_free(&tr->model);
	free(tr);
	return 0;
}
