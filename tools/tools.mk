# SPDX-License-Identifier: GPL-2.0

KPMEMCTL := $(BUILD)/tools/kpmemctl

tools: $(KPMEMCTL)

$(KPMEMCTL): $(wildcard tools/kpmemctl/*.c tools/kpmemctl/*.h) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CFLAGS) $(KPMEM_CFLAGS) -o $@ $(filter %.c,$^) $(LIBCOMMON)
