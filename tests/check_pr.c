/* check_pr.c - the participation ratio (src/analysis/pr.h): the one-shot function
 * and the accumulator against the definition, one sample at a time against
 * blocks, two accumulators combined, samples far from the origin. */
#include "analysis/pr.h"

#include "test_util.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>

enum { D = 12, N = 100 };

/* PR straight from the definition: (tr C)^2 / ||C||_F^2 on the d x d
 * covariance, about the mean */
static double pr_reference(const double *x, int n, int d)
{
	double *m = calloc((size_t)d, sizeof *m), *c = calloc((size_t)d * d, sizeof *c);
	for (int i = 0; i < n; i++)
		for (int k = 0; k < d; k++)
			m[k] += x[i * d + k] / (double)n;
	for (int i = 0; i < n; i++)
		for (int a = 0; a < d; a++)
			for (int b = 0; b < d; b++)
				c[a * d + b] += (x[i * d + a] - m[a]) * (x[i * d + b] - m[b]);
	double tr = 0, fro = 0;
	for (int a = 0; a < d; a++) {
		tr += c[a * d + a];
		for (int b = 0; b < d; b++)
			fro += c[a * d + b] * c[a * d + b];
	}
	free(m);
	free(c);
	return tr * tr / fro;
}

/* N x D samples in [-1, 1), multiples of 1/8192 (so that adding 1000 is
 * exact in float), spread unevenly over the dimensions (scaled by 1 to 1/8:
 * PR about 5), plus shift; as floats and as doubles */
static float xf[N * D];
static double xd[N * D];

static void make_samples(double shift)
{
	unsigned s = 1;
	for (int i = 0; i < N * D; i++) {
		s = s * 1103515245u + 12345u;
		double v = ldexp((double)((int)((s >> 8) % 2048) - 1024) / 1024.0, -(i % D) / 3);
		xd[i] = v + shift;
		xf[i] = (float)xd[i];
	}
}

static double reference(int n)
{
	double *x = malloc((size_t)n * D * sizeof *x);
	for (int i = 0; i < n * D; i++)
		x[i] = xf[i];
	double pr = pr_reference(x, n, D);
	free(x);
	return pr;
}

START_TEST(test_one_shot)
{
	/* +-e_k: an isotropic cloud in d dimensions has PR d */
	enum { K = 6 };
	float iso[2 * K * K] = {0};
	for (int k = 0; k < K; k++) {
		iso[(2 * k) * K + k] = 1;
		iso[(2 * k + 1) * K + k] = -1;
	}
	ck_assert_double_eq_tol(pr_participation_ratio(iso, 2 * K, K), K, 1e-9);
	/* points on a line: PR 1 */
	float line[5 * 3];
	for (int i = 0; i < 5; i++)
		for (int k = 0; k < 3; k++)
			line[i * 3 + k] = (float)(i * (k + 1));
	ck_assert_double_eq_tol(pr_participation_ratio(line, 5, 3), 1.0, 1e-9);
	/* Gram (n <= d) and covariance (n > d) routes against the definition */
	make_samples(0);
	for (int n = 2; n <= N; n += n < 2 * D ? 1 : 13)
		ck_assert_msg(fabs(pr_participation_ratio(xf, n, D) - reference(n)) < 1e-9, "n = %d", n);
	double pr = pr_participation_ratio(xf, N, D);
	ck_assert(pr > 1.5 && pr < D - 1); /* an uneven cloud, not a degenerate case */
}
END_TEST

START_TEST(test_too_few)
{
	make_samples(0);
	ck_assert(isnan(pr_participation_ratio(xf, 0, D)));
	ck_assert(isnan(pr_participation_ratio(xf, 1, D)));
	float same[4 * D];
	for (int i = 0; i < 4 * D; i++)
		same[i] = xf[i % D];
	ck_assert(isnan(pr_participation_ratio(same, 4, D))); /* no variance */
	for (int mult = PR_LOOPS; mult <= PR_BLAS; mult++) {
		struct pr_acc a, b;
		pr_acc_init(&a, D, mult);
		pr_acc_init(&b, D, mult);
		ck_assert(isnan(pr_acc_ratio(&a, NULL)));
		ck_assert(isnan(pr_acc_ratio(&a, &b)));
		pr_acc_add(&a, xf);
		ck_assert(isnan(pr_acc_ratio(&a, NULL)));
		ck_assert(isnan(pr_acc_ratio(&a, &b)));
		ck_assert(isnan(pr_acc_ratio(&b, &a)));
		pr_acc_clear(&b, &a);
		pr_acc_add(&b, xf + D);
		ck_assert(!isnan(pr_acc_ratio(&a, &b))); /* two samples: PR 1 */
		ck_assert_double_eq_tol(pr_acc_ratio(&a, &b), 1.0, 1e-12);
		pr_acc_free(&a);
		pr_acc_free(&b);
	}
}
END_TEST

