/* loss.c - ACTLossHead losses and metrics with gradients (see loss.h). */
#include "model/loss.h"
#include "model/ops.h"
#include "core/util.h"

#include <assert.h>
#include <math.h>
#include <string.h>

/* The official s() adds 1e-30 to 1 - x; in float64 it only matters when
 * 1 - x rounds to 0, which x < 0 excludes, but it is kept for fidelity. */
#define STABLEMAX_EPS 1e-30

int hrm_loss_kind_from_name(const char *name, enum hrm_loss_kind *kind, char **cause)
{
	if (strcmp(name, "stablemax_cross_entropy") == 0)
		*kind = HRM_LOSS_STABLEMAX;
	else if (strcmp(name, "softmax_cross_entropy") == 0)
		*kind = HRM_LOSS_SOFTMAX;
	else
		return set_cause(cause, "loss: unknown loss_type '%s' (stablemax_cross_entropy or "
				 "softmax_cross_entropy)", name);
	return 0;
}

int labels_prepare(int32_t *labels, size_t n, int32_t ignore_label_id, int V, char **cause)
{
	for (size_t i = 0; i < n; i++) {
		if (ignore_label_id >= 0 && labels[i] == ignore_label_id)
			labels[i] = HRM_IGNORE_LABEL_ID;
		else if (labels[i] != HRM_IGNORE_LABEL_ID && (labels[i] < 0 || labels[i] >= V))
			return set_cause(cause, "labels: cell %zu has label %d outside 0..%d", i, (int)labels[i],
					 V - 1);
	}
	return 0;
}

static void zero_grad(float *dlogits, int V)
{
	if (dlogits != NULL)
		memset(dlogits, 0, (size_t)V * sizeof(float));
}

double stablemax_cross_entropy(const float *logits, int V, int32_t label, double scale, float *dlogits)
{
	if (label == HRM_IGNORE_LABEL_ID) {
		zero_grad(dlogits, V);
		return 0.0;
	}
	assert(label >= 0 && label < V);
	double sum = 0.0;
	for (int j = 0; j < V; j++) {
		double x = logits[j];
		sum += x < 0 ? 1.0 / (1.0 - x + STABLEMAX_EPS) : x + 1.0;
	}
	double xl = logits[label];
	double sl = xl < 0 ? 1.0 / (1.0 - xl + STABLEMAX_EPS) : xl + 1.0;
	if (dlogits != NULL) {
		/* -log(s_l / sum): d/dx_j = s'(x_j) / sum - [j = l] s'(x_l) / s_l,
		 * with s' = s^2 on the negative branch and 1 on the other */
		for (int j = 0; j < V; j++) {
			double x = logits[j];
			double sp = x < 0 ? 1.0 / ((1.0 - x + STABLEMAX_EPS) * (1.0 - x + STABLEMAX_EPS)) : 1.0;
			double g = sp / sum;
			if (j == label)
				g -= xl < 0 ? sl : 1.0 / sl;
			dlogits[j] = (float)(scale * g);
		}
	}
	return -log(sl / sum);
}

double softmax_cross_entropy(const float *logits, int V, int32_t label, double scale, float *dlogits)
{
	if (label == HRM_IGNORE_LABEL_ID) {
		zero_grad(dlogits, V);
		return 0.0;
	}
	assert(label >= 0 && label < V);
	double mx = logits[0];
	for (int j = 1; j < V; j++)
		if (logits[j] > mx)
			mx = logits[j];
	double sum = 0.0;
	for (int j = 0; j < V; j++)
		sum += exp((double)logits[j] - mx);
	double lse = mx + log(sum);
	if (dlogits != NULL)
		for (int j = 0; j < V; j++) {
			double p = exp((double)logits[j] - lse);
			dlogits[j] = (float)(scale * (p - (j == label ? 1.0 : 0.0)));
		}
	return lse - logits[label];
}

double lm_loss(enum hrm_loss_kind kind, const float *logits, const int32_t *labels, int B, int S, int V,
	       double *loss, float *dlogits)
{
	double total = 0.0;
	for (int b = 0; b < B; b++) {
		const int32_t *lab = labels + (size_t)b * S;
		int count = 0;
		for (int s = 0; s < S; s++)
			count += lab[s] != HRM_IGNORE_LABEL_ID;
		/* official: loss_counts.clamp_min(1), so an unlabelled sequence
		 * gives 0 and no NaN */
		double scale = 1.0 / (count > 0 ? count : 1);
		double acc = 0.0;
		for (int s = 0; s < S; s++) {
			size_t cell = (size_t)b * S + s;
			const float *x = logits + cell * V;
			float *g = dlogits ? dlogits + cell * V : NULL;
			acc += kind == HRM_LOSS_STABLEMAX ? stablemax_cross_entropy(x, V, lab[s], scale, g)
							  : softmax_cross_entropy(x, V, lab[s], scale, g);
		}
		acc *= scale;
		if (loss != NULL)
			loss[b] = acc;
		total += acc;
	}
	return total;
}

double bce_with_logits(float x, double target, float *dx)
{
	double v = x;
	/* the stable form torch uses: no exp of a large positive number */
	double l = (v > 0 ? v : 0.0) - v * target + log1p(exp(-fabs(v)));
	if (dx != NULL) {
		double sig = v >= 0 ? 1.0 / (1.0 + exp(-v)) : exp(v) / (1.0 + exp(v));
		*dx = (float)(sig - target);
	}
	return l;
}

void lm_accuracy(const float *logits, const int32_t *labels, int B, int S, int V, int *count,
		 double *accuracy, bool *exact)
{
	for (int b = 0; b < B; b++) {
		int n = 0, right = 0;
		for (int s = 0; s < S; s++) {
			size_t cell = (size_t)b * S + s;
			if (labels[cell] == HRM_IGNORE_LABEL_ID)
				continue;
			n++;
			right += argmax_f32(logits + cell * V, V) == labels[cell];
		}
		if (count != NULL)
			count[b] = n;
		if (accuracy != NULL)
			accuracy[b] = (double)right / (n > 0 ? n : 1);
		if (exact != NULL)
			exact[b] = right == n;
	}
}
