#!/bin/sh
# tui_compare.sh - `hrmscope tui --compare` in tmux at 80x24 and 160x50:
# the trained maze model beside its untrained init.  Both runs are named
# (header, grid labels, halting tables, chart legend); every stepping key
# moves both (s, l, h, b, r, Home, n, p), and their halting tables agree
# with `hrmscope run` on the model and on `hrmscope init`'s model of the
# same config and seed (what --compare untrained says it is); x swaps the
# front; --compare-dtype bf16 runs the model beside itself; a model that
# cannot take the puzzle is refused in one line, exit 1, before the screen
# opens.  Needs tmux (skipped without it).
set -u
export LC_ALL=C.UTF-8

SOCK_NAME=hrmscope-compare
. "${srcdir:-.}/tests/tui_lib.sh"

start() { # start WIDTH HEIGHT ARGS...: the TUI with these arguments
	w=$1
	h=$2
	shift 2
	$T kill-session -t s 2>/dev/null
	$T new-session -d -s s -x "$w" -y "$h" "cd '$tmp' && LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color '$HRMSCOPE' tui --threads 1 $*; echo EXIT \$?; sleep 60"
}
$T new-session -d -s keep -x 80 -y 24 "sleep 600"

MODEL=$srcdir/models/maze
MAZE=$srcdir/puzzles/examples/maze-11.txt
# the TUI runs from a scratch folder: nothing may depend on the current directory
TUI="--model '$MODEL' --puzzle '$MAZE'"

# the expected tables, from the headless commands: the trained model, and
# the official init of its config with seed 0, made by hrmscope init
"$HRMSCOPE" init --arch "$MODEL/all_config.yaml" --vocab 6 --seq-len 121 --seed 0 -o "$tmp/untrained" >/dev/null ||
	{ echo "hrmscope init failed"; exit 99; }
"$HRMSCOPE" init --arch "$srcdir/models/hrm_sudoku_learned.yaml" --vocab 11 --seq-len 81 -o "$tmp/sudoku" >/dev/null ||
	{ echo "hrmscope init (sudoku) failed"; exit 99; }
"$HRMSCOPE" run --model "$MODEL" --puzzle "$MAZE" --no-grid >"$tmp/trained.txt" || { echo "run failed"; exit 99; }
"$HRMSCOPE" run --model "$tmp/untrained" --puzzle "$MAZE" --no-grid >"$tmp/untrained.txt" || { echo "run failed"; exit 99; }
# row FILE SEGMENT: the halting table's row for that segment as the TUI's
# table prints it (compact or with the sigmoids): q_halt, q_continue, the percent right rounded
# down and exact yes/no, as a pattern
row() {
	awk -v s="$2" '$1 == s && $2 ~ /^[-+][0-9]/ {
		qh = sprintf("%+.2f", $2)
		qc = sprintf("%+.2f", $3)
		gsub(/[+.]/, "\\\\&", qh)
		gsub(/[+.]/, "\\\\&", qc)
		printf " %d +%s( [.0-9]+)? +%s( [.0-9]+)? .* +%d%% %s\n", s, qh, qc, int($6 * 100 + 1e-9), $7
	}' "$1"
}
tr1=$(row "$tmp/trained.txt" 1)
tr8=$(row "$tmp/trained.txt" 8)
un1=$(row "$tmp/untrained.txt" 1)
un8=$(row "$tmp/untrained.txt" 8)
# the premise: trained right at the end, untrained not
echo "$tr8" | grep -q '100% yes' || { echo "the trained model does not solve maze-11: $tr8"; exit 99; }
echo "$un8" | grep -q ' no$' || { echo "the untrained init solves maze-11?: $un8"; exit 99; }

# table NAME: the lines of NAME's halting table (from its title to the next
# title or the status line), the right-hand side of the screen
table() {
	screen | awk -v n="$1: Halting" '
		index($0, n) { on = 1; next }
		on && /: Halting/ { on = 0 }
		on { print }'
}
has_row() { table "$1" | grep -Eq -- "$2"; }
no_segment() { table "$1" | grep -q 'no segment finished yet'; }

# step_of: the step the header shows ("step N/48")
step_of() { screen | sed -n 's/.* step \([0-9]*\)\/48.*/\1/p' | head -1; }
# swapped_at N: x puts the untrained run in front, and its own position is
# N too (lockstep); x puts the trained one back
swapped_at() {
	keys x
	wait_for "untrained init \(seed 0\) vs maze" 10 && wait_for " step $1/48 " 10
	r=$?
	keys x
	wait_for "maze vs untrained init" 10
	return $r
}

