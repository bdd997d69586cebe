/* cmd_attn.c - `hrmscope attn`: the attention weights one cell's position
 * gives every position, for one layer and head of the module that ran one
 * step (analysis/attention.h). */
#include "cli/cli.h"
#include "model/arch.h"
#include "cli/cli_puzzle.h"
#include "cli/options.h"
#include "analysis/attention.h"
#include "core/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char attn_help[] =
	"usage: hrmscope attn --model DIR --puzzle SPEC --segment S --step K --layer L\n"
	"                     [--head H|mean] --cell R,C [--format text|csv] [--dtype fp32|bf16]\n"
	"                     [--threads N]\n"
	"\n"
	"The attention weights of one cell at one step: run the puzzle from the reset carry to\n"
	"the state before step K of segment S, then run the module that step calls (L_level for\n"
	"an L-step, H_level for an H-step) up to layer L and take that layer's softmax row for\n"
	"the cell's position: the weight it gives every key position.  The puzzle embedding's\n"
	"prefix tokens are counted apart.  Nothing else is kept; each call recomputes.\n"
	"\n"
	"  --segment S      1-based segment, 1..halt_max_steps\n"
	"  --step K         1-based step inside the segment, 1..H_cycles x (L_cycles + 1): the\n"
	"                   L-steps of the first H cycle, its H-step, then the next cycle's...\n"
	"  --layer L        0-based block of the module\n"
	"  --head H         0-based head, or mean (the default): the mean over the heads\n"
	"  --cell R,C       the query cell, 0-based row and column of the puzzle's grid\n"
	"  --format F       text (default: the weights on the grid, in per mille) or csv (one\n"
	"                   line per key position: kind (prefix or cell), row, col, position,\n"
	"                   head, weight)\n"
	"  --dtype D        fp32 (default) or bf16: the weights the official bf16 forward uses\n";

struct attn_args {
	struct cli_common co;
	long segment, step, layer, head; /* head -1: mean */
	long row, col;
	bool csv;
};

static int parse_cell(const char *s, long *r, long *c)
{
	char buf[64];
	const char *comma = strchr(s, ',');
	if (comma == NULL || (size_t)(comma - s) >= sizeof buf)
		return -1;
	memcpy(buf, s, (size_t)(comma - s));
	buf[comma - s] = '\0';
	return cli_int(buf, 0, 1 << 20, r) != 0 || cli_int(comma + 1, 0, 1 << 20, c) != 0 ? -1 : 0;
}

static int parse_attn(int argc, char **argv, struct attn_args *a)
{
	static const struct option opts[] = {
		CLI_OPTION_MODEL, CLI_OPTION_PUZZLE, CLI_OPTION_DTYPE, CLI_OPTION_THREADS,
		{ "segment", required_argument, NULL, 's' }, { "step", required_argument, NULL, 'k' },
		{ "layer", required_argument, NULL, 'l' },   { "head", required_argument, NULL, 'H' },
		{ "cell", required_argument, NULL, 'c' },    { "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },          { 0, 0, 0, 0 }
	};
	memset(a, 0, sizeof *a);
	cli_common_init(&a->co, "attn");
	a->segment = a->step = a->layer = a->row = -1;
	a->head = -1;
	int c, rc;
	bool have_cell = false;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		rc = 0;
		switch (c) {
		case 's': rc = cli_opt_int("attn", "--segment", optarg, 1, 1 << 20, &a->segment); break;
		case 'k': rc = cli_opt_int("attn", "--step", optarg, 1, 1 << 20, &a->step); break;
		case 'l': rc = cli_opt_int("attn", "--layer", optarg, 0, 1 << 20, &a->layer); break;
		case 'H':
			if (strcmp(optarg, "mean") == 0)
				a->head = -1;
			else
				rc = cli_opt_int("attn", "--head", optarg, 0, 1 << 20, &a->head);
			break;
		case 'c':
			if (parse_cell(optarg, &a->row, &a->col) != 0)
				return cli_usage("attn", "--cell: expected ROW,COL (0-based), got '%s'", optarg);
			have_cell = true;
			break;
		case 'f':
			if (strcmp(optarg, "csv") == 0)
				a->csv = true;
			else if (strcmp(optarg, "text") != 0)
				return cli_usage("attn", "--format: expected text or csv, got '%s'", optarg);
			break;
		case 'h': fputs(attn_help, stdout); return EXIT_OK;
		default: rc = cli_common_opt(&a->co, c, optarg);
		}
		if (rc != 0)
			return rc;
	}
	if (optind < argc)
		return cli_usage("attn", "unexpected argument '%s'", argv[optind]);
	if (!a->co.src.model || !a->co.puzzle)
		return cli_usage("attn", "give --model DIR and --puzzle SPEC");
	if (a->segment < 0 || a->step < 0 || a->layer < 0 || !have_cell)
		return cli_usage("attn", "give --segment, --step, --layer and --cell");
	return -1;
}

