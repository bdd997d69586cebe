/* npy.c - NumPy .npy reader and writer (see npy.h). */
#include "io/npy.h"
#include "core/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* numpy itself refuses headers over 10000 bytes unless told otherwise; we
 * allow more, but a header length in the megabytes means a corrupt file. */
#define NPY_MAX_HEADER (1u << 20)
/* numpy pads the header so the data starts on a 64-byte boundary, and adds
 * room for the first axis to grow to 21 digits (numpy >= 1.24). */
#define NPY_ALIGN 64
#define NPY_GROWTH_DIGITS 21
#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6

static const struct {
	const char *descr;
	enum npy_dtype dt;
	int size;
} dtypes[] = {
    /* the first entry of each dtype is what numpy writes */
    {"|b1", NPY_DT_B1, 1}, {"<b1", NPY_DT_B1, 1}, {"|i1", NPY_DT_I1, 1}, {"<i1", NPY_DT_I1, 1},
    {"|u1", NPY_DT_U1, 1}, {"<u1", NPY_DT_U1, 1}, {"<i2", NPY_DT_I2, 2}, {"<u2", NPY_DT_U2, 2},
    {"<i4", NPY_DT_I4, 4}, {"<i8", NPY_DT_I8, 8}, {"<f4", NPY_DT_F4, 4}, {"<f8", NPY_DT_F8, 8},
};
#define NDTYPES (sizeof dtypes / sizeof dtypes[0])

const char *npy_dtype_descr(enum npy_dtype dt)
{
	for (size_t i = 0; i < NDTYPES; i++)
		if (dtypes[i].dt == dt)
			return dtypes[i].descr;
	return "?";
}

int npy_dtype_size(enum npy_dtype dt)
{
	for (size_t i = 0; i < NDTYPES; i++)
		if (dtypes[i].dt == dt)
			return dtypes[i].size;
	return 0;
}

static bool host_is_little_endian(void)
{
	const uint16_t one = 1;
	unsigned char b;
	memcpy(&b, &one, 1);
	return b == 1;
}

/* The file format is little-endian; only a big-endian host needs this. */
static void swap_items(void *data, int64_t numel, int itemsize)
{
	unsigned char *p = data;
	if (itemsize <= 1 || host_is_little_endian())
		return;
	for (int64_t i = 0; i < numel; i++, p += itemsize)
		for (int a = 0, b = itemsize - 1; a < b; a++, b--) {
			unsigned char t = p[a];
			p[a] = p[b];
			p[b] = t;
		}
}

