/* npy.h - NumPy .npy files (format versions 1.0, 2.0 and 3.0), read and
 * written without Python.
 *
 * The header is a Python dict literal; it is parsed by a small strict parser
 * that accepts exactly the three keys numpy writes ('descr', 'fortran_order',
 * 'shape') and nothing is ever evaluated.  Only little-endian or byte-sized
 * plain dtypes are supported, which covers everything the HRM dataset
 * builders write.  Fortran-ordered arrays are transposed to C order on read.
 *
 * Functions return 0, or -1 with *cause set to a malloc'd one-line message
 * that names the file. */
#ifndef HRM_NPY_H
#define HRM_NPY_H

#include <stddef.h>
#include <stdint.h>

enum npy_dtype {
	NPY_DT_B1, /* '|b1' bool, one byte 0/1 */
	NPY_DT_I1, /* '|i1' */
	NPY_DT_U1, /* '|u1' */
	NPY_DT_I2, /* '<i2' */
	NPY_DT_U2, /* '<u2' */
	NPY_DT_I4, /* '<i4' */
	NPY_DT_I8, /* '<i8' */
	NPY_DT_F4, /* '<f4' */
	NPY_DT_F8, /* '<f8' */
};

#define NPY_MAX_DIMS 8

struct npy_array {
	enum npy_dtype dtype;
	int itemsize; /* bytes per element */
	int ndim;     /* 0 = scalar */
	int64_t shape[NPY_MAX_DIMS];
	int64_t numel; /* product of shape (1 for a scalar) */
	void *data;    /* numel * itemsize bytes, C order, host byte order, malloc'd */
};

/* The descr numpy writes for a dtype ("<i4", "|u1", ...) and its item size. */
const char *npy_dtype_descr(enum npy_dtype dt);
int npy_dtype_size(enum npy_dtype dt);

/* Allocates a zero-filled array of the given dtype and shape. */
int npy_alloc(struct npy_array *a, enum npy_dtype dt, int ndim, const int64_t *shape, char **cause);
void npy_free(struct npy_array *a);

/* Reads a whole .npy file.  `name` (npy_read_mem) is used in messages. */
int npy_read(const char *path, struct npy_array *out, char **cause);
int npy_read_mem(const void *buf, size_t len, const char *name, struct npy_array *out, char **cause);

/* Encodes an array exactly as numpy's np.save would (same header text and
 * padding, version 1.0 unless the header needs 2.0).  npy_write stores it
 * atomically (temp file + rename). */
int npy_encode(const struct npy_array *a, void **buf, size_t *len, char **cause);
int npy_write(const char *path, const struct npy_array *a, char **cause);
/* Only the header npy_encode would write before a's data (for writers that
 * stream the data themselves; a->data is not read).  At most
 * NPY_HEADER_MAX bytes. */
#define NPY_HEADER_MAX 640
int npy_header(const struct npy_array *a, unsigned char hdr[NPY_HEADER_MAX], size_t *len, char **cause);

/* Converts an integer or bool array to a malloc'd int32 vector (numel
 * values); a value that does not fit in int32, or a float dtype, is an
 * error naming `name`. */
int npy_to_int32(const struct npy_array *a, const char *name, int32_t **out, char **cause);
/* npy_read followed by an in-place conversion to NPY_DT_I4. */
int npy_read_int32(const char *path, struct npy_array *out, char **cause);

#endif
