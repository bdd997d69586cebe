/* zip_write.c - the zip writer behind tz_save and npz_write. */
#include "io/zip_write.h"
#include "core/half.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define ALIGN 64        /* torch aligns storages so they can be mmapped */

/* ---- the zip, streamed ----
 * Each entry is stored (not compressed) and written straight from the
 * caller's memory: a local header with the CRC left 0, the bytes (their CRC
 * computed on the way), then the CRC put into the header with pwrite.  The
 * central directory comes last.  Sizes, offsets or counts that do not fit
 * the classic fields (or force_zip64) get ZIP64 extra fields and the ZIP64
 * end records, as torch.save writes them for files over 4 GB.  Every entry's
 * data starts on a 64-byte boundary (the "FB" padding field torch uses). */

#define U32_MAX_FIELD 0xFFFFFFFFu

struct zip_entry_rec {
	char name[48];
	uint64_t off, size;
	uint32_t crc;
	bool zip64;                 /* the local header carries a ZIP64 field */
};


static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

/* ---- the CRC of a large entry, on a thread of its own ----
 * zlib's crc32 runs at about 1.4 GB/s here, so a 2 GB puzzle table would
 * spend 1.5 s on it after the disk's own time.  An entry written as it is
 * from memory does not need its CRC until the header is patched, so a
 * second thread computes it over the same bytes while this one writes them:
 * the same value, read by two cores at once. */
#define CRC_THREAD_MIN ((size_t)32 << 20)

/* ---- runs of zeros become holes ----
 * An entry's data goes out in chunks of 1 MiB; a chunk that is all zero
 * bytes is not written but skipped (fseeko past it), so the file gets a
 * hole there that reads back as zeros: an ARC-sized checkpoint made by init
 * (a 2.1 GB puzzle-embedding table of zeros) costs the disk nothing for the
 * table, and the Adam moments of rows never trained cost nothing either.
 * The file's bytes are the same; only its allocated blocks differ.  The CRC
 * of a zero chunk is the CRC of the run so far combined with that of 1 MiB
 * of zeros (crc32_combine, logarithmic in the length), computed once. */
#define ZERO_CHUNK ((size_t)1 << 20)

static uLong zero_chunk_crc;
static pthread_once_t zero_chunk_once = PTHREAD_ONCE_INIT;

static void zero_chunk_crc_init(void)
{
	uint8_t *z = xcalloc(ZERO_CHUNK, 1);
	zero_chunk_crc = crc32(crc32(0L, Z_NULL, 0), z, (uInt)ZERO_CHUNK);
	free(z);
}

/* crc extended over the chunk p[0..k): combined for a whole chunk of zeros */
static uLong crc_chunk(uLong crc, const uint8_t *p, size_t k, bool zero)
{
	if (zero && k == ZERO_CHUNK) {
		pthread_once(&zero_chunk_once, zero_chunk_crc_init);
		return crc32_combine(crc, zero_chunk_crc, (z_off_t)k);
	}
	return crc32(crc, p, (uInt)k);
}

struct crc_job {
	const uint8_t *p;
	size_t len;
	uLong crc;
};

static void *crc_job_run(void *arg)
{
	struct crc_job *j = arg;
	for (size_t off = 0; off < j->len;) {
		size_t k = j->len - off < ZERO_CHUNK ? j->len - off : ZERO_CHUNK;
		j->crc = crc_chunk(j->crc, j->p + off, k, mem_is_zero(j->p + off, k));
		off += k;
	}
	return NULL;
}

static int zw_write(struct zip_writer *w, const void *p, size_t len)
{
	if (len > 0 && fwrite(p, 1, len, w->af.f) != len)
		return stream_check(w->af.f, w->path, w->cause) ? -1
		       : set_cause(w->cause, "%s: write failed", w->path);
	w->pos += len;
	return 0;
}

/* len zero bytes, as a hole: the next write (there is always one: the
 * central directory) extends the file past it */
static int zw_skip(struct zip_writer *w, size_t len)
{
	if (fseeko(w->af.f, (off_t)len, SEEK_CUR) != 0)
		return set_cause(w->cause, "%s: seek failed: %s", w->path, strerror(errno));
	w->pos += len;
	return 0;
}

