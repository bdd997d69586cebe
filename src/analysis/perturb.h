/* perturb.h - perturbed versions of a puzzle, for scaling the model's
 * guesses (hrmscope guess), and the way back: every answer a model gives on
 * a version is mapped to the original puzzle's frame.
 *
 * Kinds, and the puzzles they apply to:
 *   augment   the official augmentation of the kind (the default): maze,
 *             dihedral; sudoku, digits + transpose + band/row/stack/column
 *             shuffles; ARC, dihedral + colour permutation
 *   dihedral  the 8 dihedral transforms (maze, sudoku, ARC)
 *   relabel   sudoku digit permutation
 *   shuffle   sudoku transpose and band/row/stack/column shuffles (digits kept)
 *   colors    ARC colour permutation (0, black, kept)
 *   noise     Gaussian noise on the initial state z_H, z_L (any puzzle)
 * Version 0 is always the puzzle as given, without noise, so that one
 * version is the plain run.  Dihedral versions 1..7 take the 7 other
 * transforms in an order drawn from the seed, then repeat.  Noise (kind
 * noise, or --noise on top of any kind) goes on versions 1..K-1.
 *
 * ARC grids are decoded from the canvas, transformed and encoded again at
 * the top left, as the official builder does; an ARC answer is read with the
 * official crop (arc_crop), mapped back and encoded at the top left, so the
 * answers of all versions (version 0 too) are compared in that one form. */
#ifndef HRM_PERTURB_H
#define HRM_PERTURB_H

#include "puzzles/puzzle.h"
#include "puzzles/sudoku.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum perturb_kind {
	PERTURB_AUGMENT,
	PERTURB_DIHEDRAL,
	PERTURB_RELABEL,
	PERTURB_SHUFFLE,
	PERTURB_COLORS,
	PERTURB_NOISE,
	PERTURB_KINDS
};

/* Noise sigma when the kind is noise and no --noise is given: states are
 * RMS-normalised (about 1 per element), so this is a 0.2 relative kick. */
#define PERTURB_SIGMA_DEFAULT 0.2

const char *perturb_kind_name(enum perturb_kind k);
/* "augment", "dihedral", ...; -1 if unknown. */
int perturb_kind_parse(const char *s, enum perturb_kind *out);
/* Can kind k perturb this puzzle?  known_kind: p->kind is meaningful (else
 * only tokens are known: noise only).  why: the reason it cannot. */
bool perturb_applies(enum perturb_kind k, const struct puzzle *p, bool known_kind, char *why, size_t len);

struct perturb {
	enum perturb_kind kind;
	bool known_kind;
	enum puzzle_kind pk;
	int tid;                    /* dihedral transform (puzzle.h numbering), 0 identity */
	struct sudoku_transform sd; /* sudoku: digits and geometry (identity when unused) */
	uint8_t colours[10];        /* ARC: colour map (identity when unused) */
	double sigma;               /* noise on the initial state, 0 none */
	uint64_t noise_seed;
	char desc[48];              /* "rot90", "digits 315...", "noise 0.2"... */
};

/* Version `version` of a puzzle (kind p->kind) under kind k, drawn from seed;
 * sigma > 0 adds noise to versions >= 1 (kind noise: sigma <= 0 means
 * PERTURB_SIGMA_DEFAULT). */
void perturb_make(enum perturb_kind k, const struct puzzle *p, bool known_kind, uint64_t seed, int version,
		  double sigma, struct perturb *out);
/* out = the version: input and (if known) label transformed; the rest of
 * *in copied.  -1 with cause when an ARC canvas cannot be decoded. */
int perturb_apply(const struct perturb *t, const struct puzzle *in, struct puzzle *out, char **cause);
/* An answer (seq_len tokens) of the version, in the original frame. */
void perturb_unapply(const struct perturb *t, const struct puzzle *orig, const int32_t *answer, int32_t *out);
/* Adds the version's noise to one row's initial state (n floats each). */
void perturb_noise(const struct perturb *t, float *zH, float *zL, size_t n);

#endif
