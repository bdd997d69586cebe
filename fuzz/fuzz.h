/* fuzz.h - shared by the fuzz targets (fuzz/fuzz_*.c).  Each target feeds
 * one loader of untrusted input and then exercises what a caller does with
 * a successful result, so that a parse that "succeeds" with inconsistent
 * fields is caught too (the target abort()s).
 *
 * `make fuzz` builds each with clang and libFuzzer (HRM_LIBFUZZER defined:
 * FUZZ_TARGET also makes LLVMFuzzerTestOneInput); `make check` links all of
 * them into tests/check_fuzz_replay, which runs every seed and every saved
 * crash input through them, so a crash once found stays a regression test. */
#ifndef HRM_FUZZ_H
#define HRM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int fuzz_checkpoint(const uint8_t *data, size_t size);
int fuzz_config(const uint8_t *data, size_t size);
int fuzz_npy(const uint8_t *data, size_t size);
int fuzz_dataset_json(const uint8_t *data, size_t size);
int fuzz_eval_summary(const uint8_t *data, size_t size);
int fuzz_train_state(const uint8_t *data, size_t size);
int fuzz_arc(const uint8_t *data, size_t size);
int fuzz_maze(const uint8_t *data, size_t size);
int fuzz_sudoku(const uint8_t *data, size_t size);

#ifdef HRM_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#define FUZZ_TARGET(name)                                                                                              \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)                                                   \
	{                                                                                                              \
		return fuzz_##name(data, size);                                                                        \
	}                                                                                                              \
	int fuzz_##name(const uint8_t *data, size_t size)
#else
#define FUZZ_TARGET(name) int fuzz_##name(const uint8_t *data, size_t size)
#endif

#endif
