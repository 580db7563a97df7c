# SPDX-License-Identifier: GPL-2.0
# librpmem.so.1: PMDK's librpmem 1.3 API on kpmem's in-kernel RDMA initiator.

RPMEM_SRCS := $(wildcard lib/rpmem/*.c)
RPMEM_OBJS := $(RPMEM_SRCS:%.c=$(BUILD)/%.o)
RPMEM_MAP := lib/rpmem/librpmem.map
LIBRPMEM := $(BUILD)/lib/librpmem.so.1
LIBRPMEM_LINK := $(BUILD)/lib/librpmem.so
LIBRPMEM_PC := $(BUILD)/lib/pkgconfig/librpmem.pc

lib: $(LIBRPMEM) $(LIBRPMEM_LINK) $(LIBRPMEM_PC)

# Library objects see their private headers; the pattern rule in
# lib/common/common.mk compiles them.
$(RPMEM_OBJS): KPMEM_CFLAGS += -I$(TOP)/lib/rpmem
$(RPMEM_OBJS): $(wildcard lib/rpmem/*.h) lib/include/librpmem.h lib/include/librpmem_kpmem.h \
	lib/include/rpmem_uring.h

$(LIBRPMEM): $(RPMEM_OBJS) $(LIBCOMMON) $(RPMEM_MAP)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CFLAGS) -shared -Wl,-soname,librpmem.so.1 -Wl,--version-script=$(RPMEM_MAP) \
		-Wl,-z,defs -o $@ $(RPMEM_OBJS) $(LIBCOMMON) -luring

$(LIBRPMEM_LINK): $(LIBRPMEM)
	@ln -sf librpmem.so.1 $@

# For building against the tree without installing: points at build/lib
# and lib/include.  Version is the API version (RPMEM_MAJOR/MINOR_VERSION).
$(LIBRPMEM_PC): lib/rpmem/rpmem.mk
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@printf '%s\n' 'libdir=$(BUILD)/lib' 'includedir=$(TOP)/lib/include' '' \
		'Name: librpmem' \
		'Description: PMDK librpmem API on the kpmem kernel module' \
		'Version: 1.3' \
		'Libs: -L$${libdir} -lrpmem' \
		'Cflags: -I$${includedir}' > $@
