#!/bin/sh
# capture.sh - regenerate the text captures of the TUI in tests/screens/:
# every grid mode, the half-block 30x30 maze at 80x24, sudoku, ARC, the
# inspector, the editor, teaching mode, the help and its page of marks and
# terms, the too-small message, the ASCII fallback, and big terminals
# (160x50, 240x70).  Run from the build directory after make:
#
#   sh tests/screens/capture.sh [MAZE_MODEL_DIR]
#
# Without a model directory it uses models/maze when it is there, else a
# random model (hrmscope init --seed 1).  Sudoku and ARC use random models
# of the same architecture.
set -eu
HRMSCOPE=$(pwd)/hrmscope
srcdir=$(cd "${srcdir:-.}" && pwd)
out=$srcdir/tests/screens
tmp=$(mktemp -d)
sock="hrmscope-screens-$$"
T="tmux -L $sock"
trap '$T kill-server 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM

arch=$srcdir/models/hrm_maze_small.yaml
model=${1:-}
if [ -z "$model" ] && [ -f "$srcdir/models/maze/all_config.yaml" ]; then
	model=$srcdir/models/maze
fi
if [ -z "$model" ]; then
	"$HRMSCOPE" init --arch "$arch" --vocab 6 --seq-len 121 --seed 1 -o "$tmp/maze" >/dev/null
	model=$tmp/maze
fi
"$HRMSCOPE" init --arch "$arch" --vocab 11 --seq-len 81 --seed 1 -o "$tmp/sudoku" >/dev/null
"$HRMSCOPE" init --arch "$arch" --vocab 12 --seq-len 900 --seed 1 -o "$tmp/arc" >/dev/null

$T new-session -d -s keep -x 80 -y 24 "sleep 600"

# shot NAME WIDTH HEIGHT "ENV" "ARGS" "KEYS..." : run, send keys, save the screen
shot() {
	name=$1 w=$2 h=$3 env=$4 args=$5
	shift 5
	$T kill-session -t s 2>/dev/null || true
	$T new-session -d -s s -x "$w" -y "$h" "cd '$srcdir' && env LANG=C.UTF-8 TERM=xterm-256color $env '$HRMSCOPE' tui $args; sleep 60"
	sleep 1
	for k in "$@"; do
		$T send-keys -t s "$k"
		sleep 0.4
	done
	sleep 1.5
	$T capture-pane -t s -p >"$out/$name.txt"
	echo "wrote tests/screens/$name.txt"
}

MAZE="--model $model --puzzle puzzles/examples/maze-11.txt"
shot maze-start 100 40 "" "$MAZE"
shot maze-segment2 100 40 "" "$MAZE" s
i=0
for mode in input prediction probe decoded-zL label diff confidence changed; do
	keys="r"
	j=0
	# the grid opens on the prediction: m steps from there
	steps=$(( (i + 7) % 8 ))
	while [ $j -lt $steps ]; do
		keys="$keys m"
		j=$((j + 1))
	done
	# shellcheck disable=SC2086
	shot "maze-mode-$mode" 100 40 "" "$MAZE" $keys
	i=$((i + 1))
done
shot maze-inspector 100 40 "" "$MAZE" r i j j l l l
shot maze-edit 100 40 "" "$MAZE" e j l Space
shot maze-teaching 100 40 "" "$MAZE --teach"
shot maze30-80x24-half-blocks 80 24 "" "--model $model --puzzle puzzles/examples/maze-30.txt" s
shot maze30-ascii-mono 80 24 "LANG=C LC_ALL=C NO_COLOR=1" "--model $model --puzzle puzzles/examples/maze-30.txt" s
shot sudoku 100 40 "" "--model $tmp/sudoku --puzzle puzzles/examples/sudoku-hard.txt" s
shot arc-mono 100 40 "NO_COLOR=1" "--model $tmp/arc --puzzle puzzles/examples/arc-drop.json:3" s
shot help 100 40 "" "$MAZE" '?'
shot help-marks-and-terms 100 40 "" "$MAZE" '?' Space Space
# big terminals (a projector): larger cells, the input beside the answer, wide bars
shot maze-160x50 160 50 "" "$MAZE" r
shot maze-240x70 240 70 "" "$MAZE" r
shot sudoku-160x50 160 50 "" "--model $tmp/sudoku --puzzle puzzles/examples/sudoku-hard.txt" s
shot arc-mono-160x50 160 50 "NO_COLOR=1" "--model $tmp/arc --puzzle puzzles/examples/arc-drop.json:3" s
shot too-small 60 20 "" "$MAZE"
