/* check_eval_summary.c - the summary lines of `hrmscope eval` as --merge
 * reads them: a real line reads and writes back byte for byte; every edit
 * that puts a number out of range or out of step with the others is refused
 * with its message (before the fix, shard=-1/2, 5/2 and 100000000000/2
 * indexed an array of N flags: a double free, a heap overflow, SIGSEGV);
 * merging finds duplicate, missing and foreign shards. */
#include "analysis/eval_summary.h"
#include "core/util.h"

#include "test_util.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* the two summary lines of tests/fixtures/bad/eval_merge/good.txt (eval of
 * the tiny maze model on 4 mazes, --shard 0/2 and 1/2) */
static const char shard0[] =
	"hrmscope-eval shard=0/2 total=4 n=2 valid=2 segments=4 max_exact=0 max_token_acc=1.8799999999999999 "
	"max_q_halt=2 max_steps=8 adaptive_exact=0 adaptive_token_acc=1.8799999999999999 adaptive_q_halt=2 "
	"adaptive_steps=2 exact_at=0,0,0,0 critical_at=0,0,0,0,2 used_at=2,0,0,0 fp_right=0 fp_wrong=0 fp_none=2 "
	"fp_tol=0.01";
static const char shard1[] =
	"hrmscope-eval shard=1/2 total=4 n=2 valid=2 segments=4 max_exact=0 max_token_acc=1.76 max_q_halt=2 "
	"max_steps=8 adaptive_exact=0 adaptive_token_acc=1.76 adaptive_q_halt=2 adaptive_steps=2 exact_at=0,0,0,0 "
	"critical_at=0,0,0,0,2 used_at=2,0,0,0 fp_right=0 fp_wrong=2 fp_none=0 fp_tol=0.01";

/* shard0 with the token "KEY=..." replaced by `with` ("" removes it), or
 * `with` appended when add */
static char *edit(const char *key, const char *with, bool add)
{
	char *s = xmalloc(sizeof shard0 + strlen(with) + 2);
	if (add) {
		sprintf(s, "%s %s", shard0, with);
		return s;
	}
	char pat[64];
	snprintf(pat, sizeof pat, " %s=", key);
	const char *at = strstr(shard0, pat);
	ck_assert_ptr_nonnull(at);
	const char *end = strchr(at + 1, ' ');
	if (end == NULL)
		end = at + strlen(at);
	sprintf(s, "%.*s%s%s%s", (int)(at - shard0), shard0, *with ? " " : "", with, end);
	return s;
}

START_TEST(test_round_trip)
{
	const char *lines[] = { shard0, shard1 };
	for (int i = 0; i < 2; i++) {
		struct eval_summary *s = xmalloc(sizeof *s);
		char *cause = NULL;
		ck_assert_msg(eval_summary_parse(lines[i], s, &cause) == 0, "%s", cause);
		ck_assert_int_eq(s->shard_i, i);
		ck_assert_int_eq(s->shard_n, 2);
		ck_assert_int_eq(s->mt.M, 4);
		ck_assert_int_eq(s->crit_at[4], 2);
		ck_assert_int_eq(s->fp[2 - i], 2);
		char *back = eval_summary_format(s);
		ck_assert_str_eq(back, lines[i]);
		free(back);
		free(s);
	}
}
END_TEST

