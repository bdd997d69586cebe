/* dist.c - the collectives of dist.h: MPI when built with it and launched
 * by mpirun / srun, else a single process. */
#include "train/dist.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_MPI
#include <mpi.h>
#endif

static int g_rank, g_size = 1;
static bool g_active;

#ifdef HAVE_MPI
/* mpirun (Open MPI, MPICH), srun with PMI or PMIx: a process started alone
 * does not join an MPI job (a singleton MPI_Init would start a daemon). */
static bool launched_by_mpi(void)
{
	static const char *const vars[] = { "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE" };
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		if (getenv(vars[i]) != NULL)
			return true;
	return false;
}

/* n bytes as one MPI count, or MPI_DATATYPE_NULL above INT_MAX (the
 * callers then send it in pieces). */
static MPI_Datatype bytes_type(size_t n, int *count)
{
	if (n <= (size_t)INT32_MAX) {
		*count = (int)n;
		return MPI_BYTE;
	}
	return MPI_DATATYPE_NULL;
}
#endif

void dist_init(int *argc, char ***argv)
{
#ifdef HAVE_MPI
	if (!launched_by_mpi())
		return;
	int provided;
	/* only the main thread calls MPI; the worker pool never does */
	MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
	MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
	MPI_Comm_size(MPI_COMM_WORLD, &g_size);
	g_active = true;
#else
	(void)argc;
	(void)argv;
#endif
}

void dist_finish(bool failed)
{
#ifdef HAVE_MPI
	if (!g_active)
		return;
	if (failed && g_size > 1)
		MPI_Abort(MPI_COMM_WORLD, 1);
	MPI_Finalize();
	g_active = false;
#else
	(void)failed;
#endif
}

int dist_rank(void)
{
	return g_rank;
}

int dist_size(void)
{
	return g_size;
}

bool dist_active(void)
{
	return g_active;
}

const char *dist_library(void)
{
#ifdef HAVE_MPI
	static char v[MPI_MAX_LIBRARY_VERSION_STRING];
	int len = 0;
	MPI_Get_library_version(v, &len);
	v[strcspn(v, ",\n")] = '\0';
	return v;
#else
	return "none";
#endif
}

#ifdef HAVE_MPI
/* MPI counts are ints: a larger buffer goes in pieces. */
#define DIST_CHUNK ((size_t)1 << 28)
#endif

void dist_sum_floats(float *buf, size_t n)
{
#ifdef HAVE_MPI
	for (size_t i = 0; g_size > 1 && i < n; i += DIST_CHUNK) {
		size_t k = n - i < DIST_CHUNK ? n - i : DIST_CHUNK;
		MPI_Allreduce(MPI_IN_PLACE, buf + i, (int)k, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
	}
#else
	(void)buf;
	(void)n;
#endif
}

void dist_sum_doubles(double *buf, size_t n)
{
#ifdef HAVE_MPI
	for (size_t i = 0; g_size > 1 && i < n; i += DIST_CHUNK) {
		size_t k = n - i < DIST_CHUNK ? n - i : DIST_CHUNK;
		MPI_Allreduce(MPI_IN_PLACE, buf + i, (int)k, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
	}
#else
	(void)buf;
	(void)n;
#endif
}

int dist_max_int(int v)
{
#ifdef HAVE_MPI
	if (g_size > 1)
		MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
#endif
	return v;
}

void dist_allgather(const void *send, size_t n, void *recv)
{
	/* send may be this rank's own slot of recv: then it stays in place */
	bool in_place = send == (const char *)recv + (size_t)g_rank * n;
#ifdef HAVE_MPI
	int count;
	MPI_Datatype t = bytes_type(n, &count);
	if (g_size > 1 && t != MPI_DATATYPE_NULL) {
		MPI_Allgather(in_place ? MPI_IN_PLACE : send, count, t, recv, count, t, MPI_COMM_WORLD);
		return;
	}
	if (g_size > 1) {
		/* above 2 GiB per rank: one broadcast per rank, in pieces */
		for (int r = 0; r < g_size; r++) {
			char *dst = (char *)recv + (size_t)r * n;
			if (r == g_rank && !in_place)
				memcpy(dst, send, n);
			for (size_t i = 0; i < n; i += DIST_CHUNK) {
				size_t k = n - i < DIST_CHUNK ? n - i : DIST_CHUNK;
				MPI_Bcast(dst + i, (int)k, MPI_BYTE, r, MPI_COMM_WORLD);
			}
		}
		return;
	}
#endif
	if (!in_place)
		memcpy(recv, send, n);
}

void dist_gather(const void *send, size_t n, void *recv)
{
#ifdef HAVE_MPI
	int count;
	MPI_Datatype t = bytes_type(n, &count);
	if (g_size > 1 && t != MPI_DATATYPE_NULL) {
		MPI_Gather(send, count, t, recv, count, t, 0, MPI_COMM_WORLD);
		return;
	}
	if (g_size > 1) {
		for (int r = 1; r < g_size; r++)
			for (size_t i = 0; i < n; i += DIST_CHUNK) {
				size_t k = n - i < DIST_CHUNK ? n - i : DIST_CHUNK;
				if (g_rank == r)
					MPI_Send((const char *)send + i, (int)k, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
				else if (g_rank == 0)
					MPI_Recv((char *)recv + (size_t)r * n + i, (int)k, MPI_BYTE, r, 0, MPI_COMM_WORLD,
						 MPI_STATUS_IGNORE);
			}
		if (g_rank == 0)
			memcpy(recv, send, n);
		return;
	}
#endif
	memcpy(recv, send, n);
}

void dist_barrier(void)
{
#ifdef HAVE_MPI
	if (g_size > 1)
		MPI_Barrier(MPI_COMM_WORLD);
#endif
}
