/* maze.c - maze text/CSV parsing, formatting, BFS solver and answer check. */
#include "puzzles/maze.h"
#include "puzzles/text.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>

static const char maze_chars[] = "# SGo"; /* token = index + 1, as the official CHARSET */

/* Up, right, down, left: the label rule's order (maze.h). */
static const int dr[4] = { -1, 0, 1, 0 };
static const int dc[4] = { 0, 1, 0, -1 };

static int32_t char_token(char ch)
{
	const char *p = ch ? strchr(maze_chars, ch) : NULL;
	return p ? (int32_t)(p - maze_chars) + 1 : -1;
}

bool maze_passable(int32_t token)
{
	return token == MAZE_OPEN || token == MAZE_START || token == MAZE_GOAL || token == MAZE_PATH;
}

/* Checks the characters of a side x side grid and fills out->input (and
 * out->label when 'o' cells are present).  `rowword` says how messages name
 * a row ("line" for a text file, "question row" for CSV). */
static int maze_cells(const char *g, int side, const char *fname, const char *rowword, bool allow_path,
		      struct puzzle *out, char **cause)
{
	int s_at = -1, g_at = -1;
	bool any_path = false;
	char cb[16];

	memset(out, 0, sizeof *out);
	for (int i = 0; i < side * side; i++) {
		int32_t t = char_token(g[i]);
		int r = i / side + 1, c = i % side + 1;
		if (t < 0)
			return set_cause(cause,
					 "%s: %s %d column %d: unknown character %s (a maze uses '#' wall, ' ' open, "
					 "'S' start, 'G' goal, 'o' path)",
					 fname, rowword, r, c, puzzle_char_name((unsigned char)g[i], cb));
		if (t == MAZE_PATH && !allow_path)
			return set_cause(cause, "%s: %s %d column %d: 'o' (path) in a maze question", fname, rowword, r,
					 c);
		if (t == MAZE_START || t == MAZE_GOAL) {
			int *at = t == MAZE_START ? &s_at : &g_at;
			if (*at >= 0)
				return set_cause(cause, "%s: two %c (%s %d column %d and %s %d column %d)", fname,
						 g[i], rowword, *at / side + 1, *at % side + 1, rowword, r, c);
			*at = i;
		}
		any_path |= t == MAZE_PATH;
		out->label[i] = t;
		out->input[i] = t == MAZE_PATH ? MAZE_OPEN : t;
	}
	if (s_at < 0)
		return set_cause(cause, "%s: no S (start) in the maze", fname);
	if (g_at < 0)
		return set_cause(cause, "%s: no G (goal) in the maze", fname);
	out->kind = PUZZLE_MAZE;
	out->side = side;
	out->seq_len = side * side;
	out->has_label = any_path;
	if (!any_path)
		memset(out->label, 0, sizeof out->label);
	puzzle_set_name(out, puzzle_basename(fname));
	return 0;
}

int maze_parse(const char *text, size_t len, const char *fname, struct puzzle *out, char **cause)
{
	const char *pos = text, *end = text + len;
	struct puzzle_line ln = { 0 };
	int rows = 0, width = 0, width_line = 0;

	/* first pass: the size (trailing empty lines do not count as rows) */
	while (puzzle_next_line(&pos, end, &ln)) {
		if (ln.len > 0)
			rows = ln.no;
		if ((int)ln.len > width) {
			width = ln.len > 1000 ? 1000 : (int)ln.len;
			width_line = ln.no;
		}
	}
	if (len == 0)
		return set_cause(cause, "%s: empty file", fname);
	if (rows == 0)
		return set_cause(cause, "%s: no maze in the file (only empty lines)", fname);
	if (rows > PUZZLE_MAX_SIDE || width > PUZZLE_MAX_SIDE) {
		if (rows == width)
			return set_cause(cause, "%s: the maze is %dx%d, larger than the %dx%d maximum", fname, rows,
					 rows, PUZZLE_MAX_SIDE, PUZZLE_MAX_SIDE);
		return set_cause(cause, "%s: %d rows, up to %d cells wide: larger than the %dx%d maximum", fname,
				 rows, width, PUZZLE_MAX_SIDE, PUZZLE_MAX_SIDE);
	}
	if (width > rows)
		return set_cause(cause, "%s: not square: line %d has %d cells but the maze has %d rows", fname,
				 width_line, width, rows);
	if (width < rows)
		return set_cause(cause, "%s: not square: %d rows but the longest line has %d cells", fname, rows,
				 width);
	if (rows < MAZE_MIN_SIDE)
		return set_cause(cause, "%s: a 1x1 maze has no room for S and G", fname);

	/* second pass: the cells, short lines padded with open cells */
	char g[PUZZLE_MAX_CELLS];
	memset(g, ' ', sizeof g);
	pos = text;
	ln.no = 0;
	while (puzzle_next_line(&pos, end, &ln) && ln.no <= rows)
		memcpy(g + (size_t)(ln.no - 1) * (size_t)rows, ln.s, ln.len);
	return maze_cells(g, rows, fname, "line", true, out, cause);
}

