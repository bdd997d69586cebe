/* cli_puzzle.c - puzzles for the commands: opening, model checks,
 * validation and drawing (see cli_puzzle.h). */
#include "cli/cli_puzzle.h"
#include "io/model_fit.h"
#include "puzzles/arc.h"
#include "io/dataset.h"
#include "io/puzzle_spec.h"
#include "puzzles/maze.h"
#include "puzzles/sudoku.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

int cli_puzzle_from_dataset(const struct dataset_split *s, const char *dir, int64_t index, struct cli_puzzle *out,
			    char **cause)
{
	const struct dataset_meta *m = &s->meta;
	struct dataset_example ex;
	memset(out, 0, sizeof *out);
	snprintf(out->where, sizeof out->where, "%s/%s example %lld", dir, s->name, (long long)index);
	if (index < 0 || dataset_get_example(s, index, &ex) != 0)
		return set_cause(cause, "%s/%s: no example %lld (the split has %lld, numbered from 0)", dir, s->name,
				 (long long)index, (long long)s->num_examples);
	if (m->seq_len > PUZZLE_MAX_CELLS)
		return set_cause(cause, "%s/%s: seq_len %lld is more than the %d cells a puzzle can have", dir, s->name,
				 (long long)m->seq_len, PUZZLE_MAX_CELLS);
	struct puzzle *p = &out->p;
	int S = (int)m->seq_len, side = puzzle_side_of(S);
	const char *kind = model_fit_kind_name((int)m->vocab_size);
	out->vocab = (int)m->vocab_size;
	out->pid = ex.puzzle_identifier;
	out->has_ignore = m->has_ignore_label_id;
	out->ignore_label = (int32_t)m->ignore_label_id;
	p->seq_len = S;
	p->side = side ? side : S;
	if (kind && !strcmp(kind, "maze") && side >= MAZE_MIN_SIDE) {
		p->kind = PUZZLE_MAZE;
		out->known_kind = true;
	} else if (kind && !strcmp(kind, "sudoku") && S == SUDOKU_CELLS) {
		p->kind = PUZZLE_SUDOKU;
		out->known_kind = true;
	} else if (kind && !strcmp(kind, "ARC") && S == ARC_SIDE * ARC_SIDE) {
		p->kind = PUZZLE_ARC;
		out->known_kind = true;
	}
	for (int i = 0; i < S; i++) {
		int32_t l = ex.labels[i];
		bool ignored = out->has_ignore && l == out->ignore_label;
		p->input[i] = ex.inputs[i];
		/* an ignore id outside the vocabulary (-100) is drawn as pad */
		p->label[i] = ignored && (l < 0 || l >= out->vocab) ? 0 : l;
		p->has_label |= !ignored;
	}
	snprintf(p->name, sizeof p->name, "%s/%s #%lld", dir, s->name, (long long)index);
	return 0;
}

static int open_dataset(const char *dir, const char *split, long index, struct cli_puzzle *out, char **cause)
{
	struct dataset_split s;
	if (dataset_read_split(dir, split, &s, cause) != 0)
		return -1;
	int rc = cli_puzzle_from_dataset(&s, dir, index, out, cause);
	dataset_split_free(&s);
	return rc;
}

static int open_file(const char *path, long index, struct cli_puzzle *out, char **cause)
{
	struct puzzle *all = NULL;
	int n = 0;
	memset(out, 0, sizeof *out);
	if (puzzle_load_all(path, (int)index + 1, &all, &n, cause) != 0)
		return -1;
	if (index >= n) {
		free(all);
		return set_cause(cause, "%s: no puzzle %ld (the file has %d, numbered from 0)", path, index, n);
	}
	out->p = all[index];
	free(all);
	if (!out->p.has_label && out->p.kind != PUZZLE_ARC) {
		/* an unsolvable puzzle still runs, without a label */
		char *why = NULL;
		if (puzzle_ops_for(out->p.kind)->solve(&out->p, &why) == 0) {
			out->p.has_label = true;
			out->label_solved = true;
		}
		free(why);
	}
	out->known_kind = true;
	out->vocab = puzzle_ops_for(out->p.kind)->vocab_size;
	out->pid = 0;
	/* every official builder writes ignore_label_id 0: pad labels carry no answer */
	out->has_ignore = true;
	out->ignore_label = 0;
	if (index > 0)
		snprintf(out->where, sizeof out->where, "%s:%ld", path, index);
	else
		snprintf(out->where, sizeof out->where, "%s", path);
	return 0;
}

int cli_puzzle_open(const char *spec, struct cli_puzzle *out, char **cause)
{
	struct puzzle_spec ps;
	memset(out, 0, sizeof *out);
	if (puzzle_spec_parse(spec, &ps, cause) != 0)
		return -1;
	int rc = ps.dataset ? open_dataset(ps.path, ps.split, ps.index, out, cause)
			    : open_file(ps.path, ps.index, out, cause);
	puzzle_spec_free(&ps);
	return rc;
}

int cli_changed(const int32_t *a, const int32_t *b, int S)
{
	int n = 0;
	for (int i = 0; i < S; i++)
		n += a[i] != b[i];
	return n;
}

