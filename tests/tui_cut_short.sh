#!/bin/sh
# tui_cut_short.sh - a checkpoint cut short while the TUI has it open (its
# puzzle-embedding table stays mapped, core/fmap.h): the next puzzle reads
# the lost rows as zeros instead of dying of SIGBUS, the status line says
# so at once, and q exits with status 1 and the one-line message, the
# terminal restored.  At 80x24 and 160x50.  Needs tmux (skipped without
# it).
set -u

SOCK_NAME=hrmscope-cut
. "${srcdir:-.}/tests/tui_lib.sh"

$T new-session -d -s keep -x 80 -y 24 "sleep 300"

for size in 80x24 160x50; do
	# a maze model whose table (20000 rows, 5 MB) stays in the mapped file
	rm -rf "$tmp/model"
	"$HRMSCOPE" init --arch "$srcdir/models/hrm_maze_small.yaml" --vocab 6 --seq-len 121 \
		--puzzle-ids 20000 --seed 2 -o "$tmp/model" >/dev/null || { echo "cannot make a model"; exit 99; }
	$T kill-session -t s 2>/dev/null
	$T new-session -d -s s -x "${size%x*}" -y "${size#*x}" "LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color '$HRMSCOPE' tui --model '$tmp/model'; echo EXIT \$?; sleep 60"
	wait_for 'segment 1/8' 10
	check "$size: opens on a fresh maze" $?
	keys s
	wait_for 'segment 2/8' 10
	check "$size: s runs a segment" $?
	: >"$tmp/model/checkpoint"      # cut to nothing while open
	keys n
	wait_for 'segment 1/8' 10
	keys s
	wait_for 'changed while open \(cut short\)' 10
	check "$size: after the next puzzle the status line says the checkpoint changed while open" $?
	screen | grep -q 'Bus error\|^EXIT'
	[ $? -ne 0 ]
	check "$size: still running (no SIGBUS death)" $?
	keys q
	wait_for '^EXIT' 10
	screen | grep -q '^EXIT 1$'
	check "$size: q exits with status 1" $?
	screen | tr -d '\n' | grep -q "hrmscope: $tmp/model/checkpoint: changed while open (cut short)"
	check "$size: and prints the one-line message naming the file" $?
done
exit $fail
