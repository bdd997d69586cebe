/* train_state.h - the trainer's state and its resumable checkpoint:
 * OUT/checkpoint + OUT/all_config.yaml (the official format, holding the
 * evaluation weights: the EMA when enabled) and OUT/train_state (a torch.save
 * file with the raw weights, the optimiser moments, the carried batch, the
 * random state and the counters). */
#ifndef HRM_TRAIN_STATE_H
#define HRM_TRAIN_STATE_H

#include "train/optim.h"
#include "train/samples.h"
#include "train/train.h"
#include "train/trainer.h"

#include <stdio.h>

struct trainer {
	struct trainer_opts opts;
	struct hrm_model model;   /* the weights being trained */
	struct hrm_model ema;     /* EMA of them (opts.ema > 0) */
	struct hrm_model grads;
	struct optim opt;
	struct train_ctx *ctx;
	struct train_batch batch;
	bool *run_to_max;         /* [B] */
	struct sample_source src, eval_src;
	uint64_t eval_seed;
	struct hrm_rng rng;
	long step;
	int M;                    /* current halt_max_steps (curriculum) */
	double best_exact;        /* best eval exact accuracy so far, -1 before the first */
	FILE *log, *eval_log;
	FILE *mix_log;            /* with --maze-mix: held-out exact per training size */
	FILE *path_log;           /* with --eval-min-path: the same on long-path mazes */
	int path_sides[9], npath; /* the sizes that --eval-min-path scores */
};

/* New run, or resume from opts->out when opts->resume. */
int trainer_setup(struct trainer *tr, const struct trainer_opts *o, char **cause);
int train_state_save(struct trainer *tr, char **cause);
void trainer_teardown(struct trainer *tr);

#endif
