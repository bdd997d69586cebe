/* cmd_train.c - `hrmscope train`: option parsing and signals around
 * trainer_run(). */
#include "cli/cli.h"
#include "cli/options.h"
#include "core/util.h"
#include "model/hrm_config.h"
#include "train/dist.h"
#include "train/trainer.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char train_help[] =
	"usage: hrmscope train (--arch FILE.yaml | --init DIR) (--data DIR | --maze-size N | --sudoku-givens G)\n"
	"                      -o DIR [options]\n"
	"       hrmscope train -o DIR --resume [same options]\n"
	"\n"
	"Train an HRM or a TRM (the architecture file says which) with the official recipe:\n"
	"deep supervision on a carried batch, ACT Q-learning (TRM: q_halt alone, no extra\n"
	"segment), HRM's 1-step gradient or TRM's last cycle, AdamATan2 + sign-SGD for puzzle\n"
	"embeddings, warm-up then cosine. Writes DIR/checkpoint + all_config.yaml (official\n"
	"format; the EMA weights when --ema), DIR/best/ (best eval), DIR/train_state (to resume),\n"
	"DIR/train_log.csv and DIR/eval_log.csv. Ctrl-C saves and stops; --resume continues.\n"
	"--init DIR starts from a checkpoint's weights and architecture (fresh optimiser); a\n"
	"RoPE model may move to another puzzle size (e.g. from 7x7 to 11x11 mazes).\n"
	"\n"
	"data\n"
	"  --data DIR             official dataset folder (train/ and test/)\n"
	"  --maze-size N          or fresh generated N x N mazes every batch (held-out: another seed)\n"
	"  --maze-canvas C        wall the mazes into a C x C canvas (default N)\n"
	"  --maze-mix A,B,...     training mazes of these sizes (drawn evenly, walled into the canvas;\n"
	"                         a size named twice is drawn twice as often, evaluated once);\n"
	"                         the held-out mazes stay N x N\n"
	"  --maze-min-path L      minimum shortest-path length (default 1)\n"
	"  --maze-loops P         share of extra openings (default 0: perfect mazes)\n"
	"  --sudoku-givens G      or fresh generated sudokus with G givens (17..80) and a unique\n"
	"                         solution every batch (held-out: another seed); LO-HI draws each\n"
	"                         training sudoku's givens from the range (held-out: LO)\n"
	"schedule and optimiser\n"
	"  --steps N (10000)  --batch B (32)  --lr X (1e-3)  --lr-min-ratio X (0)  --warmup N (200)\n"
	"  --optim adam-atan2|adamw  --weight-decay X (0.1)  --beta1 X (0.9)  --beta2 X (0.95)\n"
	"  --puzzle-emb-lr X (1e-2)  --puzzle-emb-weight-decay X (0.1)  --clip X (1.0, 0 = off)\n"
	"  --ema DECAY (0 = off; default: TRM 0.999 as its published runs, HRM off)\n"
	"recipe\n"
	"  --grad one-step|last-cycle|full\n"
	"                         gradient through the last L and H call (HRM's official), the last\n"
	"                         H cycle's L_cycles + 1 calls (TRM's official) or the whole segment;\n"
	"                         default: the architecture's official one\n"
	"  --loss stablemax|softmax\n"
	"  --dtype fp32|bf16      arithmetic of the forward and backward (bf16: the official trainer's,\n"
	"                         fp32 master weights and optimiser; the evals run in it too)\n"
	"  --exploration P        halt_exploration_prob (default: the arch's)\n"
	"  --run-to-max P         share of rows that never halt before M (trains late segments)\n"
	"  --m-start M            curriculum: start with halt_max_steps M ...\n"
	"  --m-raise-at X         ... and raise it to the arch's once eval exact after segment 1 >= X (0.6)\n"
	"                         (with --maze-mix: the mean over the sizes; above 1 never raises it)\n"
	"  --m-now M              go on with halt_max_steps M (with --resume: instead of the saved one;\n"
	"                         the curriculum raises it as before)\n"
	"run\n"
	"  --eval-every N (500)  --eval-n N (256)  --checkpoint-every N (500)  --seed K (0)\n"
	"  --eval-min-path L      each eval also scores held-out mazes with a path of >= L moves, for\n"
	"                         every training size that fits one twice over (eval_path_log.csv):\n"
	"                         do the answers follow the corridors, or only the short paths?\n"
	"  --stop-at N            save and stop after step N, with the lr schedule of --steps intact\n"
	"                         (a fork point, or a session's share of a long run; --resume goes on)\n"
	"  --threads N (2)  --resume  --quiet\n"
	"data parallel (mpirun -np N hrmscope train ..., or srun; built with MPI)\n"
	"  each rank trains batch / N rows of the global batch (--batch is the global batch, a\n"
	"  multiple of N) and the gradients are summed with MPI_Allreduce; rank 0 alone writes DIR,\n"
	"  which every rank must see (a shared filesystem). --resume needs the same N. To stop and\n"
	"  save: kill -USR1 on mpirun (forwarded to every rank), or Ctrl-C when a step and the save\n"
	"  fit in mpirun's 1 s before SIGKILL (mpirun --mca odls_base_sigkill_timeout S raises it)\n"
	"  --grad-parts P        sum the gradient in P parts of batch / P rows in a fixed order\n"
	"                        (allgather, P copies of the gradient in memory): the same bytes for\n"
	"                        every N that divides P (0 = MPI_Allreduce, the default)\n";

