/* train_state.c - trainer set-up, resumable checkpoints, tear-down. */
#include "train/train_state.h"
#include "train/dist.h"
#include "train/trainer_dist.h"
#include "io/checkpoint.h"
#include "model/engine.h"
#include "puzzles/maze.h"
#include "io/torchzip.h"
#include "io/torchzip_write.h"
#include "core/util.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Keep the header and the rows whose step (first field) is <= step: a run
 * killed after logging but before its checkpoint logs those steps again.
 * A last line without its newline is half a row cut off by the kill and is
 * dropped too (its step may even look small: "1" of "12,..."). */
static int truncate_log(const char *path, long step, char **cause)
{
	char *data;
	size_t len;
	if (!path_exists(path))
		return 0;
	if (read_file_all(path, (size_t)1 << 30, &data, &len, cause) != 0)
		return -1;
	char *out = xmalloc(len + 1);
	size_t o = 0;
	bool header = true;
	for (char *line = data; *line;) {
		char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line + 1) : strlen(line);
		if (nl != NULL && (header || strtol(line, NULL, 10) <= step)) {
			memcpy(out + o, line, n);
			o += n;
		}
		header = false;
		line += n;
	}
	int rc = write_file_atomic(path, out, o, cause);
	free(out);
	free(data);
	return rc;
}

static FILE *open_log(const char *dir, const char *name, bool append, long step, char **cause)
{
	char *p = path_join(dir, name);
	FILE *f = NULL;
	if (append && truncate_log(p, step, cause) != 0)
		goto out;
	f = fopen(p, append ? "a" : "w");
	if (f == NULL)
		set_cause(cause, "%s: cannot open: %s", p, strerror(errno));
out:
	free(p);
	return f;
}

/* The log of an option a run may have been resumed with for the first time:
 * appended to (cut back to the step) when there, else made with its header. */
static FILE *open_option_log(const struct trainer_opts *o, const char *name, long step, const char *header,
			     char **cause)
{
	char *p = path_join(o->out, name);
	bool have = o->resume && path_exists(p);
	free(p);
	FILE *f = open_log(o->out, name, have, step, cause);
	if (f != NULL && !have)
		fprintf(f, "%s\n", header);
	return f;
}

/* --eval-min-path: the training sizes (and the held-out size) with room for
 * a path of twice the minimum, so that the held-out mazes come easily. */
static int open_path_log(struct trainer *tr, const struct trainer_opts *o, char **cause)
{
	int cand[SAMPLES_MAX_MIX + 1], L = o->eval_min_path;
	int n = samples_mix_sides(&tr->src, cand);
	bool have_side = false;
	for (int i = 0; i < n; i++)
		have_side |= cand[i] == tr->src.side;
	if (!have_side)
		cand[n++] = tr->src.side;
	tr->npath = 0;
	for (int i = 0; i < n; i++)
		if (2 * L <= maze_longest_path(cand[i]))
			tr->path_sides[tr->npath++] = cand[i];
	if (tr->npath == 0)
		return set_cause(cause, "--eval-min-path %d: no training size has room for a path of %d moves "
				 "(%dx%d: at most %d)", L, 2 * L, tr->src.side, tr->src.side,
				 maze_longest_path(tr->src.side));
	if (tr->rank != 0)
		return 0;
	for (int i = 0; i < n && !o->quiet; i++)
		if (2 * L > maze_longest_path(cand[i]))
			fprintf(stderr, "--eval-min-path %d: %dx%d mazes left out (their paths are at most %d moves)\n", L,
				cand[i], cand[i], maze_longest_path(cand[i]));
	tr->path_log = open_option_log(o, "eval_path_log.csv", tr->step,
				       "step,M,size,canvas,min_path,n,exact_accuracy,exact_seg1,adaptive_exact,token_accuracy",
				       cause);
	return tr->path_log != NULL ? 0 : -1;
}