int maze_from_strings(const char *q, const char *a, size_t len, const char *where, struct puzzle *out,
		      char **cause)
{
	size_t side = 0;
	while ((side + 1) * (side + 1) <= len)
		side++;
	if (len == 0)
		return set_cause(cause, "%s: an empty maze question", where);
	if (side * side != len)
		return set_cause(cause, "%s: a maze question of %zu characters is not a square grid", where, len);
	if (side > PUZZLE_MAX_SIDE)
		return set_cause(cause, "%s: the maze is %zux%zu, larger than the %dx%d maximum", where, side, side,
				 PUZZLE_MAX_SIDE, PUZZLE_MAX_SIDE);
	if (side < MAZE_MIN_SIDE)
		return set_cause(cause, "%s: a 1x1 maze has no room for S and G", where);
	if (maze_cells(q, (int)side, where, "question row", false, out, cause) != 0)
		return -1;
	if (a == NULL)
		return 0;
	struct puzzle ans;
	if (maze_cells(a, (int)side, where, "answer row", true, &ans, cause) != 0)
		return -1;
	for (int i = 0; i < (int)len; i++) {
		int32_t t = ans.label[i];
		if (t != out->input[i] && !(t == MAZE_PATH && out->input[i] == MAZE_OPEN))
			return set_cause(cause, "%s: answer row %d column %d is '%c' where the question has '%c'",
					 where, i / (int)side + 1, i % (int)side + 1, a[i], q[i]);
		out->label[i] = t;
	}
	out->has_label = true;
	return 0;
}

char *maze_format(const struct puzzle *p, const int32_t *cells)
{
	int n = p->side;
	char *s = xmalloc((size_t)n * (size_t)(n + 1) + 1), *o = s;
	for (int r = 0; r < n; r++) {
		for (int c = 0; c < n; c++) {
			int32_t t = cells[r * n + c];
			*o++ = t >= 1 && t <= 5 ? maze_chars[t - 1] : '?';
		}
		*o++ = '\n';
	}
	*o = '\0';
	return s;
}

static struct cell_look maze_look(const struct puzzle *p, int cell, int32_t token)
{
	(void)p;
	(void)cell;
	switch (token) {
	case MAZE_WALL:
		return (struct cell_look){ '#', ROLE_WALL };
	case MAZE_OPEN:
		return (struct cell_look){ ' ', ROLE_EMPTY };
	case MAZE_START:
		return (struct cell_look){ 'S', ROLE_START };
	case MAZE_GOAL:
		return (struct cell_look){ 'G', ROLE_GOAL };
	case MAZE_PATH:
		return (struct cell_look){ 'o', ROLE_PATH };
	default:
		return (struct cell_look){ '?', ROLE_PAD };
	}
}

int maze_find(const struct puzzle *p, int32_t token)
{
	for (int i = 0; i < p->seq_len; i++)
		if (p->input[i] == token)
			return i;
	return -1;
}

/* BFS over the cells with ok[i]; order[] receives the cells in visiting
 * order (may be NULL); returns how many were reached. */
static int bfs_mask(int side, const bool *ok, int from, int *dist, int *parent, int *order)
{
	int queue[PUZZLE_MAX_CELLS], head = 0, tail = 0;
	for (int i = 0; i < side * side; i++) {
		dist[i] = -1;
		if (parent)
			parent[i] = -1;
	}
	if (from < 0 || !ok[from])
		return 0;
	dist[from] = 0;
	queue[tail++] = from;
	while (head < tail) {
		int v = queue[head++], r = v / side, c = v % side;
		for (int k = 0; k < 4; k++) {
			int nr = r + dr[k], nc = c + dc[k];
			if (nr < 0 || nr >= side || nc < 0 || nc >= side)
				continue;
			int u = nr * side + nc;
			if (!ok[u] || dist[u] >= 0)
				continue;
			dist[u] = dist[v] + 1;
			if (parent)
				parent[u] = v;
			queue[tail++] = u;
		}
	}
	if (order)
		memcpy(order, queue, (size_t)tail * sizeof *order);
	return tail;
}

