#!/bin/sh
# run.sh - run the libFuzzer targets one after another and print a summary.
#
#   fuzz/run.sh [--bin DIR] [--work DIR] [--seconds N | --runs N] [TARGET...]
#
# The smoke run (what CI does): --seconds 60.  The long campaign:
# --runs 10000000 (at least ten million executions per target; hours on one
# core).  Each target starts from its seeds in fuzz/corpus/TARGET plus what
# earlier runs in the same --work directory found (WORK/corpus/TARGET); a
# crash, leak, timeout or out-of-memory input is kept in WORK/crashes/TARGET/
# and fails the run.  Targets run one at a time, on one core each.
set -u

here=$(cd "$(dirname "$0")" && pwd)
bin=fuzz/bin
work=fuzz/work
seconds=60
runs=""
targets=""
while [ $# -gt 0 ]; do
	case $1 in
	--bin) bin=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	--seconds) seconds=$2; runs=""; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	-h|--help) sed -n '2,12p' "$0"; exit 0 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) targets="$targets $1"; shift ;;
	esac
done
[ -n "$targets" ] || targets="checkpoint config npy dataset_json eval_summary train_state arc maze sudoku"

status=0
summary=""
for t in $targets; do
	exe=$bin/fuzz_$t
	if [ ! -x "$exe" ]; then
		echo "run.sh: $exe is missing (make fuzz)" >&2
		exit 2
	fi
	mkdir -p "$work/corpus/$t" "$work/crashes/$t"
	limit="-max_total_time=$seconds"
	[ -n "$runs" ] && limit="-runs=$runs"
	dict=""
	[ -f "$here/$t.dict" ] && dict="-dict=$here/$t.dict"
	log=$work/$t.log
	start=$(date +%s)
	# -timeout: one input may take at most 10 s; -rss_limit_mb: the whole
	# process at most 2 GB (a loader must refuse before allocating what a
	# file merely claims); leaks are reported at exit.
	"$exe" $limit $dict -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/crashes/$t/" "$work/corpus/$t" "$here/corpus/$t" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	found=$(ls "$work/crashes/$t" | wc -l)
	verdict=ok
	if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
		verdict="FAILED (exit $rc, $found artifacts in $work/crashes/$t; see $log)"
		status=1
	fi
	line=$(printf '%-13s %8s s %12s execs  %s' "$t" "$secs" "${execs:-?}" "$verdict")
	echo "$line"
	summary="$summary$line
"
done
echo "---- fuzz summary ----"
printf '%s' "$summary"
exit $status
