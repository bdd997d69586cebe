/* trainer_dist.c - the trainer's data-parallel side: the rank's rows, the
 * gradient sum across ranks, the split evaluation and the gathered rows. */
#include "train/trainer_dist.h"
#include "train/dist.h"
#include "train/evaluate.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

void trainer_row_stream(struct hrm_rng *r, uint64_t seed, int g)
{
	/* distinct for every (seed, row); splitmix64 in hrm_rng_seed spreads it */
	hrm_rng_seed(r, (seed + 1) * 0x9e3779b97f4a7c15ULL + ((uint64_t)g + 1) * 0xd1b54a32d192ed03ULL);
}

int trainer_dist_plan(struct trainer *tr, char **cause)
{
	const struct trainer_opts *o = &tr->opts;
	tr->rank = dist_rank();
	tr->nranks = dist_size();
	int B = o->batch, N = tr->nranks, P = o->grad_parts;
	if (B % N != 0)
		return set_cause(cause, "train: --batch %d does not split evenly over %d ranks (each rank takes batch / ranks "
				 "rows)", B, N);
	if (P > 0 && (P % N != 0 || B % P != 0))
		return set_cause(cause, "train: --grad-parts %d must be a multiple of the %d ranks and divide --batch %d", P,
				 N, B);
	tr->row0 = tr->rank * (B / N);
	tr->parts = P > 0 ? P / N : 1;
	return 0;
}

int trainer_dist_part_rows(const struct trainer *tr)
{
	return tr->opts.batch / tr->nranks / tr->parts;
}

int trainer_dist_alloc(struct trainer *tr, char **cause)
{
	int Bl = tr->opts.batch / tr->nranks;
	tr->row_rng = xcalloc((size_t)Bl, sizeof *tr->row_rng);
	for (int r = 0; r < Bl; r++)
		trainer_row_stream(&tr->row_rng[r], tr->opts.seed, tr->row0 + r);
	tr->all_ids = xcalloc((size_t)tr->opts.batch, sizeof *tr->all_ids);
	if (tr->opts.grad_parts > 0) {
		size_t n = tr->grads.arena_floats, P = (size_t)tr->opts.grad_parts;
		if (n > SIZE_MAX / sizeof(float) / P || (tr->part_grads = malloc(n * P * sizeof(float))) == NULL)
			return set_cause(cause, "train: --grad-parts %d: out of memory for %zu gradient copies of %zu values", (int)P,
					 P, n);
	}
	return 0;
}

void trainer_dist_free(struct trainer *tr)
{
	free(tr->row_rng);
	free(tr->part_grads);
	free(tr->all_ids);
	tr->row_rng = NULL;
	tr->part_grads = NULL;
	tr->all_ids = NULL;
}

/* Rows [r0, r0 + n) of b, in place. */
static struct train_batch batch_rows(const struct train_batch *b, int r0, int n)
{
	size_t S = (size_t)b->S, TD = (size_t)b->T * b->d;
	return (struct train_batch){
		.B = n, .S = b->S, .T = b->T, .d = b->d,
		.inputs = b->inputs + r0 * S, .labels = b->labels + r0 * S, .puzzle_ids = b->puzzle_ids + r0,
		.zH = b->zH + r0 * TD, .zL = b->zL + r0 * TD, .steps = b->steps + r0, .halted = b->halted + r0,
	};
}

/* The step's metrics as one vector of sums, for one reduction. */
enum { MET_LOSS, MET_LM, MET_QH, MET_QC, MET_COUNT, MET_ACC, MET_EXACT, MET_QACC, MET_STEPS, MET_STOP, MET_N };

static void metrics_add(struct train_metrics *a, const struct train_metrics *b)
{
	a->loss += b->loss;
	a->lm_loss += b->lm_loss;
	a->q_halt_loss += b->q_halt_loss;
	a->q_continue_loss += b->q_continue_loss;
	a->count += b->count;
	a->accuracy += b->accuracy;
	a->exact_accuracy += b->exact_accuracy;
	a->q_halt_accuracy += b->q_halt_accuracy;
	a->steps += b->steps;
}

