/* perturb.c - perturbed versions of a puzzle and the way back (perturb.h). */
#include "analysis/perturb.h"
#include "puzzles/arc.h"
#include "core/rng.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>

static const char *const kind_names[PERTURB_KINDS] = { "augment", "dihedral", "relabel", "shuffle", "colors", "noise" };
static const char *const tid_names[8] = { "identity", "rot90", "rot180", "rot270",
					  "flip-lr", "flip-ud", "transpose", "anti-transpose" };

const char *perturb_kind_name(enum perturb_kind k)
{
	return k >= 0 && k < PERTURB_KINDS ? kind_names[k] : "?";
}

int perturb_kind_parse(const char *s, enum perturb_kind *out)
{
	for (int k = 0; k < PERTURB_KINDS; k++)
		if (strcmp(s, kind_names[k]) == 0) {
			*out = (enum perturb_kind)k;
			return 0;
		}
	if (strcmp(s, "colours") == 0) {
		*out = PERTURB_COLORS;
		return 0;
	}
	return -1;
}

bool perturb_applies(enum perturb_kind k, const struct puzzle *p, bool known_kind, char *why, size_t len)
{
	const char *need = NULL;
	if (k == PERTURB_NOISE)
		return true;
	if (!known_kind)
		need = "a maze, sudoku or ARC puzzle (this one is only tokens: use noise)";
	else if (k == PERTURB_RELABEL || k == PERTURB_SHUFFLE)
		need = p->kind == PUZZLE_SUDOKU ? NULL : "a sudoku";
	else if (k == PERTURB_COLORS)
		need = p->kind == PUZZLE_ARC ? NULL : "an ARC puzzle";
	else if (p->kind != PUZZLE_ARC && p->side * p->side != p->seq_len)
		need = "a square grid";
	if (need == NULL)
		return true;
	snprintf(why, len, "--perturb %s needs %s", perturb_kind_name(k), need);
	return false;
}

static void sudoku_identity(struct sudoku_transform *t)
{
	memset(t, 0, sizeof *t);
	for (int i = 0; i < 10; i++)
		t->digit[i] = (uint8_t)i;
	for (int i = 0; i < 9; i++)
		t->row_perm[i] = t->col_perm[i] = (uint8_t)i;
}

