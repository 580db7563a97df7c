# SPDX-License-Identifier: GPL-2.0
#
# Test programs.  C tests use kselftest_harness.h from Debian's
# linux-source (unpacked into build/ksft, never committed).  Each directory
# under selftests/ holds one area; unit/ runs on the host, the rest in guests.

SELFTEST_SRCS := $(wildcard selftests/unit/*.c selftests/foundation/*.c selftests/part_maps/*.c)
SELFTEST_BINS := $(SELFTEST_SRCS:%.c=$(BUILD)/%)
SELFTEST_CFLAGS := $(KPMEM_CFLAGS) -I$(KSFT) -Wno-unused-parameter -Wno-clobbered

selftests: $(SELFTEST_BINS)

# Tests of libpmemset (guest part_maps/ tests, host unit/pmemset_*) link it
# and libpmem2, and find the freshly built library without installing it.
PMEMSET_TEST_BINS := $(filter $(BUILD)/selftests/part_maps/% $(BUILD)/selftests/unit/pmemset_%,$(SELFTEST_BINS))
$(PMEMSET_TEST_BINS): TEST_LDLIBS := -L$(BUILD)/lib -lpmemset -lpmem2 -Wl,-rpath,$(BUILD)/lib
$(PMEMSET_TEST_BINS): $(LIBPMEMSET)

$(BUILD)/selftests/%: selftests/%.c $(KSFT)/kselftest_harness.h $(LIBCOMMON) $(wildcard selftests/lib/*.h)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CFLAGS) $(SELFTEST_CFLAGS) -o $@ $< $(TEST_LDLIBS) $(LIBCOMMON) -lpthread
