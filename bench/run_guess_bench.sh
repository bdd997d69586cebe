#!/bin/sh
# run_guess_bench.sh - the guesses part of `make bench` (issue 8): K
# perturbed versions of one puzzle as one batched forward (B = K) against K
# single runs (B = 1), both measured here, back to back, in every
# repetition.  Prints one line per configuration (bench/bench_guess.c).
#
#   sh bench/run_guess_bench.sh [--builddir DIR] [--srcdir DIR]
#
# Environment: BENCH_THREADS (default 2), BENCH_QUICK=1 (one repetition).
# The embedded 7x7 maze model runs its 8 segments at K = 8 and 16; the
# 27M hrm_v1 sudoku configuration (a random init, as bench/run_bench.sh
# makes one) runs 1 segment at K = 8: a segment is all the work there is,
# and 16 segments of 8 single runs would take minutes.
set -eu

srcdir=$(dirname "$0")/..
builddir=.
while [ $# -gt 0 ]; do
	case $1 in
	--builddir) builddir=$2; shift 2 ;;
	--srcdir) srcdir=$2; shift 2 ;;
	*) echo "usage: run_guess_bench.sh [--builddir DIR] [--srcdir DIR]" >&2; exit 2 ;;
	esac
done
threads=${BENCH_THREADS:-2}
mreps=9 sreps=3 # the maze runs take a second, the sudoku ones half a minute
[ "${BENCH_QUICK:-0}" = 1 ] && mreps=1 sreps=1
bg=$builddir/bench/bench_guess
[ -x "$bg" ] || { echo "run_guess_bench.sh: $bg is not built (make bench builds it)" >&2; exit 1; }
export OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads"
ex=$srcdir/puzzles/examples

echo "$threads threads; medians of $mreps (maze) and $sreps (sudoku) repetitions; a run includes its engine's set-up"
for k in 8 16; do
	"$bg" --model "$srcdir/models/maze7" --puzzle "$ex/maze-7.txt" --k $k --reps $mreps --threads "$threads" \
		--label "maze 7x7, models/maze7"
done
"$bg" --arch "$srcdir/models/hrm_v1.yaml" --vocab 11 --seq-len 81 --puzzle "$ex/sudoku-hard.txt" --k 8 \
	--segments 1 --reps $sreps --threads "$threads" --label "sudoku, hrm_v1 27M (random)"
