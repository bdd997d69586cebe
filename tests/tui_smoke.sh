#!/bin/sh
# tui_smoke.sh - drive the real hrmscope TUI in tmux and check what a person
# sees: the cursor line, the charts growing, the help listing every key of
# the key table, resizing, quitting, signals, scripted keys and recording.
# Needs tmux (skipped without it).  Runs from the build directory.
set -u

SOCK_NAME=hrmscope-test
. "${srcdir:-.}/tests/tui_lib.sh"

start() { # start WIDTH HEIGHT COMMAND...
	w=$1
	h=$2
	shift 2
	$T kill-session -t s 2>/dev/null
	$T new-session -d -s s -x "$w" -y "$h" "cd '$srcdir' && LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color $*; echo EXIT \$?; sleep 60"
}

# a session that keeps the server up while test sessions come and go
$T new-session -d -s keep -x 80 -y 24 "sleep 300"

"$HRMSCOPE" init --arch "$srcdir/models/hrm_maze_small.yaml" --vocab 6 --seq-len 121 --seed 3 -o "$tmp/model" >/dev/null ||
	{ echo "cannot make a model"; exit 99; }
MAZE=puzzles/examples/maze-11.txt
TUI="'$HRMSCOPE' tui --model '$tmp/model' --puzzle $MAZE"

# ---- stepping, charts, grid ----
start 100 40 "$TUI"
wait_for 'segment 1/8 . H 1/2 . L 1/2' 10
check "opens at segment 1/8, H 1/2, L 1/2" $?
grid0=$(screen | sed -n '4,14p' | cut -c1-34)
# before the first H-step z_H is the reset state: the grid shows the maze
# itself (S, G, open corridors), not an answer of all walls
rows0=$(screen | sed -n '4,14p') # whole lines: cut -c counts bytes
echo "$rows0" | grep -q S && echo "$rows0" | grep -q G && echo "$rows0" | grep -q '█ ' &&
	screen | sed -n 3p | grep -q '^Maze 11x11 . input'
check "step 0: the grid shows the maze (S, G, corridors) and says input" $?
keys l
wait_for 'segment 1/8 . H 1/2 . L 2/2' 10 && screen | sed -n 3p | grep -q '^Maze 11x11 . input'
check "l: no H-step yet, still the input" $?
keys b
wait_for 'segment 1/8 . H 1/2 . L 1/2' 10

keys s
wait_for 'segment 2/8 . H 1/2 . L 1/2' 10
check "s: the cursor line moves to segment 2/8" $?
wait_for 'L residual.* 4 bars' 5
check "after a segment the L chart has H_cycles x L_cycles = 4 bars" $?
grid1=$(screen | sed -n '4,14p' | cut -c1-34)
[ "$grid0" != "$grid1" ]
check "the grid changed after a segment" $?
wait_for '^ +1 +[-+][0-9]' 5
check "the halting panel has a row for segment 1" $?

keys h
wait_for 'L residual.* 6 bars' 10
check "h: the L chart grows by L_cycles = 2 bars" $?
screen | sed -n 3p | grep -q '^Maze 11x11 . prediction'
check "after an H-step the grid shows the prediction" $?
wait_for 'H update.* 3 bars' 5
check "h: the H chart grows by 1 bar" $?
wait_for 'segment 2/8 . H 2/2 . L 1/2' 5
check "h: the cursor line moves to H 2/2" $?
keys h
wait_for 'L residual.* 8 bars' 10
check "h again: 8 bars" $?
wait_for 'segment 3/8 . H 1/2' 5
check "h again: segment 3/8" $?
# + and - change the play speed and say so (the default is 400 ms a step)
keys +
wait_for 'play speed: 5.0 steps per second' 5
check "+: play faster, 5.0 steps per second" $?
keys -
wait_for 'play speed: 2.5 steps per second' 5
check "-: play slower, back to 2.5 steps per second" $?
# count the bars a person sees in the L chart's bottom row (above its axis)
row=$(screen | grep -n 'segment 1  ' | head -1 | cut -d: -f1)
bars=$(screen | sed -n "$((row - 1))p" | sed 's/.*┤//' | LC_ALL=C.UTF-8 grep -o '[▁▂▃▄▅▆▇█]' | wc -l)
[ "$bars" -eq 8 ]
check "the L chart's bottom row has 8 bars (got $bars)" $?