static void passable_mask(const struct puzzle *p, bool *ok)
{
	for (int i = 0; i < p->seq_len; i++)
		ok[i] = maze_passable(p->input[i]);
}

void maze_bfs(const struct puzzle *p, int from, int *dist, int *parent)
{
	bool ok[PUZZLE_MAX_CELLS];
	passable_mask(p, ok);
	bfs_mask(p->side, ok, from, dist, parent, NULL);
}

int maze_shortest_length(const struct puzzle *p)
{
	int dist[PUZZLE_MAX_CELLS], s = maze_find(p, MAZE_START), g = maze_find(p, MAZE_GOAL);
	if (s < 0 || g < 0)
		return -1;
	maze_bfs(p, s, dist, NULL);
	return dist[g];
}

long maze_count_shortest_paths(const struct puzzle *p, long cap)
{
	int dist[PUZZLE_MAX_CELLS], order[PUZZLE_MAX_CELLS], side = p->side;
	long ways[PUZZLE_MAX_CELLS] = { 0 };
	bool ok[PUZZLE_MAX_CELLS];
	int s = maze_find(p, MAZE_START), g = maze_find(p, MAZE_GOAL);
	if (s < 0 || g < 0)
		return 0;
	passable_mask(p, ok);
	int n = bfs_mask(side, ok, s, dist, NULL, order);
	ways[s] = 1;
	/* BFS order visits every layer before the next, so ways[v] is final
	 * when v is taken */
	for (int i = 0; i < n; i++) {
		int v = order[i], r = v / side, c = v % side;
		for (int k = 0; k < 4; k++) {
			int nr = r + dr[k], nc = c + dc[k];
			if (nr < 0 || nr >= side || nc < 0 || nc >= side)
				continue;
			int u = nr * side + nc;
			if (dist[u] == dist[v] + 1) {
				ways[u] += ways[v];
				if (ways[u] > cap)
					ways[u] = cap;
			}
		}
	}
	return dist[g] < 0 ? 0 : ways[g];
}

/* The label rule's path as a label; -1 if G is unreachable. */
static int rule_path(const struct puzzle *p, int32_t *label)
{
	int dist[PUZZLE_MAX_CELLS], parent[PUZZLE_MAX_CELLS];
	int s = maze_find(p, MAZE_START), g = maze_find(p, MAZE_GOAL);
	if (s < 0 || g < 0)
		return -1;
	maze_bfs(p, s, dist, parent);
	if (dist[g] < 0)
		return -1;
	memcpy(label, p->input, (size_t)p->seq_len * sizeof *label);
	for (int v = parent[g]; v != s; v = parent[v])
		label[v] = MAZE_PATH;
	return 0;
}

int maze_solve(struct puzzle *p, char **cause)
{
	if (maze_find(p, MAZE_START) < 0 || maze_find(p, MAZE_GOAL) < 0)
		return set_cause(cause, "%s: the maze needs one S and one G", p->name);
	if (rule_path(p, p->label) != 0)
		return set_cause(cause, "%s: G cannot be reached from S", p->name);
	p->has_label = true;
	return 0;
}

/* Counts each wrong cell once. */
static void mark(bool *wrong, int i, int *n)
{
	if (!wrong[i]) {
		wrong[i] = true;
		(*n)++;
	}
}

/* Marks the reference path's cells that the answer lacks. */
static void mark_missing(const struct puzzle *p, const bool *in_p, bool *wrong, int *n)
{
	int32_t ref[PUZZLE_MAX_CELLS];
	const int32_t *r = p->has_label ? p->label : ref;
	if (!p->has_label && rule_path(p, ref) != 0)
		return;
	for (int i = 0; i < p->seq_len; i++)
		if (r[i] == MAZE_PATH && !in_p[i])
			mark(wrong, i, n);
}

