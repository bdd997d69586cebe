/* tui.c - `hrmscope tui` (and `hrmscope` with no arguments): options, the
 * embedded model and bundled maze, puzzles in and out, start and stop. */
#include "ui/ui.h"
#include "ui/tui.h"
#include "cli/cli.h"
#include "model/engine.h"
#include "puzzles/maze.h"
#include "puzzles/sudoku.h"
#include "ui/record.h"
#include "core/rng.h"
#include "ui/script.h"
#include "ui/term.h"
#include "ui/app.h"
#include "ui/compare.h"
#include "ui/guess_job.h"
#include "ui/tui_loop.h"
#include "core/util.h"

#include <getopt.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char tui_help[] =
    "usage: hrmscope tui [--model DIR] [--puzzle FILE[:INDEX] | DATASET[:SPLIT[:INDEX]]]\n"
    "                    [--threads N] [--teach] [--record FILE.cast] [--keys \"l l s r q\"]\n"
    "                    [--keys-delay MS] [--dtype fp32|bf16] [--mono] [--ascii] [--list-keys]\n"
    "                    [--compare DIR|untrained] [--compare-dtype fp32|bf16]\n"
    "       hrmscope     (no arguments: the embedded maze model on a bundled maze)\n"
    "\n"
    "Watch the model think, step by step: the puzzle grid with the current answer,\n"
    "the L-module residual per L-step, the H-module update per H-step, the halting\n"
    "Q-values per segment, the participation ratio of z_H and z_L.  ? lists the keys.\n"
    "A TRM checkpoint is shown in its paper's words: an L-step updates the latent\n"
    "z (z_L), an H-step the answer y (z_H), both by the one network.\n"
    "\n"
    "  --model DIR       a checkpoint directory (default: the embedded models/maze)\n"
    "  --puzzle SPEC     a puzzle file (maze, sudoku, ARC task, CSV; :INDEX picks one)\n"
    "                    or a dataset folder (split test, else train; example 0 by default);\n"
    "                    without it a maze or sudoku model opens a bundled one, n fresh ones\n"
    "  --threads N       BLAS threads of the compute thread (default 2)\n"
    "  --teach           start in teaching mode (autoplay with captions)\n"
    "  --record FILE     record the session as an asciinema v2 file (asciinema play FILE\n"
    "                    plays it; W in the TUI starts and stops a recording too)\n"
    "  --keys KEYS       scripted keys, given one by one as each result is on screen:\n"
    "                    characters, space, esc, enter, tab, left, right, up, down,\n"
    "                    home, end, ^X, text:WORDS (types them), sleep:MS\n"
    "  --keys-delay MS   pause between scripted keys (default 250)\n"
    "  --dtype D         start in this arithmetic: fp32 (default) or bf16, as the official\n"
    "                    code computes (forward_dtype: bfloat16); D switches while it runs\n"
    "  --compare DIR     a second model stepped beside the first on the same puzzle, in\n"
    "                    lockstep (both grids, both residual series in each chart, both\n"
    "                    halting tables; x swaps which is in front); `untrained`: the model's\n"
    "                    own untrained init (its config, the official init, seed 0, as\n"
    "                    `hrmscope init` makes it); the models must take the same puzzles\n"
    "                    and step alike (H_cycles, L_cycles, halt_max_steps)\n"
    "  --compare-dtype D the second run in this arithmetic (fp32 or bf16): alone, the model\n"
    "                    beside itself in the other arithmetic\n"
    "  --mono            no colours (also when NO_COLOR is set)\n"
    "  --ascii           ASCII characters only (also when the locale is not UTF-8)\n"
    "  --list-keys       print the key list as Markdown and exit\n"
    "\n"
    "The screen needs 80x24 or more; the TUI needs a terminal (for scripts: hrmscope run, trace).\n";

/* The bundled maze for a maze model: the example of the model's size, or a
 * fresh one when there is none. */
static int default_maze(const struct hrm_model *m, struct puzzle *out, char **cause)
{
	int side = m->cfg.seq_len > 0 ? puzzle_side_of(m->cfg.seq_len) : 11;
	if (side < MAZE_MIN_SIDE)
		return set_cause(cause, "the model takes %d cells, not a square maze: give --puzzle", m->cfg.seq_len);
	char rel[64], path[PATH_MAX];
	snprintf(rel, sizeof rel, "puzzles/examples/maze-%d.txt", side);
	if (cli_find_data(rel, path, sizeof path))
		return puzzle_load_file(path, out, cause);
	struct hrm_rng rng;
	struct maze_gen_opts o = {.side = side, .min_path = side * side / 6};
	hrm_rng_seed(&rng, 1);
	if (maze_generate(&rng, &o, out, cause) != 0)
		return -1;
	snprintf(out->name, sizeof out->name, "fresh maze %dx%d", side, side);
	return 0;
}