for size in 160x50 80x24; do
	w=${size%x*}
	h=${size#*x}
	# no --puzzle: the bundled maze-11, then fresh mazes (n, p)
	start "$w" "$h" "--model '$MODEL' --compare untrained"
	wait_for 'step 0/48' 20
	screen | grep -q 'maze-11.txt . maze vs untrained init (seed 0)'
	check "$size: the header names both runs and the untrained init's seed" $?
	if [ "$w" -ge 160 ]; then
		screen | grep -Eq '^maze . input +untrained . input'
	else
		screen | grep -Eq '^maze +untrained'
	fi
	check "$size: both grids, each labelled" $?
	screen | grep -q "█ maze ● untrained"
	check "$size: the charts' legend names both series" $?
	[ "$(screen | grep -c ': Halting')" -eq 2 ] && screen | grep -q ' maze: Halting' &&
		screen | grep -q ' untrained: Halting'
	check "$size: two halting tables, named" $?

	keys s
	wait_for 'step 6/48 .*idle' 20
	has_row maze "$tr1" && has_row untrained "$un1"
	check "$size: s ran segment 1 in both runs, as hrmscope run says" $?
	keys l
	wait_for 'step 7/48 .*idle' 20 && swapped_at 7
	check "$size: l moves both one step" $?
	keys h
	wait_for 'step 9/48 .*idle' 20 && swapped_at 9
	check "$size: h moves both to the H-step" $?
	keys b
	wait_for 'step 8/48 .*idle' 20 && swapped_at 8
	check "$size: b moves both back" $?
	keys Space
	sleep 1.5
	keys Space
	sleep 0.5
	n=$(step_of)
	[ "$n" -gt 8 ] && swapped_at "$n"
	check "$size: space plays both (to step $n)" $?
	keys r
	wait_for 'step 48/48 .*idle' 30
	has_row maze "$tr8" && has_row untrained "$un8"
	check "$size: r runs both to the end: the trained right, the untrained not" $?
	keys Home
	wait_for 'step 0/48 .*idle' 20
	if [ "$w" -ge 160 ]; then
		screen | grep -Eq '^maze . input +untrained . input'
	else # before the first H-step both grids show the input: the top walls
		screen | grep -q '^███████████ ███████████'
	fi
	check "$size: Home takes both back to the start" $?
	keys s s
	wait_for 'step 12/48 .*idle' 20 && swapped_at 12
	check "$size: s s: both at segment 2's end" $?
	keys n
	wait_for 'fresh maze 11x11 #1' 20 && wait_for 'step 0/48 .*idle' 20
	[ "$(screen | grep -c 'no segment finished yet')" -eq 2 ]
	check "$size: n loads the next puzzle in both" $?
	keys p
	wait_for 'maze-11.txt' 20 && wait_for 'step 0/48 .*idle' 20
	[ "$(screen | grep -c 'no segment finished yet')" -eq 2 ]
	check "$size: p loads the first puzzle again in both" $?
	keys s
	wait_for 'step 6/48 .*idle' 20
	has_row maze "$tr1" && has_row untrained "$un1"
	check "$size: ... and steps both as before" $?
	keys x
	wait_for 'untrained init \(seed 0\) vs maze' 10
	check "$size: x puts the untrained run in front (header)" $?
	if [ "$w" -ge 160 ]; then
		screen | grep -Eq '^untrained . prediction +maze . prediction'
	else
		screen | grep -Eq '^untrained +maze'
	fi
	check "$size: x swaps the grids" $?
	# x while r runs: the run goes on to the end with the other in front
	keys Home
	wait_for 'step 0/48 .*idle' 20
	keys r x
	wait_for 'step 48/48 .*idle' 30 && screen | grep -q 'maze vs untrained init'
	check "$size: x while r runs: both still run to the end, the maze in front" $?
	keys q
	wait_for '^EXIT 0' 10
	check "$size: q quits (exit 0)" $?
done

# the model beside itself in bf16
start 80 24 "$TUI --compare-dtype bf16"
wait_for 'maze fp32 vs maze bf16' 20
check "--compare-dtype bf16: the header names both arithmetics" $?
keys r
wait_for 'step 48/48 .*idle' 30
has_row "maze fp32" "$tr8" && has_row "maze bf16" ' 8 .*HALT'
check "--compare-dtype bf16: both ran to the end, fp32 as hrmscope run" $?
keys q

# no room for two sudoku grids at 80x24: one, named, and x shows the other
start 80 24 "--model '$tmp/sudoku' --puzzle '$srcdir/puzzles/examples/sudoku-hard.txt' --compare untrained"
wait_for 'step 0/48' 20
screen | grep -q 'sudoku vs untrained init (seed 0) (x swaps)' && screen | grep -q '^sudoku: Sudoku 9x9'
check "80x24 sudoku: one grid, named, and the header says x swaps" $?
keys x
wait_for '^untrained: Sudoku 9x9' 10
check "80x24 sudoku: x shows the other run's grid" $?
keys q

# refused before the screen opens: one line (a wide pane: not wrapped), exit 1
start 250 24 "$TUI --compare '$tmp/sudoku'"
wait_for '^EXIT' 20
out=$(screen | grep -v '^$')
[ "$(echo "$out" | wc -l)" -eq 2 ] && echo "$out" | head -1 | grep -q "^hrmscope: --compare .*sudoku: maze-11.txt: " &&
	echo "$out" | tail -1 | grep -q '^EXIT 1$'
check "a model that cannot take the puzzle: one line, exit 1" $?
"$HRMSCOPE" init --arch "$srcdir/models/trm_maze.yaml" --vocab 6 --seq-len 121 -o "$tmp/trm" >/dev/null ||
	{ echo "hrmscope init (trm) failed"; exit 99; }
start 250 24 "$TUI --compare '$tmp/trm'"
wait_for '^EXIT' 20
out=$(screen | grep -v '^$')
[ "$(echo "$out" | wc -l)" -eq 2 ] && echo "$out" | head -1 | grep -q "^hrmscope: --compare .*trm: it steps in 3x4 cycles" &&
	echo "$out" | tail -1 | grep -q '^EXIT 1$'
check "a model that steps otherwise (3x4 cycles, not 2x2): one line, exit 1" $?
start 80 24 "$TUI --compare '$tmp/nothing-here'"
wait_for '^EXIT' 20
screen | grep -q '^EXIT 1$'
check "a missing --compare model: exit 1" $?

exit $fail
