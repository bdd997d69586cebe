#!/bin/sh
# run_ckpt_bench.sh - the checkpoint part of `make bench` (issue 25): an
# ARC-sized checkpoint (hrm_v1, 1,045,829 puzzle identifiers: a 2.1 GB fp32
# puzzle table, 2.25 GB in all) written by `hrmscope init`, opened by
# `hrmscope info`, and the first segment of `hrmscope trace` on it beside the
# same model with a one-row table.  Wall time and peak RSS from
# /usr/bin/time; the disk's own write time for as many bytes from dd
# (conv=fsync), measured right before init, so that the two share the load.
#
#   sh bench/run_ckpt_bench.sh [--builddir DIR] [--srcdir DIR]
#
# Environment: TMPDIR (where the 2.25 GB goes; removed at the end),
# BENCH_CKPT_IDS (puzzle identifiers, default 1045829; 2200000 makes a
# 4.6 GB ZIP64 file), BENCH_THREADS (trace threads, default 2),
# BENCH_CKPT_REPS (repetitions of the dense-table write, default 5).
set -eu

srcdir=$(dirname "$0")/..
builddir=.
while [ $# -gt 0 ]; do
	case $1 in
	--builddir) builddir=$2; shift 2 ;;
	--srcdir) srcdir=$2; shift 2 ;;
	*) echo "usage: run_ckpt_bench.sh [--builddir DIR] [--srcdir DIR]" >&2; exit 2 ;;
	esac
done
ids=${BENCH_CKPT_IDS:-1045829}
threads=${BENCH_THREADS:-2}
hrmscope=$builddir/hrmscope
[ -x "$hrmscope" ] || { echo "run_ckpt_bench.sh: $hrmscope is not built" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "run_ckpt_bench.sh: needs /usr/bin/time (Debian package time)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hrmckpt.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
arch=$srcdir/models/hrm_v1.yaml

# "elapsed_s max_rss_kb" of a command (its output discarded)
measure() {
	/usr/bin/time -f '%e %M' -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" ||
		{ cat "$tmp/err" >&2; exit 1; }
	cat "$tmp/time"
}
row() { # label, "seconds kb"
	set -- "$1" $2
	printf '%-44s %8.2f s %8.0f MB\n' "$1" "$2" "$(($3 / 1024))"
}

bytes=$(( ids * 512 * 4 + 100 * 1024 * 1024 ))
echo "hrm_v1, vocab 12, seq_len 900, $ids puzzle identifiers; load average $(cut -d' ' -f1-3 /proc/loadavg)"
# the same model with a one-row table: the random init of the other 27M
# weights and their 100 MB, which the ARC init pays too
row "init, one-row table (the rest of the model)" "$(measure "$hrmscope" init --arch "$arch" --vocab 12 --seq-len 900 --puzzle-ids 1 -o "$tmp/small")"
row "dd, $((bytes >> 20)) MB with fsync (the disk)" "$(measure dd if=/dev/zero of="$tmp/dd" bs=1M count=$((bytes >> 20)) conv=fsync)"
rm -f "$tmp/dd"
row "init (write the checkpoint)" "$(measure "$hrmscope" init --arch "$arch" --vocab 12 --seq-len 900 --puzzle-ids "$ids" -o "$tmp/arc")"
echo "  checkpoint: $(($(wc -c <"$tmp/arc/checkpoint") >> 20)) MB"
row "info (open)" "$(measure "$hrmscope" info "$tmp/arc")"
row "trace, 1 segment, one-row table" "$(measure "$hrmscope" trace --model "$tmp/small" --segments 1 --threads "$threads")"
row "trace, 1 segment, ARC table" "$(measure "$hrmscope" trace --model "$tmp/arc" --segments 1 --threads "$threads")"

# a table that is not zero (a trained model's, the trainer's checkpoints
# and train_state): no holes to gain, every byte goes to the disk
[ -x "$builddir/bench/bench_ckpt_write" ] ||
	{ echo "run_ckpt_bench.sh: $builddir/bench/bench_ckpt_write is not built (make bench builds it)" >&2; exit 1; }
echo
"$builddir/bench/bench_ckpt_write" --arch "$arch" --puzzle-ids "$ids" --dir "$tmp/dense" --reps "${BENCH_CKPT_REPS:-5}"
