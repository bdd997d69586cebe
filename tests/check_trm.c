/* check_trm.c - TRM beside HRM: its config keys and defaults, the published
 * architectures in models/ (their parameter counts, derived here from the
 * shapes), `hrmscope init` writing what the loader reads back, and the
 * commands on an official-format TRM checkpoint (tests/fixtures/golden_trm,
 * made by tests/reference/make_golden_trm.py as the official trainer saves):
 * the header names the architecture and both names of the states, the
 * adaptive halting follows q_halt > 0, and `train` trains a TRM (new,
 * resumed, warm-started).  The steps themselves are checked against the
 * PyTorch reference in check_golden.c and check_golden_bf16.c, a training
 * step's gradients in check_train.c. */
#include "model/engine.h"
#include "model/hrm.h"
#include "io/checkpoint.h"
#include "puzzles/maze.h"
#include "puzzles/puzzle.h"
#include "core/rng.h"
#include "core/util.h"

#include "test_util.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MODELS_DIR FIXTURES_DIR "/../../models"
#define TRM_ATT FIXTURES_DIR "/golden_trm/att_rope_lp16"

static int load_yaml(const char *text, struct hrm_config *c, char **cause)
{
	hrm_config_default(c);
	return hrm_config_load_yaml_mem(text, strlen(text), "t.yaml", c, cause);
}

/* the rest of a TRM arch file; puzzle_emb_ndim follows */
static const char trm_base[] = "name: recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1\n"
			       "H_cycles: 3\nL_cycles: 6\nH_layers: 0\nL_layers: 2\nhidden_size: 64\n"
			       "num_heads: 2\nexpansion: 4\n";

START_TEST(test_config_defaults)
{
	struct hrm_config c;
	char *cause = NULL;
	/* a TRM file without the new keys gets the official defaults, over an HRM default */
	char text[1024];
	snprintf(text, sizeof text, "%spuzzle_emb_ndim: 64\n", trm_base);
	ck_assert_msg(load_yaml(text, &c, &cause) == 0, "%s", cause);
	ck_assert_int_eq(c.arch, HRM_ARCH_TRM);
	ck_assert(!c.mlp_t);
	ck_assert(c.no_ACT_continue);
	ck_assert_int_eq(c.puzzle_emb_len, 16);
	ck_assert(hrm_arch_desc(&c)->shared_net);
	ck_assert_str_eq(hrm_arch_desc(&c)->zH, "y (z_H)");
	ck_assert_str_eq(hrm_arch_desc(&c)->zL, "z (z_L)");
	ck_assert_int_eq(hrm_update_layers(&c, false), 2);
	/* explicit keys, YAML booleans as the official files write them */
	snprintf(text, sizeof text, "%spuzzle_emb_ndim: 64\nmlp_t: True\nno_ACT_continue: False\npuzzle_emb_len: 0\npos_encodings: none\n"
		 "seq_len: 81\n", trm_base);
	ck_assert_msg(load_yaml(text, &c, &cause) == 0, "%s", cause);
	ck_assert(c.mlp_t && !c.no_ACT_continue);
	ck_assert_int_eq(c.puzzle_emb_len, 1); /* 0: ceil(64 / 64) */
	ck_assert_int_eq(c.pos_encodings, HRM_POS_NONE);
	ck_assert(hrm_q_continue_used(&c));
	/* mlp_t width: round_up(round(4 * 82 * 2/3) = 219, 256) */
	ck_assert_int_eq(c.T, 82);
	ck_assert_int_eq(c.inter_t, 256);
	/* an HRM file keeps HRM's rules */
	ck_assert_msg(load_yaml("name: hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1\n", &c, &cause) == 0, "%s",
		      cause);
	ck_assert_int_eq(c.arch, HRM_ARCH_HRM);
	ck_assert_int_eq(c.puzzle_emb_len, 1);
	ck_assert(hrm_q_continue_used(&c) && !hrm_arch_desc(&c)->shared_net);
}
END_TEST

