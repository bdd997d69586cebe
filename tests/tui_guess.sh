#!/bin/sh
# tui_guess.sh - drive the real hrmscope TUI in tmux: the fixed-point and
# critical-step marks on the charts and the halting panel, and the guesses
# view (G): the table of fixed points with counts, the vote, stepping into
# one run with the debugger and back, another perturbation, a larger K, and
# the help listing the view's keys.  Needs tmux (skipped without it).  Runs
# from the build directory.
set -u

SOCK_NAME=hrmscope-guess
. "${srcdir:-.}/tests/tui_lib.sh"

"$HRMSCOPE" gen maze --size 5 --count 2 --test-count 4 --seed 11 -o "$tmp/mazes" >/dev/null 2>&1 ||
	{ echo "cannot make the mazes"; exit 99; }
MODEL=$srcdir/tests/fixtures/models/tiny_maze

$T new-session -d -s keep -x 80 -y 24 "sleep 120"
$T new-session -d -s s -x 110 -y 40 "cd '$tmp' && LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color '$HRMSCOPE' tui --model '$MODEL' --puzzle mazes:test:1; echo EXIT \$?; sleep 60"
wait_for 'segment 1/4' 10
check "the TUI opens on the 5x5 maze" $?

# ---- the fixed point, marked ----
keys r
wait_for 'segment 4/4 . done' 10
check "r: runs the 4 segments" $?
wait_for 'fixed point from seg [0-9]' 5
check "the halting panel names the segment the trajectory entered a fixed point" $?
wait_for 'L residual dz_L . fixed [0-9]' 5
check "the L chart's title carries the fixed-point mark" $?
row=$(screen | grep -n 'L residual' | head -1 | cut -d: -f1)
screen | sed -n "$((row + 1))p" | grep -q '◆'
check "the mark stands over the chart's bars" $?
screen | grep -Eq '(^| )◆ +[0-9] +[-+][0-9]' # the row, after what the left panels show
check "the halting panel marks the entry row" $?

# ---- the guesses view ----
keys G
wait_for 'Guesses . K = 8 versions as one batch . perturbation augment' 5
check "G: the guesses view opens" $?
wait_for 'vote: majority [A-Z]+ \([0-9]+ of 8' 10
check "the vote over the 8 runs" $?
screen | grep -Eq '^ +A +[0-9]+ +[0-9]+%'
check "the table of fixed points with counts" $?
n=$(screen | grep -Ec '^[> ] +[0-9]+ +[0-7] +(as given|rot|flip|transpose|anti)')
[ "$n" -eq 8 ]
check "eight runs listed (got $n)" $?
keys '?'
wait_for 'Guesses view \(G\)' 5 || { keys Space; wait_for 'Guesses view \(G\)' 5; }
check "the help lists the guesses view's keys" $?
keys z
wait_for 'vote: majority' 5
check "any key closes the help, back to the guesses" $?

keys j
wait_for '^> +2 ' 5
check "j selects the next run" $?
desc=$(screen | sed -n 's/^> *2 *1  *\([a-z-]*\).*/\1/p' | head -1)
keys Enter
wait_for "\\[guess 2: $desc\\]" 5
check "Enter steps into run 2 ($desc) with the debugger" $?
keys r
wait_for 'segment 4/4 . done' 10
check "the run can be stepped like any puzzle" $?
keys G
wait_for 'vote: majority' 5 && ! screen | grep -q 'computing the' && ! screen | grep -q 'Guesses.*\[guess 2'
check "G comes back to the table of the original puzzle, not recomputed for the run" $?

keys x
wait_for 'perturbation dihedral' 5 && wait_for 'vote: majority' 10
check "x: the next perturbation, computed again" $?
keys +
wait_for 'K = 16 versions' 5 && wait_for 'vote: majority' 10
check "+: K = 16" $?
# the 8 dihedral versions twice: said, and each counted once in the vote
screen | grep -q 'K 16 > the 8 distinct versions: runs 9-16 repeat runs 1-8, each counted once' &&
	screen | grep -Eq 'majority [A-Z]+ \([0-9]+ of 8, right'
