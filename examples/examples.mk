# SPDX-License-Identifier: GPL-2.0
# Example applications, built against the libraries as a user would.

EXAMPLE_BINS := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))

user: $(EXAMPLE_BINS)

# librpmem and its io_uring helpers (liburing).
$(BUILD)/examples/%: examples/%.c $(LIBRPMEM) $(LIBRPMEM_LINK) lib/include/rpmem_uring.h
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CFLAGS) $(KPMEM_CFLAGS) -o $@ $< \
		-L$(BUILD)/lib -lrpmem -luring -Wl,-rpath,$(BUILD)/lib
