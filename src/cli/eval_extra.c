/* eval_extra.c - critical-step histogram and guesses for `hrmscope eval`
 * (eval_extra.h). */
#include "cli/eval_extra.h"
#include "cli/cli_puzzle.h"
#include "io/dataset.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

#define BAR 24

/* count, share and a bar of up to BAR characters (padded to BAR when pad) */
static void bar(FILE *f, long count, long n, bool pad)
{
	int w = n > 0 ? (int)((double)BAR * (double)count / (double)n + 0.5) : 0;
	if (w == 0 && count > 0)
		w = 1;
	fprintf(f, "%6ld %5.1f%% %-*.*s", count, n > 0 ? 100.0 * (double)count / (double)n : 0.0, pad ? BAR : 0, w,
		"########################");
}

void eval_extra_histograms(FILE *f, const long *crit, const long *used, int M, long n, const char *rule)
{
	fprintf(f, "\ncritical step: the segment after which the answer is exactly right and stays right;\n"
		   "segments used: where adaptive halting (%s, or M) stops.  %ld examples.\n", rule, n);
	fprintf(f, "segment  %-*s   %s\n", 13 + BAR, "critical step", "segments used (adaptive)");
	for (int s = 0; s <= M; s++) {
		if (s < M)
			fprintf(f, "%7d  ", s + 1);
		else
			fprintf(f, "  never  ");
		bar(f, crit[s], n, s < M);
		if (s < M) {
			fprintf(f, "   ");
			bar(f, used[s], n, false);
		}
		fprintf(f, "\n");
	}
}

int eval_extra_guess(const struct hrm_model *m, const struct dataset_split *split, const char *dir, int64_t index,
		     const struct guess_opts *o, struct eval_guess_sums *g, char **cause)
{
	struct cli_puzzle *cp = xmalloc(sizeof *cp);
	int rc = cli_puzzle_from_dataset(split, dir, index, cp, cause);
	if (rc == 0 && cp->p.has_label) {
		struct guess_puzzle gp = { &cp->p, cp->known_kind, cp->pid, cp->has_ignore, cp->ignore_label };
		struct guess_result r;
		guess_result_init(&r, cp->p.seq_len);
		rc = guess_run(m, 0, &gp, o, &r, cause);
		if (rc != 0) {
			prefix_cause(cause, "%s", cp->where);
		} else {
			guess_tally(&r);
			g->n++;
			g->plain += r.runs[0].exact == 1;
			g->majority += r.groups[r.majority].exact == 1;
			g->weighted += r.groups[r.weighted].exact == 1;
			g->runs += r.n;
			g->groups += r.n_groups;
			for (int i = 0; i < r.n; i++)
				g->settled += r.runs[i].fp_entered >= 0;
		}
		guess_result_free(&r);
	}
	free(cp);
	return rc;
}

void eval_extra_print_guesses(FILE *f, const struct eval_guess_sums *g, const struct guess_opts *o)
{
	double n = g->n > 0 ? (double)g->n : 1;
	fprintf(f, "\nguesses: K = %d per example as one batch, perturbation %s%s, seed %llu, over %ld examples\n", o->K,
		perturb_kind_name(o->kind), o->sigma > 0 ? " + noise" : "", (unsigned long long)o->seed, g->n);
	fprintf(f, "exact without the vote (version 0, the plain run)  %6.2f%%\n", 100.0 * (double)g->plain / n);
	fprintf(f, "exact with the majority vote                       %6.2f%%\n", 100.0 * (double)g->majority / n);
	fprintf(f, "exact with the q_halt-weighted vote                %6.2f%%\n", 100.0 * (double)g->weighted / n);
	fprintf(f, "fixed points: %.2f answers per example, %.1f%% of the runs settled\n", (double)g->groups / n,
		g->runs > 0 ? 100.0 * (double)g->settled / (double)g->runs : 0.0);
}
