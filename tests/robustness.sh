#!/bin/sh
# robustness.sh - runs docs/robustness.md's bad-input table, row by row, so
# that the table and the program cannot drift apart.
#
# A row is | `id` | input | `command` | exit | `message` |.  By default the
# command runs with sh from the source directory, with the built hrmscope
# first in PATH; the exit status must equal the exit column and the last
# line hrmscope wrote to stderr must equal the message (no message: nothing
# on stderr).  A row whose id has a function row_ID below (dashes become
# underscores) is checked by that function instead: the TUI rows in tmux,
# the signal rows, rows that need a memory limit.  A function without a row
# is an error too.  Needs tmux for the TUI rows (skipped without it).
set -u

HRMSCOPE=${HRMSCOPE:-./hrmscope}
srcdir=${srcdir:-.}
if [ ! -x "$HRMSCOPE" ]; then
	echo "no $HRMSCOPE: build it first"
	exit 99
fi
HRMSCOPE=$(cd "$(dirname "$HRMSCOPE")" && pwd)/$(basename "$HRMSCOPE")
srcdir=$(cd "$srcdir" && pwd)
doc=$srcdir/docs/robustness.md

tmp=$(mktemp -d)
sock="hrmscope-robust-$$"
T="tmux -L $sock"
cleanup() {
	command -v tmux >/dev/null 2>&1 && $T kill-server 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
mkdir "$tmp/bin"
ln -s "$HRMSCOPE" "$tmp/bin/hrmscope"
PATH=$tmp/bin:$PATH
export PATH
cd "$srcdir" || exit 99

have_tmux=0
command -v tmux >/dev/null 2>&1 && have_tmux=1
# ASan reserves terabytes of address space: no `ulimit -v` under it
asan=0
grep -q __asan_init "$HRMSCOPE" 2>/dev/null && asan=1

# ---- the generic row: run the command, compare exit status and message ----
got_rc=""
got_msg=""
run_cmd() { # run_cmd COMMAND: sets got_rc and got_msg
	sh -c "$1" >"$tmp/out" 2>"$tmp/err" </dev/null
	got_rc=$?
	got_msg=$(tail -n 1 "$tmp/err")
}

# ---- rows that need more than a command ----

# nothing may be created where the entry name points
row_ckpt_traversal() {
	run_cmd "$cmd"
	for p in ../hrmscope-traversal-probe ../../hrmscope-traversal-probe ../../../hrmscope-traversal-probe \
		tests/fixtures/hrmscope-traversal-probe /hrmscope-traversal-probe; do
		if [ -e "$p" ]; then
			got_msg="$got_msg (and it created $p)"
		fi
	done
}

# files that claim gigabytes: refused with peak RSS under 100 MB (not under
# ASan, whose shadow memory is counted too)
rss_row() {
	if [ "$asan" -eq 1 ]; then
		run_cmd "$cmd"
		return
	fi
	run_cmd "/usr/bin/time -f '%M' -o '$tmp/rss' $cmd"
	rss=$(tail -n 1 "$tmp/rss")
	case $rss in
	'' | *[!0-9]*) got_msg="$got_msg (no peak RSS from /usr/bin/time: '$rss')" ;;
	*) [ "$rss" -lt 100000 ] || got_msg="$got_msg (peak RSS $rss KB, over 100 MB)" ;;
	esac
}
row_ckpt_expand_views() { rss_row; }
row_ckpt_none_bomb() { rss_row; }
row_ckpt_deflate_bomb() { rss_row; }