static volatile int stop_requested;

/* train_main's "failed in the set-up, together with every rank" (exit 1) */
#define EXIT_SETUP_ELSEWHERE 101

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* "--NAME" in flag, for the usage errors of cli_opt_int/cli_opt_double */
static const char *dashed(char flag[static 32], const char *name)
{
	snprintf(flag, 32, "--%s", name);
	return flag;
}

enum {
	O_ARCH = 256, O_INIT, O_DATA, O_SUDOKU, O_MSIZE, O_MMIX, O_MCANVAS, O_MMIN, O_MLOOPS, O_STEPS, O_BATCH, O_LR, O_LRMIN, O_WARMUP, O_OPTIM,
	O_WD, O_B1, O_B2, O_PLR, O_PWD, O_CLIP, O_EMA, O_GRAD, O_LOSS, O_EXPLORE, O_RUNMAX, O_MSTART, O_MNOW, O_MRAISE,
	O_EVERY, O_EVALN, O_EVALPATH, O_CKEVERY, O_RESUME, O_QUIET, O_STOPAT, O_DTYPE, O_GPARTS,
};

/* "5,7,9": up to 8 maze sizes 5..30 into o->maze_mix; 0 or the usage error. */
static int parse_maze_mix(const char *arg, struct trainer_opts *o)
{
	const char *end = arg;
	o->maze_nmix = 0;
	while (*end) {
		char *next;
		long side = strtol(end, &next, 10);
		if (next == end || side < 5 || side > 30 || o->maze_nmix == 8 || (*next && *next != ','))
			return cli_usage("train", "--maze-mix: expected up to 8 sizes 5..30 separated by commas, got '%s'", arg);
		o->maze_mix[o->maze_nmix++] = (int)side;
		end = *next ? next + 1 : next;
	}
	if (o->maze_nmix == 0)
		return cli_usage("train", "--maze-mix: expected a list of sizes, got '%s'", arg);
	return 0;
}

/* --sudoku-givens G or LO-HI (each training sudoku's count drawn from the
 * range; the held-out ones at LO, the hardest) */
