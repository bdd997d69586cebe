#!/bin/sh
# run_bench.sh - `make bench`: hrmscope against its ceiling (OpenBLAS sgemm)
# and against PyTorch on CPU, every figure measured in this one run on this
# machine with the same thread count (issues 4 and 6).  Prints one table and
# writes it, with the date, CPU, threads, BLAS, load and command, to
# bench/RESULTS.md.
#
#   sh bench/run_bench.sh [--builddir DIR] [--srcdir DIR] [--out FILE]
#
# Environment: BENCH_THREADS (forward threads, default 2), PYTHON3 (a python3
# with torch, numpy and yaml; default /usr/bin/python3), BENCH_COMMAND (the
# command line to record; make bench sets it), BENCH_RESULTS=FILE (keep the
# raw JSON lines there), BENCH_QUICK=1 (a smoke test of
# the pipeline: one segment, one repetition; the figures mean nothing).
#
# Repetitions: sgemm and the sudoku shape take the median of 5 samples, the
# training rates the median of 5 repetitions (of 2 steps at 7x7, 1 at
# 11x11); the 27M maze shape is slow (a segment is ~190 GFLOP per batch
# row), so it takes the median over the steps of 16 segments (hrmscope,
# B = 1, the stepping run that also measures the history's memory), 2
# segments (PyTorch, B = 1) and 1 segment (B = 8).
set -eu

srcdir=$(dirname "$0")/..
builddir=.
out=
while [ $# -gt 0 ]; do
	case $1 in
	--builddir) builddir=$2; shift 2 ;;
	--srcdir) srcdir=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) echo "usage: run_bench.sh [--builddir DIR] [--srcdir DIR] [--out FILE]" >&2; exit 2 ;;
	esac
done
[ -n "$out" ] || out=$srcdir/bench/RESULTS.md
threads=${BENCH_THREADS:-2}
reps=5 stepsegs=16 tsegs=2 ssegs=5
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	reps=1 stepsegs=1 tsegs=1 ssegs=1
fi
py=${PYTHON3:-/usr/bin/python3}
command=${BENCH_COMMAND:-"sh bench/run_bench.sh $*"}
hrmscope=$builddir/hrmscope
bfwd=$builddir/bench/bench_forward
btrain=$builddir/bench/bench_train
torchb=$srcdir/tools/bench_torch.py
for f in "$hrmscope" "$bfwd" "$btrain"; do
	[ -x "$f" ] || { echo "run_bench.sh: $f is not built (make bench builds it)" >&2; exit 1; }
