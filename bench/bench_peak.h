/* bench_peak.h - one core's rate at the instructions the products end in
 * (bench_forward peak). */
#ifndef HRM_BENCH_PEAK_H
#define HRM_BENCH_PEAK_H

/* bench_forward peak [--min-ms MS] [--label L]: one JSON line per
 * instruction (vfmadd231ps ymm and zmm, vdpbf16ps zmm) with its GFLOP/s on
 * one thread, or supported false where the CPU lacks it. */
int bench_peak_main(int argc, char **argv);

#endif
