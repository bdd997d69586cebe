/* dihedral.c - the eight symmetries of a square (the official augmentation of
 * mazes and ARC grids), with numpy's conventions. */
#include "puzzles/puzzle.h"

#include <stdbool.h>

void puzzle_dihedral_shape(int tid, int rows, int cols, int *out_rows, int *out_cols)
{
	bool swap = tid == 1 || tid == 3 || tid == 6 || tid == 7;
	*out_rows = swap ? cols : rows;
	*out_cols = swap ? rows : cols;
}

void puzzle_dihedral_source(int tid, int rows, int cols, int r, int c, int *src_r, int *src_c)
{
	/* numpy semantics on a rows x cols input, e.g. rot90: out[r][c] = in[c][cols-1-r] */
	switch (tid) {
	case 1:
		*src_r = c, *src_c = cols - 1 - r;
		break;
	case 2:
		*src_r = rows - 1 - r, *src_c = cols - 1 - c;
		break;
	case 3:
		*src_r = rows - 1 - c, *src_c = r;
		break;
	case 4:
		*src_r = r, *src_c = cols - 1 - c;
		break;
	case 5:
		*src_r = rows - 1 - r, *src_c = c;
		break;
	case 6:
		*src_r = c, *src_c = r;
		break;
	case 7:
		*src_r = rows - 1 - c, *src_c = cols - 1 - r;
		break;
	default:
		*src_r = r, *src_c = c;
		break;
	}
}

int puzzle_dihedral_inverse(int tid)
{
	static const int inv[8] = { 0, 3, 2, 1, 4, 5, 6, 7 };
	return tid >= 0 && tid < 8 ? inv[tid] : 0;
}

void puzzle_dihedral(int tid, int side, const int32_t *in, int32_t *out)
{
	for (int r = 0; r < side; r++)
		for (int c = 0; c < side; c++) {
			int sr, sc;
			puzzle_dihedral_source(tid, side, side, r, c, &sr, &sc);
			out[r * side + c] = in[sr * side + sc];
		}
}
