# SPDX-License-Identifier: GPL-2.0
#
# Test programs.  C tests use kselftest_harness.h from Debian's
# linux-source (unpacked into build/ksft, never committed).  Each directory
# under selftests/ holds one area; unit/ runs on the host, the rest in guests.

SELFTEST_SRCS := $(wildcard selftests/unit/*.c selftests/foundation/*.c selftests/part_maps/*.c selftests/rpmem/*.c \
	selftests/hardening/*.c)
SELFTEST_BINS := $(SELFTEST_SRCS:%.c=$(BUILD)/%)
SELFTEST_CFLAGS := $(KPMEM_CFLAGS) -I$(KSFT) -Wno-unused-parameter -Wno-clobbered

selftests: $(SELFTEST_BINS)

# Tests link -lpmemset / -lrpmem through the unversioned links: with make -j
# those must exist before any test is linked.
$(SELFTEST_BINS): | $(LIBPMEMSET_LINK) $(LIBRPMEM_LINK)

# Tests of libpmemset (guest part_maps/ tests, host unit/pmemset_*) link it
# and libpmem2, and find the freshly built library without installing it.
PMEMSET_TEST_BINS := $(filter $(BUILD)/selftests/part_maps/% $(BUILD)/selftests/unit/pmemset_%,$(SELFTEST_BINS))
$(PMEMSET_TEST_BINS): TEST_LDLIBS := -L$(BUILD)/lib -lpmemset -lpmem2 -Wl,-rpath,$(BUILD)/lib
$(PMEMSET_TEST_BINS): $(LIBPMEMSET)

$(BUILD)/selftests/%: selftests/%.c $(KSFT)/kselftest_harness.h $(LIBCOMMON) $(wildcard selftests/lib/*.h)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CFLAGS) $(SELFTEST_CFLAGS) -o $@ $< $(TEST_LDLIBS) $(LIBCOMMON) -lpthread

# Tests of librpmem (host unit/rpmem_*).  The API test links the built
# library; the ABI and dlopen tests load it by path or LD_LIBRARY_PATH
# (KPMEM_BUILD_LIB); the target and env tests link the internal objects.
RPMEM_TEST_BINS := $(filter $(BUILD)/selftests/unit/rpmem_%,$(SELFTEST_BINS))
$(RPMEM_TEST_BINS): SELFTEST_CFLAGS += -I$(TOP)/lib/rpmem -DKPMEM_BUILD_LIB='"$(BUILD)/lib"'
$(RPMEM_TEST_BINS): $(LIBRPMEM) $(LIBRPMEM_LINK) $(wildcard lib/rpmem/*.h) lib/include/librpmem.h \
	lib/include/librpmem_kpmem.h
$(BUILD)/selftests/unit/rpmem_api_test: TEST_LDLIBS := -L$(BUILD)/lib -lrpmem -Wl,-rpath,$(BUILD)/lib
$(BUILD)/selftests/unit/rpmem_target_test: TEST_LDLIBS := $(BUILD)/lib/rpmem/target.o $(BUILD)/lib/rpmem/error.o
$(BUILD)/selftests/unit/rpmem_env_test: TEST_LDLIBS := $(BUILD)/lib/rpmem/env.o
$(BUILD)/selftests/unit/rpmem_fake_module_test: TEST_LDLIBS := -L$(BUILD)/lib -lrpmem -Wl,-rpath,$(BUILD)/lib

# kpmem's pool header against Debian's libpmemobj and pmempool: the module's
# pure header code (kmod/rpmem_pool_hdr.c) built in user space over the
# kernel stand-ins of selftests/unit/kshim.
$(BUILD)/selftests/unit/pool_hdr_test: kmod/rpmem_pool_hdr.c kmod/rpmem_pool_hdr.h \
	$(wildcard selftests/unit/kshim/*/*.h)
$(BUILD)/selftests/unit/pool_hdr_test: SELFTEST_CFLAGS += -I$(TOP)/selftests/unit/kshim
$(BUILD)/selftests/unit/pool_hdr_test: TEST_LDLIBS := -lpmemobj

