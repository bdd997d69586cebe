/* eval_summary.c - the summary line of `hrmscope eval`, parsed with every
 * number range-checked, and the merging of shards (eval_summary.h). */
#include "analysis/eval_summary.h"
#include "core/util.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the values of halt= (the second is what an absent key means) */
#define HALT_Q_ONLY "q_halt>0"
#define HALT_Q_BOTH "q_halt>q_continue"

#define MAX_SEG HRM_METRICS_MAX_SEGMENTS
#define MAX_GUESSES 4096 /* as eval's --guesses */
#define MAX_NOISE 100.0  /* as eval's --noise */

long eval_shard_count(long total, long i, long n)
{
	return i < total ? (total - i + n - 1) / n : 0;
}

static void put_list(FILE *f, const char *key, const long *v, int n)
{
	fprintf(f, " %s=", key);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s%ld", i ? "," : "", v[i]);
}

char *eval_summary_format(const struct eval_summary *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL) {
		fprintf(stderr, "hrmscope: out of memory (a summary line)\n");
		exit(1);
	}
	fprintf(f, "hrmscope-eval shard=%ld/%ld total=%ld n=%ld valid=%ld segments=%d max_exact=%ld max_token_acc=%.17g "
		   "max_q_halt=%ld max_steps=%.17g adaptive_exact=%ld adaptive_token_acc=%.17g adaptive_q_halt=%ld "
		   "adaptive_steps=%.17g",
		s->shard_i, s->shard_n, s->total, s->n, s->mt.valid, s->mt.M, s->mt.exact[0], s->mt.acc[0],
		s->mt.q_halt[0], s->mt.steps[0], s->mt.exact[1], s->mt.acc[1], s->mt.q_halt[1], s->mt.steps[1]);
	put_list(f, "exact_at", s->mt.exact_at, s->mt.M);
	put_list(f, "critical_at", s->crit_at, s->mt.M + 1);
	put_list(f, "used_at", s->mt.used_at, s->mt.M);
	fprintf(f, " fp_right=%ld fp_wrong=%ld fp_none=%ld fp_tol=%.17g", s->fp[0], s->fp[1], s->fp[2], s->fp_tol);
	if (s->go.K > 0)
		fprintf(f, " guesses=%d guess_kind=%s guess_noise=%.17g guess_seed=%llu guess_n=%ld guess_plain=%ld "
			   "guess_majority=%ld guess_weighted=%ld guess_runs=%ld guess_settled=%ld guess_groups=%ld",
			s->go.K, perturb_kind_name(s->go.kind), s->go.sigma, (unsigned long long)s->go.seed, s->g.n,
			s->g.plain, s->g.majority, s->g.weighted, s->g.runs, s->g.settled, s->g.groups);
	if (s->dtype != HRM_DTYPE_FP32) /* absent: fp32, as every summary before bf16 */
		fprintf(f, " dtype=%s", hrm_dtype_name(s->dtype));
	if (s->halt_q_only) /* absent: q_halt > q_continue, as every summary before TRM */
		fprintf(f, " halt=" HALT_Q_ONLY);
	if (fclose(f) != 0) {
		fprintf(stderr, "hrmscope: out of memory (a summary line)\n");
		exit(1);
	}
	return buf;
}

const char *eval_summary_halt_rule(const struct eval_summary *s)
{
	return s->halt_q_only ? "q_halt > 0" : "q_halt > q_continue";
}

/* ---- parsing ---- */

