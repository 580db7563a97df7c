# SPDX-License-Identifier: GPL-2.0
# libpmemset.so.1: PMDK's libpmemset 1.0 API on kpmem part maps.

PMEMSET_SRCS := $(wildcard lib/pmemset/*.c)
PMEMSET_OBJS := $(PMEMSET_SRCS:%.c=$(BUILD)/%.o)
PMEMSET_MAP := lib/pmemset/libpmemset.map
LIBPMEMSET := $(BUILD)/lib/libpmemset.so.1
LIBPMEMSET_LINK := $(BUILD)/lib/libpmemset.so

lib: $(LIBPMEMSET) $(LIBPMEMSET_LINK)

# Library objects see their private headers; the pattern rule in
# lib/common/common.mk compiles them.
$(PMEMSET_OBJS): KPMEM_CFLAGS += -I$(TOP)/lib/pmemset
$(PMEMSET_OBJS): $(wildcard lib/pmemset/*.h) lib/include/libpmemset.h

$(LIBPMEMSET): $(PMEMSET_OBJS) $(LIBCOMMON) $(PMEMSET_MAP)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CFLAGS) -shared -Wl,-soname,libpmemset.so.1 -Wl,--version-script=$(PMEMSET_MAP) \
		-Wl,-z,defs -o $@ $(PMEMSET_OBJS) $(LIBCOMMON) -lpmem2 -lpthread

$(LIBPMEMSET_LINK): $(LIBPMEMSET)
	@ln -sf libpmemset.so.1 $@
