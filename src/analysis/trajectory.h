/* trajectory.h - the states after every step of one run, pooled (the mean
 * over the puzzle's cells, as the PR pools them), with what each step's
 * answer was: the points of the trajectory map, before pca.h projects them. */
#ifndef HRM_TRAJECTORY_H
#define HRM_TRAJECTORY_H

#include "analysis/fixedpoint.h"
#include "model/hrm.h"

#include <stdbool.h>
#include <stdint.h>

struct traj_step {
	int segment, h_cycle, l_step; /* 0-based; l_step -1 for an H-step */
	int exact; /* lm_head(z_H) after the step vs the label: 1, 0, -1 unknown */
};

struct trajectory {
	int n, cap, d;
	struct traj_step *steps; /* [n] */
	float *zH, *zL;          /* [n][d] pooled over the cells */
	int fp_entered;          /* fixed point: segment (0-based) whose end state it is, -1 none */
	enum fp_verdict verdict;
};

void traj_init(struct trajectory *t, int d);
void traj_free(struct trajectory *t);
/* Appends a step with its pooled states (pool_zH, pool_zL: [d]). */
void traj_add(struct trajectory *t, const struct traj_step *st, const float *pool_zH, const float *pool_zL);
/* out[d] = the mean of z[S][d] over its S rows (the cells). */
void traj_pool(const float *z, int S, int d, float *out);
/* Is step i part of the fixed point (a step of a segment after the one
 * whose end state the fixed point is)? */
bool traj_in_fixed_point(const struct trajectory *t, int i);

/* Runs one puzzle for `segments` segments from the reset carry and keeps
 * every step (labels [S] raw, or NULL; cells labelled `ignore` not scored
 * when has_ignore).  0, or -1 with *cause. */
int traj_run(const struct hrm_model *m, enum hrm_dtype dt, const int32_t *tokens, const int32_t *labels,
	     bool has_ignore, int32_t ignore, int S, int32_t pid, int segments, double fp_tol,
	     struct trajectory *out, char **cause);

#endif