/* The dihedral transform of a version: 0 first, then 1..7 in a seeded order. */
static int version_tid(uint64_t seed, int version)
{
	int order[7] = { 1, 2, 3, 4, 5, 6, 7 };
	struct hrm_rng r;
	hrm_rng_seed(&r, seed ^ 0x6469686564726c31ULL);
	for (int i = 6; i > 0; i--) {
		int j = (int)hrm_rng_below(&r, (uint64_t)i + 1), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	int v = version % 8;
	return v == 0 ? 0 : order[v - 1];
}

static void describe(struct perturb *t)
{
	char *d = t->desc;
	size_t n = sizeof t->desc, used = 0;
	d[0] = '\0';
	if (t->tid)
		used += (size_t)snprintf(d + used, n - used, "%s", tid_names[t->tid]);
	if (t->sd.transpose && used < n)
		used += (size_t)snprintf(d + used, n - used, "%stranspose", used ? "+" : "");
	bool rows = false, digits = false, colours = false;
	for (int i = 0; i < 9; i++)
		rows |= t->sd.row_perm[i] != i || t->sd.col_perm[i] != i;
	for (int i = 0; i < 10; i++) {
		digits |= t->sd.digit[i] != i;
		colours |= t->colours[i] != i;
	}
	if (rows && used < n)
		used += (size_t)snprintf(d + used, n - used, "%sshuffle", used ? "+" : "");
	if (digits && used < n) {
		used += (size_t)snprintf(d + used, n - used, "%sdigits ", used ? "+" : "");
		for (int i = 1; i <= 9 && used < n; i++)
			used += (size_t)snprintf(d + used, n - used, "%d", t->sd.digit[i]);
	}
	if (colours && used < n) {
		used += (size_t)snprintf(d + used, n - used, "%scolours ", used ? "+" : "");
		for (int i = 0; i <= 9 && used < n; i++)
			used += (size_t)snprintf(d + used, n - used, "%d", t->colours[i]);
	}
	if (t->sigma > 0 && used < n)
		used += (size_t)snprintf(d + used, n - used, "%snoise %g", used ? "+" : "", t->sigma);
	if (used == 0)
		snprintf(d, n, "as given");
}

void perturb_make(enum perturb_kind k, const struct puzzle *p, bool known_kind, uint64_t seed, int version,
		  double sigma, struct perturb *out)
{
	memset(out, 0, sizeof *out);
	out->kind = k;
	out->known_kind = known_kind;
	out->pk = p->kind;
	sudoku_identity(&out->sd);
	for (int i = 0; i < 10; i++)
		out->colours[i] = (uint8_t)i;
	if (version > 0) {
		struct hrm_rng r;
		hrm_rng_seed(&r, seed * 1000003ULL + (uint64_t)version);
		bool sudoku = known_kind && p->kind == PUZZLE_SUDOKU, arc = known_kind && p->kind == PUZZLE_ARC;
		switch (k) {
		case PERTURB_AUGMENT:
			if (sudoku) {
				sudoku_transform_random(&r, &out->sd);
			} else {
				out->tid = version_tid(seed, version);
				if (arc)
					arc_random_colours(&r, out->colours);
			}
			break;
		case PERTURB_DIHEDRAL:
			out->tid = version_tid(seed, version);
			break;
		case PERTURB_RELABEL:
			sudoku_transform_random(&r, &out->sd);
			out->sd.transpose = false;
			for (int i = 0; i < 9; i++)
				out->sd.row_perm[i] = out->sd.col_perm[i] = (uint8_t)i;
			break;
		case PERTURB_SHUFFLE:
			sudoku_transform_random(&r, &out->sd);
			for (int i = 0; i < 10; i++)
				out->sd.digit[i] = (uint8_t)i;
			break;
		case PERTURB_COLORS:
			arc_random_colours(&r, out->colours);
			break;
		default:
			break;
		}
		if (sigma > 0 || k == PERTURB_NOISE)
			out->sigma = sigma > 0 ? sigma : PERTURB_SIGMA_DEFAULT;
		out->noise_seed = seed * 1000003ULL + (uint64_t)version + 0x6e6f697365ULL;
	}
	describe(out);
}

/* ARC: grid -> recolour -> dihedral (the official order), or the way back. */
static void arc_forward(const struct perturb *t, const struct arc_grid *g, int32_t *canvas)
{
	struct arc_grid a, b;
	arc_recolour(t->colours, g, &a);
	arc_dihedral(t->tid, &a, &b);
	arc_encode(&b, 0, 0, canvas);
}

static int arc_apply(const struct perturb *t, const int32_t *in, int32_t *out, const char *what, char **cause)
{
	struct arc_grid g;
	if (arc_decode(in, &g, cause) != 0)
		return prefix_cause(cause, "the ARC %s", what);
	arc_forward(t, &g, out);
	return 0;
}

int perturb_apply(const struct perturb *t, const struct puzzle *in, struct puzzle *out, char **cause)
{
	*out = *in;
	if (!t->known_kind)
		return 0;
	int side = in->side, S = in->seq_len;
	int32_t tmp[PUZZLE_MAX_CELLS];
	if (t->pk == PUZZLE_ARC) {
		if (arc_apply(t, in->input, out->input, "input", cause) != 0)
			return -1;
		if (in->has_label && arc_apply(t, in->label, out->label, "label", cause) != 0)
			return -1;
		return 0;
	}
	for (int which = 0; which < 2; which++) {
		if (which == 1 && !in->has_label)
			break;
		const int32_t *src = which ? in->label : in->input;
		int32_t *dst = which ? out->label : out->input;
		puzzle_dihedral(t->tid, side, src, tmp);
		if (t->pk == PUZZLE_SUDOKU && S == SUDOKU_CELLS)
			sudoku_transform_apply(&t->sd, tmp, dst);
		else
			memcpy(dst, tmp, (size_t)S * sizeof *dst);
	}
	return 0;
}

void perturb_unapply(const struct perturb *t, const struct puzzle *orig, const int32_t *answer, int32_t *out)
{
	int side = orig->side, S = orig->seq_len;
	if (!t->known_kind) {
		memcpy(out, answer, (size_t)S * sizeof *out);
		return;
	}
	if (t->pk == PUZZLE_ARC) {
		struct arc_grid g, a, b;
		uint8_t inv[10];
		for (int i = 0; i < 10; i++)
			inv[t->colours[i] % 10] = (uint8_t)i;
		arc_crop(answer, &g);
		arc_dihedral(puzzle_dihedral_inverse(t->tid), &g, &a);
		arc_recolour(inv, &a, &b);
		arc_encode(&b, 0, 0, out);
		return;
	}
	int32_t tmp[PUZZLE_MAX_CELLS];
	if (t->pk == PUZZLE_SUDOKU && S == SUDOKU_CELLS) {
		uint8_t inv[10];
		for (int d = 0; d < 10; d++)
			inv[t->sd.digit[d] % 10] = (uint8_t)d;
		for (int i = 0; i < S; i++) {
			int32_t v = answer[i];
			tmp[sudoku_transform_source(&t->sd, i)] = v >= 2 && v <= 10 ? inv[v - 1] + 1 : v;
		}
	} else {
		memcpy(tmp, answer, (size_t)S * sizeof *tmp);
	}
	puzzle_dihedral(puzzle_dihedral_inverse(t->tid), side, tmp, out);
}

void perturb_noise(const struct perturb *t, float *zH, float *zL, size_t n)
{
	if (!(t->sigma > 0))
		return;
	struct hrm_rng r;
	hrm_rng_seed(&r, t->noise_seed);
	for (size_t i = 0; i < n; i++)
		zH[i] += (float)(t->sigma * hrm_rng_normal(&r));
	for (size_t i = 0; i < n; i++)
		zL[i] += (float)(t->sigma * hrm_rng_normal(&r));
}
