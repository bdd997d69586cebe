/* cli.h - the hrmscope commands and their shared helpers. */
#ifndef HRM_CLI_H
#define HRM_CLI_H

#include "core/outdir.h"
#include "model/hrm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* exit codes */
#define EXIT_OK 0
#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

int cmd_init(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_pr(int argc, char **argv);
int cmd_guess(int argc, char **argv);
int cmd_probe_simple(int argc, char **argv);
int cmd_attn(int argc, char **argv);
int cmd_traj(int argc, char **argv);
/* `hrmscope` with no arguments where there is no terminal (a pipe, CI): the
 * embedded model solving its bundled maze, as `run` prints it (cmd_run.c). */
int cmd_run_embedded(void);

/* "NAME (TRM, d 512, mlp_t, halt_max_steps 16)": the model as every
 * output's header names it, with its architecture. */
const char *cli_model_desc(const struct hrm_model *m, char *buf, size_t len);
/* Under a header: for TRM a line naming the states both ways and saying
 * that q_continue is unused; nothing for HRM. */
void cli_print_states(FILE *f, const struct hrm_config *c);

/* Prints "hrmscope: MSG" on stderr and frees msg; returns EXIT_RUNTIME. */
int cli_fail(char *msg);
/* Usage error: "hrmscope CMD: MSG" plus a hint; returns EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Strict integer / float parsing of option values; returns -1 on junk or range. */
int cli_int(const char *s, long lo, long hi, long *out);
int cli_double(const char *s, double *out);
/* Parses an option's integer value in lo..hi; on junk or range prints the usage
 * error "hrmscope CMD: --OPT: expected an integer LO..HI, got 'VALUE'" (same
 * hint as cli_usage) and returns EXIT_USAGE, else stores it and returns 0. */
int cli_opt_int(const char *cmd, const char *opt, const char *value, long lo, long hi, long *out);
/* The same for a number in lo..hi (NaN is junk): "--OPT: expected a number in
 * LO..HI, got 'VALUE'". */
int cli_opt_double(const char *cmd, const char *opt, const char *value, double lo, double hi, double *out);

/* --dtype's value: fp32 (float32) or bf16 (bfloat16) into *out and 0, or
 * the usage error "--dtype: expected fp32 or bf16 (also float32, bfloat16),
 * got 'VALUE'" (EXIT_USAGE). */
int cli_opt_dtype(const char *cmd, const char *value, enum hrm_dtype *out);

/* --model DIR, or --arch YAML with --vocab/--seq-len/--puzzle-ids and a seed
 * for a random model.  On failure prints the error and returns -1. */
struct model_source {
	const char *model;
	const char *arch;
	long vocab, seq_len, puzzle_ids;
	unsigned long long seed;
};
int cli_load_model(const struct model_source *src, struct hrm_model *m);

/* Readies a loaded model for engines in arithmetic dt (bf16: the bf16 copy
 * of its weights) and, when its config says it was trained in bfloat16 but
 * dt is fp32, says so once on stderr ("hrmscope: NAME: trained with
 * forward_dtype bfloat16; running in fp32 (add --dtype bf16 for the official
 * arithmetic)").  EXIT_OK, or EXIT_RUNTIME with the message printed. */
int cli_use_dtype(struct hrm_model *m, enum hrm_dtype dt);
/* Does m's config say it was trained in bfloat16 (forward_dtype)? */
bool cli_trained_bf16(const struct hrm_model *m);
/* What the output headers say: "fp32", or "bf16 (BACKEND)" with what
 * computes the bf16 products (gemm_bf16.h); returns buf. */
const char *cli_dtype_desc(enum hrm_dtype dt, char *buf, size_t len);

/* -o DIR of a command that writes a model (init), a dataset (gen) or a
 * training run (train).  A model or dataset is refused where one already is,
 * unless force: "DIR already holds a model: add --force to replace it"; a
 * dataset, which replaces DIR as a whole, also where DIR holds anything
 * else.  Then DIR is created if missing and locked for the rest of the
 * process ("DIR: in use by another hrmscope (pid N)").  EXIT_OK, or
 * EXIT_RUNTIME with the message printed and nothing written. */
enum cli_out_kind { CLI_OUT_MODEL, CLI_OUT_DATASET, CLI_OUT_RUN };
int cli_claim_out(const char *dir, enum cli_out_kind kind, bool force, struct dir_lock *lock);

/* Finds rel (e.g. "models/maze/all_config.yaml") under the places hrmscope's
 * data can be: $HRMSCOPE_DATA, beside the executable (the build tree), the
 * install's data directory, the current directory.  The path in out. */
bool cli_find_data(const char *rel, char *out, size_t len);

#endif