int trainer_dist_grads(struct trainer *tr, const struct train_segment_opts *so, struct train_metrics *met,
		       volatile int *stop_flag, bool *stop, char **cause)
{
	struct train_segment_opts o = *so;
	size_t n = tr->grads.arena_floats;
	int rows = trainer_dist_part_rows(tr);
	memset(met, 0, sizeof *met);
	for (int j = 0; j < tr->parts; j++) {
		struct train_batch v = batch_rows(&tr->batch, j * rows, rows);
		struct train_metrics mj;
		o.row_rngs = tr->row_streams ? tr->row_rng + j * rows : NULL;
		memset(tr->grads.arena, 0, n * sizeof(float));
		/* the official scale: the summed loss over the global batch size */
		if (train_segment(tr->ctx, &tr->model, &tr->grads, &v, &o, 1.0 / tr->opts.batch, &tr->rng, &mj, cause) != 0)
			return -1;
		metrics_add(met, &mj);
		if (tr->part_grads != NULL)
			memcpy(tr->part_grads + ((size_t)tr->rank * tr->parts + j) * n, tr->grads.arena, n * sizeof(float));
	}
	/* the wait for the slowest rank apart from the sum itself (a barrier
	 * costs a few latencies; the steps take milliseconds or more) */
	double t0 = monotonic_s();
	dist_barrier();
	double t1 = monotonic_s();
	tr->wait_s += t1 - t0;
	t0 = t1;
	if (tr->part_grads != NULL) {
		/* every part's gradient on every rank, summed in part order: the
		 * same bytes whichever rank computed which part */
		size_t P = (size_t)tr->parts * tr->nranks;
		dist_allgather(tr->part_grads + (size_t)tr->rank * tr->parts * n, (size_t)tr->parts * n * sizeof(float),
			       tr->part_grads);
		memcpy(tr->grads.arena, tr->part_grads, n * sizeof(float));
		for (size_t p = 1; p < P; p++) {
			const float *g = tr->part_grads + p * n;
			for (size_t i = 0; i < n; i++)
				tr->grads.arena[i] += g[i];
		}
	} else {
		dist_sum_floats(tr->grads.arena, n);
	}
	tr->reduce_s += monotonic_s() - t0;
	tr->reduce_steps++;
	double v[MET_N] = {
		[MET_LOSS] = met->loss, [MET_LM] = met->lm_loss, [MET_QH] = met->q_halt_loss,
		[MET_QC] = met->q_continue_loss, [MET_COUNT] = met->count, [MET_ACC] = met->accuracy,
		[MET_EXACT] = met->exact_accuracy, [MET_QACC] = met->q_halt_accuracy, [MET_STEPS] = met->steps,
		[MET_STOP] = *stop_flag != 0,
	};
	if (tr->nranks > 1) {
		dist_sum_doubles(v, MET_N);
		*met = (struct train_metrics){
			.loss = v[MET_LOSS], .lm_loss = v[MET_LM], .q_halt_loss = v[MET_QH], .q_continue_loss = v[MET_QC],
			.count = (int)v[MET_COUNT], .accuracy = v[MET_ACC], .exact_accuracy = (int)v[MET_EXACT],
			.q_halt_accuracy = (int)v[MET_QACC], .steps = (int)v[MET_STEPS],
		};
	}
	*stop = v[MET_STOP] > 0;
	return 0;
}

const int32_t *trainer_dist_ids(struct trainer *tr)
{
	if (tr->nranks == 1)
		return tr->batch.puzzle_ids;
	dist_allgather(tr->batch.puzzle_ids, (size_t)tr->batch.B * sizeof(int32_t), tr->all_ids);
	return tr->all_ids;
}

/* hrm_metrics' sums as doubles (exact for counts below 2^53), and back. */
static size_t metrics_pack(const struct hrm_metrics *q, double *v)
{
	size_t k = 0;
	v[k++] = (double)q->valid;
	for (int h = 0; h < 2; h++) {
		v[k++] = (double)q->exact[h];
		v[k++] = (double)q->q_halt[h];
		v[k++] = q->acc[h];
		v[k++] = q->steps[h];
	}
	for (int s = 0; s < q->M; s++) {
		v[k++] = (double)q->exact_at[s];
		v[k++] = q->acc_at[s];
		v[k++] = (double)q->used_at[s];
	}
	return k;
}

static void metrics_unpack(struct hrm_metrics *q, const double *v)
{
	size_t k = 0;
	q->valid = (long)v[k++];
	for (int h = 0; h < 2; h++) {
		q->exact[h] = (long)v[k++];
		q->q_halt[h] = (long)v[k++];
		q->acc[h] = v[k++];
		q->steps[h] = v[k++];
	}
	for (int s = 0; s < q->M; s++) {
		q->exact_at[s] = (long)v[k++];
		q->acc_at[s] = v[k++];
		q->used_at[s] = (long)v[k++];
	}
}

