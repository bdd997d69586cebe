/* model.c - allocation of the weights (one arena sliced by the tensor table),
 * the official random initialisation and the parameter count. */
#include "model/hrm.h"
#include "core/rng.h"
#include "core/half.h"
#include "core/fmap.h"
#include "core/util.h"

#include <math.h>
#include <sys/mman.h>
#include <zlib.h>
#include <stdlib.h>
#include <string.h>

/* Zeroed.  A large arena (an ARC puzzle table is 2 GB) is asked for in
 * transparent huge pages: filling it then takes a thousand page faults
 * instead of half a million, and the forward's reads fewer TLB misses. */
static float *alloc_arena(size_t bytes)
{
	const size_t huge = (size_t)2 << 20;
	if (bytes < 32 * huge)
		return calloc(bytes ? bytes : 1, 1);
	void *p = NULL;
	size_t rounded = (bytes + huge - 1) / huge * huge;
	if (posix_memalign(&p, huge, rounded) != 0)
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(p, rounded, MADV_HUGEPAGE); /* advice only: without it, small pages */
#endif
	memset(p, 0, bytes);
	return p;
}

int hrm_model_alloc(struct hrm_model *m, const struct hrm_config *c, char **cause)
{
	return hrm_model_alloc_ext(m, c, NULL, cause);
}

int hrm_model_alloc_ext(struct hrm_model *m, const struct hrm_config *c, float *puzzle, char **cause)
{
	memset(m, 0, sizeof *m);
	m->cfg = *c;
	if (hrm_config_derive(&m->cfg, cause) != 0)
		return -1;
	if (m->cfg.vocab_size <= 0)
		return set_cause(cause, "model config: vocab_size unknown");
	if (m->cfg.puzzle_emb_ndim > 0 && m->cfg.num_puzzle_identifiers <= 0)
		return set_cause(cause, "model config: num_puzzle_identifiers unknown");
	if (m->cfg.pos_encodings == HRM_POS_LEARNED && m->cfg.seq_len <= 0)
		return set_cause(cause, "model config: seq_len unknown (learned positions need it)");
	if (m->cfg.mlp_t && m->cfg.seq_len <= 0)
		return set_cause(cause, "model config: seq_len unknown (mlp_t blocks need it)");

	if (!hrm_arch_desc(&m->cfg)->shared_net)
		m->w.H = xcalloc((size_t)m->cfg.H_layers, sizeof *m->w.H);
	m->w.L = xcalloc((size_t)m->cfg.L_layers, sizeof *m->w.L);

	size_t n = hrm_tensor_list(m, NULL, 0);
	struct hrm_tensor_info *ti = xcalloc(n, sizeof *ti);
	hrm_tensor_list(m, ti, n);
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		size_t numel = (size_t)ti[i].shape[0];
		if (puzzle != NULL && ti[i].field == &m->w.puzzle_emb)
			continue;
		if (ti[i].ndim == 2 && size_mul(numel, (size_t)ti[i].shape[1], &numel) != 0)
			goto overflow;
		if (size_add(total, numel, &total) != 0)
			goto overflow;
	}
	size_t bytes;
	if (size_mul(total, sizeof(float), &bytes) != 0)
		goto overflow;
	m->arena = alloc_arena(bytes);
	if (m->arena == NULL) {
		free(ti);
		hrm_model_free(m);
		return set_cause(cause, "model: cannot allocate %zu MB for the weights", bytes >> 20);
	}
	m->arena_floats = total;
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		size_t numel = (size_t)ti[i].shape[0] * (ti[i].ndim == 2 ? (size_t)ti[i].shape[1] : 1);
		if (puzzle != NULL && ti[i].field == &m->w.puzzle_emb) {
			m->w.puzzle_emb = puzzle;
			continue;
		}
		*ti[i].field = m->arena + off;
		off += numel;
	}
	free(ti);
	return 0;
overflow:
	free(ti);
	hrm_model_free(m);
	return set_cause(cause, "model: tensor sizes overflow");
}

void hrm_model_free(struct hrm_model *m)
{
	hrm_model_free_bf16(m);
	fmap_release(m->map);
	free(m->arena);
	free(m->w.H);
	free(m->w.L);
	memset(m, 0, sizeof *m);
}