enum key {
	/* required */
	K_SHARD, K_TOTAL, K_N, K_VALID, K_SEGMENTS, K_MAX_EXACT, K_MAX_ACC, K_MAX_QHALT, K_MAX_STEPS, K_AD_EXACT,
	K_AD_ACC, K_AD_QHALT, K_AD_STEPS, K_EXACT_AT,
	/* added later: absent in older summaries (zero) */
	K_CRIT_AT, K_USED_AT, K_FP_RIGHT, K_FP_WRONG, K_FP_NONE, K_FP_TOL, K_GUESSES, K_GUESS_KIND, K_GUESS_NOISE,
	K_GUESS_SEED, K_GUESS_N, K_GUESS_PLAIN, K_GUESS_MAJORITY, K_GUESS_WEIGHTED, K_GUESS_RUNS, K_GUESS_SETTLED,
	K_GUESS_GROUPS, K_DTYPE, K_HALT, N_KEYS
};
#define N_REQUIRED (K_EXACT_AT + 1)
static const char *const key_names[N_KEYS] = {
	"shard", "total", "n", "valid", "segments", "max_exact", "max_token_acc", "max_q_halt", "max_steps",
	"adaptive_exact", "adaptive_token_acc", "adaptive_q_halt", "adaptive_steps", "exact_at", "critical_at",
	"used_at", "fp_right", "fp_wrong", "fp_none", "fp_tol", "guesses", "guess_kind", "guess_noise", "guess_seed",
	"guess_n", "guess_plain", "guess_majority", "guess_weighted", "guess_runs", "guess_settled", "guess_groups",
	"dtype", "halt",
};

struct parse {
	const char *val[N_KEYS]; /* NULL: absent */
	char **cause;
};

/* The cause set by the caller, prefixed with "key=value" (a long value cut). */
static int bad(struct parse *p, enum key k)
{
	const char *v = p->val[k];
	return prefix_cause(p->cause, "%s=%.40s%s", key_names[k], v, strlen(v) > 40 ? "..." : "");
}

/* A decimal integer, all of s, into *out; -1 if it is not one or does not fit. */
static int to_long(const char *s, const char **end, long *out)
{
	const char *d = *s == '-' ? s + 1 : s;
	if (*d < '0' || *d > '9')
		return -1;
	char *e;
	errno = 0;
	*out = strtol(s, &e, 10);
	*end = e;
	return errno ? -1 : 0;
}

/* val[k], an integer lo..hi, into *out (0 when the key is absent). */
static int get_long(struct parse *p, enum key k, long lo, long hi, long *out)
{
	const char *end;
	*out = 0;
	if (p->val[k] == NULL)
		return 0;
	if (to_long(p->val[k], &end, out) != 0 || *end != '\0' || *out < lo || *out > hi) {
		set_cause(p->cause, "expected an integer %ld..%ld", lo, hi);
		return bad(p, k);
	}
	return 0;
}

static int get_double(struct parse *p, enum key k, double lo, double hi, double *out)
{
	*out = 0;
	if (p->val[k] == NULL)
		return 0;
	char *end;
	const char *v = p->val[k];
	*out = strtod(v, &end);
	if (end == v || *end != '\0' || !isfinite(*out) || *out < lo || *out > hi) {
		set_cause(p->cause, "expected a number %.17g..%.17g", lo, hi);
		return bad(p, k);
	}
	return 0;
}

/* val[k], exactly n integers 0..hi separated by commas, into v (zeros when absent). */
static int get_list(struct parse *p, enum key k, int n, long hi, long *v)
{
	memset(v, 0, (size_t)n * sizeof *v);
	const char *s = p->val[k];
	if (s == NULL)
		return 0;
	int i = 0;
	for (;;) {
		const char *end;
		long x;
		if (i == n) {
			set_cause(p->cause, "more than the %d values of segments=%d", n, n - (k == K_CRIT_AT));
			return bad(p, k);
		}
		if (to_long(s, &end, &x) != 0 || (*end != ',' && *end != '\0') || x < 0 || x > hi) {
			set_cause(p->cause, "value %d: expected an integer 0..%ld", i + 1, hi);
			return bad(p, k);
		}
		v[i++] = x;
		if (*end == '\0')
			break;
		s = end + 1;
	}
	if (i != n) {
		set_cause(p->cause, "%d values but segments=%d needs %d", i, n - (k == K_CRIT_AT), n);
		return bad(p, k);
	}
	return 0;
}

