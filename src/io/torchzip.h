/* torchzip.h - read and write torch.save() files (zip archive + pickle) without
 * executing anything: the pickle reader understands only what a dict of tensors
 * needs and rejects every other global by name.  Untrusted input: every
 * length, offset and count is bounds-checked.
 *
 * All functions return 0 on success, -1 on failure with *cause set to a
 * malloc'd one-line message naming the file and the problem. */
#ifndef HRM_IO_TORCHZIP_H
#define HRM_IO_TORCHZIP_H

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
	void *data;                 /* contiguous, row-major, owned, numel * elem size bytes */
};

struct tz_archive {
	struct tz_tensor *tensors;
	size_t count;
};

size_t tz_dtype_size(enum tz_dtype t);
const char *tz_dtype_name(enum tz_dtype t);     /* "float32", "bfloat16", ... */

/* Load every tensor of a torch.save'd dict (OrderedDict or dict, possibly
 * nested) from a file, or from memory (name is used in messages). */
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
	void *user;
};
int tz_load_expect(const char *path, const struct tz_expect *e, struct tz_archive *out, char **cause);
int tz_load_mem_expect(const void *buf, size_t len, const char *name, const struct tz_expect *e,
                       struct tz_archive *out, char **cause);
int tz_load_mem(const void *buf, size_t len, const char *name, struct tz_archive *out, char **cause);

void tz_free(struct tz_archive *a);
const struct tz_tensor *tz_find(const struct tz_archive *a, const char *name);

/* Convert any floating or integer tensor to float32 / float64 (dst has numel). */
void tz_to_f32(const struct tz_tensor *t, float *dst);
void tz_to_f64(const struct tz_tensor *t, double *dst);

#endif
