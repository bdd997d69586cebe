/* torchzip_write.c - tz_save: a dict of tensors as the zip archive that
 * torch.load (1.13 and 2.x, also with weights_only=True) reads, around the
 * pickle of pickle_write.c. */
#include "io/torchzip_write.h"
#include "io/pickle_write.h"
#include "io/zip_write.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int tz_save(const char *path, const struct tz_archive *a, char **cause)
{
	return tz_save_opts(path, a, NULL, cause);
}

/* Written under a temporary name beside path, fsync'ed and renamed into
 * place (atomic_commit): a kill or a full disk leaves the old file. */
int tz_save_opts(const char *path, const struct tz_archive *a, const struct tz_save_opts *o, char **cause)
{
	struct pk_buf pkl = { 0 };
	struct tz_archive view = *a;
	struct tz_tensor *tv = NULL;
	/* the pickle and the checks see each tensor as written (a float32
	 * source written as bfloat16 is a bfloat16 tensor of the same shape) */
	if (o != NULL && o->from_f32 != NULL) {
		tv = xcalloc(a->count ? a->count : 1, sizeof *tv);
		for (size_t i = 0; i < a->count; i++) {
			tv[i] = a->tensors[i];
			if (o->from_f32[i] && tv[i].dtype != TZ_BF16 && tv[i].dtype != TZ_F16) {
				free(tv);
				return set_cause(cause, "%s: tensor '%s': only bfloat16 and float16 are written from float32",
				                 path, a->tensors[i].name ? a->tensors[i].name : "?");
			}
		}
		view.tensors = tv;
	}
	if (check_tensors(&view, cause) || pk_write_state_dict(&view, &pkl, cause)) {
		free(pkl.data);
		free(tv);
		return prefix_cause(cause, "%s", path);
	}
	struct zip_writer w;
	int rc = zip_writer_open(&w, path, o != NULL && o->force_zip64, cause);
	if (rc == 0) {
		struct zip_src pk = { .data = pkl.data, .bytes = pkl.len }, bo = { .data = "little", .bytes = 6 },
			       ver = { .data = "3\n", .bytes = 2 };
		rc = zip_writer_add(&w, "archive/data.pkl", &pk, false);
		rc = rc || zip_writer_add(&w, "archive/byteorder", &bo, false);
		for (size_t i = 0; rc == 0 && i < a->count; i++) {
			const struct tz_tensor *t = &a->tensors[i];
			char name[48];
			snprintf(name, sizeof name, "archive/data/%zu", i);
			struct zip_src d = { .data = t->data, .bytes = (size_t)t->numel * tz_dtype_size(t->dtype) };
			if (tv != NULL && o->from_f32[i])
				d.conv = t->dtype == TZ_BF16 ? ZIP_F32_TO_BF16 : ZIP_F32_TO_F16;
			rc = zip_writer_add(&w, name, &d, true);
		}
		rc = rc || zip_writer_add(&w, "archive/version", &ver, false);
		rc = rc || zip_writer_commit(&w);
	}
	zip_writer_abort(&w);
	free(pkl.data);
	free(tv);
	return rc ? -1 : 0;
}
