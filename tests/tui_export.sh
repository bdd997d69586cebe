#!/bin/sh
# tui_export.sh - E in the real TUI, in tmux: the status line names the
# files; the .txt is the screen tmux shows, the .svg draws it (its text,
# coloured rects, none in --mono), the .csv holds the charts' data (the
# halting panel's q_halt, the position on screen); a name in use is never
# overwritten.  At 80x24 and 160x50.  Needs tmux (skipped without it).
set -u

SOCK_NAME=hrmscope-export
. "${srcdir:-.}/tests/tui_lib.sh"

$T new-session -d -s keep -x 80 -y 24 "sleep 300"
MAZE="$srcdir/puzzles/examples/maze-11.txt"
mkdir "$tmp/out"

# start W H [OPTIONS]: the embedded model on the maze, in $tmp/out
start() {
	$T kill-session -t s 2>/dev/null
	$T new-session -d -s s -x "$1" -y "$2" "cd '$tmp/out' && LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color '$HRMSCOPE' tui --model '$srcdir/models/maze' --puzzle '$MAZE' ${3:-}; echo EXIT \$?; sleep 60"
	wait_for 'segment 1/8' 10
}

# export: E, then the base name the status line gives (empty if none)
export_now() {
	screen >"$tmp/before.txt"
	keys E
	wait_for 'exported hrmscope-[0-9]{8}-[0-9]{6}(-[0-9]+)?\.txt, \.svg' 5 || { echo ""; return; }
	screen | sed -n 's/.*exported \(hrmscope-[0-9-]*\)\.txt.*/\1/p' | tail -1
}

for size in 80x24 160x50; do
	w=${size%x*}
	h=${size#*x}
	start "$w" "$h"
	keys s
	wait_for 'segment 2/8' 10
	keys s
	wait_for 'segment 3/8' 10
	base=$(export_now)
	[ -n "$base" ]
	check "$size: E names the files on the status line" $?
	# the text file is the screen tmux showed before E (trailing blanks aside)
	sed 's/ *$//' "$tmp/before.txt" >"$tmp/want.txt"
	cmp -s "$tmp/want.txt" "$tmp/out/$base.txt"
	check "$size: the .txt is the screen" $?
	svg="$tmp/out/$base.svg"
	head -2 "$svg" | grep -q "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"$((w * 9))\" height=\"$((h * 18))\"" &&
		tail -1 "$svg" | grep -q '^</svg>$'
	check "$size: the .svg is a grid of ${w}x${h} cells" $?
	grep -q '<text x="[0-9 ]*" y="[0-9]*" fill="#[0-9a-f]*"[^>]*>[^<]*segment 3/8' "$svg"
	check "$size: the .svg has the screen's text" $?
	n=$(grep -o '<rect [^>]*fill="#[0-9a-f]*"' "$svg" | sed 's/.*fill=//' | sort -u | wc -l)
	[ "$n" -ge 4 ]
	check "$size: the .svg keeps the colours (rects of $n colours)" $?
	csv="$tmp/out/$base.csv"
	head -1 "$csv" | grep -q '^position,on_screen,kind,segment,h_cycle,l_step,res_abs,res_rel,res_rms,' &&
		[ "$(wc -l <"$csv")" -eq 14 ] &&
		grep -q '^12,1,H,1,1,,' "$csv"
	check "$size: the .csv has positions 0..12, the one on screen marked" $?
	# q_halt of segment 2 (column 14) as the halting panel prints it
	q=$(awk -F, '$1 == 12 { printf "%+.2f", $14 }' "$csv")
	q_re=$(printf '%s' "$q" | sed 's/[+.]/\\&/g')
	[ -n "$q" ] && grep -Eq " 2 +$q_re " "$tmp/before.txt"
	check "$size: the .csv's q_halt ($q) is the halting panel's" $?
	keys q
	wait_for '^EXIT 0' 5
done

# never overwrite: every name of the next five minutes taken, E finds a
# free one (five seconds were too few under ASan on a loaded machine: E
# came at 22:01:54, past the names taken, and rightly used its own)
start 100 40
now=$(date +%s)
for k in $(seq 0 299); do
	stamp=$(date -d "@$((now + k))" +%Y%m%d-%H%M%S)
	echo keep >"$tmp/out/hrmscope-$stamp.svg"
done
base=$(export_now)
case $base in *-[0-9]) true ;; *) false ;; esac
check "E beside files of its name: a new name ($base)" $?
[ "$(cat "$tmp/out"/hrmscope-*.svg | grep -c '^keep$')" -eq 300 ]
check "the files that were there are unchanged" $?
keys q
wait_for '^EXIT 0' 5

# the guesses view: the .csv is its table, a row per run, the vote's group
start 120 40
keys G
wait_for 'vote: majority A' 30
base=$(export_now)
csv="$tmp/out/$base.csv"
[ -n "$base" ] && head -1 "$csv" | grep -q '^run,model,version,group,repeat_of,q_halt,q_continue,exact,' &&
	[ "$(grep -c '^[0-9]*,0,[0-9]*,A,' "$csv")" -eq 8 ] &&
	screen | grep -q 'and .csv (the guesses)'
check "guesses view: the .csv has its 8 runs, all in group A" $?
grep -q 'K = 8 versions' "$tmp/out/$base.txt"
check "guesses view: the .txt is the guesses screen" $?
keys Escape
keys q

# --mono: no colour in the picture (the default background and foreground only)
start 100 40 --mono
base=$(export_now)
n=$(grep -o 'fill="#[0-9a-f]*"' "$tmp/out/$base.svg" | sort -u | wc -l)
[ -n "$base" ] && [ "$n" -le 2 ]
check "--mono: the .svg has no colours ($n fills)" $?
keys q

exit $fail