/* The bundled sudoku for a sudoku model: the medium example (30 givens,
 * the level models/sudoku is trained to; it takes the model a few segments,
 * which is what there is to watch), or a fresh one when it is not there; n
 * then gives fresh sudokus with as many givens. */
static int default_sudoku(struct puzzle *out, char **cause)
{
	char path[PATH_MAX];
	if (cli_find_data("puzzles/examples/sudoku-medium.txt", path, sizeof path))
		return puzzle_load_file(path, out, cause);
	struct hrm_rng rng;
	struct sudoku_gen_opts o = {.givens = 30};
	hrm_rng_seed(&rng, 1);
	if (sudoku_generate(&rng, &o, out, NULL, cause) != 0)
		return -1;
	snprintf(out->name, sizeof out->name, "fresh sudoku, 30 givens");
	return 0;
}

struct tui_opts {
	const char *model, *puzzle, *record, *keys;
	long threads, keys_delay;
	bool teach, mono, ascii;
	enum hrm_dtype dtype;
	const char *compare; /* DIR or "untrained", NULL none */
	bool compare_dtype_set;
	enum hrm_dtype compare_dtype;
};

/* --compare untrained: the official init with this seed (`hrmscope init`'s default) */
#define UNTRAINED_SEED 0

static int parse_opts(int argc, char **argv, struct tui_opts *o, int *done)
{
	static const struct option opts[] = {
	    {"model", required_argument, NULL, 'm'},
	    {"puzzle", required_argument, NULL, 'p'},
	    {"threads", required_argument, NULL, 't'},
	    {"record", required_argument, NULL, 'r'},
	    {"keys", required_argument, NULL, 'k'},
	    {"keys-delay", required_argument, NULL, 'd'},
	    {"teach", no_argument, NULL, 'T'},
	    {"mono", no_argument, NULL, 'M'},
	    {"ascii", no_argument, NULL, 'A'},
	    {"list-keys", no_argument, NULL, 'L'},
	    {"dtype", required_argument, NULL, 'D'},
	    {"compare", required_argument, NULL, 'C'},
	    {"compare-dtype", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {0, 0, 0, 0},
	};
	int c;
	*done = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			o->model = optarg;
			break;
		case 'p':
			o->puzzle = optarg;
			break;
		case 'r':
			o->record = optarg;
			break;
		case 'k':
			o->keys = optarg;
			break;
		case 't':
			if (cli_int(optarg, 1, 1024, &o->threads))
				return cli_usage("tui", "--threads: bad value '%s'", optarg);
			break;
		case 'd':
			if (cli_int(optarg, 0, 60000, &o->keys_delay))
				return cli_usage("tui", "--keys-delay: bad value '%s'", optarg);
			break;
		case 'D':
			if (cli_opt_dtype("tui", optarg, &o->dtype) != 0)
				return EXIT_USAGE;
			break;
		case 'C':
			o->compare = optarg;
			break;
		case 'c':
			if (cli_opt_dtype("tui", optarg, &o->compare_dtype) != 0)
				return EXIT_USAGE;
			o->compare_dtype_set = true;
			break;
		case 'T':
			o->teach = true;
			break;
		case 'M':
			o->mono = true;
			break;
		case 'A':
			o->ascii = true;
			break;
		case 'L':
			keys_print_markdown(stdout);
			*done = 1;
			return EXIT_OK;
		case 'h':
			fputs(tui_help, stdout);
			*done = 1;
			return EXIT_OK;
		default:
			return cli_usage("tui", "bad option");
		}
	}
	if (optind < argc)
		return cli_usage("tui", "unexpected argument '%s'", argv[optind]);
	return EXIT_OK;
}

/* The first puzzle: --puzzle, or the bundled maze or sudoku. */
static int first_source(const struct tui_opts *o, const struct hrm_model *m, struct puzzle_source *s)
{
	char *cause = NULL;
	if (o->puzzle) {
		if (source_open(s, o->puzzle, &cause) != 0)
			return cli_fail(cause);
		return EXIT_OK;
	}
	bool sudoku = m->cfg.vocab_size == SUDOKU_VOCAB && m->cfg.seq_len == SUDOKU_CELLS;
	if (m->cfg.vocab_size != MAZE_VOCAB && !sudoku)
		return cli_usage("tui", "the model's vocabulary (%d) is neither the maze's (%d) nor the sudoku's (%d): give --puzzle",
		                 m->cfg.vocab_size, MAZE_VOCAB, SUDOKU_VOCAB);
	struct puzzle *p = xmalloc(sizeof *p);
	if ((sudoku ? default_sudoku(p, &cause) : default_maze(m, p, &cause)) != 0) {
		free(p);
		return cli_fail(cause);
	}
	source_complete_label(p);
	source_open_fresh(s, p);
	free(p);
	return EXIT_OK;
}