/* one at a time, in blocks of 7 (floats and doubles), in one block: the
 * same PR as the one-shot function and the definition, on both routes */
START_TEST(test_accumulator)
{
	make_samples(0);
	for (int mult = PR_LOOPS; mult <= PR_BLAS; mult++) {
		struct pr_acc one, blocks, wide, whole;
		pr_acc_init(&one, D, mult);
		pr_acc_init(&blocks, D, mult);
		pr_acc_init(&wide, D, mult);
		pr_acc_init(&whole, D, mult);
		int added = 0;
		for (int n = 2; n <= N; n++) {
			for (; added < n; added++)
				pr_acc_add(&one, xf + added * D);
			if (n % 7 == 0 || n == N) {
				int from = (int)blocks.n;
				pr_acc_add_rows(&blocks, xf + from * D, n - from);
				pr_acc_add_rows_f64(&wide, xd + from * D, n - from);
			}
			pr_acc_clear(&whole, NULL);
			pr_acc_add_rows(&whole, xf, n);
			double want = reference(n), got = pr_acc_ratio(&one, NULL);
			ck_assert_msg(fabs(got - want) < 1e-9, "n = %d: %.12g, the definition %.12g", n, got, want);
			ck_assert_msg(fabs(got - pr_participation_ratio(xf, n, D)) < 1e-9, "n = %d", n);
			ck_assert_msg(fabs(pr_acc_ratio(&whole, NULL) - want) < 1e-9, "n = %d", n);
			ck_assert_int_eq(pr_acc_gram(&one, NULL), n <= D);
			ck_assert_int_eq(pr_acc_gram(&whole, NULL), n <= D);
			if (blocks.n == n) {
				ck_assert_msg(fabs(pr_acc_ratio(&blocks, NULL) - want) < 1e-9, "n = %d", n);
				ck_assert_msg(fabs(pr_acc_ratio(&wide, NULL) - want) < 1e-9, "n = %d", n);
			}
		}
		ck_assert_int_eq(one.n, N);
		ck_assert_int_eq(blocks.n, N);
		/* folded now: the covariance route, the same PR */
		double before = pr_acc_ratio(&one, NULL);
		pr_acc_flush(&one);
		ck_assert_int_eq(one.nrows, 0);
		ck_assert_double_eq_tol(pr_acc_ratio(&one, NULL), before, 1e-12);
		pr_acc_free(&one);
		pr_acc_free(&blocks);
		pr_acc_free(&wide);
		pr_acc_free(&whole);
	}
}
END_TEST

/* a with the first m samples, b (sharing a's reference point) with the
 * rest: together the PR of all n, whichever route each part is on */
static void check_combined(enum pr_mult mult, int m, int n, bool flush_a)
{
	struct pr_acc a, b;
	pr_acc_init(&a, D, mult);
	pr_acc_init(&b, D, mult);
	pr_acc_add_rows(&a, xf, m);
	if (flush_a)
		pr_acc_flush(&a);
	pr_acc_clear(&b, &a);
	for (int i = m; i < n; i++)
		pr_acc_add(&b, xf + i * D);
	double want = reference(n);
	ck_assert_msg(fabs(pr_acc_ratio(&a, &b) - want) < 1e-9, "%d + %d samples, mult %d", m, n - m, mult);
	ck_assert_msg(fabs(pr_acc_ratio(&b, &a) - want) < 1e-9, "%d + %d samples, mult %d", n - m, m, mult);
	ck_assert_int_eq(pr_acc_gram(&a, &b), n <= D && !flush_a);
	if (m >= 2)
		ck_assert_msg(fabs(pr_acc_ratio(&a, NULL) - reference(m)) < 1e-9, "%d samples", m);
	pr_acc_free(&a);
	pr_acc_free(&b);
}

