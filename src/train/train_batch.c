/* train_batch.c - the carried batch of deep supervision: every row's sample,
 * its carried states and its segment count, allocated and freed as one. */
#include "train/train.h"

#include <stdlib.h>

int train_batch_alloc(struct train_batch *b, const struct hrm_config *c, int B, int S)
{
	b->B = B;
	b->S = S;
	b->T = S + c->puzzle_emb_len;
	b->d = c->hidden_size;
	size_t bs = (size_t)B * S, btd = (size_t)B * b->T * b->d;
	b->inputs = calloc(bs, sizeof *b->inputs);
	b->labels = calloc(bs, sizeof *b->labels);
	b->puzzle_ids = calloc((size_t)B, sizeof *b->puzzle_ids);
	b->zH = calloc(btd, sizeof *b->zH);
	b->zL = calloc(btd, sizeof *b->zL);
	b->steps = calloc((size_t)B, sizeof *b->steps);
	b->halted = calloc((size_t)B, sizeof *b->halted);
	if (!b->inputs || !b->labels || !b->puzzle_ids || !b->zH || !b->zL || !b->steps || !b->halted) {
		train_batch_free(b);
		return -1;
	}
	for (int r = 0; r < B; r++)
		b->halted[r] = true; /* every row takes a new sample at the first step */
	return 0;
}

void train_batch_free(struct train_batch *b)
{
	free(b->inputs);
	free(b->labels);
	free(b->puzzle_ids);
	free(b->zH);
	free(b->zL);
	free(b->steps);
	free(b->halted);
	b->inputs = b->labels = b->puzzle_ids = b->steps = NULL;
	b->zH = b->zL = NULL;
	b->halted = NULL;
}