/* The compared model: --compare DIR, the untrained init, or the front's own. */
static int compare_model(const struct tui_opts *o, struct hrm_model *front, struct session *s)
{
	char *cause = NULL;
	if (o->compare == NULL) {
		s->model = front;
		return EXIT_OK;
	}
	s->model = xcalloc(1, sizeof *s->model);
	s->own_model = true;
	if (strcmp(o->compare, "untrained") == 0) {
		if (hrm_model_alloc(s->model, &front->cfg, &cause) != 0)
			return cli_fail(cause);
		hrm_model_init_random(s->model, UNTRAINED_SEED);
		snprintf(s->model->name, sizeof s->model->name, "untrained");
		return EXIT_OK;
	}
	struct model_source ms = {.model = o->compare};
	return cli_load_model(&ms, s->model) != 0 ? EXIT_RUNTIME : EXIT_OK;
}

/* tui --compare / --compare-dtype: the second run, checked against the
 * first puzzle before the screen opens (t->cmp, and its worker).  The
 * front's label and the header's description are set. */
static int open_compare(const struct tui_opts *o, struct tui *t, const struct puzzle *first, int32_t pid)
{
	if (o->compare == NULL && !o->compare_dtype_set)
		return EXIT_OK;
	struct hrm_model *front = t->model;
	enum hrm_dtype dt = o->compare_dtype_set ? o->compare_dtype : o->dtype;
	if (o->compare == NULL && dt == o->dtype)
		return cli_usage("tui", "--compare-dtype %s: the run is in %s already (give --dtype the other one)",
		                 hrm_dtype_name(dt), hrm_dtype_name(dt));
	struct session *s = xcalloc(1, sizeof *s);
	t->cmp = s;
	s->dtype = dt;
	s->pid = pid;
	int rc = compare_model(o, front, s); /* on failure compare_free frees what was made */
	if (rc != EXIT_OK)
		return rc;
	const struct hrm_config *a = &front->cfg, *b = &s->model->cfg;
	const char *what = o->compare ? o->compare : "--compare-dtype";
	char *cause = NULL, *msg = NULL, note[256];
	if (a->H_cycles != b->H_cycles || a->L_cycles != b->L_cycles || a->halt_max_steps != b->halt_max_steps) {
		set_cause(&msg, "--compare %s: it steps in %dx%d cycles over %d segments, the model %s in %dx%d over %d: "
		          "the two cannot move in lockstep",
		          what, b->H_cycles, b->L_cycles, b->halt_max_steps, front->name, a->H_cycles, a->L_cycles,
		          a->halt_max_steps);
		return cli_fail(msg);
	}
	if (app_check_fit(s->model, first, &s->pid, note, sizeof note, &cause) != 0) {
		set_cause(&msg, "--compare %s: %s", what, cause);
		free(cause);
		return cli_fail(msg);
	}
	if (dt == HRM_DTYPE_BF16 && s->model->bf16 == NULL && hrm_model_prepare_bf16(s->model, &cause) != 0)
		return cli_fail(cause);
	if ((s->worker = worker_new(s->model, &cause)) == NULL)
		return cli_fail(cause);
	worker_set_dtype(s->worker, dt);
	/* the labels: the models' names, with the arithmetic when that is what differs */
	if (o->compare == NULL) {
		snprintf(t->run_name, sizeof t->run_name, "%.40s %s", front->name, hrm_dtype_name(o->dtype));
		snprintf(s->name, sizeof s->name, "%.40s %s", front->name, hrm_dtype_name(dt));
	} else {
		snprintf(t->run_name, sizeof t->run_name, "%.60s", front->name);
		snprintf(s->name, sizeof s->name, "%.50s%s", s->model->name,
		         strcmp(s->model->name, front->name) == 0 ? " (2)" : "");
		if (dt != o->dtype) {
			size_t n = strlen(s->name);
			snprintf(s->name + n, sizeof s->name - n, " %s", hrm_dtype_name(dt));
		}
	}
	snprintf(t->run_desc, sizeof t->run_desc, "%s", t->run_name);
	if (o->compare && strcmp(o->compare, "untrained") == 0)
		snprintf(s->desc, sizeof s->desc, "untrained init (seed %d)", UNTRAINED_SEED);
	else
		snprintf(s->desc, sizeof s->desc, "%s", s->name);
	return EXIT_OK;
}

