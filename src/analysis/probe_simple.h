/* probe_simple.h - the simple-puzzle probe (hrmscope probe-simple): easy
 * variants of solved puzzles, and what the model does on them.
 *
 * Ren and Liu (arXiv 2601.10679) found that HRM can fail on a puzzle with a
 * single unknown cell and traced this to a violation of the fixed-point
 * property the model is built on.  The probe makes such inputs from solved
 * puzzles and sorts the model's failures.
 *
 * Variants.  Every variant is a valid puzzle whose solution is known:
 *   sudoku, k blanks: the solution with k cells blanked (chosen with the
 *     variant's random stream); the cells are drawn again (up to
 *     PROBE_TRIES times) until the solver finds exactly one solution, which
 *     is then the original solution, and that is the label;
 *   maze, distance d: S and G moved onto the true path (the label's 'o'
 *     cells from S to G), d moves apart along it, at a position drawn from
 *     the stream; the old S and G become open cells.  The part of a
 *     shortest path between two of its cells is a shortest path between
 *     them, so the new shortest length is d; positions are drawn again
 *     until that path is the only shortest one, and the label is the maze
 *     solver's path (which is then that part of the original path).
 * A level a puzzle cannot take (a path shorter than d, no unique blanking
 * found) is skipped and counted, never run.
 *
 * Outcomes, after the M segments of the official evaluation (every variant
 * runs all M; "exact" and "still" as in fixedpoint.h, with its tolerance):
 *   right, settled: the last answer is exact and the trajectory entered a
 *     fixed point (every segment from some point on still);
 *   right, moving:  the last answer is exact but the state has not settled;
 *   fixed-point violation: the last answer is wrong and either
 *     (a) the answer at the end of an earlier segment was exact: the
 *         trajectory passed through the right answer and left it, or
 *     (b) a run of still segments ended: the state came to rest (the answer
 *         unchanged, z_H and z_L within the tolerance over a whole segment)
 *         and then moved on again (fp_track.left > 0);
 *     (a) is counted first when both hold;
 *   wrong fixed point: the last answer is wrong, no violation, and the
 *     trajectory entered a fixed point (the model settled on a wrong one);
 *   no fixed point: the last answer is wrong, no violation, and the state
 *     has not settled.
 * The three failure classes are disjoint and add up to the failures. */
#ifndef HRM_PROBE_SIMPLE_H
#define HRM_PROBE_SIMPLE_H

#include "analysis/fixedpoint.h"
#include "model/hrm.h"
#include "puzzles/puzzle.h"
#include "core/rng.h"

#include <stdbool.h>
#include <stdint.h>

#define PROBE_TRIES 200
#define PROBE_MAX_BLANKS 64 /* a unique sudoku keeps at least 17 givens */

/* probe_*_variant results besides -1 (an error, with cause) */
enum { PROBE_MADE = 0, PROBE_SKIP = 1 };

/* The random stream of one variant: (seed, source puzzle, level, replica). */
void probe_variant_rng(uint64_t seed, long puzzle, int level, int replica, struct hrm_rng *r);

/* Is `solved` a sudoku whose label is a complete grid that keeps its givens
 * and the rules?  -1 with cause naming p->name otherwise. */
int probe_check_sudoku(const struct puzzle *solved, char **cause);
/* The label's path of a solved maze, S first and G last, into cells
 * (PUZZLE_MAX_CELLS); returns the number of moves (cells - 1), or -1 with
 * cause when the label is not one shortest S-to-G path of the maze. */
int probe_maze_path(const struct puzzle *solved, int *cells, char **cause);

/* out: the sudoku variant with `blanks` cells blank (1..PROBE_MAX_BLANKS).
 * PROBE_SKIP when PROBE_TRIES drawings gave no unique puzzle. */
int probe_sudoku_variant(const struct puzzle *solved, int blanks, struct hrm_rng *r, struct puzzle *out,
			 char **cause);
/* out: the maze variant with S and G `distance` moves apart on the true
 * path; *at (may be NULL) receives the path index of the new S.
 * PROBE_SKIP when the path is shorter than distance or no position gives a
 * unique shortest path. */
int probe_maze_variant(const struct puzzle *solved, int distance, struct hrm_rng *r, struct puzzle *out, int *at,
		       char **cause);

enum probe_outcome {
	PROBE_RIGHT_SETTLED,
	PROBE_RIGHT_MOVING,
	PROBE_VIOLATION_LEFT_RIGHT, /* (a) above */
	PROBE_VIOLATION_LEFT_REST,  /* (b) only */
	PROBE_WRONG_FIXED_POINT,
	PROBE_NO_FIXED_POINT,
	PROBE_OUTCOMES
};
/* "right, settled", "right, moving", "violation: left the right answer",
 * "violation: left a still state", "wrong fixed point", "no fixed point" */
const char *probe_outcome_name(enum probe_outcome o);
bool probe_outcome_is_violation(enum probe_outcome o);
/* f: the tracker after the last segment (labels known); right_before: the
 * answer was exact at the end of a segment before the last. */
enum probe_outcome probe_classify(const struct fp_track *f, bool right_before);

/* One variant's run. */
struct probe_result {
	enum probe_outcome outcome;
	bool exact;               /* the last answer */
	int first_right;          /* first segment (0-based) whose answer was exact, -1 none */
	int last_right;           /* last such segment, -1 none */
	int fp_entered;           /* fixed point: segment entered, -1 none */
	int left;                 /* runs of still segments that ended */
	float q_halt, q_continue; /* after the last segment */
};

/* n variants (1..B of the engine's rows; the rows past n repeat variant 0
 * and are not reported) with puzzle ids pid[n], through M segments.  The
 * engine is reset; the tracker (B rows, tolerance set) is registered on it
 * here and removed before returning.  Labels: every cell is scored except
 * those whose label is `ignore` when has_ignore.  Returns 0 or -1 with cause. */
struct hrm_engine;
int probe_run_batch(struct hrm_engine *e, struct fp_tracker *fp, const struct puzzle *const *variants,
		    const int32_t *pid, int n, int M, bool has_ignore, int32_t ignore, struct probe_result *out,
		    char **cause);

#endif
