/* bench_ckpt_write.c - writing a checkpoint whose puzzle-embedding table is
 * not zero (issue 25): a trained ARC model's, which gains nothing from the
 * holes `hrmscope init` makes of a zero table.
 *
 *   bench_ckpt_write --arch FILE [--vocab 12] [--seq-len 900]
 *                    [--puzzle-ids 1045829] [--reps 3] [--dir DIR]
 *
 * The model is the official init of the architecture with every row of its
 * table filled with small pseudo-random values (as training leaves it).
 * Each repetition times, back to back (so load on the machine falls on both
 * alike; which goes first alternates):
 *   - the disk: the model's memory (its arena, the same bytes the checkpoint
 *     holds) written with write() in 1 MiB pieces to a new file, then fsync,
 *     as dd conv=fsync writes (the disk's write time for these bytes);
 *   - hrm_model_save into DIR: a checkpoint beside the target, fsync,
 *     rename, as the trainer saves.
 * The medians (and minima) are printed with the ratio save / disk: the
 * target is at most 1.2. */
#include "bench_common.h"
#include "io/checkpoint.h"
#include "model/hrm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static double write_plain(const char *path, const void *p, size_t n)
{
	double t0 = bench_now();
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	const char *c = p;
	for (size_t off = 0; off < n;) {
		size_t k = n - off < ((size_t)1 << 20) ? n - off : (size_t)1 << 20;
		ssize_t w = write(fd, c + off, k);
		if (w <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0)
		return -1;
	return bench_now() - t0;
}

static double min_of(const double *v, int n)
{
	double m = v[0];
	for (int i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

int main(int argc, char **argv)
{
	const char *arch = bench_opt(argc, argv, "--arch");
	const char *dir = bench_opt(argc, argv, "--dir");
	if (arch == NULL || dir == NULL) {
		fprintf(stderr, "usage: bench_ckpt_write --arch FILE --dir DIR [--vocab 12] [--seq-len 900] "
		                "[--puzzle-ids 1045829] [--reps 3]\n");
		return 2;
	}
	int reps = (int)bench_opt_long(argc, argv, "--reps", 3);
	reps = reps < 1 ? 1 : reps > 16 ? 16 : reps;
	struct hrm_config c;
	char *cause = NULL;
	hrm_config_default(&c);
	if (hrm_config_load_yaml(arch, &c, &cause) != 0) {
		fprintf(stderr, "bench_ckpt_write: %s\n", cause);
		return 1;
	}
	c.vocab_size = (int)bench_opt_long(argc, argv, "--vocab", 12);
	c.seq_len = (int)bench_opt_long(argc, argv, "--seq-len", 900);
	c.num_puzzle_identifiers = (int)bench_opt_long(argc, argv, "--puzzle-ids", 1045829);
	struct hrm_model m;
	if (hrm_model_alloc(&m, &c, &cause) != 0) {
		fprintf(stderr, "bench_ckpt_write: %s\n", cause);
		return 1;
	}
	hrm_model_init_random(&m, 1);
	size_t rows = (size_t)c.num_puzzle_identifiers * (size_t)c.puzzle_emb_ndim;
	uint64_t x = 0x9E3779B97F4A7C15ull;
	for (size_t i = 0; i < rows; i++) { /* xorshift64: values in [-0.01, 0.01) */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		m.w.puzzle_emb[i] = (float)((double)(x >> 40) / (double)(1ull << 24) - 0.5) * 0.02f;
	}
	size_t bytes = m.arena_floats * sizeof(float);
	char plain[4096];
	snprintf(plain, sizeof plain, "%s/plain.bin", dir);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "bench_ckpt_write: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	double disk[16], save[16];
	for (int r = 0; r < 2 * reps; r++) {
		/* the order alternates: the first of a pair may find the disk
		 * still busy with the blocks the last one freed */
		if ((r & 1) == (r / 2 & 1)) {
			unlink(plain);
			disk[r / 2] = write_plain(plain, m.arena, bytes);
			unlink(plain);
			if (disk[r / 2] < 0) {
				fprintf(stderr, "bench_ckpt_write: %s: %s\n", plain, strerror(errno));
				return 1;
			}
		} else {
			double t0 = bench_now();
			if (hrm_model_save(&m, dir, &cause) != 0) {
				fprintf(stderr, "bench_ckpt_write: %s\n", cause);
				return 1;
			}
			save[r / 2] = bench_now() - t0;
		}
	}
	printf("a trained-like table: %d x %d fp32 (%zu MB of weights in all), %d repetitions\n",
	       c.num_puzzle_identifiers, c.puzzle_emb_ndim, bytes >> 20, reps);
	double dmin = min_of(disk, reps), smin = min_of(save, reps);
	double dmed = bench_median(disk, reps), smed = bench_median(save, reps);
	printf("%-44s %8.2f s  (min %.2f)\n", "write() + fsync of the same bytes (the disk)", dmed, dmin);
	printf("%-44s %8.2f s  (min %.2f)\n", "checkpoint save (hrm_model_save)", smed, smin);
	printf("%-44s %8.2fx (min %.2fx)   target <= 1.2x: %s\n", "save / disk", smed / dmed, smin / dmin,
	       smed / dmed <= 1.2 ? "met" : "not met");
	long rss = bench_self_maxrss_kb();
	printf("%-44s %8ld MB  (the weights: %zu MB; target <= 1.1x: %s)\n", "peak RSS of this process", rss >> 10,
	       bytes >> 20, (double)rss * 1024 <= 1.1 * (double)bytes ? "met" : "not met");
	hrm_model_free(&m);
	return 0;
}
