/* main.c - hrmscope: command dispatch. */
#include "config.h"
#include "cli/cli.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct command {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
};

static const struct command commands[] = {
	{ "init", cmd_init, "create a randomly initialised model (official init scheme)" },
	{ "info", cmd_info, "print a model's config, tensor table and parameter count" },
	{ "trace", cmd_trace, "step a model and print every L-step, H-step and segment" },
	{ "train", cmd_train, "train a model (official recipe, resumable)" },
	{ "run", cmd_run, "solve one puzzle and show how the answer developed" },
	{ "gen", cmd_gen, "write an official dataset folder (generated puzzles or official CSV)" },
	{ "eval", cmd_eval, "the paper's metrics on a dataset split (batched, sharded)" },
	{ "pr", cmd_pr, "participation ratio of z_H and z_L (trained vs untrained)" },
	{ "guess", cmd_guess, "K perturbed versions as one batch: fixed points reached and the vote" },
	{ "probe-simple", cmd_probe_simple, "easy variants of solved puzzles: failures and fixed-point violations" },
	{ "tui", cmd_tui, "watch the model think, step by step (no arguments: the embedded maze model)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hrmscope COMMAND [OPTIONS]   (hrmscope COMMAND --help for its options)\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n  --version  print the version\n");
}

int cli_fail(char *msg)
{
	fprintf(stderr, "hrmscope: %s\n", msg ? msg : "unknown error");
	free(msg);
	return EXIT_RUNTIME;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "hrmscope %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n(see hrmscope %s --help)\n", cmd);
	va_end(ap);
	return EXIT_USAGE;
}

int cli_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int cli_double(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int cli_opt_int(const char *cmd, const char *opt, const char *value, long lo, long hi, long *out)
{
	if (cli_int(value, lo, hi, out))
		return cli_usage(cmd, "%s: expected an integer %ld..%ld, got '%s'", opt, lo, hi, value);
	return 0;
}

int cli_opt_double(const char *cmd, const char *opt, const char *value, double lo, double hi, double *out)
{
	double v;
	if (cli_double(value, &v) || !(v >= lo && v <= hi))
		return cli_usage(cmd, "%s: expected a number in %g..%g, got '%s'", opt, lo, hi, value);
	*out = v;
	return 0;
}

int cli_load_model(const struct model_source *src, struct hrm_model *m)
{
	char *cause = NULL;
	if (src->model) {
		if (hrm_model_load(m, src->model, &cause) != 0) {
			cli_fail(cause);
			return -1;
		}
		if (m->warning[0])
			fprintf(stderr, "hrmscope: %s\n", m->warning);
		return 0;
	}
	struct hrm_config c;
	hrm_config_default(&c);
	if (hrm_config_load_yaml(src->arch, &c, &cause) != 0) {
		cli_fail(cause);
		return -1;
	}
	c.vocab_size = (int)src->vocab;
	c.seq_len = (int)src->seq_len;
	c.num_puzzle_identifiers = c.puzzle_emb_ndim > 0 ? (int)src->puzzle_ids : 0;
	if (hrm_model_alloc(m, &c, &cause) != 0) {
		prefix_cause(&cause, "%s", src->arch);
		cli_fail(cause);
		return -1;
	}
	hrm_model_init_random(m, src->seed);
	snprintf(m->name, sizeof m->name, "random(%s, seed %llu)", src->arch, src->seed);
	return 0;
}

/* A closed standard descriptor would be handed out by the next open(): the
 * checkpoint being read, or a file being written, would then receive what
 * printf means for the terminal.  Closed ones get /dev/null, stdout
 * read-only so that writing to it still fails and is reported. */
static void guard_std_fds(void)
{
	static const int modes[3] = { O_RDONLY, O_RDONLY, O_WRONLY };
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int n = open("/dev/null", modes[fd]);
			if (n >= 0 && n != fd) {
				dup2(n, fd);
				close(n);
			}
		}
}

/* Output that could not be written (stdout closed, a full disk, a closed
 * pipe) is an error, not a silent exit 0. */
static void close_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		int e = errno;
		fprintf(stderr, "hrmscope: cannot write to standard output: %s\n", strerror(e));
		_exit(EXIT_RUNTIME);
	}
}

int main(int argc, char **argv)
{
	guard_std_fds();
	atexit(close_stdout);
	if (argc < 2) /* no arguments: the TUI on the embedded model */
		return cmd_tui(argc, argv);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("hrmscope %s\n", PACKAGE_VERSION);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "hrmscope: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
