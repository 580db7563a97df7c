# SPDX-License-Identifier: GPL-2.0
#
# Benchmarks: built with everything, run by `make bench` (bench/run) inside
# guests.  Each program links only the public libraries it measures.

BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(BENCH_SRCS:%.c=$(BUILD)/%)

user: $(BENCH_BINS)

$(BENCH_BINS): | $(LIBPMEMSET_LINK) $(LIBRPMEM_LINK)
$(BENCH_BINS): bench/bench_util.h

$(BUILD)/bench/%: bench/%.c $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CFLAGS) $(KPMEM_CFLAGS) $(BENCH_CFLAGS) -o $@ $< $(BENCH_LDLIBS) $(LIBCOMMON)

# librpmem and its io_uring helpers.
$(BUILD)/bench/rpmem_batch: $(LIBRPMEM) lib/include/rpmem_uring.h
$(BUILD)/bench/rpmem_batch: BENCH_CFLAGS := -Wno-deprecated-declarations
$(BUILD)/bench/rpmem_batch: BENCH_LDLIBS := -L$(BUILD)/lib -lrpmem -luring -Wl,-rpath,$(BUILD)/lib

# kpmem remote through librpmem (and its io_uring helpers) only; the userspace alternative on librpma;
# pmemset against libpmem2.
$(BUILD)/bench/rpmem_bench: $(LIBRPMEM) lib/include/rpmem_uring.h
$(BUILD)/bench/rpmem_bench: BENCH_CFLAGS := -Wno-deprecated-declarations
$(BUILD)/bench/rpmem_bench: BENCH_LDLIBS := -L$(BUILD)/lib -lrpmem -luring -Wl,-rpath,$(BUILD)/lib
$(BUILD)/bench/rpma_bench: BENCH_LDLIBS := -lrpma -libverbs
$(BUILD)/bench/local_bench: $(LIBPMEMSET)
$(BUILD)/bench/local_bench: BENCH_LDLIBS := -L$(BUILD)/lib -lpmemset -lpmem2 -Wl,-rpath,$(BUILD)/lib
