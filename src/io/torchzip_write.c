/* torchzip_write.c - tz_save: a dict of tensors as the zip archive that
 * torch.load (1.13 and 2.x, also with weights_only=True) reads, around the
 * pickle of pickle_write.c. */
#include "io/torchzip_write.h"
#include "io/pickle_write.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#define ALIGN 64        /* torch aligns storages so they can be mmapped */

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int check_tensors(const struct tz_archive *a, char **cause)
{
	for (size_t i = 0; i < a->count; i++) {
		const struct tz_tensor *t = &a->tensors[i];
		const char *name = t->name ? t->name : "?";
		size_t n = 1, padded = 1, bytes;
		int bad = t->ndim < 0 || t->ndim > TZ_MAX_DIMS || t->numel < 0;
		for (int d = 0; !bad && d < t->ndim; d++) {
			bad |= t->shape[d] < 0;
			bad |= size_mul(n, (size_t)t->shape[d], &n);
			/* the strides written use max(size, 1) and must fit too */
			bad |= size_mul(padded, t->shape[d] > 1 ? (size_t)t->shape[d] : 1, &padded);
		}
		if (bad || padded > INT64_MAX || (int64_t)n != t->numel)
			return set_cause(cause, "tensor '%s': shape does not match numel %lld",
			                 name, (long long)t->numel);
		if (size_mul(n, tz_dtype_size(t->dtype), &bytes) || (bytes > 0 && t->data == NULL))
			return set_cause(cause, "tensor '%s' has no data", name);
	}
	/* a repeated key would silently lose a tensor in torch.load */
	const char **names = xmalloc((a->count ? a->count : 1) * sizeof *names);
	for (size_t i = 0; i < a->count; i++)
		names[i] = a->tensors[i].name ? a->tensors[i].name : "";
	qsort(names, a->count, sizeof *names, cmp_name);
	for (size_t i = 1; i < a->count; i++)
		if (strcmp(names[i - 1], names[i]) == 0) {
			set_cause(cause, "tensor name '%s' appears twice", names[i]);
			free(names);
			return -1;
		}
	free(names);
	return 0;
}

/* Adds a stored entry.  pos tracks where libzip will put the local header
 * (it writes entries in order: 30-byte header, name, local extra fields,
 * data), so that a padding extra field can align the data; if that guess were
 * ever off, the file would only be unaligned, which torch.load accepts. */
static int add_entry(zip_t *za, const char *name, const void *data, size_t len, int align,
                     zip_uint64_t *pos)
{
	zip_source_t *s = zip_source_buffer(za, data, len, 0);
	if (s == NULL)
		return -1;
	zip_int64_t idx = zip_file_add(za, name, s, ZIP_FL_ENC_UTF_8);
	if (idx < 0) {
		zip_source_free(s);
		return -1;
	}
	/* a fixed time (1980-01-01 00:00, the DOS epoch) keeps the output
	 * byte-for-byte reproducible */
	if (zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0) != 0
	    || zip_file_set_dostime(za, (zip_uint64_t)idx, 0, 0x21, 0) != 0)
		return -1;
	zip_uint64_t head = *pos + 30 + strlen(name);
	if (align) {
		static const zip_uint8_t zeros[ALIGN];
		zip_uint16_t pad = (zip_uint16_t)((ALIGN - (head + 4) % ALIGN) % ALIGN);
		/* 0x4246 is "FB", the id torch itself uses for this padding */
		if (zip_file_extra_field_set(za, (zip_uint64_t)idx, 0x4246, ZIP_EXTRA_FIELD_NEW,
		                             zeros, pad, ZIP_FL_LOCAL) != 0)
			return -1;
		head += 4 + pad;
	}
	*pos = head + len;
	return 0;
}

/* Builds the zip in memory, then hands it to write_file_atomic, which
 * fsyncs and renames (libzip's own temp-file rename does not fsync). */
int tz_save(const char *path, const struct tz_archive *a, char **cause)
{
	struct pk_buf pkl = { 0 };
	zip_error_t ze;
	zip_source_t *src = NULL;
	zip_t *za = NULL;
	uint8_t *bytes = NULL;
	zip_uint64_t pos = 0;
	int rc = -1;

	if (check_tensors(a, cause) || pk_write_state_dict(a, &pkl, cause)) {
		free(pkl.data);
		return prefix_cause(cause, "%s", path);
	}
	zip_error_init(&ze);
	if ((src = zip_source_buffer_create(NULL, 0, 0, &ze)) == NULL
	    || (za = zip_open_from_source(src, ZIP_TRUNCATE, &ze)) == NULL) {
		set_cause(cause, "%s: cannot build the zip: %s", path, zip_error_strerror(&ze));
		goto out;
	}
	zip_source_keep(src);   /* the archive is read back from it after zip_close */
	int bad = add_entry(za, "archive/data.pkl", pkl.data, pkl.len, 0, &pos);
	bad = bad || add_entry(za, "archive/byteorder", "little", 6, 0, &pos);
	for (size_t i = 0; !bad && i < a->count; i++) {
		char name[48];
		const struct tz_tensor *t = &a->tensors[i];
		snprintf(name, sizeof name, "archive/data/%zu", i);
		bad = add_entry(za, name, t->data, (size_t)t->numel * tz_dtype_size(t->dtype), 1, &pos);
	}
	bad = bad || add_entry(za, "archive/version", "3\n", 2, 0, &pos);
	if (bad || zip_close(za) != 0) {
		set_cause(cause, "%s: cannot build the zip: %s", path, zip_strerror(za));
		zip_discard(za);
		goto out;
	}
	zip_stat_t st;
	zip_stat_init(&st);
	if (zip_source_stat(src, &st) != 0 || zip_source_open(src) != 0) {
		set_cause(cause, "%s: cannot read the built zip: %s", path,
		          zip_error_strerror(zip_source_error(src)));
		goto out;
	}
	bytes = malloc(st.size ? (size_t)st.size : 1);
	if (bytes == NULL || zip_source_read(src, bytes, st.size) != (zip_int64_t)st.size) {
		set_cause(cause, "%s: cannot read the built zip (%llu bytes)", path,
		          (unsigned long long)st.size);
		zip_source_close(src);
		goto out;
	}
	zip_source_close(src);
	rc = write_file_atomic(path, bytes, (size_t)st.size, cause);
out:
	if (src != NULL)
		zip_source_free(src);
	zip_error_fini(&ze);
	free(bytes);
	free(pkl.data);
	return rc;
}
