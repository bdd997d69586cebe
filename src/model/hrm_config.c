/* hrm_config.c - the HRM config: defaults, derived sizes, and writing
 * all_config.yaml as the official trainer does (hrm_config_read.c reads the
 * YAML files).  Numbers are printed in the "C" numeric locale, because the
 * curses UI sets the user's locale and a decimal comma would otherwise
 * corrupt every float. */
#include "model/hrm.h"
#include "core/util.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOSS_NAME "losses@ACTLossHead"

/* ---- defaults and derived sizes ---- */

void hrm_config_default(struct hrm_config *c)
{
	memset(c, 0, sizeof *c);
	c->hidden_size = 512;
	c->num_heads = 8;
	c->H_layers = 4;
	c->L_layers = 4;
	c->H_cycles = 2;
	c->L_cycles = 2;
	c->expansion = 4.0;
	c->puzzle_emb_ndim = 512;
	c->pos_encodings = HRM_POS_ROPE;
	c->halt_max_steps = 16;
	c->halt_exploration_prob = 0.1;
	c->rms_norm_eps = 1e-5;
	c->rope_theta = 10000.0;
	snprintf(c->loss_type, sizeof c->loss_type, "stablemax_cross_entropy");
	hrm_config_derive(c, NULL); /* cannot fail on these values */
}

void hrm_config_set_arch(struct hrm_config *c, enum hrm_arch_kind arch)
{
	c->arch = arch;
	c->mlp_t = false;
	c->puzzle_emb_len_key = arch == HRM_ARCH_TRM ? 16 : 0;
	c->no_ACT_continue = arch == HRM_ARCH_TRM;
}

void hrm_config_default_trm(struct hrm_config *c)
{
	hrm_config_default(c);
	hrm_config_set_arch(c, HRM_ARCH_TRM);
	c->H_cycles = 3;
	c->L_cycles = 6;
	c->H_layers = 0;
	c->L_layers = 2;
	snprintf(c->forward_dtype, sizeof c->forward_dtype, "bfloat16");
	hrm_config_derive(c, NULL); /* cannot fail on these values */
}

const char *hrm_pos_name(enum hrm_pos p)
{
	return p == HRM_POS_ROPE ? "rope" : p == HRM_POS_LEARNED ? "learned" : "none";
}

const char *hrm_arch_class_path(enum hrm_arch_kind arch)
{
	return arch == HRM_ARCH_TRM ? "recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1"
				    : "hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1";
}

bool hrm_loss_type_known(const char *s)
{
	return strcmp(s, "stablemax_cross_entropy") == 0 ||
	       strcmp(s, "softmax_cross_entropy") == 0;
}

/* Python's round(): halves go to the even neighbour.  x - floor(x) is exact
 * in binary floating point, so the comparison with 0.5 is too. */
static double round_half_even(double x)
{
	double f = floor(x), diff = x - f;
	if (diff > 0.5)
		return f + 1.0;
	if (diff < 0.5)
		return f;
	return fmod(f, 2.0) == 0.0 ? f : f + 1.0;
}

static int check_range(const char *key, int v, int lo, int hi, char **cause)
{
	if (v < lo || v > hi)
		return set_cause(cause, "%s = %d is out of range [%d, %d]", key, v, lo, hi);
	return 0;
}

/* The bounds are far above any real model; they exist so that products of
 * these sizes computed later (T x d, layers x d x inter...) cannot overflow. */
