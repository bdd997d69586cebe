/* maze.h - mazes: the text format, an exact shortest-path solver, a path
 * validator and a seedable generator.
 *
 * Text format (the official characters, dataset/build_maze_dataset.py CHARSET
 * "# SGo"): one line per row, '#' wall, ' ' open, 'S' start, 'G' goal, 'o'
 * path.  The maze is square, 2x2 to 30x30, with exactly one S and one G.
 * Editors strip trailing spaces, so short lines are padded with open cells,
 * but only up to the number of rows, and at least one line must have the
 * full width (otherwise the file is reported as not square).  A file with
 * 'o' cells is a solved maze: input = the maze with 'o' as open, label = the
 * file.  Official CSV rows hold the same characters flattened, row by row.
 *
 * Path length: the number of moves from S to G over open cells (4-neighbour),
 * i.e. the number of 'o' cells + 1.
 *
 * The label rule (maze_solve and the generator): breadth-first search from S
 * over the non-wall cells, taking the neighbours of a cell in the order up,
 * right, down, left; a cell's parent is the cell from which it was first
 * discovered; the label marks with 'o' the cells of the parent chain from G
 * back to S (S and G keep their letters).  It is a shortest path, and in a
 * perfect maze the only path. */
#ifndef HRM_MAZE_H
#define HRM_MAZE_H

#include "puzzles/puzzle.h"
#include "core/rng.h"

#define MAZE_MIN_SIDE 2
#define MAZE_GEN_MIN_SIDE 5

/* maze_ops.parse: the text format above; errors name fname, line and column. */
int maze_parse(const char *text, size_t len, const char *fname, struct puzzle *out, char **cause);
/* One official CSV row: question and answer (answer may be NULL) of len
 * characters each, len a square number; `where` names file and line. */
int maze_from_strings(const char *q, const char *a, size_t len, const char *where, struct puzzle *out,
		      char **cause);
/* maze_ops.format: side lines of side characters; '?' for a token outside
 * the vocabulary (pad included). */
char *maze_format(const struct puzzle *p, const int32_t *cells);

/* Open, S, G and path cells can be walked on. */
bool maze_passable(int32_t token);
/* First cell of p->input holding token, or -1. */
int maze_find(const struct puzzle *p, int32_t token);
/* Breadth-first distances (in moves) from cell `from` over the passable
 * cells of p->input, in the label rule's neighbour order; dist[i] = -1 for
 * unreachable cells; parent (may be NULL) as in the label rule, -1 at
 * `from` and unreachable cells. */
void maze_bfs(const struct puzzle *p, int from, int *dist, int *parent);
/* Shortest S-to-G path length in moves, -1 if G cannot be reached. */
int maze_shortest_length(const struct puzzle *p);
/* Number of distinct shortest S-to-G paths, counted by BFS layers and
 * capped at `cap` (0 if G cannot be reached). */
long maze_count_shortest_paths(const struct puzzle *p, long cap);
/* maze_ops.solve: label = the label rule's path; -1 if G is unreachable. */
int maze_solve(struct puzzle *p, char **cause);

/* The details of an answer check (maze_ops.validate returns `shortest`).
 *   intact:    walls, S and G unchanged, 'o' only on open cells, no other
 *              tokens;
 *   connected: the 'o' cells join S to G (4-neighbour);
 *   valid:     intact, connected, and no 'o' is stray (cut off from S and G)
 *              or a dead-end branch;
 *   shortest:  valid and path_len == shortest_len (the 'o' cells are then
 *              exactly one shortest path).
 * wrong[] marks: changed walls/S/G and bad tokens; stray 'o' and dead-end
 * branches; for a gap, the missing cells of the reference path (the label if
 * p has one, else the label rule's path); for a valid detour, the 'o' cells
 * that lie on no shortest path (or, if all do, those off the reference). */
struct maze_check {
	bool intact, connected, valid, shortest;
	int path_len;     /* moves along the answer's path when valid, else -1 */
	int shortest_len; /* -1 if G is unreachable */
	int n_wrong;
};
bool maze_check_answer(const struct puzzle *p, const int32_t *answer, bool *wrong, struct maze_check *out);

/* Generator.  Walls all around; the corridors are a perfect maze made by a
 * randomized depth-first search (recursive backtracker, iterative) on the
 * lattice of cells at odd coordinates, whose neighbours are two cells apart
 * with the wall between them opened.  For an even side the lattice is one
 * row/column short: the spare line is wall, placed on the top or bottom
 * (left or right) side at random.  With loops > 0 each remaining wall
 * between two lattice cells is then opened with that probability, which
 * makes cycles (the label is still the label rule's path).  S and G go on
 * distinct random open cells: S uniformly, then G uniformly among the cells
 * at least min_path moves from S; a fresh S is drawn (up to 32 times per
 * maze) and then a fresh maze (up to max_mazes) until that works.  Maze-Hard
 * is side 30 with min_path 111 (path > 110).  Same seed, same mazes. */
struct maze_gen_opts {
	int side;       /* MAZE_GEN_MIN_SIDE..30 */
	int min_path;   /* minimum S-to-G path length in moves (>= 1) */
	double loops;   /* 0 = perfect maze; share of extra openings, 0..1 */
	int max_mazes;  /* give up after this many mazes (0: 1000) */
};
int maze_generate(struct hrm_rng *rng, const struct maze_gen_opts *o, struct puzzle *out, char **cause);
/* The longest S-to-G path, in moves, that a perfect side x side maze of the
 * generator can have (its cells all on one corridor): 2 (m^2 - 1) for m
 * lattice cells per axis. */
int maze_longest_path(int side);
/* The maze p walled into the top-left of a canvas x canvas grid (canvas >=
 * p->side): wall cells outside the maze, in the input and the label, so that
 * one model (one seq_len) sees mazes of several sizes. */
void maze_wall_into(const struct puzzle *p, int canvas, struct puzzle *out);

#endif
