/* zip_write.h - a zip archive written as a stream of stored entries, under a
 * temporary name renamed into place when complete (torch.save archives,
 * numpy .npz files). */
#ifndef HRM_IO_ZIP_WRITE_H
#define HRM_IO_ZIP_WRITE_H

#include "core/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One entry's bytes: head (may be empty) then data; data either as is or
 * float32 values written as bfloat16 or float16. */
enum zip_conv { ZIP_AS_IS, ZIP_F32_TO_BF16, ZIP_F32_TO_F16 };
struct zip_src {
	const void *head;
	size_t head_len;
	const void *data;
	size_t bytes;       /* bytes written for data (after conversion) */
	enum zip_conv conv;
};

struct zip_entry_rec;
struct zip_writer {
	struct atomic_file af;
	const char *path;
	uint64_t pos;
	bool force64;       /* ZIP64 fields even where the sizes do not need them */
	struct zip_entry_rec *e;
	size_t n, cap;
	char **cause;
};

/* Opens path's temporary file.  Every call returns 0, or -1 with *cause
 * naming path; after a failure, call zip_writer_abort. */
int zip_writer_open(struct zip_writer *w, const char *path, bool force64, char **cause);
/* Appends a stored entry; align: its data starts on a 64-byte boundary (the
 * "FB" padding field torch uses, so that storages can be mapped). */
int zip_writer_add(struct zip_writer *w, const char *name, const struct zip_src *src, bool align);
/* Writes the central directory and renames the file into place. */
int zip_writer_commit(struct zip_writer *w);
/* Removes the temporary file (also after a commit: then a no-op). */
void zip_writer_abort(struct zip_writer *w);

#endif