static void print_text(const struct attn_args *a, const struct hrm_model *m, const struct cli_puzzle *cp,
		       const struct attn_result *r, const float *cells)
{
	const struct hrm_config *c = &m->cfg;
	int side = cp->p.side, S = cp->p.seq_len;
	char dt[128];
	bool L = r->mod == HRM_MODULE_L;
	printf("model: %s, dtype %s\n", m->name, cli_dtype_desc(a->co.dtype, dt, sizeof dt));
	printf("step: segment %ld step %ld (%s), layer %ld of %d, ", a->segment, a->step,
	       L ? "an L-step: L_level" : hrm_arch_desc(c)->shared_net ? "an H-step: L_level" : "an H-step: H_level", a->layer,
	       hrm_update_layers(c, L));
	if (a->head < 0)
		printf("mean over %d heads\n", r->rows);
	else
		printf("head %ld of %d\n", a->head, r->rows);
	printf("query: cell (%ld,%ld) = position %d of %d (%d prefix tokens first)\n", a->row, a->col, r->query, r->T,
	       r->Lp);
	double pre = attn_prefix_share(r, (int)a->head), cell_sum = 0.0;
	for (int s = 0; s < S; s++)
		cell_sum += cells[s];
	printf("prefix tokens (puzzle embedding): %.2f %%   cells: %.2f %%   sum %.6f\n", 100.0 * pre,
	       100.0 * cell_sum, pre + cell_sum);
	int best[5] = { -1, -1, -1, -1, -1 };
	for (int s = 0; s < S; s++)
		for (int k = 0; k < 5; k++)
			if (best[k] < 0 || cells[s] > cells[best[k]]) {
				memmove(best + k + 1, best + k, (size_t)(4 - k) * sizeof *best);
				best[k] = s;
				break;
			}
	printf("largest:");
	for (int k = 0; k < 5 && best[k] >= 0; k++)
		printf(" (%d,%d) %.2f %%", best[k] / side, best[k] % side, 100.0 * cells[best[k]]);
	printf("\nweights on the grid, per mille (* the query cell):\n");
	for (int y = 0; y < side; y++) {
		for (int x = 0; x < side; x++) {
			int s = y * side + x;
			printf("%4.0f%c", 1000.0 * cells[s], y == a->row && x == a->col ? '*' : ' ');
		}
		putchar('\n');
	}
}

static void print_csv(const struct attn_args *a, const struct cli_puzzle *cp, const struct attn_result *r,
		      const float *cells)
{
	int side = cp->p.side;
	char head[32];
	if (a->head < 0)
		snprintf(head, sizeof head, "mean");
	else
		snprintf(head, sizeof head, "%ld", a->head);
	printf("kind,row,col,position,head,weight\n");
	for (int j = 0; j < r->Lp; j++) {
		double v = 0.0;
		for (int h = 0; h < r->rows; h++)
			if (a->head < 0 || h == a->head)
				v += r->w[(size_t)h * r->T + j];
		printf("prefix,,,%d,%s,%.9g\n", j, head, a->head < 0 ? v / r->rows : v);
	}
	for (int s = 0; s < r->T - r->Lp; s++)
		printf("cell,%d,%d,%d,%s,%.9g\n", s / side, s % side, r->Lp + s, head, cells[s]);
}

int cmd_attn(int argc, char **argv)
{
	struct attn_args a;
	int rc = parse_attn(argc, argv, &a);
	if (rc >= 0)
		return rc;
	char *cause = NULL;
	struct cli_puzzle *cp = xmalloc(sizeof *cp);
	struct hrm_model m;
	if (cli_puzzle_open(a.co.puzzle, cp, &cause) != 0) {
		free(cp);
		return cli_fail(cause);
	}
	hrm_set_threads((int)a.co.threads);
	if (cli_load_model(&a.co.src, &m) != 0) {
		free(cp);
		return EXIT_RUNTIME;
	}
	struct attn_result r = { 0 };
	float *cells = NULL;
	int side = cp->p.side;
	if (cli_puzzle_fit(&m, cp, &cause) != 0) {
		rc = cli_fail(cause);
	} else if ((rc = cli_use_dtype(&m, a.co.dtype)) != EXIT_OK) {
	} else if (a.row >= (side = cp->p.side) || a.col >= side) {
		rc = cli_usage("attn", "--cell %ld,%ld is outside the %dx%d grid", a.row, a.col, side, side);
	} else if (a.head >= m.cfg.num_heads) {
		rc = cli_usage("attn", "--head %ld: the model has heads 0..%d", a.head, m.cfg.num_heads - 1);
	} else if (attn_at_step(&m, a.co.dtype, cp->p.input, cp->p.seq_len, cp->pid, (int)a.segment, (int)a.step,
				(int)a.layer, (int)(a.row * side + a.col), &r, &cause) != 0) {
		rc = cli_fail(cause);
	} else {
		cells = xmalloc((size_t)cp->p.seq_len * sizeof *cells);
		attn_cells(&r, (int)a.head, cells);
		if (a.csv)
			print_csv(&a, cp, &r, cells);
		else
			print_text(&a, &m, cp, &r, cells);
		rc = EXIT_OK;
	}
	free(cells);
	attn_result_free(&r);
	free(cp);
	hrm_model_free(&m);
	return rc;
}
