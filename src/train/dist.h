/* dist.h - the few collective operations data-parallel training needs
 * (issue 24), behind one small interface: with MPI (configure found Open
 * MPI and the process was started by mpirun or srun) they are MPI calls on
 * MPI_COMM_WORLD; otherwise the process is rank 0 of 1 and every call is a
 * copy or nothing.  The trainer calls them unconditionally.
 *
 * MPI's default error handler stays: a failed call, or a rank that dies,
 * takes the whole job down. */
#ifndef HRM_TRAIN_DIST_H
#define HRM_TRAIN_DIST_H

#include <stdbool.h>
#include <stddef.h>

/* Joins the MPI job when the process was launched by mpirun / srun (their
 * environment says so) and MPI is built in; else a single process.  Call
 * once, before any other dist_ function (the others work without it, as
 * rank 0 of 1). */
void dist_init(int *argc, char ***argv);
/* Leaves the job (MPI_Finalize); failed: a rank that cannot go on brings
 * the others down (MPI_Abort) instead of leaving them in a collective. */
void dist_finish(bool failed);

int dist_rank(void);
int dist_size(void);
/* True when running as part of an MPI job (also for mpirun -np 1). */
bool dist_active(void);
/* "Open MPI 4.1.4" etc., or "none" (built without MPI). */
const char *dist_library(void);

/* buf[0..n) summed over the ranks, the sum on every rank (MPI_Allreduce). */
void dist_sum_floats(float *buf, size_t n);
void dist_sum_doubles(double *buf, size_t n);
/* The largest of every rank's v. */
int dist_max_int(int v);
/* Every rank's n bytes at send, in rank order, into recv (size() * n bytes)
 * on every rank (MPI_Allgather); on rank 0 only with dist_gather. */
void dist_allgather(const void *send, size_t n, void *recv);
void dist_gather(const void *send, size_t n, void *recv);
void dist_barrier(void);

#endif
