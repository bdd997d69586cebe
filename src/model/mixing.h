/* mixing.h - what one block of a reasoning module mixes between positions,
 * seen from one query position: for an attention block, each head's
 * softmax row (the weight the query gives every key position, prefix
 * tokens first).  Computed on demand from the module's input state by
 * running its blocks up to the one asked for; nothing is kept.
 *
 * The result is rows x T weights of a kind, so that a block mixing tokens
 * another way (TRM's mlp_t) can report its own rows later; a block with
 * nothing to report says so through *cause. */
#ifndef HRM_MIXING_H
#define HRM_MIXING_H

#include "model/hrm.h"

enum hrm_mix_kind {
	HRM_MIX_NONE,      /* the block mixes no positions this code can show */
	HRM_MIX_ATTENTION, /* rows are heads: softmax(q_i k_j / sqrt(hd)) over j */
};

/* The module: L_level (the L-step) or H_level (the H-step). */
enum hrm_module { HRM_MODULE_L, HRM_MODULE_H };

/* What block `layer` (0-based) of the module mixes with, and how many rows
 * hrm_module_mixing writes (attention: num_heads; 0 for none). */
enum hrm_mix_kind hrm_block_mix_kind(const struct hrm_config *c, enum hrm_module mod, int layer);
int hrm_block_mix_rows(const struct hrm_config *c, enum hrm_module mod, int layer);

/* The weights block `layer` of module mod gives to each of the T positions
 * from position `query`, when the module runs on one puzzle (T = cells +
 * puzzle_emb_len positions) from state z with injection a (+ b): the
 * L-step is (z_L, z_H, x), the H-step (z_H, z_L, NULL), each [T][d].  In
 * dt's arithmetic (bf16: m->bf16 prepared, states bf16 values; the
 * weights are bf16(p) / sum as the forward's product with v uses them).
 * w: [rows][T], rows from hrm_block_mix_rows.  0, or -1 with *cause (a
 * layer, query or block without weights to show; memory). */
int hrm_module_mixing(const struct hrm_model *m, enum hrm_dtype dt, enum hrm_module mod, int T, const float *z,
		      const float *a, const float *b, int layer, int query, float *w, char **cause);

#endif
