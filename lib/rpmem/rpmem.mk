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

$(LIBRPMEM): $(RPMEM_OBJS) $(LIBCOMMON) $(RPMEM_MAP) $(RELEASE_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,librpmem.so.1 -Wl,--version-script=$(RPMEM_MAP) \
		-Wl,-z,defs -o $@ $(RPMEM_OBJS) $(RELEASE_STAMP) $(LIBCOMMON) -luring

$(LIBRPMEM_LINK): $(LIBRPMEM)
	@ln -sf librpmem.so.1 $@

# For building against the tree without installing: points at build/lib,
# lib/include and uapi (for <linux/kpmem.h>).  Version is kpmem's release;
# the API version is RPMEM_MAJOR/MINOR_VERSION (librpmem.h).
RPMEM_PC_DESC := PMDK librpmem API 1.3 on the kpmem kernel module

$(LIBRPMEM_PC): lib/rpmem/rpmem.mk lib/common/common.mk kmod/kpmem.h
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@printf '%s\n' $(call pkgconfig_lines,librpmem,$(RPMEM_PC_DESC),rpmem,,$(TOP),$(BUILD)/lib,$(TOP)/lib/include,-I$${prefix}/uapi) > $@

# ---- install ----------------------------------------------------------------
INSTALL_TARGETS += install-rpmem
UNINSTALL_TARGETS += uninstall-rpmem

install-rpmem: $(LIBRPMEM)
	@echo "  INSTALL librpmem.so.1 in $(DESTDIR)$(LIBDIR)"
	@install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR)
	@install -m 0644 $(LIBRPMEM) $(DESTDIR)$(LIBDIR)/librpmem.so.1
	@ln -sf librpmem.so.1 $(DESTDIR)$(LIBDIR)/librpmem.so
	@printf '%s\n' $(call pkgconfig_lines,librpmem,$(RPMEM_PC_DESC),rpmem,,$(PREFIX),$(LIBDIR),$(INCLUDEDIR)) \
		> $(DESTDIR)$(PKGCONFIGDIR)/librpmem.pc

uninstall-rpmem:
	rm -f $(addprefix $(DESTDIR)$(LIBDIR)/,librpmem.so.1 librpmem.so) $(DESTDIR)$(PKGCONFIGDIR)/librpmem.pc

.PHONY: install-rpmem uninstall-rpmem
