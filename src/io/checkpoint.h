/* checkpoint.h - official HRM checkpoints: DIR/checkpoint (torch.save state
 * dict) + DIR/all_config.yaml, to and from struct hrm_model (checkpoint.c).
 * Functions return 0, or -1 with *cause set to a malloc'd one-line message
 * naming the file and the problem. */
#ifndef HRM_IO_CHECKPOINT_H
#define HRM_IO_CHECKPOINT_H

#include "model/hrm.h"

/* DIR/checkpoint + DIR/all_config.yaml, or a
 * checkpoint file with all_config.yaml beside it. */
int hrm_model_load(struct hrm_model *m, const char *path, char **cause);
int hrm_model_save(const struct hrm_model *m, const char *dir, char **cause);
/* The tensors of a loaded archive checked against cfg (vocab_size,
 * num_puzzle_identifiers and learned seq_len come from their shapes) and
 * copied into a new model; ck and cfgpath name the files in messages. */
struct tz_archive;
int hrm_model_from_archive(struct hrm_model *m, const struct hrm_config *cfg, const struct tz_archive *a,
			   const char *ck, const char *cfgpath, char **cause);

/* The same check from memory: len bytes of a checkpoint file (name in
 * messages) read against the architecture of cfg (all_config.yaml's, named
 * cfgpath): nothing is allocated for a tensor the architecture does not
 * have or one larger than it allows. */
int hrm_model_load_mem(struct hrm_model *m, const struct hrm_config *cfg, const void *buf, size_t len,
		       const char *name, const char *cfgpath, char **cause);

#endif