/* data as is, a chunk at a time, zero chunks skipped; *crc (when not NULL)
 * extended over it on the way, so that the write copies what the CRC has
 * just brought into the cache */
static int zw_write_data(struct zip_writer *w, const uint8_t *p, size_t len, uLong *crc)
{
	for (size_t off = 0; off < len;) {
		size_t k = len - off < ZERO_CHUNK ? len - off : ZERO_CHUNK;
		bool zero = mem_is_zero(p + off, k);
		if (crc != NULL)
			*crc = crc_chunk(*crc, p + off, k, zero);
		if (zero && k == ZERO_CHUNK ? zw_skip(w, k) : zw_write(w, p + off, k))
			return -1;
		off += k;
	}
	return 0;
}


int zip_writer_add(struct zip_writer *w, const char *name, const struct zip_src *src, bool align)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 32;
		w->e = xrealloc(w->e, w->cap * sizeof *w->e);
	}
	struct zip_entry_rec *e = &w->e[w->n++];
	memset(e, 0, sizeof *e);
	snprintf(e->name, sizeof e->name, "%s", name);
	e->off = w->pos;
	e->size = src->head_len + src->bytes;
	if (e->size < src->bytes)
		return set_cause(w->cause, "%s: entry %s too large", w->path, name);
	e->zip64 = w->force64 || e->size >= U32_MAX_FIELD;
	size_t nlen = strlen(e->name), xlen = e->zip64 ? 20 : 0;
	uint8_t h[30 + 48 + 20 + 4 + ALIGN];
	memset(h, 0, sizeof h);
	if (align) {
		size_t pad = (ALIGN - (e->off + 30 + nlen + xlen + 4) % ALIGN) % ALIGN;
		uint8_t *f = h + 30 + nlen + xlen;
		put16(f, 0x4246);   /* "FB", the id torch itself uses for this padding */
		put16(f + 2, (uint16_t)pad);
		xlen += 4 + pad;
	}
	put32(h, 0x04034b50);
	put16(h + 4, e->zip64 ? 45 : 20);
	/* flags 0, stored, time 00:00 and date 1980-01-01 (reproducible) */
	put16(h + 12, 0x21);
	put32(h + 18, e->zip64 ? U32_MAX_FIELD : (uint32_t)e->size);
	put32(h + 22, e->zip64 ? U32_MAX_FIELD : (uint32_t)e->size);
	put16(h + 26, (uint16_t)nlen);
	put16(h + 28, (uint16_t)xlen);
	memcpy(h + 30, e->name, nlen);
	if (e->zip64) {
		uint8_t *f = h + 30 + nlen;
		put16(f, 0x0001);
		put16(f + 2, 16);
		put64(f + 4, e->size);
		put64(f + 12, e->size);
	}
	if (zw_write(w, h, 30 + nlen + xlen))
		return -1;
	uLong crc = crc32(0L, Z_NULL, 0);
	if (src->head_len > 0) {
		crc = crc32(crc, src->head, (uInt)src->head_len);
		if (zw_write(w, src->head, src->head_len))
			return -1;
	}
	struct crc_job job = {.p = src->data, .len = src->bytes, .crc = crc};
	pthread_t crc_thread;
	bool threaded = src->conv == ZIP_AS_IS && src->bytes >= CRC_THREAD_MIN &&
	                pthread_create(&crc_thread, NULL, crc_job_run, &job) == 0;
	if (threaded) {
		int rc = zw_write_data(w, src->data, src->bytes, NULL);
		pthread_join(crc_thread, NULL);
		if (rc)
			return -1;
		crc = job.crc;
	} else if (src->conv == ZIP_AS_IS) {
		if (zw_write_data(w, src->data, src->bytes, &crc))
			return -1;
	} else {
		uint16_t buf[8192];
		const float *f = src->data;
		size_t count = src->bytes / 2;
		for (size_t i = 0; i < count;) {
			size_t k = count - i < 8192 ? count - i : 8192;
			for (size_t j = 0; j < k; j++)
				buf[j] = src->conv == ZIP_F32_TO_BF16 ? f32_to_bf16(f[i + j]) : f32_to_f16(f[i + j]);
			crc = crc32(crc, (const Bytef *)buf, (uInt)(k * 2));
			if (zw_write(w, buf, k * 2))
				return -1;
			i += k;
		}
	}
	e->crc = (uint32_t)crc;
	uint8_t c[4];
	put32(c, e->crc);
	if (fflush(w->af.f) != 0 || pwrite(fileno(w->af.f), c, 4, (off_t)e->off + 14) != 4)
		return set_cause(w->cause, "%s: write failed: %s", w->path, strerror(errno ? errno : EIO));
	return 0;
}