# The real-client test loads Debian's libpmemobj, which dlopen()s
# librpmem.so.1: the executable's RPATH (not RUNPATH) makes that ours.
$(BUILD)/selftests/rpmem/pmemobj_replica_test: $(LIBRPMEM)
$(BUILD)/selftests/rpmem/pmemobj_replica_test: TEST_LDLIBS := -lpmemobj \
	-Wl,--disable-new-dtags,-rpath,$(BUILD)/lib
$(BUILD)/selftests/rpmem/pmemobj_replica_test: selftests/rpmem/pmemobj_replica.h
# ... and its reader on the target, Debian's libpmemobj alone.
$(BUILD)/selftests/rpmem/pmemobj_replica_read: selftests/rpmem/pmemobj_replica.h
$(BUILD)/selftests/rpmem/pmemobj_replica_read: TEST_LDLIBS := -lpmemobj
# ... and pmempool_remote_test's writer, whose librpmem LD_LIBRARY_PATH names.
$(BUILD)/selftests/rpmem/pmemobj_replica_write: selftests/rpmem/pmemobj_replica.h
$(BUILD)/selftests/rpmem/pmemobj_replica_write: TEST_LDLIBS := -lpmemobj

# The export's PMDK pool header, through librpmem.
$(BUILD)/selftests/rpmem/pool_hdr_test: $(LIBRPMEM)
$(BUILD)/selftests/rpmem/pool_hdr_test: SELFTEST_CFLAGS += -Wno-deprecated-declarations
$(BUILD)/selftests/rpmem/pool_hdr_test: TEST_LDLIBS := -L$(BUILD)/lib -lrpmem -Wl,-rpath,$(BUILD)/lib

# A header-less export's pool across target module reloads, through librpmem.
$(BUILD)/selftests/rpmem/nohdrs_reload_test: $(LIBRPMEM)
$(BUILD)/selftests/rpmem/nohdrs_reload_test: SELFTEST_CFLAGS += -Wno-deprecated-declarations
$(BUILD)/selftests/rpmem/nohdrs_reload_test: TEST_LDLIBS := -L$(BUILD)/lib -lrpmem -Wl,-rpath,$(BUILD)/lib

# io_uring commands on remote pools, through librpmem and rpmem_uring.h.
$(BUILD)/selftests/rpmem/uring_test: $(LIBRPMEM) lib/include/rpmem_uring.h
$(BUILD)/selftests/rpmem/uring_test: SELFTEST_CFLAGS += -Wno-deprecated-declarations
$(BUILD)/selftests/rpmem/uring_test: TEST_LDLIBS := -L$(BUILD)/lib -lrpmem -luring \
	-Wl,-rpath,$(BUILD)/lib

# Flush ordering through librpmem and the io_uring helpers.
$(BUILD)/selftests/rpmem/flush_order_test: $(LIBRPMEM) lib/include/rpmem_uring.h
$(BUILD)/selftests/rpmem/flush_order_test: SELFTEST_CFLAGS += -Wno-deprecated-declarations
$(BUILD)/selftests/rpmem/flush_order_test: TEST_LDLIBS := -L$(BUILD)/lib -lrpmem -luring \
	-Wl,-rpath,$(BUILD)/lib

# Teardown races, through librpmem and the io_uring helpers.
$(BUILD)/selftests/rpmem/lifecycle_test: $(LIBRPMEM) lib/include/rpmem_uring.h
$(BUILD)/selftests/rpmem/lifecycle_test: SELFTEST_CFLAGS += -Wno-deprecated-declarations
$(BUILD)/selftests/rpmem/lifecycle_test: TEST_LDLIBS := -L$(BUILD)/lib -lrpmem -luring \
	-Wl,-rpath,$(BUILD)/lib