/* shard=I/N against total */
static int get_shard(struct parse *p, long total, struct eval_summary *s)
{
	const char *end;
	long i, n;
	if (to_long(p->val[K_SHARD], &end, &i) != 0 || *end != '/' || to_long(end + 1, &end, &n) != 0 || *end) {
		set_cause(p->cause, "expected I/N");
		return bad(p, K_SHARD);
	}
	if (n < 1 || n > total) {
		set_cause(p->cause, "the number of shards must be 1..%ld (total=%ld examples)", total, total);
		return bad(p, K_SHARD);
	}
	if (i < 0 || i >= n) {
		set_cause(p->cause, "the shard index must be 0..%ld", n - 1);
		return bad(p, K_SHARD);
	}
	s->shard_i = i;
	s->shard_n = n;
	return 0;
}

/* The values, in an order where each range is known from those before. */
static int check_values(struct parse *p, struct eval_summary *s)
{
	long v, M;
	if (get_long(p, K_TOTAL, 1, EVAL_MAX_EXAMPLES, &s->total) || get_shard(p, s->total, s))
		return -1;
	long count = eval_shard_count(s->total, s->shard_i, s->shard_n);
	if (get_long(p, K_N, 0, EVAL_MAX_EXAMPLES, &s->n))
		return -1;
	if (s->n != count) {
		set_cause(p->cause, "shard %ld/%ld of %ld examples has %ld", s->shard_i, s->shard_n, s->total, count);
		return bad(p, K_N);
	}
	if (get_long(p, K_VALID, 0, s->n, &s->mt.valid) || get_long(p, K_SEGMENTS, 1, MAX_SEG, &M))
		return -1;
	s->mt.M = (int)M;
	long valid = s->mt.valid;
	double dv = (double)valid, steps = dv * (double)M;
	if (get_long(p, K_MAX_EXACT, 0, valid, &s->mt.exact[0]) || get_long(p, K_AD_EXACT, 0, valid, &s->mt.exact[1]) ||
	    get_long(p, K_MAX_QHALT, 0, valid, &s->mt.q_halt[0]) ||
	    get_long(p, K_AD_QHALT, 0, valid, &s->mt.q_halt[1]) || get_double(p, K_MAX_ACC, 0, dv, &s->mt.acc[0]) ||
	    get_double(p, K_AD_ACC, 0, dv, &s->mt.acc[1]) || get_double(p, K_MAX_STEPS, 0, steps, &s->mt.steps[0]) ||
	    get_double(p, K_AD_STEPS, 0, steps, &s->mt.steps[1]))
		return -1;
	if (get_list(p, K_EXACT_AT, s->mt.M, valid, s->mt.exact_at) ||
	    get_list(p, K_CRIT_AT, s->mt.M + 1, valid, s->crit_at) ||
	    get_list(p, K_USED_AT, s->mt.M, valid, s->mt.used_at))
		return -1;
	for (int k = 0; k < 3; k++)
		if (get_long(p, K_FP_RIGHT + k, 0, valid, &s->fp[k]))
			return -1;
	if (get_double(p, K_FP_TOL, 0, DBL_MAX, &s->fp_tol) || get_long(p, K_GUESSES, 0, MAX_GUESSES, &v) ||
	    get_double(p, K_GUESS_NOISE, 0, MAX_NOISE, &s->go.sigma))
		return -1;
	s->go.K = (int)v;
	s->go.kind = PERTURB_AUGMENT;
	if (p->val[K_GUESS_KIND] && perturb_kind_parse(p->val[K_GUESS_KIND], &s->go.kind) != 0) {
		set_cause(p->cause, "unknown perturbation");
		return bad(p, K_GUESS_KIND);
	}
	s->dtype = HRM_DTYPE_FP32;
	if (p->val[K_DTYPE] && hrm_dtype_parse(p->val[K_DTYPE], &s->dtype) != 0) {
		set_cause(p->cause, "expected fp32 or bf16");
		return bad(p, K_DTYPE);
	}
	s->go.dtype = s->dtype;
	s->halt_q_only = false;
	if (p->val[K_HALT]) {
		if (strcmp(p->val[K_HALT], HALT_Q_ONLY) != 0 && strcmp(p->val[K_HALT], HALT_Q_BOTH) != 0) {
			set_cause(p->cause, "expected " HALT_Q_BOTH " or " HALT_Q_ONLY);
			return bad(p, K_HALT);
		}
		s->halt_q_only = strcmp(p->val[K_HALT], HALT_Q_ONLY) == 0;
	}
	if (p->val[K_GUESS_SEED]) {
		const char *g = p->val[K_GUESS_SEED];
		char *end;
		errno = 0;
		unsigned long long seed = strtoull(g, &end, 10);
		if (*g < '0' || *g > '9' || *end || errno) {
			set_cause(p->cause, "expected an integer 0..%llu", (unsigned long long)UINT64_MAX);
			return bad(p, K_GUESS_SEED);
		}
		s->go.seed = (uint64_t)seed;
	}
	struct eval_guess_sums *g = &s->g;
	if (get_long(p, K_GUESS_N, 0, s->n, &g->n) || get_long(p, K_GUESS_PLAIN, 0, g->n, &g->plain) ||
	    get_long(p, K_GUESS_MAJORITY, 0, g->n, &g->majority) ||
	    get_long(p, K_GUESS_WEIGHTED, 0, g->n, &g->weighted) ||
	    get_long(p, K_GUESS_RUNS, 0, g->n * s->go.K, &g->runs) ||
	    get_long(p, K_GUESS_SETTLED, 0, g->runs, &g->settled) || get_long(p, K_GUESS_GROUPS, 0, g->runs, &g->groups))
		return -1;
	return 0;
}