# a FIFO where a file belongs is refused at once, never waited on: the
# command runs in a folder of FIFOs under a time limit (rc 124 if it blocks)
fifo_row() {
	d=$tmp/fifo
	rm -rf "$d"
	mkdir -p "$d/FIFO_MODEL" "$d/FIFO_CONFIG" &&
		cp tests/fixtures/models/tiny_maze/all_config.yaml "$d/FIFO_MODEL/" &&
		cp tests/fixtures/models/tiny_maze/checkpoint "$d/FIFO_CONFIG/" &&
		mkfifo "$d/FIFO_MODEL/checkpoint" "$d/FIFO_CONFIG/all_config.yaml" "$d/FIFO.txt" &&
		ln -s "$srcdir/tests/fixtures/models/tiny_maze" "$d/M" || { got_msg="cannot make the FIFOs"; return; }
	run_cmd "cd '$d' && timeout 20 $cmd"
}
row_ckpt_fifo() { fifo_row; }
row_config_fifo() { fifo_row; }
row_puzzle_fifo() { fifo_row; }

# trace's last stderr line is its timing summary: not a message
quiet_trace() {
	run_cmd "$1"
	got_msg=$(grep -v ' ms per segment$' "$tmp/err" | tail -n 1)
}

# a symlink planted where the temporary goes is never followed: the victim
# keeps its contents, FILE gets the trace
row_out_planted_symlink() {
	d=$tmp/planted
	rm -rf "$d" && mkdir "$d" && printf 'victim\n' >"$d/VICTIM"
	quiet_trace "cd '$d' && $(echo "$cmd" | sed "s#tests/#$srcdir/tests/#g")"
	[ "$(cat "$d/VICTIM")" = victim ] || got_msg="$got_msg (VICTIM was overwritten)"
	grep -q segment "$d/FILE" 2>/dev/null || got_msg="$got_msg (FILE holds no trace)"
}

# a file replaced on purpose keeps its mode; a symlink stays a symlink and
# its target gets the new contents
row_out_keeps_mode() {
	d=$tmp/mode
	rm -rf "$d" && mkdir "$d" && printf 'old\n' >"$d/FILE" && chmod 600 "$d/FILE" &&
		printf 'old\n' >"$d/TARGET" && ln -s TARGET "$d/LINK"
	c=$(echo "$cmd" | sed "s#tests/#$srcdir/tests/#g")
	quiet_trace "cd '$d' && $c"
	notes=""
	[ "$(stat -c %a "$d/FILE")" = 600 ] || notes="$notes (FILE became mode $(stat -c %a "$d/FILE"))"
	first=$got_msg
	quiet_trace "cd '$d' && $(echo "$c" | sed 's/-o FILE/-o LINK/')"
	[ -L "$d/LINK" ] || notes="$notes (LINK is no longer a symlink)"
	grep -q segment "$d/TARGET" || notes="$notes (TARGET did not get the trace)"
	got_msg="$first$got_msg$notes"
}

# a memory limit below what the model needs: malloc fails and is reported
row_model_out_of_memory() {
	if [ "$asan" -eq 1 ]; then
		# the same failure through ASan's allocator
		run_cmd "ASAN_OPTIONS=\${ASAN_OPTIONS:-}:allocator_may_return_null=1:max_allocation_size_mb=4000 \
			$(echo "$cmd" | sed 's/ulimit -v [0-9]*; //')"
	else
		run_cmd "$cmd"
	fi
}

row_trace_huge_batch() { row_model_out_of_memory; }
row_trace_out_of_memory() { row_model_out_of_memory; }

# trace -o FILE killed half-way: FILE keeps its old contents, no temporary is left
row_trace_killed() {
	printf 'old trace\n' >"$tmp/trace.csv"
	hrmscope trace --model tests/fixtures/golden/rope_pe --seq-len 8 --segments 1000000 \
		-o "$tmp/trace.csv" 2>"$tmp/err" &
	pid=$!
	sleep 1
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	got_rc=$?
	got_msg=$(tail -n 1 "$tmp/err")
	[ "$(cat "$tmp/trace.csv")" = "old trace" ] || got_msg="$got_msg (trace.csv changed)"
	ls "$tmp" | grep -q 'trace.csv.tmp' && got_msg="$got_msg (a temporary file was left)"
}

