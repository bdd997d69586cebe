#!/bin/sh
# tui_views.sh - the attention view (v) and the trajectory map (z) of the
# real hrmscope TUI in tmux, at 80x24, 200x60 and in monochrome: what they
# say agrees with `hrmscope attn` and `hrmscope traj` on the same step, and
# their keys change what they show.  Needs tmux (skipped without it).
set -u
# the braille and shade checks match characters, not bytes
export LC_ALL=C.UTF-8

SOCK_NAME=hrmscope-views
. "${srcdir:-.}/tests/tui_lib.sh"

start() { # start WIDTH HEIGHT COMMAND...
	w=$1
	h=$2
	shift 2
	$T kill-session -t s 2>/dev/null
	$T new-session -d -s s -x "$w" -y "$h" "cd '$srcdir' && LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color $*; echo EXIT \$?; sleep 60"
}
$T new-session -d -s keep -x 80 -y 24 "sleep 300"

MODEL=models/maze
MAZE=puzzles/examples/maze-11.txt
TUI="'$HRMSCOPE' tui --model $MODEL --puzzle $MAZE"
cd "$srcdir" || exit 99

# the numbers the views must show, from the headless commands
cli=$("$HRMSCOPE" attn --model $MODEL --puzzle $MAZE --segment 1 --step 6 --layer 0 --cell 3,4) ||
	{ echo "hrmscope attn failed"; exit 1; }
pre=$(echo "$cli" | sed -n 's/^prefix tokens (puzzle embedding): \([0-9.]*\) %.*/\1/p' | awk '{ printf "%.1f", $1 }')
top=$(echo "$cli" | sed -n 's/^largest: (\([0-9]*\),\([0-9]*\)) \([0-9.]*\) %.*/(\1,\2) \3/p' |
	awk '{ printf "%s %.1f", $1, $2 }')
cli2=$("$HRMSCOPE" attn --model $MODEL --puzzle $MAZE --segment 1 --step 6 --layer 1 --head 0 --cell 3,4)
top2=$(echo "$cli2" | sed -n 's/^largest: (\([0-9]*\),\([0-9]*\)) \([0-9.]*\) %.*/(\1,\2) \3/p' |
	awk '{ printf "%s %.1f", $1, $2 }')
pc=$("$HRMSCOPE" traj --model $MODEL --puzzle $MAZE | sed -n 's/^explained variance: PC1 \([0-9.]*\) %, PC2 \([0-9.]*\) %/\1 \2/p' |
	awk '{ printf "PC1 %.1f %%, PC2 %.1f %%", $1, $2 }')
pcL=$("$HRMSCOPE" traj --model $MODEL --puzzle $MAZE --state zL |
	sed -n 's/^explained variance: PC1 \([0-9.]*\) %.*/\1/p' | awk '{ printf "PC1 %.1f %%", $1 }')
# as patterns: the cell's parentheses literal
top_re=$(echo "$top" | sed 's/[()]/\\&/g')
top2_re=$(echo "$top2" | sed 's/[()]/\\&/g')
[ -n "$pre" ] && [ -n "$top" ] && [ -n "$top2" ] && [ -n "$pc" ] && [ -n "$pcL" ] ||
	{ echo "cannot read the headless numbers"; exit 1; }

# ---- 80x24: the attention of the cell (3,4) at the first H-step ----
start 80 24 "$TUI"
wait_for 'segment 1/8' 10
check "80x24: opens" $?
keys v
wait_for 'No step yet' 5
check "v before any step: says there is no step yet" $?
keys s
wait_for 'step 6/48' 10
keys i Down Down Down Right Right Right Right Escape
wait_for 'from cell \(3,4\)' 5 && wait_for "Attention H_level layer 1/2 . mean of 4 heads" 5
check "v: the H_level's attention from the inspected cell (3,4)" $?
wait_for "prefix tokens $pre % . top $top_re %" 10
check "80x24: prefix share and top cell as hrmscope attn ($pre %, $top %)" $?
screen | grep -q '◆ the cell' && screen | grep -q '< > layer'
check "80x24: the legend and the keys fit" $?
keys '>' '}'
wait_for "layer 2/2 . head 1/4" 5 && wait_for "top $top2_re %" 10
check "> and }: layer 2, head 1, as hrmscope attn --layer 1 --head 0 ($top2 %)" $?
keys H
wait_for "layer 2/2 . mean of 4 heads" 5
check "H: back to the mean over heads" $?
keys l
wait_for "Attention L_level layer 2/2" 10 && wait_for "segment 2 . L-step 1/6" 5
check "l: the L-step's attention, L_level" $?
keys v
wait_for 'L residual' 5
check "v again: the charts come back" $?

