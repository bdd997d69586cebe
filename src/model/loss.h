/* loss.h - the losses and metrics of the official ACTLossHead
 * (models/losses.py), with their gradients.
 *
 * Labels.  The dataset builders write label 0 (padding / "no answer here")
 * and dataset.json's ignore_label_id = 0; the official loader
 * (puzzle_dataset.py) replaces every label equal to ignore_label_id by
 * IGNORE_LABEL_ID = -100 before the loss, and pads partial batches with
 * -100 labels.  The loss and the metrics then skip exactly the cells whose
 * label is -100: labels_prepare() does that mapping here.  After it, a label
 * 0 can only mean class 0 of a dataset without an ignore id.
 *
 * Reduction.  Per sequence b: loss[b] = sum over labelled cells of CE / count,
 * count = number of labelled cells clamped to >= 1 (a sequence without
 * labels has loss 0).  The official lm_loss is the sum of loss[b] over the
 * batch, and the total is lm_loss + 0.5 (BCE(q_halt) + BCE(q_continue)) with
 * BCE summed over the batch. */
#ifndef HRM_LOSS_H
#define HRM_LOSS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HRM_IGNORE_LABEL_ID (-100)

enum hrm_loss_kind { HRM_LOSS_STABLEMAX, HRM_LOSS_SOFTMAX };

/* "stablemax_cross_entropy" / "softmax_cross_entropy" (config loss_type). */
int hrm_loss_kind_from_name(const char *name, enum hrm_loss_kind *kind, char **cause);

/* In place: labels equal to ignore_label_id (dataset.json; pass a negative
 * value when the dataset has none) become HRM_IGNORE_LABEL_ID; any other
 * label must lie in 0..V-1.  Returns 0, or -1 with cause on a bad label. */
int labels_prepare(int32_t *labels, size_t n, int32_t ignore_label_id, int V, char **cause);

/* One cell: -log p(label) of V logits.  dlogits (may be NULL) receives
 * scale * d(-log p)/d(logits).  label == HRM_IGNORE_LABEL_ID gives 0 and a
 * zero gradient.  Stablemax is computed in float64 as the official code does:
 * s(x) = 1/(1 - x) for x < 0, x + 1 otherwise, p = s(x_label) / sum s(x).
 * Softmax is computed in float64 too (the official code uses float32; the
 * values agree to float32 rounding). */
double stablemax_cross_entropy(const float *logits, int V, int32_t label, double scale, float *dlogits);
double softmax_cross_entropy(const float *logits, int V, int32_t label, double scale, float *dlogits);

/* logits [B][S][V], labels [B][S] (after labels_prepare).  loss[b] (may be
 * NULL) as described above; dlogits [B][S][V] (may be NULL) = d loss[b] /
 * d logits of its cells, zero on ignored cells.  Returns sum_b loss[b]. */
double lm_loss(enum hrm_loss_kind kind, const float *logits, const int32_t *labels, int B, int S, int V,
	       double *loss, float *dlogits);

/* F.binary_cross_entropy_with_logits of one logit x against a target in
 * [0, 1]: max(x, 0) - x t + log(1 + exp(-|x|)); *dx (may be NULL) =
 * sigmoid(x) - t. */
double bce_with_logits(float x, double target, float *dx);

/* Per sequence, with the official metrics' definitions: count[b] labelled
 * cells; accuracy[b] = cells whose argmax equals the label / max(count, 1);
 * exact[b] = every labelled cell right.  As in the official code a sequence
 * with no labelled cell counts as exact (it is the q_halt target then), but
 * the official metrics leave such sequences out (count > 0).  Any output
 * may be NULL. */
void lm_accuracy(const float *logits, const int32_t *labels, int B, int S, int V, int *count,
		 double *accuracy, bool *exact);

#endif
