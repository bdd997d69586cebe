/* engine.h - stepping the HRM or TRM forward pass for a batch of B puzzles
 * (model/arch.h: an H-step is H_level's update of z_H for HRM, the shared
 * network's answer update y = z_H for TRM; an L-step updates z_L, TRM's z).
 *
 * The forward pass is a resumable cursor (segment, H cycle, L step): the
 * caller advances it one module call, one H-step or one whole segment at a
 * time, and every module call emits an event to the registered observers.
 * The engine never prints, never exits and never touches the terminal. */
#ifndef HRM_ENGINE_H
#define HRM_ENGINE_H

#include <stdatomic.h>
#include "model/hrm.h"

enum hrm_event_kind {
	HRM_EV_RESET,        /* carry set to H_init/L_init (start of a puzzle) */
	HRM_EV_L_STEP,       /* z_L = L_level(z_L, z_H + x) */
	HRM_EV_H_STEP,       /* z_H = H_level(z_H, z_L); TRM: z_H = L_level(z_H, z_L) */
	HRM_EV_SEGMENT_END,  /* heads computed after the last H-step of a segment */
};

/* Residual of the state a step just updated, per batch row. */
struct hrm_residual {
	double abs_l2;  /* ||z_new - z_old||_2 over the whole T x d state */
	double rel;     /* ||z_new - z_old|| / ||z_old|| */
	double rms;     /* ||z_new - z_old|| / sqrt(T * d): per-element (per-token) RMS */
};

struct hrm_event {
	enum hrm_event_kind kind;
	int segment;          /* 0-based segment the step belongs to */
	int h_cycle;          /* 0-based H cycle (L and H steps) */
	int l_step;           /* 0-based L step within the cycle (L steps), -1 otherwise */
	int B;
	int reset_row;                   /* reset only: the row reset, -1 for all rows */
	const struct hrm_residual *res;  /* [B], L/H steps: residual of the updated state */
	const double *norm_zH;           /* [B] ||z_H|| after the step */
	const double *norm_zL;           /* [B] ||z_L|| */
	/* H steps: lm_head(z_H)[Lp:] just after the step, i.e. the answer the
	 * segment would give if it stopped here (= the HRM-SPEC probe taken just
	 * before this H-step).  Segment end: the segment's outputs. */
	const float *logits;             /* [B][S][V] */
	const int32_t *pred;             /* [B][S] argmax */
	/* segment end only */
	const float *q_halt;             /* [B] logits */
	const float *q_continue;         /* [B] */
	const bool *halt_max_steps;      /* [B] segment + 1 >= halt_max_steps (official eval) */
	const bool *halt_adaptive;       /* [B] the training rule (hrm_halts_adaptive), or max steps */
	/* Fixed-point readouts: the change of each state over the whole segment
	 * (end minus start; rel divides by ||z at the start||), and whether the
	 * answer changed.  cells_changed counts the cells whose pred differs from
	 * the previous segment's (the first segment after a reset: from the input
	 * tokens); answer_changed is cells_changed > 0, and always true for the
	 * first segment after a reset, which has no earlier answer. */
	const struct hrm_residual *seg_dzH;  /* [B] */
	const struct hrm_residual *seg_dzL;  /* [B] */
	const int *cells_changed;            /* [B] */
	const bool *answer_changed;          /* [B] */
};

typedef void (*hrm_observer_fn)(const struct hrm_event *ev, void *user);

enum hrm_grain {
	HRM_GRAIN_MODULE,    /* one module call: the next L-step or H-step */
	HRM_GRAIN_L,         /* one L-step (an H-step due first is done first) */
	HRM_GRAIN_H,         /* up to and including the next H-step */
	HRM_GRAIN_SEGMENT,   /* up to and including the end of the segment */
};

struct hrm_engine;

/* The most memory an engine may take: past it a batch and a sequence length
 * are a typo, not a run (1 TiB; below it, an allocation that fails is
 * reported as such). */
#define HRM_ENGINE_MAX_BYTES ((size_t)1 << 40)
/* The bytes hrm_engine_new allocates for B puzzles of S cells (states,
 * scratch, logits): 0, or -1 when that does not fit a size_t. */
int hrm_engine_bytes(const struct hrm_config *c, int B, int S, size_t *bytes);

/* S = puzzle cells; B puzzles at once.  The model must stay alive.  Refused
 * when it would need more than HRM_ENGINE_MAX_BYTES, before allocating. */