static void expect_refused(const char *text, const char *words)
{
	struct hrm_config c;
	char *cause = NULL;
	ck_assert_msg(load_yaml(text, &c, &cause) != 0, "accepted: %s", text);
	ck_assert_msg(strstr(cause, "t.yaml") && strstr(cause, words), "message '%s' lacks '%s'", cause, words);
	ck_assert_ptr_null(strchr(cause, '\n'));
	free(cause);
}

START_TEST(test_config_refused)
{
	char text[1024];
	/* TRM's keys and positions in an HRM file */
	expect_refused("name: hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1\nmlp_t: true\n", "TRM key");
	expect_refused("name: hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1\npos_encodings: none\n", "TRM setting");
	/* what the official code cannot run: a prefix without a puzzle embedding,
	 * or a puzzle row longer than the prefix */
	snprintf(text, sizeof text, "%spuzzle_emb_ndim: 0\n", trm_base);
	expect_refused(text, "needs a puzzle embedding");
	snprintf(text, sizeof text, "%spuzzle_emb_len: 1\npuzzle_emb_ndim: 65\n", trm_base);
	expect_refused(text, "does not fit");
	snprintf(text, sizeof text, "%spuzzle_emb_ndim: 64\nmlp_t: maybe\n", trm_base);
	expect_refused(text, "true or false");
	expect_refused("name: foo@SomethingElse\n", "unsupported architecture");
}
END_TEST

/* The written file reads back to the same config, TRM keys included. */
START_TEST(test_config_round_trip)
{
	struct hrm_config c, back;
	char *cause = NULL, text[HRM_CONFIG_YAML_MAX];
	char src[1024];
	snprintf(src, sizeof src, "%spuzzle_emb_ndim: 64\nmlp_t: true\npuzzle_emb_len: 3\npos_encodings: none\nseq_len: 30\n", trm_base);
	ck_assert_msg(load_yaml(src, &c, &cause) == 0, "%s", cause);
	c.vocab_size = 6;
	int n = hrm_config_yaml(&c, text, "out.yaml", &cause);
	ck_assert_msg(n > 0, "%s", cause);
	ck_assert_ptr_nonnull(strstr(text, "  name: recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1\n"));
	ck_assert_ptr_nonnull(strstr(text, "  mlp_t: true\n"));
	ck_assert_ptr_nonnull(strstr(text, "  puzzle_emb_len: 3\n"));
	ck_assert_ptr_nonnull(strstr(text, "  pos_encodings: none\n"));
	hrm_config_default(&back);
	ck_assert_msg(hrm_config_load_yaml_mem(text, (size_t)n, "out.yaml", &back, &cause) == 0, "%s", cause);
	ck_assert_int_eq(back.arch, HRM_ARCH_TRM);
	ck_assert(back.mlp_t && back.no_ACT_continue);
	ck_assert_int_eq(back.puzzle_emb_len, 3);
	ck_assert_int_eq(back.T, 33);
	ck_assert_int_eq(back.inter_t, c.inter_t);
	ck_assert_int_eq(back.H_layers, 0);
}
END_TEST

/* Trainable parameters of a TRM from its sizes: embeddings, heads and
 * L_layers blocks (attention or mlp_t, then the channel SwiGLU); the
 * buffers H_init, L_init and puzzle_emb are not counted. */
static long trm_params(long d, long V, long layers, long inter, bool mlp_t, long T, long inter_t)
{
	long block = mlp_t ? 3 * inter_t * T : 4 * d * d;
	block += 3 * inter * d;
	return 2 * V * d + 2 * d + 2 + layers * block;
}

/* The published architectures: maze (attention, H 3 / L 4, vocab 6, 900
 * cells) about 7M, Sudoku mlp_t (97 positions, vocab 11) about 5M. */
