/* fuzz_eval_summary.c - `hrmscope eval --merge` input (eval_summary.c): the
 * input's lines are summary lines of shards; each is parsed and added to one
 * merge, as --merge does.  A line that parses writes back the same line and
 * reads back the same summary (no value accepted that eval cannot write). */
#include "fuzz.h"
#include "analysis/eval_summary.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

FUZZ_TARGET(eval_summary)
{
	char *text = xmalloc(size + 1), *cause = NULL;
	memcpy(text, data, size);
	text[size] = '\0';
	struct eval_summary *s = xmalloc(sizeof *s), *r = xmalloc(sizeof *r);
	struct eval_merge mg;
	eval_merge_init(&mg);
	long lineno = 0;
	for (char *line = text, *next; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		if (eval_summary_parse(line, s, &cause) != 0)
			continue;
		char *back = eval_summary_format(s);
		if (eval_summary_parse(back, r, &cause) != 0)
			abort();
		char *again = eval_summary_format(r);
		if (strcmp(back, again) != 0 || r->shard_i != s->shard_i || r->shard_n != s->shard_n || r->n != s->n)
			abort();
		free(again);
		free(back);
		eval_merge_add(&mg, s, "fuzz", lineno, &cause);
	}
	if (eval_merge_finish(&mg, &cause) == 0) {
		/* the whole: every shard once, n adds up to total */
		if (mg.tot.n != mg.tot.total || mg.tot.mt.valid > mg.tot.n)
			abort();
		free(eval_summary_format(&mg.tot));
	}
	eval_merge_free(&mg);
	free(r);
	free(s);
	free(text);
	free(cause);
	return 0;
}