keys b
wait_for 'segment 2/8 . H 2/2 . H-step next' 5
check "b: one step back in the history" $?
keys f
wait_for 'segment 3/8 . H 1/2 . L 1/2' 5
check "f: forward again" $?

keys r
wait_for 'segment 8/8 . done' 30
check "r: runs until max-steps halting" $?
wait_for 'max-steps stops|both rules stop' 5
check "the halting panel marks where halting stops" $?

keys m
wait_for '^Maze 11x11 . probe' 10 && wait_gone 'computing the probe' 10 && screen | sed -n 4p | grep -q '[^ ]'
check "m: grid mode probe, computed and drawn" $?
keys c
wait_for 'relative' 5
check "c: the chart metric is named" $?
keys L
wait_for 'linear' 5
check "L: linear scale" $?

# ---- help from the key table ----
keys '?'
wait_for 'hrmscope keys' 5
check "?: the help screen opens" $?
"$HRMSCOPE" tui --list-keys | sed -n 's/^| `\(.*\)` | .*/\1/p' >"$tmp/names"
missing=""
pages=$(screen | sed -n 's/.*page 1\/\([0-9]*\).*/\1/p')
screen >"$tmp/help"
p=1
while [ "$p" -lt "${pages:-1}" ]; do
	keys Space
	sleep 0.3
	screen >>"$tmp/help"
	p=$((p + 1))
done
while IFS= read -r name; do
	grep -qF -- "$name" "$tmp/help" || missing="$missing [$name]"
done <"$tmp/names"
[ -z "$missing" ] && [ -s "$tmp/names" ]
check "?: every key of the key table is listed$missing" $?
# wrapped inside the column: no word cut at its edge (D's "(the official one)" was "(the officia")
grep -q 'official' "$tmp/help" && ! grep -Eq 'officia( |$)' "$tmp/help"
check "?: the key texts wrap inside their column, no word cut" $?
# the last pages: what the marks and the panels' terms mean, each once
missing=""
for term in '^ hrmscope marks and terms . page' 'Marks and terms' ' ◆ +fixed point: ' ' ★ +critical step: ' \
	' = +halting panel: a still segment' ' ◀ +halting panel: where a halting' ' q_halt +q_halt, q_cont: ' \
	' PR N +participation ratio' ' prediction +lm_head\(z_H\)' ' probe +lm_head\(H_level\(z_H, z_L\)\)' \
	' decoded z_L +lm_head\(z_L\)' ' dz_L dz_H +the residual bars'; do
	grep -Eq -- "$term" "$tmp/help" || missing="$missing [$term]"
done
[ -z "$missing" ]
check "?: a glossary page: the marks, q_halt, PR and N, the grid modes$missing" $?
keys x
wait_for 'L residual' 5
check "any key closes the help" $?

# ---- resize ----
$T resize-window -t s -x 60 -y 20
wait_for 'needs at least 80x24' 5
check "60x20: the too-small message" $?
$T resize-window -t s -x 100 -y 40
wait_for 'L residual' 5 && wait_for 'segment 8/8' 5
check "back to 100x40: redrawn" $?