static int open_sources(struct trainer *tr, char **cause)
{
	const struct trainer_opts *o = &tr->opts;
	if (o->data) {
		if (samples_open_dataset(&tr->src, o->data, "train", cause) != 0)
			return -1;
		if (samples_open_dataset(&tr->eval_src, o->data, "test", cause) != 0)
			return -1;
		if (tr->eval_src.seq_len != tr->src.seq_len)
			return set_cause(cause, "%s: train and test splits have different seq_len", o->data);
		return 0;
	}
	if (o->sudoku_givens > 0) {
		/* held-out sudokus: the same generator with another seed stream */
		tr->eval_seed = o->seed ^ 0x5eed0fe7a15eedULL;
		if (samples_open_sudoku(&tr->src, o->sudoku_givens, o->sudoku_givens_hi, cause) != 0)
			return -1;
		/* a range is evaluated at its hardest end */
		return samples_open_sudoku(&tr->eval_src, o->sudoku_givens, 0, cause);
	}
	if (samples_open_maze(&tr->src, o->maze_side, o->maze_canvas, o->maze_min_path, o->maze_loops, cause) != 0)
		return -1;
	if (o->maze_nmix > 0 && samples_set_maze_mix(&tr->src, o->maze_mix, o->maze_nmix, cause) != 0)
		return -1;
	/* held-out mazes: the same generator with another seed stream */
	tr->eval_seed = o->seed ^ 0x5eed0fe7a15eedULL;
	return samples_open_maze(&tr->eval_src, o->maze_side, o->maze_canvas, o->maze_min_path, o->maze_loops, cause);
}

static void put(struct tz_archive *a, const char *name, enum tz_dtype t, int64_t n0, int64_t n1, const void *src)
{
	struct tz_tensor *x = &a->tensors[a->count++];
	memset(x, 0, sizeof *x);
	x->name = xstrdup(name);
	x->dtype = t;
	x->ndim = n1 > 0 ? 2 : 1;
	x->shape[0] = n0;
	x->shape[1] = n1;
	x->numel = n0 * (n1 > 0 ? n1 : 1);
	x->data = (void *)src; /* written from where it is (tz_save streams it) */
	x->borrowed = true;
}

/* Every log row of the steps a checkpoint counts is on disk before the
 * checkpoint is: otherwise a kill after it loses rows (the eval log's
 * header, written at the start, sat in the stdio buffer until the first
 * evaluation) that --resume then never writes again.  A write that failed
 * earlier (a full disk) stops the run here too. */
static int sync_logs(const struct trainer *tr, char **cause)
{
	FILE *const logs[4] = { tr->log, tr->eval_log, tr->mix_log, tr->path_log };
	static const char *const names[4] = { "train_log.csv", "eval_log.csv", "eval_mix_log.csv", "eval_path_log.csv" };
	for (int i = 0; i < 4; i++) {
		if (logs[i] == NULL)
			continue;
		char *p = path_join(tr->opts.out, names[i]);
		int rc = stream_check(logs[i], p, cause);
		if (rc == 0 && fsync(fileno(logs[i])) != 0)
			rc = set_cause(cause, "%s: write failed: %s", p, strerror(errno));
		free(p);
		if (rc != 0)
			return -1;
	}
	return 0;
}