# Memory accounting of remote pools, through librpmem.
$(BUILD)/selftests/hardening/accounting_test: $(LIBRPMEM)
$(BUILD)/selftests/hardening/accounting_test: SELFTEST_CFLAGS += -Wno-deprecated-declarations
$(BUILD)/selftests/hardening/accounting_test: TEST_LDLIBS := -L$(BUILD)/lib -lrpmem \
	-Wl,-rpath,$(BUILD)/lib

# Pre-shared keys, through librpmem.
$(BUILD)/selftests/hardening/psk_test: $(LIBRPMEM)
$(BUILD)/selftests/hardening/psk_test: SELFTEST_CFLAGS += -Wno-deprecated-declarations
$(BUILD)/selftests/hardening/psk_test: TEST_LDLIBS := -L$(BUILD)/lib -lrpmem -Wl,-rpath,$(BUILD)/lib

# Allocation-failure injection, through librpmem for the pool paths.
$(BUILD)/selftests/hardening/alloc_fault_test: $(LIBRPMEM)
$(BUILD)/selftests/hardening/alloc_fault_test: SELFTEST_CFLAGS += -Wno-deprecated-declarations
$(BUILD)/selftests/hardening/alloc_fault_test: TEST_LDLIBS := -L$(BUILD)/lib -lrpmem \
	-Wl,-rpath,$(BUILD)/lib

# Faults under a connected pool, through librpmem.
$(BUILD)/selftests/rpmem/fault_test: $(LIBRPMEM) lib/include/rpmem_uring.h
$(BUILD)/selftests/rpmem/fault_test: SELFTEST_CFLAGS += -Wno-deprecated-declarations
$(BUILD)/selftests/rpmem/fault_test: TEST_LDLIBS := -L$(BUILD)/lib -lrpmem -luring \
	-Wl,-rpath,$(BUILD)/lib

# A 1 GiB pool and an IPv6 target, through librpmem.
$(BUILD)/selftests/rpmem/large_pool_test: $(LIBRPMEM)
$(BUILD)/selftests/rpmem/large_pool_test: SELFTEST_CFLAGS += -Wno-deprecated-declarations
$(BUILD)/selftests/rpmem/large_pool_test: TEST_LDLIBS := -L$(BUILD)/lib -lrpmem \
	-Wl,-rpath,$(BUILD)/lib

# The fuzzer drives io_uring commands too.
$(BUILD)/selftests/hardening/ioctl_fuzz: TEST_LDLIBS := -luring

# The durability test uses librpmem's public API only.
$(BUILD)/selftests/rpmem/durability_test: $(LIBRPMEM) $(LIBRPMEM_LINK) lib/include/librpmem.h
$(BUILD)/selftests/rpmem/durability_test: TEST_LDLIBS := -L$(BUILD)/lib -lrpmem -Wl,-rpath,$(BUILD)/lib

# The rogue initiator speaks the wire protocol itself on rdma-core (its
# MACs with libcrypto), and runs a well-behaved librpmem initiator beside it.
$(BUILD)/selftests/hardening/rogue_initiator: $(LIBRPMEM) $(LIBRPMEM_LINK)
$(BUILD)/selftests/hardening/rogue_initiator: TEST_LDLIBS := -L$(BUILD)/lib -lrpmem -lrdmacm -libverbs \
	-lcrypto -Wl,-rpath,$(BUILD)/lib

# The pre-authentication flood: silent rdma_cm connections against a pair's
# target while librpmem initiators on both guests are served.
$(BUILD)/selftests/hardening/flood_test: $(LIBRPMEM) $(LIBRPMEM_LINK)
$(BUILD)/selftests/hardening/flood_test: TEST_LDLIBS := -L$(BUILD)/lib -lrpmem -lrdmacm -libverbs \
	-Wl,-rpath,$(BUILD)/lib

# The harness's LD_PRELOAD shim for the pair's QEMUs (selftests/vm/run).
NODELAY_SHIM := $(BUILD)/selftests/vm/tcp_nodelay.so
selftests: $(NODELAY_SHIM)
$(NODELAY_SHIM): selftests/vm/tcp_nodelay.c
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CFLAGS) $(KPMEM_CFLAGS) -shared -o $@ $< -ldl
