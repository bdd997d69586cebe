/* bench_guess.c - K guesses as one batched forward against K single runs
 * (issue 8): what `hrmscope guess` gains by running its K perturbed
 * versions of a puzzle as one batch (B = K).
 *
 *   bench_guess (--model DIR | --arch FILE --vocab V --seq-len S) --puzzle FILE
 *               [--k 8] [--segments M] [--reps 3] [--threads N] [--label L]
 *
 * Both sides do what guess_run does for its versions: the K versions of the
 * puzzle under the kind's official augmentation (version 0 the puzzle as
 * given), an engine, the inputs, the reset, the fixed-point tracker as an
 * observer, M segments.  Batched: one engine of B = K rows.  Single: K
 * engines of B = 1, one after the other.  Each timing covers the whole run,
 * engine set-up included; a repetition times both back to back (so load on
 * the machine falls on both alike) and the medians over the repetitions are
 * printed, with the ratio single / batched (and the minima, the least
 * disturbed figures on a busy machine) and whether every version's final
 * answer is the same both ways.  An --arch model is a random init
 * (seed 1) of that architecture. */
#include "bench_common.h"
#include "model/engine.h"
#include "analysis/fixedpoint.h"
#include "model/hrm.h"
#include "io/checkpoint.h"
#include "analysis/perturb.h"
#include "puzzles/puzzle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct versions {
	int K, S;
	int32_t *in;  /* [K][S] */
	int32_t *pid; /* [K] */
};

/* Runs rows [first, first + B) of the versions M segments on an engine of
 * B rows; copies the final answers to ans ([B][S]).  Returns seconds, or a
 * negative number on failure. */
static double run(const struct hrm_model *m, const struct versions *v, int first, int B, int M, int32_t *ans)
{
	char *cause = NULL;
	double t0 = bench_now();
	struct hrm_engine *e = hrm_engine_new(m, B, v->S, &cause);
	if (e == NULL || hrm_engine_set_inputs(e, v->in + (size_t)first * v->S, v->pid + first, &cause) != 0) {
		fprintf(stderr, "bench_guess: %s\n", cause ? cause : "no engine");
		free(cause);
		hrm_engine_free(e);
		return -1;
	}
	struct fp_tracker fp;
	fp_tracker_init(&fp, B, v->S, FP_TOL_DEFAULT);
	hrm_engine_add_observer(e, fp_tracker_observe, &fp);
	hrm_engine_reset(e, -1);
	for (int s = 0; s < M; s++)
		hrm_engine_step(e, HRM_GRAIN_SEGMENT);
	memcpy(ans, hrm_engine_pred(e), (size_t)B * v->S * sizeof *ans);
	fp_tracker_free(&fp);
	hrm_engine_free(e);
	return bench_now() - t0;
}

static int load_model(int argc, char **argv, struct hrm_model *m)
{
	const char *dir = bench_opt(argc, argv, "--model"), *arch = bench_opt(argc, argv, "--arch");
	char *cause = NULL;
	if (dir != NULL) {
		if (hrm_model_load(m, dir, &cause) == 0)
			return 0;
	} else if (arch != NULL) {
		struct hrm_config c;
		hrm_config_default(&c);
		if (hrm_config_load_yaml(arch, &c, &cause) == 0) {
			c.vocab_size = (int)bench_opt_long(argc, argv, "--vocab", 0);
			c.seq_len = (int)bench_opt_long(argc, argv, "--seq-len", 0);
			c.num_puzzle_identifiers = c.puzzle_emb_ndim > 0 ? 1 : 0;
			if (hrm_model_alloc(m, &c, &cause) == 0) {
				hrm_model_init_random(m, 1);
				return 0;
			}
		}
	} else {
		fprintf(stderr, "bench_guess: --model DIR or --arch FILE --vocab V --seq-len S, and --puzzle FILE\n");
		return -1;
	}
	fprintf(stderr, "bench_guess: %s\n", cause ? cause : "cannot load the model");
	free(cause);
	return -1;
}

