/* npz_write.c - an .npz: one stored zip entry "NAME.npy" per array, its npy
 * header followed by the array's memory (zip_write.c streams it). */
#include "io/npz_write.h"
#include "io/zip_write.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_name(const char *path, const char *name, char **cause)
{
	size_t n = strlen(name);
	if (n == 0 || n > 40)
		return set_cause(cause, "%s: array name '%s' is empty or too long", path, name);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return set_cause(cause, "%s: array name '%s' has a character other than letters, digits, '_'",
					 path, name);
	}
	return 0;
}

size_t npz_bytes(const struct npz_item *items, size_t n)
{
	size_t total = 22; /* the end record */
	for (size_t i = 0; i < n; i++) {
		const struct npy_array *a = items[i].a;
		size_t bytes = (size_t)a->numel * (size_t)a->itemsize;
		/* local header, central record, the name twice, the npy header */
		total += 30 + 46 + 2 * (strlen(items[i].name) + 4) + 128 + bytes;
	}
	return total;
}

int npz_write(const char *path, const struct npz_item *items, size_t n, char **cause)
{
	for (size_t i = 0; i < n; i++) {
		if (check_name(path, items[i].name, cause) != 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(items[i].name, items[j].name) == 0)
				return set_cause(cause, "%s: array name '%s' appears twice", path, items[i].name);
	}
	unsigned char(*hdr)[NPY_HEADER_MAX] = xmalloc((n ? n : 1) * sizeof *hdr);
	size_t *hlen = xmalloc((n ? n : 1) * sizeof *hlen);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (npy_header(items[i].a, hdr[i], &hlen[i], cause) != 0)
			rc = prefix_cause(cause, "%s: array '%s'", path, items[i].name);
	struct zip_writer w;
	memset(&w, 0, sizeof w);
	if (rc == 0)
		rc = zip_writer_open(&w, path, false, cause);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct npy_array *a = items[i].a;
		char name[48];
		snprintf(name, sizeof name, "%s.npy", items[i].name);
		struct zip_src s = { .head = hdr[i], .head_len = hlen[i], .data = a->data,
				     .bytes = (size_t)a->numel * (size_t)a->itemsize };
		rc = zip_writer_add(&w, name, &s, false);
	}
	if (rc == 0)
		rc = zip_writer_commit(&w);
	zip_writer_abort(&w);
	free(hdr);
	free(hlen);
	return rc ? -1 : 0;
}
