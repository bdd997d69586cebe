/* hrm_config.h - the HRM architecture and the training settings a model
 * records, as all_config.yaml holds them (hrm_config.c reads and writes it).
 * Fallible functions return 0, or -1 with *cause set to a malloc'd one-line
 * message naming the file and the problem. */
#ifndef HRM_MODEL_HRM_CONFIG_H
#define HRM_MODEL_HRM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

enum hrm_pos { HRM_POS_ROPE = 0, HRM_POS_LEARNED = 1, HRM_POS_NONE = 2 /* TRM only */ };

/* Which model the config describes, from arch.name (model/arch.h says how
 * each one steps and what it calls its states). */
enum hrm_arch_kind {
	HRM_ARCH_HRM = 0, /* hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1 */
	HRM_ARCH_TRM = 1, /* recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1 */
};

struct hrm_config {
	/* architecture (arch: section of all_config.yaml) */
	enum hrm_arch_kind arch;
	int hidden_size;            /* d */
	int num_heads;              /* h; head_dim = d / h */
	int H_layers, L_layers;     /* TRM: H_layers is ignored (may be 0) */
	int H_cycles, L_cycles;
	double expansion;           /* SwiGLU width factor */
	int puzzle_emb_ndim;        /* P, 0 = no puzzle embedding */
	enum hrm_pos pos_encodings;
	int halt_max_steps;         /* M */
	double halt_exploration_prob;
	double rms_norm_eps;        /* 1e-5 */
	double rope_theta;          /* 10000 */
	char loss_type[48];         /* stablemax_cross_entropy | softmax_cross_entropy */
	/* forward_dtype as the file says it (bfloat16 or float32 in the
	 * official configs; any other word is kept, cut to fit), "" when absent.
	 * The arithmetic the model was trained in; what hrmscope computes in is
	 * the commands' --dtype (hrm_dtype, hrm.h). */
	char forward_dtype[32];
	/* TRM's keys (an HRM config must leave them at their defaults).  A
	 * file naming the TRM class and leaving a key out gets the official
	 * default: mlp_t false, puzzle_emb_len 16, no_ACT_continue true. */
	bool mlp_t;                 /* token-mixing SwiGLU over positions in place of attention */
	int puzzle_emb_len_key;     /* prefix tokens; 0 = ceil(P / d) as HRM */
	bool no_ACT_continue;       /* halt on q_halt > 0; q_continue unused */

	/* from the data (dataset.json) or the tensors' shapes */
	int vocab_size;             /* V */
	int seq_len;                /* S, puzzle cells */
	int num_puzzle_identifiers; /* rows of puzzle_emb.weights */

	/* the training settings all_config.yaml records (the official trainer's
	 * keys); when train.set is false (a model hrmscope did not train), the
	 * official defaults are written */
	struct hrm_train_record {
		bool set;
		int global_batch_size;
		double lr, lr_min_ratio, beta1, beta2, weight_decay, puzzle_emb_lr, puzzle_emb_weight_decay;
		long lr_warmup_steps;
		unsigned long seed;
		double ema; /* the EMA rate trained with, 0 without (written for TRM: ema, ema_rate) */
	} train;

	/* derived by hrm_config_derive() */
	int head_dim;               /* d / h */
	int inter;                  /* SwiGLU width, multiple of 256 */
	int puzzle_emb_len;         /* Lp: puzzle_emb_len_key, or ceil(P / d) when that is 0 */
	int T;                      /* S + Lp positions */
	int inter_t;                /* mlp_t's SwiGLU width over T positions (mlp_t and S known, else 0) */
};

/* The most positions (seq_len + puzzle_emb_len) an mlp_t model may mix: its
 * weights grow with the square of T. */
#define HRM_MLP_T_MAX_T 16384

/* stablemax_cross_entropy or softmax_cross_entropy. */
bool hrm_loss_type_known(const char *s);
/* Fills the derived fields and checks that the config is valid. */
int hrm_config_derive(struct hrm_config *c, char **cause);
/* The official hrm_v1 architecture (vocab/seq_len/ids left 0). */
void hrm_config_default(struct hrm_config *c);
/* The official TRM architecture, config/arch/trm.yaml (vocab/seq_len/ids left 0). */
void hrm_config_default_trm(struct hrm_config *c);
/* Sets c->arch and the TRM keys to that architecture's defaults. */
void hrm_config_set_arch(struct hrm_config *c, enum hrm_arch_kind arch);
/* "rope", "learned", "none" */
const char *hrm_pos_name(enum hrm_pos p);
/* The class path all_config.yaml names for arch ("hrm.hrm_act_v1@...") */
const char *hrm_arch_class_path(enum hrm_arch_kind arch);

/* Config files (hrm_config_read.c reads, hrm_config.c writes): `all_config.yaml` (with an `arch:` section) or a
 * bare arch file like models/hrm_v1.yaml.  Fields absent from the file keep
 * the values already in *c. */
int hrm_config_load_yaml(const char *path, struct hrm_config *c, char **cause);
/* The same from memory (data need not be NUL-terminated); name is used in messages. */
int hrm_config_load_yaml_mem(const char *data, size_t len, const char *name, struct hrm_config *c, char **cause);
int hrm_config_save_yaml(const char *path, const struct hrm_config *c, char **cause);
/* The text hrm_config_save_yaml writes: its length, or -1 with cause (path
 * names the file in messages). */
#define HRM_CONFIG_YAML_MAX 4096
int hrm_config_yaml(const struct hrm_config *c, char text[HRM_CONFIG_YAML_MAX], const char *path, char **cause);

#endif