START_TEST(test_published_counts)
{
	struct {
		const char *file;
		int V, S;
		bool mlp_t;
		long want;
	} cs[] = {
		{ "trm_maze.yaml", 6, 900, false, trm_params(512, 6, 2, 1536, false, 0, 0) },
		{ "trm_sudoku_mlp.yaml", 11, 81, true, trm_params(512, 11, 2, 1536, true, 97, 512) },
		{ "trm.yaml", 11, 81, false, trm_params(512, 11, 2, 1536, false, 0, 0) },
	};
	ck_assert_int_eq(cs[0].want, 6822914);
	ck_assert_int_eq(cs[1].want, 5028866);
	for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
		struct hrm_config c;
		struct hrm_model m;
		char *cause = NULL, path[512];
		snprintf(path, sizeof path, "%s/%s", MODELS_DIR, cs[i].file);
		hrm_config_default(&c);
		ck_assert_msg(hrm_config_load_yaml(path, &c, &cause) == 0, "%s", cause);
		ck_assert_int_eq(c.arch, HRM_ARCH_TRM);
		ck_assert(c.mlp_t == cs[i].mlp_t);
		ck_assert_int_eq(c.H_cycles, 3);
		ck_assert_int_eq(c.L_cycles, strstr(cs[i].file, "maze") ? 4 : 6);
		c.vocab_size = cs[i].V;
		c.seq_len = cs[i].S;
		c.num_puzzle_identifiers = 1;
		ck_assert_msg(hrm_model_alloc(&m, &c, &cause) == 0, "%s", cause);
		ck_assert_int_eq((long)hrm_model_param_count(&m, false), cs[i].want);
		hrm_model_free(&m);
	}
}
END_TEST

/* init writes an official-format TRM checkpoint that loads back with the
 * same weights; info names the architecture and counts what we count. */
