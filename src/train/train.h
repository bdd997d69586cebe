/* train.h - training HRM in C: one deep-supervision step of the official
 * recipe (HRM-SPEC "Training") on a carried batch, its gradients, and the
 * optimisers.
 *
 * Gradients live in a second struct hrm_model of the same config (same
 * tensor table, same arena layout), so every per-tensor loop (optimiser,
 * clipping, EMA, checkpointing) walks the one table. */
#ifndef HRM_TRAIN_H
#define HRM_TRAIN_H

#include "model/hrm.h"
#include "model/loss.h"
#include "core/rng.h"

enum train_grad_mode {
	TRAIN_GRAD_ARCH = -1, /* an option's "the architecture's own" (train_grad_official) */
	TRAIN_GRAD_ONE_STEP,  /* HRM's official: only the last L call and the last H call */
	TRAIN_GRAD_FULL,      /* backpropagate through every call of the segment */
	TRAIN_GRAD_LAST_CYCLE, /* TRM's official: the last H cycle in full (its L_cycles
	                          L calls and its H call), the cycles before without gradient */
};

/* The gradient the official trainer of c's architecture uses: HRM's 1-step
 * gradient, TRM's last cycle. */
enum train_grad_mode train_grad_official(const struct hrm_config *c);
/* "one-step", "full", "last-cycle" */
const char *train_grad_name(enum train_grad_mode g);

/* The carried batch of deep supervision. */
struct train_batch {
	int B, S, T, d;
	int32_t *inputs;       /* [B][S] tokens of the current sample of each row */
	int32_t *labels;       /* [B][S] after labels_prepare (-100 = ignored) */
	int32_t *puzzle_ids;   /* [B] */
	float *zH, *zL;        /* [B][T][d] carry */
	int32_t *steps;        /* [B] segments run on the current sample */
	bool *halted;          /* [B] row finished: replaced before the next step */
};

/* Rows of B samples of S cells with their carry (T = S + the puzzle
 * embedding's positions, d wide), all halted: every row takes a sample at
 * the first step.  -1 (nothing left allocated) when memory runs out. */
int train_batch_alloc(struct train_batch *b, const struct hrm_config *c, int B, int S);
void train_batch_free(struct train_batch *b);

struct train_segment_opts {
	enum train_grad_mode grad;
	enum hrm_loss_kind loss;
	int halt_max_steps;          /* M for this step (a curriculum may lower it) */
	double halt_exploration_prob;
	bool q_learning;             /* compute the ACT losses (false: lm loss only) */
	struct hrm_rng *row_rngs;    /* [B]: row b explores with row_rngs[b]; NULL: every row with rng,
	                                in row order */
};

/* Sums over the rows of one step (divide by count for means), with the
 * official metrics' definitions (models/losses.py): the accuracies count
 * only rows that halted in this step and have labels. */
struct train_metrics {
	double loss;              /* lm_loss + 0.5 (q_halt_loss + q_continue_loss), summed over rows */
	double lm_loss, q_halt_loss, q_continue_loss;
	int count;                /* halted rows with labels */
	double accuracy;          /* sum of token accuracy over those rows */
	int exact_accuracy;       /* of those, exactly right */
	int q_halt_accuracy;      /* of those, (q_halt >= 0) == exact */
	int steps;                /* sum of steps of those rows */
};

struct train_ctx;

struct train_ctx *train_ctx_new(const struct hrm_config *cfg, int B, int S, enum train_grad_mode grad,
				char **cause);
void train_ctx_free(struct train_ctx *t);
/* Trains in dt's arithmetic from now on (fp32 by default).  bf16 is the
 * official trainer's: fp32 master weights, gradients and optimiser state;
 * the forward and backward on bf16-rounded weights and bf16 activations,
 * as autograd runs a model cast to bfloat16 (HRM-SPEC).  -1 with *cause
 * when memory runs out. */
int train_ctx_set_dtype(struct train_ctx *t, enum hrm_dtype dt, char **cause);

/* Rows with halted set must already hold a new sample (the caller replaces
 * data and sets halted); this resets their carry to H_init/L_init and steps
 * to 0, runs one segment (TRM: both updates through the one L_level),
 * computes the loss of HRM-SPEC (TRM with no_ACT_continue: no continue
 * target, no extra segment, q_continue_loss 0), backpropagates and
 * ADDS d(loss)/d(param) * grad_scale into grads (grad_scale is 1/B in the
 * official trainer, which divides the summed loss by the global batch size).
 * Then it updates steps/halted (max steps, the architecture's rule of
 * hrm_halts_adaptive, exploration with rng) and detaches the carry.  Puzzle-embedding gradients go to
 * grads->w.puzzle_emb rows (sign-SGD is the caller's).
 *
 * grads may be NULL (loss, metrics and carry only) and met may be NULL; rng
 * is needed only when exploration can happen (q_learning, M > 1, p > 0).  As
 * in the official code, with M = 1 there is no continue target (every row
 * halts at its first step), so q_continue_loss is 0 while q_halt is still
 * trained.  o->grad must be the mode the context was made for.  Bad
 * arguments (shapes, tokens, labels, puzzle ids) return -1 with *cause set
 * before anything is changed. */
int train_segment(struct train_ctx *t, const struct hrm_model *m, struct hrm_model *grads,
		  struct train_batch *batch, const struct train_segment_opts *o, double grad_scale,
		  struct hrm_rng *rng, struct train_metrics *met, char **cause);

#endif
