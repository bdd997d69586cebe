#!/bin/sh
# tui_screens.sh - the TUI's screens at three sizes (80x24, 120x40, 200x60)
# for a maze, a sudoku and an ARC task, after one segment, against the
# captures kept in tests/screens/sizes/.  The step times (ms, s) and the
# spaces that align them are left out of the comparison; everything else
# on the screen must match.  Random models of a fixed seed, one BLAS
# thread.  Needs tmux (skipped without it).  Runs from the build directory.
#
#   sh tests/tui_screens.sh            compare (make check)
#   sh tests/tui_screens.sh --write    capture them again (make screens)
set -u

SOCK_NAME=hrmscope-screens
. "${srcdir:-.}/tests/tui_lib.sh"

write=0
[ "${1:-}" = "--write" ] && write=1
out=$srcdir/tests/screens/sizes
mkdir -p "$out"

arch=$srcdir/models/hrm_maze_small.yaml
for m in "maze 6 121" "sudoku 11 81" "arc 12 900"; do
	set -- $m
	"$HRMSCOPE" init --arch "$arch" --vocab "$2" --seq-len "$3" --seed 1 -o "$tmp/$1" >/dev/null ||
		{ echo "cannot make the $1 model"; exit 99; }
done

$T new-session -d -s keep -x 80 -y 24 "sleep 600"

# what is compared: no step times, spaces squeezed (a time's digits move
# the right-aligned text)
norm() { sed -E 's/[0-9]+(\.[0-9]+)? ms/# ms/g; s/\([0-9.]+ s\)/(# s)/g; s/ +/ /g; s/ $//'; }

for size in 80x24 120x40 200x60; do
	w=${size%x*}
	h=${size#*x}
	for kind in maze sudoku arc; do
		case $kind in
		maze) puzzle=puzzles/examples/maze-11.txt ;;
		sudoku) puzzle=puzzles/examples/sudoku-hard.txt ;;
		arc) puzzle=puzzles/examples/arc-drop.json:3 ;;
		esac
		$T kill-session -t s 2>/dev/null
		$T new-session -d -s s -x "$w" -y "$h" "cd '$srcdir' && LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color '$HRMSCOPE' tui --threads 1 --model '$tmp/$kind' --puzzle $puzzle; sleep 60"
		wait_for 'segment 1/8' 20
		keys s
		# one segment done and nothing computing (the probe is not shown)
		wait_for 'step 6/48 .* idle' 30
		sleep 0.5
		name=$kind-$size
		if [ $write -eq 1 ]; then
			screen >"$out/$name.txt"
			echo "wrote tests/screens/sizes/$name.txt"
			continue
		fi
		if [ ! -f "$out/$name.txt" ]; then
			check "$name: a kept capture (make screens writes it)" 1
			continue
		fi
		screen | norm >"$tmp/now.txt"
		norm <"$out/$name.txt" >"$tmp/kept.txt"
		cmp -s "$tmp/now.txt" "$tmp/kept.txt"
		st=$?
		check "$name: the screen matches tests/screens/sizes/$name.txt (step times aside)" $st
		[ $st -eq 0 ] || diff "$tmp/kept.txt" "$tmp/now.txt" | head -20
	done
done
exit $fail