/* Python's repr of a shape tuple: "()", "(3,)", "(2, 3)". */
static void format_shape(int ndim, const int64_t *shape, char *buf, size_t cap)
{
	size_t n = (size_t)snprintf(buf, cap, "(");
	for (int i = 0; i < ndim && n < cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s%" PRId64, i ? ", " : "", shape[i]);
	if (n < cap)
		snprintf(buf + n, cap - n, ndim == 1 ? ",)" : ")");
}

/* Shared by the checks of a decoded header and of an array to be written. */
static int shape_numel(int ndim, const int64_t *shape, int itemsize, int64_t *numel, size_t *bytes)
{
	int64_t n = 1;
	for (int i = 0; i < ndim; i++) {
		if (shape[i] < 0)
			return -1;
		if (shape[i] != 0 && n > INT64_MAX / shape[i])
			return -1;
		n *= shape[i];
	}
	if ((uint64_t)n > SIZE_MAX || size_mul((size_t)n, (size_t)itemsize, bytes) != 0 || *bytes > (size_t)INT64_MAX)
		return -1;
	*numel = n;
	return 0;
}

int npy_alloc(struct npy_array *a, enum npy_dtype dt, int ndim, const int64_t *shape, char **cause)
{
	size_t bytes;
	memset(a, 0, sizeof *a);
	if (ndim < 0 || ndim > NPY_MAX_DIMS)
		return set_cause(cause, "npy: %d dimensions (at most %d supported)", ndim, NPY_MAX_DIMS);
	a->dtype = dt;
	a->itemsize = npy_dtype_size(dt);
	a->ndim = ndim;
	for (int i = 0; i < ndim; i++)
		a->shape[i] = shape[i];
	if (a->itemsize == 0 || shape_numel(ndim, a->shape, a->itemsize, &a->numel, &bytes) != 0)
		return set_cause(cause, "npy: invalid dtype or shape");
	a->data = calloc(bytes ? bytes : 1, 1);
	if (a->data == NULL)
		return set_cause(cause, "npy: out of memory for %zu bytes", bytes);
	return 0;
}

void npy_free(struct npy_array *a)
{
	if (a == NULL)
		return;
	free(a->data);
	memset(a, 0, sizeof *a);
}

/* ---- header parsing: a strict recogniser for the one dict shape numpy writes ---- */

struct hdr {
	const char *p, *end, *start;
	const char *name;
	char **cause;
};

static int hdr_error(struct hdr *h, const char *what)
{
	return set_cause(h->cause, "%s: malformed .npy header: %s (at header byte %td)", h->name, what,
	                 h->p - h->start);
}

static void skip_ws(struct hdr *h)
{
	while (h->p < h->end && (*h->p == ' ' || *h->p == '\t' || *h->p == '\n' || *h->p == '\r'))
		h->p++;
}

static bool accept(struct hdr *h, char c)
{
	skip_ws(h);
	if (h->p < h->end && *h->p == c) {
		h->p++;
		return true;
	}
	return false;
}

/* A quoted string without escapes: descr values and key names never have them. */
static int parse_str(struct hdr *h, char *out, size_t cap)
{
	skip_ws(h);
	if (h->p >= h->end || (*h->p != '\'' && *h->p != '"'))
		return hdr_error(h, "expected a quoted string");
	char q = *h->p++;
	size_t n = 0;
	while (h->p < h->end && *h->p != q) {
		if (*h->p == '\\' || (unsigned char)*h->p < 0x20 || (unsigned char)*h->p > 0x7e)
			return hdr_error(h, "unexpected character in string");
		if (n + 1 >= cap)
			return hdr_error(h, "string too long");
		out[n++] = *h->p++;
	}
	if (h->p >= h->end)
		return hdr_error(h, "unterminated string");
	h->p++;
	out[n] = '\0';
	return 0;
}

static int parse_bool(struct hdr *h, bool *out)
{
	skip_ws(h);
	size_t left = (size_t)(h->end - h->p);
	if (left >= 4 && memcmp(h->p, "True", 4) == 0) {
		h->p += 4;
		*out = true;
	} else if (left >= 5 && memcmp(h->p, "False", 5) == 0) {
		h->p += 5;
		*out = false;
	} else {
		return hdr_error(h, "fortran_order is not True or False");
	}
	return 0;
}

/* A non-negative decimal literal as Python writes it (no sign, no leading zero). */
static int parse_dim(struct hdr *h, int64_t *out)
{
	skip_ws(h);
	if (h->p >= h->end || *h->p < '0' || *h->p > '9')
		return hdr_error(h, "shape entry is not a non-negative integer");
	if (*h->p == '0' && h->p + 1 < h->end && h->p[1] >= '0' && h->p[1] <= '9')
		return hdr_error(h, "shape entry has a leading zero");
	int64_t v = 0;
	while (h->p < h->end && *h->p >= '0' && *h->p <= '9') {
		int d = *h->p - '0';
		if (v > (INT64_MAX - d) / 10)
			return hdr_error(h, "shape entry overflows 64 bits");
		v = v * 10 + d;
		h->p++;
	}
	*out = v;
	return 0;
}

/* "()", "(n,)", "(n, m)", "(n, m,)" - a one-element tuple needs its comma,
 * because "(3)" is the integer 3 to Python. */
static int parse_shape(struct hdr *h, int *ndim, int64_t *shape)
{
	int n = 0;
	bool comma = false;
	if (!accept(h, '('))
		return hdr_error(h, "shape is not a tuple");
	while (!accept(h, ')')) {
		if (n > 0 && !comma)
			return hdr_error(h, "expected ',' or ')' in shape");
		if (n == NPY_MAX_DIMS)
			return set_cause(h->cause, "%s: more than %d dimensions are not supported", h->name,
			                 NPY_MAX_DIMS);
		if (parse_dim(h, &shape[n]) != 0)
			return -1;
		n++;
		comma = accept(h, ',');
	}
	if (n == 1 && !comma)
		return hdr_error(h, "shape is not a tuple");
	*ndim = n;
	return 0;
}

static int lookup_descr(const char *descr, const char *name, struct npy_array *out, char **cause)
{
	for (size_t i = 0; i < NDTYPES; i++)
		if (strcmp(descr, dtypes[i].descr) == 0) {
			out->dtype = dtypes[i].dt;
			out->itemsize = dtypes[i].size;
			return 0;
		}
	if (descr[0] == '>')
		return set_cause(cause, "%s: big-endian dtype '%s' is not supported", name, descr);
	return set_cause(cause, "%s: unsupported dtype '%s' (supported: <i4 <i8 |u1 |i1 |b1 <i2 <u2 <f4 <f8)", name,
	                 descr);
}

/* Fills dtype, itemsize, ndim, shape and *fortran from the dict literal. */
static int parse_dict(const char *text, size_t len, const char *name, struct npy_array *out, bool *fortran,
                      char **cause)
{
	struct hdr h = {text, text + len, text, name, cause};
	bool seen_descr = false, seen_order = false, seen_shape = false;
	char key[32], descr[32];
	if (!accept(&h, '{'))
		return hdr_error(&h, "expected '{'");
	while (!accept(&h, '}')) {
		if (parse_str(&h, key, sizeof key) != 0)
			return -1;
		if (!accept(&h, ':'))
			return hdr_error(&h, "expected ':'");
		if (strcmp(key, "descr") == 0 && !seen_descr) {
			seen_descr = true;
			skip_ws(&h);
			if (h.p < h.end && *h.p == '[')
				return set_cause(cause, "%s: unsupported dtype (a structured record dtype)", name);
			if (parse_str(&h, descr, sizeof descr) != 0)
				return -1;
		} else if (strcmp(key, "fortran_order") == 0 && !seen_order) {
			seen_order = true;
			if (parse_bool(&h, fortran) != 0)
				return -1;
		} else if (strcmp(key, "shape") == 0 && !seen_shape) {
			seen_shape = true;
			if (parse_shape(&h, &out->ndim, out->shape) != 0)
				return -1;
		} else {
			return set_cause(cause, "%s: malformed .npy header: unexpected or repeated key '%s'", name,
			                 key);
		}
		if (!accept(&h, ',')) {
			if (!accept(&h, '}'))
				return hdr_error(&h, "expected ',' or '}'");
			break;
		}
	}
	skip_ws(&h);
	if (h.p != h.end)
		return hdr_error(&h, "trailing characters after the dict");
	if (!seen_descr || !seen_order || !seen_shape)
		return set_cause(
		    cause, "%s: malformed .npy header: needs the keys 'descr', 'fortran_order' and 'shape'", name);
	return lookup_descr(descr, name, out, cause);
}

/* Decodes the magic and header-length field; *prefix is their total size. */
static int parse_prefix(const unsigned char *b, size_t avail, const char *name, size_t *prefix, size_t *hlen,
                        char **cause)
{
	if (avail < NPY_MAGIC_LEN || memcmp(b, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
		return set_cause(cause, "%s: not a .npy file (bad magic)", name);
	if (avail < 10)
		return set_cause(cause, "%s: truncated .npy header", name);
	if (b[6] < 1 || b[6] > 3 || b[7] != 0)
		return set_cause(cause, "%s: unsupported .npy format version %d.%d", name, b[6], b[7]);
	if (b[6] == 1) {
		*prefix = 10;
		*hlen = (size_t)b[8] | (size_t)b[9] << 8;
	} else {
		if (avail < 12)
			return set_cause(cause, "%s: truncated .npy header", name);
		*prefix = 12;
		*hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
	}
	if (*hlen > NPY_MAX_HEADER)
		return set_cause(cause, "%s: .npy header length %zu is absurd", name, *hlen);
	return 0;
}

/* Checks that the header's shape accounts for exactly the data that follows. */
static int check_size(struct npy_array *a, size_t data_len, const char *name, size_t *bytes, char **cause)
{
	char sh[256];
	format_shape(a->ndim, a->shape, sh, sizeof sh);
	if (shape_numel(a->ndim, a->shape, a->itemsize, &a->numel, bytes) != 0)
		return set_cause(cause, "%s: absurd shape %s (size overflows)", name, sh);
	if (data_len != *bytes)
		return set_cause(cause, "%s: shape %s of dtype '%s' needs %zu data bytes but the file has %zu%s", name,
		                 sh, npy_dtype_descr(a->dtype), *bytes, data_len,
		                 data_len < *bytes ? " (truncated?)" : " (the header's shape is wrong)");
	return 0;
}

/* Rewrites Fortran-ordered data in C order: element (i0..in) sits at
 * sum(ik * fstride[k]) with fstride[0] = 1 in the file. */
static int fortran_to_c(struct npy_array *a, const char *name, char **cause)
{
	size_t bytes = (size_t)a->numel * (size_t)a->itemsize;
	unsigned char *dst = malloc(bytes ? bytes : 1);
	const unsigned char *src = a->data;
	int64_t fstride[NPY_MAX_DIMS], idx[NPY_MAX_DIMS] = {0}, off = 0;
	if (dst == NULL)
		return set_cause(cause, "%s: out of memory for %zu bytes", name, bytes);
	for (int k = 0; k < a->ndim; k++)
		fstride[k] = k == 0 ? 1 : fstride[k - 1] * a->shape[k - 1];
	for (int64_t i = 0; i < a->numel; i++) {
		memcpy(dst + (size_t)i * (size_t)a->itemsize, src + (size_t)off * (size_t)a->itemsize,
		       (size_t)a->itemsize);
		for (int k = a->ndim - 1; k >= 0; k--) {
			off += fstride[k];
			if (++idx[k] < a->shape[k])
				break;
			off -= a->shape[k] * fstride[k];
			idx[k] = 0;
		}
	}
	free(a->data);
	a->data = dst;
	return 0;
}

/* Byte order, bool values and Fortran order, once the data is in memory. */
static int finish_data(struct npy_array *a, bool fortran, const char *name, char **cause)
{
	swap_items(a->data, a->numel, a->itemsize);
	if (a->dtype == NPY_DT_B1) {
		const unsigned char *b = a->data;
		for (int64_t i = 0; i < a->numel; i++)
			if (b[i] > 1)
				return set_cause(cause, "%s: bool array holds byte %d at index %" PRId64, name, b[i],
				                 i);
	}
	if (fortran && a->ndim > 1)
		return fortran_to_c(a, name, cause);
	return 0;
}

static int decode_header(const unsigned char *hdr, size_t hlen, const char *name, struct npy_array *a, bool *fortran,
                         char **cause)
{
	memset(a, 0, sizeof *a);
	return parse_dict((const char *)hdr, hlen, name, a, fortran, cause);
}

int npy_read_mem(const void *buf, size_t len, const char *name, struct npy_array *out, char **cause)
{
	const unsigned char *b = buf;
	size_t prefix, hlen, bytes;
	bool fortran = false;
	struct npy_array a;
	memset(out, 0, sizeof *out);
	if (parse_prefix(b, len, name, &prefix, &hlen, cause) != 0)
		return -1;
	if (len - prefix < hlen)
		return set_cause(cause, "%s: truncated .npy header", name);
	if (decode_header(b + prefix, hlen, name, &a, &fortran, cause) != 0 ||
	    check_size(&a, len - prefix - hlen, name, &bytes, cause) != 0)
		return -1;
	a.data = malloc(bytes ? bytes : 1);
	if (a.data == NULL)
		return set_cause(cause, "%s: out of memory for %zu bytes", name, bytes);
	memcpy(a.data, b + prefix + hlen, bytes);
	if (finish_data(&a, fortran, name, cause) != 0) {
		npy_free(&a);
		return -1;
	}
	*out = a;
	return 0;
}

/* Reads straight into the array's buffer, so a big file costs its size once. */
int npy_read(const char *path, struct npy_array *out, char **cause)
{
	unsigned char pre[12];
	unsigned char *hdr = NULL;
	size_t prefix, hlen, bytes, got;
	bool fortran = false;
	struct npy_array a = {0};
	struct stat st;
	memset(out, 0, sizeof *out);
	FILE *f = fopen_regular(path, cause);
	if (f == NULL)
		return -1;
	if (fstat(fileno(f), &st) != 0) { /* regular: fopen_regular checked it */
		set_cause(cause, "%s: not a regular file", path);
		goto fail;
	}
	got = fread(pre, 1, sizeof pre, f);
	if (parse_prefix(pre, got, path, &prefix, &hlen, cause) != 0)
		goto fail;
	if ((uint64_t)st.st_size < prefix + hlen) {
		set_cause(cause, "%s: truncated .npy header", path);
		goto fail;
	}
	hdr = xmalloc(hlen + 1);
	if (fseek(f, (long)prefix, SEEK_SET) != 0 || fread(hdr, 1, hlen, f) != hlen) {
		set_cause(cause, "%s: read failed", path);
		goto fail;
	}
	if (decode_header(hdr, hlen, path, &a, &fortran, cause) != 0 ||
	    check_size(&a, (size_t)st.st_size - prefix - hlen, path, &bytes, cause) != 0)
		goto fail;
	a.data = malloc(bytes ? bytes : 1);
	if (a.data == NULL) {
		set_cause(cause, "%s: out of memory for %zu bytes", path, bytes);
		goto fail;
	}
	if (fread(a.data, 1, bytes, f) != bytes) {
		set_cause(cause, "%s: read failed (file changed while reading?)", path);
		goto fail;
	}
	if (finish_data(&a, fortran, path, cause) != 0)
		goto fail;
	free(hdr);
	fclose(f);
	*out = a;
	return 0;
fail:
	free(hdr);
	npy_free(&a);
	fclose(f);
	return -1;
}

/* ---- writing ---- */

/* The header (magic, version, length, dict text, padding) into b, which
 * holds NPY_HEADER_MAX bytes; its length, and the data's byte count. */
static int encode_header(const struct npy_array *a, unsigned char *b, size_t *hdr_len, size_t *data_bytes,
			 char **cause)
{
	char sh[256], text[512];
	int64_t numel;
	size_t bytes;
	if (a->ndim < 0 || a->ndim > NPY_MAX_DIMS || a->itemsize != npy_dtype_size(a->dtype) ||
	    shape_numel(a->ndim, a->shape, a->itemsize, &numel, &bytes) != 0 || numel != a->numel ||
	    (bytes > 0 && a->data == NULL))
		return set_cause(cause, "npy: inconsistent array (dtype, shape and numel disagree)");
	format_shape(a->ndim, a->shape, sh, sizeof sh);
	int n = snprintf(text, sizeof text, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
	                 npy_dtype_descr(a->dtype), sh);
	if (a->ndim > 0) {
		char first[24];
		int pad = NPY_GROWTH_DIGITS - snprintf(first, sizeof first, "%" PRId64, a->shape[0]);
		n += snprintf(text + n, sizeof text - (size_t)n, "%*s", pad, "");
	}
	/* the header text plus its final newline, padded to the alignment */
	size_t hlen = (size_t)n + 1, prefix = 10;
	size_t pad = NPY_ALIGN - (prefix + hlen) % NPY_ALIGN;
	if (hlen + pad > 0xffff) {
		prefix = 12;
		pad = NPY_ALIGN - (prefix + hlen) % NPY_ALIGN;
	}
	size_t field = hlen + pad;
	memcpy(b, NPY_MAGIC, NPY_MAGIC_LEN);
	b[6] = prefix == 10 ? 1 : 2;
	b[7] = 0;
	for (size_t i = 0; i < prefix - 8; i++)
		b[8 + i] = (unsigned char)(field >> (8 * i));
	memcpy(b + prefix, text, (size_t)n);
	memset(b + prefix + n, ' ', pad);
	b[prefix + hlen + pad - 1] = '\n';
	*hdr_len = prefix + hlen + pad;
	*data_bytes = bytes;
	return 0;
}

int npy_header(const struct npy_array *a, unsigned char hdr[NPY_HEADER_MAX], size_t *len, char **cause)
{
	size_t bytes;
	if (!host_is_little_endian() && a->itemsize > 1)
		return set_cause(cause, "npy: multi-byte arrays are written in place only on a little-endian host");
	return encode_header(a, hdr, len, &bytes, cause);
}

int npy_encode(const struct npy_array *a, void **buf, size_t *len, char **cause)
{
	unsigned char h[NPY_HEADER_MAX];
	size_t hl, bytes, total;
	if (encode_header(a, h, &hl, &bytes, cause) != 0)
		return -1;
	if (size_add(hl, bytes, &total) != 0)
		return set_cause(cause, "npy: array too large");
	unsigned char *b = malloc(total);
	if (b == NULL)
		return set_cause(cause, "npy: out of memory for %zu bytes", total);
	memcpy(b, h, hl);
	if (bytes > 0)
		memcpy(b + hl, a->data, bytes);
	swap_items(b + hl, a->numel, a->itemsize);
	*buf = b;
	*len = total;
	return 0;
}

int npy_write(const char *path, const struct npy_array *a, char **cause)
{
	void *buf;
	size_t len;
	if (npy_encode(a, &buf, &len, cause) != 0)
		return prefix_cause(cause, "%s", path);
	int rc = write_file_atomic(path, buf, len, cause);
	free(buf);
	return rc;
}

/* ---- conversion ---- */

int npy_to_int32(const struct npy_array *a, const char *name, int32_t **out, char **cause)
{
	size_t n = (size_t)a->numel;
	int32_t *v;
	if (a->dtype == NPY_DT_F4 || a->dtype == NPY_DT_F8)
		return set_cause(cause, "%s: dtype '%s' is not an integer type", name, npy_dtype_descr(a->dtype));
	v = malloc(n ? n * sizeof *v : 1);
	if (v == NULL)
		return set_cause(cause, "%s: out of memory for %zu values", name, n);
	for (size_t i = 0; i < n; i++) {
		switch (a->dtype) {
		case NPY_DT_B1:
		case NPY_DT_U1:
			v[i] = ((const uint8_t *)a->data)[i];
			break;
		case NPY_DT_I1:
			v[i] = ((const int8_t *)a->data)[i];
			break;
		case NPY_DT_I2:
			v[i] = ((const int16_t *)a->data)[i];
			break;
		case NPY_DT_U2:
			v[i] = ((const uint16_t *)a->data)[i];
			break;
		case NPY_DT_I4:
			v[i] = ((const int32_t *)a->data)[i];
			break;
		default: { /* NPY_DT_I8 */
			int64_t x = ((const int64_t *)a->data)[i];
			if (x < INT32_MIN || x > INT32_MAX) {
				free(v);
				return set_cause(cause, "%s: value %" PRId64 " at index %zu does not fit in int32",
				                 name, x, i);
			}
			v[i] = (int32_t)x;
		}
		}
	}
	*out = v;
	return 0;
}

int npy_read_int32(const char *path, struct npy_array *out, char **cause)
{
	int32_t *v;
	if (npy_read(path, out, cause) != 0)
		return -1;
	if (out->dtype == NPY_DT_I4)
		return 0;
	if (npy_to_int32(out, path, &v, cause) != 0) {
		npy_free(out);
		return -1;
	}
	free(out->data);
	out->data = v;
	out->dtype = NPY_DT_I4;
	out->itemsize = 4;
	return 0;
}
