# fuzz.mk - builds the libFuzzer targets with clang; run through `make fuzz`
# (Makefile.am passes srcdir, the library's sources and the pkg-config
# flags).  A plain GNU make file so that the library is compiled a second
# time with clang and the fuzzer instrumentation, beside the normal build.
#
#   make -f fuzz/fuzz.mk srcdir=. out=fuzz/bin LIB_SOURCES="src/io/npy.c ..." \
#        DEPS_CFLAGS="..." DEPS_LIBS="..."

FUZZ_CC ?= clang
srcdir ?= .
out ?= fuzz/bin
TARGETS = checkpoint config npy dataset_json eval_summary train_state arc maze sudoku

SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -g -O1 \
	-fno-omit-frame-pointer -DHRM_LIBFUZZER $(SAN) -I$(srcdir)/src -I$(srcdir) -I$(srcdir)/fuzz $(DEPS_CFLAGS)

lib_c = $(filter %.c,$(LIB_SOURCES))
lib_o = $(patsubst %.c,$(out)/obj/%.o,$(lib_c))

ifeq ($(shell command -v $(FUZZ_CC)),)
$(error make fuzz needs clang and its libFuzzer runtime (Debian: apt-get install clang libclang-rt-14-dev))
endif

all: $(patsubst %,$(out)/fuzz_%,$(TARGETS))

# The sudoku solver's search compares its own candidate masks, not input
# bytes, so comparison tracing there guides nothing and cost 80 % of
# fuzz_sudoku's time (perf); the solver keeps its edge coverage.
NO_CMP_TRACE = puzzles/sudoku_solve.c

$(out)/obj/%.o: $(srcdir)/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link \
		$(if $(filter $*.c,$(NO_CMP_TRACE)),-fno-sanitize-coverage=trace-cmp) -MMD -MP -c $< -o $@

$(out)/fuzz_%: $(srcdir)/fuzz/fuzz_%.c $(lib_o)
	@mkdir -p $(out)/obj/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP -MF $(out)/obj/fuzz/$*.d $< $(lib_o) \
		-o $@ $(DEPS_LIBS) -lz -lm -lpthread

-include $(lib_o:.o=.d) $(patsubst %,$(out)/obj/fuzz/%.d,$(TARGETS))

.PHONY: all
