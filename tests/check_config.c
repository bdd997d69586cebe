/* check_config.c - config defaults, derived sizes, and the YAML reader/writer. */
#include "model/hrm.h"
#include "core/util.h"

#include "test_util.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef SRCDIR
#define MODEL_FILE SRCDIR "/models/hrm_v1.yaml"
#else
#define MODEL_FILE FIXTURES_DIR "/../../models/hrm_v1.yaml"
#endif

static void assert_config_eq(const struct hrm_config *a, const struct hrm_config *b)
{
#define SAME(f) ck_assert_msg(a->f == b->f, "field " #f " differs")
	SAME(hidden_size); SAME(num_heads); SAME(H_layers); SAME(L_layers);
	SAME(H_cycles); SAME(L_cycles); SAME(expansion); SAME(puzzle_emb_ndim);
	SAME(pos_encodings); SAME(halt_max_steps); SAME(halt_exploration_prob);
	SAME(rms_norm_eps); SAME(rope_theta); SAME(vocab_size); SAME(seq_len);
	SAME(num_puzzle_identifiers); SAME(head_dim); SAME(inter);
	SAME(puzzle_emb_len); SAME(T);
#undef SAME
	ck_assert_str_eq(a->loss_type, b->loss_type);
	ck_assert_str_eq(a->forward_dtype, b->forward_dtype);
}

static void assert_official(const struct hrm_config *c)
{
	ck_assert_int_eq(c->hidden_size, 512);
	ck_assert_int_eq(c->num_heads, 8);
	ck_assert_int_eq(c->H_layers, 4);
	ck_assert_int_eq(c->L_layers, 4);
	ck_assert_int_eq(c->H_cycles, 2);
	ck_assert_int_eq(c->L_cycles, 2);
	ck_assert(c->expansion == 4.0);
	ck_assert_int_eq(c->puzzle_emb_ndim, 512);
	ck_assert_int_eq(c->pos_encodings, HRM_POS_ROPE);
	ck_assert_int_eq(c->halt_max_steps, 16);
	ck_assert(c->halt_exploration_prob == 0.1);
	ck_assert(c->rms_norm_eps == 1e-5);
	ck_assert(c->rope_theta == 10000.0);
	ck_assert_str_eq(c->loss_type, "stablemax_cross_entropy");
	ck_assert_int_eq(c->head_dim, 64);
	ck_assert_int_eq(c->inter, 1536);
	ck_assert_int_eq(c->puzzle_emb_len, 1);
}

START_TEST(test_default)
{
	struct hrm_config c;
	char *cause = NULL;
	hrm_config_default(&c);
	assert_official(&c);
	ck_assert_int_eq(c.vocab_size, 0);
	ck_assert_int_eq(c.seq_len, 0);
	ck_assert_int_eq(c.num_puzzle_identifiers, 0);
	ck_assert_int_eq(c.T, 0);
	ck_assert_int_eq(hrm_config_derive(&c, &cause), 0);
	ck_assert_ptr_null(cause);
}
END_TEST

START_TEST(test_model_file)
{
	/* Start far from the official values: everything must come from the
	 * file, except what it lacks (eps, theta, data sizes), which is kept. */
	struct hrm_config c;
	char *cause = NULL;
	memset(&c, 0, sizeof c);
	c.rms_norm_eps = 1e-5;
	c.rope_theta = 10000.0;
	c.pos_encodings = HRM_POS_LEARNED;
	c.vocab_size = 11;
	c.seq_len = 81;
	c.num_puzzle_identifiers = 1;
	int rc = hrm_config_load_yaml(MODEL_FILE, &c, &cause);
	ck_assert_msg(rc == 0, "%s", cause ? cause : "?");
	assert_official(&c);
	ck_assert_int_eq(c.vocab_size, 11);
	ck_assert_int_eq(c.seq_len, 81);
	ck_assert_int_eq(c.num_puzzle_identifiers, 1);
	ck_assert_int_eq(c.T, 82);
}
END_TEST

static void round_trip(const struct hrm_config *c, const char *name)
{
	struct hrm_config back;
	char *path = test_path(name), *cause = NULL;
	ck_assert_msg(hrm_config_save_yaml(path, c, &cause) == 0, "%s", cause ? cause : "?");
	hrm_config_default(&back);
	back.rms_norm_eps = 0.5;   /* must be overwritten by the file */
	ck_assert_msg(hrm_config_load_yaml(path, &back, &cause) == 0, "%s", cause ? cause : "?");
	assert_config_eq(&back, c);
	free(path);
}