# trace -o FILE past a file size limit (a full disk for a regular file): it
# stops at once, FILE keeps its old contents, no temporary is left
row_trace_file_too_large() {
	d=$tmp/fsize
	rm -rf "$d" && mkdir "$d" && printf 'old trace\n' >"$d/FILE"
	run_cmd "cd '$d' && $(echo "$cmd" | sed "s#tests/#$srcdir/tests/#g")"
	[ "$(cat "$d/FILE")" = "old trace" ] || got_msg="$got_msg (FILE changed)"
	[ "$(ls "$d")" = FILE ] || got_msg="$got_msg (left: $(ls "$d" | tr '\n' ' '))"
}

screen() { $T capture-pane -t "$1" -p; }
wait_for() { # wait_for SESSION PATTERN SECONDS
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		screen "$1" | grep -Eq -- "$2" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

tui_model() {
	[ -d "$tmp/model" ] && return 0
	hrmscope init --arch models/hrm_maze_small.yaml --vocab 6 --seq-len 121 --seed 3 -o "$tmp/model" >/dev/null
}

tui_start() { # tui_start SESSION WIDTH HEIGHT: the TUI in a fresh tmux window
	tui_model
	$T kill-session -t "$1" 2>/dev/null
	$T new-session -d -s "$1" -x "$2" -y "$3" \
		"cd '$srcdir' && LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color hrmscope tui --model '$tmp/model' --puzzle puzzles/examples/maze-11.txt; echo EXIT \$?; sleep 60"
}

# the expected text if the screen shows it, else the screen's first lines
screen_text() {
	if screen "$1" | grep -qF -- "$2"; then
		echo "$2"
	else
		screen "$1" | head -3 | tr -s ' \n' ' '
	fi
}

row_tui_too_small() {
	tui_start small 60 20
	wait_for small 'needs at least' 10
	got_msg=$(screen_text small "$want_msg")
	got_rc="-"
	$T send-keys -t small q
	wait_for small '^EXIT 0' 5 || got_msg="$got_msg (q did not quit with 0)"
}

# hundreds of resizes, some below 80x24, while the model runs to the end
row_tui_resize_storm() {
	tui_start storm 100 40
	wait_for storm 'segment 1/8' 10
	$T send-keys -t storm r
	i=0
	while [ $i -lt 300 ]; do
		case $((i % 5)) in
		0) $T resize-window -t storm -x 60 -y 20 ;;
		1) $T resize-window -t storm -x 132 -y 50 ;;
		2) $T resize-window -t storm -x 80 -y 24 ;;
		3) $T resize-window -t storm -x 79 -y 30 ;;
		4) $T resize-window -t storm -x 100 -y 40 ;;
		esac
		i=$((i + 1))
	done
	$T resize-window -t storm -x 100 -y 40
	got_msg=""
	wait_for storm 'segment 8/8 . done' 60 && wait_for storm 'L residual' 5 &&
		got_msg=$(screen_text storm "$want_msg")
	$T send-keys -t storm q
	got_rc="-"
	wait_for storm '^EXIT 0' 5 || got_msg="$got_msg (q did not quit with 0: the TUI did not survive)"
}

