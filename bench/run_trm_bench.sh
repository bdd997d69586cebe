#!/bin/sh
# run_trm_bench.sh - the TRM part of `make bench` (issue 20): the Tiny
# Recursive Model's forward and a small training step, hrmscope against
# PyTorch on the same weights with the same threads, measured here.
#
#   sh bench/run_trm_bench.sh [--builddir DIR] [--srcdir DIR] --results FILE
#   sh bench/run_trm_bench.sh [--builddir DIR] [--srcdir DIR] --splice FILE.md
#
# --results FILE: append the JSON lines to FILE (bench/run_bench.sh does
# this; tools/bench_report.py turns them into the TRM section of
# bench/RESULTS.md).  --splice FILE.md (`make bench-trm`): measure, then
# put the TRM section (with this run's date, load and other work) into an
# existing RESULTS.md in place of its old TRM section, or before its
# "FLOPs counted" section, leaving every other row as it was.
#
# Environment: BENCH_THREADS (default 2), PYTHON3 (a python3 with torch,
# numpy and yaml; default /usr/bin/python3), BENCH_QUICK=1 (one segment, one
# repetition: a smoke test, the figures mean nothing), BENCH_RESULTS=FILE
# (with --splice: keep the raw JSON lines there).
#
# What runs (`hrmscope init` of the published configurations, seed 1):
#   - models/trm_sudoku_mlp.yaml (mlp_t, pos none, H 3 / L 6) at the sudoku
#     shape (vocab 11, 81 cells + 16 prefix tokens = T 97), B 1, fp32 and bf16
#     (hrmscope --dtype bf16 against PyTorch in torch.bfloat16), 5 segments;
#   - models/trm_maze.yaml (attention, RoPE, H 3 / L 4) at the 30x30 maze
#     shape (vocab 6, 900 cells + 16 = T 916), B 1, fp32 and bf16, 4 segments
#     (hrmscope) and 2 (PyTorch, slower);
#   - training models/trm_maze_small.yaml (d 64) on 7x7 and 11x11 mazes
#     (`hrmscope gen maze --count 64 --seed 1`), B 32, TRM's last-cycle
#     gradient, 1 and 2 threads: median of 5 repetitions of 2 (7x7) or 1
#     (11x11) steps after one warm-up step.
# Same work on both sides: the sum of squares of z_H (batch row 0) after the
# first segment, and the losses of the first and the last training step.
set -eu

srcdir=$(dirname "$0")/..
builddir=.
res=
splice=
while [ $# -gt 0 ]; do
	case $1 in
	--builddir) builddir=$2; shift 2 ;;
	--srcdir) srcdir=$2; shift 2 ;;
	--results) res=$2; shift 2 ;;
	--splice) splice=$2; shift 2 ;;
	*) echo "usage: run_trm_bench.sh [--builddir DIR] [--srcdir DIR] --results FILE | --splice FILE.md" >&2
	   exit 2 ;;
	esac
done
[ -n "$res$splice" ] || { echo "run_trm_bench.sh: --results FILE or --splice FILE.md" >&2; exit 2; }
if [ -n "$splice" ] && [ ! -f "$splice" ]; then
	echo "run_trm_bench.sh: $splice: no such file to splice the TRM section into" >&2
	exit 1
fi
threads=${BENCH_THREADS:-2}
ssegs=5 msegs=4 tsegs=2 reps=5
[ "${BENCH_QUICK:-0}" = 1 ] && ssegs=1 msegs=1 tsegs=1 reps=1
py=${PYTHON3:-/usr/bin/python3}
hrmscope=$builddir/hrmscope
bfwd=$builddir/bench/bench_forward
btrain=$builddir/bench/bench_train
torchb=$srcdir/tools/bench_torch.py
for f in "$hrmscope" "$bfwd" "$btrain"; do
	[ -x "$f" ] || { echo "run_trm_bench.sh: $f is not built (make bench builds it)" >&2; exit 1; }
