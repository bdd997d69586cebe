/* maze_gen.c - the seedable maze generator (the rules are stated in maze.h). */
#include "puzzles/maze.h"
#include "puzzles/text.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>

#define S_TRIES 32

/* The lattice of one axis: m cells at off, off + 2, ... */
struct axis {
	int m, off;
};

static struct axis lattice_axis(struct hrm_rng *rng, int side)
{
	struct axis a;
	if (side % 2 == 1) {
		a.m = (side - 1) / 2;
		a.off = 1;
	} else {
		/* one spare interior line: wall, on either side */
		a.m = (side - 2) / 2;
		a.off = 1 + (int)hrm_rng_below(rng, 2);
	}
	return a;
}

/* Randomized depth-first search over the lattice, carving into p->input. */
static void carve(struct hrm_rng *rng, struct puzzle *p, struct axis ar, struct axis ac)
{
	static const int dr[4] = { -1, 0, 1, 0 }, dc[4] = { 0, 1, 0, -1 };
	int side = p->side, m = ar.m * ac.m;
	bool seen[PUZZLE_MAX_CELLS] = { false };
	int stack[PUZZLE_MAX_CELLS], top = 0;

	int start = (int)hrm_rng_below(rng, (uint64_t)m);
	seen[start] = true;
	stack[top++] = start;
	p->input[(ar.off + 2 * (start / ac.m)) * side + ac.off + 2 * (start % ac.m)] = MAZE_OPEN;
	while (top > 0) {
		int v = stack[top - 1], r = v / ac.m, c = v % ac.m;
		int next[4], nn = 0;
		for (int k = 0; k < 4; k++) {
			int nr = r + dr[k], nc = c + dc[k];
			if (nr >= 0 && nr < ar.m && nc >= 0 && nc < ac.m && !seen[nr * ac.m + nc])
				next[nn++] = k;
		}
		if (nn == 0) {
			top--;
			continue;
		}
		int k = next[hrm_rng_below(rng, (uint64_t)nn)];
		int nr = r + dr[k], nc = c + dc[k];
		int gr = ar.off + 2 * r, gc = ac.off + 2 * c;
		p->input[(gr + dr[k]) * side + gc + dc[k]] = MAZE_OPEN;
		p->input[(gr + 2 * dr[k]) * side + gc + 2 * dc[k]] = MAZE_OPEN;
		seen[nr * ac.m + nc] = true;
		stack[top++] = nr * ac.m + nc;
	}
}

/* Opens each remaining wall between two lattice cells with probability q. */
static void add_loops(struct hrm_rng *rng, struct puzzle *p, struct axis ar, struct axis ac, double q)
{
	int side = p->side;
	for (int r = 0; r < ar.m; r++)
		for (int c = 0; c < ac.m; c++) {
			int gr = ar.off + 2 * r, gc = ac.off + 2 * c;
			/* the walls right of and below this cell */
			if (c + 1 < ac.m && p->input[gr * side + gc + 1] == MAZE_WALL && hrm_rng_uniform(rng) < q)
				p->input[gr * side + gc + 1] = MAZE_OPEN;
			if (r + 1 < ar.m && p->input[(gr + 1) * side + gc] == MAZE_WALL && hrm_rng_uniform(rng) < q)
				p->input[(gr + 1) * side + gc] = MAZE_OPEN;
		}
}

/* Draws S and then G at least min_path moves away; false if no S tried
 * had such a G. */
static bool place_ends(struct hrm_rng *rng, struct puzzle *p, int min_path)
{
	int open[PUZZLE_MAX_CELLS], nopen = 0, dist[PUZZLE_MAX_CELLS], far[PUZZLE_MAX_CELLS];
	for (int i = 0; i < p->seq_len; i++)
		if (p->input[i] == MAZE_OPEN)
			open[nopen++] = i;
	if (nopen < 2)
		return false;
	for (int t = 0; t < S_TRIES; t++) {
		int s = open[hrm_rng_below(rng, (uint64_t)nopen)], nfar = 0;
		maze_bfs(p, s, dist, NULL);
		for (int i = 0; i < nopen; i++)
			if (dist[open[i]] >= min_path)
				far[nfar++] = open[i];
		if (nfar == 0)
			continue;
		p->input[s] = MAZE_START;
		p->input[far[hrm_rng_below(rng, (uint64_t)nfar)]] = MAZE_GOAL;
		return true;
	}
	return false;
}

int maze_generate(struct hrm_rng *rng, const struct maze_gen_opts *o, struct puzzle *out, char **cause)
{
	int side = o->side, min_path = o->min_path < 1 ? 1 : o->min_path;
	int max_mazes = o->max_mazes > 0 ? o->max_mazes : 1000;

	if (side < MAZE_GEN_MIN_SIDE || side > PUZZLE_MAX_SIDE)
		return set_cause(cause, "maze generator: side %d outside %d..%d", side, MAZE_GEN_MIN_SIDE,
				 PUZZLE_MAX_SIDE);
	if (!(o->loops >= 0.0 && o->loops <= 1.0))
		return set_cause(cause, "maze generator: loops %g outside 0..1", o->loops);
	/* a path of d moves needs d + 1 distinct open cells */
	if (min_path >= side * side)
		return set_cause(cause, "maze generator: a path of %d moves does not fit in %dx%d", min_path, side,
				 side);
	for (int t = 0; t < max_mazes; t++) {
		memset(out, 0, sizeof *out);
		out->kind = PUZZLE_MAZE;
		out->side = side;
		out->seq_len = side * side;
		for (int i = 0; i < out->seq_len; i++)
			out->input[i] = MAZE_WALL;
		struct axis ar = lattice_axis(rng, side), ac = lattice_axis(rng, side);
		carve(rng, out, ar, ac);
		if (o->loops > 0.0)
			add_loops(rng, out, ar, ac, o->loops);
		if (!place_ends(rng, out, min_path))
			continue;
		snprintf(out->name, sizeof out->name, "maze %dx%d", side, side);
		return maze_solve(out, cause);
	}
	return set_cause(cause, "maze generator: no S and G %d or more moves apart in %d mazes of %dx%d", min_path,
			 max_mazes, side, side);
}

int maze_longest_path(int side)
{
	int m = (side - 1) / 2;
	return m > 0 ? 2 * (m * m - 1) : 0;
}

void maze_wall_into(const struct puzzle *p, int canvas, struct puzzle *out)
{
	struct puzzle q = *p;
	int n = p->side;
	for (int r = 0; r < canvas; r++)
		for (int c = 0; c < canvas; c++) {
			bool in = r < n && c < n;
			q.input[r * canvas + c] = in ? p->input[r * n + c] : MAZE_WALL;
			q.label[r * canvas + c] = in ? p->label[r * n + c] : MAZE_WALL;
		}
	q.side = canvas;
	q.seq_len = canvas * canvas;
	*out = q;
}
