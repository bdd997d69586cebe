/* npz_write.h - numpy .npz archives (what np.savez writes: a zip of .npy
 * files, stored), written without Python and without copying the arrays. */
#ifndef HRM_IO_NPZ_WRITE_H
#define HRM_IO_NPZ_WRITE_H

#include "io/npy.h"

/* One array of the archive: np.load(path)[name].  a->data is written as is
 * (C order, little-endian host). */
struct npz_item {
	const char *name; /* without ".npy"; letters, digits and '_' */
	const struct npy_array *a;
};

/* Writes the items to path atomically (temporary file + rename); returns 0,
 * or -1 with *cause naming path and leaving no file behind. */
int npz_write(const char *path, const struct npz_item *items, size_t n, char **cause);

/* The bytes npz_write would write for these items (headers and zip records
 * included, to within a few hundred bytes per item). */
size_t npz_bytes(const struct npz_item *items, size_t n);

#endif
