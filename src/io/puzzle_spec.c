/* puzzle_spec.c - FILE[:INDEX] or DIR[:SPLIT[:INDEX]] (see puzzle_spec.h). */
#include "io/puzzle_spec.h"
#include "io/dataset.h"
#include "core/util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long puzzle_spec_index(const char *s)
{
	if (!isdigit((unsigned char)*s))
		return -1;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	return errno || *end || v >= INT_MAX ? -1 : v;
}

/* The dataset reading: the split's name checked, test by default. */
static int as_dataset(struct puzzle_spec *o, const char *dir, const char *split, long index, char **cause)
{
	if (split == NULL) {
		char *test = xmalloc(strlen(dir) + sizeof "/test");
		sprintf(test, "%s/test", dir);
		split = path_is_dir(test) ? "test" : "train";
		free(test);
	}
	if (!dataset_name_ok(split))
		return set_cause(cause, "%s: '%s' is not a split name (train, test)", dir, split);
	o->path = dir;
	o->dataset = true;
	o->split = split;
	o->index = index;
	return 0;
}

static int as_file(struct puzzle_spec *o, const char *path, long index)
{
	o->path = path;
	o->index = index;
	return 0;
}

static int parse(const char *spec, struct puzzle_spec *o, char **cause)
{
	if (spec[0] == '\0')
		return set_cause(cause, "an empty puzzle name (FILE[:INDEX] or DIR[:SPLIT[:INDEX]])");
	if (path_exists(spec))
		return path_is_dir(spec) ? as_dataset(o, o->buf, NULL, 0, cause) : as_file(o, o->buf, 0);
	/* FILE:INDEX, DIR:SPLIT or DIR:SPLIT:INDEX: peel ":INDEX" and ":SPLIT" off the end */
	char *c1 = strrchr(o->buf, ':');
	if (c1 == NULL)
		return set_cause(cause, "%s: no such file or dataset folder", spec);
	*c1 = '\0';
	const char *head = o->buf, *tail = c1 + 1;
	long index = puzzle_spec_index(tail);
	if (path_is_dir(head)) {
		if (index >= 0)
			return set_cause(cause, "%s: give the split before the index (%s:test:%s)", spec, head, tail);
		return as_dataset(o, head, tail, 0, cause);
	}
	if (path_exists(head)) {
		if (index < 0)
			return set_cause(cause, "%s: '%s' is not a puzzle index (FILE:INDEX counts from 0)", head, tail);
		return as_file(o, head, index);
	}
	char *c2 = strrchr(o->buf, ':');
	if (c2 != NULL) {
		*c2 = '\0';
		if (path_is_dir(head)) {
			if (index < 0)
				return set_cause(cause, "%s: '%s' is not an example index (DIR:SPLIT:INDEX counts from 0)",
						 head, tail);
			return as_dataset(o, head, c2 + 1, index, cause);
		}
	}
	return set_cause(cause, "%s: no such file or dataset folder", spec);
}

int puzzle_spec_parse(const char *spec, struct puzzle_spec *out, char **cause)
{
	memset(out, 0, sizeof *out);
	out->buf = xstrdup(spec);
	if (parse(spec, out, cause) != 0) {
		puzzle_spec_free(out);
		return -1;
	}
	return 0;
}

void puzzle_spec_free(struct puzzle_spec *s)
{
	free(s->buf);
	memset(s, 0, sizeof *s);
}
