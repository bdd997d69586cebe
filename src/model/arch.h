/* arch.h - what differs between the two models the engine runs, as data:
 * which blocks each update calls, how halting is decided, and what each
 * paper calls the states.  The engine, the commands and the views read
 * this description instead of testing which model is loaded.
 *
 *   HRM: L-step z_L = L_level(z_L, z_H + x), H-step z_H = H_level(z_H, z_L)
 *   TRM: L-step z_L = L_level(z_L, z_H + x), H-step z_H = L_level(z_H, z_L)
 *        (one network for both; the paper's z and y) */
#ifndef HRM_MODEL_ARCH_H
#define HRM_MODEL_ARCH_H

#include <stdbool.h>
#include "model/hrm_config.h"

struct hrm_arch_desc {
	enum hrm_arch_kind kind;
	const char *name;       /* "HRM", "TRM" */
	const char *title;      /* "Hierarchical Reasoning Model", ... */
	const char *zH;         /* the H state as every output names it: "z_H", "y (z_H)" */
	const char *zL;         /* "z_L", "z (z_L)" */
	const char *dzH, *dzL;  /* their changes: "dz_H", "dy (dz_H)"; "dz_L", "dz (dz_L)" */
	const char *probe;      /* the probe: "lm_head(H_level(z_H, z_L))", "lm_head(net(y, z))" */
	const char *H_step;     /* what an H-step is: "H-step", "H-step (answer update)" */
	const char *L_step;     /* "L-step", "L-step (latent recursion)" */
	bool shared_net;        /* the H-step calls L_level (there is no H_level) */
};

const struct hrm_arch_desc *hrm_arch_desc(const struct hrm_config *c);
/* The Q head's second output takes part in halting (TRM with
 * no_ACT_continue computes it but never reads it). */
bool hrm_q_continue_used(const struct hrm_config *c);
/* The training rule for stopping after a segment: q_halt > 0 when
 * q_continue is unused, q_halt > q_continue otherwise (evaluation always
 * runs halt_max_steps segments). */
bool hrm_halts_adaptive(const struct hrm_config *c, float q_halt, float q_continue);
/* that rule in words: "q_halt > q_continue" or "q_halt > 0" */
const char *hrm_halt_rule(const struct hrm_config *c);
/* Blocks of the module an update runs: level_L for an L-step, else the
 * H-step's (H_level for HRM, L_level for TRM). */
int hrm_update_layers(const struct hrm_config *c, bool level_L);

#endif