START_TEST(test_combined)
{
	make_samples(0);
	for (int mult = PR_LOOPS; mult <= PR_BLAS; mult++) {
		check_combined(mult, 25, 40, false); /* covariance + covariance */
		check_combined(mult, 25, 40, true);
		check_combined(mult, 5, 9, false);   /* Gram + Gram */
		check_combined(mult, 5, 9, true);    /* folded + held rows */
		check_combined(mult, 5, 40, false);  /* Gram + covariance: past d together */
		check_combined(mult, 7, 12, false);  /* exactly d together */
		check_combined(mult, 0, 20, false);  /* empty a */
		check_combined(mult, 20, 20, false); /* empty b */
	}
	/* different reference points do not combine */
	struct pr_acc a, b;
	pr_acc_init(&a, D, PR_BLAS);
	pr_acc_init(&b, D, PR_BLAS);
	pr_acc_add_rows(&a, xf, 10);
	pr_acc_add_rows(&b, xf + 10 * D, 10);
	ck_assert(isnan(pr_acc_ratio(&a, &b)));
	/* clearing with like takes its reference point even when a is empty */
	pr_acc_clear(&a, &b);
	pr_acc_add_rows(&a, xf, 10);
	ck_assert(!isnan(pr_acc_ratio(&a, &b)));
	pr_acc_free(&a);
	pr_acc_free(&b);
}
END_TEST

/* 1000 added to every coordinate (exact in float): the PR does not move;
 * 1e8 added to doubles, or 1000 to floats that spread by a few 1/8192: sums
 * of y y^T about the origin would lose the digits of the spread (to 1e16
 * against 1, 1e6 against 1e-7) */
START_TEST(test_far_from_origin)
{
	double want[N + 1];
	make_samples(0);
	for (int n = 2; n <= N; n++)
		want[n] = reference(n);
	make_samples(1000);
	for (int mult = PR_LOOPS; mult <= PR_BLAS; mult++)
		for (int n = 2; n <= N; n += 7) {
			struct pr_acc a, b;
			pr_acc_init(&a, D, mult);
			pr_acc_init(&b, D, mult);
			for (int i = 0; i < n / 2; i++)
				pr_acc_add(&a, xf + i * D);
			pr_acc_clear(&b, &a);
			pr_acc_add_rows(&b, xf + n / 2 * D, n - n / 2);
			ck_assert_msg(fabs(pr_acc_ratio(&a, &b) - want[n]) < 1e-6, "n = %d", n);
			ck_assert_msg(fabs(pr_participation_ratio(xf, n, D) - want[n]) < 1e-6, "n = %d", n);
			pr_acc_clear(&a, NULL);
			pr_acc_add_rows(&a, xf, n);
			ck_assert_msg(fabs(pr_acc_ratio(&a, NULL) - want[n]) < 1e-6, "n = %d", n);
			pr_acc_free(&a);
			pr_acc_free(&b);
		}
	make_samples(1e8);
	for (int mult = PR_LOOPS; mult <= PR_BLAS; mult++)
		for (int n = 2; n <= N; n += 7) {
			struct pr_acc a;
			pr_acc_init(&a, D, mult);
			pr_acc_add_rows_f64(&a, xd, n);
			ck_assert_msg(fabs(pr_acc_ratio(&a, NULL) - want[n]) < 1e-6, "n = %d: %.9g, unshifted %.9g", n,
			              pr_acc_ratio(&a, NULL), want[n]);
			pr_acc_free(&a);
		}
	float tiny[N * D], tiny_far[N * D];
	unsigned s = 7;
	for (int i = 0; i < N * D; i++) {
		s = s * 1103515245u + 12345u;
		int r = 8 >> (i % D / 3);
		tiny[i] = (float)((int)((s >> 8) % (2 * r + 1)) - r) / 8192.0f;
		tiny_far[i] = tiny[i] + 1000.0f;
	}
	for (int mult = PR_LOOPS; mult <= PR_BLAS; mult++)
		for (int n = 2; n <= N; n += 7) {
			struct pr_acc a;
			pr_acc_init(&a, D, mult);
			pr_acc_add_rows(&a, tiny_far, n);
			double far = pr_acc_ratio(&a, NULL), near = pr_participation_ratio(tiny, n, D);
			ck_assert_msg(fabs(far - near) < 1e-6, "n = %d: %.9g, unshifted %.9g", n, far, near);
			pr_acc_free(&a);
		}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pr");
	TCase *tc = tcase_create("pr");
	tcase_add_test(tc, test_one_shot);
	tcase_add_test(tc, test_too_few);
	tcase_add_test(tc, test_accumulator);
	tcase_add_test(tc, test_combined);
	tcase_add_test(tc, test_far_from_origin);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(suite(), "check_pr");
}