int cmd_tui(int argc, char **argv)
{
	struct tui_opts o = {.threads = 2, .keys_delay = 250};
	int done, rc = parse_opts(argc, argv, &o, &done);
	if (done || rc != EXIT_OK)
		return rc;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "hrmscope: the TUI needs a terminal (stdin and stdout); for scripts use "
		                "`hrmscope run --model DIR --puzzle FILE` or `hrmscope trace --model DIR`\n");
		return EXIT_RUNTIME;
	}
	char model_dir[PATH_MAX];
	if (o.model == NULL) {
		if (!cli_find_data("models/maze/all_config.yaml", model_dir, sizeof model_dir)) {
			fprintf(stderr,
			        "hrmscope: the embedded maze model (models/maze/) is not there yet (it is still "
			        "being trained); try `hrmscope tui --model DIR --puzzle FILE` on any model\n");
			return EXIT_RUNTIME;
		}
		*strrchr(model_dir, '/') = '\0';
		o.model = model_dir;
	}
	struct hrm_model *model = xcalloc(1, sizeof *model);
	struct model_source ms = {.model = o.model};
	if (cli_load_model(&ms, model) != 0) {
		free(model);
		return EXIT_RUNTIME;
	}
	struct tui *t = xcalloc(1, sizeof *t);
	t->model = model;
	pr_acc_init(&t->acc_H, model->cfg.hidden_size, PR_LOOPS);
	pr_acc_init(&t->acc_L, model->cfg.hidden_size, PR_LOOPS);
	char *cause = NULL, why[512], warn[256];
	struct puzzle *first = xmalloc(sizeof *first);
	int32_t pid = 0;
	rc = first_source(&o, model, &t->src);
	if (rc == EXIT_OK && source_get(&t->src, t->src.start, first, &pid, &cause) != 0)
		rc = cli_fail(cause);
	if (rc == EXIT_OK && app_check_fit(model, first, &pid, warn, sizeof warn, &cause) != 0)
		rc = cli_fail(cause);
	if (rc == EXIT_OK && o.keys && (t->script = script_parse(o.keys, (int)o.keys_delay, &cause)) == NULL)
		rc = cli_usage("tui", "%s", cause), free(cause);
	if (rc == EXIT_OK && o.record && (t->rec = record_open(o.record, &cause)) == NULL)
		rc = cli_fail(cause);
	if (t->rec && o.record)
		snprintf(t->rec_path, sizeof t->rec_path, "%s", o.record);
	if (rc == EXIT_OK) {
		hrm_set_threads((int)o.threads);
		if ((t->worker = worker_new(model, &cause)) == NULL)
			rc = cli_fail(cause);
	}
	if (rc == EXIT_OK && o.dtype == HRM_DTYPE_BF16) {
		if (hrm_model_prepare_bf16(model, &cause) != 0)
			rc = cli_fail(cause);
		else
			app_set_dtype(t, o.dtype);
	}
	if (rc == EXIT_OK)
		rc = open_compare(&o, t, first, pid);
	if (rc == EXIT_OK) {
		setlocale(LC_ALL, "");
		t->utf8 = !o.ascii && strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
		t->g = glyphs_get(t->utf8);
		const char *nc = getenv("NO_COLOR");
		if (term_start(!o.mono && !(nc && *nc), &cause) != 0)
			rc = cli_fail(cause);
	}
	if (rc == EXIT_OK) {
		colors_init(!o.mono && !(getenv("NO_COLOR") && *getenv("NO_COLOR")));
		t->src_index = t->src.start;
		t->grid_mode = GRID_PRED;
		t->log_scale = true;
		t->speed = 3;
		app_show_puzzle(t, first, pid, why, sizeof why);
		if (t->dtype == HRM_DTYPE_FP32 && cli_trained_bf16(model) && !t->msg[0])
			app_message(t, false,
			            "note: trained with forward_dtype %s; running in fp32 (D: bf16, the official "
			            "arithmetic)",
			            model->cfg.forward_dtype);
		if (o.teach) {
			t->teaching = t->playing = true;
			t->speed = 1;
		}
		rc = tui_loop(t);
		for (int i = 0; i < V_COUNT; i++)
			if (t->views[i].win)
				delwin(t->views[i].win);
		term_stop();
	}
	free(first);
	compare_free(t);
	guess_view_free(t);
	worker_free(t->worker);
	if (record_close(t->rec, &cause) != 0 && rc == EXIT_OK)
		rc = cli_fail(cause);
	script_free(t->script);
	source_close(&t->src);
	pr_acc_free(&t->acc_H);
	pr_acc_free(&t->acc_L);
	free(t);
	hrm_model_free(model);
	free(model);
	return rc;
}