# ---- the mouse, as a terminal sends it (SGR 1006: ESC [ < b ; x ; y M) ----
# the wheel scrolls the history (64 up: back, 65 down: forward, never
# computing past the end); a click on a cell opens the inspector there
mouse() { $T send-keys -t s -l "$(printf '\033[<%s;%s;%s%s' "$1" "$2" "$3" "${4:-M}")"; }
keys End
wait_for 'step 48/48' 10
mouse 64 60 10
wait_for 'step 47/48' 5
check "mouse wheel up: one step back through the history" $?
mouse 64 60 10
mouse 64 60 10
wait_for 'step 45/48' 5
mouse 65 60 10
wait_for 'step 46/48' 5
check "mouse wheel down: one step forward" $?
mouse 65 60 10
mouse 65 60 10
mouse 65 60 10
wait_for 'step 48/48' 5 && sleep 0.5 && screen | grep -q 'step 48/48' && ! screen | grep -q computing
check "mouse wheel down at the end of the history: stays (computes nothing)" $?
mouse 0 8 7
mouse 0 8 7 m
wait_for 'row 4 col 4 ' 5
check "a click on a cell (row 4, col 4) opens the inspector there" $?
mouse 0 2 4
mouse 0 2 4 m
wait_for 'row 1 col 1 ' 5
check "a click on the corner cell moves the inspector to row 1, col 1" $?
keys Escape

# ---- inspector, edit, open ----
keys i
wait_for 'row 1 col 1' 5
check "i: the inspector shows the cell" $?
keys j l
wait_for 'row 2 col 2' 5
check "hjkl move the cell cursor" $?
keys e
wait_for 'editing' 5
check "e: edit mode" $?
keys Space Enter
wait_for 'maze-11.txt \(edited\)' 5
check "editing and Enter re-runs the edited maze" $?
keys Escape o
keys -l "$srcdir/puzzles/examples/maze-15.txt"
keys Enter
wait_for 'maze-15.txt' 10
check "o: opens another puzzle" $?

keys q
wait_for '^EXIT 0' 5 && ! screen | grep -q 'L residual'
check "q quits with status 0 and gives the terminal back" $?

# ---- titles that do not fit are shortened, never cut (11x11 maze at 80x24) ----
start 80 24 "$TUI"
wait_for 'segment 1/8' 10
keys r
wait_for 'segment 8/8 . done' 30
check "80x24: r runs to the end" $?
screen | sed -n 3p | grep -Eq '^Maze 11x11 . prediction( lm_head\(z_H\))? +L residual'
check "80x24: the grid title names the mode in full or in short, not cut" $?
n_now=$(screen | grep -Ec '(L residual|H update).* now [0-9.]+e[-+][0-9][0-9] *$')
[ "$n_now" -eq 2 ]
check "80x24: both chart titles end with the whole current value (got $n_now)" $?
screen | grep -Eq 'r stops at: max-steps *$' && screen | grep -Eq 'seg q_halt .*adapt acc +exact *$'
check "80x24: the halting panel's title and header are whole" $?
screen | grep -Eq '^ .* [0-9] +[-+][0-9]+\.[0-9]{2} +[-+][0-9]+\.[0-9]{2} +(cont|HALT) +(cont|HALT) +([0-9]+%|-) +(yes|no|-)'
check "80x24: the halting rows keep the decisions and the answer" $?
screen | tail -1 | grep -Eq '^ l L-step .*  \? help  q quit *$'
check "80x24: the key hints keep ? help and q quit, whole" $?
keys q

