/* hrm.h - the Hierarchical Reasoning Model (HRM ACT v1): its weights, the
 * tensor table and the model's memory (hrm_config.h has the config; engine.h
 * runs it; io/checkpoint.h reads and writes it).
 *
 * The engine never touches the terminal and never exits: fallible functions
 * return 0 on success or -1 with *cause set to a malloc'd one-line message
 * ("FILE: problem") that the caller prints and frees. */
#ifndef HRM_H
#define HRM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/arch.h"
#include "model/hrm_config.h"

/* One post-norm block.  Its first sub-layer is attention, or with TRM's
 * mlp_t a SwiGLU over the T positions (the other pair is NULL). */
struct hrm_block_weights {
	float *qkv;     /* (3d) x d   self_attn.qkv_proj.weight, rows [q heads | k heads | v heads] */
	float *o;       /* d x d      self_attn.o_proj.weight */
	float *t_gate_up; /* (2 inter_t) x T  mlp_t.gate_up_proj.weight, rows [gate | up] */
	float *t_down;    /* T x inter_t      mlp_t.down_proj.weight */
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
	struct hrm_block_weights *H; /* H_layers (HRM; NULL for TRM, which has no H_level) */
	struct hrm_block_weights *L; /* L_layers */
};

/* The arithmetic a model runs in.  fp32: every op in float32.  bf16: the
 * official forward (forward_dtype: bfloat16, HRM-SPEC "The official
 * arithmetic is bfloat16"): the weights of every linear layer and the
 * embeddings rounded to bfloat16, the states and every activation rounded
 * (round to nearest even) where the official code rounds, fp32 inside
 * reductions.  Values are kept in float32 storage either way; in bf16 mode
 * they are bf16 values (low 16 bits zero). */
enum hrm_dtype { HRM_DTYPE_FP32, HRM_DTYPE_BF16 };
/* "fp32" / "bf16" */
const char *hrm_dtype_name(enum hrm_dtype dt);
/* "fp32", "float32", "bf16", "bfloat16" -> 0; else -1 */
int hrm_dtype_parse(const char *s, enum hrm_dtype *out);

struct bf16_mat;
struct hrm_bf16_block { struct bf16_mat *qkv, *o, *gate_up, *down, *t_gate_up, *t_down; };
/* The linear layers' weights rounded to bfloat16 for the bf16 forward
 * (hrm_model_prepare_bf16).  The embeddings, the q head and the initial
 * states are rounded where they are read: an ARC puzzle-embedding table
 * would be gigabytes to copy. */
struct hrm_bf16_weights {
	struct hrm_bf16_block *H, *L; /* H_layers (HRM only), L_layers */
	struct bf16_mat *lm_head;
};

struct fmap;
struct hrm_model {
	struct hrm_config cfg;
	struct hrm_bf16_weights *bf16; /* NULL until hrm_model_prepare_bf16 */
	struct hrm_weights w;
	float *arena;        /* one allocation holding every tensor (but a mapped puzzle table) */
	size_t arena_floats;
	/* A checkpoint's puzzle-embedding table left in the mapped file
	 * (hrm_model_load): w.puzzle_emb points into map (read-only, rows read
	 * as puzzles need them), outside the arena; its CRC is compared when it
	 * is read in full (hrm_model_own).  NULL: every tensor is in the arena. */
	struct fmap *map;
	uint32_t puzzle_crc;
	bool puzzle_crc_pending;
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
/* The same with the puzzle-embedding table at puzzle (N x P floats that the
 * caller keeps alive: a mapped checkpoint), not in the arena. */
int hrm_model_alloc_ext(struct hrm_model *m, const struct hrm_config *c, float *puzzle, char **cause);
/* Brings a mapped puzzle table into the model's own memory (the arena then
 * holds every tensor, as the trainer needs: it writes rows and saves the
 * arena), reading it in full and comparing its CRC.  No-op when nothing is
 * mapped; -1 with *cause (naming the file) if it fails the check, was cut
 * short while open, or memory runs out (m is then unchanged). */
int hrm_model_own(struct hrm_model *m, char **cause);
void hrm_model_free(struct hrm_model *m);
/* Official init: truncated normal (JAX style, +-2 std), LeCun std for linear
 * weights, 1/sqrt(d) for embeddings, std 1 for H_init/L_init (rounded to bf16),
 * zero puzzle embeddings, q_head W = 0 and b = -5. */
void hrm_model_init_random(struct hrm_model *m, uint64_t seed);
size_t hrm_model_param_count(const struct hrm_model *m, bool include_buffers);
/* Makes (or, after the fp32 weights changed, refreshes) m->bf16; freed by
 * hrm_model_free.  -1 with *cause when memory runs out. */
int hrm_model_prepare_bf16(struct hrm_model *m, char **cause);
/* frees m->bf16 (hrm_model_free does it too) */
void hrm_model_free_bf16(struct hrm_model *m);

#endif
