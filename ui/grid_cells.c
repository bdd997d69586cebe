/* grid_cells.c - what each cell of the grid shows in each grid mode; the
 * grid view only draws these. */
#include "ui/tui.h"
#include "puzzles/sudoku.h"

#include <math.h>
#include <string.h>

const float *grid_logits(const struct tui *t, enum grid_mode m, int p)
{
	if (t->hist == NULL || p < 0 || p >= t->hist_n)
		return NULL;
	const struct hist_pos *hp = &t->hist->pos[p];
	switch (m) {
	case GRID_PROBE:
		return hp->probe;
	case GRID_ZL:
		return hp->logits_zL;
	case GRID_PRED:
	case GRID_DIFF:
	case GRID_CONF:
	case GRID_CHANGED:
		return hp->logits_zH;
	default:
		return NULL;
	}
}

void grid_softmax(const float *row, int V, double *out)
{
	double mx = row[0], sum = 0.0;
	for (int v = 1; v < V; v++)
		if (row[v] > mx)
			mx = row[v];
	for (int v = 0; v < V; v++)
		sum += out[v] = exp((double)row[v] - mx);
	for (int v = 0; v < V; v++)
		out[v] /= sum;
}

/* s(x) = 1/(1-x) for x < 0, x+1 otherwise (the official stablemax) */
void grid_stablemax(const float *row, int V, double *out)
{
	double sum = 0.0;
	for (int v = 0; v < V; v++) {
		double x = row[v];
		sum += out[v] = x < 0 ? 1.0 / (1.0 - x) : x + 1.0;
	}
	for (int v = 0; v < V; v++)
		out[v] /= sum;
}

static enum swatch role_swatch(enum cell_role r)
{
	if (r >= ROLE_ARC0 && r <= ROLE_ARC_LAST)
		return (enum swatch)(SW_ARC0 + (r - ROLE_ARC0));
	switch (r) {
	case ROLE_WALL:
		return SW_WALL;
	case ROLE_START:
		return SW_START;
	case ROLE_GOAL:
		return SW_GOAL;
	case ROLE_PATH:
		return SW_PATH;
	case ROLE_PAD:
		return SW_PAD;
	case ROLE_EOS:
		return SW_EOS;
	default:
		return SW_OPEN;
	}
}

static int shade_of(double p)
{
	return p < 0.5 ? 0 : p < 0.7 ? 1 : p < 0.85 ? 2 : p < 0.95 ? 3 : 4;
}

bool grid_cells(const struct tui *t, struct grid_cell *cells, const char **why)
{
	return grid_cells_in(t, tui_grid_mode_shown(t), cells, why);
}

bool grid_cells_in(const struct tui *t, enum grid_mode mode, struct grid_cell *cells, const char **why)
{
	const struct puzzle *pz = &t->puz;
	int S = pz->seq_len, V = t->model->cfg.vocab_size;
	int32_t tokens[PUZZLE_MAX_CELLS];
	const float *logits = NULL;
	*why = NULL;
	if (grid_mode_heat(mode))
		return grid_heat_cells(t, mode, cells, why);
	switch (mode) {
	case GRID_INPUT:
		memcpy(tokens, pz->input, (size_t)S * sizeof *tokens);
		break;
	case GRID_LABEL:
		if (!pz->has_label) {
			*why = "no label for this puzzle";
			return false;
		}
		memcpy(tokens, pz->label, (size_t)S * sizeof *tokens);
		break;
	default:
		logits = grid_logits(t, mode, t->pos);
		if (logits == NULL || t->hist == NULL || t->hist->S != S) {
			*why =
			    mode == GRID_PROBE ? "computing the probe (one extra H pass)..." : "computing...";
			return false;
		}
		for (int c = 0; c < S; c++)
			tokens[c] = history_argmax(logits + (size_t)c * V, V);
		break;
	}
	bool answer = logits != NULL;
	bool label = pz->has_label;
	bool rule_wrong[PUZZLE_MAX_CELLS] = {false};
	if (answer && pz->kind == PUZZLE_SUDOKU && mode != GRID_CONF)
		sudoku_check_answer(pz, tokens, rule_wrong);
	const float *prev = NULL;
	if (mode == GRID_CHANGED && t->pos > 0)
		prev = grid_logits(t, GRID_PRED, t->pos - 1);
	for (int c = 0; c < S; c++) {
		struct grid_cell *g = &cells[c];
		memset(g, 0, sizeof *g);
		g->token = tokens[c];
		struct cell_look lk = t->pops->look(pz, c, tokens[c]);
		g->sw = role_swatch(lk.role);
		g->given = pz->kind == PUZZLE_SUDOKU && pz->input[c] >= 2 && pz->input[c] <= 10;
		if (!answer)
			continue;
		if (mode == GRID_DIFF) {
			g->wrong = label && pz->label[c] != 0 && tokens[c] != pz->label[c];
		} else if (mode == GRID_CONF) {
			double pr[64];
			if (V <= 64) {
				grid_softmax(logits + (size_t)c * V, V, pr);
				g->shade = shade_of(pr[tokens[c]]);
			}
			g->sw = (enum swatch)(SW_CONF0 + g->shade);
		} else if (mode == GRID_CHANGED) {
			g->changed = prev && history_argmax(prev + (size_t)c * V, V) != tokens[c];
			if (g->changed)
				g->sw = SW_CHANGED;
		} else if (pz->kind == PUZZLE_MAZE && label) {
			g->wrong = tokens[c] == MAZE_PATH && pz->label[c] != MAZE_PATH;
			g->missed = tokens[c] != MAZE_PATH && pz->label[c] == MAZE_PATH;
		} else if (pz->kind == PUZZLE_SUDOKU) {
			g->wrong = rule_wrong[c];
		}
		if (g->wrong && pz->kind != PUZZLE_SUDOKU)
			g->sw = SW_WRONG;
		else if (g->missed)
			g->sw = SW_MISSED;
	}
	return true;
}
