/* guess.h - inference as guessing: run K perturbed versions of one puzzle
 * as one batch (B = K), map every answer back to the original frame, group
 * the runs by the answer they settle on (the fixed points they reach) and
 * vote.  Several models (checkpoints) pool their guesses: model
 * bootstrapping.  (Ren and Liu, arXiv 2601.10679, scale guesses this way.)
 *
 * The votes: majority, the group with the most runs (ties: the larger
 * q_halt weight, then the group seen first); q_halt-weighted, the group
 * whose runs have the largest sum of sigmoid(q_halt), the model's own
 * belief that it is done (ties: more runs, then first seen). */
#ifndef HRM_GUESS_H
#define HRM_GUESS_H

#include "analysis/fixedpoint.h"
#include "model/hrm.h"
#include "analysis/perturb.h"
#include "analysis/trajectory.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* The puzzle to guess on, with its scoring (cells whose label is `ignore`
 * are not scored when has_ignore). */
struct guess_puzzle {
	const struct puzzle *p;
	bool known_kind;
	int32_t pid;
	bool has_ignore;
	int32_t ignore;
};

struct guess_opts {
	enum perturb_kind kind;
	int K;               /* versions per model: the batch */
	double sigma;        /* noise on versions >= 1 (0: none; kind noise: the default) */
	uint64_t seed;
	int M;               /* segments (0: the model's halt_max_steps) */
	double fp_tol;       /* fixed-point tolerance (0: FP_TOL_DEFAULT) */
	enum hrm_dtype dtype; /* the arithmetic (bf16: the model's bf16 weights must be prepared) */
	const atomic_int *cancel;                    /* may be NULL: non-zero stops the run, between two blocks */
	/* may be NULL: after each module call (an L- or H-step of the batch),
	 * the calls done and the M * H_cycles * (L_cycles + 1) to do */
	void (*progress)(void *user, int done, int total);
	void *progress_user;
	/* may be NULL: [K] trajectories (traj_init'd with d = hidden_size) that
	 * receive each version's pooled states after every step (the
	 * trajectory map of the guesses) */
	struct trajectory *traj;
};

/* One run: a version through a model. */
struct guess_one {
	int model, version;
	struct perturb pt;
	float q_halt, q_continue; /* after the last segment */
	int exact;                /* the answer (original frame) vs the label: 1, 0, -1 unknown */
	int fp_entered;           /* fixed point: segment (0-based) entered, -1 none */
	enum fp_verdict fp;
	int crit_seg, crit_h;     /* critical step (perturbed frame; the same cells), -1 none */
	int group;                /* index into groups after guess_tally */
	int repeat_of;            /* an earlier run of the same model and the same version (K larger than the
	                             distinct versions, as 16 of the 8 dihedral ones), -1 none: not in the vote */
};

struct guess_group {
	int first;     /* its first run */
	int runs;
	double q_sum;  /* sum of q_halt */
	double weight; /* sum of sigmoid(q_halt) */
	int settled;   /* runs that entered a fixed point */
	int exact;     /* 1, 0, -1 unknown */
};

struct guess_result {
	int S;
	int n, cap;
	struct guess_one *runs;
	int32_t *answers; /* [n][S] final answers in the original frame */
	int n_groups;
	struct guess_group *groups; /* most runs first */
	int majority, weighted;     /* the votes: group indices, -1 when there is no run */
	int repeats;                /* runs with repeat_of >= 0 (guess_tally): the votes count n - repeats */
};

void guess_result_init(struct guess_result *r, int S);
void guess_result_free(struct guess_result *r);
/* Appends a run with this answer (S tokens, original frame); fields zeroed
 * except fp_entered = crit_seg = crit_h = -1, exact = -1. */
struct guess_one *guess_add(struct guess_result *r, const int32_t *answer);
/* Groups the runs by answer and takes the votes; a repeated version
 * (repeat_of >= 0) is counted once, in its first run. */
void guess_tally(struct guess_result *r);

/* The K versions of gp through model m as one batch, appended to r (call
 * guess_tally after the last model).  Returns 0 or -1 with cause. */
int guess_run(const struct hrm_model *m, int model_index, const struct guess_puzzle *gp, const struct guess_opts *o,
	      struct guess_result *r, char **cause);

/* A group's name: A..Z, then AA.. */
void guess_group_name(int g, char *buf, size_t len);

#endif