int hrm_config_derive(struct hrm_config *c, char **cause)
{
	if (check_range("hidden_size", c->hidden_size, 1, 16384, cause) ||
	    check_range("num_heads", c->num_heads, 1, 16384, cause) ||
	    check_range("H_layers", c->H_layers, c->arch == HRM_ARCH_TRM ? 0 : 1, 256, cause) ||
	    check_range("L_layers", c->L_layers, 1, 256, cause) ||
	    check_range("H_cycles", c->H_cycles, 1, 1024, cause) ||
	    check_range("L_cycles", c->L_cycles, 1, 1024, cause) ||
	    check_range("halt_max_steps", c->halt_max_steps, 1, 65536, cause) ||
	    check_range("puzzle_emb_ndim", c->puzzle_emb_ndim, 0, 1 << 20, cause) ||
	    check_range("vocab_size", c->vocab_size, 0, 65536, cause) ||
	    check_range("seq_len", c->seq_len, 0, 1 << 20, cause) ||
	    check_range("num_puzzle_identifiers", c->num_puzzle_identifiers, 0, 1 << 28, cause))
		return -1;
	if (c->hidden_size % c->num_heads != 0)
		return set_cause(cause, "hidden_size %d is not divisible by num_heads %d",
				 c->hidden_size, c->num_heads);
	int head_dim = c->hidden_size / c->num_heads;
	if (c->arch != HRM_ARCH_HRM && c->arch != HRM_ARCH_TRM)
		return set_cause(cause, "arch has an unknown value %d", (int)c->arch);
	if (c->pos_encodings != HRM_POS_ROPE && c->pos_encodings != HRM_POS_LEARNED &&
	    !(c->pos_encodings == HRM_POS_NONE && c->arch == HRM_ARCH_TRM))
		return set_cause(cause, "pos_encodings: %s", c->pos_encodings == HRM_POS_NONE ?
				 "none is a TRM setting (HRM needs rope or learned)" : "unknown value");
	if (c->arch == HRM_ARCH_HRM && (c->mlp_t || c->puzzle_emb_len_key != 0 || c->no_ACT_continue))
		return set_cause(cause, "%s is a TRM key (name: %s)", c->mlp_t ? "mlp_t" :
				 c->puzzle_emb_len_key != 0 ? "puzzle_emb_len" : "no_ACT_continue",
				 hrm_arch_class_path(HRM_ARCH_TRM));
	if (check_range("puzzle_emb_len", c->puzzle_emb_len_key, 0, 4096, cause))
		return -1;
	if (c->pos_encodings == HRM_POS_ROPE && head_dim % 2 != 0)
		return set_cause(cause, "hidden_size %d / num_heads %d = head_dim %d must be even "
				 "for rope pos_encodings", c->hidden_size, c->num_heads, head_dim);
	/* Negated comparisons so that NaN fails too. */
	if (!(c->expansion > 0.0 && c->expansion <= 64.0))
		return set_cause(cause, "expansion = %g is out of range (0, 64]", c->expansion);
	if (!(c->halt_exploration_prob >= 0.0 && c->halt_exploration_prob <= 1.0))
		return set_cause(cause, "halt_exploration_prob = %g is out of range [0, 1]",
				 c->halt_exploration_prob);
	if (!(c->rms_norm_eps > 0.0 && c->rms_norm_eps < 1.0))
		return set_cause(cause, "rms_norm_eps = %g is out of range (0, 1)", c->rms_norm_eps);
	if (!(c->rope_theta > 0.0 && isfinite(c->rope_theta)))
		return set_cause(cause, "rope_theta = %g must be positive", c->rope_theta);
	if (memchr(c->loss_type, '\0', sizeof c->loss_type) == NULL || !hrm_loss_type_known(c->loss_type))
		return set_cause(cause, "loss_type must be stablemax_cross_entropy or "
				 "softmax_cross_entropy");

	/* The official model: _find_multiple(round(expansion * hidden_size * 2 / 3), 256),
	 * evaluated left to right in doubles exactly as Python does. */
	double width = round_half_even(c->expansion * c->hidden_size * 2 / 3);
	int inter = (int)width;
	inter = (inter + 255) / 256 * 256;
	if (inter < 256)
		return set_cause(cause, "expansion = %g gives an empty SwiGLU layer for hidden_size %d",
				 c->expansion, c->hidden_size);

	c->head_dim = head_dim;
	c->inter = inter;
	int lp = c->puzzle_emb_len_key != 0 ? c->puzzle_emb_len_key
					     : (c->puzzle_emb_ndim + c->hidden_size - 1) / c->hidden_size;
	/* the official code pads the puzzle row to Lp*d and adds the prefix to
	 * the carry only when P > 0: anything else fails there on a shape */
	if ((long)c->puzzle_emb_ndim > (long)lp * c->hidden_size)
		return set_cause(cause, "puzzle_emb_ndim %d does not fit puzzle_emb_len %d tokens of hidden_size %d",
				 c->puzzle_emb_ndim, lp, c->hidden_size);
	if (c->puzzle_emb_ndim == 0 && lp > 0)
		return set_cause(cause, "puzzle_emb_len %d needs a puzzle embedding (puzzle_emb_ndim is 0; use "
				 "puzzle_emb_len: 0)", lp);
	c->puzzle_emb_len = lp;
	c->T = c->seq_len == 0 ? 0 : c->seq_len + c->puzzle_emb_len;
	/* mlp_t: the same SwiGLU rule with the T positions as its hidden size */
	c->inter_t = 0;
	if (c->mlp_t && c->T > HRM_MLP_T_MAX_T)
		return set_cause(cause, "mlp_t over %d positions: more than the %d hrmscope allows", c->T,
				 HRM_MLP_T_MAX_T);
	if (c->mlp_t && c->T > 0) {
		double wt = round_half_even(c->expansion * c->T * 2 / 3);
		c->inter_t = ((int)wt + 255) / 256 * 256;
		if (c->inter_t < 256)
			return set_cause(cause, "expansion = %g gives an empty mlp_t layer for %d positions",
					 c->expansion, c->T);
	}
	return 0;
}