done
"$py" -c 'import torch, numpy, yaml' 2>/dev/null ||
	{ echo "run_bench.sh: $py lacks torch, numpy or yaml (set PYTHON3)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hrmbench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
res=${BENCH_RESULTS:-$tmp/results.jsonl}
: >"$res"

# Both sides: OpenBLAS's threads and torch's (OpenMP) threads set alike.
# OMP_WAIT_POLICY=PASSIVE: libgomp's default busy-waiting lets torch's idle
# OpenMP threads spin against OpenBLAS's threads on a loaded 2-core machine
# (one such measurement is in the table); passive waiting is the fair setting.
export OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads"

# CPU ticks (utime + stime) of every process, "pid ticks" per line: the
# processes that exist before and after the run used the difference, which
# is the other work on the machine (load averages and ps %CPU, a lifetime
# average, also count processes that were stopped during the run)
cpu_ticks() {
	for f in /proc/[0-9]*/stat; do
		sed -n 's/^\([0-9]*\) (.*) [A-Za-z] \(.*\)$/\1 \2/p' "$f" 2>/dev/null
	done | awk '{ print $1, $12 + $13 }'
}
ticks_start=$(mktemp)
cpu_ticks >"$ticks_start"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$(date +%s)
step=0
total=25
say() {
	step=$((step + 1))
	printf 'bench: %4ds [%d/%d] %s\n' $(($(date +%s) - t_start)) "$step" "$total" "$*" >&2
}
c_run() { "$@" >>"$res"; }
torch_run() { OMP_WAIT_POLICY=PASSIVE "$py" "$torchb" "$@" >>"$res"; }
torch_at() { # threads, args...: a torch run at another thread count
	nt=$1
	shift
	OPENBLAS_NUM_THREADS=$nt OMP_NUM_THREADS=$nt OMP_WAIT_POLICY=PASSIVE "$py" "$torchb" "$@" --threads "$nt" >>"$res"
}


say "models (hrmscope init) and maze data (hrmscope gen)"
"$hrmscope" init --arch "$srcdir/models/hrm_v1.yaml" --vocab 6 --seq-len 900 --seed 1 -o "$tmp/maze" >/dev/null
"$hrmscope" init --arch "$srcdir/models/hrm_v1.yaml" --vocab 11 --seq-len 81 --seed 1 -o "$tmp/sudoku" >/dev/null
for n in 7 11; do
	"$hrmscope" init --arch "$srcdir/models/hrm_maze_small.yaml" --vocab 6 --seq-len $((n * n)) --seed 1 \
		-o "$tmp/small$n" >/dev/null
	"$hrmscope" gen maze --size $n --count 64 --test-count 0 --seed 1 -o "$tmp/data$n" >/dev/null
done

say "BLAS in use"
c_run "$bfwd" info --threads "$threads"
torch_run info --threads "$threads"

say "sgemm ceiling: square 2048 and 1000 (C), 1000 (torch)"
c_run "$bfwd" sgemm --square 2048 --threads "$threads" --reps $reps
c_run "$bfwd" sgemm --square 1000 --threads "$threads" --reps $reps
torch_run sgemm --size 1000 --threads "$threads" --reps $reps
for cfg in "maze 900 1" "maze 900 8" "sudoku 81 1" "sudoku 81 8"; do
	set -- $cfg
	say "sgemm ceiling at the $1 shapes, B = $3"
	c_run "$bfwd" sgemm --model "$tmp/$1" --seq-len "$2" --batch "$3" --threads "$threads" --reps $reps \
		--label "$1_b$3"
done

say "sudoku B = 1: hrmscope (5 segments)"
c_run "$bfwd" forward --model "$tmp/sudoku" --seq-len 81 --batch 1 --segments $ssegs --threads "$threads" \
	--label sudoku_b1
say "sudoku B = 1: PyTorch (5 segments)"
torch_run forward --model "$tmp/sudoku" --seq-len 81 --batch 1 --segments $ssegs --threads "$threads" --label sudoku_b1
say "sudoku B = 1: PyTorch with libgomp's default (active) waiting (1 segment)"
env -u OMP_WAIT_POLICY "$py" "$torchb" forward --model "$tmp/sudoku" --seq-len 81 --batch 1 --segments 1 \
	--threads "$threads" --label sudoku_b1_omp_active >>"$res"
say "sudoku B = 8: hrmscope (5 segments)"
c_run "$bfwd" forward --model "$tmp/sudoku" --seq-len 81 --batch 8 --segments $ssegs --threads "$threads" \
	--label sudoku_b8
say "sudoku B = 8: PyTorch (5 segments)"
torch_run forward --model "$tmp/sudoku" --seq-len 81 --batch 8 --segments $ssegs --threads "$threads" --label sudoku_b8

say "maze B = 1: hrmscope stepping 16 segments, every state kept (fp32 copies)"
c_run "$bfwd" forward --model "$tmp/maze" --seq-len 900 --batch 1 --segments $stepsegs --threads "$threads" --history \
	--label maze_b1
say "maze B = 1: PyTorch (2 segments)"
torch_run forward --model "$tmp/maze" --seq-len 900 --batch 1 --segments $tsegs --threads "$threads" --label maze_b1
say "maze B = 8 (eval): hrmscope (1 segment)"
c_run "$bfwd" forward --model "$tmp/maze" --seq-len 900 --batch 8 --segments 1 --warmup 0 --threads "$threads" \
	--label maze_b8
say "maze B = 8 (eval): PyTorch (1 segment)"
torch_run forward --model "$tmp/maze" --seq-len 900 --batch 8 --segments 1 --warmup 0 --threads "$threads" \
	--label maze_b8

# issue 6: "the TUI stays responsive while computing", end to end through a
# pty (tools/tui_latency.py): key c -> the new chart title on screen, idle,
# then while r runs the 27M maze model on a 30x30 maze, then after a resize
# storm; a failure leaves its rows "not measured" rather than stopping here.
say "TUI key -> redraw through a 120x40 pty: idle, while computing (27M maze, 30x30), after resizes"
"$py" "$srcdir/tools/tui_latency.py" --hrmscope "$hrmscope" --model "$tmp/maze" \
	--puzzle "$srcdir/puzzles/examples/maze-30.txt" --threads "$threads" --label tui_maze >>"$res" ||
	echo "run_bench.sh: tools/tui_latency.py failed (its rows say why)" >&2

# training: hrm_maze_small on 7x7 and 11x11 mazes, batch 32, 1 and 2 threads
for n in 7 11; do
	k=2
	[ $n -eq 7 ] || k=1
	for grad in one_step full; do
		for th in 1 2; do
			say "training ${n}x$n $grad, $th thread(s): hrmscope and PyTorch"
			OPENBLAS_NUM_THREADS=$th OMP_NUM_THREADS=$th "$btrain" --model "$tmp/small$n" --data "$tmp/data$n" \
				--batch 32 --grad $grad --threads $th --steps $k --reps $reps --warmup 1 \
				--label "maze${n}_$grad" >>"$res"
			torch_at $th train --model "$tmp/small$n" --data "$tmp/data$n" --batch 32 --grad $grad \
				--steps $k --reps $reps --warmup 1 --label "maze${n}_$grad"
		done
	done
done

load_end=$(cut -d' ' -f1-3 /proc/loadavg)
t_end=$(date +%s)
hz=$(getconf CLK_TCK)
other_cpu=$(cpu_ticks | awk -v hz="$hz" 'NR == FNR { t[$1] = $2; next } ($1 in t) { s += $2 - t[$1] }
	END { printf "%.1f", s / hz }' "$ticks_start" -)
rm -f "$ticks_start"
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
busy=$(ps -eo pcpu=,comm= --sort=-pcpu |
	awk '$1 >= 20 && $2 != "ps" { printf "%s%s (%.0f%%)", sep, $2, $1; sep = ", " }')
"$py" "$srcdir/tools/bench_report.py" --results "$res" --out "$out" \
	--meta "date=$(date -u '+%Y-%m-%d %H:%M UTC')" --meta "cpu=$cpu" --meta "cores=$(nproc)" \
	--meta "threads=$threads" --meta "load_start=$load_start" --meta "load_end=$load_end" \
	--meta "seconds=$((t_end - t_start))" --meta "busy=$busy" --meta "other_cpu=$other_cpu" \
	--meta "command=$command"
