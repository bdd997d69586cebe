/* tui.c - `hrmscope tui` (and `hrmscope` with no arguments): options, the
 * embedded model and bundled maze, puzzles in and out, start and stop. */
#include "ui/tui.h"
#include "cli/cli.h"
#include "model/engine.h"
#include "puzzles/maze.h"
#include "ui/record.h"
#include "core/rng.h"
#include "ui/script.h"
#include "ui/term.h"
#include "ui/tui_app.h"
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
    "                    [--keys-delay MS] [--mono] [--ascii] [--list-keys]\n"
    "       hrmscope     (no arguments: the embedded maze model on a bundled maze)\n"
    "\n"
    "Watch the model think, step by step: the puzzle grid with the current answer,\n"
    "the L-module residual per L-step, the H-module update per H-step, the halting\n"
    "Q-values per segment, the participation ratio of z_H and z_L.  ? lists the keys.\n"
    "\n"
    "  --model DIR       a checkpoint directory (default: the embedded models/maze)\n"
    "  --puzzle SPEC     a puzzle file (maze, sudoku, ARC task, CSV; :INDEX picks one)\n"
    "                    or a dataset folder (split test, example 0 by default)\n"
    "  --threads N       BLAS threads of the compute thread (default 2)\n"
    "  --teach           start in teaching mode (autoplay with captions)\n"
    "  --record FILE     record the session as an asciinema v2 file\n"
    "  --keys KEYS       scripted keys, given one by one as each result is on screen:\n"
    "                    characters, space, esc, enter, tab, left, right, up, down,\n"
    "                    home, end, ^X, text:WORDS (types them), sleep:MS\n"
    "  --keys-delay MS   pause between scripted keys (default 250)\n"
    "  --mono            no colours (also when NO_COLOR is set)\n"
    "  --ascii           ASCII characters only (also when the locale is not UTF-8)\n"
    "  --list-keys       print the key list as Markdown and exit\n"
    "\n"
    "The screen needs 80x24 or more; the TUI needs a terminal (for scripts: hrmscope run, trace).\n";

/* Looks for rel under the places hrmscope's data can be: $HRMSCOPE_DATA,
 * beside the executable (the build tree), the install's data directory,
 * the current directory. */
static bool find_data(const char *rel, char *out, size_t len)
{
	char exe[PATH_MAX];
	const char *bases[4];
	int n = 0;
	if (getenv("HRMSCOPE_DATA"))
		bases[n++] = getenv("HRMSCOPE_DATA");
	ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (k > 0) {
		exe[k] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			bases[n++] = exe;
		}
	}
#ifdef HRM_PKGDATADIR
	bases[n++] = HRM_PKGDATADIR;
#endif
	bases[n++] = ".";
	for (int i = 0; i < n; i++) {
		struct stat st;
		snprintf(out, len, "%s/%s", bases[i], rel);
		if (stat(out, &st) == 0)
			return true;
	}
	return false;
}

static int side_of(int cells)
{
	int r = 0;
	while ((r + 1) * (r + 1) <= cells)
		r++;
	return r * r == cells ? r : 0;
}

/* The bundled maze for a maze model: the example of the model's size, or a
 * fresh one when there is none. */
static int default_maze(const struct hrm_model *m, struct puzzle *out, char **cause)
{
	int side = m->cfg.seq_len > 0 ? side_of(m->cfg.seq_len) : 11;
	if (side < MAZE_MIN_SIDE)
		return set_cause(cause, "the model takes %d cells, not a square maze: give --puzzle", m->cfg.seq_len);
	char rel[64], path[PATH_MAX];
	snprintf(rel, sizeof rel, "puzzles/examples/maze-%d.txt", side);
	if (find_data(rel, path, sizeof path))
		return puzzle_load_file(path, out, cause);
	struct hrm_rng rng;
	struct maze_gen_opts o = {.side = side, .min_path = side * side / 6};
	hrm_rng_seed(&rng, 1);
	if (maze_generate(&rng, &o, out, cause) != 0)
		return -1;
	snprintf(out->name, sizeof out->name, "fresh maze %dx%d", side, side);
	return 0;
}