static int parse_sudoku_givens(const char *arg, struct trainer_opts *o)
{
	char *end;
	long lo = strtol(arg, &end, 10), hi = lo;
	if (end != arg && *end == '-') {
		const char *h = end + 1;
		hi = strtol(h, &end, 10);
		if (end == h)
			hi = -1;
	}
	if (end == arg || *end || lo < 17 || lo > 80 || hi < lo || hi > 80)
		return cli_usage("train", "--sudoku-givens: expected G or LO-HI with 17 <= LO <= HI <= 80, got '%s'", arg);
	o->sudoku_givens = (int)lo;
	o->sudoku_givens_hi = (int)hi;
	return 0;
}

/* The options into o (*maze: generated mazes): -1 to go on, else the exit
 * code (--help, a usage error). */
static int parse_train(int argc, char **argv, struct trainer_opts *o, bool *maze)
{
	static const struct option opts[] = {
		{ "arch", required_argument, NULL, O_ARCH }, { "init", required_argument, NULL, O_INIT },
		{ "data", required_argument, NULL, O_DATA }, { "sudoku-givens", required_argument, NULL, O_SUDOKU },
		{ "maze-size", required_argument, NULL, O_MSIZE }, { "maze-mix", required_argument, NULL, O_MMIX }, { "maze-canvas", required_argument, NULL, O_MCANVAS },
		{ "maze-min-path", required_argument, NULL, O_MMIN }, { "maze-loops", required_argument, NULL, O_MLOOPS },
		{ "steps", required_argument, NULL, O_STEPS }, { "batch", required_argument, NULL, O_BATCH },
		{ "lr", required_argument, NULL, O_LR }, { "lr-min-ratio", required_argument, NULL, O_LRMIN },
		{ "warmup", required_argument, NULL, O_WARMUP }, { "optim", required_argument, NULL, O_OPTIM },
		{ "weight-decay", required_argument, NULL, O_WD }, { "beta1", required_argument, NULL, O_B1 },
		{ "beta2", required_argument, NULL, O_B2 }, { "puzzle-emb-lr", required_argument, NULL, O_PLR },
		{ "puzzle-emb-weight-decay", required_argument, NULL, O_PWD }, { "clip", required_argument, NULL, O_CLIP },
		{ "ema", required_argument, NULL, O_EMA }, { "grad", required_argument, NULL, O_GRAD },
		{ "loss", required_argument, NULL, O_LOSS }, { "exploration", required_argument, NULL, O_EXPLORE },
		{ "run-to-max", required_argument, NULL, O_RUNMAX }, { "m-start", required_argument, NULL, O_MSTART },
		{ "m-now", required_argument, NULL, O_MNOW }, { "m-raise-at", required_argument, NULL, O_MRAISE },
		{ "stop-at", required_argument, NULL, O_STOPAT }, { "dtype", required_argument, NULL, O_DTYPE },
		{ "eval-every", required_argument, NULL, O_EVERY }, { "eval-n", required_argument, NULL, O_EVALN },
		{ "checkpoint-every", required_argument, NULL, O_CKEVERY }, { "grad-parts", required_argument, NULL, O_GPARTS }, { "eval-min-path", required_argument, NULL, O_EVALPATH },
		CLI_OPTION_SEED, CLI_OPTION_THREADS,
		{ "resume", no_argument, NULL, O_RESUME }, { "quiet", no_argument, NULL, O_QUIET },
		{ "out", required_argument, NULL, 'o' }, { "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 },
	};
	struct cli_common co;
	long v;
	double x;
	char flag[32];
	int c, rc = 0;
	trainer_opts_default(o);
	*maze = false;
	cli_common_init(&co, "train");
	co.threads = o->threads;
	optind = 1;
	/* the option's value into field, or its usage error into rc */
#define INT_OPT(field, lo, hi) \
	if ((rc = cli_opt_int("train", dashed(flag, opts[idx].name), optarg, lo, hi, &v)) == 0) \
		field = v
#define DBL_OPT(field, lo, hi) \
	if ((rc = cli_opt_double("train", dashed(flag, opts[idx].name), optarg, lo, hi, &x)) == 0) \
		field = x
	int idx = 0;
	while ((c = getopt_long(argc, argv, "o:h", opts, &idx)) != -1) {
		switch (c) {
		case O_ARCH: o->arch = optarg; break;
		case O_INIT: o->init = optarg; break;
		case O_DATA: o->data = optarg; break;
		case O_SUDOKU: rc = parse_sudoku_givens(optarg, o); break;
		case O_MSIZE: INT_OPT(o->maze_side, 5, 30); *maze = true; break;
		case O_MMIX: rc = parse_maze_mix(optarg, o); break;
		case O_MCANVAS: INT_OPT(o->maze_canvas, 5, 30); break;
		case O_MMIN: INT_OPT(o->maze_min_path, 1, 900); break;
		case O_MLOOPS: DBL_OPT(o->maze_loops, 0, 1); break;
		case O_STEPS: INT_OPT(o->steps, 1, 1000000000L); break;
		case O_STOPAT: INT_OPT(o->stop_at, 1, 1000000000L); break;
		case O_BATCH: INT_OPT(o->batch, 1, 4096); break;
		case O_LR: DBL_OPT(o->lr, 0, 10); break;
		case O_LRMIN: DBL_OPT(o->lr_min_ratio, 0, 1); break;
		case O_WARMUP: INT_OPT(o->warmup, 0, 1000000000L); break;
		case O_OPTIM:
			if (!strcmp(optarg, "adam-atan2")) o->optim = OPTIM_ADAM_ATAN2;
			else if (!strcmp(optarg, "adamw")) o->optim = OPTIM_ADAMW;
			else return cli_usage("train", "--optim: expected adam-atan2 or adamw, got '%s'", optarg);
			break;
		case O_WD: DBL_OPT(o->weight_decay, 0, 100); break;
		case O_B1: DBL_OPT(o->beta1, 0, 1); break;
		case O_B2: DBL_OPT(o->beta2, 0, 1); break;
		case O_PLR: DBL_OPT(o->puzzle_emb_lr, 0, 100); break;
		case O_PWD: DBL_OPT(o->puzzle_emb_weight_decay, 0, 100); break;
		case O_CLIP: DBL_OPT(o->clip, 0, 1e9); break;
		case O_EMA: DBL_OPT(o->ema, 0, 1); break;
		case O_GRAD:
			if (!strcmp(optarg, "one-step")) o->grad = TRAIN_GRAD_ONE_STEP;
			else if (!strcmp(optarg, "full")) o->grad = TRAIN_GRAD_FULL;
			else if (!strcmp(optarg, "last-cycle")) o->grad = TRAIN_GRAD_LAST_CYCLE;
			else return cli_usage("train", "--grad: expected one-step, last-cycle or full, got '%s'", optarg);
			break;
		case O_LOSS:
			if (!strcmp(optarg, "stablemax")) o->loss = HRM_LOSS_STABLEMAX;
			else if (!strcmp(optarg, "softmax")) o->loss = HRM_LOSS_SOFTMAX;
			else return cli_usage("train", "--loss: expected stablemax or softmax, got '%s'", optarg);
			break;
		case O_EXPLORE: DBL_OPT(o->exploration, 0, 1); break;
		case O_RUNMAX: DBL_OPT(o->run_to_max, 0, 1); break;
		case O_MSTART: INT_OPT(o->m_start, 1, 64); break;
		case O_MNOW: INT_OPT(o->m_now, 1, 64); break;
		case O_MRAISE: DBL_OPT(o->m_raise_at, 0, 2); break;
		case O_EVERY: INT_OPT(o->eval_every, 0, 1000000000L); break;
		case O_EVALN: INT_OPT(o->eval_n, 1, 10000000L); break;
		case O_EVALPATH: INT_OPT(o->eval_min_path, 1, 900); break;
		case O_CKEVERY: INT_OPT(o->checkpoint_every, 0, 1000000000L); break;
		case O_GPARTS: INT_OPT(o->grad_parts, 0, 4096); break;
		case O_DTYPE:
			if (hrm_dtype_parse(optarg, &o->dtype) != 0)
				return cli_usage("train", "--dtype: expected fp32 or bf16, got '%s'", optarg);
			break;
		case O_RESUME: o->resume = true; break;
		case O_QUIET: o->quiet = true; break;
		case 'o': o->out = optarg; break;
		case 'h': fputs(train_help, stdout); return EXIT_OK;
		default: rc = cli_common_opt(&co, c, optarg);
		}
		if (rc != 0)
			return rc;
	}
#undef INT_OPT
#undef DBL_OPT
	o->seed = (uint64_t)co.seed;
	o->threads = (int)co.threads;
	return -1;
}

/* The options that go together: 0 or the usage error. */
static int check_train(int argc, char **argv, const struct trainer_opts *o, bool maze)
{
	if (optind < argc)
		return cli_usage("train", "unexpected argument '%s'", argv[optind]);
	if (o->out == NULL)
		return cli_usage("train", "-o DIR is required");
	if (!o->resume && (o->arch == NULL) == (o->init == NULL))
		return cli_usage("train", "a new run needs --arch FILE.yaml or --init DIR (not both)");
	if ((int)maze + (o->data != NULL) + (o->sudoku_givens > 0) != 1)
		return cli_usage("train", "give one of --data DIR, --maze-size N or --sudoku-givens G");
	if (o->stop_at > o->steps)
		return cli_usage("train", "--stop-at %ld is after the last step (--steps %ld)", o->stop_at, o->steps);
	if (o->eval_min_path > 0 && !maze)
		return cli_usage("train", "--eval-min-path needs generated mazes (--maze-size N)");
	return 0;
}

static int train_main(int argc, char **argv)
{
	struct trainer_opts o;
	bool maze;
	int rc = parse_train(argc, argv, &o, &maze);
	if (rc >= 0 || (rc = check_train(argc, argv, &o, maze)) != 0)
		return rc;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* mpirun forwards SIGUSR1 to the ranks and waits for them; its SIGTERM
	 * after Ctrl-C is followed by SIGKILL a second later
	 * (odls_base_sigkill_timeout), which a long step may not beat */
	if (dist_active())
		sigaction(SIGUSR1, &sa, NULL);
	/* one run at a time in DIR, for the whole run (rank 0 holds it for all) */
	struct dir_lock lock;
	bool root = dist_rank() == 0;
	if (root && cli_claim_out(o.out, CLI_OUT_RUN, false, &lock) != EXIT_OK)
		rc = EXIT_RUNTIME;
	if (dist_max_int(rc != 0) != 0)
		return EXIT_SETUP_ELSEWHERE;
	char *cause = NULL;
	int tr = trainer_run(&o, &stop_requested, &cause);
	if (tr != 0) {
		if (root)
			dir_unlock(&lock, true);
		if (cause == NULL)
			return EXIT_SETUP_ELSEWHERE; /* another rank's set-up failed: it said why */
		rc = cli_fail(cause);
		return tr == -2 ? EXIT_SETUP_ELSEWHERE : rc;
	}
	if (root)
		dir_unlock(&lock, false);
	return EXIT_OK;
}

/* Under mpirun / srun every rank runs this; a rank that fails after the
 * ranks set up together (a full disk on rank 0, a bad sample) takes the
 * job down rather than leave the others waiting in a collective. */
int cmd_train(int argc, char **argv)
{
	dist_init(&argc, &argv);
	int rc = train_main(argc, argv);
	if (rc == EXIT_SETUP_ELSEWHERE) {
		/* every rank stopped at the same point: leave MPI cleanly */
		dist_finish(false);
		return EXIT_RUNTIME;
	}
	dist_finish(rc == EXIT_RUNTIME);
	return rc;
}
