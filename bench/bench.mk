# SPDX-License-Identifier: GPL-2.0
#
# Benchmarks: built with everything, run by `make bench` inside guests.

BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(BENCH_SRCS:%.c=$(BUILD)/%)

user: $(BENCH_BINS)

$(BUILD)/bench/%: bench/%.c $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CFLAGS) $(KPMEM_CFLAGS) -o $@ $< $(LIBCOMMON)
