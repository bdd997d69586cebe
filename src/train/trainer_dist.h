/* trainer_dist.h - the trainer's data-parallel side (issue 24): each rank
 * owns an equal share of the global batch's rows, computes their gradient,
 * and the ranks sum it (one MPI_Allreduce on the flat gradient arena, or
 * with --grad-parts an allgather of the parts summed in part order); every
 * rank then takes the same optimiser step.  Evaluations are split across
 * the ranks and their sums reduced; a checkpoint gathers every rank's rows
 * to rank 0, which alone writes.  With one process every call here is the
 * single-process trainer's. */
#ifndef HRM_TRAIN_TRAINER_DIST_H
#define HRM_TRAIN_TRAINER_DIST_H

#include "model/metrics.h"
#include "train/trainer.h"

/* The rank's share: rank, nranks, row0, parts; checks that the ranks (and
 * --grad-parts) divide the batch.  Before the batch is allocated. */
int trainer_dist_plan(struct trainer *tr, char **cause);
/* Rows per train_segment call: the local rows over the parts. */
int trainer_dist_part_rows(const struct trainer *tr);
/* The row streams, the part buffers and the id buffer, once the model and
 * the batch exist.  row_streams is set by the caller (a new run under MPI,
 * or a saved state that has them). */
int trainer_dist_alloc(struct trainer *tr, char **cause);
void trainer_dist_free(struct trainer *tr);

/* One step's gradient into tr->grads on every rank (the global batch's,
 * scaled by 1 / global batch), the step's metrics summed over every row,
 * and *stop: whether any rank was asked to stop (so that all stop at the
 * same step).  The carry and halting of the local rows move on. */
int trainer_dist_grads(struct trainer *tr, const struct train_segment_opts *so, struct train_metrics *met,
		       volatile int *stop_flag, bool *stop, char **cause);
/* The global batch's puzzle ids (every rank's rows, in row order). */
const int32_t *trainer_dist_ids(struct trainer *tr);

/* evaluate() of samples [0, n) of src, each rank its share, the sums on
 * every rank. */
int trainer_dist_eval(struct trainer *tr, const struct hrm_model *m, struct sample_source *src, uint64_t seed, int n,
		      int M, struct hrm_metrics *out, char **cause);

/* Every rank's rows, in global order, on rank 0 (on the others the
 * pointers are NULL after the gather): what train_state saves. */
struct dist_rows {
	int B, nrng;                  /* rows; random streams (B, or 1 without row streams) */
	int32_t *inputs, *labels;     /* [B][S] */
	int32_t *puzzle_ids, *steps;  /* [B] */
	float *zH, *zL;               /* [B][T*d] */
	bool *halted, *run_to_max;    /* [B] */
	int64_t *rng;                 /* [nrng][4] */
	double *spare;                /* [nrng][2]: has_spare, spare */
	bool owned;                   /* the batch arrays were allocated by the gather */
};
void trainer_dist_gather_rows(const struct trainer *tr, struct dist_rows *g);
void dist_rows_free(struct dist_rows *g);

#endif
