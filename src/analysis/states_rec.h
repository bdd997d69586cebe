/* states_rec.h - records the states z_H and z_L after every step of one
 * batch row, with the step table, and writes them as a numpy .npz
 * (`hrmscope trace --states`).  An engine observer; it reads the engine's
 * state through the engine API only, so it does not depend on the model's
 * architecture.
 *
 * The arrays (N kept states, M steps run, G segments, T = prefix_len + S
 * positions of width d):
 *   z_H, z_L            float32 [N, T, d]  state after each kept step
 *   z_H_init, z_L_init  float32 [T, d]     the carry after the reset
 *   state_step          int32   [N]        the step-table row of each state
 *   step_kind           uint8   [M]        0 L-step, 1 H-step
 *   step_segment, step_h_cycle, step_l_step   int32 [M] (l_step -1 at H-steps)
 *   step_res_abs, step_res_rel, step_res_rms  float64 [M] residual of the step
 *   step_norm_zH, step_norm_zL                float64 [M] norms after it
 *   seg_q_halt, seg_q_continue   float32 [G]
 *   seg_halt_adaptive            bool    [G]
 *   seg_cells_changed            int32   [G]
 *   seg_dzH_rel, seg_dzL_rel     float64 [G]  change over the segment
 *   seg_pred                     int32   [G, S]  the answer after it
 *   inputs int32 [S], labels int32 [S] (a labelled puzzle only),
 *   prefix_len int32 [] (the puzzle-embedding positions at the start of T) */
#ifndef HRM_ANALYSIS_STATES_REC_H
#define HRM_ANALYSIS_STATES_REC_H

#include "model/engine.h"

#include <stddef.h>
#include <stdint.h>

struct states_rec;

/* every: keep the state of every K-th step (the K-th, 2K-th, ...: with K =
 * L_cycles + 1 an HRM keeps its H-steps).  expect_steps sizes the first
 * allocation (the buffers grow past it). */
struct states_rec *states_rec_new(struct hrm_engine *e, int d, int every, long expect_steps, char **cause);
void states_rec_free(struct states_rec *r);
/* The observer to register with hrm_engine_add_observer(e, states_rec_observe, r)
 * before the reset.  d: the width of a state row (the hidden size). */
void states_rec_observe(const struct hrm_event *ev, void *user);
/* The puzzle's input and (may be NULL) label, [S] each. */
void states_rec_set_puzzle(struct states_rec *r, const int32_t *inputs, const int32_t *labels);
/* Writes the npz atomically; fails if a buffer could not grow during the run. */
int states_rec_write(struct states_rec *r, const char *path, char **cause);

/* The bytes of an npz for `steps` steps run, of which every K-th is kept,
 * and `segments` segments, T positions of width d, S cells. */
size_t states_rec_estimate(long steps, int every, long segments, int T, int d, int S);

#endif
