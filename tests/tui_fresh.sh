#!/bin/sh
# tui_fresh.sh - a sudoku model opened without --puzzle: the TUI starts on
# the bundled medium sudoku (30 givens) and n gives fresh unique sudokus with
# as many givens, each different; p goes back to the bundled one.  A model
# that is neither a maze nor a sudoku model is refused with a message.  At
# 80x24 and 160x50.  Needs tmux (skipped without it).
set -u

SOCK_NAME=hrmscope-fresh
. "${srcdir:-.}/tests/tui_lib.sh"

$T new-session -d -s keep -x 80 -y 24 "sleep 300"
"$HRMSCOPE" init --arch "$srcdir/models/hrm_sudoku_learned.yaml" --vocab 11 --seq-len 81 --seed 1 \
	-o "$tmp/sudoku" >/dev/null || { echo "cannot make a model"; exit 99; }

# the first grid's 81 cells, row by row, blanks as '.' (at big sizes the
# cells are wider and taller and a second grid stands beside it: the first
# 9 cells of each line that has any)
grid() {
	screen | sed -n '4,/^bold: given/p' | sed 's/·/./g; s/│/ /g' | grep -v '┼\|^bold' |
		awk 'NF >= 9 { for (i = 1; i <= 9; i++) printf "%s", $i }'
}
givens() { grid | tr -cd '1-9' | wc -c; }
first=$(grep -v '^#' "$srcdir/puzzles/examples/sudoku-medium.txt" | tr -d '\n' | tr 0 .)

for size in 80x24 160x50; do
	$T kill-session -t s 2>/dev/null
	$T new-session -d -s s -x "${size%x*}" -y "${size#*x}" "LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color '$HRMSCOPE' tui --model '$tmp/sudoku'; echo EXIT \$?; sleep 60"
	wait_for 'segment 1/8' 10 && screen | sed -n 1p | grep -q 'sudoku-medium.txt'
	check "$size: opens on the bundled sudoku-medium.txt" $?
	[ "$(grid)" = "$first" ]
	check "$size: the grid is that sudoku ($(grid))" $?
	keys n
	wait_for 'fresh sudoku, 30 givens #1' 10
	check "$size: n gives a fresh sudoku with 30 givens" $?
	sleep 0.5
	one=$(grid)
	[ "$(givens)" -eq 30 ] && [ "$one" != "$first" ]
	check "$size: it has 30 givens on screen and is not the first ($(givens))" $?
	keys n
	wait_for 'fresh sudoku, 30 givens #2' 10 && sleep 0.5 && [ "$(grid)" != "$one" ]
	check "$size: n again, another one" $?
	keys p p
	wait_for 'sudoku-medium.txt' 10
	check "$size: p p goes back to the bundled one" $?
	keys q
	wait_for '^EXIT 0' 5
	check "$size: q exits 0" $?
done

# a model of another vocabulary: told to give --puzzle
"$HRMSCOPE" init --arch "$srcdir/models/hrm_maze_small.yaml" --vocab 12 --seq-len 900 --seed 1 \
	-o "$tmp/arc" >/dev/null || { echo "cannot make a model"; exit 99; }
$T kill-session -t s 2>/dev/null
$T new-session -d -s s -x 100 -y 30 "'$HRMSCOPE' tui --model '$tmp/arc'; echo EXIT \$?; sleep 60"
wait_for '^EXIT' 10
screen | tr -d '\n' | grep -q "neither the maze's (6) nor the sudoku's (11): give --puzzle" && screen | grep -q '^EXIT 2'
check "another vocabulary: refused, give --puzzle" $?
exit $fail
