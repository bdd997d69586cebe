/* probe_simple.c - easy variants of solved puzzles and the outcome of a run
 * on them (see probe_simple.h). */
#include "analysis/probe_simple.h"
#include "model/engine.h"
#include "puzzles/maze.h"
#include "puzzles/sudoku.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

void probe_variant_rng(uint64_t seed, long puzzle, int level, int replica, struct hrm_rng *r)
{
	/* distinct odd multipliers keep nearby (puzzle, level, replica) apart;
	 * hrm_rng_seed runs the result through splitmix64 */
	uint64_t k = seed * 0x9e3779b97f4a7c15ULL ^ (uint64_t)puzzle * 0xbf58476d1ce4e5b9ULL ^
		     (uint64_t)(unsigned)level * 0x94d049bb133111ebULL ^ (uint64_t)(unsigned)replica * 0x2545f4914f6cdd1dULL;
	hrm_rng_seed(r, k);
}

/* ---- sudoku ---- */

int probe_check_sudoku(const struct puzzle *p, char **cause)
{
	if (p->kind != PUZZLE_SUDOKU)
		return set_cause(cause, "%s: not a sudoku", p->name);
	if (!p->has_label)
		return set_cause(cause, "%s: no solution to make variants from", p->name);
	if (!sudoku_check_answer(p, p->label, NULL))
		return set_cause(cause, "%s: the label is not a complete grid that keeps the givens and the rules",
				 p->name);
	return 0;
}

int probe_sudoku_variant(const struct puzzle *solved, int blanks, struct hrm_rng *r, struct puzzle *out,
			 char **cause)
{
	if (blanks < 1 || blanks > PROBE_MAX_BLANKS)
		return set_cause(cause, "%d blanks: expected 1..%d", blanks, PROBE_MAX_BLANKS);
	if (probe_check_sudoku(solved, cause) != 0)
		return -1;
	int cells[SUDOKU_CELLS];
	for (int t = 0; t < PROBE_TRIES; t++) {
		for (int i = 0; i < SUDOKU_CELLS; i++)
			cells[i] = i;
		/* the first `blanks` of a partial Fisher-Yates shuffle */
		for (int i = 0; i < blanks; i++) {
			int j = i + (int)hrm_rng_below(r, (uint64_t)(SUDOKU_CELLS - i)), c = cells[i];
			cells[i] = cells[j];
			cells[j] = c;
		}
		*out = *solved;
		memcpy(out->input, solved->label, SUDOKU_CELLS * sizeof *out->input);
		for (int i = 0; i < blanks; i++)
			out->input[cells[i]] = SUDOKU_BLANK;
		/* the label completes the input, so a unique solution is the label */
		if (sudoku_count_solutions(out, 2, NULL) == 1)
			return PROBE_MADE;
	}
	return PROBE_SKIP;
}

/* ---- maze ---- */

int probe_maze_path(const struct puzzle *p, int *cells, char **cause)
{
	static const int dr[4] = { -1, 0, 1, 0 }, dc[4] = { 0, 1, 0, -1 };
	struct maze_check mc;
	if (p->kind != PUZZLE_MAZE)
		return set_cause(cause, "%s: not a maze", p->name);
	if (!p->has_label)
		return set_cause(cause, "%s: no solution to make variants from", p->name);
	maze_check_answer(p, p->label, NULL, &mc);
	if (!mc.shortest)
		return set_cause(cause, "%s: the label is not a shortest S-to-G path of the maze", p->name);
	int side = p->side, n = 0, cur = maze_find(p, MAZE_START), goal = maze_find(p, MAZE_GOAL);
	bool seen[PUZZLE_MAX_CELLS] = { false };
	cells[n++] = cur;
	seen[cur] = true;
	while (cur != goal) {
		int next = -1, r = cur / side, c = cur % side;
		for (int k = 0; k < 4; k++) {
			int nr = r + dr[k], nc = c + dc[k];
			if (nr < 0 || nr >= side || nc < 0 || nc >= side || seen[nr * side + nc])
				continue;
			int u = nr * side + nc;
			/* on a shortest path, G next to the current cell is the next cell */
			if (u == goal || (next < 0 && p->label[u] == MAZE_PATH))
				next = u;
		}
		if (next < 0 || n >= PUZZLE_MAX_CELLS)
			return set_cause(cause, "%s: the label's path breaks off at row %d, column %d", p->name, r + 1,
					 c + 1);
		cells[n++] = next;
		seen[next] = true;
		cur = next;
	}
	return n - 1;
}

