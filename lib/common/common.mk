# SPDX-License-Identifier: GPL-2.0
# Helpers every kpmem library and tool links (static, position independent).

COMMON_SRCS := $(wildcard lib/common/*.c)
COMMON_OBJS := $(COMMON_SRCS:%.c=$(BUILD)/%.o)
LIBCOMMON := $(BUILD)/lib/libkpmem_common.a

lib: $(LIBCOMMON)

$(BUILD)/lib/%.o: lib/%.c $(wildcard lib/*/*.h) uapi/linux/kpmem.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) $(KPMEM_CFLAGS) -c -o $@ $<

$(LIBCOMMON): $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	@$(AR) rcs $@ $^