done
"$py" -c 'import torch, numpy, yaml' 2>/dev/null ||
	{ echo "run_trm_bench.sh: $py lacks torch, numpy or yaml (set PYTHON3)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/trmbench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
if [ -z "$res" ]; then # --splice alone: the JSON lines in BENCH_RESULTS or a temporary file
	res=${BENCH_RESULTS:-$tmp/results.jsonl}
	: >"$res"
fi
export OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads"

# CPU ticks (utime + stime) of every process, "pid ticks" per line, as in
# bench/run_bench.sh: processes alive before and after the run used the
# difference, the other work on the machine
cpu_ticks() {
	for f in /proc/[0-9]*/stat; do
		sed -n 's/^\([0-9]*\) (.*) [A-Za-z] \(.*\)$/\1 \2/p' "$f" 2>/dev/null
	done | awk '{ print $1, $12 + $13 }'
}
# the machine's busy ticks (user, nice, system, irq, softirq, steal) from /proc/stat
busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
# this shell's and its children's CPU seconds in a file written by times
# (run in this shell: in $(...) or a pipeline it would time a subshell)
own_cpu() {
	awk 'function s(t) { split(t, a, "m"); return a[1] * 60 + a[2] }
		{ for (i = 1; i <= NF; i++) { sub(/s$/, "", $i); x += s($i) } } END { printf "%.2f", x }' "$1"
}
cpu_ticks >"$tmp/ticks_start"
busy_start=$(busy_ticks)
times >"$tmp/times_start"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$(date +%s)
step=0
total=14
say() {
	step=$((step + 1))
	printf 'bench trm: %4ds [%d/%d] %s\n' $(($(date +%s) - t_start)) "$step" "$total" "$*" >&2
}
c_run() { "$@" >>"$res"; }
torch_run() { OMP_WAIT_POLICY=PASSIVE "$py" "$torchb" "$@" >>"$res"; }
# hrmscope init, and the parameter count it prints, as a JSON line
init() { # label yaml vocab seq_len
	out=$("$hrmscope" init --arch "$srcdir/models/$2" --vocab "$3" --seq-len "$4" --seed 1 -o "$tmp/$1")
	count=$(printf '%s\n' "$out" | sed -n 's/^.* \([0-9][0-9]*\) trainable parameters.*$/\1/p')
	printf '{"kind":"trm_model","label":"%s","arch_file":"models/%s","vocab":%d,"seq_len":%d,"params":%s}\n' \
		"$1" "$2" "$3" "$4" "${count:-null}" >>"$res"
}

say "models (hrmscope init) and maze data (hrmscope gen)"
init trm_sudoku trm_sudoku_mlp.yaml 11 81
init trm_maze trm_maze.yaml 6 900
for n in 7 11; do
	init "trm_small$n" trm_maze_small.yaml 6 $((n * n))
	"$hrmscope" gen maze --size $n --count 64 --test-count 0 --seed 1 -o "$tmp/data$n" >/dev/null
done

for dt in fp32 bf16; do
	sfx=
	[ $dt = fp32 ] || sfx=_$dt
	say "TRM sudoku mlp_t B = 1, $dt: hrmscope ($ssegs segments)"
	c_run "$bfwd" forward --model "$tmp/trm_sudoku" --seq-len 81 --batch 1 --segments $ssegs --threads "$threads" \
		--dtype $dt --label "trm_sudoku_b1$sfx"
	say "TRM sudoku mlp_t B = 1, $dt: PyTorch ($ssegs segments)"
	torch_run forward --model "$tmp/trm_sudoku" --seq-len 81 --batch 1 --segments $ssegs --threads "$threads" \
		--dtype $dt --label "trm_sudoku_b1$sfx"
	say "TRM maze 30x30 B = 1, $dt: hrmscope ($msegs segments)"
	c_run "$bfwd" forward --model "$tmp/trm_maze" --seq-len 900 --batch 1 --segments $msegs --threads "$threads" \
		--dtype $dt --label "trm_maze_b1$sfx"
	say "TRM maze 30x30 B = 1, $dt: PyTorch ($tsegs segments)"
	torch_run forward --model "$tmp/trm_maze" --seq-len 900 --batch 1 --segments $tsegs --threads "$threads" \
		--dtype $dt --label "trm_maze_b1$sfx"
done

for n in 7 11; do
	k=2
	[ $n -eq 7 ] || k=1
	for th in 1 2; do
		say "TRM training ${n}x$n, last-cycle gradient, $th thread(s): hrmscope and PyTorch"
		OPENBLAS_NUM_THREADS=$th OMP_NUM_THREADS=$th "$btrain" --model "$tmp/trm_small$n" --data "$tmp/data$n" \
			--batch 32 --grad last_cycle --threads $th --steps $k --reps $reps --warmup 1 \
			--label "trm_maze$n" >>"$res"
		OPENBLAS_NUM_THREADS=$th OMP_NUM_THREADS=$th OMP_WAIT_POLICY=PASSIVE "$py" "$torchb" train \
			--model "$tmp/trm_small$n" --data "$tmp/data$n" --batch 32 --grad last_cycle --threads $th \
			--steps $k --reps $reps --warmup 1 --label "trm_maze$n" >>"$res"
	done
done

# the circumstances of this part: load; the other work, all the CPU time the
# machine spent meanwhile less this script's own and its children's (times);
# and the processes alive throughout that used a CPU 2 % of the time or more
# (niced background runs get little under load), named by their command and (when it is not a path or an option) its
# first argument, e.g. "hrmscope train"
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
t_end=$(date +%s)
hz=$(getconf CLK_TCK)
busy_end=$(busy_ticks)
times >"$tmp/times_end"
cpu_ticks >"$tmp/ticks_end"
own=$(awk -v a="$(own_cpu "$tmp/times_start")" -v b="$(own_cpu "$tmp/times_end")" 'BEGIN { printf "%.1f", b - a }')
all_other=$(awk -v a="$busy_start" -v b="$busy_end" -v hz="$hz" -v own="$own" \
	'BEGIN { x = (b - a) / hz - own; printf "%.1f", (x > 0 ? x : 0) }')
others=$(awk 'NR == FNR { t[$1] = $2; next } ($1 in t) && $2 - t[$1] > 0 { print $1, $2 - t[$1] }' \
	"$tmp/ticks_start" "$tmp/ticks_end" | while read -r pid ticks; do
		comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
		arg=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | sed -n 2p)
		case $arg in */* | -*) arg= ;; esac
		printf '%s %s\n' "$ticks" "$comm${arg:+ $arg}"
	done | awk -v hz="$hz" -v secs=$((t_end - t_start)) '
		{ s += $1; if ($1 / hz >= 0.02 * secs) { n = $2 (NF > 2 ? " " $3 : ""); c[n]++; u[n] += $1 } }
		END { printf "%.1f\t", s / hz; sep = ""
		      for (k in c) { printf "%s%d x %s (%.0f CPU-s)", sep, c[k], k, u[k] / hz; sep = ", " } }')
other_cpu=${others%%	*}
busy=${others#*	}
printf '{"kind":"trm_meta","date":"%s","threads":%d,"load_start":"%s","load_end":"%s","seconds":%d,"cores":%d,"other_cpu":%s,"own_cpu":%s,"other_cpu_all":%s,"busy":"%s","busy_min_share":0.02,"quick":%d}\n' \
	"$(date -u '+%Y-%m-%d %H:%M UTC')" "$threads" "$load_start" "$load_end" $((t_end - t_start)) "$(nproc)" \
	"${other_cpu:-0}" "$own" "$all_other" "$busy" "${BENCH_QUICK:-0}" >>"$res"

if [ -n "$splice" ]; then
	"$py" "$srcdir/tools/bench_report.py" --results "$res" --trm-splice "$splice"
fi
