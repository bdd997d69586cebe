/* torchzip.h - read and write torch.save() files (zip archive + pickle) without
 * executing anything: the pickle reader understands only what a dict of tensors
 * needs and rejects every other global by name.  Untrusted input: every
 * length, offset and count is bounds-checked.
 *
 * All functions return 0 on success, -1 on failure with *cause set to a
 * malloc'd one-line message naming the file and the problem. */
#ifndef HRM_IO_TORCHZIP_H
#define HRM_IO_TORCHZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tz_dtype {
	TZ_F32, TZ_F64, TZ_F16, TZ_BF16,
	TZ_I64, TZ_I32, TZ_I16, TZ_I8, TZ_U8, TZ_BOOL
};

#define TZ_MAX_DIMS 8

struct tz_tensor {
	char *name;                 /* dict key; nested dicts are joined with '.' */
	enum tz_dtype dtype;
	int ndim;
	int64_t shape[TZ_MAX_DIMS];
	int64_t numel;
	void *data;                 /* contiguous, row-major, numel * elem size bytes; owned
	                             * unless borrowed */
	bool borrowed;              /* data lies in the archive's file mapping (private:
	                             * writable, never written back) */
	bool crc_pending;           /* borrowed, its entry's CRC not compared yet (tz_verify) */
	uint32_t crc;               /* that entry's CRC-32, for tz_verify */
};

struct fmap;
struct tz_archive {
	struct tz_tensor *tensors;
	size_t count;
	struct fmap *map;           /* the file, when loaded from one (tz_free releases it) */
};

size_t tz_dtype_size(enum tz_dtype t);
const char *tz_dtype_name(enum tz_dtype t);     /* "float32", "bfloat16", ... */

/* Load every tensor of a torch.save'd dict (OrderedDict or dict, possibly
 * nested) from a file, or from memory (name is used in messages).
 *
 * A file is mapped (only as many bytes as it has), not read: a tensor that
 * is a whole stored (uncompressed) entry is left in place (borrowed, valid
 * until tz_free or as long as a reference to a->map is held).  Everything
 * else is copied: deflated entries, views of part of a storage, storages
 * shared by several tensors.  Every entry's CRC-32 is compared when it is
 * read, and a borrowed entry's is compared at load too (one pass over it),
 * except for the tensors the expectation's lazy() names: those stay
 * unread, with crc_pending set, until the caller reads them in full and
 * calls tz_verify.  From memory, every tensor is a copy. */
int tz_load(const char *path, struct tz_archive *out, char **cause);

/* What the caller knows a file must hold, checked before anything a tensor
 * claims is read or allocated: how many tensors there can be (which also
 * bounds the pickle: TZ_PICKLE_BYTES_PER_TENSOR each), and each tensor's
 * name, dtype, shape and element count (the view's, already checked against
 * overflow and against its storage).  check returns 0, or -1 with *cause set
 * to a message without the file name (the loader prefixes it). */
#define TZ_PICKLE_BYTES_PER_TENSOR 1024
struct tz_expect {
	size_t max_tensors;
	int (*check)(void *user, const char *name, enum tz_dtype dtype, int ndim, const int64_t *shape,
	             int64_t numel, char **cause);
	/* non-NULL: a tensor for which it returns 1 may be left mapped
	 * without reading it (see above) */
	int (*lazy)(void *user, const char *name);
	void *user;
};
int tz_load_expect(const char *path, const struct tz_expect *e, struct tz_archive *out, char **cause);
int tz_load_mem_expect(const void *buf, size_t len, const char *name, const struct tz_expect *e,
                       struct tz_archive *out, char **cause);
int tz_load_mem(const void *buf, size_t len, const char *name, struct tz_archive *out, char **cause);

void tz_free(struct tz_archive *a);
/* Compares a borrowed tensor's CRC (crc_pending) once: 0, or -1 with
 * "FILE: tensor 'NAME' fails its CRC check (...)".  Reads it in full. */
int tz_verify(const struct tz_archive *a, struct tz_tensor *t, char **cause);
/* The CRC-32 of zip (and zlib), continued from crc (0 to start). */
uint32_t tz_crc32(uint32_t crc, const void *data, size_t len);
const struct tz_tensor *tz_find(const struct tz_archive *a, const char *name);

/* Convert any floating or integer tensor to float32 / float64 (dst has numel). */
void tz_to_f32(const struct tz_tensor *t, float *dst);
void tz_to_f64(const struct tz_tensor *t, double *dst);

#endif
