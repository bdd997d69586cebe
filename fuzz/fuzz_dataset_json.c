/* fuzz_dataset_json.c - dataset.json (PuzzleDatasetMetadata) and
 * identifiers.json (dataset.c, jansson). */
#include "io/dataset.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

FUZZ_TARGET(dataset_json)
{
	const char *text = (const char *)data;
	char *cause = NULL;
	struct dataset_meta m;
	if (dataset_meta_parse(text, size, "dataset.json", &m, &cause) == 0) {
		if (m.num_sets < 1 || m.pad_id < 0 || m.pad_id >= m.vocab_size)
			abort();
		for (int i = 0; i < m.num_sets; i++)
			if (!dataset_name_ok(m.sets[i]))
				abort();
		dataset_meta_free(&m);
	}
	free(cause);
	cause = NULL;
	char **names;
	int64_t count;
	if (dataset_identifiers_parse(text, size, "identifiers.json", &names, &count, &cause) == 0) {
		if (count < 1 || strcmp(names[0], "<blank>") != 0)
			abort();
		dataset_identifiers_free(names, count);
	}
	free(cause);
	return 0;
}
