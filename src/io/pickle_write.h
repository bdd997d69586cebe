/* pickle_write.h - internal to torchzip_write.c: the state-dict pickle of
 * tz_save. */
#ifndef HRM_IO_PICKLE_WRITE_H
#define HRM_IO_PICKLE_WRITE_H

#include "io/torchzip.h"

#include <stddef.h>
#include <stdint.h>

/* Growable byte buffer for the writer. */
struct pk_buf {
	uint8_t *data;
	size_t len, cap;
};

/* Writes the protocol-2 pickle of tz_save: an OrderedDict whose values are
 * _rebuild_tensor_v2 calls; tensor i uses storage key "i". */
int pk_write_state_dict(const struct tz_archive *a, struct pk_buf *out, char **cause);

#endif