static int validate_maze(const struct cli_puzzle *cp, const int32_t *answer, bool *wrong, char *d, size_t n)
{
	struct maze_check mc;
	maze_check_answer(&cp->p, answer, wrong, &mc);
	if (!mc.intact)
		snprintf(d, n, "maze: walls, S or G changed, or path cells off the open cells");
	else if (!mc.connected)
		snprintf(d, n, "maze: the path does not join S to G");
	else if (!mc.valid)
		snprintf(d, n, "maze: stray or dead-end path cells");
	else if (!mc.shortest)
		snprintf(d, n, "maze: a path of %d moves, the shortest has %d", mc.path_len, mc.shortest_len);
	else
		snprintf(d, n, "maze: a shortest path, %d moves", mc.path_len);
	return mc.shortest;
}

int cli_validate(const struct cli_puzzle *cp, const int32_t *answer, bool *wrong, char *detail, size_t detail_len)
{
	char tmp[160];
	char *d = detail ? detail : tmp;
	size_t n = detail ? detail_len : sizeof tmp;
	int S = cp->p.seq_len, bad = 0;
	bool *w = wrong ? wrong : xcalloc((size_t)S, sizeof *w), ok;
	if (wrong)
		memset(wrong, 0, (size_t)S * sizeof *wrong);
	int rc = -1;
	if (!cp->known_kind) {
		snprintf(d, n, "no validator for a vocabulary of %d", cp->vocab);
	} else if (cp->p.kind == PUZZLE_MAZE) {
		rc = validate_maze(cp, answer, w, d, n);
	} else if (cp->p.kind == PUZZLE_SUDOKU) {
		ok = sudoku_check_answer(&cp->p, answer, w);
		for (int i = 0; i < S; i++)
			bad += w[i];
		if (ok)
			snprintf(d, n, "sudoku: a complete grid that keeps the givens and the rules");
		else
			snprintf(d, n, "sudoku: %d cell%s blank, changing a given or breaking a rule", bad,
				 bad == 1 ? "" : "s");
		rc = ok;
	} else if (cp->p.has_label) {
		ok = arc_check_answer(&cp->p, answer, w);
		snprintf(d, n, ok ? "ARC: the cropped answer equals the label grid" : "ARC: the cropped answer differs from the label grid");
		rc = ok;
	} else {
		snprintf(d, n, "ARC: no label to check against");
	}
	if (!wrong)
		free(w);
	return rc;
}

static char cell_char(const struct cli_puzzle *cp, int cell, int32_t tok)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	if (cp->known_kind)
		return puzzle_ops_for(cp->p.kind)->look(&cp->p, cell, tok).ch;
	return tok >= 0 && tok < 36 ? digits[tok] : '?';
}

void cli_print_panels(FILE *f, const struct cli_puzzle *cp, int n, const char *const *titles,
		      const int32_t *const *grids, const char *const *marks)
{
	int S = cp->p.seq_len, side = cp->p.side, cols = side, rows = side > 0 ? S / side : 0;
	if (cp->known_kind && cp->p.kind == PUZZLE_ARC) {
		/* the grids sit at the top left of the canvas: leave out the pad beyond them */
		int er = 0, ec = 0;
		for (int k = 0; k < n; k++)
			for (int i = 0; i < S; i++)
				if (marks && marks[k] ? marks[k][i] != '.' : grids[k][i] != ARC_PAD) {
					er = i / side + 1 > er ? i / side + 1 : er;
					ec = i % side + 1 > ec ? i % side + 1 : ec;
				}
		if (er < rows || ec < cols)
			fprintf(f, "(the top-left %dx%d of the %dx%d canvas; the rest is pad everywhere)\n", er, ec, side,
				side);
		rows = er;
		cols = ec;
	}
	int width = cols > 12 ? cols : 12;
	for (int k = 0; k < n; k++)
		if (k + 1 < n)
			fprintf(f, "%-*s  ", width, titles[k]);
		else
			fprintf(f, "%s\n", titles[k]);
	for (int r = 0; r < rows; r++)
		for (int k = 0; k < n; k++) {
			for (int c = 0; c < cols; c++) {
				int i = r * side + c;
				fputc(marks && marks[k] ? marks[k][i] : cell_char(cp, i, grids[k][i]), f);
			}
			if (k + 1 < n)
				fprintf(f, "%*s  ", width - cols, "");
			else
				fputc('\n', f);
		}
}

int cli_parse_shard(const char *s, long *i, long *n)
{
	const char *slash = strchr(s, '/');
	if (slash == NULL || slash == s)
		return -1;
	char head[32];
	size_t len = (size_t)(slash - s);
	if (len >= sizeof head)
		return -1;
	memcpy(head, s, len);
	head[len] = '\0';
	long a = puzzle_spec_index(head), b = puzzle_spec_index(slash + 1);
	if (a < 0 || b < 1 || a >= b)
		return -1;
	*i = a;
	*n = b;
	return 0;
}

int cli_puzzle_fit(const struct hrm_model *m, struct cli_puzzle *cp, char **cause)
{
	cp->walled_from = model_fit_wall_maze(m, &cp->p);
	struct fit_query q = {.what = cp->where, .vocab = cp->vocab, .seq_len = cp->p.seq_len, .pid = cp->pid};
	return model_fit(m, &q, FIT_EXACT, NULL, NULL, 0, cause);
}