int main(int argc, char **argv)
{
	const char *file = bench_opt(argc, argv, "--puzzle"), *label = bench_opt(argc, argv, "--label");
	int K = (int)bench_opt_long(argc, argv, "--k", 8), reps = (int)bench_opt_long(argc, argv, "--reps", 3);
	int threads = (int)bench_opt_long(argc, argv, "--threads", 2);
	if (file == NULL || K < 1 || K > 256 || reps < 1 || reps > 100) {
		fprintf(stderr, "bench_guess: --puzzle FILE with --k 1..256 and --reps 1..100 (see bench/bench_guess.c)\n");
		return 2;
	}
	hrm_set_threads(threads);
	struct hrm_model m;
	if (load_model(argc, argv, &m) != 0)
		return 1;
	int M = (int)bench_opt_long(argc, argv, "--segments", m.cfg.halt_max_steps);
	struct puzzle *p = malloc(sizeof *p), *pv = malloc(sizeof *pv);
	char *cause = NULL;
	if (p == NULL || pv == NULL || puzzle_load_file(file, p, &cause) != 0) {
		fprintf(stderr, "bench_guess: %s\n", cause ? cause : "out of memory");
		return 1;
	}
	int S = p->seq_len;
	if (S != m.cfg.seq_len || puzzle_ops_for(p->kind)->vocab_size != m.cfg.vocab_size) {
		fprintf(stderr, "bench_guess: %s: %d cells of a vocabulary of %d, the model takes %d of %d\n", file, S,
			puzzle_ops_for(p->kind)->vocab_size, m.cfg.seq_len, m.cfg.vocab_size);
		return 1;
	}
	struct versions v = { K, S, malloc((size_t)K * S * sizeof(int32_t)), calloc((size_t)K, sizeof(int32_t)) };
	for (int k = 0; k < K; k++) {
		struct perturb pt;
		perturb_make(PERTURB_AUGMENT, p, true, 0, k, 0, &pt);
		if (perturb_apply(&pt, p, pv, &cause) != 0) {
			fprintf(stderr, "bench_guess: %s: %s\n", file, cause);
			return 1;
		}
		memcpy(v.in + (size_t)k * S, pv->input, (size_t)S * sizeof *v.in);
	}
	int32_t *a_batch = malloc((size_t)K * S * sizeof *a_batch), *a_single = malloc((size_t)K * S * sizeof *a_single);
	double *tb = malloc((size_t)reps * sizeof *tb), *ts = malloc((size_t)reps * sizeof *ts);
	/* warm-up: BLAS threads, page faults */
	if (run(&m, &v, 0, 1, 1, a_single) < 0)
		return 1;
	for (int r = 0; r < reps; r++) {
		tb[r] = run(&m, &v, 0, K, M, a_batch);
		ts[r] = 0;
		for (int k = 0; k < K && tb[r] >= 0; k++) {
			double t = run(&m, &v, k, 1, M, a_single + (size_t)k * S);
			if (t < 0)
				return 1;
			ts[r] += t;
		}
		if (tb[r] < 0)
			return 1;
	}
	int agree = 0;
	for (int k = 0; k < K; k++)
		agree += memcmp(a_batch + (size_t)k * S, a_single + (size_t)k * S, (size_t)S * sizeof *a_batch) == 0;
	double bmin = tb[0], smin = ts[0];
	for (int r = 1; r < reps; r++) {
		bmin = tb[r] < bmin ? tb[r] : bmin;
		smin = ts[r] < smin ? ts[r] : smin;
	}
	double b = bench_median(tb, reps), s = bench_median(ts, reps);
	printf("%-28s K = %3d, %2d segment%s: one batch (B = %d) %.3f s (min %.3f), %d single runs (B = 1) %.3f s "
	       "(min %.3f), single / batched %.2fx (of the minima %.2fx); answers agree %d/%d\n",
	       label ? label : file, K, M, M == 1 ? " " : "s", K, b, bmin, K, s, smin, s / b, smin / bmin, agree, K);
	free(tb);
	free(ts);
	free(a_batch);
	free(a_single);
	free(v.in);
	free(v.pid);
	free(p);
	free(pv);
	hrm_model_free(&m);
	return 0;
}