/* Removes dead ends from the set in_p (S and G stay), marking them. */
static void prune_dead_ends(int side, bool *in_p, int s, int g, bool *wrong, int *n)
{
	int deg[PUZZLE_MAX_CELLS], stack[PUZZLE_MAX_CELLS], top = 0;
	for (int v = 0; v < side * side; v++) {
		deg[v] = 0;
		if (!in_p[v])
			continue;
		for (int k = 0; k < 4; k++) {
			int nr = v / side + dr[k], nc = v % side + dc[k];
			if (nr >= 0 && nr < side && nc >= 0 && nc < side && in_p[nr * side + nc])
				deg[v]++;
		}
		if (deg[v] <= 1 && v != s && v != g)
			stack[top++] = v;
	}
	while (top > 0) {
		int v = stack[--top];
		if (!in_p[v])
			continue;
		in_p[v] = false;
		mark(wrong, v, n);
		for (int k = 0; k < 4; k++) {
			int nr = v / side + dr[k], nc = v % side + dc[k];
			if (nr < 0 || nr >= side || nc < 0 || nc >= side)
				continue;
			int u = nr * side + nc;
			if (in_p[u] && --deg[u] <= 1 && u != s && u != g)
				stack[top++] = u;
		}
	}
}

bool maze_check_answer(const struct puzzle *p, const int32_t *answer, bool *wrong, struct maze_check *out)
{
	int side = p->side, n = p->seq_len, nw = 0;
	int s = maze_find(p, MAZE_START), g = maze_find(p, MAZE_GOAL);
	bool in_p[PUZZLE_MAX_CELLS], w[PUZZLE_MAX_CELLS] = { false };
	int ds[PUZZLE_MAX_CELLS], dg[PUZZLE_MAX_CELLS];
	struct maze_check c = { .intact = true, .path_len = -1, .shortest_len = -1 };

	for (int i = 0; i < n; i++) {
		int32_t a = answer[i], t = p->input[i];
		in_p[i] = i == s || i == g || (a == MAZE_PATH && t == MAZE_OPEN);
		if (a != t && !(a == MAZE_PATH && t == MAZE_OPEN)) {
			c.intact = false;
			mark(w, i, &nw);
		}
	}
	if (s < 0 || g < 0)
		goto done;
	c.shortest_len = maze_shortest_length(p);

	bfs_mask(side, in_p, s, ds, NULL, NULL);
	c.connected = ds[g] >= 0;
	if (!c.connected) {
		/* o cells touching neither end are stray; a gap's cells are missing */
		bfs_mask(side, in_p, g, dg, NULL, NULL);
		for (int i = 0; i < n; i++)
			if (in_p[i] && ds[i] < 0 && dg[i] < 0)
				mark(w, i, &nw);
		mark_missing(p, in_p, w, &nw);
		goto done;
	}
	int before = nw, cells = 0;
	for (int i = 0; i < n; i++)
		if (in_p[i] && ds[i] < 0) {
			in_p[i] = false;
			mark(w, i, &nw);
		}
	prune_dead_ends(side, in_p, s, g, w, &nw);
	c.valid = c.intact && nw == before;
	if (!c.valid)
		goto done;
	for (int i = 0; i < n; i++)
		cells += in_p[i];
	c.path_len = cells - 1;
	c.shortest = c.path_len == c.shortest_len;
	if (c.shortest)
		goto done;
	/* a detour: blame the cells that are on no shortest path */
	maze_bfs(p, s, ds, NULL);
	maze_bfs(p, g, dg, NULL);
	for (int i = 0; i < n; i++)
		if (in_p[i] && i != s && i != g && ds[i] + dg[i] != c.shortest_len)
			mark(w, i, &nw);
	if (nw == before) {
		/* every cell is on some shortest path (two of them marked at
		 * once): blame what differs from the reference */
		int32_t ref[PUZZLE_MAX_CELLS];
		const int32_t *r = p->has_label ? p->label : ref;
		if (p->has_label || rule_path(p, ref) == 0)
			for (int i = 0; i < n; i++)
				if (answer[i] != r[i])
					mark(w, i, &nw);
	}
done:
	c.n_wrong = nw;
	if (wrong)
		memcpy(wrong, w, (size_t)n * sizeof *wrong);
	if (out)
		*out = c;
	return c.shortest;
}

static bool maze_validate(const struct puzzle *p, const int32_t *answer, bool *wrong)
{
	return maze_check_answer(p, answer, wrong, NULL);
}

const struct puzzle_ops maze_ops = {
	.name = "maze",
	.vocab_size = MAZE_VOCAB,
	.parse = maze_parse,
	.format = maze_format,
	.look = maze_look,
	.solve = maze_solve,
	.validate = maze_validate,
};
