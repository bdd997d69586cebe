# tui_lib.sh - what the tmux-driven TUI tests share (sourced, not run):
# finding the binary and the source tree, a private tmux server torn down
# on exit, and the helpers that read the screen the way a person does.
#
# Set before sourcing: SOCK_NAME (a name for the tmux socket).  Gives:
# HRMSCOPE, srcdir (absolute), tmp (a scratch folder), T (the tmux command),
# fail (set to 1 by a failed check) and the functions below.  Exits 77
# (skipped) without tmux, 99 without the binary.

HRMSCOPE=${HRMSCOPE:-./hrmscope}
srcdir=${srcdir:-.}
if ! command -v tmux >/dev/null 2>&1; then
	echo "tmux not installed: skipped"
	exit 77
fi
if [ ! -x "$HRMSCOPE" ]; then
	echo "no $HRMSCOPE: build it first"
	exit 99
fi
HRMSCOPE=$(cd "$(dirname "$HRMSCOPE")" && pwd)/$(basename "$HRMSCOPE")
srcdir=$(cd "$srcdir" && pwd)

tmp=$(mktemp -d)
sock="$SOCK_NAME-$$"
T="tmux -L $sock"
fail=0
cleanup() {
	$T kill-server 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# the screen of session s, as text
screen() { $T capture-pane -t s -p; }

# check NAME STATUS: one ok/FAIL line; on failure the screen too
check() {
	if [ "$2" -eq 0 ]; then
		echo "ok - $1"
	else
		echo "FAIL - $1"
		fail=1
		echo "---- screen ----"
		screen 2>/dev/null
		echo "----------------"
	fi
}

# wait_for PATTERN [SECONDS]: poll the screen until grep -E finds PATTERN
wait_for() {
	i=0
	limit=$(( ${2:-10} * 10 ))
	while [ $i -lt $limit ]; do
		if screen | grep -Eq -- "$1"; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# pane_pgrep SESSION PATTERN: the pids of the processes in SESSION's pane
# (the pane is a terminal session of its own) whose command line matches
# PATTERN.  A bare pgrep -f also finds the TUI of an earlier pane that is
# still exiting (slow under ASan's leak check), and signalled that one: CI
# saw "SIGTERM restores the terminal" fail so.
pane_pgrep() {
	pane_sid=$(ps -o sid= -p "$($T list-panes -t "$1" -F '#{pane_pid}' | head -1)" | tr -d ' ')
	[ -n "$pane_sid" ] && pgrep -s "$pane_sid" -f "$2"
}

# wait_gone PATTERN [SECONDS]: poll until PATTERN is no longer on screen
wait_gone() {
	i=0
	limit=$(( ${2:-10} * 10 ))
	while [ $i -lt $limit ]; do
		if ! screen | grep -Eq -- "$1"; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# keys KEY...: type into session s (tmux send-keys names)
keys() { $T send-keys -t s "$@"; }