int eval_summary_parse(const char *line, struct eval_summary *s, char **cause)
{
	memset(s, 0, sizeof *s);
	if (strncmp(line, "hrmscope-eval ", 14) != 0)
		return set_cause(cause, "not an hrmscope-eval summary line");
	char *copy = xstrdup(line + 14);
	struct parse p = { .cause = cause };
	int rc = 0;
	char *save = NULL;
	for (char *tok = strtok_r(copy, " \r\n", &save); tok && rc == 0; tok = strtok_r(NULL, " \r\n", &save)) {
		char *eq = strchr(tok, '=');
		if (eq == NULL) {
			rc = set_cause(cause, "'%.40s': expected KEY=VALUE", tok);
			break;
		}
		*eq = '\0';
		for (int k = 0; k < N_KEYS; k++)
			if (!strcmp(tok, key_names[k])) {
				if (p.val[k] != NULL)
					rc = set_cause(cause, "%s= appears twice", tok);
				p.val[k] = eq + 1;
				break;
			}
	}
	for (int k = 0; k < N_REQUIRED && rc == 0; k++)
		if (p.val[k] == NULL)
			rc = set_cause(cause, "not a complete hrmscope-eval summary: no %s=", key_names[k]);
	if (rc == 0)
		rc = check_values(&p, s);
	free(copy);
	return rc;
}

/* ---- merging ---- */

void eval_merge_init(struct eval_merge *mg)
{
	memset(mg, 0, sizeof *mg);
	mg->tot.shard_n = 1;
}