static int zw_finish(struct zip_writer *w)
{
	uint64_t cd_off = w->pos;
	for (size_t i = 0; i < w->n; i++) {
		const struct zip_entry_rec *e = &w->e[i];
		bool big = w->force64 || e->size >= U32_MAX_FIELD || e->off >= U32_MAX_FIELD;
		size_t nlen = strlen(e->name), xlen = big ? 28 : 0;
		uint8_t h[46 + 48 + 28];
		memset(h, 0, sizeof h);
		put32(h, 0x02014b50);
		put16(h + 4, big ? 45 : 20);   /* made by: MS-DOS, zip version */
		put16(h + 6, big ? 45 : 20);
		put16(h + 14, 0x21);
		put32(h + 16, e->crc);
		put32(h + 20, big ? U32_MAX_FIELD : (uint32_t)e->size);
		put32(h + 24, big ? U32_MAX_FIELD : (uint32_t)e->size);
		put16(h + 28, (uint16_t)nlen);
		put16(h + 30, (uint16_t)xlen);
		put32(h + 42, big ? U32_MAX_FIELD : (uint32_t)e->off);
		memcpy(h + 46, e->name, nlen);
		if (big) {
			uint8_t *f = h + 46 + nlen;
			put16(f, 0x0001);
			put16(f + 2, 24);
			put64(f + 4, e->size);
			put64(f + 12, e->size);
			put64(f + 20, e->off);
		}
		if (zw_write(w, h, 46 + nlen + xlen))
			return -1;
	}
	uint64_t cd_size = w->pos - cd_off, end64 = w->pos;
	bool big = w->force64 || w->n >= 0xFFFF || cd_off >= U32_MAX_FIELD || cd_size >= U32_MAX_FIELD;
	uint8_t t[56 + 20 + 22];
	memset(t, 0, sizeof t);
	size_t tl = 0;
	if (big) {
		put32(t, 0x06064b50);
		put64(t + 4, 44);
		put16(t + 12, 45);
		put16(t + 14, 45);
		put64(t + 24, w->n);
		put64(t + 32, w->n);
		put64(t + 40, cd_size);
		put64(t + 48, cd_off);
		put32(t + 56, 0x07064b50);
		put64(t + 64, end64);
		put32(t + 72, 1);
		tl = 76;
	}
	uint8_t *x = t + tl;
	put32(x, 0x06054b50);
	put16(x + 8, big ? 0xFFFF : (uint16_t)w->n);
	put16(x + 10, big ? 0xFFFF : (uint16_t)w->n);
	put32(x + 12, big ? U32_MAX_FIELD : (uint32_t)cd_size);
	put32(x + 16, big ? U32_MAX_FIELD : (uint32_t)cd_off);
	return zw_write(w, t, tl + 22);
}

int zip_writer_open(struct zip_writer *w, const char *path, bool force64, char **cause)
{
	memset(w, 0, sizeof *w);
	w->path = path;
	w->force64 = force64;
	w->cause = cause;
	return atomic_open(&w->af, path, cause);
}

int zip_writer_commit(struct zip_writer *w)
{
	if (zw_finish(w) != 0)
		return -1;
	return atomic_commit(&w->af, w->cause);
}

void zip_writer_abort(struct zip_writer *w)
{
	atomic_abort(&w->af);
	free(w->e);
	w->e = NULL;
	w->n = w->cap = 0;
}