int probe_maze_variant(const struct puzzle *solved, int distance, struct hrm_rng *r, struct puzzle *out, int *at,
		       char **cause)
{
	int path[PUZZLE_MAX_CELLS], order[PUZZLE_MAX_CELLS];
	if (distance < 1)
		return set_cause(cause, "distance %d: expected at least 1", distance);
	int L = probe_maze_path(solved, path, cause);
	if (L < 0)
		return -1;
	if (distance > L)
		return PROBE_SKIP;
	int n = L - distance + 1;
	for (int i = 0; i < n; i++)
		order[i] = i;
	for (int i = 0; i < n && i < PROBE_TRIES; i++) {
		int j = i + (int)hrm_rng_below(r, (uint64_t)(n - i)), s = order[i];
		order[i] = order[j];
		order[j] = s;
		s = order[i];
		*out = *solved;
		out->has_label = false;
		out->input[path[0]] = MAZE_OPEN;
		out->input[path[L]] = MAZE_OPEN;
		out->input[path[s]] = MAZE_START;
		out->input[path[s + distance]] = MAZE_GOAL;
		if (maze_shortest_length(out) != distance || maze_count_shortest_paths(out, 2) != 1)
			continue;
		if (maze_solve(out, cause) != 0)
			return -1;
		if (at)
			*at = s;
		return PROBE_MADE;
	}
	return PROBE_SKIP;
}

/* ---- outcomes ---- */

const char *probe_outcome_name(enum probe_outcome o)
{
	switch (o) {
	case PROBE_RIGHT_SETTLED: return "right, settled";
	case PROBE_RIGHT_MOVING: return "right, moving";
	case PROBE_VIOLATION_LEFT_RIGHT: return "violation: left the right answer";
	case PROBE_VIOLATION_LEFT_REST: return "violation: left a still state";
	case PROBE_WRONG_FIXED_POINT: return "wrong fixed point";
	default: return "no fixed point";
	}
}

bool probe_outcome_is_violation(enum probe_outcome o)
{
	return o == PROBE_VIOLATION_LEFT_RIGHT || o == PROBE_VIOLATION_LEFT_REST;
}

enum probe_outcome probe_classify(const struct fp_track *f, bool right_before)
{
	bool settled = fp_track_entered(f) >= 0;
	if (f->last_exact == 1)
		return settled ? PROBE_RIGHT_SETTLED : PROBE_RIGHT_MOVING;
	if (right_before)
		return PROBE_VIOLATION_LEFT_RIGHT;
	if (f->left > 0)
		return PROBE_VIOLATION_LEFT_REST;
	return settled ? PROBE_WRONG_FIXED_POINT : PROBE_NO_FIXED_POINT;
}

int probe_run_batch(struct hrm_engine *e, struct fp_tracker *fp, const struct puzzle *const *variants,
		    const int32_t *pid, int n, int M, bool has_ignore, int32_t ignore, struct probe_result *out,
		    char **cause)
{
	int B = hrm_engine_B(e), S = hrm_engine_S(e);
	if (n < 1 || n > B || fp->B != B || fp->S != S)
		return set_cause(cause, "probe: %d variants for an engine of %d rows", n, B);
	int32_t *in = xmalloc((size_t)B * S * sizeof *in), *lab = xmalloc((size_t)B * S * sizeof *lab);
	int32_t *ids = xmalloc((size_t)B * sizeof *ids);
	for (int b = 0; b < B; b++) {
		const struct puzzle *v = variants[b < n ? b : 0];
		if (v->seq_len != S || !v->has_label) {
			free(in);
			free(lab);
			free(ids);
			return set_cause(cause, "%s: %d cells%s, the engine takes %d", v->name, v->seq_len,
					 v->has_label ? "" : " and no label", S);
		}
		memcpy(in + (size_t)b * S, v->input, (size_t)S * sizeof *in);
		memcpy(lab + (size_t)b * S, v->label, (size_t)S * sizeof *lab);
		ids[b] = pid[b < n ? b : 0];
	}
	int rc = hrm_engine_set_inputs(e, in, ids, cause);
	if (rc == 0) {
		fp_tracker_set_labels(fp, lab, has_ignore, ignore);
		hrm_engine_add_observer(e, fp_tracker_observe, fp);
		hrm_engine_reset(e, -1);
		for (int b = 0; b < n; b++)
			out[b].first_right = out[b].last_right = -1;
		for (int s = 0; s < M; s++) {
			hrm_engine_step(e, HRM_GRAIN_SEGMENT);
			const int32_t *pred = hrm_engine_pred(e);
			for (int b = 0; b < n; b++)
				if (fp_exact(pred + (size_t)b * S, lab + (size_t)b * S, S, has_ignore, ignore)) {
					if (out[b].first_right < 0)
						out[b].first_right = s;
					out[b].last_right = s;
				}
		}
		hrm_engine_remove_observer(e, fp_tracker_observe, fp);
		const float *q = hrm_engine_q(e);
		for (int b = 0; b < n; b++) {
			const struct fp_track *f = &fp->rows[b];
			struct probe_result *o = &out[b];
			o->exact = f->last_exact == 1;
			o->fp_entered = fp_track_entered(f);
			o->left = f->left;
			o->q_halt = q[2 * b];
			o->q_continue = q[2 * b + 1];
			o->outcome = probe_classify(f, o->first_right >= 0 && o->first_right < M - 1);
		}
	}
	free(in);
	free(lab);
	free(ids);
	return rc;
}
