/* options.h - the options the commands share, read in one place:
 *
 *   --model DIR        (guess: repeatable)     --threads N   1..1024
 *   --arch FILE        a random model          --seed K      0..2^31-1
 *   --vocab V          1..65536                --fp-tol X    > 0
 *   --seq-len S        1..2^20                 --puzzle SPEC (probe-simple: repeatable)
 *   --puzzle-ids N     1..2^24                 --dtype D     fp32 (float32) | bf16 (bfloat16)
 *
 * A command lists the shared options it takes in its getopt_long table with
 * the CLI_OPTION_* entries below, keeps its own loop for its own options,
 * and hands every other code to cli_common_opt. */
#ifndef HRM_CLI_OPTIONS_H
#define HRM_CLI_OPTIONS_H

#include "cli/cli.h"

#include <getopt.h>
#include <stdbool.h>

/* getopt_long codes of the shared options, above every command's own */
enum {
	CLI_OPT_MODEL = 0x1000,
	CLI_OPT_ARCH,
	CLI_OPT_VOCAB,
	CLI_OPT_SEQ_LEN,
	CLI_OPT_PUZZLE_IDS,
	CLI_OPT_SEED,
	CLI_OPT_THREADS,
	CLI_OPT_FP_TOL,
	CLI_OPT_PUZZLE,
	CLI_OPT_DTYPE,
};

/* the table of the shared long options, one entry each */
#define CLI_OPTION_MODEL { "model", required_argument, NULL, CLI_OPT_MODEL }
#define CLI_OPTION_ARCH { "arch", required_argument, NULL, CLI_OPT_ARCH }
#define CLI_OPTION_VOCAB { "vocab", required_argument, NULL, CLI_OPT_VOCAB }
#define CLI_OPTION_SEQ_LEN { "seq-len", required_argument, NULL, CLI_OPT_SEQ_LEN }
#define CLI_OPTION_PUZZLE_IDS { "puzzle-ids", required_argument, NULL, CLI_OPT_PUZZLE_IDS }
#define CLI_OPTION_SEED { "seed", required_argument, NULL, CLI_OPT_SEED }
#define CLI_OPTION_THREADS { "threads", required_argument, NULL, CLI_OPT_THREADS }
#define CLI_OPTION_FP_TOL { "fp-tol", required_argument, NULL, CLI_OPT_FP_TOL }
#define CLI_OPTION_PUZZLE { "puzzle", required_argument, NULL, CLI_OPT_PUZZLE }
#define CLI_OPTION_DTYPE { "dtype", required_argument, NULL, CLI_OPT_DTYPE }

#define CLI_MAX_REPEATS 64

struct cli_common {
	/* how the command takes them (cli_common_init: one of each, messages
	 * "--OPT: expected an integer LO..HI, got 'V'") */
	const char *cmd;  /* the command, for the usage messages */
	int max_models;   /* > 0: --model repeats up to this many (models[]); 0: the last one counts */
	int max_puzzles;  /* the same for --puzzle (puzzles[]) */
	bool terse;       /* init's and pr's older wording: "--OPT: expected LO..HI, got 'V'",
	                     --seed: "expected a non-negative integer" */
	/* the values, with their defaults */
	struct model_source src; /* --model (the last one), --arch, --vocab, --seq-len, --puzzle-ids (1),
	                            --seed (0, also in src.seed) */
	const char *models[CLI_MAX_REPEATS];
	int n_models;
	const char *puzzle; /* the last --puzzle */
	const char *puzzles[CLI_MAX_REPEATS];
	int n_puzzles;
	long seed;     /* 0 */
	long threads;  /* 2 */
	double fp_tol; /* FP_TOL_DEFAULT */
	enum hrm_dtype dtype; /* HRM_DTYPE_FP32: the arithmetic of every engine the command makes */
};

void cli_common_init(struct cli_common *o, const char *cmd);
/* getopt_long's code c with its value: a shared option is stored in o
 * (returns 0) or refused with its usage error (printed; returns
 * EXIT_USAGE); any other code is a "bad option" (printed; EXIT_USAGE). */
int cli_common_opt(struct cli_common *o, int c, const char *value);

#endif
