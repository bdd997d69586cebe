#!/bin/sh
# tui_trm.sh - the real TUI on an official-format TRM checkpoint (the
# golden_trm/att_rope_lp16 fixture, made as the official trainer saves) at
# 80x24 and 160x45: the header names the architecture, the panels name the
# states both ways (y (z_H), z (z_L)), the halting panel says q_cont is
# unused and draws its values dim, a names TRM's halting rule, v shows
# the one network's attention after an H-step, and the steps run.
# Needs tmux (skipped without it).  Runs from the build directory.
set -u

SOCK_NAME=hrmscope-trm
. "${srcdir:-.}/tests/tui_lib.sh"

MODEL="$srcdir/tests/fixtures/golden_trm/att_rope_lp16"
MAZE=puzzles/examples/maze-11.txt
run() { # run WIDTH HEIGHT
	$T kill-session -t s 2>/dev/null
	$T new-session -d -s s -x "$1" -y "$2" "cd '$srcdir' && LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color '$HRMSCOPE' tui --model '$MODEL' --puzzle $MAZE; echo EXIT \$?; sleep 60"
}
$T new-session -d -s keep -x 80 -y 24 "sleep 300"

for size in 80x24 160x45; do
	run "${size%x*}" "${size#*x}"
	wait_for 'segment 1/4 . H 1/2 . L 1/2' 10
	check "$size: opens at segment 1/4, H 1/2, L 1/2" $?
	screen | sed -n 1p | grep -q 'att_rope_lp16 (TRM'
	check "$size: the header names the architecture" $?
	$T send-keys -t s s
	wait_for 'segment 2/4 . H 1/2 . L 1/2' 10
	check "$size: s runs the segment (2 x (2 L-steps + 1 H-step))" $?
	# v after the H-step: the attention of the one network's L_level
	$T send-keys -t s v
	wait_for 'Attention L_level layer 1/[1-9]' 10 && sleep 0.5 && ! screen | grep -q 'has layers'
	check "$size: v after an H-step shows L_level's attention, layer 1" $?
	$T send-keys -t s v
	wait_gone 'Attention L_level' 5
	screen | grep -q 'PR(y (z_H))' && screen | grep -q 'PR(z (z_L))'
	check "$size: PR names the states both ways" $?
	screen | grep -q 'H update dy (dz_H)' && screen | grep -q 'L residual dz (dz_L)'
	check "$size: the charts name the states both ways" $?
	screen | grep -q 'Halting (.*q_cont unused'
	check "$size: the halting panel says q_cont is unused" $?
	# the q_cont value of segment 1 is drawn dim (SGR 2) after q_halt's
	$T capture-pane -t s -p -e | grep -a '  1  -[0-9.]* ' | grep -aq "$(printf '\033')\[0;2m"
	check "$size: q_cont's value is dim" $?
	# a: adaptive halting by TRM's rule (q_halt > 0; q_continue is unused)
	$T send-keys -t s a
	wait_for 'adaptive halting \(q_halt > 0\)' 5
	check "$size: a names TRM's halting rule, q_halt > 0" $?
	# m through the grid modes until the decoded latent (at most all 8)
	n=0
	until screen | grep -q 'decoded z (z_L)\|decoded lm_head(z (z_L))' || [ $n -ge 8 ]; do
		$T send-keys -t s m
		sleep 0.5
		n=$((n + 1))
	done
	screen | grep -q 'decoded z (z_L)\|decoded lm_head(z (z_L))'
	check "$size: m: the grid decodes z (z_L)" $?
	$T send-keys -t s q
	wait_for 'EXIT 0' 5
	check "$size: q quits with status 0" $?
done
exit $fail
