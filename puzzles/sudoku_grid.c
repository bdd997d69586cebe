/* sudoku_grid.c - the 9x9 grid as digits (0 blank): to and from the official
 * tokens, its 27 units and the first two cells of a unit that hold the same
 * digit.  The parser, the solver and the generator all start here. */
#include "puzzles/sudoku.h"

void sudoku_to_digits(const int32_t *tokens, uint8_t *digits)
{
	for (int i = 0; i < SUDOKU_CELLS; i++)
		digits[i] = tokens[i] >= 2 && tokens[i] <= 10 ? (uint8_t)(tokens[i] - 1) : 0;
}

void sudoku_from_digits(const uint8_t *digits, int32_t *tokens)
{
	for (int i = 0; i < SUDOKU_CELLS; i++)
		tokens[i] = digits[i] >= 1 && digits[i] <= 9 ? digits[i] + 1 : SUDOKU_BLANK;
}

int sudoku_unit_cell(int u, int k)
{
	if (u < 9)
		return u * 9 + k;
	if (u < 18)
		return k * 9 + (u - 9);
	int b = u - 18;
	return ((b / 3) * 3 + k / 3) * 9 + (b % 3) * 3 + k % 3;
}

int sudoku_conflict(const uint8_t *digits, int *a, int *b)
{
	for (int u = 0; u < 27; u++) {
		int seen[10];
		for (int d = 0; d < 10; d++)
			seen[d] = -1;
		for (int k = 0; k < 9; k++) {
			int i = sudoku_unit_cell(u, k), d = digits[i];
			if (d < 1 || d > 9)
				continue;
			if (seen[d] >= 0) {
				*a = seen[d];
				*b = i;
				return 0;
			}
			seen[d] = i;
		}
	}
	return -1;
}
