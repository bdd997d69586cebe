/* torchzip_write.h - write torch.save() files (zip archive + pickle). */
#ifndef HRM_IO_TORCHZIP_WRITE_H
#define HRM_IO_TORCHZIP_WRITE_H

#include "io/torchzip.h"

/* Write an OrderedDict of tensors as torch.save (zip, protocol-2 pickle,
 * _rebuild_tensor_v2, one storage per tensor) so that torch.load reads it.
 * Written to a temporary name in the same directory and renamed. */
int tz_save(const char *path, const struct tz_archive *in, char **cause);

#endif