int train_state_save(struct trainer *tr, char **cause)
{
	const struct trainer_opts *o = &tr->opts;
	const struct train_batch *b = &tr->batch;
	/* every rank's rows to rank 0, which alone writes */
	struct dist_rows g;
	trainer_dist_gather_rows(tr, &g);
	if (tr->rank != 0) {
		dist_rows_free(&g);
		return 0;
	}
	if (sync_logs(tr, cause) != 0 || hrm_model_save(o->ema > 0 ? &tr->ema : &tr->model, o->out, cause) != 0) {
		dist_rows_free(&g);
		return -1;
	}
	struct tz_archive a = { .tensors = xcalloc(24, sizeof(struct tz_tensor)) };
	int64_t n = (int64_t)tr->model.arena_floats, B = g.B, S = b->S, TD = (int64_t)b->T * b->d;
	put(&a, "param_arena", TZ_F32, n, 0, tr->model.arena);
	if (o->ema > 0)
		put(&a, "ema_arena", TZ_F32, n, 0, tr->ema.arena);
	put(&a, "adam_m", TZ_F32, n, 0, tr->opt.m);
	put(&a, "adam_v", TZ_F32, n, 0, tr->opt.v);
	put(&a, "batch.inputs", TZ_I32, B, S, g.inputs);
	put(&a, "batch.labels", TZ_I32, B, S, g.labels);
	put(&a, "batch.puzzle_ids", TZ_I32, B, 0, g.puzzle_ids);
	put(&a, "batch.zH", TZ_F32, B, TD, g.zH);
	put(&a, "batch.zL", TZ_F32, B, TD, g.zL);
	put(&a, "batch.steps", TZ_I32, B, 0, g.steps);
	put(&a, "batch.halted", TZ_BOOL, B, 0, g.halted);
	put(&a, "batch.run_to_max", TZ_BOOL, B, 0, g.run_to_max);
	/* one stream, or one per row (runs under MPI; "ranks" says how many
	 * ranks the rows were split over) */
	bool rows = tr->row_streams;
	put(&a, "rng", TZ_I64, rows ? g.nrng : 4, rows ? 4 : 0, g.rng);
	put(&a, "rng_spare", TZ_F64, rows ? g.nrng : 2, rows ? 2 : 0, g.spare);
	int64_t ranks = tr->nranks;
	if (rows)
		put(&a, "ranks", TZ_I64, 1, 0, &ranks);
	double best = tr->best_exact;
	int64_t counters[5] = { tr->step, tr->M, tr->opt.step, B, S };
	put(&a, "counters", TZ_I64, 5, 0, counters);
	put(&a, "best_exact", TZ_F64, 1, 0, &best);
	char *p = path_join(o->out, "train_state");
	int rc = tz_save(p, &a, cause);
	free(p);
	tz_free(&a);
	dist_rows_free(&g);
	return rc;
}

static int get(const struct tz_archive *a, const char *file, const char *name, enum tz_dtype t, int64_t numel,
	       void *dst, char **cause)
{
	const struct tz_tensor *x = tz_find(a, name);
	if (x == NULL)
		return set_cause(cause, "%s: no '%s' (not a train_state of this hrmscope?)", file, name);
	if (x->dtype != t || x->numel != numel)
		return set_cause(cause, "%s: '%s' has %lld %s values, expected %lld %s (different batch or model?)", file,
				 name, (long long)x->numel, tz_dtype_name(x->dtype), (long long)numel, tz_dtype_name(t));
	memcpy(dst, x->data, (size_t)numel * tz_dtype_size(t));
	return 0;
}

/* Rows [row0, row0 + rows) of a [total][width] tensor (this rank's share
 * of the global batch), after the same checks as get. */
static int get_rows(const struct tz_archive *a, const char *file, const char *name, enum tz_dtype t, int64_t total,
		    int64_t width, int64_t row0, int64_t rows, void *dst, char **cause)
{
	const struct tz_tensor *x = tz_find(a, name);
	if (x == NULL)
		return set_cause(cause, "%s: no '%s' (not a train_state of this hrmscope?)", file, name);
	if (x->dtype != t || x->numel != total * width)
		return set_cause(cause, "%s: '%s' has %lld %s values, expected %lld %s (different batch or model?)", file,
				 name, (long long)x->numel, tz_dtype_name(x->dtype), (long long)(total * width),
				 tz_dtype_name(t));
	size_t es = tz_dtype_size(t);
	memcpy(dst, (const char *)x->data + (size_t)(row0 * width) * es, (size_t)(rows * width) * es);
	return 0;
}

/* What a train_state of this run may hold, checked before anything is read:
 * each name, its dtype, and at most so many values (the batch tensors up to
 * the largest --batch, so that a run saved with another batch reaches the
 * counters' message; the arenas exactly the model's size). */
#define STATE_MAX_BATCH 4096
struct state_entry {
	const char *name;
	enum tz_dtype dtype;
	int64_t most;
};
struct state_expect {
	struct state_entry e[17];
	size_t n;
};