/* Can the model take puzzle p?  why: the reason it cannot; warn: a note. */
static int check_fit(const struct hrm_model *m, const struct puzzle *p, int32_t *pid, char *why, size_t len, char *warn,
                     size_t wlen)
{
	const struct hrm_config *c = &m->cfg;
	warn[0] = '\0';
	for (int i = 0; i < p->seq_len; i++)
		if (p->input[i] < 0 || p->input[i] >= c->vocab_size) {
			snprintf(why, len, "%s: token %d is outside the model's vocabulary of %d (%s puzzles need %d)",
			         p->name, p->input[i], c->vocab_size, puzzle_ops_for(p->kind)->name,
			         puzzle_ops_for(p->kind)->vocab_size);
			return -1;
		}
	if (c->pos_encodings == HRM_POS_LEARNED && p->seq_len != c->seq_len) {
		snprintf(why, len, "%s: %d cells, but the model has learned positions for %d", p->name, p->seq_len,
		         c->seq_len);
		return -1;
	}
	if (c->puzzle_emb_ndim > 0 && (*pid < 0 || *pid >= c->num_puzzle_identifiers)) {
		snprintf(warn, wlen, "puzzle identifier %d is unknown to the model: using 0", *pid);
		*pid = 0;
	} else if (c->seq_len > 0 && p->seq_len != c->seq_len) {
		snprintf(warn, wlen, "the model was trained on %d cells, this puzzle has %d", c->seq_len, p->seq_len);
	}
	return 0;
}

static void fold_history(struct tui *t)
{
	worker_lock(t->worker);
	const struct history *h = worker_history(t->worker);
	if (h->gen == t->gen && h->n > 1) {
		for (int p = 1; p < h->n; p++) {
			const struct hist_pos *hp = &h->pos[p];
			if (hp->kind == HIST_H)
				pr_acc_add(&t->acc_H, hp->pool_zH);
			else
				pr_acc_add(&t->acc_L, hp->pool_zL);
		}
		/* read on every redraw of the PR view: no held rows to pass over */
		pr_acc_flush(&t->acc_H);
		pr_acc_flush(&t->acc_L);
		t->acc_puzzles++;
	}
	worker_unlock(t->worker);
}

void tui_restart(struct tui *t)
{
	worker_set_noise(t->worker, t->noise_sigma, t->noise_seed);
	t->gen = worker_load(t->worker, t->puz.input, t->puz.seq_len, t->pid, t->puz.has_label ? t->puz.label : NULL);
	t->target = 0;
	t->pos = 0;
	t->hist_n = 0;
	t->dirty |= DIRTY_ALL | DIRTY_LAYOUT | DIRTY_CLEAR;
}

int app_show_puzzle(struct tui *t, const struct puzzle *p, int32_t pid, char *why, size_t len)
{
	char warn[256];
	if (check_fit(t->model, p, &pid, why, len, warn, sizeof warn) != 0)
		return -1;
	fold_history(t);
	t->puz = *p;
	t->pid = pid;
	t->pops = puzzle_ops_for(p->kind);
	if (t->cur_r >= p->side || t->cur_c >= p->side)
		t->cur_r = t->cur_c = 0;
	if (t->focus == FOCUS_EDIT)
		t->focus = FOCUS_MAIN;
	tui_restart(t);
	if (warn[0])
		tui_message(t, false, "note: %s", warn);
	return 0;
}

/* A puzzle of a source: no guess noise (kept if it cannot be shown). */
static int show_plain(struct tui *t, const struct puzzle *p, int32_t pid, char *why, size_t len)
{
	double sigma = t->noise_sigma;
	t->noise_sigma = 0;
	int rc = app_show_puzzle(t, p, pid, why, len);
	if (rc != 0)
		t->noise_sigma = sigma;
	return rc;
}

void app_step_puzzle(struct tui *t, int delta)
{
	int64_t count = source_count(&t->src), i = t->src_index + delta;
	if (i < 0 || i >= count) {
		tui_message(t, false, "%s", i < 0 ? "this is the first puzzle" : "this is the last puzzle");
		return;
	}
	struct puzzle *p = xmalloc(sizeof *p);
	int32_t pid;
	char *cause = NULL, why[512];
	if (source_get(&t->src, i, p, &pid, &cause) != 0) {
		tui_message(t, true, "%s", cause ? cause : "cannot read the puzzle");
		free(cause);
	} else if (show_plain(t, p, pid, why, sizeof why) != 0) {
		tui_message(t, true, "%s", why);
	} else {
		t->src_index = i;
		t->playing = t->teaching;
	}
	free(p);
}

int app_open(struct tui *t, const char *spec)
{
	struct puzzle_source s;
	char *cause = NULL, why[512];
	if (source_open(&s, spec, &cause) != 0) {
		tui_message(t, true, "%s", cause ? cause : "cannot open it");
		free(cause);
		return -1;
	}
	struct puzzle *p = xmalloc(sizeof *p);
	int32_t pid;
	int rc = -1;
	if (source_get(&s, s.start, p, &pid, &cause) != 0) {
		tui_message(t, true, "%s", cause ? cause : "cannot read the puzzle");
		free(cause);
		source_close(&s);
	} else if (show_plain(t, p, pid, why, sizeof why) != 0) {
		tui_message(t, true, "%s", why);
		source_close(&s);
	} else {
		source_close(&t->src);
		t->src = s;
		t->src_index = s.start;
		rc = 0;
	}
	free(p);
	return rc;
}

