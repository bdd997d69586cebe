/* hrm.h - the Hierarchical Reasoning Model (HRM ACT v1): config, weights, engine.
 *
 * The engine never touches the terminal and never exits: fallible functions
 * return 0 on success or -1 with *cause set to a malloc'd one-line message
 * ("FILE: problem") that the caller prints and frees. */
#ifndef HRM_H
#define HRM_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

enum hrm_pos { HRM_POS_ROPE = 0, HRM_POS_LEARNED = 1 };

struct hrm_config {
	/* architecture (arch: section of all_config.yaml) */
	int hidden_size;            /* d */
	int num_heads;              /* h; head_dim = d / h */
	int H_layers, L_layers;
	int H_cycles, L_cycles;
	double expansion;           /* SwiGLU width factor */
	int puzzle_emb_ndim;        /* P, 0 = no puzzle embedding */
	enum hrm_pos pos_encodings;
	int halt_max_steps;         /* M */
	double halt_exploration_prob;
	double rms_norm_eps;        /* 1e-5 */
	double rope_theta;          /* 10000 */
	char loss_type[48];         /* stablemax_cross_entropy | softmax_cross_entropy */

	/* from the data (dataset.json) or the tensors' shapes */
	int vocab_size;             /* V */
	int seq_len;                /* S, puzzle cells */
	int num_puzzle_identifiers; /* rows of puzzle_emb.weights */

	/* the training settings all_config.yaml records (the official trainer's
	 * keys); when train.set is false (a model hrmscope did not train), the
	 * official defaults are written */
	struct hrm_train_record {
		bool set;
		int global_batch_size;
		double lr, lr_min_ratio, beta1, beta2, weight_decay, puzzle_emb_lr, puzzle_emb_weight_decay;
		long lr_warmup_steps;
		unsigned long seed;
	} train;

	/* derived by hrm_config_derive() */
	int head_dim;               /* d / h */
	int inter;                  /* SwiGLU width, multiple of 256 */
	int puzzle_emb_len;         /* Lp = ceil(P / d) */
	int T;                      /* S + Lp positions */
};

/* Fills the derived fields and checks that the config is valid. */
int hrm_config_derive(struct hrm_config *c, char **cause);
/* The official hrm_v1 architecture (vocab/seq_len/ids left 0). */
void hrm_config_default(struct hrm_config *c);

/* Config files (config.c): `all_config.yaml` (with an `arch:` section) or a
 * bare arch file like models/hrm_v1.yaml.  Fields absent from the file keep
 * the values already in *c. */
int hrm_config_load_yaml(const char *path, struct hrm_config *c, char **cause);
/* The same from memory (data need not be NUL-terminated); name is used in messages. */
int hrm_config_load_yaml_mem(const char *data, size_t len, const char *name, struct hrm_config *c, char **cause);
int hrm_config_save_yaml(const char *path, const struct hrm_config *c, char **cause);

struct hrm_block_weights {
	float *qkv;     /* (3d) x d   self_attn.qkv_proj.weight, rows [q heads | k heads | v heads] */
	float *o;       /* d x d      self_attn.o_proj.weight */
	float *gate_up; /* (2 inter) x d  mlp.gate_up_proj.weight, rows [gate | up] */
	float *down;    /* d x inter  mlp.down_proj.weight */
};

struct hrm_weights {
	float *H_init;        /* d */
	float *L_init;        /* d */
	float *embed_tokens;  /* V x d */
	float *embed_pos;     /* T x d (learned positions only, else NULL) */
	float *puzzle_emb;    /* N x P (P > 0 only, else NULL) */
	float *lm_head;       /* V x d */
	float *q_head_w;      /* 2 x d  (row 0 halt, row 1 continue) */
	float *q_head_b;      /* 2 */
	struct hrm_block_weights *H; /* H_layers */
	struct hrm_block_weights *L; /* L_layers */
};

struct hrm_model {
	struct hrm_config cfg;
	struct hrm_weights w;
	float *arena;        /* one allocation holding every tensor */
	size_t arena_floats;
	char name[128];      /* shown in the UI: directory or file name */
	char warning[256];   /* non-fatal load problem (NaN/Inf weights), "" if none */
};

/* One entry per tensor of the state dict, in a stable order (tensors.c). */
struct hrm_tensor_info {
	char name[96];          /* key without the `_orig_mod.model.inner.` prefix */
	int ndim;
	int64_t shape[2];
	float **field;          /* where the model keeps it */
	bool buffer;            /* H_init, L_init, puzzle_emb.weights: not trainable */
	bool bf16;              /* saved as bfloat16 by the official code */
};
/* Returns the number of tensors; fills up to cap entries of out (out may be NULL). */
size_t hrm_tensor_list(struct hrm_model *m, struct hrm_tensor_info *out, size_t cap);

/* model.c */
int hrm_model_alloc(struct hrm_model *m, const struct hrm_config *c, char **cause);
void hrm_model_free(struct hrm_model *m);
/* Official init: truncated normal (JAX style, +-2 std), LeCun std for linear
 * weights, 1/sqrt(d) for embeddings, std 1 for H_init/L_init (rounded to bf16),
 * zero puzzle embeddings, q_head W = 0 and b = -5. */
void hrm_model_init_random(struct hrm_model *m, uint64_t seed);
size_t hrm_model_param_count(const struct hrm_model *m, bool include_buffers);

/* Checkpoints (checkpoint.c): DIR/checkpoint + DIR/all_config.yaml, or a
 * checkpoint file with all_config.yaml beside it. */
int hrm_model_load(struct hrm_model *m, const char *path, char **cause);
int hrm_model_save(const struct hrm_model *m, const char *dir, char **cause);
/* The tensors of a loaded archive checked against cfg (vocab_size,
 * num_puzzle_identifiers and learned seq_len come from their shapes) and
 * copied into a new model; ck and cfgpath name the files in messages. */
struct tz_archive;
int hrm_model_from_archive(struct hrm_model *m, const struct hrm_config *cfg, const struct tz_archive *a,
			   const char *ck, const char *cfgpath, char **cause);

#endif