static int state_check(void *user, const char *name, enum tz_dtype dtype, int ndim, const int64_t *shape,
		       int64_t numel, char **cause)
{
	(void)shape;
	const struct state_expect *x = user;
	for (size_t i = 0; i < x->n; i++) {
		const struct state_entry *e = &x->e[i];
		if (strcmp(e->name, name) != 0)
			continue;
		if (dtype != e->dtype || ndim > 2 || numel > e->most)
			return set_cause(cause, "'%s' holds %lld %s values, more than this run's %lld %s (damaged file?)",
					 name, (long long)numel, tz_dtype_name(dtype), (long long)e->most,
					 tz_dtype_name(e->dtype));
		return 0;
	}
	return set_cause(cause, "unexpected entry '%s' (not a train_state of this hrmscope?)", name);
}

static void state_expect_init(struct state_expect *x, const struct trainer *tr)
{
	const struct train_batch *b = &tr->batch;
	int64_t n = (int64_t)tr->model.arena_floats, rows = STATE_MAX_BATCH, S = b->S, TD = (int64_t)b->T * b->d;
	const struct state_entry e[] = {
	    {"param_arena", TZ_F32, n},           {"ema_arena", TZ_F32, n},
	    {"adam_m", TZ_F32, n},                {"adam_v", TZ_F32, n},
	    {"batch.inputs", TZ_I32, rows * S},   {"batch.labels", TZ_I32, rows * S},
	    {"batch.puzzle_ids", TZ_I32, rows},   {"batch.zH", TZ_F32, rows * TD},
	    {"batch.zL", TZ_F32, rows * TD},      {"batch.steps", TZ_I32, rows},
	    {"batch.halted", TZ_BOOL, rows},      {"batch.run_to_max", TZ_BOOL, rows},
	    {"rng", TZ_I64, rows * 4},            {"rng_spare", TZ_F64, rows * 2},
	    {"ranks", TZ_I64, 1},
	    {"counters", TZ_I64, 5},              {"best_exact", TZ_F64, 1},
	};
	x->n = sizeof e / sizeof e[0];
	memcpy(x->e, e, sizeof e);
}

/* A bool stored as a byte other than 0 or 1 would be undefined behaviour
 * once read as bool: checked on the bytes before they are copied. */
static int get_bools(const struct tz_archive *a, const char *file, const char *name, int64_t total, int64_t row0,
		     int64_t rows, bool *dst, char **cause)
{
	const struct tz_tensor *x = tz_find(a, name);
	if (x != NULL && x->dtype == TZ_BOOL && x->numel == total)
		for (int64_t i = 0; i < total; i++)
			if (((const uint8_t *)x->data)[i] > 1)
				return set_cause(cause, "%s: '%s' holds the byte %u at %lld, not a bool (damaged file?)", file,
						 name, ((const uint8_t *)x->data)[i], (long long)i);
	return get_rows(a, file, name, TZ_BOOL, total, 1, row0, rows, dst, cause);
}

/* Every value a resumed run will compute with, checked: weights, moments
 * and carried states finite (a NaN would poison every step after it, and
 * reach undefined behaviour in the fast exp), second moments >= 0, each
 * row's segment count within the model's halt_max_steps. */
static int check_state_values(const struct trainer *tr, const char *file, char **cause)
{
	const struct train_batch *b = &tr->batch;
	size_t n = tr->model.arena_floats, TD = (size_t)b->T * b->d;
	struct {
		const char *name;
		const float *v;
		size_t n;
	} f[] = {
	    {"param_arena", tr->model.arena, n}, {"ema_arena", tr->opts.ema > 0 ? tr->ema.arena : NULL, n},
	    {"adam_m", tr->opt.m, n},            {"adam_v", tr->opt.v, n},
	    {"batch.zH", b->zH, b->B * TD},      {"batch.zL", b->zL, b->B * TD},
	};
	for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
		for (size_t i = 0; f[k].v != NULL && i < f[k].n; i++)
			if (!isfinite(f[k].v[i]) || (f[k].v == tr->opt.v && f[k].v[i] < 0))
				return set_cause(cause, "%s: '%s' holds %g at %zu: a state to resume must be finite%s (damaged file?)",
						 file, f[k].name, (double)f[k].v[i], i, f[k].v == tr->opt.v ? " and >= 0" : "");
	for (int r = 0; r < b->B; r++)
		if (b->steps[r] < 0 || b->steps[r] > tr->model.cfg.halt_max_steps)
			return set_cause(cause, "%s: row %d has run %d segments, outside 0..%d (damaged file?)", file, r,
					 b->steps[r], tr->model.cfg.halt_max_steps);
	bool spare_ok = isfinite(tr->rng.spare);
	for (int r = 0; tr->row_streams && r < b->B; r++)
		spare_ok = spare_ok && isfinite(tr->row_rng[r].spare);
	if (!spare_ok || !(tr->best_exact >= -1 && tr->best_exact <= 1))
		return set_cause(cause, "%s: the saved random state or best accuracy is out of range (damaged file?)", file);
	return 0;
}

