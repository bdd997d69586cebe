#!/bin/sh
# run_mpi_bench.sh - the data-parallel part of `make bench` (issue 24): the
# same training run as one process on 2 threads and as 2 MPI ranks of 1
# thread each (mpirun -np 2), steps/s and the gradient sum's time and bytes
# per step as rank 0 reports them at the end of the run ("train: ..."), for
# hrm_maze_small (11x11, B 32, full gradient) and for the 27M hrm_v1 on
# 30x30 mazes (B 2, one-step gradient: one row per core).  The ratio is
# measured against the one-process run of the same table.  docs/scaling.md
# turns the figures into the expected efficiency on a cluster.
#
#   sh bench/run_mpi_bench.sh [--builddir DIR] [--srcdir DIR]
#
# Environment: BENCH_QUICK=1 (a smoke test: few steps; the figures mean
# nothing).  Skipped, with a line saying so, without MPI or mpirun.
set -eu

srcdir=$(dirname "$0")/..
builddir=.
while [ $# -gt 0 ]; do
	case $1 in
	--builddir) builddir=$2; shift 2 ;;
	--srcdir) srcdir=$2; shift 2 ;;
	*) echo "usage: run_mpi_bench.sh [--builddir DIR] [--srcdir DIR]" >&2; exit 2 ;;
	esac
done
hrmscope=$builddir/hrmscope
[ -x "$hrmscope" ] || { echo "run_mpi_bench.sh: $hrmscope is not built" >&2; exit 1; }
# configure wrote MPI_CFLAGS (with -DHAVE_MPI=1) into the Makefile when it found MPI
if ! command -v mpirun >/dev/null 2>&1 || ! grep -q '^MPI_CFLAGS = .*HAVE_MPI' "$builddir/Makefile"; then
	echo "skipped: hrmscope built without MPI, or no mpirun (Debian packages libopenmpi-dev openmpi-bin)"
	exit 0
fi
small_steps=40 big_steps=3
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	small_steps=4 big_steps=1
fi
# CI and this machine run as root; 2 ranks on 2 cores share them with mpirun
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hrmmpibench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# run NP THREADS NAME ARGS...: the "train:" line of rank 0
run() {
	np=$1 th=$2 name=$3
	shift 3
	mpirun --oversubscribe -np "$np" "$hrmscope" train -o "$tmp/$name" --threads "$th" --quiet \
		--eval-every 0 --checkpoint-every 0 --seed 1 "$@" 2>"$tmp/$name.err" >/dev/null ||
		{ cat "$tmp/$name.err" >&2; exit 1; }
	grep '^train: ' "$tmp/$name.err"
}
# field NAME LINE: a figure of a "train:" line
steps_s() { sed -n 's/.*(\([0-9.]*\) steps\/s.*/\1/p'; }
sum_ms() { sed -n 's/.*across ranks \([0-9.]*\) ms per step.*/\1/p'; }
wait_ms() { sed -n 's/.*slowest rank \([0-9.]*\) ms per step.*/\1/p'; }
sum_bytes() { sed -n 's/.* \([0-9]*\) bytes per rank per step.*/\1/p'; }

small="--arch $srcdir/models/hrm_maze_small.yaml --maze-size 11 --batch 32 --grad full --loss softmax --optim adamw --warmup 10 --lr 1e-3"
big="--arch $srcdir/models/hrm_v1.yaml --maze-size 30 --batch 2 --grad one-step --warmup 1 --lr 1e-4"

echo "| model, run | ranks x threads | steps/s | ratio to 1 x 2 | gradient sum per step | bytes per rank per step | waiting for the slowest rank | step time (1 / steps/s) |"
echo "|---|---|---|---|---|---|---|---|"
for m in small big; do
	if [ $m = small ]; then
		args=$small steps=$small_steps label="hrm_maze_small 11x11, B 32, full gradient, $small_steps steps"
	else
		args=$big steps=$big_steps label="hrm_v1 27M, 30x30 mazes, B 2, one-step gradient, $big_steps steps"
	fi
	# shellcheck disable=SC2086
	a=$(run 1 2 "$m.np1" $args --steps "$steps")
	# shellcheck disable=SC2086
	b=$(run 2 1 "$m.np2" $args --steps "$steps")
	sa=$(echo "$a" | steps_s) sb=$(echo "$b" | steps_s)
	awk -v l="$label" -v sa="$sa" -v sb="$sb" -v ma="$(echo "$a" | sum_ms)" -v mb="$(echo "$b" | sum_ms)" \
		-v bb="$(echo "$b" | sum_bytes)" -v wb="$(echo "$b" | wait_ms)" 'BEGIN {
		printf "| %s | 1 x 2 | %.3f | 1.00x | none (one rank; %.3f ms) | 0 | none | %.1f ms |\n", l, sa, ma, 1000 / sa
		printf "| %s | 2 x 1 | %.3f | %.2fx | %.3f ms (%.1f %% of the step) | %d (%.1f MB) | %.1f ms | %.1f ms |\n", l, sb,
			sb / sa, mb, 100 * mb / (1000 / sb), bb, bb / 1e6, wb, 1000 / sb }'
done
echo
echo "steps/s over the whole run of rank 0 (logs included; evals and checkpoints off), the gradient sum's mean time per step"
echo "(MPI_Allreduce, in place, one flat buffer: the gradient arena; timed after a barrier, whose wait for the slower rank"
echo "is its own column) and its buffer size; the load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine slows every row); Open MPI $(mpirun --version | sed -n 's/.*) //p;q')"
echo "over shared memory (one machine, 2 cores, --oversubscribe). Commands: mpirun --oversubscribe -np N hrmscope train --threads T"
echo "--eval-every 0 --checkpoint-every 0 --seed 1 and the options named in each row (bench/run_mpi_bench.sh)."