struct hrm_engine *hrm_engine_new(const struct hrm_model *m, int B, int S, char **cause);
/* The same in the given arithmetic; bf16 needs m->bf16 (hrm_model_prepare_bf16)
 * and keeps the carry, inputs and outputs as bf16 values (q in fp32). */
struct hrm_engine *hrm_engine_new_dtype(const struct hrm_model *m, int B, int S, enum hrm_dtype dt,
					char **cause);
enum hrm_dtype hrm_engine_dtype(const struct hrm_engine *e);
void hrm_engine_free(struct hrm_engine *e);

/* tokens [B][S] in 0..V-1, puzzle_ids [B] (may be NULL when P == 0).
 * Computes the input embeddings; does not touch the carry. */
int hrm_engine_set_inputs(struct hrm_engine *e, const int32_t *tokens, const int32_t *puzzle_ids,
			  char **cause);
/* Reset the carry of row b (or all rows when b < 0) to H_init/L_init and the
 * cursor to segment 0. */
void hrm_engine_reset(struct hrm_engine *e, int b);
int hrm_engine_add_observer(struct hrm_engine *e, hrm_observer_fn fn, void *user);
void hrm_engine_remove_observer(struct hrm_engine *e, hrm_observer_fn fn, void *user);

/* Runs to the end of the next step of grain g; returns 0, or -1 when the
 * abort flag (hrm_engine_set_abort) stopped it between two blocks: the state
 * is then that after the last whole module call (coarser grains may have
 * completed some module calls, with their events). */
int hrm_engine_step(struct hrm_engine *e, enum hrm_grain g);
/* A flag that, once nonzero, stops a running step between two blocks (for a
 * UI that must quit or change course without waiting for a long step). */
void hrm_engine_set_abort(struct hrm_engine *e, const atomic_int *flag);

/* The cursor: the next step to run. */
struct hrm_cursor {
	int segment;    /* segments completed so far = index of the current one */
	int h_cycle;    /* next H cycle */
	int l_step;     /* next L step; == L_cycles means the H-step is next */
};
struct hrm_cursor hrm_engine_cursor(const struct hrm_engine *e);

/* Direct access to the state (row-major [B][T][d]); writable so callers can
 * restore history or perturb the carry. */
float *hrm_engine_zH(struct hrm_engine *e);
float *hrm_engine_zL(struct hrm_engine *e);
const float *hrm_engine_x(const struct hrm_engine *e);
void hrm_engine_set_cursor(struct hrm_engine *e, struct hrm_cursor c);
/* The state at the start of the running segment ([B][T][d]), copied by the
 * first module call of each segment for the segment readouts.  A caller
 * that replays another segment and then puts a mid-segment state back
 * (set_cursor) puts this back too. */
float *hrm_engine_seg_start_zH(struct hrm_engine *e);
float *hrm_engine_seg_start_zL(struct hrm_engine *e);

/* Outputs of the last completed segment (valid after a SEGMENT_END). */
const float *hrm_engine_logits(const struct hrm_engine *e);   /* [B][S][V] */
const int32_t *hrm_engine_pred(const struct hrm_engine *e);   /* [B][S] */
const float *hrm_engine_q(const struct hrm_engine *e);        /* [B][2] halt, continue */

/* The paper's probe: lm_head(H_level(z_H, z_L))[Lp:] without changing the
 * state; and lm_head(z_L)[Lp:].  out: [B][S][V]. */
void hrm_engine_probe(struct hrm_engine *e, float *out);
void hrm_engine_decode_zL(struct hrm_engine *e, float *out);

/* Single module calls on caller buffers ([B][T][d]), for tests and tools:
 * out = L_level(zL, zH + x) / out = H_level(zH, zL).  out may alias the state. */
void hrm_engine_L_call(struct hrm_engine *e, const float *zL, const float *zH, float *out);
void hrm_engine_H_call(struct hrm_engine *e, const float *zH, const float *zL, float *out);
/* logits [B][S][V] and q [B][2] from a z_H. */
void hrm_engine_heads(struct hrm_engine *e, const float *zH, float *logits, float *q);

int hrm_engine_B(const struct hrm_engine *e);
int hrm_engine_S(const struct hrm_engine *e);
int hrm_engine_T(const struct hrm_engine *e);

/* Threads used by BLAS, the bf16 products (gemm_bf16.h) and the engine's
 * own loops. */
void hrm_set_threads(int n);

#endif