int hrm_model_own(struct hrm_model *m, char **cause)
{
	if (m->map == NULL)
		return 0;
	struct hrm_model n;
	if (hrm_model_alloc(&n, &m->cfg, cause) != 0)
		return -1;
	size_t count = hrm_tensor_list(m, NULL, 0);
	struct hrm_tensor_info *from = xcalloc(count, sizeof *from), *to = xcalloc(count, sizeof *to);
	hrm_tensor_list(m, from, count);
	hrm_tensor_list(&n, to, count);
	uLong crc = crc32(0L, Z_NULL, 0);
	for (size_t i = 0; i < count; i++) {
		size_t bytes = (size_t)from[i].shape[0] * (from[i].ndim == 2 ? (size_t)from[i].shape[1] : 1) * sizeof(float);
		const uint8_t *src = (const uint8_t *)*from[i].field;
		uint8_t *dst = (uint8_t *)*to[i].field;
		if (from[i].field != &m->w.puzzle_emb) {
			memcpy(dst, src, bytes);
			continue;
		}
		/* the mapped table: its one full read, checked as it goes */
		for (size_t off = 0; off < bytes;) {
			size_t k = bytes - off < ((size_t)1 << 20) ? bytes - off : (size_t)1 << 20;
			crc = crc32(crc, src + off, (uInt)k);
			memcpy(dst + off, src + off, k);
			off += k;
		}
	}
	free(from);
	free(to);
	int rc = fmap_check(m->map, cause);
	if (rc == 0 && m->puzzle_crc_pending && (uint32_t)crc != m->puzzle_crc)
		rc = set_cause(cause, "%s: tensor 'puzzle_emb.weights' fails its CRC check (file corrupt or changed while open)",
		               m->map->name);
	if (rc != 0) {
		hrm_model_free(&n);
		return -1;
	}
	n.bf16 = m->bf16; /* made from the same values */
	m->bf16 = NULL;
	memcpy(n.name, m->name, sizeof n.name);
	memcpy(n.warning, m->warning, sizeof n.warning);
	hrm_model_free(m);
	*m = n;
	return 0;
}

size_t hrm_model_param_count(const struct hrm_model *m, bool include_buffers)
{
	struct hrm_model *mm = (struct hrm_model *)m; /* the list only reads shapes */
	size_t n = hrm_tensor_list(mm, NULL, 0);
	struct hrm_tensor_info *ti = xcalloc(n, sizeof *ti);
	hrm_tensor_list(mm, ti, n);
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		if (ti[i].buffer && !include_buffers)
			continue;
		total += (size_t)ti[i].shape[0] * (ti[i].ndim == 2 ? (size_t)ti[i].shape[1] : 1);
	}
	free(ti);
	return total;
}

/* Truncated normal as the official init defines it: a normal cut at +-2 of
 * its own std, rescaled so that the truncated distribution has std `std`. */
static void trunc_normal_fill(struct hrm_rng *r, float *dst, size_t n, double std)
{
	if (std == 0.0) {
		/* cleared only where not zero already: reading the untouched
		 * pages of a fresh arena does not allocate them */
		for (size_t i = 0; i < n; i += 4096) {
			size_t k = n - i < 4096 ? n - i : 4096;
			/* any bit set (-0.0 too); a test per element took a
			 * second over an ARC-sized puzzle table */
			if (!mem_is_zero(dst + i, k * sizeof *dst))
				memset(dst + i, 0, k * sizeof *dst);
		}
		return;
	}
	const double lo = -2.0, hi = 2.0;
	const double c = 1.0 / sqrt(2.0 * M_PI);
	double z = (erf(hi / sqrt(2.0)) - erf(lo / sqrt(2.0))) / 2.0;
	double pdf_lo = c * exp(-0.5 * lo * lo), pdf_hi = c * exp(-0.5 * hi * hi);
	double var = 1.0 - (hi * pdf_lo - lo * pdf_hi) / z - ((pdf_lo - pdf_hi) / z) * ((pdf_lo - pdf_hi) / z);
	double comp = std / sqrt(var);
	for (size_t i = 0; i < n; i++) {
		double v;
		do
			v = hrm_rng_normal(r);
		while (v < lo || v > hi);
		dst[i] = (float)(v * comp);
	}
}

void hrm_model_init_random(struct hrm_model *m, uint64_t seed)
{
	const struct hrm_config *c = &m->cfg;
	struct hrm_rng r;
	hrm_rng_seed(&r, seed);
	size_t n = hrm_tensor_list(m, NULL, 0);
	struct hrm_tensor_info *ti = xcalloc(n, sizeof *ti);
	hrm_tensor_list(m, ti, n);
	double embed_std = 1.0 / sqrt((double)c->hidden_size);
	for (size_t i = 0; i < n; i++) {
		float *p = *ti[i].field;
		size_t rows = (size_t)ti[i].shape[0];
		size_t cols = ti[i].ndim == 2 ? (size_t)ti[i].shape[1] : 1;
		const char *nm = ti[i].name;
		double std;
		if (!strcmp(nm, "H_init") || !strcmp(nm, "L_init"))
			std = 1.0;
		else if (strstr(nm, "embedding_weight"))
			std = embed_std;
		else if (!strcmp(nm, "puzzle_emb.weights") || !strncmp(nm, "q_head", 6))
			std = 0.0;
		else /* linear layers: LeCun, std 1/sqrt(fan_in) */
			std = 1.0 / sqrt((double)cols);
		trunc_normal_fill(&r, p, rows * cols, std);
		if (ti[i].bf16) /* the official buffers live in bfloat16 */
			for (size_t k = 0; k < rows * cols; k++)
				p[k] = bf16_to_f32(f32_to_bf16(p[k]));
	}
	m->w.q_head_b[0] = -5.0f;
	m->w.q_head_b[1] = -5.0f;
	free(ti);
}