START_TEST(test_init_info)
{
	char *dir = test_path("trm_init");
	char *out = test_hrmscope_ok("init --arch '%s/trm_sudoku_mlp.yaml' --vocab 11 --seq-len 81 --puzzle-ids 2 "
				     "--seed 5 -o '%s'", MODELS_DIR, dir);
	free(out);
	struct hrm_model m;
	char *cause = NULL;
	ck_assert_msg(hrm_model_load(&m, dir, &cause) == 0, "%s", cause);
	ck_assert_int_eq(m.cfg.arch, HRM_ARCH_TRM);
	ck_assert(m.cfg.mlp_t);
	ck_assert_int_eq(m.cfg.seq_len, 81);  /* from the mlp_t tensors' shape */
	ck_assert_ptr_null(m.w.H);
	ck_assert_float_eq(m.w.q_head_b[0], -5.0f);
	ck_assert_int_eq((long)hrm_model_param_count(&m, false), trm_params(512, 11, 2, 1536, true, 97, 512));
	hrm_model_free(&m);
	out = test_hrmscope_ok("info '%s'", dir);
	ck_assert_msg(strstr(out, "architecture TRM (Tiny Recursive Model, "
				  "recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1)"), "%s", out);
	ck_assert_msg(strstr(out, "TRM: 5,028,866 trainable parameters"), "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "L_level.layers.1.mlp_t.gate_up_proj.weight   [1024, 97]"));
	ck_assert_ptr_null(strstr(out, "H_level"));
	ck_assert_ptr_null(strstr(out, "self_attn"));
	free(out);
	free(dir);
}
END_TEST

/* `run --adaptive` on a TRM: the header, the states' names, q_continue
 * marked unused, and halting where q_halt > 0 first.  The model is the
 * official-format fixture saved again by hrmscope with a random Q head,
 * biases +2 (q_halt) and +5 (q_continue, always the larger here): HRM's
 * rule would never stop, TRM's stops early; the q values are the
 * engine's, read here. */
START_TEST(test_run_trm)
{
	struct hrm_model m;
	char *cause = NULL, *dir = test_path("trm_q");
	ck_assert_msg(hrm_model_load(&m, TRM_ATT, &cause) == 0, "%s", cause);
	ck_assert_msg(hrm_model_own(&m, &cause) == 0, "%s", cause);
	struct hrm_rng rng;
	hrm_rng_seed(&rng, 77);
	for (int i = 0; i < 2 * m.cfg.hidden_size; i++)
		m.w.q_head_w[i] = (float)(0.5 * hrm_rng_normal(&rng));
	m.w.q_head_b[0] = 2.0f;
	m.w.q_head_b[1] = 5.0f;
	ck_assert_msg(hrm_model_save(&m, dir, &cause) == 0, "%s", cause);
	hrm_model_free(&m);
	ck_assert_msg(hrm_model_load(&m, dir, &cause) == 0, "%s", cause);
	ck_assert_int_eq(m.cfg.arch, HRM_ARCH_TRM);

	struct maze_gen_opts o = { .side = 5, .min_path = 2 };
	struct puzzle p;
	hrm_rng_seed(&rng, 4);
	ck_assert_msg(maze_generate(&rng, &o, &p, &cause) == 0, "%s", cause);
	char *text = maze_format(&p, p.input);
	char *path = test_write_tmp("trm_maze.txt", text);
	free(text);
	int used = 0, hrm_used = 0, M = m.cfg.halt_max_steps;
	struct hrm_engine *e = hrm_engine_new(&m, 1, 25, &cause);
	ck_assert_msg(e != NULL, "%s", cause);
	int32_t pid = 0;
	ck_assert_msg(hrm_engine_set_inputs(e, p.input, &pid, &cause) == 0, "%s", cause);
	for (int s = 0; s < M && !used; s++) {
		hrm_engine_step(e, HRM_GRAIN_SEGMENT);
		const float *q = hrm_engine_q(e);
		if (!hrm_used && q[0] > q[1])
			hrm_used = s + 1;
		if (q[0] > 0)
			used = s + 1;
	}
	hrm_engine_free(e);
	hrm_model_free(&m);
	ck_assert_msg(used > 0 && used < M && hrm_used == 0, "the model does not tell the rules apart (%d, %d)", used,
		      hrm_used);
	struct test_output r = test_hrmscope("run --model '%s' --puzzle '%s' --adaptive --no-grid", dir, path);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_msg(strstr(r.out, "model: trm_q (TRM, d 8, halt_max_steps 4), dtype fp32\n"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "states: y (z_H) = the answer, z (z_L) = the latent"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "q_continue unused"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "* q_continue: computed, unused"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "halting: adaptive, q_halt > 0 after segment"), "%s", r.out);
	const char *u = strstr(r.out, "segments used: ");
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(atoi(u + 15), used);
	test_output_free(&r);
	/* eval's histogram names the same rule */
	char *data = test_path("trm_q_data");
	r = test_hrmscope("gen maze --size 5 --count 1 --test-count 3 --seed 4 -o '%s'", data);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	test_output_free(&r);
	r = test_hrmscope("eval --model '%s' --data '%s'", dir, data);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_msg(strstr(r.out, "adaptive halting (q_halt > 0, or M) stops") != NULL, "%s", r.out);
	/* and so does the merge of its summary line (the line says the rule) */
	char *sum = test_path("trm_q_summary");
	FILE *f = fopen(sum, "w");
	ck_assert_ptr_nonnull(f);
	fputs(r.out, f);
	fclose(f);
	test_output_free(&r);
	r = test_hrmscope("eval --merge '%s'", sum);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_msg(strstr(r.out, "adaptive halting (q_halt > 0, or M) stops") != NULL, "%s", r.out);
	test_output_free(&r);
	free(sum);
	free(data);
	free(path);
	free(dir);
}
END_TEST

/* the last column of the last line of a CSV file, and its first */
static void last_row(const char *path, long *first, double *col, int want_col)
{
	char *text = test_slurp(path, 1 << 20, NULL), *end = text + strlen(text);
	while (end > text && end[-1] == '\n')
		*--end = 0;
	char *line = strrchr(text, '\n');
	line = line ? line + 1 : text;
	*first = strtol(line, NULL, 10);
	char *f = line;
	for (int k = 0; k < want_col && f; k++) {
		f = strchr(f, ',');
		f = f ? f + 1 : NULL;
	}
	ck_assert_msg(f != NULL, "%s: no column %d in '%s'", path, want_col, line);
	*col = strtod(f, NULL);
	free(text);
}

/* `hrmscope train` trains a TRM: a new run from an arch file, stopped and
 * resumed, then a warm start from its checkpoint; the files are TRM's (the
 * official class path, no H_level), the continue loss stays 0 (no continue
 * target), and an mlp_t network is refused on another puzzle size. */
START_TEST(test_train_trm)
{
	char *dir = test_path("trm_train"), *dir2 = test_path("trm_train2"), *dir3 = test_path("trm_train3");
	char *arch = test_write_tmp("trm_tiny.yaml", "name: recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1\n"
				    "H_cycles: 2\nL_cycles: 2\nH_layers: 0\nL_layers: 1\nhidden_size: 16\n"
				    "num_heads: 2\nexpansion: 2\npuzzle_emb_ndim: 16\npuzzle_emb_len: 2\n"
				    "pos_encodings: rope\nhalt_max_steps: 3\nhalt_exploration_prob: 0.1\n");
	const char *common = "--maze-size 5 --steps 6 --batch 4 --warmup 1 --eval-every 3 --eval-n 4 "
			     "--checkpoint-every 3 --threads 1 --quiet";
	struct test_output r = test_hrmscope("train --arch '%s' %s --stop-at 3 -o '%s'", arch, common, dir);
	ck_assert_msg(r.rc == 0, "train: %s", r.err);
	test_output_free(&r);
	char *cfg_path = path_join(dir, "all_config.yaml");
	char *cfg = test_slurp(cfg_path, 1 << 16, NULL);
	ck_assert_msg(strstr(cfg, "recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1"), "%s", cfg);
	/* the EMA it trained with (TRM's default: the published 0.999), under
	 * pretrain.py's keys, in their sorted place */
	ck_assert_msg(strstr(cfg, "\ndata_path: null\nema: true\nema_rate: 0.999\nepochs:"), "%s", cfg);
	free(cfg);
	free(cfg_path);
	r = test_hrmscope("train --resume %s -o '%s'", common, dir);
	ck_assert_msg(r.rc == 0, "train --resume: %s", r.err);
	test_output_free(&r);
	/* train_log.csv: step, lr, M, loss, lm_loss, q_halt_loss, q_continue_loss, ... */
	char *log = path_join(dir, "train_log.csv");
	long step;
	double qc;
	last_row(log, &step, &qc, 6);
	ck_assert_int_eq(step, 6);
	ck_assert_msg(qc == 0.0, "q_continue_loss %g: TRM has no continue target", qc);
	free(log);

	struct hrm_model m;
	char *cause = NULL;
	ck_assert_msg(hrm_model_load(&m, dir, &cause) == 0, "%s", cause);
	ck_assert_int_eq(m.cfg.arch, HRM_ARCH_TRM);
	ck_assert_ptr_null(m.w.H);
	ck_assert_int_eq(m.cfg.puzzle_emb_len, 2);
	hrm_model_free(&m);

	r = test_hrmscope("train --init '%s' %s -o '%s'", dir, common, dir2);
	ck_assert_msg(r.rc == 0, "train --init: %s", r.err);
	test_output_free(&r);

	/* mlp_t mixes the positions it was made for: a 5x5 maze has others */
	r = test_hrmscope("train --init '%s/golden_trm/mlpt_none_lp16_h3l6' %s -o '%s'", FIXTURES_DIR, common, dir3);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_msg(strstr(r.err, "mlp_t") && strstr(r.err, "seq_len 25"), "%s", r.err);
	test_output_free(&r);
	free(arch);
	free(dir);
	free(dir2);
	free(dir3);
}
END_TEST

static Suite *trm_suite(void)
{
	Suite *s = suite_create("trm");
	TCase *tc = tcase_create("trm");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_config_defaults);
	tcase_add_test(tc, test_config_refused);
	tcase_add_test(tc, test_config_round_trip);
	tcase_add_test(tc, test_published_counts);
	tcase_add_test(tc, test_init_info);
	tcase_add_test(tc, test_run_trm);
	tcase_add_test(tc, test_train_trm);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(trm_suite(), "check_trm");
}