static const struct {
	const char *key, *with; /* key NULL: append `with` */
	const char *cause;
} bad[] = {
	{ "shard", "shard=-1/2", "shard=-1/2: the shard index must be 0..1" },
	{ "shard", "shard=5/2", "shard=5/2: the shard index must be 0..1" },
	{ "shard", "shard=100000000000/2", "shard=100000000000/2: the shard index must be 0..1" },
	{ "shard", "shard=0/100000000000", "shard=0/100000000000: the number of shards must be 1..4 (total=4 examples)" },
	{ "shard", "shard=0/0", "shard=0/0: the number of shards must be 1..4 (total=4 examples)" },
	{ "shard", "shard=0/-2", "shard=0/-2: the number of shards must be 1..4 (total=4 examples)" },
	{ "shard", "shard=1", "shard=1: expected I/N" },
	{ "shard", "shard=0/2x", "shard=0/2x: expected I/N" },
	{ "shard", "shard=99999999999999999999/2", "shard=99999999999999999999/2: expected I/N" },
	{ "total", "total=0", "total=0: expected an integer 1..1099511627776" },
	{ "total", "total=1099511627777", "total=1099511627777: expected an integer 1..1099511627776" },
	{ "n", "n=3", "n=3: shard 0/2 of 4 examples has 2" },
	{ "n", "n=-9223372036854775808", "n=-9223372036854775808: expected an integer 0..1099511627776" },
	{ "valid", "valid=3", "valid=3: expected an integer 0..2" },
	{ "segments", "segments=0", "segments=0: expected an integer 1..1024" },
	{ "segments", "segments=1025", "segments=1025: expected an integer 1..1024" },
	{ "segments", "segments=5", "exact_at=0,0,0,0: 4 values but segments=5 needs 5" },
	{ "segments", "segments=3", "max_steps=8: expected a number 0..6" },
	{ "max_exact", "max_exact=3", "max_exact=3: expected an integer 0..2" },
	{ "adaptive_q_halt", "adaptive_q_halt=-1", "adaptive_q_halt=-1: expected an integer 0..2" },
	{ "max_token_acc", "max_token_acc=nan", "max_token_acc=nan: expected a number 0..2" },
	{ "max_steps", "max_steps=9", "max_steps=9: expected a number 0..8" },
	{ "exact_at", "exact_at=0,0,,0", "exact_at=0,0,,0: value 3: expected an integer 0..2" },
	{ "exact_at", "exact_at=0,0,0,0,", "exact_at=0,0,0,0,: more than the 4 values of segments=4" },
	{ "critical_at", "critical_at=0,0,0,0,3", "critical_at=0,0,0,0,3: value 5: expected an integer 0..2" },
	{ "critical_at", "critical_at=0,0,0,0", "critical_at=0,0,0,0: 4 values but segments=4 needs 5" },
	{ "used_at", "used_at=9223372036854775807,0,0,0",
	  "used_at=9223372036854775807,0,0,0: value 1: expected an integer 0..2" },
	{ "fp_none", "fp_none=3", "fp_none=3: expected an integer 0..2" },
	{ "fp_tol", "fp_tol=-1", "fp_tol=-1: expected a number 0..1.7976931348623157e+308" },
	{ NULL, "guesses=4097", "guesses=4097: expected an integer 0..4096" },
	{ NULL, "guess_kind=bogus", "guess_kind=bogus: unknown perturbation" },
	{ NULL, "guess_seed=-1", "guess_seed=-1: expected an integer 0..18446744073709551615" },
	{ NULL, "guess_n=3", "guess_n=3: expected an integer 0..2" },
	{ NULL, "guesses=2 guess_n=2 guess_runs=5", "guess_runs=5: expected an integer 0..4" },
	{ NULL, "dtype=fp16", "dtype=fp16: expected fp32 or bf16" },
	{ NULL, "halt=q_halt>1", "halt=q_halt>1: expected q_halt>q_continue or q_halt>0" },
	{ NULL, "n=2", "n= appears twice" },
	{ NULL, "n", "'n': expected KEY=VALUE" },
	{ "max_steps", "", "not a complete hrmscope-eval summary: no max_steps=" },
};

START_TEST(test_bad_values)
{
	char *line = edit(bad[_i].key ? bad[_i].key : "", bad[_i].with, bad[_i].key == NULL);
	struct eval_summary *s = xmalloc(sizeof *s);
	char *cause = NULL;
	ck_assert_msg(eval_summary_parse(line, s, &cause) == -1, "accepted: %s", line);
	ck_assert_str_eq(cause, bad[_i].cause);
	free(cause);
	free(s);
	free(line);
}
END_TEST

/* unknown keys are skipped: a newer eval may add some */
START_TEST(test_unknown_key)
{
	char *line = edit("", "future_key=1,2,3", true);
	struct eval_summary *s = xmalloc(sizeof *s);
	char *cause = NULL;
	ck_assert_msg(eval_summary_parse(line, s, &cause) == 0, "%s", cause);
	free(s);
	free(line);
}
END_TEST

static int add(struct eval_merge *mg, const char *line, long lineno, char **cause)
{
	struct eval_summary *s = xmalloc(sizeof *s);
	int rc = eval_summary_parse(line, s, cause);
	if (rc == 0)
		rc = eval_merge_add(mg, s, "F", lineno, cause);
	free(s);
	return rc;
}

