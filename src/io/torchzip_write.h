/* torchzip_write.h - write torch.save() files (zip archive + pickle). */
#ifndef HRM_IO_TORCHZIP_WRITE_H
#define HRM_IO_TORCHZIP_WRITE_H

#include "io/torchzip.h"

/* Write an OrderedDict of tensors as torch.save (zip, protocol-2 pickle,
 * _rebuild_tensor_v2, one storage per tensor) so that torch.load reads it.
 * Written to a temporary name in the same directory and renamed. */
int tz_save(const char *path, const struct tz_archive *in, char **cause);

/* The same, streamed from the tensors' memory either way (no copy of the
 * archive is built); options: */
struct tz_save_opts {
	/* per tensor, or NULL: data holds float32 values, written as the
	 * tensor's dtype (bfloat16 or float16), converted a block at a time */
	const bool *from_f32;
	/* ZIP64 fields and end records even where the sizes do not need
	 * them (what torch.save writes past 4 GB, testable on small files) */
	bool force_zip64;
};
int tz_save_opts(const char *path, const struct tz_archive *in, const struct tz_save_opts *o, char **cause);

#endif