/* The train_state p (a file, or len bytes at buf named p) into tr. */
static int read_state(struct trainer *tr, const char *p, const void *buf, size_t len, char **cause)
{
	struct tz_archive a = { 0 };
	struct train_batch *b = &tr->batch;
	int rc = -1;
	struct state_expect x;
	state_expect_init(&x, tr);
	struct tz_expect te = {.max_tensors = x.n, .check = state_check, .user = &x};
	if ((buf ? tz_load_mem_expect(buf, len, p, &te, &a, cause) : tz_load_expect(p, &te, &a, cause)) != 0)
		goto out;
	int64_t counters[5], n = (int64_t)tr->model.arena_floats, TD = (int64_t)b->T * b->d;
	if (get(&a, p, "counters", TZ_I64, 5, counters, cause) != 0)
		goto out;
	if (counters[3] != tr->opts.batch || counters[4] != b->S) {
		set_cause(cause, "%s: saved with batch %lld and seq_len %lld; resume with --batch %lld", p,
			  (long long)counters[3], (long long)counters[4], (long long)counters[3]);
		goto out;
	}
	if (counters[1] < 1 || counters[1] > tr->model.cfg.halt_max_steps) {
		set_cause(cause, "%s: saved halt_max_steps %lld is outside 1..%d, the model's range (damaged file?)", p,
			  (long long)counters[1], tr->model.cfg.halt_max_steps);
		goto out;
	}
	if (counters[0] < 0 || counters[2] < 0) {
		set_cause(cause, "%s: saved step %lld / optimiser step %lld is negative (damaged file?)", p,
			  (long long)counters[0], (long long)counters[2]);
		goto out;
	}
	/* one random stream per row (saved by a run under MPI, with the
	 * number of ranks), or the single-process run's one stream */
	int64_t ranks = 1;
	bool rows = tz_find(&a, "ranks") != NULL;
	if (rows && get(&a, p, "ranks", TZ_I64, 1, &ranks, cause) != 0)
		goto out;
	if ((rows ? ranks : 1) != tr->nranks) {
		if (rows)
			set_cause(cause, "%s: saved by a run on %lld ranks, this one has %d: resume with the same number of "
				  "ranks (mpirun -np %lld)", p, (long long)ranks, tr->nranks, (long long)ranks);
		else
			set_cause(cause, "%s: saved by a single process (1 rank), this run has %d ranks: resume it without "
				  "mpirun (or with -np 1)", p, tr->nranks);
		goto out;
	}
	tr->row_streams = rows;
	int64_t B = tr->opts.batch, r0 = tr->row0, Bl = b->B;
	if (get(&a, p, "param_arena", TZ_F32, n, tr->model.arena, cause) ||
	    (tr->opts.ema > 0 && tz_find(&a, "ema_arena") && get(&a, p, "ema_arena", TZ_F32, n, tr->ema.arena, cause)) ||
	    get(&a, p, "adam_m", TZ_F32, n, tr->opt.m, cause) || get(&a, p, "adam_v", TZ_F32, n, tr->opt.v, cause) ||
	    get_rows(&a, p, "batch.inputs", TZ_I32, B, b->S, r0, Bl, b->inputs, cause) ||
	    get_rows(&a, p, "batch.labels", TZ_I32, B, b->S, r0, Bl, b->labels, cause) ||
	    get_rows(&a, p, "batch.puzzle_ids", TZ_I32, B, 1, r0, Bl, b->puzzle_ids, cause) ||
	    get_rows(&a, p, "batch.zH", TZ_F32, B, TD, r0, Bl, b->zH, cause) ||
	    get_rows(&a, p, "batch.zL", TZ_F32, B, TD, r0, Bl, b->zL, cause) ||
	    get_rows(&a, p, "batch.steps", TZ_I32, B, 1, r0, Bl, b->steps, cause) ||
	    get_bools(&a, p, "batch.halted", B, r0, Bl, b->halted, cause) ||
	    get_bools(&a, p, "batch.run_to_max", B, r0, Bl, tr->run_to_max, cause) ||
	    get(&a, p, "best_exact", TZ_F64, 1, &tr->best_exact, cause))
		goto out;
	int64_t nrng = rows ? Bl : 1;
	int64_t *rng = xcalloc((size_t)nrng * 4, sizeof *rng);
	double *spare = xcalloc((size_t)nrng * 2, sizeof *spare);
	if (get_rows(&a, p, "rng", TZ_I64, rows ? B : 1, 4, rows ? r0 : 0, nrng, rng, cause) ||
	    get_rows(&a, p, "rng_spare", TZ_F64, rows ? B : 1, 2, rows ? r0 : 0, nrng, spare, cause)) {
		free(rng);
		free(spare);
		goto out;
	}
	for (int64_t r = 0; r < nrng; r++) {
		struct hrm_rng *x = rows ? &tr->row_rng[r] : &tr->rng;
		memcpy(x->s, rng + 4 * r, sizeof x->s);
		x->has_spare = spare[2 * r] != 0;
		x->spare = spare[2 * r + 1];
	}
	free(rng);
	free(spare);
	if (check_state_values(tr, p, cause) != 0)
		goto out;
	tr->step = (long)counters[0];
	tr->M = (int)counters[1];
	tr->opt.step = (long)counters[2];
	rc = 0;
out:
	tz_free(&a);
	return rc;
}