START_TEST(test_merge)
{
	struct eval_merge mg;
	char *cause = NULL;
	eval_merge_init(&mg);
	ck_assert_int_eq(add(&mg, shard1, 1, &cause), 0);
	ck_assert_int_eq(add(&mg, shard0, 2, &cause), 0);
	ck_assert_msg(eval_merge_finish(&mg, &cause) == 0, "%s", cause);
	ck_assert_int_eq(mg.tot.shard_n, 1);
	ck_assert_int_eq(mg.tot.n, 4);
	ck_assert_int_eq(mg.tot.fp[1], 2);
	ck_assert_int_eq(mg.tot.fp[2], 2);
	ck_assert_int_eq(mg.tot.crit_at[4], 4);
	ck_assert_double_eq_tol(mg.tot.mt.acc[0], 1.88 + 1.76, 1e-12);
	eval_merge_free(&mg);

	/* a shard twice: the first two lines are taken, the third is one too many */
	eval_merge_init(&mg);
	ck_assert_int_eq(add(&mg, shard0, 1, &cause), 0);
	ck_assert_int_eq(add(&mg, shard0, 5, &cause), 0);
	ck_assert_int_eq(add(&mg, shard1, 9, &cause), -1);
	ck_assert_str_eq(cause, "shard 1/2: more summaries than the 2 shards");
	ck_assert_int_eq(eval_merge_finish(&mg, &cause), -1);
	ck_assert_str_eq(cause, "F:5: shard 0/2 appears twice (also at F:1)");
	eval_merge_free(&mg);

	/* one missing; none at all */
	eval_merge_init(&mg);
	ck_assert_int_eq(add(&mg, shard1, 1, &cause), 0);
	ck_assert_int_eq(eval_merge_finish(&mg, &cause), -1);
	ck_assert_str_eq(cause, "shard 0/2 is missing (1 of 2 shards found)");
	eval_merge_free(&mg);
	eval_merge_init(&mg);
	ck_assert_int_eq(eval_merge_finish(&mg, &cause), -1);
	ck_assert_str_eq(cause, "no hrmscope-eval summary lines in the input");
	eval_merge_free(&mg);

	/* another evaluation's shard */
	eval_merge_init(&mg);
	ck_assert_int_eq(add(&mg, shard0, 1, &cause), 0);
	char *other = xstrdup(shard1);
	memcpy(strstr(other, "shard=1/2 total=4 n=2"), "shard=1/3 total=6 n=2", 21);
	ck_assert_int_eq(add(&mg, other, 2, &cause), -1);
	ck_assert_str_eq(cause, "shard 1/3 (4 segments, 6 examples) does not match the first summary (N 2, 4 segments, "
				"4 examples)");
	free(other);
	eval_merge_free(&mg);

	/* a shard of the other arithmetic (no dtype= is fp32) */
	eval_merge_init(&mg);
	char *bf = xmalloc(sizeof shard1 + 16);
	sprintf(bf, "%s dtype=bf16", shard1);
	ck_assert_int_eq(add(&mg, shard0, 1, &cause), 0);
	ck_assert_int_eq(add(&mg, bf, 2, &cause), -1);
	ck_assert_str_eq(cause, "shard 1/2 ran in bf16, the first summary in fp32: not one evaluation");
	eval_merge_free(&mg);
	free(bf);

	/* a shard of a model with the other halting rule (no halt= is HRM's) */
	eval_merge_init(&mg);
	char *q0 = xmalloc(sizeof shard1 + 16);
	sprintf(q0, "%s halt=q_halt>0", shard1);
	ck_assert_int_eq(add(&mg, shard0, 1, &cause), 0);
	ck_assert_int_eq(add(&mg, q0, 2, &cause), -1);
	ck_assert_str_eq(cause, "shard 1/2 halts on q_halt > 0, the first summary on q_halt > q_continue: not one "
				"evaluation");
	eval_merge_free(&mg);
	free(q0);
	free(cause);
}
END_TEST

/* halt=q_halt>0 (TRM without a continue target) reads and writes back and
 * names the rule; q_halt > q_continue (every older line) writes none */
START_TEST(test_halt_rule)
{
	char *line = xmalloc(sizeof shard0 + 32), *cause = NULL;
	struct eval_summary *s = xmalloc(sizeof *s);
	sprintf(line, "%s halt=q_halt>0", shard0);
	ck_assert_msg(eval_summary_parse(line, s, &cause) == 0, "%s", cause);
	ck_assert(s->halt_q_only);
	ck_assert_str_eq(eval_summary_halt_rule(s), "q_halt > 0");
	char *back = eval_summary_format(s);
	ck_assert_str_eq(back, line);
	free(back);
	sprintf(line, "%s halt=q_halt>q_continue", shard0);
	ck_assert_msg(eval_summary_parse(line, s, &cause) == 0, "%s", cause);
	ck_assert(!s->halt_q_only);
	ck_assert_str_eq(eval_summary_halt_rule(s), "q_halt > q_continue");
	back = eval_summary_format(s);
	ck_assert_str_eq(back, shard0);
	free(back);
	free(line);
	free(s);
}
END_TEST

/* dtype=bf16 reads and writes back; fp32 (as every older line) writes none */
START_TEST(test_dtype)
{
	char *line = xmalloc(sizeof shard0 + 16), *cause = NULL;
	struct eval_summary *s = xmalloc(sizeof *s);
	sprintf(line, "%s dtype=bf16", shard0);
	ck_assert_msg(eval_summary_parse(line, s, &cause) == 0, "%s", cause);
	ck_assert_int_eq(s->dtype, HRM_DTYPE_BF16);
	char *back = eval_summary_format(s);
	ck_assert_str_eq(back, line);
	free(back);
	sprintf(line, "%s dtype=fp32", shard0);
	ck_assert_msg(eval_summary_parse(line, s, &cause) == 0, "%s", cause);
	ck_assert_int_eq(s->dtype, HRM_DTYPE_FP32);
	back = eval_summary_format(s);
	ck_assert_str_eq(back, shard0);
	free(back);
	free(line);
	free(s);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("eval_summary");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, test_round_trip);
	tcase_add_loop_test(tc, test_bad_values, 0, (int)(sizeof bad / sizeof bad[0]));
	tcase_add_test(tc, test_unknown_key);
	tcase_add_test(tc, test_merge);
	tcase_add_test(tc, test_dtype);
	tcase_add_test(tc, test_halt_rule);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(suite(), "check_eval_summary");
}