# ---- big terminals: the grid scales, the input beside the answer, the charts get the width ----
# the screen with every character one column: the width of a line is its length
ascii_screen() { screen | LC_ALL=C.UTF-8 sed 's/[^ -~]/?/g'; }
# grid_rows: the rows from the grid's first (line 4) on that start with a
# wall (the maze's outer one), the legend's lines (a swatch and a word) not
grid_rows() { screen | sed -n '4,$p' | grep '^█' | grep -cv '^█ [a-z]'; }
# grid_width: the grid's top row (the maze's outer wall) in characters
grid_width() { screen | sed -n 4p | sed 's/█/#/g; s/[^#].*//' | awk '{ print length }'; }
# chart_end: the last column the bottom row of each chart reaches (the row
# above each "segment 1" axis line), the smaller of the two
chart_end() {
	ascii_screen | awk '/segment 1 / { if (prev != "") { sub(/ +$/, "", prev); n = length(prev); if (min == "" || n < min) min = n } }
		{ prev = $0 } END { print min + 0 }'
}
# h_bars: the bar characters in the H chart's bottom row (right of its axis)
h_bars() {
	screen | awk '/segment 1 / { n++; if (n == 2) print prev } { prev = $0 }' | sed 's/.*┤//' |
		LC_ALL=C.UTF-8 grep -o '[▁▂▃▄▅▆▇█]' | wc -l
}
for size in "160 50" "240 70"; do
	w=${size% *}
	h=${size#* }
	start $w $h "$TUI"
	wait_for 'segment 1/8' 10
	# at step 0, where the grids show the maze (a random model's answer may have no wall)
	rows=$(grid_rows)
	gw=$(grid_width)
	[ "$rows" -ge 22 ] && [ "$gw" -ge 44 ]
	check "${w}x$h: the 11x11 grid is larger than 22x11 ($gw wide, $rows rows of wall)" $?
	keys r
	wait_for 'segment 8/8 . done' 30
	screen | sed -n 3p | grep -Eq '^Maze 11x11 . input +prediction lm_head\(z_H\) +L residual'
	check "${w}x$h: the input and the prediction side by side, each under its title" $?
	end=$(chart_end)
	[ "$end" -gt 85 ]
	check "${w}x$h: both charts reach past column 85 (to $end)" $?
	hb=$(h_bars)
	[ "$hb" -gt 16 ]
	check "${w}x$h: the H chart's 16 bars are wider than a column ($hb characters in its bottom row)" $?
	screen | grep -Eq ' 8 +[-+][0-9.]+ .*(HALT|cont) +(HALT|cont) .*stops?$' && screen | grep -Eq 'no fixed point|fixed from'
	check "${w}x$h: the halting panel keeps its rows and summary" $?
	keys q
done
# resizing lays the screen out again: 100x30 as before, then big, then 80x24
# (at step 0, where both grids show the maze: a random model's answer may have no wall)
start 100 30 "$TUI"
wait_for 'segment 1/8' 10
[ "$(grid_rows)" -eq 11 ] && [ "$(grid_width)" -eq 22 ] && screen | sed -n 3p | grep -Eq '^Maze 11x11 . input +L residual'
check "100x30: one grid of 22x11, as before" $?
$T resize-window -t s -x 240 -y 70
wait_for '^Maze 11x11 . input +input \(no answer' 5 && [ "$(grid_rows)" -ge 33 ] && [ "$(grid_width)" -ge 66 ]
check "resized to 240x70: side by side, cells of 6x3 ($(grid_width) wide, $(grid_rows) rows)" $?
$T resize-window -t s -x 80 -y 24
wait_for '^Maze 11x11 . input +L residual' 5 && [ "$(grid_rows)" -eq 11 ] && [ "$(grid_width)" -eq 11 ]
check "resized to 80x24: one grid of 11x11 again ($(grid_width) wide, $(grid_rows) rows)" $?
keys q

# ---- keys that arrive together each count (typed fast, pasted) ----
# one send-keys is one write: the loop reads all of them before the worker
# has computed the first step, and each must move on from the one before
start 80 24 "$TUI"
wait_for 'step 0/48' 10
keys f f f f
wait_for 'step 4/48 ' 10
check "f f f f in one write: four steps forward" $?
keys b b b
wait_for 'step 1/48 ' 10
check "b b b in one write: three steps back" $?
keys l l l l
wait_for 'segment 2/8 . H 1/2 . L 2/2 . step 7/48 ' 10
check "l l l l in one write: four L-steps (an H-step goes with the L-step after it)" $?
keys s s
wait_for 'segment 4/8 . H 1/2 . L 1/2 . step 18/48 ' 10
check "s s in one write: two segments on" $?
keys q

# ---- signals ----
start 100 40 "$TUI"
wait_for 'segment 1/8' 10
pid=$(pane_pgrep s "tui --model $tmp/model" | head -1)
kill -TERM "$pid" 2>/dev/null
wait_for '^EXIT 143' 5 && ! screen | grep -q 'L residual'
check "SIGTERM restores the terminal (exit 143, screen given back)" $?
start 100 40 "$TUI"
wait_for 'segment 1/8' 10
pid=$(pane_pgrep s "tui --model $tmp/model" | head -1)
kill -SEGV "$pid" 2>/dev/null
wait_for '^EXIT 139' 5 && ! screen | grep -q 'L residual'
check "a crash (SIGSEGV) still gives the terminal back" $?
start 100 40 "$TUI"
wait_for 'segment 1/8' 10
keys C-c
wait_for '^EXIT 130' 5 && ! screen | grep -q 'L residual'
check "Ctrl-C restores the terminal (exit 130)" $?

# ---- scripted keys, recording, teaching ----
start 100 40 "$TUI --keys 's s q' --keys-delay 0 --record '$tmp/demo.cast'"
wait_for '^EXIT 0' 15
check "--keys 's s q' runs and quits" $?
head -1 "$tmp/demo.cast" | grep -q '"version": 2' && grep -q 'segment 3/8' "$tmp/demo.cast"
check "--record writes an asciinema v2 file showing segment 3/8" $?

# W records from inside the TUI: a file named for the time in the current
# folder, an asciinema v2 file with what was on screen; W again stops
$T kill-session -t s 2>/dev/null
mkdir "$tmp/rec"
$T new-session -d -s s -x 100 -y 40 "cd '$tmp/rec' && LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color '$HRMSCOPE' tui --model '$tmp/model' --puzzle '$srcdir/$MAZE'; echo EXIT \$?; sleep 60"
wait_for 'segment 1/8' 10
keys W
wait_for 'recording to hrmscope-[0-9]{8}-[0-9]{6}\.cast: W stops' 5
check "W: recording starts, the status line names the file" $?
keys s
wait_for 'segment 2/8' 10
keys W
wait_for 'recording stopped: hrmscope-.*\.cast \(asciinema play ' 5
check "W again: the recording stops, and says asciinema plays it" $?
cast=$(ls "$tmp/rec"/hrmscope-*.cast 2>/dev/null | head -1)
[ -n "$cast" ] && head -1 "$cast" | grep -q '"version": 2' && grep -q 'segment 2/8' "$cast"
check "W: the .cast file is asciinema v2 and shows segment 2/8" $?
keys q

start 100 40 "$TUI --teach"
wait_for 'L-module|H update' 10
check "teaching mode captions the steps" $?
keys q

# t: on from the start when the run is over, its state and speed on the
# status line, back on after 0 (Home) or the end of the autoplay
start 80 24 "$TUI"
wait_for 'segment 1/8' 10
keys r
wait_for 'segment 8/8 . done' 30
keys t
wait_for 'teaching: on, 0.8 steps/s: t or Esc stops' 5 && wait_for 'segment 1/8 . H 1/2 . (L|teaching)' 5
check "t at the end of the run: teaching from the start, said on the status line" $?
keys 0
wait_for 'teaching: paused: t plays on, Esc stops' 5
check "0 (Home) pauses teaching and says so" $?
keys t
wait_for 'teaching: on, 0.8 steps/s' 5
check "t after 0 (Home): teaching plays on" $?
keys t
wait_for 'teaching: off \(t starts it again\)' 5
check "t while teaching plays: off, and said" $?
# Home as tmux sends it (ESC [ 1 ~) is Home, not Esc and three keys
keys s s
wait_for 'segment 3/8' 10
keys Home
wait_for 'segment 1/8 . H 1/2 . L 1/2 . step 0/48' 5
check "Home (as tmux sends it) goes back to the start" $?
keys t + + + + + +
wait_for 'halted at segment 8 .*t starts over' 30
check "teaching autoplay to the end says t starts over" $?
keys t
wait_for 'teaching: on, 20 steps/s' 5 && wait_for 'segment 1/8' 5
check "t after the autoplay ended: teaching from the start" $?
keys q

# ---- 80x24: no text ends mid-word (issue 22, item 6) ----
# the caption at a segment's end (the longest: what moved, the Q head, how
# right) takes its shorter form and ends on a whole sentence
start 80 24 "$TUI --teach"
wait_for 'segment 1/8' 10
keys 0 r
wait_for 'segment 8/8 . done' 30
wait_for 'H update' 5
cap=$(screen | tail -3 | head -2 | tr -s ' ' | tr '\n' ' ')
echo "$cap" | grep -Eq '(thinking|done|right)\. *$' && echo "$cap" | grep -Eq 'q_(halt|continue)'
check "80x24: the teaching caption at a segment's end ends whole ($cap)" $?
# the caption and the halting panel's row round the same percent one way
pc=$(echo "$cap" | grep -Eo '[0-9]+% of (the )?cells' | grep -Eo '^[0-9]+')
pt=$(screen | grep '◀' | grep -Eo '[0-9]+% (yes|no)' | grep -Eo '^[0-9]+')
[ -n "$pc" ] && [ "$pc" = "$pt" ]
check "the caption's percent right is the halting panel's ($pc % and $pt %)" $?
keys q
# the step counter stays when the cursor line says 'H-step next' and play is
# on: the step times take fewer words, and play is not called idle
start 80 24 "$TUI"
wait_for 'segment 1/8' 10
keys l l
wait_for 'H-step next' 10
keys space
wait_for 'H-step next . step [0-9]+/48 . playing' 15
check "80x24: 'H-step next' while playing keeps the step counter" $?
! screen | sed -n 2p | grep -q idle
check "80x24: playing is not shown with idle" $?
keys space q
# an error wider than the status line takes two lines, ending whole
start 80 24 "$TUI"
wait_for 'segment 1/8' 10
keys o
keys puzzles/examples/sudoku-hard.txt Enter
wait_for 'outside the model' 10 && screen | tail -2 | tr '\n' ' ' | tr -s ' ' | grep -Eq 'of 6 \(sudoku puzzles need 11\) *$'
check "80x24: a long error takes two lines and ends whole" $?
wait_gone 'outside the model' 10 && screen | tail -1 | grep -q 'L-step'
check "the long error goes and the status line is one line again" $?
keys q

# ---- 16 segments (the official hrm_v1's M): labels that never run
# together, and a title that says which bars are shown ----
sed 's/halt_max_steps: 8/halt_max_steps: 16/' "$srcdir/models/hrm_maze_small.yaml" >"$tmp/m16.yaml"
"$HRMSCOPE" init --arch "$tmp/m16.yaml" --vocab 6 --seq-len 121 --seed 3 -o "$tmp/m16" >/dev/null ||
	{ echo "cannot make the 16-segment model"; exit 99; }
# every number on a segment axis: increasing and at most 16 (run together,
# "10111213" would not be), and the steps between them never shrinking
# along the axis (every k-th as the numbers widen; a partly shown first
# segment whose number took the next one's room, "7    9   10", would not)
axis_ok() {
	screen | grep -E '^.*segment( +[0-9]+)+ *$' | sed 's/.*segment//' | awk '
		{ prev = 0; step = 0
		  for (i = 1; i <= NF; i++) {
			if ($i > 16 || $i <= prev) bad = 1
			if (i > 1 && $i - prev < step) bad = 1
			if (i > 1) step = $i - prev
			prev = $i
		  }; n++ }
		END { exit !(n >= 2 && !bad) }'
}
for size in "100 30" "80 24"; do
	start $size "'$HRMSCOPE' tui --model '$tmp/m16' --puzzle $MAZE"
	wait_for 'segment 1/16' 10
	# the first header line: the model's sizes whole, in fewer words if need be
	screen | sed -n 1p | grep -Eq 'M 16\) +fp32 *$'
	check "M 16 at ${size% *}x${size#* }: the header's model sizes end whole" $?
	keys r
	wait_for 'segment 16/16 . done' 30
	axis_ok
	check "M 16 at ${size% *}x${size#* }: the segment labels stay apart" $?
	wait_for 'L residual dz_L.*bars [0-9]+-64/64' 5
	check "M 16 at ${size% *}x${size#* }: the L chart title says which of the 64 bars are shown" $?
	if [ "$size" = "100 30" ]; then
		# the halting table keeps the last segments in view: it says so
		screen | grep -Eq 'seg q_halt .* [0-9]+-16 of 16 *$'
		check "M 16 at 100x30: the halting table says which of the 16 segments it shows" $?
	fi
	wait_for 'no fixed point( in 16 segments)? ' 5 && ! screen | grep -q 'no fixed point yet'
	check "M 16 at ${size% *}x${size#* }: after the last segment, no fixed point is not 'yet'" $?
	keys q
done

# ---- a smaller maze is walled into the model's canvas (as run does) ----
start 100 40 "'$HRMSCOPE' tui --model '$tmp/model' --puzzle puzzles/examples/maze-7.txt"
wait_for "note: a 7x7 maze, walled into the model's 11x11 canvas" 10 && wait_for '^Maze 11x11' 2
check "a 7x7 maze on an 11x11 model: walled into its canvas, and said" $?
keys q

# ---- the arithmetic: the header names it, D switches and restarts ----
start 100 40 "$TUI"
wait_for 'segment 1/8' 10 && screen | sed -n 1p | grep -Eq '^ hrmscope .* fp32 *$'
check "the header names the arithmetic: fp32" $?
keys s
wait_for 'segment 2/8 . H 1/2 . L 1/2 . step 6/48' 10
keys D
wait_for 'dtype bf16: the puzzle restarted' 10 && wait_for 'segment 1/8 . H 1/2 . L 1/2 . step 0/48' 10 &&
	screen | sed -n 1p | grep -Eq '^ hrmscope .* bf16 *$'
check "D: bf16 in the header, the puzzle restarted from step 0" $?
keys s
wait_for 'segment 2/8 . H 1/2 . L 1/2 . step 6/48' 10 && wait_for 'L residual.* 4 bars' 5
check "bf16: a segment runs" $?
keys D
wait_for 'dtype fp32: the puzzle restarted' 10 && wait_for 'step 0/48' 10 &&
	screen | sed -n 1p | grep -Eq '^ hrmscope .* fp32 *$'
check "D again: back to fp32, restarted" $?
keys q
start 100 40 "$TUI --dtype bf16"
wait_for 'segment 1/8' 10 && screen | sed -n 1p | grep -Eq '^ hrmscope .* bf16 *$'
check "tui --dtype bf16 starts in bf16" $?
keys q

# ---- monochrome ----
start 100 40 "NO_COLOR=1 $TUI"
wait_for 'segment 1/8' 10
screen | sed -n '4,14p' | grep -q '█'
check "NO_COLOR: the maze still shows (walls as blocks)" $?
# the legend shows the glyphs the grid draws: walls as blocks, missed as dots
keys s
wait_for 'segment 2/8' 10
screen | grep -q '█ wall' && ! screen | grep -q '# wall' && screen | grep -q '· missed'
check "NO_COLOR: the legend's wall is the block the grid draws (not #)" $?
keys q

# ---- the sudoku editor hints at digits, not walls, S and G ----
"$HRMSCOPE" init --arch "$srcdir/models/hrm_maze_small.yaml" --vocab 11 --seq-len 81 --seed 1 -o "$tmp/sudoku" >/dev/null ||
	{ echo "cannot make the sudoku model"; exit 99; }
start 100 40 "'$HRMSCOPE' tui --model '$tmp/sudoku' --puzzle puzzles/examples/sudoku-hard.txt"
wait_for 'segment 1/8' 10
keys e
wait_for 'digit +Enter re-run' 10 && ! screen | tail -1 | grep -Eq 'wall|start|goal'
check "sudoku editor: the hints name digits, not a maze's walls, start and goal" $?
keys Escape q

# ---- not a terminal ----
msg=$("$HRMSCOPE" tui --model "$tmp/model" --puzzle "$srcdir/$MAZE" </dev/null 2>&1 | cat)
echo "$msg" | grep -q 'hrmscope run' && echo "$msg" | grep -q 'trace'
check "stdout not a terminal: points to hrmscope run / trace" $?

# ---- no arguments ----
start 100 40 "'$HRMSCOPE'"
if [ -f "$srcdir/models/maze/all_config.yaml" ] || [ -f "$(dirname "$HRMSCOPE")/models/maze/all_config.yaml" ]; then
	wait_for 'segment 1/' 15
	check "no arguments: the embedded model on a bundled maze" $?
	# adaptive halting: the header names the segment that halted, and r
	# there says so instead of running on
	keys a r
	wait_for 'segment [1-7]/8 . halted \(adaptive\)' 15
	check "a r: the header says which segment halted (adaptive)" $?
	seg=$(screen | sed -n 's/.*segment \([1-7]\)\/8 . halted.*/\1/p' | head -1)
	keys r
	wait_for 'the run halted here \(adaptive\)' 5 && wait_for "segment $seg/8 . halted" 2
	check "r after an adaptive halt: stays, and says so" $?
	keys ' '
	wait_for "halted at segment $seg " 5
	check "space after an adaptive halt names the same segment" $?
	keys q
	# the trained model's caption at the end (the plan moved, the answer did
	# not, the model believes it is done, exactly right) is the longest: at
	# 80x24 it takes a shorter form and ends whole
	start 80 24 "'$HRMSCOPE' tui --teach"
	wait_for 'segment 1/' 15
	keys 0 r
	wait_for 'segment 8/8 . done' 15
	wait_for 'H update' 5
	cap=$(screen | tail -3 | head -2 | tr -s ' ' | tr '\n' ' ')
	echo "$cap" | grep -Eq '(thinking|done|right)\. *$'
	check "80x24: the trained model's last caption ends whole ($cap)" $?
	keys q
	# the inspector names the padding token (no bare '?'); decoded z_L says
	# its letters are tokens, not an answer (a wall may read as S)
	start 100 40 "'$HRMSCOPE'"
	wait_for 'segment 1/' 15
	keys r
	wait_for 'segment 8/8 . done' 15
	keys i
	wait_for 'row 1 col 1' 5 && screen | grep -Eq '^softmax .* pad [0-9]' && ! screen | grep -Eq '^(softmax|stablemax) .*\? [0-9]'
	check "inspector: the padding token is 'pad', not '?'" $?
	keys Escape m m
	wait_for '^Maze 11x11 . decoded z_L' 5 && screen | grep -q "z_L's tokens, not an answer"
	check "decoded z_L: the legend says the tokens are not an answer" $?
	keys q
	# 80x24, the smallest screen, after a run with a critical step: nothing cut
	start 80 24 "'$HRMSCOPE'"
	wait_for 'segment 1/' 15
	keys r
	wait_for 'segment 8/8 . done' 15
	wait_for 'H update dz_H .* crit [0-9.H]+ . abs log' 5
	check "80x24: the H chart title keeps the metric and the scale beside the critical mark" $?
	keys c
	wait_for 'H update dz_H .* rel log' 5
	check "80x24: c changes the metric the H chart title names" $?
	screen | grep -Eq '(fixed from [0-9]+ \([a-z]+\)|no fixed point( yet)?) +. crit ([0-9]+(\.H[0-9]+)?|-|not yet) *$'
	check "80x24: the fixed-point line ends whole (the critical step with its value)" $?
	keys '?'
	wait_for 'hrmscope keys' 5
	screen | tail -1 | grep -Eq 'last[- ]change\.? *$'
	check "80x24: the help's grid-mode line ends whole" $?
	keys z q
else
	wait_for 'embedded maze model .* is not there yet' 5
	check "no arguments, no embedded model yet: one clear line" $?
fi

exit $fail