START_TEST(test_round_trip)
{
	struct hrm_config c;
	char *cause = NULL;
	hrm_config_default(&c);
	ck_assert_int_eq(hrm_config_load_yaml(MODEL_FILE, &c, &cause), 0);
	c.vocab_size = 12;
	c.seq_len = 900;
	c.num_puzzle_identifiers = 961;
	ck_assert_int_eq(hrm_config_derive(&c, &cause), 0);
	round_trip(&c, "rt1.yaml");

	/* Awkward doubles and the non-default choices. */
	c.hidden_size = 40;
	c.num_heads = 5;
	c.puzzle_emb_ndim = 72;
	c.pos_encodings = HRM_POS_LEARNED;
	c.halt_exploration_prob = 0.123456789012345678;
	c.rms_norm_eps = 1.0 / 3.0 * 1e-6;
	c.rope_theta = 1e6 + 0.1;
	c.expansion = 1.0 / 3.0 + 2.0;
	snprintf(c.loss_type, sizeof c.loss_type, "softmax_cross_entropy");
	ck_assert_int_eq(hrm_config_derive(&c, &cause), 0);
	round_trip(&c, "rt2.yaml");
}
END_TEST

START_TEST(test_saved_text)
{
	struct hrm_config c;
	char *path = test_path("all_config.yaml"), *cause = NULL, *text;
	size_t len;
	hrm_config_default(&c);
	ck_assert_int_eq(hrm_config_save_yaml(path, &c, &cause), 0);
	ck_assert_int_eq(read_file_all(path, 1 << 16, &text, &len, &cause), 0);
	static const char *const want[] = {
		"arch:\n  H_cycles: 2\n", "  expansion: 4.0\n", "  halt_exploration_prob: 0.1\n",
		"  loss:\n    loss_type: stablemax_cross_entropy\n    name: losses@ACTLossHead\n",
		"  name: hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1\n",
		"  rms_norm_eps: 1.0e-05\n", "  rope_theta: 10000.0\n",
		"\neval_save_outputs: []\n", "\nhrmscope:\n  num_puzzle_identifiers: 0\n",
		"\nlr: 0.0001\n", "\nweight_decay: 0.1\n",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		ck_assert_msg(strstr(text, want[i]) != NULL, "missing '%s' in:\n%s", want[i], text);
	free(text);
	free(path);
}
END_TEST

static struct hrm_config sized(int d, int heads, double expansion, int P)
{
	struct hrm_config c;
	hrm_config_default(&c);
	c.hidden_size = d;
	c.num_heads = heads;
	c.expansion = expansion;
	c.puzzle_emb_ndim = P;
	return c;
}

START_TEST(test_derive_sizes)
{
	static const struct { int d, heads; double e; int P, inter, lp; } cases[] = {
		{ 512, 8, 4.0, 512, 1536, 1 },
		{ 64, 4, 4.0, 0, 256, 0 },      /* 170.67 -> 171 -> 256 */
		{ 48, 4, 2.0, 48, 256, 1 },     /* 64 -> 256 */
		{ 40, 5, 2.5, 72, 256, 2 },     /* 66.67 -> 67 -> 256; ceil(72/40) */
		{ 1000, 10, 4.0, 1, 2816, 1 },   /* 2666.67 -> 2667 -> 2816 */
		/* 6.01171875 * 64 * 2 / 3 = 256.5 exactly: Python rounds it to 256
		 * (half to even); rounding half up would give 512. */
		{ 64, 4, 6.01171875, 0, 256, 0 },
		/* 385.5 -> 386 (even), 512 either way; 512.5 -> 512 */
		{ 64, 4, 9.03515625, 0, 512, 0 },
		{ 64, 4, 12.01171875, 0, 512, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct hrm_config c = sized(cases[i].d, cases[i].heads, cases[i].e, cases[i].P);
		char *cause = NULL;
		c.seq_len = 81;
		ck_assert_msg(hrm_config_derive(&c, &cause) == 0, "case %zu: %s", i, cause);
		ck_assert_msg(c.inter == cases[i].inter, "case %zu: inter %d", i, c.inter);
		ck_assert_msg(c.puzzle_emb_len == cases[i].lp, "case %zu: Lp %d", i, c.puzzle_emb_len);
		ck_assert_int_eq(c.head_dim, cases[i].d / cases[i].heads);
		ck_assert_int_eq(c.T, 81 + cases[i].lp);
	}
}
END_TEST

START_TEST(test_derive_rejects)
{
	static const char *const keys[] = {
		"hidden_size", "num_heads", "num_heads", "H_layers", "L_cycles",
		"halt_max_steps", "halt_exploration_prob", "hidden_size", "vocab_size",
		"seq_len", "rms_norm_eps", "expansion", "loss_type", "L_layers",
		"puzzle_emb_ndim", "rope_theta",
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		struct hrm_config c;
		char *cause = NULL;
		hrm_config_default(&c);
		switch (i) {
		case 0: c.hidden_size = 0; break;
		case 1: c.num_heads = 0; break;
		case 2: c.num_heads = 7; break;          /* 512 % 7 */
		case 3: c.H_layers = 0; break;
		case 4: c.L_cycles = 0; break;
		case 5: c.halt_max_steps = 0; break;
		case 6: c.halt_exploration_prob = 1.5; break;
		case 7: c.hidden_size = 520; break;      /* head_dim 65 with rope */
		case 8: c.vocab_size = 65537; break;
		case 9: c.seq_len = -1; break;
		case 10: c.rms_norm_eps = 0.0; break;
		case 11: c.expansion = 0.001; break;     /* rounds to an empty layer */
		case 12: snprintf(c.loss_type, sizeof c.loss_type, "mse"); break;
		case 13: c.L_layers = 257; break;
		case 14: c.puzzle_emb_ndim = -1; break;
		case 15: c.rope_theta = -1.0; break;
		}
		ck_assert_msg(hrm_config_derive(&c, &cause) == -1, "case %zu accepted", i);
		ck_assert_msg(cause && strstr(cause, keys[i]), "case %zu: cause '%s' lacks %s",
			      i, cause ? cause : "(null)", keys[i]);
		free(cause);
	}
	/* An odd head_dim is fine with learned positions. */
	struct hrm_config c = sized(520, 8, 4.0, 0);
	c.pos_encodings = HRM_POS_LEARNED;
	ck_assert_int_eq(hrm_config_derive(&c, NULL), 0);
	ck_assert_int_eq(c.head_dim, 65);
}
END_TEST

/* The trainer's yaml.dump: keys sorted, interpolation resolved, training
 * keys (some unknown to us, some null) beside arch. */
START_TEST(test_all_config_form)
{
	char *path = test_write_tmp("trainer.yaml",
		"arch:\n"
		"  H_cycles: 3\n  H_layers: 2\n  L_cycles: 5\n  L_layers: 1\n"
		"  expansion: 2.5\n  forward_dtype: bfloat16\n"
		"  halt_exploration_prob: 0.2\n  halt_max_steps: 8\n  hidden_size: 256\n"
		"  loss:\n    loss_type: softmax_cross_entropy\n    name: losses@ACTLossHead\n"
		"  name: hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1\n  num_heads: 4\n"
		"  pos_encodings: learned\n  puzzle_emb_ndim: 256\n  rms_norm_eps: 1e-6\n"
		"  rope_theta: 5000\n"
		"beta1: 0.9\nbeta2: 0.95\ncheckpoint_every_eval: true\ncheckpoint_path: null\n"
		"data_path: data/sudoku-extreme-1k-aug-1000\nepochs: 20000\neval_interval: 2000\n"
		"eval_save_outputs: []\nema: false\nglobal_batch_size: 384\nlr: 7.0e-05\n"
		"lr_min_ratio: 1.0\nlr_warmup_steps: 2000\nproject_name: Sudoku\n"
		"puzzle_emb_lr: 7.0e-05\npuzzle_emb_weight_decay: 1.0\nrun_name: null\n"
		"seed: 0\nweight_decay: 1.0\nfuture_key: {a: [1, 2]}\n"
		"hrmscope: {vocab_size: 11, seq_len: 81, num_puzzle_identifiers: 1, later: x}\n");
	struct hrm_config c;
	char *cause = NULL;
	hrm_config_default(&c);
	ck_assert_msg(hrm_config_load_yaml(path, &c, &cause) == 0, "%s", cause ? cause : "?");
	ck_assert_int_eq(c.H_cycles, 3);
	ck_assert_int_eq(c.H_layers, 2);
	ck_assert_int_eq(c.L_cycles, 5);
	ck_assert_int_eq(c.L_layers, 1);
	ck_assert(c.expansion == 2.5);
	ck_assert(c.halt_exploration_prob == 0.2);
	ck_assert_int_eq(c.halt_max_steps, 8);
	ck_assert_int_eq(c.hidden_size, 256);
	ck_assert_str_eq(c.loss_type, "softmax_cross_entropy");
	ck_assert_int_eq(c.num_heads, 4);
	ck_assert_int_eq(c.pos_encodings, HRM_POS_LEARNED);
	ck_assert(c.rms_norm_eps == 1e-6);
	ck_assert(c.rope_theta == 5000.0);
	ck_assert_int_eq(c.vocab_size, 11);
	ck_assert_int_eq(c.seq_len, 81);
	ck_assert_int_eq(c.T, 82);
	ck_assert_int_eq(c.inter, 512); /* 426.67 -> 427 -> 512 */
	ck_assert_str_eq(c.forward_dtype, "bfloat16");
	free(path);
}
END_TEST

/* forward_dtype: read as the file says it, written back when set (in the
 * trainer's sorted place), left out when absent; any word is kept. */
START_TEST(test_forward_dtype)
{
	struct hrm_config c;
	char *cause = NULL, *text, *path = test_path("dtype.yaml");
	size_t len;
	hrm_config_default(&c);
	ck_assert_str_eq(c.forward_dtype, "");
	ck_assert_int_eq(hrm_config_save_yaml(path, &c, &cause), 0);
	ck_assert_int_eq(read_file_all(path, 1 << 16, &text, &len, &cause), 0);
	ck_assert_msg(strstr(text, "forward_dtype") == NULL, "%s", text);
	free(text);
	static const char *const words[] = { "bfloat16", "float32", "float8_e4m3fn" };
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		snprintf(c.forward_dtype, sizeof c.forward_dtype, "%s", words[i]);
		round_trip(&c, "dtype_rt.yaml");
	}
	snprintf(c.forward_dtype, sizeof c.forward_dtype, "bfloat16");
	ck_assert_int_eq(hrm_config_save_yaml(path, &c, &cause), 0);
	ck_assert_int_eq(read_file_all(path, 1 << 16, &text, &len, &cause), 0);
	ck_assert_msg(strstr(text, "  expansion: 4.0\n  forward_dtype: bfloat16\n  halt_exploration_prob:"), "%s", text);
	free(text);
	/* a value that would need quoting is read, not written */
	char *odd = test_write_tmp("odd_dtype.yaml", "hidden_size: 64\nnum_heads: 2\nforward_dtype: 'half: 16'\n");
	hrm_config_default(&c);
	ck_assert_msg(hrm_config_load_yaml(odd, &c, &cause) == 0, "%s", cause ? cause : "?");
	ck_assert_str_eq(c.forward_dtype, "half: 16");
	ck_assert_int_eq(hrm_config_save_yaml(path, &c, &cause), 0);
	ck_assert_int_eq(read_file_all(path, 1 << 16, &text, &len, &cause), 0);
	ck_assert_msg(strstr(text, "forward_dtype") == NULL, "%s", text);
	free(text);
	/* not a word at all */
	char *bad = test_write_tmp("bad_dtype.yaml", "hidden_size: 64\nnum_heads: 2\nforward_dtype: [1, 2]\n");
	ck_assert_int_eq(hrm_config_load_yaml(bad, &c, &cause), -1);
	ck_assert_msg(strstr(cause, "forward_dtype: expected a dtype"), "%s", cause);
	free(cause);
	free(odd);
	free(bad);
	free(path);
}
END_TEST

START_TEST(test_interpolations)
{
	static const char *const files[] = {
		"hidden_size: 128\nnum_heads: 2\npuzzle_emb_ndim: ${arch.hidden_size}\n",
		"hidden_size: 128\nnum_heads: 2\npuzzle_emb_ndim: ${hidden_size}\n",
		"arch:\n  hidden_size: 128\n  num_heads: 2\n  puzzle_emb_ndim: ${arch.hidden_size}\n",
		"arch:\n  hidden_size: 128\n  num_heads: 2\n  puzzle_emb_ndim: ${.hidden_size}\n",
		"width: 128\narch:\n  hidden_size: ${width}\n  num_heads: 2\n  puzzle_emb_ndim: ${..width}\n",
		"hidden_size: 128\nnum_heads: 2\nx: ${.hidden_size}\npuzzle_emb_ndim: '${.hidden_size}'\n",
	};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char name[32];
		snprintf(name, sizeof name, "interp%zu.yaml", i);
		char *path = test_write_tmp(name, files[i]), *cause = NULL;
		struct hrm_config c;
		hrm_config_default(&c);
		int rc = hrm_config_load_yaml(path, &c, &cause);
		if (i == 5) { /* x is not an arch key */
			ck_assert_int_eq(rc, -1);
			ck_assert_ptr_nonnull(strstr(cause, "arch.x: unknown key"));
			free(cause);
		} else {
			ck_assert_msg(rc == 0, "file %zu: %s", i, cause ? cause : "?");
			ck_assert_int_eq(c.hidden_size, 128);
			ck_assert_int_eq(c.puzzle_emb_ndim, 128);
		}
		free(path);
	}
}
END_TEST

