#!/bin/sh
# shipped_models.sh - the models hrmscope ships still solve their puzzles:
# each one, loaded from its directory as a user would, on fresh puzzles from
# a seed that no model card uses, must stay above a floor well under what
# its card reports (models/maze: 99.7 % on 1000 mazes; models/maze7: 95.5 %;
# models/maze15: 100.0 % on 1000 15x15 mazes; models/sudoku: 95.2 % with
# 30 givens).  A broken checkpoint, a config that no longer matches it, or an engine change
# that alters the arithmetic fails here.  Runs from the build directory.
set -u
HRMSCOPE=${HRMSCOPE:-./hrmscope}
srcdir=${srcdir:-.}
[ -x "$HRMSCOPE" ] || { echo "no $HRMSCOPE: build it first"; exit 99; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0

# check MODEL SIZE N FLOOR_PERCENT (mazes of SIZE; SIZE sG: sudokus with G givens)
check() {
	model=$srcdir/models/$1
	if [ ! -f "$model/checkpoint" ]; then
		echo "FAIL - $model/checkpoint is missing"
		fail=1
		return
	fi
	case $2 in
	s*) gen="sudoku --givens ${2#s}" what="sudokus with ${2#s} givens" ;;
	*) gen="maze --size $2" what="${2}x$2 mazes" ;;
	esac
	"$HRMSCOPE" gen $gen --count 1 --test-count "$3" --seed 31 --test-seed 31337 \
		-o "$tmp/m$2" >/dev/null || { echo "FAIL - gen $gen"; fail=1; return; }
	line=$("$HRMSCOPE" eval --model "$model" --data "$tmp/m$2" --batch 50 --threads 2 2>"$tmp/err" |
		grep '^hrmscope-eval ')
	n=$(echo "$line" | tr ' ' '\n' | sed -n 's/^valid=//p')
	ok=$(echo "$line" | tr ' ' '\n' | sed -n 's/^max_exact=//p')
	segs=$(echo "$line" | tr ' ' '\n' | sed -n 's/^segments=//p')
	if [ -z "$n" ] || [ -z "$ok" ] || [ "$n" -ne "$3" ]; then
		echo "FAIL - models/$1: no result from hrmscope eval"
		cat "$tmp/err"
		fail=1
	elif [ $((ok * 100)) -ge $(($4 * n)) ]; then
		echo "ok - models/$1 solves $ok of $n fresh $what after all $segs segments (floor $4 %)"
	else
		echo "FAIL - models/$1 solves only $ok of $n fresh $what (floor $4 %)"
		fail=1
	fi
}

check maze 11 200 95
check maze7 7 200 90
check maze15 15 200 95
check sudoku s30 200 90
exit $fail