int eval_merge_add(struct eval_merge *mg, const struct eval_summary *s, const char *file, long line, char **cause)
{
	struct eval_summary *t = &mg->tot;
	if (mg->found == 0) {
		t->shard_n = s->shard_n; /* until the end: the shards expected */
		t->mt.M = s->mt.M;
		t->total = s->total;
		t->fp_tol = s->fp_tol;
		t->go = s->go;
		t->dtype = s->dtype;
		t->halt_q_only = s->halt_q_only;
	} else if (s->halt_q_only != t->halt_q_only) {
		return set_cause(cause, "shard %ld/%ld halts on %s, the first summary on %s: not one evaluation",
				 s->shard_i, s->shard_n, eval_summary_halt_rule(s), eval_summary_halt_rule(t));
	} else if (s->dtype != t->dtype) {
		return set_cause(cause, "shard %ld/%ld ran in %s, the first summary in %s: not one evaluation", s->shard_i,
				 s->shard_n, hrm_dtype_name(s->dtype), hrm_dtype_name(t->dtype));
	} else if (s->shard_n != t->shard_n || s->mt.M != t->mt.M || s->total != t->total || s->go.K != t->go.K) {
		return set_cause(cause, "shard %ld/%ld (%d segments, %ld examples) does not match the first summary (N %ld, "
				 "%d segments, %ld examples)", s->shard_i, s->shard_n, s->mt.M, s->total, t->shard_n,
				 t->mt.M, t->total);
	} else if (mg->found >= t->shard_n) {
		/* a duplicate: reported by eval_merge_finish; the sums stay bounded */
		return set_cause(cause, "shard %ld/%ld: more summaries than the %ld shards", s->shard_i, s->shard_n,
				 t->shard_n);
	}
	if ((size_t)mg->found == mg->cap) {
		mg->cap = mg->cap ? 2 * mg->cap : 16;
		mg->seen = xrealloc(mg->seen, mg->cap * sizeof *mg->seen);
	}
	mg->seen[mg->found] = (struct eval_merge_seen){ s->shard_i, line, file, mg->found };
	mg->found++;
	/* each sum stays below total + N <= 2^41 (valid <= n, the n of distinct shards add up to total) */
	t->n += s->n;
	t->mt.valid += s->mt.valid;
	for (int k = 0; k < 2; k++) {
		t->mt.exact[k] += s->mt.exact[k];
		t->mt.acc[k] += s->mt.acc[k];
		t->mt.q_halt[k] += s->mt.q_halt[k];
		t->mt.steps[k] += s->mt.steps[k];
	}
	for (int i = 0; i < s->mt.M; i++) {
		t->mt.exact_at[i] += s->mt.exact_at[i];
		t->mt.used_at[i] += s->mt.used_at[i];
	}
	for (int i = 0; i <= s->mt.M; i++)
		t->crit_at[i] += s->crit_at[i];
	for (int k = 0; k < 3; k++)
		t->fp[k] += s->fp[k];
	t->g.n += s->g.n;
	t->g.plain += s->g.plain;
	t->g.majority += s->g.majority;
	t->g.weighted += s->g.weighted;
	t->g.runs += s->g.runs;
	t->g.settled += s->g.settled;
	t->g.groups += s->g.groups;
	return 0;
}

/* by shard, then in the order read */
static int seen_cmp(const void *a, const void *b)
{
	const struct eval_merge_seen *x = a, *y = b;
	if (x->shard != y->shard)
		return x->shard < y->shard ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

int eval_merge_finish(struct eval_merge *mg, char **cause)
{
	long n = mg->tot.shard_n, found = mg->found;
	if (found == 0)
		return set_cause(cause, "no hrmscope-eval summary lines in the input");
	qsort(mg->seen, (size_t)found, sizeof *mg->seen, seen_cmp);
	int rc = 0;
	for (long i = 1; i < found && rc == 0; i++)
		if (mg->seen[i].shard == mg->seen[i - 1].shard)
			rc = set_cause(cause, "%s:%ld: shard %ld/%ld appears twice (also at %s:%ld)", mg->seen[i].file,
				       mg->seen[i].line, mg->seen[i].shard, n, mg->seen[i - 1].file, mg->seen[i - 1].line);
	for (long i = 0; i < n && rc == 0; i++)
		if (i >= found || mg->seen[i].shard != i)
			rc = set_cause(cause, "shard %ld/%ld is missing (%ld of %ld shards found)", i, n, found, n);
	if (rc == 0) {
		mg->tot.shard_i = 0;
		mg->tot.shard_n = 1;
	}
	return rc;
}

void eval_merge_free(struct eval_merge *mg)
{
	free(mg->seen);
	memset(mg, 0, sizeof *mg);
}