/* Loads text from a scratch file and checks the error: -1, one line that
 * starts with the file name and mentions each of the given fragments, and
 * the config left as it was. */
static void expect_error(const char *name, const char *text, const char *frag1, const char *frag2)
{
	char *path = test_write_tmp(name, text), *cause = NULL;
	struct hrm_config c, before;
	hrm_config_default(&c);
	c.vocab_size = 10;
	before = c;
	ck_assert_msg(hrm_config_load_yaml(path, &c, &cause) == -1, "%s was accepted", name);
	ck_assert_ptr_nonnull(cause);
	ck_assert_msg(strncmp(cause, path, strlen(path)) == 0, "cause '%s' lacks the file name", cause);
	ck_assert_msg(strchr(cause, '\n') == NULL, "cause '%s' has several lines", cause);
	ck_assert_msg(!frag1 || strstr(cause, frag1), "%s: cause '%s' lacks '%s'", name, cause, frag1);
	ck_assert_msg(!frag2 || strstr(cause, frag2), "%s: cause '%s' lacks '%s'", name, cause, frag2);
	assert_config_eq(&c, &before);
	free(cause);
	free(path);
}

START_TEST(test_type_errors)
{
	char *path = test_write_tmp("abc.yaml", "hidden_size: 512\nH_cycles: abc\n"), *cause = NULL;
	char want[1200];
	struct hrm_config c;
	hrm_config_default(&c);
	ck_assert_int_eq(hrm_config_load_yaml(path, &c, &cause), -1);
	snprintf(want, sizeof want, "%s:2: arch.H_cycles: expected an integer, got 'abc'", path);
	ck_assert_str_eq(cause, want);
	free(cause);
	free(path);

	expect_error("t1.yaml", "arch:\n  H_cycles: abc\n", ":2: arch.H_cycles", "'abc'");
	expect_error("t2.yaml", "H_cycles: 2.5\n", "arch.H_cycles", "expected an integer");
	expect_error("t3.yaml", "H_cycles: 2.0\n", "arch.H_cycles", "expected an integer");
	expect_error("t4.yaml", "H_cycles: 010\n", "arch.H_cycles", "expected an integer");
	expect_error("t5.yaml", "H_cycles:\n", "arch.H_cycles", "expected an integer");
	expect_error("t6.yaml", "H_cycles: [2]\n", "arch.H_cycles", "a list");
	expect_error("t7.yaml", "L_layers: 99999999999\n", "arch.L_layers", "out of range");
	expect_error("t8.yaml", "expansion: four\n", "arch.expansion", "expected a number");
	expect_error("t9.yaml", "rope_theta: .inf\n", "arch.rope_theta", "expected a number");
	expect_error("t10.yaml", "expansion: 0x10\n", "arch.expansion", "expected a number");
	expect_error("t11.yaml", "loss: stablemax\n", "arch.loss", "expected a mapping");
	expect_error("t12.yaml", "arch: 5\n", "arch", "expected a mapping");
	expect_error("t13.yaml", "halt_max_steps: null\n", "arch.halt_max_steps", "'null'");
}
END_TEST

