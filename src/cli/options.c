/* options.c - the shared options of the commands (see options.h). */
#include "cli/options.h"
#include "analysis/fixedpoint.h"

#include <string.h>

void cli_common_init(struct cli_common *o, const char *cmd)
{
	memset(o, 0, sizeof *o);
	o->cmd = cmd;
	o->src.puzzle_ids = 1;
	o->threads = 2;
	o->fp_tol = FP_TOL_DEFAULT;
}

/* An integer option in lo..hi, worded as the command words it. */
static int int_opt(const struct cli_common *o, const char *opt, const char *value, long lo, long hi, long *out)
{
	if (!o->terse)
		return cli_opt_int(o->cmd, opt, value, lo, hi, out);
	if (cli_int(value, lo, hi, out) == 0)
		return 0;
	if (lo == 0 && hi == 0x7fffffffL)
		return cli_usage(o->cmd, "%s: expected a non-negative integer, got '%s'", opt, value);
	return cli_usage(o->cmd, "%s: expected %ld..%ld, got '%s'", opt, lo, hi, value);
}

/* Adds a repeatable option's value to list (max > 0), or keeps the last one. */
static int repeat(const struct cli_common *o, const char **list, int *n, int max, const char *value,
		  const char *too_many)
{
	if (max <= 0)
		return 0;
	if (*n == max)
		return cli_usage(o->cmd, too_many, max);
	list[(*n)++] = value;
	return 0;
}

int cli_common_opt(struct cli_common *o, int c, const char *value)
{
	int rc;
	switch (c) {
	case CLI_OPT_MODEL:
		o->src.model = value;
		return repeat(o, o->models, &o->n_models, o->max_models, value, "at most %d --model");
	case CLI_OPT_PUZZLE:
		o->puzzle = value;
		return repeat(o, o->puzzles, &o->n_puzzles, o->max_puzzles, value,
			      "at most %d --puzzle (use --data for more)");
	case CLI_OPT_ARCH: o->src.arch = value; return 0;
	case CLI_OPT_VOCAB: return int_opt(o, "--vocab", value, 1, 65536, &o->src.vocab);
	case CLI_OPT_SEQ_LEN: return int_opt(o, "--seq-len", value, 1, 1 << 20, &o->src.seq_len);
	case CLI_OPT_PUZZLE_IDS: return int_opt(o, "--puzzle-ids", value, 1, 1 << 24, &o->src.puzzle_ids);
	case CLI_OPT_SEED:
		if ((rc = int_opt(o, "--seed", value, 0, 0x7fffffffL, &o->seed)) == 0)
			o->src.seed = (unsigned long long)o->seed;
		return rc;
	case CLI_OPT_THREADS: return int_opt(o, "--threads", value, 1, 1024, &o->threads);
	case CLI_OPT_DTYPE: return cli_opt_dtype(o->cmd, value, &o->dtype);
	case CLI_OPT_FP_TOL:
		if (cli_double(value, &o->fp_tol) || !(o->fp_tol > 0))
			return cli_usage(o->cmd, "--fp-tol: expected a positive number, got '%s'", value);
		return 0;
	default: return cli_usage(o->cmd, "bad option");
	}
}
