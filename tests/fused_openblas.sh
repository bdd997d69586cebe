#!/bin/sh
# fused_openblas.sh - check_fused_bf16 again with every float32 product in
# OpenBLAS (HRMSCOPE_GEMM=openblas), the path a CPU takes where oneDNN's
# float32 kernels are not used (no AVX-512: most laptops).  The attention's
# per-head products run there in cblas_sgemm, and their answers must not
# depend on --threads (a one-part region once let OpenBLAS thread them, and
# the recomputing attention backward then differed between 1 and 2
# threads).  Runs from the build directory.
set -u
bin=${CHECK_FUSED:-./tests/check_fused_bf16}
[ -x "$bin" ] || { echo "no $bin: build it first"; exit 99; }
HRMSCOPE_GEMM=openblas exec "$bin"