START_TEST(test_value_errors)
{
	expect_error("v1.yaml", "hidden_size: 512\nfoo: 1\n", ":2: arch.foo", "unknown key");
	expect_error("v2.yaml", "arch:\n  foo: 1\nbar: 2\n", "arch.foo", "unknown key");
	expect_error("v3.yaml", "loss:\n  loss_type: softmax_cross_entropy\n  weight: 2\n",
		     "arch.loss.weight", "unknown key");
	expect_error("v4.yaml", "pos_encodings: alibi\n", "arch.pos_encodings", "'alibi'");
	expect_error("v5.yaml", "loss: {loss_type: mse}\n", "arch.loss.loss_type", "'mse'");
	expect_error("v6.yaml", "hidden_size: 520\nnum_heads: 8\n", "head_dim", "num_heads");
	expect_error("v7.yaml", "halt_exploration_prob: 1.5\n", "halt_exploration_prob", NULL);
	expect_error("v8.yaml", "name: hrm.hrm_act_v2@HierarchicalReasoningModel_ACTV2\n",
		     "arch.name", "unsupported architecture");
	expect_error("v9.yaml", "H_layers: 1\nH_layers: 2\n", "arch.H_layers", "duplicate");
	expect_error("v10.yaml", "puzzle_emb_ndim: ${.nope}\n", "arch.puzzle_emb_ndim", "${.nope}");
	expect_error("v11.yaml", "hidden_size: ${.num_heads}\nnum_heads: ${.hidden_size}\n",
		     "arch.hidden_size", "loop");
	expect_error("v12.yaml", "hidden_size: ${oc.env:HOME}\n", "arch.hidden_size", "interpolation");
	expect_error("v13.yaml", "hidden_size: x${.num_heads}\n", "arch.hidden_size", "interpolation");
	expect_error("v14.yaml", "hidden_size: 0\n", "hidden_size", "out of range");
}
END_TEST

