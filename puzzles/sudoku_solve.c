/* sudoku_solve.c - the exact sudoku solver (bitmask candidates, naked and
 * hidden singles, then search on the cell with the fewest candidates) and
 * the generator of unique puzzles built on it. */
#include "puzzles/sudoku.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>

#define ALL 0x1ffu
#define HARDEN_STEPS 2000

struct grid {
	uint8_t v[SUDOKU_CELLS];
	uint16_t row[9], col[9], box[9]; /* bit d-1 set: digit d used */
	int empty;
};

struct search {
	int limit, found;
	uint8_t *solution;
	struct hrm_rng *rng; /* shuffles the digit order (grid generation) */
	struct sudoku_stats st;
};

static int box_of(int i)
{
	return (i / 27) * 3 + (i % 9) / 3;
}

static unsigned cand(const struct grid *g, int i)
{
	return ALL & ~(unsigned)(g->row[i / 9] | g->col[i % 9] | g->box[box_of(i)]);
}

static void place(struct grid *g, int i, int d)
{
	uint16_t bit = (uint16_t)(1u << (d - 1));
	g->v[i] = (uint8_t)d;
	g->row[i / 9] |= bit;
	g->col[i % 9] |= bit;
	g->box[box_of(i)] |= bit;
	g->empty--;
}

static int lowest_digit(unsigned m)
{
	return __builtin_ctz(m) + 1;
}

/* Fills forced cells until none is left; false on a contradiction. */
static bool propagate(struct grid *g)
{
	bool changed = true;
	while (changed && g->empty > 0) {
		changed = false;
		/* naked singles: a cell with one candidate */
		for (int i = 0; i < SUDOKU_CELLS; i++) {
			if (g->v[i])
				continue;
			unsigned c = cand(g, i);
			if (c == 0)
				return false;
			if ((c & (c - 1)) == 0) {
				place(g, i, lowest_digit(c));
				changed = true;
			}
		}
		if (changed)
			continue;
		/* hidden singles: a digit with one place in a unit */
		for (int u = 0; u < 27; u++) {
			unsigned once = 0, twice = 0, used = 0;
			for (int k = 0; k < 9; k++) {
				int i = sudoku_unit_cell(u, k);
				if (g->v[i]) {
					used |= 1u << (g->v[i] - 1);
					continue;
				}
				unsigned c = cand(g, i);
				twice |= once & c;
				once |= c;
			}
			unsigned need = ALL & ~used;
			if (need & ~once)
				return false;
			unsigned single = once & ~twice & need;
			if (single == 0)
				continue;
			int d = lowest_digit(single);
			for (int k = 0; k < 9; k++) {
				int i = sudoku_unit_cell(u, k);
				if (!g->v[i] && (cand(g, i) & (1u << (d - 1)))) {
					place(g, i, d);
					break;
				}
			}
			changed = true;
			break; /* candidates changed: rescan from naked singles */
		}
	}
	return true;
}

static void search(struct search *x, struct grid *g)
{
	if (!propagate(g)) {
		x->st.backtracks++;
		return;
	}
	if (g->empty == 0) {
		if (x->found == 0 && x->solution)
			memcpy(x->solution, g->v, SUDOKU_CELLS);
		x->found++;
		return;
	}
	int best = -1, best_n = 10;
	for (int i = 0; i < SUDOKU_CELLS && best_n > 2; i++) {
		if (g->v[i])
			continue;
		int n = __builtin_popcount(cand(g, i));
		if (n < best_n) {
			best_n = n;
			best = i;
		}
	}
	unsigned c = cand(g, best);
	int digits[9], nd = 0;
	for (int d = 1; d <= 9; d++)
		if (c & (1u << (d - 1)))
			digits[nd++] = d;
	if (x->rng)
		for (int k = nd - 1; k > 0; k--) {
			int j = (int)hrm_rng_below(x->rng, (uint64_t)k + 1), t = digits[k];
			digits[k] = digits[j];
			digits[j] = t;
		}
	for (int k = 0; k < nd && x->found < x->limit; k++) {
		struct grid next = *g;
		x->st.nodes++;
		place(&next, best, digits[k]);
		search(x, &next);
	}
}

static int solve_with(const uint8_t *digits, uint8_t *solution, int limit, struct sudoku_stats *stats,
		      struct hrm_rng *rng)
{
	struct search x = { .limit = limit < 1 ? 1 : limit, .solution = solution, .rng = rng };
	struct grid g;
	int a, b;

	memset(&g, 0, sizeof g);
	g.empty = SUDOKU_CELLS;
	if (stats)
		memset(stats, 0, sizeof *stats);
	if (sudoku_conflict(digits, &a, &b) == 0)
		return 0;
	for (int i = 0; i < SUDOKU_CELLS; i++)
		if (digits[i] >= 1 && digits[i] <= 9)
			place(&g, i, digits[i]);
	search(&x, &g);
	if (stats)
		*stats = x.st;
	return x.found;
}

