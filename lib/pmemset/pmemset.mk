# SPDX-License-Identifier: GPL-2.0
# libpmemset.so.1: PMDK's libpmemset 1.0 API on kpmem part maps.

PMEMSET_SRCS := $(wildcard lib/pmemset/*.c)
PMEMSET_OBJS := $(PMEMSET_SRCS:%.c=$(BUILD)/%.o)
PMEMSET_MAP := lib/pmemset/libpmemset.map
LIBPMEMSET := $(BUILD)/lib/libpmemset.so.1
LIBPMEMSET_LINK := $(BUILD)/lib/libpmemset.so
LIBPMEMSET_PC := $(BUILD)/lib/pkgconfig/libpmemset.pc

lib: $(LIBPMEMSET) $(LIBPMEMSET_LINK) $(LIBPMEMSET_PC)

# Library objects see their private headers; the pattern rule in
# lib/common/common.mk compiles them.
$(PMEMSET_OBJS): KPMEM_CFLAGS += -I$(TOP)/lib/pmemset
$(PMEMSET_OBJS): $(wildcard lib/pmemset/*.h) lib/include/libpmemset.h

$(LIBPMEMSET): $(PMEMSET_OBJS) $(LIBCOMMON) $(PMEMSET_MAP) $(RELEASE_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,libpmemset.so.1 -Wl,--version-script=$(PMEMSET_MAP) \
		-Wl,-z,defs -o $@ $(PMEMSET_OBJS) $(RELEASE_STAMP) $(LIBCOMMON) -lpmem2 -lpthread

$(LIBPMEMSET_LINK): $(LIBPMEMSET)
	@ln -sf libpmemset.so.1 $@

# For building against the tree without installing (build/lib, lib/include).
# libpmemset.h includes libpmem2.h and its API takes pmem2 objects: hence
# Requires: libpmem2 (Debian's libpmem2-dev).
PMEMSET_PC_DESC := PMDK libpmemset API 1.0 on the kpmem kernel module

$(LIBPMEMSET_PC): lib/pmemset/pmemset.mk lib/common/common.mk kmod/kpmem.h
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@printf '%s\n' $(call pkgconfig_lines,libpmemset,$(PMEMSET_PC_DESC),pmemset,libpmem2,$(TOP),$(BUILD)/lib,$(TOP)/lib/include,-I$${prefix}/uapi) > $@

# ---- install ----------------------------------------------------------------
INSTALL_TARGETS += install-pmemset
UNINSTALL_TARGETS += uninstall-pmemset

install-pmemset: $(LIBPMEMSET)
	@echo "  INSTALL libpmemset.so.1 in $(DESTDIR)$(LIBDIR)"
	@install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR)
	@install -m 0644 $(LIBPMEMSET) $(DESTDIR)$(LIBDIR)/libpmemset.so.1
	@ln -sf libpmemset.so.1 $(DESTDIR)$(LIBDIR)/libpmemset.so
	@printf '%s\n' $(call pkgconfig_lines,libpmemset,$(PMEMSET_PC_DESC),pmemset,libpmem2,$(PREFIX),$(LIBDIR),$(INCLUDEDIR)) \
		> $(DESTDIR)$(PKGCONFIGDIR)/libpmemset.pc

uninstall-pmemset:
	rm -f $(addprefix $(DESTDIR)$(LIBDIR)/,libpmemset.so.1 libpmemset.so) \
		$(DESTDIR)$(PKGCONFIGDIR)/libpmemset.pc

.PHONY: install-pmemset uninstall-pmemset