START_TEST(test_syntax_errors)
{
	expect_error("s1.yaml", "hidden_size: [512\nnum_heads: }}}\n", "YAML", NULL);
	expect_error("s2.yaml", "\x01\x02\xff\xfe garbage", "YAML", NULL);
	expect_error("s3.yaml", "", "empty", NULL);
	expect_error("s4.yaml", "# only a comment\n", "empty", NULL);
	expect_error("s5.yaml", "just some text\n", "mapping", NULL);
	expect_error("s6.yaml", "hidden_size: !!python/object/apply:os.system [true]\n", "tag", NULL);
	expect_error("s7.yaml", "a: &x 512\nhidden_size: *x\n", "alias", NULL);
	expect_error("s8.yaml", "hidden_size: 512\n---\nnum_heads: 8\n", "more than one", NULL);
	expect_error("s9.yaml", "? [a]\n: 1\n", "keys", NULL);
	char deep[400];
	snprintf(deep, sizeof deep, "a: %0*d\n", 300, 0);
	memset(deep + 3, '[', 300);
	expect_error("s10.yaml", deep, "nested too deeply", NULL);

	char *path = test_path("does-not-exist.yaml"), *cause = NULL;
	struct hrm_config c;
	hrm_config_default(&c);
	ck_assert_int_eq(hrm_config_load_yaml(path, &c, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, path));
	free(cause);
	free(path);
}
END_TEST

START_TEST(test_save_errors)
{
	struct hrm_config c;
	char *cause = NULL, *path = test_path("bad.yaml");
	hrm_config_default(&c);
	c.num_heads = 7;
	ck_assert_int_eq(hrm_config_save_yaml(path, &c, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, path));
	ck_assert_ptr_nonnull(strstr(cause, "num_heads"));
	ck_assert_int_eq(access(path, F_OK), -1);
	free(cause);
	cause = NULL;
	free(path);

	path = test_path("no-such-dir/all_config.yaml");
	hrm_config_default(&c);
	ck_assert_int_eq(hrm_config_save_yaml(path, &c, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, path));
	free(cause);
	free(path);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_default);
	tcase_add_test(tc, test_model_file);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_saved_text);
	tcase_add_test(tc, test_derive_sizes);
	tcase_add_test(tc, test_derive_rejects);
	tcase_add_test(tc, test_all_config_form);
	tcase_add_test(tc, test_forward_dtype);
	tcase_add_test(tc, test_interpolations);
	tcase_add_test(tc, test_type_errors);
	tcase_add_test(tc, test_value_errors);
	tcase_add_test(tc, test_syntax_errors);
	tcase_add_test(tc, test_save_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(config_suite(), "check_config");
}
