/* cli.c - what every command shares: its messages and exit codes, strict
 * parsing of option values, loading the model it runs, and finding the data
 * hrmscope ships (the embedded model, the example puzzles). */
#include "cli/cli.h"
#include "io/checkpoint.h"
#include "model/gemm_bf16.h"
#include "core/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_fail(char *msg)
{
	fprintf(stderr, "hrmscope: %s\n", msg ? msg : "unknown error");
	free(msg);
	return EXIT_RUNTIME;
}

static bool holds(const char *dir, const char *name)
{
	char path[4200];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return lstat(path, &st) == 0;
}

/* Why -o DIR must not be written: a message, or NULL. */
static char *out_refused(const char *dir, enum cli_out_kind kind, bool force)
{
	char *cause = NULL;
	if (kind == CLI_OUT_MODEL && !force && (holds(dir, "checkpoint") || holds(dir, "all_config.yaml")))
		set_cause(&cause, "%s already holds a model: add --force to replace it", dir);
	if (kind == CLI_OUT_DATASET) {
		bool dataset = holds(dir, "dataset.json") || holds(dir, "train") || holds(dir, "test") ||
			       holds(dir, "identifiers.json");
		if (dataset && !force)
			set_cause(&cause, "%s already holds a dataset: add --force to replace it", dir);
		else if (!dataset && dir_has_entries(dir))
			set_cause(&cause, "%s is not empty and holds no dataset: a dataset replaces its folder as a "
				  "whole, give another one", dir);
	}
	return cause;
}

int cli_claim_out(const char *dir, enum cli_out_kind kind, bool force, struct dir_lock *lock)
{
	char *cause = out_refused(dir, kind, force); /* before the lock file is made */
	if (cause != NULL)
		return cli_fail(cause);
	if (dir_lock(lock, dir, &cause) != 0)
		return cli_fail(cause);
	if ((cause = out_refused(dir, kind, force)) != NULL) { /* written meanwhile by one that has finished */
		dir_unlock(lock, true);
		return cli_fail(cause);
	}
	return EXIT_OK;
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

int cli_opt_dtype(const char *cmd, const char *value, enum hrm_dtype *out)
{
	if (hrm_dtype_parse(value, out) != 0)
		return cli_usage(cmd, "--dtype: expected fp32 or bf16 (also float32, bfloat16), got '%s'", value);
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

bool cli_trained_bf16(const struct hrm_model *m)
{
	enum hrm_dtype dt;
	return hrm_dtype_parse(m->cfg.forward_dtype, &dt) == 0 && dt == HRM_DTYPE_BF16;
}

int cli_use_dtype(struct hrm_model *m, enum hrm_dtype dt)
{
	char *cause = NULL;
	if (dt == HRM_DTYPE_BF16 && m->bf16 == NULL && hrm_model_prepare_bf16(m, &cause) != 0) {
		prefix_cause(&cause, "%s", m->name);
		return cli_fail(cause);
	}
	if (dt == HRM_DTYPE_FP32 && cli_trained_bf16(m))
		fprintf(stderr, "hrmscope: %s: trained with forward_dtype %s; running in fp32 (add --dtype bf16 for the "
			"official arithmetic)\n", m->name, m->cfg.forward_dtype);
	return EXIT_OK;
}

const char *cli_dtype_desc(enum hrm_dtype dt, char *buf, size_t len)
{
	if (dt == HRM_DTYPE_BF16)
		snprintf(buf, len, "%s (%s)", hrm_dtype_name(dt), bf16_backend());
	else
		snprintf(buf, len, "%s", hrm_dtype_name(dt));
	return buf;
}

/* Looks for rel under the places hrmscope's data can be: $HRMSCOPE_DATA,
 * beside the executable (the build tree), the install's data directory,
 * the current directory. */
bool cli_find_data(const char *rel, char *out, size_t len)
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

const char *cli_model_desc(const struct hrm_model *m, char *buf, size_t len)
{
	const struct hrm_config *c = &m->cfg;
	snprintf(buf, len, "%s (%s, d %d%s, halt_max_steps %d)", m->name, hrm_arch_desc(c)->name, c->hidden_size,
		 c->mlp_t ? ", mlp_t" : "", c->halt_max_steps);
	return buf;
}

void cli_print_states(FILE *f, const struct hrm_config *c)
{
	const struct hrm_arch_desc *a = hrm_arch_desc(c);
	if (!a->shared_net)
		return;
	fprintf(f, "states: %s = the answer, %s = the latent, one network updates both%s\n", a->zH, a->zL,
		hrm_q_continue_used(c) ? "" : "; q_continue unused (halts on q_halt > 0)");
}