# a signal while the model computes: the exit status says which, and the
# terminal is as before: same `stty -a`, and the shell answers
tui_signal() { # tui_signal SIGNAL
	tui_model
	s=sig$1
	$T kill-session -t $s 2>/dev/null
	$T new-session -d -s $s -x 100 -y 40 "cd '$srcdir' && PS1='prompt> ' LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color PATH='$PATH' sh -i"
	sleep 0.3
	$T send-keys -t $s "stty -a >'$tmp/stty.$1.before'; hrmscope tui --model '$tmp/model' --puzzle puzzles/examples/maze-11.txt; echo EXIT \$?; stty -a >'$tmp/stty.$1.after'" Enter
	got_rc="?"
	got_msg="the TUI did not start"
	wait_for $s 'segment 1/8' 10 || return
	$T send-keys -t $s r
	sleep 0.2
	# the TUI in this pane (its own terminal session), not one of an
	# earlier pane that is still exiting
	sid=$(ps -o sid= -p "$($T list-panes -t $s -F '#{pane_pid}' | head -1)" | tr -d ' ')
	pid=$(pgrep -s "$sid" -f "tui --model $tmp/model" | head -1)
	kill -s "$1" "$pid"
	got_msg="the TUI did not exit"
	wait_for $s '^EXIT [0-9]+' 10 || return
	got_rc=$(screen $s | sed -n 's/^EXIT \([0-9]*\).*/\1/p' | tail -1)
	sleep 0.3
	got_msg="the shell prompt answers, stty -a unchanged"
	cmp -s "$tmp/stty.$1.before" "$tmp/stty.$1.after" || got_msg="stty -a changed: $(diff "$tmp/stty.$1.before" "$tmp/stty.$1.after" | tr '\n' ' ')"
	screen $s | grep -q 'L residual' && got_msg="$got_msg (the TUI is still on the screen)"
	$T send-keys -t $s "echo prompt-ok-$1" Enter
	wait_for $s "^prompt-ok-$1" 5 || got_msg="$got_msg (the shell does not answer)"
}
row_tui_sigint() { tui_signal INT; }
row_tui_sigterm() { tui_signal TERM; }
row_tui_sighup() { tui_signal HUP; }

# ---- the table ----
sed -n '/<!-- bad-input-table -->/,/<!-- end of bad-input-table -->/p' "$doc" | grep '^| `' >"$tmp/rows"
nrows=$(wc -l <"$tmp/rows")
if [ "$nrows" -eq 0 ]; then
	echo "no rows in $doc"
	exit 99
fi

cell() { # cell N: field N of $row, trimmed, one pair of backticks removed
	printf '%s\n' "$row" | awk -F ' [|] ' -v n="$1" '{ sub(/^[|] /, ""); sub(/ [|]$/, ""); print $n }' |
		sed 's/\\|/|/g; s/^ *//; s/ *$//' | sed -e 's/^`` \{0,1\}\(.*\) ``$/\1/' -e t -e 's/^`\(.*\)`$/\1/'
}

pass=0
fail=0
skip=0
ids=""
while IFS= read -r row; do
	id=$(cell 1)
	cmd=$(cell 3)
	want_rc=$(cell 4)
	want_msg=$(cell 5)
	case $want_msg in "(none)") want_msg="" ;; esac
	ids="$ids $id"
	fn=row_$(echo "$id" | tr '-' '_')
	if type "$fn" >/dev/null 2>&1; then
		case $id in tui-*)
			if [ "$have_tmux" -eq 0 ]; then
				echo "skip - $id (no tmux)"
				skip=$((skip + 1))
				continue
			fi
		esac
		$fn
	else
		run_cmd "$cmd"
	fi
	if [ "$got_rc" = "$want_rc" ] && [ "$got_msg" = "$want_msg" ]; then
		echo "ok - $id"
		pass=$((pass + 1))
	else
		echo "FAIL - $id: $cmd"
		echo "    exit:    got $got_rc, the table says $want_rc"
		echo "    message: got      [$got_msg]"
		echo "             expected [$want_msg]"
		fail=$((fail + 1))
	fi
done <"$tmp/rows"

# every special check belongs to a row of the table
for fn in $(sed -n 's/^\(row_[a-z_]*\)() *{.*/\1/p' "$0"); do
	id=$(echo "${fn#row_}" | tr '_' '-')
	case " $ids " in
	*" $id "*) ;;
	*) echo "FAIL - $fn has no row in docs/robustness.md"; fail=$((fail + 1)) ;;
	esac
done

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
