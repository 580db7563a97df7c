# SPDX-License-Identifier: GPL-2.0
#
# Benchmarks: built with everything, run by `make bench` inside guests.

BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(BENCH_SRCS:%.c=$(BUILD)/%)

user: $(BENCH_BINS)

$(BENCH_BINS): | $(LIBPMEMSET_LINK) $(LIBRPMEM_LINK)

$(BUILD)/bench/%: bench/%.c $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CFLAGS) $(KPMEM_CFLAGS) $(BENCH_CFLAGS) -o $@ $< $(BENCH_LDLIBS) $(LIBCOMMON)

# librpmem and its io_uring helpers.
$(BUILD)/bench/rpmem_batch: $(LIBRPMEM) lib/include/rpmem_uring.h
$(BUILD)/bench/rpmem_batch: BENCH_CFLAGS := -Wno-deprecated-declarations
$(BUILD)/bench/rpmem_batch: BENCH_LDLIBS := -L$(BUILD)/lib -lrpmem -luring -Wl,-rpath,$(BUILD)/lib