/* ---- writing ---- */

/* A float the way yaml.dump writes Python's repr(): the fewest digits that
 * read back to the same double, a ".0" on whole numbers and exponents
 * outside [1e-4, 1e16).  Exact round trips without 17-digit noise. */
static void format_float(double v, char *out, size_t size)
{
	char tmp[48];
	int prec = 1;
	for (; prec < 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
	char *e = strchr(tmp, 'e');
	int exp10 = e ? atoi(e + 1) : 0;
	if (e != NULL && (exp10 < -4 || exp10 >= 16)) {
		if (memchr(tmp, '.', (size_t)(e - tmp)))
			snprintf(out, size, "%s", tmp);
		else
			snprintf(out, size, "%.*s.0%s", (int)(e - tmp), tmp, e);
	} else {
		int decimals = prec - 1 - exp10;
		snprintf(out, size, "%.*f", decimals < 1 ? 1 : decimals, v);
	}
	if (strtod(out, NULL) != v) /* belt and braces; not expected */
		snprintf(out, size, "%.17e", v);
}

/* Keys in Python's sorted() order (uppercase first), as the trainer's
 * yaml.dump(sort_keys=True) writes them.  The training settings are those
 * of `hrmscope train` when it made the model (c->train), else the official
 * defaults, which only give the file the trainer's shape.  The `hrmscope:` section is ours; the
 * trainer's pydantic config ignores unknown top-level keys by default, and
 * loading a checkpoint reads only `arch`, so the official code can still
 * use the file. */
int hrm_config_save_yaml(const char *path, const struct hrm_config *c, char **cause)
{
	char text[HRM_CONFIG_YAML_MAX];
	int n = hrm_config_yaml(c, text, path, cause);
	return n < 0 ? -1 : write_file_atomic(path, text, (size_t)n, cause);
}

int hrm_config_yaml(const struct hrm_config *c, char text[HRM_CONFIG_YAML_MAX], const char *path, char **cause)
{
	/* Never write a file we would refuse to read back. */
	struct hrm_config v = *c;
	if (hrm_config_derive(&v, cause) != 0)
		return prefix_cause(cause, "%s", path);

	char f[13][48];
	struct hrm_train_record t = v.train;
	if (!t.set)
		t = (struct hrm_train_record){ .global_batch_size = 768, .lr = 1e-4, .lr_min_ratio = 1.0, .beta1 = 0.9,
			.beta2 = 0.95, .weight_decay = 0.1, .puzzle_emb_lr = 0.01, .puzzle_emb_weight_decay = 0.1,
			.lr_warmup_steps = 2000, .seed = 0 };
	/* forward_dtype as read, when it is one plain word (a value that would
	 * need quoting is left out rather than written wrong) */
	char fd[64] = "";
	const char *w = v.forward_dtype;
	if (w[0] != '\0' && strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == strlen(w))
		snprintf(fd, sizeof fd, "  forward_dtype: %s\n", w);
	/* TRM's own keys, in sorted order among the others */
	bool trm = v.arch == HRM_ARCH_TRM;
	char plen[48] = "";
	if (trm)
		snprintf(plen, sizeof plen, "  puzzle_emb_len: %d\n", v.puzzle_emb_len_key);
	locale_t c_loc, old = numeric_c_begin(&c_loc);
	format_float(v.expansion, f[0], sizeof f[0]);
	format_float(v.halt_exploration_prob, f[1], sizeof f[1]);
	format_float(v.rms_norm_eps, f[2], sizeof f[2]);
	format_float(v.rope_theta, f[3], sizeof f[3]);
	format_float(t.beta1, f[4], sizeof f[4]);
	format_float(t.beta2, f[5], sizeof f[5]);
	format_float(t.lr, f[6], sizeof f[6]);
	format_float(t.lr_min_ratio, f[7], sizeof f[7]);
	format_float(t.puzzle_emb_lr, f[8], sizeof f[8]);
	format_float(t.puzzle_emb_weight_decay, f[9], sizeof f[9]);
	format_float(t.weight_decay, f[10], sizeof f[10]);
	/* TRM's trainer records its EMA (ema, ema_rate: pretrain.py's defaults
	 * false and 0.999 when it was off); HRM's has no such keys */
	char ema[96] = "";
	if (trm) {
		format_float(t.ema > 0 ? t.ema : 0.999, f[11], sizeof f[11]);
		snprintf(ema, sizeof ema, "ema: %s\nema_rate: %s\n", t.ema > 0 ? "true" : "false", f[11]);
	}
	int n = snprintf(text, HRM_CONFIG_YAML_MAX,
		"arch:\n  H_cycles: %d\n  H_layers: %d\n  L_cycles: %d\n  L_layers: %d\n"
		"  expansion: %s\n%s  halt_exploration_prob: %s\n  halt_max_steps: %d\n"
		"  hidden_size: %d\n  loss:\n    loss_type: %s\n    name: " LOSS_NAME "\n"
		"%s  name: %s\n%s  num_heads: %d\n  pos_encodings: %s\n"
		"%s  puzzle_emb_ndim: %d\n  rms_norm_eps: %s\n  rope_theta: %s\n"
		"beta1: %s\nbeta2: %s\ncheckpoint_every_eval: true\ncheckpoint_path: null\n"
		"data_path: null\n%sepochs: 100000\neval_interval: 10000\neval_save_outputs: []\n"
		"global_batch_size: %d\n"
		"hrmscope:\n  num_puzzle_identifiers: %d\n  seq_len: %d\n  vocab_size: %d\n"
		"lr: %s\nlr_min_ratio: %s\nlr_warmup_steps: %ld\nproject_name: null\n"
		"puzzle_emb_lr: %s\npuzzle_emb_weight_decay: %s\nrun_name: null\nseed: %lu\n"
		"weight_decay: %s\n",
		v.H_cycles, v.H_layers, v.L_cycles, v.L_layers, f[0], fd, f[1], v.halt_max_steps,
		v.hidden_size, v.loss_type, trm ? (v.mlp_t ? "  mlp_t: true\n" : "  mlp_t: false\n") : "",
		hrm_arch_class_path(v.arch), trm ? (v.no_ACT_continue ? "  no_ACT_continue: true\n" :
		"  no_ACT_continue: false\n") : "", v.num_heads,
		hrm_pos_name(v.pos_encodings),
		plen, v.puzzle_emb_ndim, f[2], f[3],
		f[4], f[5], ema, t.global_batch_size,
		v.num_puzzle_identifiers, v.seq_len, v.vocab_size,
		f[6], f[7], t.lr_warmup_steps, f[8], f[9], t.seed, f[10]);
	numeric_c_end(c_loc, old);
	if (n < 0 || n >= HRM_CONFIG_YAML_MAX)
		return set_cause(cause, "%s: config text too long", path);
	return n;
}
