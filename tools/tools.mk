# SPDX-License-Identifier: GPL-2.0
# kpmemctl, its bash completion and kpmem.service.

KPMEMCTL := $(BUILD)/tools/kpmemctl
# Objects apart: build/tools/kpmemctl is the program.
KPMEMCTL_OBJDIR := $(BUILD)/tools/obj/kpmemctl
KPMEMCTL_SRCS := $(wildcard tools/kpmemctl/*.c)
KPMEMCTL_OBJS := $(KPMEMCTL_SRCS:tools/kpmemctl/%.c=$(KPMEMCTL_OBJDIR)/%.o)

tools: $(KPMEMCTL)

$(KPMEMCTL_OBJDIR)/%.o: tools/kpmemctl/%.c $(wildcard tools/kpmemctl/*.h) \
		lib/common/kpmem_device.h uapi/linux/kpmem.h lib/include/librpmem.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(KPMEM_CFLAGS) -c -o $@ $<

# kpmemctl version reports the release it was built as.
$(KPMEMCTL_OBJDIR)/version.o: KPMEM_CFLAGS += -DKPMEM_RELEASE='"$(KPMEM_RELEASE)"'
$(KPMEMCTL_OBJDIR)/version.o: kmod/kpmem.h

$(KPMEMCTL): $(KPMEMCTL_OBJS) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

# The JSON reader's host test links the reader alone.
$(BUILD)/selftests/unit/kpmemctl_json_test: $(KPMEMCTL_OBJDIR)/json.o
$(BUILD)/selftests/unit/kpmemctl_json_test: SELFTEST_CFLAGS += -I$(TOP)/tools/kpmemctl
$(BUILD)/selftests/unit/kpmemctl_json_test: TEST_LDLIBS := $(KPMEMCTL_OBJDIR)/json.o

# ---- install ----------------------------------------------------------------
# kpmem.service runs $(SBINDIR)/kpmemctl; installing it enables nothing.
INSTALL_TARGETS += install-tools
UNINSTALL_TARGETS += uninstall-tools

install-tools: $(KPMEMCTL)
	@echo "  INSTALL kpmemctl in $(DESTDIR)$(SBINDIR), kpmem.service, bash completion"
	@install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(SYSTEMDUNITDIR)
	@install -m 0755 $(KPMEMCTL) $(DESTDIR)$(SBINDIR)/kpmemctl
	@install -m 0644 tools/kpmemctl/kpmemctl.bash-completion $(DESTDIR)$(BASHCOMPDIR)/kpmemctl
	@sed 's|@SBINDIR@|$(SBINDIR)|g' tools/kpmemctl/kpmem.service.in \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/kpmem.service

uninstall-tools:
	rm -f $(DESTDIR)$(SBINDIR)/kpmemctl $(DESTDIR)$(BASHCOMPDIR)/kpmemctl \
		$(DESTDIR)$(SYSTEMDUNITDIR)/kpmem.service

.PHONY: install-tools uninstall-tools
