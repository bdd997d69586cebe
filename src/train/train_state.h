/* train_state.h - a run's set-up, tear-down and resumable checkpoint
 * (struct trainer, in trainer.h, is the state they work on):
 * OUT/checkpoint + OUT/all_config.yaml (the official format, holding the
 * evaluation weights: the EMA when enabled) and OUT/train_state (a torch.save
 * file with the raw weights, the optimiser moments, the carried batch, the
 * random state and the counters). */
#ifndef HRM_TRAIN_TRAIN_STATE_H
#define HRM_TRAIN_TRAIN_STATE_H

#include "train/trainer.h"

/* New run, or resume from opts->out when opts->resume. */
int trainer_setup(struct trainer *tr, const struct trainer_opts *o, char **cause);
int train_state_save(struct trainer *tr, char **cause);
/* A train_state of len bytes (name in messages) into a set-up trainer, with
 * every check of --resume (for the fuzz target; trainer_setup reads the
 * file). */
int train_state_load_mem(struct trainer *tr, const void *buf, size_t len, const char *name, char **cause);
void trainer_teardown(struct trainer *tr);

#endif