static int load_state(struct trainer *tr, char **cause)
{
	char *p = path_join(tr->opts.out, "train_state");
	int rc = read_state(tr, p, NULL, 0, cause);
	free(p);
	return rc;
}

int train_state_load_mem(struct trainer *tr, const void *buf, size_t len, const char *name, char **cause)
{
	return read_state(tr, name, buf, len, cause);
}

/* The run's own choices on top of a new or warm-started architecture; the
 * loss is recorded so that all_config.yaml names the one trained with. */
static void apply_run_options(struct hrm_config *c, const struct trainer_opts *o)
{
	if (o->exploration >= 0)
		c->halt_exploration_prob = o->exploration;
	snprintf(c->loss_type, sizeof c->loss_type, "%s",
		 o->loss == HRM_LOSS_SOFTMAX ? "softmax_cross_entropy" : "stablemax_cross_entropy");
}

int trainer_setup(struct trainer *tr, const struct trainer_opts *o, char **cause)
{
	memset(tr, 0, sizeof *tr);
	tr->opts = *o;
	tr->best_exact = -1;
	char *state = path_join(o->out, "train_state");
	bool have_state = path_exists(state);
	free(state);
	if (have_state && !o->resume)
		return set_cause(cause, "%s already holds a training run: add --resume to continue it, or choose another -o",
				 o->out);
	if (o->resume && !have_state)
		return set_cause(cause, "%s: no train_state to resume from", o->out);
	if (trainer_dist_plan(tr, cause) != 0)
		return -1;
	if (mkdir(o->out, 0755) != 0 && errno != EEXIST)
		return set_cause(cause, "%s: cannot create directory: %s", o->out, strerror(errno));
	hrm_set_threads(o->threads);
	if (open_sources(tr, cause) != 0)
		return -1;
	if (o->resume) {
		/* the trainer writes every tensor and saves the arena: its own copy */
		if (hrm_model_load(&tr->model, o->out, cause) != 0 || hrm_model_own(&tr->model, cause) != 0)
			return -1;
		if (tr->model.cfg.seq_len == 0)
			tr->model.cfg.seq_len = tr->src.seq_len;
	} else if (o->init != NULL) {
		/* warm start: the weights (and architecture) of another checkpoint, a
		 * fresh optimiser; RoPE models may move to another puzzle size */
		if (hrm_model_load(&tr->model, o->init, cause) != 0 || hrm_model_own(&tr->model, cause) != 0)
			return -1;
		struct hrm_config *c = &tr->model.cfg;
		if (c->pos_encodings == HRM_POS_LEARNED && c->seq_len != tr->src.seq_len)
			return set_cause(cause, "%s: learned positions for seq_len %d cannot start a run on seq_len %d",
					 o->init, c->seq_len, tr->src.seq_len);
		if (c->mlp_t && c->seq_len != tr->src.seq_len)
			return set_cause(cause, "%s: mlp_t blocks that mix seq_len %d cannot start a run on seq_len %d",
					 o->init, c->seq_len, tr->src.seq_len);
		if (c->vocab_size != tr->src.vocab_size)
			return set_cause(cause, "%s: vocabulary %d does not fit the data (vocabulary %d)", o->init,
					 c->vocab_size, tr->src.vocab_size);
		if (c->puzzle_emb_ndim > 0 && c->num_puzzle_identifiers != tr->src.num_puzzle_identifiers)
			return set_cause(cause, "%s: %d puzzle identifiers, the data has %d", o->init,
					 c->num_puzzle_identifiers, tr->src.num_puzzle_identifiers);
		c->seq_len = tr->src.seq_len;
		apply_run_options(c, o);
	} else {
		struct hrm_config c;
		hrm_config_default(&c);
		if (o->arch == NULL)
			return set_cause(cause, "train: --arch FILE is needed for a new run");
		if (hrm_config_load_yaml(o->arch, &c, cause) != 0)
			return -1;
		c.vocab_size = tr->src.vocab_size;
		c.seq_len = tr->src.seq_len;
		c.num_puzzle_identifiers = c.puzzle_emb_ndim > 0 ? tr->src.num_puzzle_identifiers : 0;
		apply_run_options(&c, o);
		if (hrm_model_alloc(&tr->model, &c, cause) != 0)
			return prefix_cause(cause, "%s", o->arch);
		hrm_model_init_random(&tr->model, o->seed);
	}
	if (tr->model.cfg.seq_len != tr->src.seq_len || tr->model.cfg.vocab_size != tr->src.vocab_size)
		return set_cause(cause, "%s: the model (seq_len %d, vocab %d) does not fit the data (seq_len %d, vocab %d)",
				 o->out, tr->model.cfg.seq_len, tr->model.cfg.vocab_size, tr->src.seq_len,
				 tr->src.vocab_size);
	/* all_config.yaml records the settings this run trains with */
	tr->model.cfg.train = (struct hrm_train_record){
		.set = true, .global_batch_size = o->batch, .lr = o->lr, .lr_min_ratio = o->lr_min_ratio,
		.beta1 = o->beta1, .beta2 = o->beta2, .weight_decay = o->weight_decay,
		.puzzle_emb_lr = o->puzzle_emb_lr, .puzzle_emb_weight_decay = o->puzzle_emb_weight_decay,
		.lr_warmup_steps = o->warmup, .seed = (unsigned long)o->seed,
	};
	/* the arithmetic trained in, as the official config names it */
	snprintf(tr->model.cfg.forward_dtype, sizeof tr->model.cfg.forward_dtype, "%s",
		 o->dtype == HRM_DTYPE_BF16 ? "bfloat16" : "float32");
	if (hrm_model_alloc(&tr->grads, &tr->model.cfg, cause) != 0)
		return -1;
	/* the architecture's own recipe where the options leave it open: TRM's
	 * last-cycle gradient and the EMA (0.999) its published runs use */
	if (tr->opts.grad == TRAIN_GRAD_ARCH)
		tr->opts.grad = train_grad_official(&tr->model.cfg);
	if (tr->opts.ema < 0)
		tr->opts.ema = tr->model.cfg.arch == HRM_ARCH_TRM ? TRM_PUBLISHED_EMA : 0.0;
	tr->model.cfg.train.ema = tr->opts.ema;
	o = &tr->opts;
	if (o->ema > 0) {
		if (hrm_model_alloc(&tr->ema, &tr->model.cfg, cause) != 0)
			return -1;
		memcpy(tr->ema.arena, tr->model.arena, tr->model.arena_floats * sizeof(float));
	}
	if (optim_init(&tr->opt, &tr->model, o->optim, o->beta1, o->beta2, o->weight_decay, cause) != 0)
		return -1;
	/* this rank's rows of the global batch (all of them in one process) */
	int rows = o->batch / tr->nranks;
	tr->run_to_max = xcalloc((size_t)rows, sizeof *tr->run_to_max);
	if (train_batch_alloc(&tr->batch, &tr->model.cfg, rows, tr->src.seq_len) != 0)
		return set_cause(cause, "train: out of memory for the batch");
	if (trainer_dist_alloc(tr, cause) != 0)
		return -1;
	/* a new run under MPI draws each row from its own stream (a resumed
	 * run keeps the saved run's way) */
	tr->row_streams = dist_active();
	tr->ctx = train_ctx_new(&tr->model.cfg, trainer_dist_part_rows(tr), tr->src.seq_len, o->grad, cause);
	if (tr->ctx == NULL || train_ctx_set_dtype(tr->ctx, o->dtype, cause) != 0)
		return -1;
	hrm_rng_seed(&tr->rng, o->seed + 1);
	tr->M = o->m_start > 0 ? o->m_start : tr->model.cfg.halt_max_steps;
	if (o->resume && load_state(tr, cause) != 0)
		return -1;
	if (o->stop_at > 0 && o->stop_at <= tr->step)
		return set_cause(cause, "train: --stop-at %ld is not after the run's saved step %ld (%s/train_state)",
				 o->stop_at, tr->step, o->out);
	if (o->m_now > 0)
		tr->M = o->m_now;
	/* a saved M was range-checked by load_state: only the options get here */
	if (tr->M > tr->model.cfg.halt_max_steps)
		return set_cause(cause, "train: %s %d is above the model's halt_max_steps %d",
				 o->m_now > 0 ? "--m-now" : "--m-start", tr->M, tr->model.cfg.halt_max_steps);
	if (tr->rank != 0)
		return o->eval_min_path > 0 ? open_path_log(tr, o, cause) : 0; /* rank 0 alone writes the logs */
	tr->log = open_log(o->out, "train_log.csv", o->resume, tr->step, cause);
	tr->eval_log = tr->log ? open_log(o->out, "eval_log.csv", o->resume, tr->step, cause) : NULL;
	if (tr->log == NULL || tr->eval_log == NULL)
		return -1;
	if (tr->src.nmix > 0) {
		tr->mix_log = open_option_log(o, "eval_mix_log.csv", tr->step,
					      "step,M,size,canvas,n,exact_accuracy,exact_seg1,adaptive_exact,token_accuracy",
					      cause);
		if (tr->mix_log == NULL)
			return -1;
	}
	if (o->eval_min_path > 0 && open_path_log(tr, o, cause) != 0)
		return -1;
	if (!o->resume) {
		fprintf(tr->log, "step,lr,M,loss,lm_loss,q_halt_loss,q_continue_loss,accuracy,exact_accuracy,"
				 "q_halt_accuracy,steps,count,grad_norm,samples_per_s\n");
		fprintf(tr->eval_log, "step,M,n,exact_accuracy,token_accuracy,q_halt_accuracy,adaptive_exact,"
				      "adaptive_steps");
		for (int s = 0; s < tr->model.cfg.halt_max_steps; s++)
			fprintf(tr->eval_log, ",exact_seg%d", s + 1);
		fprintf(tr->eval_log, "\n");
	}
	return 0;
}

void trainer_teardown(struct trainer *tr)
{
	if (tr->log)
		fclose(tr->log);
	if (tr->eval_log)
		fclose(tr->eval_log);
	if (tr->mix_log)
		fclose(tr->mix_log);
	if (tr->path_log)
		fclose(tr->path_log);
	train_ctx_free(tr->ctx);
	optim_free(&tr->opt);
	train_batch_free(&tr->batch);
	free(tr->run_to_max);
	trainer_dist_free(tr);
	samples_close(&tr->src);
	samples_close(&tr->eval_src);
	if (tr->ema.arena)
		hrm_model_free(&tr->ema);
	if (tr->grads.arena)
		hrm_model_free(&tr->grads);
	if (tr->model.arena)
		hrm_model_free(&tr->model);
}
