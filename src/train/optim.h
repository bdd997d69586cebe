/* optim.h - the optimisers of the official HRM trainer, over the tensor
 * table: AdamATan2 (the official default) or AdamW for the parameters,
 * sign-SGD for the puzzle embeddings, the warm-up + cosine schedule, global
 * gradient clipping and an exponential moving average of the weights. */
#ifndef HRM_OPTIM_H
#define HRM_OPTIM_H

#include "model/hrm.h"

enum optim_kind { OPTIM_ADAM_ATAN2, OPTIM_ADAMW };

struct optim {
	enum optim_kind kind;
	double beta1, beta2, eps, weight_decay;
	long step;              /* optimiser steps taken */
	float *m, *v;           /* first and second moments, laid out like the model arena */
	size_t n;               /* arena floats */
};

int optim_init(struct optim *o, const struct hrm_model *m, enum optim_kind kind, double beta1, double beta2,
	       double weight_decay, char **cause);
void optim_free(struct optim *o);
/* One step over every trainable tensor (not the buffers) with learning rate lr. */
void optim_step(struct optim *o, struct hrm_model *m, const struct hrm_model *grads, double lr);
/* Sign-SGD on the puzzle embedding rows in ids[0..n): p = p (1 - lr wd) - lr sign(g),
 * each distinct row once (the official CastedSparseEmbeddingSignSGD). */
void puzzle_emb_sign_sgd(struct hrm_model *m, const struct hrm_model *grads, const int32_t *ids, int n, double lr,
			 double weight_decay);
/* Global L2 norm of the trainable gradients; scales them to max_norm when above (max_norm > 0). */
double clip_grad_norm(const struct hrm_model *m, struct hrm_model *grads, double max_norm);
/* The official schedule: linear warm-up to base_lr, then cosine down to base_lr * min_ratio. */
double lr_at(long step, double base_lr, long warmup, long total, double min_ratio);
/* ema = decay * ema + (1 - decay) * model for every parameter; the
 * buffers (H_init, L_init, puzzle embeddings) are copied, as the official
 * EMA (TRM's models/ema.py) averages named_parameters only. */
void ema_update(struct hrm_model *ema, const struct hrm_model *m, double decay);

#endif