struct tui_opts {
	const char *model, *puzzle, *record, *keys;
	long threads, keys_delay;
	bool teach, mono, ascii;
};

static int parse_opts(int argc, char **argv, struct tui_opts *o, int *done)
{
	static const struct option opts[] = {
	    {"model", required_argument, NULL, 'm'},   {"puzzle", required_argument, NULL, 'p'},
	    {"threads", required_argument, NULL, 't'}, {"record", required_argument, NULL, 'r'},
	    {"keys", required_argument, NULL, 'k'},    {"keys-delay", required_argument, NULL, 'd'},
	    {"teach", no_argument, NULL, 'T'},         {"mono", no_argument, NULL, 'M'},
	    {"ascii", no_argument, NULL, 'A'},         {"list-keys", no_argument, NULL, 'L'},
	    {"help", no_argument, NULL, 'h'},          {0, 0, 0, 0},
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

/* The first puzzle: --puzzle, or the bundled maze. */
static int first_source(const struct tui_opts *o, const struct hrm_model *m, struct puzzle_source *s)
{
	char *cause = NULL;
	if (o->puzzle) {
		if (source_open(s, o->puzzle, &cause) != 0)
			return cli_fail(cause);
		return EXIT_OK;
	}
	if (m->cfg.vocab_size != MAZE_VOCAB)
		return cli_usage("tui", "the model's vocabulary (%d) is not the maze's (%d): give --puzzle",
		                 m->cfg.vocab_size, MAZE_VOCAB);
	struct puzzle *p = xmalloc(sizeof *p);
	if (default_maze(m, p, &cause) != 0) {
		free(p);
		return cli_fail(cause);
	}
	source_complete_label(p);
	source_open_mazes(s, p);
	free(p);
	return EXIT_OK;
}

/* `hrmscope` with no arguments where there is no terminal (a pipe, CI): the
 * same embedded model and bundled maze, solved headless by `run`. */
static int headless_default(void)
{
	char model_dir[PATH_MAX], maze[PATH_MAX];
	if (!find_data("models/maze/all_config.yaml", model_dir, sizeof model_dir)) {
		fprintf(stderr, "hrmscope: the embedded maze model (models/maze/) is not installed; "
		                "see `hrmscope --help`\n");
		return EXIT_RUNTIME;
	}
	*strrchr(model_dir, '/') = '\0';
	struct hrm_model *m = xcalloc(1, sizeof *m);
	struct model_source ms = {.model = model_dir};
	if (cli_load_model(&ms, m) != 0) {
		free(m);
		return EXIT_RUNTIME;
	}
	int side = m->cfg.seq_len > 0 ? side_of(m->cfg.seq_len) : 0;
	hrm_model_free(m);
	free(m);
	char rel[64];
	snprintf(rel, sizeof rel, "puzzles/examples/maze-%d.txt", side);
	if (side == 0 || !find_data(rel, maze, sizeof maze)) {
		fprintf(stderr, "hrmscope: no bundled maze (%s) for the embedded model\n", rel);
		return EXIT_RUNTIME;
	}
	printf("hrmscope: not a terminal, so here is the embedded model solving %s as text.\n"
	       "Run `hrmscope` in a terminal for the step-by-step TUI.\n\n", rel);
	fflush(stdout);
	char a0[] = "run", a1[] = "--model", a3[] = "--puzzle"; /* argv is writable (-Wwrite-strings) */
	char *argv[] = { a0, a1, model_dir, a3, maze, NULL };
	return cmd_run(5, argv);
}

int cmd_tui(int argc, char **argv)
{
	/* no arguments at all (argv[0] is the program, not "tui") */
	if (argc < 2 && strcmp(argv[0], "tui") != 0 && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
		return headless_default();
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
		if (!find_data("models/maze/all_config.yaml", model_dir, sizeof model_dir)) {
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
	if (rc == EXIT_OK && check_fit(model, first, &pid, why, sizeof why, warn, sizeof warn) != 0)
		rc = cli_fail(xstrdup(why));
	if (rc == EXIT_OK && o.keys && (t->script = script_parse(o.keys, (int)o.keys_delay, &cause)) == NULL)
		rc = cli_usage("tui", "%s", cause), free(cause);
	if (rc == EXIT_OK && o.record && (t->rec = record_open(o.record, &cause)) == NULL)
		rc = cli_fail(cause);
	if (rc == EXIT_OK) {
		hrm_set_threads((int)o.threads);
		if ((t->worker = worker_new(model, &cause)) == NULL)
			rc = cli_fail(cause);
	}
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