check "K 16 with dihedral: runs 9-16 repeat 1-8, said, and the vote counts 8" $?
$T resize-window -t s -x 80 -y 24
wait_for 'plain run: [A-Z]+ \(right (yes|no)\)' 5
check "80x24: the vote is whole (the plain run on a line of its own)" $?
screen | grep -Eq '^  run  perturbation +q_halt +fixed pt +critical +group +right *$' &&
	screen | grep -Eq '^[> ] +[0-9]+  (as given|rot|flip|transpose|anti|dihedral)[^ ]* .* (yes|no) *$'
check "80x24: the run table keeps its columns up to 'right'" $?
$T resize-window -t s -x 110 -y 40
keys Escape
wait_for 'L residual' 5
check "Esc: back to the debugger" $?
# o: from the run stepped into, back to the original puzzle where its run
# was (the whole run, r'd before G: step 24 of 24)
keys G
wait_for 'vote: majority' 5
keys o
wait_for 'back to .* at step 24: G shows the guesses again' 5 && wait_for 'segment 4/4 . done' 10 &&
	! screen | sed -n 1p | grep -q '\[guess'
check "o: back to the original puzzle, where its run was" $?

keys q
wait_for '^EXIT 0' 5
check "q quits with status 0" $?

# ---- the guesses follow the arithmetic (D): the plain run's q_halt after
# the 4 segments is -1.164 in fp32 and -1.148 in bf16 (the bf16 engine's,
# tests/check_dtype_cli.c) ----
$T kill-session -t s 2>/dev/null
$T new-session -d -s s -x 110 -y 40 "cd '$tmp' && LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color '$HRMSCOPE' tui --model '$MODEL' --puzzle mazes:test:1; echo EXIT \$?; sleep 60"
wait_for 'segment 1/4' 10
keys G
wait_for 'vote: majority' 10 && screen | grep -Eq '^> +1 +0  as given +-1\.164 '
check "fp32: the plain run's q_halt in the guesses is fp32's (-1.164)" $?
keys Escape D
wait_for 'dtype bf16: the puzzle restarted' 5
keys G
wait_for 'vote: majority' 10 && screen | grep -Eq '^> +1 +0  as given +-1\.148 ' &&
	screen | sed -n 1p | grep -Eq ' bf16 *$'
check "D then G: the guesses computed again in bf16 (-1.148)" $?
keys Escape r
wait_for 'segment 4/4 . done' 10 && screen | grep -Eq ' 4 +-1\.15 +\.[0-9]+ +-1\.36 '
check "bf16: the halting panel's last q_halt is bf16's (-1.15)" $?
keys q
wait_for '^EXIT 0' 5

# ---- Esc while the guesses still compute (the 27M architecture, where
# they take seconds): the job is cancelled and the status line says so ----
"$HRMSCOPE" init --arch "$srcdir/models/hrm_v1.yaml" --vocab 6 --seq-len 121 --seed 1 -o "$tmp/big" >/dev/null ||
	{ echo "cannot make the 27M model"; exit 99; }
$T kill-session -t s 2>/dev/null
$T new-session -d -s s -x 110 -y 40 "cd '$srcdir' && LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color '$HRMSCOPE' tui --model '$tmp/big' --puzzle puzzles/examples/maze-11.txt; echo EXIT \$?; sleep 60"
wait_for 'segment 1/16' 20
keys G
wait_for 'Guesses . K = 8' 10
# progress a step at a time: a step inside the first segment (of 6 steps)
# shows before the segment ends
wait_for 'computing the 8 versions: step [1-5] of 96 . segment 1 of 16' 30
check "27M: the guesses' progress moves a step at a time (not only per segment)" $?
keys Escape
wait_for 'guesses cancelled \(G starts them again\)' 5
check "Esc while the guesses compute cancels them, and says so" $?
keys q
wait_for 'EXIT 0' 20
check "q right after: the TUI exits at once" $?

exit $fail
