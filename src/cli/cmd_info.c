/* cmd_info.c - `hrmscope info`: config, tensor table, parameter count. */
#include "cli/cli.h"
#include "core/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char info_help[] =
	"usage: hrmscope info DIR|CHECKPOINT\n"
	"\n"
	"Load a model (DIR/checkpoint or the newest DIR/step_N, with all_config.yaml beside it)\n"
	"and print its architecture, every tensor with its shape, and the parameter count\n"
	"(trainable parameters exclude the buffers H_init, L_init and puzzle_emb.weights).\n";

/* 27275266 -> "27,275,266" */
static const char *thousands(size_t v, char *buf, size_t len)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof tmp, "%zu", v), o = 0;
	for (int i = 0; i < n && (size_t)o + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

static void print_config(const struct hrm_config *c)
{
	const struct hrm_arch_desc *a = hrm_arch_desc(c);
	printf("architecture %s (%s, %s)\n", a->name, a->title, hrm_arch_class_path(c->arch));
	printf("  hidden_size %d, num_heads %d (head_dim %d), expansion %g (SwiGLU width %d)\n",
	       c->hidden_size, c->num_heads, c->head_dim, c->expansion, c->inter);
	if (a->shared_net)
		printf("  one network of L_layers %d for both updates (H_layers %d ignored), H_cycles %d, L_cycles %d\n",
		       c->L_layers, c->H_layers, c->H_cycles, c->L_cycles);
	else
		printf("  H_layers %d, L_layers %d, H_cycles %d, L_cycles %d\n", c->H_layers, c->L_layers,
		       c->H_cycles, c->L_cycles);
	if (c->mlp_t)
		printf("  mlp_t: a SwiGLU over the %d positions (width %d) in place of attention\n", c->T, c->inter_t);
	printf("  pos_encodings %s, puzzle_emb_ndim %d (%d prefix token%s)\n", hrm_pos_name(c->pos_encodings),
	       c->puzzle_emb_ndim, c->puzzle_emb_len, c->puzzle_emb_len == 1 ? "" : "s");
	printf("  halt_max_steps %d, halt_exploration_prob %g, loss %s, halting on %s\n", c->halt_max_steps,
	       c->halt_exploration_prob, c->loss_type,
	       hrm_q_continue_used(c) ? "q_halt > q_continue" : "q_halt > 0 (no_ACT_continue)");
	printf("  vocab_size %d, num_puzzle_identifiers %d, seq_len %s", c->vocab_size, c->num_puzzle_identifiers,
	       c->seq_len ? "" : c->pos_encodings == HRM_POS_ROPE ? "any (rope)\n" : "any (no positions)\n");
	if (c->seq_len)
		printf("%d\n", c->seq_len);
	if (c->forward_dtype[0]) /* the trained arithmetic; what runs is the commands' --dtype */
		printf("  forward_dtype %s\n", c->forward_dtype);
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 } };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(info_help, stdout);
			return EXIT_OK;
		}
		return cli_usage("info", "bad option");
	}
	if (optind != argc - 1)
		return cli_usage("info", "expected one model directory or checkpoint file");
	struct model_source src = { .model = argv[optind] };
	struct hrm_model m;
	if (cli_load_model(&src, &m) != 0)
		return EXIT_RUNTIME;
	printf("model %s\n", argv[optind]);
	print_config(&m.cfg);
	size_t n = hrm_tensor_list(&m, NULL, 0);
	struct hrm_tensor_info *ti = xcalloc(n, sizeof *ti);
	hrm_tensor_list(&m, ti, n);
	printf("\ntensors (%zu)\n", n);
	for (size_t i = 0; i < n; i++) {
		char shape[48];
		if (ti[i].ndim == 1)
			snprintf(shape, sizeof shape, "[%lld]", (long long)ti[i].shape[0]);
		else
			snprintf(shape, sizeof shape, "[%lld, %lld]", (long long)ti[i].shape[0], (long long)ti[i].shape[1]);
		printf("  %-44s %-14s %s\n", ti[i].name, shape, ti[i].buffer ? "buffer" : "parameter");
	}
	free(ti);
	size_t params = hrm_model_param_count(&m, false), all = hrm_model_param_count(&m, true);
	char b1[32], b2[32];
	printf("\n%s: %s trainable parameters (%s with buffers)\n", hrm_arch_desc(&m.cfg)->name,
	       thousands(params, b1, sizeof b1), thousands(all, b2, sizeof b2));
	hrm_model_free(&m);
	return EXIT_OK;
}
