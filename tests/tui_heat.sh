#!/bin/sh
# tui_heat.sh - the heat grid modes in the real TUI, in tmux: m reaches
# "step change" and "last change", each with a legend that gives its scale,
# at 80x24 and 160x50, in colour and in --mono; in --mono after the first
# H-step, "last change" shades exactly the cells whose prediction differs
# from the input (read off the prediction and input grids on the same
# screen).  Needs tmux (skipped without it).
set -u

SOCK_NAME=hrmscope-heat
. "${srcdir:-.}/tests/tui_lib.sh"

$T new-session -d -s keep -x 80 -y 24 "sleep 300"
MAZE="$srcdir/puzzles/examples/maze-11.txt"

start() { # start W H [OPTIONS]
	$T kill-session -t s 2>/dev/null
	$T new-session -d -s s -x "$1" -y "$2" "LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color '$HRMSCOPE' tui --model '$srcdir/models/maze' --puzzle '$MAZE' ${3:-}; echo EXIT \$?; sleep 60"
	wait_for 'segment 1/8' 10
}

# mode TITLE: m until the grid's title names it (at most a round of modes)
mode() {
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		screen | sed -n 3p | grep -Eq "(· |  )($1)( |\$)" && return 0
		keys m
		sleep 0.2
	done
	return 1
}

# the 11x11 grid of the screen (rows 4-14, first 11 columns), one ASCII
# character per cell: # a block, 1-3 the shades, . a space, * a dot
cells() {
	screen | sed -n 4,14p | sed 's/█/#/g; s/▓/3/g; s/▒/2/g; s/░/1/g; s/·/*/g' | cut -c1-11 | tr ' ' .
}

for spec in "80 24" "160 50" "80 24 --mono"; do
	set -- $spec
	start "$1" "$2" "${3:-}"
	name="$1x$2${3:+ $3}"
	keys h
	wait_for 'H 2/2' 10
	mode 'step change|change over the last step, per cell'
	check "$name: m reaches step change" $?
	wait_for '\|d logits\(z_H\)\| [0-9][.0-9e+-]*\.\.[0-9][.0-9e+-]*:' 5
	check "$name: its legend gives the range of the H-step's changes" $?
	keys l
	wait_for '\|d logits\(z_L\)\| [0-9][.0-9e+-]*\.\.[0-9][.0-9e+-]*:' 5
	check "$name: after an L-step, z_L's" $?
	screen | grep -q '<\.75 .*to 1'
	check "$name: the legend shows all five shades (the range's text leaves them room)" $?
	keys b
	mode "last change|step each cell's answer last changed"
	check "$name: m reaches last change" $?
	wait_for 'answer last changed: .*never' 5
	check "$name: its legend names the steps of the shades" $?
	if [ "${3:-}" = --mono ]; then
		cells >"$tmp/heat"
		mode prediction && cells >"$tmp/pred" && mode input && cells >"$tmp/input"
		# the prediction of position 3 against the input: 3 (the shade of
		# step 3 of 3) where they differ, blank where not; a missed cell's
		# dot hides its token (open or wall): either is taken there
		paste -d' ' "$tmp/pred" "$tmp/input" "$tmp/heat" | awk '{
			for (i = 1; i <= 11; i++) {
				p = substr($1, i, 1); h = substr($3, i, 1)
				if (p == "*") { if (h != "3" && h != ".") bad++; continue }
				want = p != substr($2, i, 1) ? "3" : "."
				if (h != want) bad++
				if (want == "3") seen++
			}
		} END { exit !(seen > 0 && bad == 0) }'
		r=$?
		[ $r -eq 0 ] || paste "$tmp/pred" "$tmp/input" "$tmp/heat"
		check "$name: last change shades the cells whose answer differs from the input" $r
	fi
	keys q
	wait_for '^EXIT 0' 5
done

exit $fail
