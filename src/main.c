/* main.c - hrmscope: command dispatch. */
#include "config.h"
#include "cli/cli.h"
#include "ui/ui.h"
#include "core/fmap.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
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
	{ "attn", cmd_attn, "one cell's attention weights at one step, for a layer and head" },
	{ "traj", cmd_traj, "the states after every step on their first two principal components" },
	{ "tui", cmd_tui, "watch the model think, step by step (no arguments: the embedded maze model)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hrmscope COMMAND [OPTIONS]   (hrmscope COMMAND --help for its options)\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n  --version  print the version\n");
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
	if (argc < 2) /* no arguments: the TUI on the embedded model, or its solve as text without a terminal */
		return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) ? cmd_tui(argc, argv) : cmd_run_embedded();
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("hrmscope %s\n", PACKAGE_VERSION);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name)) {
			int rc = commands[i].fn(argc - 1, argv + 1);
			/* a checkpoint cut short while mapped read as zeros instead
			 * of killing us (core/fmap.h): what was computed from it is
			 * not valid, whatever the command printed */
			char *cause = NULL;
			if (fmap_check_all(&cause) != 0) {
				cli_fail(cause);
				return EXIT_RUNTIME;
			}
			return rc;
		}
	fprintf(stderr, "hrmscope: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
