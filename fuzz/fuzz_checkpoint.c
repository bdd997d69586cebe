/* fuzz_checkpoint.c - torch.save checkpoints: the zip layer, the restricted
 * pickle VM and the tensor views (torchzip.c, pickle_read.c), then the
 * model's checks of names, shapes and values (checkpoint.c).
 *
 * An input that starts with "PK" is a whole checkpoint.  Any other input is
 * taken as data.pkl: it is parsed once to learn the storages it names, and
 * packed with storages of exactly the declared sizes into a stored zip with
 * correct CRCs, so that mutations reach the pickle and the views instead of
 * stopping at the zip's checksum. */
#include "fuzz.h"
#include "model/hrm.h"
#include "io/checkpoint.h"
#include "io/pickle_read.h"
#include "io/torchzip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define MAX_STORAGE_BYTES ((size_t)1 << 20)

struct zbuf {
	uint8_t *p;
	size_t n, cap;
};

static void zput(struct zbuf *b, const void *src, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 256;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			abort();
	}
	memcpy(b->p + b->n, src, n);
	b->n += n;
}

static void zle(struct zbuf *b, uint32_t v, int bytes)
{
	uint8_t x[4];
	for (int i = 0; i < bytes; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	zput(b, x, (size_t)bytes);
}

struct entry {
	char name[96];
	const uint8_t *data;
	size_t len;
	uint32_t crc, offset;
};

/* A stored (uncompressed) zip of the entries, as a minimal writer makes it. */
static void build_zip(struct entry *e, size_t n, struct zbuf *out)
{
	for (size_t i = 0; i < n; i++) {
		e[i].crc = (uint32_t)crc32(0L, e[i].data, (uInt)e[i].len);
		e[i].offset = (uint32_t)out->n;
		size_t nl = strlen(e[i].name);
		zle(out, 0x04034b50u, 4);
		zle(out, 20, 2);
		zle(out, 0, 2);
		zle(out, 0, 2);
		zle(out, 0, 2);
		zle(out, 0x21, 2);
		zle(out, e[i].crc, 4);
		zle(out, (uint32_t)e[i].len, 4);
		zle(out, (uint32_t)e[i].len, 4);
		zle(out, (uint32_t)nl, 2);
		zle(out, 0, 2);
		zput(out, e[i].name, nl);
		zput(out, e[i].data, e[i].len);
	}
	uint32_t cd = (uint32_t)out->n;
	for (size_t i = 0; i < n; i++) {
		size_t nl = strlen(e[i].name);
		zle(out, 0x02014b50u, 4);
		zle(out, 20, 2);
		zle(out, 20, 2);
		zle(out, 0, 2);
		zle(out, 0, 2);
		zle(out, 0, 2);
		zle(out, 0x21, 2);
		zle(out, e[i].crc, 4);
		zle(out, (uint32_t)e[i].len, 4);
		zle(out, (uint32_t)e[i].len, 4);
		zle(out, (uint32_t)nl, 2);
		zle(out, 0, 2);
		zle(out, 0, 2);
		zle(out, 0, 2);
		zle(out, 0, 2);
		zle(out, 0, 4);
		zle(out, e[i].offset, 4);
		zput(out, e[i].name, nl);
	}
	uint32_t cd_len = (uint32_t)out->n - cd;
	zle(out, 0x06054b50u, 4);
	zle(out, 0, 2);
	zle(out, 0, 2);
	zle(out, (uint32_t)n, 2);
	zle(out, (uint32_t)n, 2);
	zle(out, cd_len, 4);
	zle(out, cd, 4);
	zle(out, 0, 2);
}

/* The tiny architectures of the test fixtures: bad/ (d 4), golden/rope_pe
 * (d 16) and golden/learned_nope (d 12, learned positions, no puzzle
 * embedding). */
static void fixture_config(int which, struct hrm_config *c)
{
	hrm_config_default(c);
	c->H_cycles = c->L_cycles = 1;
	c->halt_max_steps = 2;
	if (which == 0) {
		c->hidden_size = 4, c->num_heads = 2, c->H_layers = 1, c->L_layers = 1;
		c->expansion = 2, c->puzzle_emb_ndim = 4;
	} else if (which == 1) {
		c->hidden_size = 16, c->num_heads = 4, c->H_layers = 2, c->L_layers = 1;
		c->expansion = 4, c->puzzle_emb_ndim = 16;
	} else {
		c->hidden_size = 12, c->num_heads = 3, c->H_layers = 1, c->L_layers = 2;
		c->expansion = 2, c->puzzle_emb_ndim = 0, c->pos_encodings = HRM_POS_LEARNED;
	}
	if (hrm_config_derive(c, NULL) != 0)
		abort();
}

static volatile uint8_t sink; /* keeps the reads of every byte */

/* The loader that reads against the architecture (what hrm_model_load
 * does): a one-line message on failure, a model on success. */
static void load_expected(const uint8_t *data, size_t size)
{
	for (int which = 0; which < 3; which++) {
		struct hrm_config c;
		struct hrm_model m;
		char *cause = NULL;
		fixture_config(which, &c);
		if (hrm_model_load_mem(&m, &c, data, size, "checkpoint", "all_config.yaml", &cause) == 0) {
			hrm_model_free(&m);
		} else if (cause == NULL || strchr(cause, '\n') != NULL) {
			fprintf(stderr, "failure without a one-line message: %s\n", cause ? cause : "(none)");
			abort();
		}
		free(cause);
	}
}

/* The same bytes as a file: tz_load maps it and reads stored entries in
 * place through its own central-directory walk (cd_find, map_record), a
 * path the in-memory loader never takes. */
static void load_mapped(const uint8_t *data, size_t size)
{
	const char *dir = getenv("TMPDIR");
	char path[512];
	snprintf(path, sizeof path, "%s/hrmfuzz.XXXXXX", dir != NULL && dir[0] != '\0' ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return; /* no temporary file: nothing to test, not a finding */
	size_t done = 0;
	while (done < size) {
		ssize_t w = write(fd, data + done, size - done);
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	close(fd);
	if (done == size) {
		struct tz_archive a;
		char *cause = NULL;
		if (tz_load(path, &a, &cause) != 0) {
			if (cause == NULL || strchr(cause, '\n') != NULL) {
				fprintf(stderr, "mapped: failure without a one-line message: %s\n", cause ? cause : "(none)");
				abort();
			}
		} else {
			for (size_t i = 0; i < a.count; i++) {
				const struct tz_tensor *t = &a.tensors[i];
				if (t->data == NULL && t->numel > 0)
					abort();
				/* a mapped view that reached past its entry shows here */
				for (size_t k = 0; k < (size_t)t->numel * tz_dtype_size(t->dtype); k++)
					sink ^= ((const uint8_t *)t->data)[k];
			}
			tz_free(&a);
		}
		free(cause);
	}
	unlink(path);
}

static void load_and_check(const uint8_t *data, size_t size)
{
	struct tz_archive a;
	char *cause = NULL;
	load_expected(data, size);
	if (tz_load_mem(data, size, "checkpoint", &a, &cause) != 0) {
		if (cause == NULL || strchr(cause, '\n') != NULL) {
			fprintf(stderr, "failure without a one-line message: %s\n", cause ? cause : "(none)");
			abort(); /* every failure has a one-line message */
		}
		free(cause);
		return;
	}
	for (size_t i = 0; i < a.count; i++) {
		const struct tz_tensor *t = &a.tensors[i];
		int64_t n = 1;
		for (int d = 0; d < t->ndim; d++)
			n *= t->shape[d];
		if (n != t->numel || t->data == NULL)
			abort();
		/* touch every byte: a view that reached past its storage shows here */
		for (size_t k = 0; k < (size_t)t->numel * tz_dtype_size(t->dtype); k++)
			sink ^= ((const uint8_t *)t->data)[k];
		if (t->numel <= 4096) {
			float f[4096];
			tz_to_f32(t, f);
		}
	}
	for (int which = 0; which < 3; which++) {
		struct hrm_config c;
		struct hrm_model m;
		fixture_config(which, &c);
		if (hrm_model_from_archive(&m, &c, &a, "checkpoint", "all_config.yaml", &cause) == 0)
			hrm_model_free(&m);
	}
	free(cause);
	tz_free(&a);
}

static void wrap_pickle(const uint8_t *data, size_t size)
{
	struct pk_pool pool = {0};
	struct pk_obj *top;
	struct pk_named *named = NULL;
	size_t n = 0;
	char *cause = NULL;
	if (pk_parse(data, size, &pool, &top, &cause) != 0 || pk_collect_tensors(top, &named, &n, &cause) != 0) {
		free(cause);
		pk_pool_free(&pool);
		return;
	}
	struct entry *e = calloc(n + 2, sizeof *e);
	uint8_t *fill = NULL;
	size_t ne = 0, total = 0;
	if (e == NULL)
		abort();
	snprintf(e[ne].name, sizeof e[ne].name, "archive/data.pkl");
	e[ne].data = data;
	e[ne++].len = size;
	/* one entry per distinct storage key, sized as declared */
	for (size_t i = 0; i < n; i++) {
		const struct pk_obj *s = named[i].tensor->u.tensor.storage;
		char name[96];
		snprintf(name, sizeof name, "archive/data/%s", s->u.storage.key);
		bool dup = false;
		for (size_t k = 0; k < ne && !dup; k++)
			dup = strcmp(e[k].name, name) == 0;
		size_t bytes = (size_t)s->u.storage.numel * tz_dtype_size(s->u.storage.dtype);
		if (dup || s->u.storage.numel > (int64_t)MAX_STORAGE_BYTES || total + bytes > MAX_STORAGE_BYTES)
			continue;
		memcpy(e[ne].name, name, sizeof name);
		e[ne].len = bytes;
		total += bytes;
		ne++;
	}
	fill = malloc(total ? total : 1);
	if (fill == NULL)
		abort();
	for (size_t k = 0; k < total; k++)
		fill[k] = (uint8_t)(k * 37u + (k >> 8));
	size_t off = 0;
	for (size_t k = 1; k < ne; k++) {
		e[k].data = fill + off;
		off += e[k].len;
	}
	snprintf(e[ne].name, sizeof e[ne].name, "archive/version");
	e[ne].data = (const uint8_t *)"3\n";
	e[ne++].len = 2;
	pk_named_free(named, n);
	pk_pool_free(&pool);
	struct zbuf zip = {0};
	build_zip(e, ne, &zip);
	load_and_check(zip.p, zip.n);
	free(zip.p);
	free(fill);
	free(e);
}

FUZZ_TARGET(checkpoint)
{
	if (size >= 2 && data[0] == 'P' && data[1] == 'K') {
		load_and_check(data, size);
		load_mapped(data, size);
	}
	else
		wrap_pickle(data, size);
	return 0;
}