int sudoku_solve_digits(const uint8_t *digits, uint8_t *solution, int limit, struct sudoku_stats *stats)
{
	return solve_with(digits, solution, limit, stats, NULL);
}

int sudoku_count_solutions(const struct puzzle *p, int limit, struct sudoku_stats *stats)
{
	uint8_t d[SUDOKU_CELLS];
	sudoku_to_digits(p->input, d);
	return sudoku_solve_digits(d, NULL, limit, stats);
}

int sudoku_solve(struct puzzle *p, char **cause)
{
	uint8_t d[SUDOKU_CELLS], sol[SUDOKU_CELLS];
	sudoku_to_digits(p->input, d);
	if (sudoku_solve_digits(d, sol, 1, NULL) == 0)
		return set_cause(cause, "%s: the sudoku has no solution", p->name);
	sudoku_from_digits(sol, p->label);
	p->has_label = true;
	return 0;
}

/* Removes givens in a random order while the solution stays unique; returns
 * the number of givens left. */
static int remove_givens(struct hrm_rng *rng, uint8_t *d, int target)
{
	int order[SUDOKU_CELLS], left = SUDOKU_CELLS;
	for (int i = 0; i < SUDOKU_CELLS; i++)
		order[i] = i;
	for (int k = SUDOKU_CELLS - 1; k > 0; k--) {
		int j = (int)hrm_rng_below(rng, (uint64_t)k + 1), t = order[k];
		order[k] = order[j];
		order[j] = t;
	}
	for (int k = 0; k < SUDOKU_CELLS && left > target; k++) {
		int i = order[k];
		uint8_t keep = d[i];
		d[i] = 0;
		if (sudoku_solve_digits(d, NULL, 2, NULL) == 1)
			left--;
		else
			d[i] = keep;
	}
	return left;
}

/* Hill-climbs on difficulty: swaps a random given for a random blank cell
 * (filled from the solution), keeping swaps that leave the solution unique
 * and do not lower the backtracks.  Returns the backtracks reached. */
static long harden(struct hrm_rng *rng, uint8_t *d, const uint8_t *full, long goal, int steps)
{
	struct sudoku_stats st;
	int given[SUDOKU_CELLS], blank[SUDOKU_CELLS];
	sudoku_solve_digits(d, NULL, 2, &st);
	long score = st.backtracks;
	for (int s = 0; s < steps && score < goal; s++) {
		int ng = 0, nb = 0;
		for (int i = 0; i < SUDOKU_CELLS; i++) {
			if (d[i])
				given[ng++] = i;
			else
				blank[nb++] = i;
		}
		if (nb == 0)
			break;
		int i = given[hrm_rng_below(rng, (uint64_t)ng)], j = blank[hrm_rng_below(rng, (uint64_t)nb)];
		d[i] = 0;
		d[j] = full[j];
		if (sudoku_solve_digits(d, NULL, 2, &st) == 1 && st.backtracks >= score) {
			score = st.backtracks;
		} else {
			d[j] = 0;
			d[i] = full[i];
		}
	}
	return score;
}

int sudoku_generate(struct hrm_rng *rng, const struct sudoku_gen_opts *o, struct puzzle *out,
		    struct sudoku_stats *stats, char **cause)
{
	int target = o->givens, tries = o->max_tries > 0 ? o->max_tries : 1000;
	uint8_t empty[SUDOKU_CELLS] = { 0 }, full[SUDOKU_CELLS], d[SUDOKU_CELLS];
	struct sudoku_stats st;

	/* no sudoku with fewer than 17 givens has a unique solution */
	if (target != 0 && (target < 17 || target > SUDOKU_CELLS))
		return set_cause(cause, "sudoku generator: %d givens outside 17..81", target);
	for (int t = 0; t < tries; t++) {
		solve_with(empty, full, 1, NULL, rng);
		memcpy(d, full, sizeof d);
		int left = remove_givens(rng, d, target);
		if (target > 0 && left > target)
			continue;
		if (o->min_backtracks > 0 && harden(rng, d, full, o->min_backtracks, HARDEN_STEPS) < o->min_backtracks)
			continue;
		sudoku_solve_digits(d, NULL, 2, &st);
		memset(out, 0, sizeof *out);
		out->kind = PUZZLE_SUDOKU;
		out->side = 9;
		out->seq_len = SUDOKU_CELLS;
		sudoku_from_digits(d, out->input);
		sudoku_from_digits(full, out->label);
		out->has_label = true;
		snprintf(out->name, sizeof out->name, "sudoku %d givens", left);
		if (stats)
			*stats = st;
		return 0;
	}
	if (target == 0)
		return set_cause(cause, "sudoku generator: no minimal puzzle with %ld or more backtracks in %d tries",
				 o->min_backtracks, tries);
	return set_cause(cause, "sudoku generator: no puzzle with %d givens and %ld or more backtracks in %d tries",
			 target, o->min_backtracks, tries);
}