# ---- the trajectory map ----
keys r
wait_for 'step 48/48' 20
keys z
wait_for "explained: $pc \(48 steps\)" 10
check "z: the map's explained variance as hrmscope traj ($pc)" $?
# braille dots (U+2801..U+28FF: bytes E2 A0..A3 xx), never the blank one (U+2800)
braille=$(printf '\342[\240-\243]')
blank=$(printf '\342\240\200')
screen | LC_ALL=C grep -q "$braille" && ! screen | LC_ALL=C grep -q "$blank" &&
	screen | grep -q 'right answer' && screen | grep -q '◉'
check "z: braille dots, the right answer's region and the step on screen marked" $?
keys Z
wait_for "z_L, cell mean" 5 && wait_for "explained: $pcL" 5
check "Z: the map of z_L ($pcL)" $?
keys z
wait_for 'L residual' 5
check "z again: the charts come back" $?

# ---- the guesses view's map: the K runs together ----
gpc=$("$HRMSCOPE" traj --model $MODEL --puzzle $MAZE --guesses 8 |
	sed -n 's/^explained variance: PC1 \([0-9.]*\) %, PC2 \([0-9.]*\) %/\1 \2/p' |
	awk '{ printf "PC1 %.1f %%, PC2 %.1f %%", $1, $2 }')
keys G
wait_for 'vote: majority' 20
keys z
wait_for "8 runs x 48 steps . explained: $gpc" 10 && screen | LC_ALL=C grep -q "$braille" &&
	screen | LC_ALL=C grep -q "$(printf '\342[\240-\243][\200-\277]')A" && screen | grep -q 'the group each run ends in'
check "G z: the 8 runs' map, as hrmscope traj --guesses 8 ($gpc), each run's group" $?
keys z
wait_for 'vote: majority' 5
check "G z z: the tables again" $?
keys Escape q

# ---- 200x60: the whole grid, and the map's size ----
start 200 60 "$TUI"
wait_for 'segment 1/8' 10
keys s
wait_for 'step 6/48' 10
keys i Down Down Down Right Right Right Right Escape v
wait_for "prefix tokens $pre % . top $top_re %" 10 && ! screen | grep -q '(a part)'
check "200x60: the attention of the whole 11x11 grid" $?
keys z
wait_for 'explained: PC1' 10 && [ "$(screen | LC_ALL=C grep -c "$braille")" -ge 40 ]
check "200x60: the map spans the panel" $?
keys q

# ---- bf16: the weights in the bf16 forward's rounding ----
b=$("$HRMSCOPE" attn --model $MODEL --puzzle $MAZE --segment 1 --step 6 --layer 0 --cell 3,4 --dtype bf16)
bpre=$(echo "$b" | sed -n 's/^prefix tokens (puzzle embedding): \([0-9.]*\) %.*/\1/p' | awk '{ printf "%.1f", $1 }')
btop=$(echo "$b" | sed -n 's/^largest: (\([0-9]*\),\([0-9]*\)) \([0-9.]*\) %.*/\\(\1,\2\\) \3/p' |
	awk '{ printf "%s %.1f", $1, $2 }')
start 80 24 "$TUI --dtype bf16"
wait_for 'segment 1/8' 10
keys s
wait_for 'step 6/48' 10
keys i Down Down Down Right Right Right Right Escape v
wait_for "prefix tokens $bpre % . top $btop %" 10
check "--dtype bf16: the attention as hrmscope attn --dtype bf16 ($bpre %, $btop %)" $?
keys q

# ---- monochrome: the heat map in shades ----
start 80 24 "$TUI --mono"
wait_for 'segment 1/8' 10
keys s v
wait_for "prefix tokens [0-9.]+ %" 10 && screen | grep -Eq '[░▒▓█]' && screen | grep -q '◆'
check "--mono: the weights as shades, the cell marked" $?
keys q

exit $fail
