#!/bin/sh
# robustness.sh - the CI checks of docs/robustness.md, run by .ci/run after
# the README's quickstart commands (which leave an in-tree build):
#
#   1. `make check` again, built with --enable-asan (ASan + UBSan, halting on
#      the first error) in a separate VPATH build directory;
#   2. the headless commands under valgrind memcheck: no error, no definite leak;
#   3. every libFuzzer target for FUZZ_SECONDS (default 60) seconds;
#   4. the bad-input table again under `ulimit -v` 1 GB: no row may abort,
#      every refusal must fit a small machine.
#
# Each step prints its time.  SKIP_ASAN=1, SKIP_VALGRIND=1, SKIP_FUZZ=1 or
# SKIP_ULIMIT=1 leave a step out (for a quick local run); CI runs all four.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
FUZZ_SECONDS=${FUZZ_SECONDS:-60}

step_start() {
	step_name=$1
	step_t0=$(date +%s)
	echo "==== robustness: $step_name"
}
step_end() {
	echo "==== robustness: $step_name took $(( $(date +%s) - step_t0 )) s"
}

# ---- the tools: valgrind, clang and its libFuzzer runtime (Debian) ----
need=""
command -v valgrind >/dev/null 2>&1 || need="$need valgrind"
command -v clang >/dev/null 2>&1 || need="$need clang"
if [ -n "$need" ]; then
	echo "robustness: installing$need"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need
fi
# libFuzzer ships in libclang-rt-N-dev for clang N
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
	clang -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then
	v=$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -1)
	echo "robustness: installing libclang-rt-$v-dev (libFuzzer for clang $v)"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "libclang-rt-$v-dev"
fi

# ---- 1. make check under ASan + UBSan, in a VPATH build ----
# The in-tree build has configured the source directory, and configure
# refuses a VPATH build of a configured tree; so the build uses a clean copy
# of the sources (the files git knows, committed or not, without build
# products), configured from a separate directory.
if [ "${SKIP_ASAN:-0}" != 1 ]; then
	step_start "make check with --enable-asan (VPATH build in build-asan/)"
	rm -rf build-asan
	mkdir -p build-asan/src build-asan/build
	git ls-files -z --cached --others --exclude-standard | xargs -0 sh -c '
		for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		tar --null -T - -cf - | tar -C build-asan/src -xf -
	(cd build-asan/src && autoreconf -fi >/dev/null 2>&1)
	export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	(cd build-asan/build && ../src/configure -q --enable-asan && make -j2 >/dev/null &&
		make -j2 check) || {
		cat build-asan/build/test-suite.log 2>/dev/null | tail -80
		echo "robustness: make check under ASan/UBSan failed"
		exit 1
	}
	unset ASAN_OPTIONS UBSAN_OPTIONS
	step_end
fi

# ---- 2. the headless commands under valgrind memcheck ----
if [ "${SKIP_VALGRIND:-0}" != 1 ]; then
	step_start "headless commands under valgrind"
	[ -x ./hrmscope ] || { echo "robustness: build hrmscope first (./bootstrap.sh)"; exit 1; }
	# valgrind does not decode AVX-512: keep OpenBLAS on AVX2 kernels there
	grep -q avx512f /proc/cpuinfo && export OPENBLAS_CORETYPE=Haswell
	vg_dir=$(mktemp -d)
	VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite"
	M=tests/fixtures/models/tiny_maze
	vg_fail=0
	vg() { # vg EXPECTED-EXIT ARGS...: run hrmscope ARGS under memcheck
		want=$1
		shift
		rc=0
		$VG ./hrmscope "$@" >"$vg_dir/out" 2>"$vg_dir/err" || rc=$?
		if [ "$rc" -ne "$want" ]; then
			echo "FAIL valgrind (exit $rc, expected $want): hrmscope $*"
			cat "$vg_dir/err"
			vg_fail=1
		else
			echo "ok valgrind: hrmscope $*"
		fi
	}
	vg 0 info "$M"
	vg 0 gen maze --size 5 --count 4 --test-count 4 --seed 1 -o "$vg_dir/ds"
	vg 0 trace --model "$M" --puzzle "$vg_dir/ds:test:0" --segments 2 --threads 2 -o "$vg_dir/trace.csv"
	vg 0 trace --model tests/fixtures/golden/rope_pe --seq-len 8 --segments 2 --format jsonl
	vg 0 run --model "$M" --puzzle "$vg_dir/ds:test:1"
	vg 0 eval --model "$M" --data "$vg_dir/ds" --batch 2
	vg 0 pr --model "$M" --data "$vg_dir/ds" --n 4
	vg 0 init --arch tests/fixtures/models/tiny_maze.yaml --vocab 6 --seq-len 25 -o "$vg_dir/init"
	vg 0 train --arch tests/fixtures/models/tiny_maze.yaml --maze-size 5 --steps 2 --batch 2 --eval-every 2 \
		--eval-n 2 --threads 1 --quiet -o "$vg_dir/train"
	# and the refusals: exit 1 with a message, still no memory error
	for bad in truncated not_zip evil_global huge_size wrong_shape config_mismatch missing_tensor \
		expand_views expand_known none_bomb; do
		vg 1 info "tests/fixtures/bad/$bad"
	done
	vg 1 run --model "$M" --puzzle puzzles/examples/sudoku-easy.txt
	rm -rf "$vg_dir"
	[ "$vg_fail" -eq 0 ] || { echo "robustness: valgrind found errors"; exit 1; }
	step_end
fi

# ---- 3. fuzz smoke ----
if [ "${SKIP_FUZZ:-0}" != 1 ]; then
	step_start "libFuzzer smoke, $FUZZ_SECONDS s per target"
	make fuzz >/dev/null
	sh fuzz/run.sh --bin fuzz/bin --work "$top/fuzz/work" --seconds "$FUZZ_SECONDS"
	step_end
fi
# ---- 4. the bad-input table in 1 GB of address space ----
if [ "${SKIP_ULIMIT:-0}" != 1 ]; then
	step_start "the bad-input table under ulimit -v 1 GB"
	(ulimit -v 1048576 && HRMSCOPE=./hrmscope srcdir=. sh tests/robustness.sh) || {
		echo "robustness: a row of the bad-input table failed under ulimit -v 1 GB"
		exit 1
	}
	step_end
fi
echo "robustness: all checks passed"