int trainer_dist_eval(struct trainer *tr, const struct hrm_model *m, struct sample_source *src, uint64_t seed, int n,
		      int M, struct hrm_metrics *out, char **cause)
{
	int N = tr->nranks;
	if (N == 1)
		return evaluate(m, tr->opts.dtype, src, seed, n, tr->batch.B, M, out, cause);
	int64_t lo = (int64_t)n * tr->rank / N, hi = (int64_t)n * (tr->rank + 1) / N;
	int rc = 0;
	if (hi > lo)
		rc = evaluate_from(m, tr->opts.dtype, src, seed, lo, (int)(hi - lo), tr->batch.B, M, out, cause);
	else
		hrm_metrics_init(out, M);
	/* a rank that failed says why; the others stop with it */
	if (dist_max_int(rc != 0) != 0)
		return rc != 0 ? -1 : set_cause(cause, "evaluation failed on another rank");
	double *v = xmalloc((9 + 3 * (size_t)M) * sizeof *v); /* metrics_pack's count */
	size_t k = metrics_pack(out, v);
	dist_sum_doubles(v, k);
	metrics_unpack(out, v);
	free(v);
	return 0;
}

void trainer_dist_gather_rows(const struct trainer *tr, struct dist_rows *g)
{
	const struct train_batch *b = &tr->batch;
	int N = tr->nranks, Bl = b->B;
	size_t S = (size_t)b->S, TD = (size_t)b->T * b->d;
	memset(g, 0, sizeof *g);
	g->B = tr->opts.batch;
	int nl = tr->row_streams ? Bl : 1; /* streams held here */
	g->nrng = tr->row_streams ? g->B : 1;
	int64_t *rng = xcalloc((size_t)nl * 4, sizeof *rng);
	double *spare = xcalloc((size_t)nl * 2, sizeof *spare);
	for (int r = 0; r < nl; r++) {
		const struct hrm_rng *x = tr->row_streams ? &tr->row_rng[r] : &tr->rng;
		memcpy(rng + 4 * r, x->s, sizeof x->s);
		spare[2 * r] = x->has_spare;
		spare[2 * r + 1] = x->spare;
	}
	if (N == 1) {
		*g = (struct dist_rows){
			.B = g->B, .nrng = g->nrng, .inputs = b->inputs, .labels = b->labels, .puzzle_ids = b->puzzle_ids,
			.steps = b->steps, .zH = b->zH, .zL = b->zL, .halted = b->halted, .run_to_max = tr->run_to_max,
			.rng = rng, .spare = spare,
		};
		return;
	}
	bool root = tr->rank == 0;
	size_t B = (size_t)g->B;
	g->owned = true;
	if (root) {
		g->inputs = xcalloc(B * S, sizeof *g->inputs);
		g->labels = xcalloc(B * S, sizeof *g->labels);
		g->puzzle_ids = xcalloc(B, sizeof *g->puzzle_ids);
		g->steps = xcalloc(B, sizeof *g->steps);
		g->zH = xcalloc(B * TD, sizeof *g->zH);
		g->zL = xcalloc(B * TD, sizeof *g->zL);
		g->halted = xcalloc(B, sizeof *g->halted);
		g->run_to_max = xcalloc(B, sizeof *g->run_to_max);
		g->rng = xcalloc((size_t)g->nrng * 4, sizeof *g->rng);
		g->spare = xcalloc((size_t)g->nrng * 2, sizeof *g->spare);
	}
	dist_gather(b->inputs, Bl * S * sizeof(int32_t), g->inputs);
	dist_gather(b->labels, Bl * S * sizeof(int32_t), g->labels);
	dist_gather(b->puzzle_ids, Bl * sizeof(int32_t), g->puzzle_ids);
	dist_gather(b->steps, Bl * sizeof(int32_t), g->steps);
	dist_gather(b->zH, Bl * TD * sizeof(float), g->zH);
	dist_gather(b->zL, Bl * TD * sizeof(float), g->zL);
	dist_gather(b->halted, Bl * sizeof(bool), g->halted);
	dist_gather(tr->run_to_max, Bl * sizeof(bool), g->run_to_max);
	if (tr->row_streams) {
		dist_gather(rng, (size_t)nl * 4 * sizeof *rng, g->rng);
		dist_gather(spare, (size_t)nl * 2 * sizeof *spare, g->spare);
	} else if (root) {
		/* a single stream cannot be split over ranks: plan refuses that */
		memcpy(g->rng, rng, 4 * sizeof *rng);
		memcpy(g->spare, spare, 2 * sizeof *spare);
	}
	free(rng);
	free(spare);
}

void dist_rows_free(struct dist_rows *g)
{
	if (g->owned) {
		free(g->inputs);
		free(g->labels);
		free(g->puzzle_ids);
		free(g->steps);
		free(g->zH);
		free(g->zL);
		free(g->halted);
		free(g->run_to_max);
	}
	free(g->rng);
	free(g->spare);
	memset(g, 0, sizeof *g);
}
