/* trainer.h - `hrmscope train`: the official HRM training recipe (deep
 * supervision on a carried batch, 1-step or full gradient, ACT Q-learning,
 * AdamATan2/AdamW + sign-SGD, warm-up + cosine) with the levers our trials
 * found necessary on a CPU: a halt_max_steps curriculum raised on measured
 * accuracy, more exploration, a share of rows run to M, EMA weights, the
 * best-eval checkpoint.  Resumable: every checkpoint holds the optimiser,
 * the carried batch and the random state, so a resumed run continues the
 * same curve. */
#ifndef HRM_TRAINER_H
#define HRM_TRAINER_H

#include "train/optim.h"
#include "train/samples.h"
#include "train/train.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* TRM's published runs: ema=True, ema_rate 0.999 (pretrain.py, README) */
#define TRM_PUBLISHED_EMA 0.999

struct trainer_opts {
	const char *arch;           /* arch yaml (new runs) */
	const char *init;           /* or a checkpoint folder whose weights start the run */
	const char *data;           /* dataset folder, or NULL for generated mazes */
	int maze_side, maze_canvas, maze_min_path;
	int maze_mix[8], maze_nmix;  /* training sizes drawn from this list (0: maze_side only) */
	int eval_min_path;           /* > 0: each eval also scores held-out mazes whose path has at
	                                least this many moves, per size (eval_path_log.csv) */
	double maze_loops;
	int sudoku_givens;          /* > 0: fresh generated sudokus with this many givens */
	int sudoku_givens_hi;       /* > sudoku_givens: training draws from the range (eval: the low end) */
	const char *out;            /* output directory */
	long steps;                 /* total optimiser steps */
	long stop_at;               /* > 0: save and stop after this step; the schedule still spans steps */
	int batch;
	double lr, lr_min_ratio;
	long warmup;
	double weight_decay, beta1, beta2;
	enum optim_kind optim;
	double puzzle_emb_lr, puzzle_emb_weight_decay;
	enum train_grad_mode grad;  /* TRAIN_GRAD_ARCH: the architecture's official one */
	enum hrm_dtype dtype;        /* arithmetic of the steps (and the evals) */
	enum hrm_loss_kind loss;
	double clip;                /* 0 = none */
	double ema;                 /* 0 = none, else decay (e.g. 0.999); < 0: as the architecture's
	                               published runs (TRM 0.999, HRM none) */
	double exploration;         /* halt_exploration_prob (overrides the arch's when >= 0) */
	double run_to_max;          /* share of new rows that never halt before M */
	int m_start;                /* curriculum: M at the start (0 = the arch's M throughout) */
	int m_now;                  /* M from now on, over --m-start and a resumed run's M (0 = unset) */
	double m_raise_at;          /* raise M to the arch's when eval exact after segment 1 >= this */
	long eval_every;
	int eval_n;
	long checkpoint_every;
	uint64_t seed;
	int threads;
	bool resume;
	bool quiet;                 /* no progress bar */
	int grad_parts;             /* > 0: the batch's gradient summed in this many parts, in part order
	                               (the same bytes for any number of ranks dividing it); 0: MPI_Allreduce */
};

/* The state of one run: trainer.c steps it; train_state.c sets it up,
 * saves it, resumes it and tears it down. */
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
	/* data parallelism (issue 24, train/dist.h): this process owns rows
	 * [row0, row0 + batch.B) of the global batch of opts.batch rows */
	int rank, nranks, row0;
	int parts;                /* gradient parts computed here (1 without --grad-parts) */
	bool row_streams;         /* one random stream per global row (runs under MPI): row i of the
	                             global batch is drawn the same way for any number of ranks */
	struct hrm_rng *row_rng;  /* [batch.B] with row_streams */
	float *part_grads;        /* [grad_parts][arena] with --grad-parts */
	int32_t *all_ids;         /* [opts.batch] every rank's puzzle ids, for sign-SGD */
	double reduce_s;          /* seconds spent summing gradients across ranks */
	double wait_s;            /* seconds waiting for the slowest rank before that */
	long reduce_steps;
};

/* The random stream of row g of the global batch of a run seeded seed. */
void trainer_row_stream(struct hrm_rng *r, uint64_t seed, int g);

void trainer_opts_default(struct trainer_opts *o);
/* Runs (or resumes) training; returns 0, or -1 with cause.  Stops early and
 * saves on SIGINT/SIGTERM when stop_flag becomes nonzero (under MPI: on any
 * rank; all stop at the same step).  -2: the set-up failed on some rank,
 * and every rank returns -2 (cause set where it failed): nothing was
 * trained, no rank waits on another. */
int trainer_run(const struct trainer_opts *o, volatile int *stop_flag, char **cause);

#endif
