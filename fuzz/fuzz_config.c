/* fuzz_config.c - all_config.yaml and arch files (config.c, libyaml). */
#include "fuzz.h"
#include "model/hrm.h"

#include <stdlib.h>

FUZZ_TARGET(config)
{
	struct hrm_config c;
	char *cause = NULL;
	hrm_config_default(&c);
	if (hrm_config_load_yaml_mem((const char *)data, size, "all_config.yaml", &c, &cause) == 0) {
		/* a config that loads must derive again and survive sizing */
		struct hrm_config d = c;
		if (hrm_config_derive(&d, NULL) != 0)
			abort();
		d.vocab_size = 6;
		d.seq_len = 4;
		d.num_puzzle_identifiers = d.puzzle_emb_ndim > 0 ? 2 : 0;
		size_t per_layer = (size_t)d.hidden_size * (4 * (size_t)d.hidden_size + 3 * (size_t)d.inter);
		if (hrm_config_derive(&d, NULL) == 0 &&
		    per_layer * (size_t)(d.H_layers + d.L_layers) < ((size_t)1 << 22)) {
			struct hrm_model m;
			if (hrm_model_alloc(&m, &d, &cause) == 0)
				hrm_model_free(&m);
		}
	}
	free(cause);
	return 0;
}
