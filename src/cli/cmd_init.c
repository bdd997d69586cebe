/* cmd_init.c - `hrmscope init`: a randomly initialised model, saved in the
 * official checkpoint format.  The paper compares trained and untrained
 * models, so an untrained one is a real artefact. */
#include "cli/cli.h"
#include "cli/options.h"
#include "io/checkpoint.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char init_help[] =
	"usage: hrmscope init --arch FILE.yaml --vocab V --seq-len S [--puzzle-ids N] [--seed K] [--force] -o DIR\n"
	"\n"
	"Create a model with the official initialisation (truncated LeCun normal weights,\n"
	"embeddings std 1/sqrt(d), H_init/L_init std 1 in bfloat16, zero puzzle embeddings,\n"
	"q_head W = 0, b = -5) and write DIR/checkpoint and DIR/all_config.yaml.\n"
	"\n"
	"  --arch FILE      architecture (e.g. models/hrm_v1.yaml or an all_config.yaml)\n"
	"  --vocab V        vocabulary size (maze 6, sudoku 11, ARC 12)\n"
	"  --seq-len S      puzzle cells (maze/ARC 900, sudoku 81)\n"
	"  --puzzle-ids N   rows of the puzzle embedding (default 1; only with puzzle_emb_ndim > 0)\n"
	"  --seed K         random seed (default 0)\n"
	"  -o, --out DIR    output directory (created if missing)\n"
	"  --force          replace the model DIR already holds (without it, refused)\n";

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_OPTION_ARCH, CLI_OPTION_VOCAB, CLI_OPTION_SEQ_LEN, CLI_OPTION_PUZZLE_IDS, CLI_OPTION_SEED,
		{ "out", required_argument, NULL, 'o' }, { "force", no_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 },
	};
	struct cli_common co;
	const char *out = NULL;
	bool force = false;
	int c, rc;
	cli_common_init(&co, "init");
	co.terse = true;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'f': force = true; break;
		case 'h': fputs(init_help, stdout); return EXIT_OK;
		default:
			if ((rc = cli_common_opt(&co, c, optarg)) != 0)
				return rc;
		}
	}
	struct model_source src = co.src;
	if (optind < argc)
		return cli_usage("init", "unexpected argument '%s'", argv[optind]);
	if (!src.arch || !src.vocab || !src.seq_len || !out)
		return cli_usage("init", "--arch, --vocab, --seq-len and -o are required");
	struct hrm_model m;
	if (cli_load_model(&src, &m) != 0)
		return EXIT_RUNTIME;
	struct dir_lock lock;
	if (cli_claim_out(out, CLI_OUT_MODEL, force, &lock) != EXIT_OK) {
		hrm_model_free(&m);
		return EXIT_RUNTIME;
	}
	char *cause = NULL;
	if (hrm_model_save(&m, out, &cause) != 0) {
		hrm_model_free(&m);
		dir_unlock(&lock, true);
		return cli_fail(cause);
	}
	printf("wrote %s/checkpoint and %s/all_config.yaml: %zu trainable parameters\n", out, out,
	       hrm_model_param_count(&m, false));
	hrm_model_free(&m);
	dir_unlock(&lock, false);
	return EXIT_OK;
}
