# SPDX-License-Identifier: GPL-2.0
#
# kpmem top-level build.  `make help` lists the targets.

TOP := $(CURDIR)
BUILD := $(TOP)/build
KVERS ?= $(shell $(TOP)/scripts/kernels all 2>/dev/null)
# KVERS may name kernels the way scripts/kernels does (6.12, rt, debug):
# the loops below want releases.  A release that is not installed (headers
# only) stays as it is.
KVERS_ORIGIN := $(origin KVERS)
override KVERS := $(foreach k,$(KVERS),$(or $(shell $(TOP)/scripts/kernels $(k) 2>/dev/null),$(k)))

CC ?= gcc
CFLAGS ?= -O2 -g
# WERROR= builds without -Werror (distribution builds with other compilers).
WERROR ?= -Werror
KPMEM_CFLAGS := -std=gnu11 -Wall -Wextra $(WERROR) -D_GNU_SOURCE -fPIC \
	-I$(TOP)/uapi -I$(TOP)/lib/include -I$(TOP)/lib/common
KSFT := $(BUILD)/ksft
# kpmem's release (MAJOR.MINOR.PATCH), from kmod/kpmem.h: see scripts/version.
KPMEM_RELEASE := $(shell $(TOP)/scripts/version)

# Installation (`make install`, `make modules_install`): the usual variables,
# DESTDIR for staging.  Libraries go to the multiarch directory, as Debian's
# own do (/usr/local/lib/<triplet> is in Debian's default library path).
PREFIX ?= /usr/local
DEB_HOST_MULTIARCH ?= $(shell $(CC) -print-multiarch 2>/dev/null)
LIBDIR ?= $(PREFIX)/lib$(if $(DEB_HOST_MULTIARCH),/$(DEB_HOST_MULTIARCH))
INCLUDEDIR ?= $(PREFIX)/include
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
# Filled in by the .mk files: what `make install` / `make uninstall` run.
INSTALL_TARGETS :=
UNINSTALL_TARGETS :=

# Where the Linux source tarball (for checkpatch and the kselftest headers) is.
LINUX_SRC_TARBALL ?= $(lastword $(sort $(wildcard /usr/src/linux-source-6.12.tar.xz /usr/src/linux-source-6.1.tar.xz)))
LINUX_SRC := $(BUILD)/linux-source

.PHONY: all modules user lib tools selftests check bench \
	deps sparse checkpatch demo clean help \
	install uninstall modules_install dkms-source install-dkms-source deb

all: modules user

help:
	@echo 'make            build kpmem.ko for every installed supported kernel, the libraries, tools and tests'
	@echo 'make deps       install what kpmem needs from Debian (idempotent)'
	@echo 'make check      build, then run host unit tests and the selftests in guests on each kernel'
	@echo 'make demo       boot guests and show kpmem working'
	@echo 'make bench      run the benchmarks in guests (BENCH_QUICK=1 for a smoke run)'
	@echo 'make sparse     sparse (C=2) on the module for each kernel'
	@echo 'make checkpatch checkpatch.pl --strict on the kernel sources'
	@echo 'make debug-kernel  the harness'"'"'s debug kernel: KASAN, lockdep, kmemleak, ... (built once, cached)'
	@echo 'make install    libraries, headers, pkg-config files, kpmemctl, man pages, unit, completion'
	@echo '                (PREFIX=/usr/local, DESTDIR=, LIBDIR=$$(PREFIX)/lib/<multiarch>); make uninstall'
	@echo 'make modules_install  kpmem.ko (only) into /lib/modules/<release>/extra/ for each of KVERS'
	@echo 'make dkms-source      build/dkms/kpmem-$(KPMEM_RELEASE)/, for dkms add (see dkms.conf)'
	@echo 'make deb        Debian packages in build/deb/ (kpmem-dkms, libraries, -dev, kpmemctl)'
	@echo 'KVERS="<release> ..." limits the kernels (see scripts/kernels)'
	@echo '                KVERS=debug: the debug kernel; KVERS=rt: Debian'"'"'s PREEMPT_RT 6.12 (make check KVERS=debug)'

deps:
	@$(TOP)/scripts/install-deps

# Debian's linux-source-6.12 with a small config and the kernel's detectors,
# for the guest harness; cached outside the tree (see scripts/debug-kernel).
.PHONY: debug-kernel
debug-kernel:
	@$(TOP)/scripts/install-deps
	@$(TOP)/scripts/debug-kernel

# ---- kernel module, one out-of-tree build per kernel ----------------------
# build/kernel/<release>/ holds kpmem.ko (Kbuild: kmod/ only); the test-only
# modules are a tree of their own below it (selftests/kmod/Kbuild, built
# with M= pointing there), so a modules_install of the first never sees
# them.  build-kmod passes its extra arguments last: the second M= wins.
# build/kernel/<release>/debug-hooks/ is kpmem.ko with the stall points the
# race tests drive (kmod/debug_hook.h); selftests/rpmem/with_debug_hooks
# loads it for one test.  It is never installed.
TEST_KMOD_DIR = $(BUILD)/kernel/$$k/selftests/kmod
modules:
	@test -n "$(KVERS)" || { echo "no supported kernel headers installed: run make deps" >&2; exit 1; }
	@set -e; for k in $(KVERS); do \
		echo "  KMOD    $$k"; \
		$(TOP)/scripts/build-kmod $$k -s; \
		$(TOP)/scripts/build-kmod $$k -s M=$(TEST_KMOD_DIR); \
		$(TOP)/scripts/build-kmod $$k --debug-hooks -s; \
	done

sparse:
	@set -e; for k in $(KVERS); do \
		echo "  SPARSE  $$k"; \
		{ $(TOP)/scripts/build-kmod $$k -s C=2 && \
		  $(TOP)/scripts/build-kmod $$k -s C=2 M=$(TEST_KMOD_DIR); } 2>&1 | \
			tee $(BUILD)/sparse-$$k.log; \
		! grep -E 'warning|error' $(BUILD)/sparse-$$k.log; \
	done

# kpmem.ko only, with Kbuild's own modules_install: into
# /lib/modules/<release>/extra/kmod/ (INSTALL_MOD_PATH=$(DESTDIR)), compressed
# as the kernel's configuration says.  Debian's headers hold no signing key:
# the module stays unsigned, and Kbuild is told not to try.  depmod runs
# here, for an install into the running system: Debian's headers lack the
# System.map Kbuild's depmod step wants.
INSTALL_MOD_DIR ?= extra
modules_install: modules
	@set -e; for k in $(KVERS); do \
		kdir=/lib/modules/$$k/build; [ -d $$kdir ] || kdir=/usr/src/linux-headers-$$k; \
		echo "  INSTALL kpmem.ko for $$k"; \
		$(MAKE) --no-print-directory -s -C $$kdir M=$(BUILD)/kernel/$$k \
			INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) \
			CONFIG_MODULE_SIG_ALL= modules_install; \
		if [ -z "$(DESTDIR)" ]; then depmod -a $$k; fi; \
	done

# ---- DKMS -----------------------------------------------------------------
# build/dkms/kpmem-<release>/ is the module's DKMS source tree: Kbuild,
# kmod/, uapi/linux/kpmem.h and dkms.conf with the release filled in.
# `dkms add` copies it to /usr/src/kpmem-<release>/; kpmem-dkms ships it.
DKMS_TREE := $(BUILD)/dkms/kpmem-$(KPMEM_RELEASE)
DKMS_SRCDIR ?= /usr/src/kpmem-$(KPMEM_RELEASE)
DKMS_SOURCES = Kbuild kmod/Kbuild $(wildcard kmod/*.[ch]) uapi/linux/kpmem.h

dkms-source:
	@echo "  DKMS    $(DKMS_TREE)"
	@rm -rf $(DKMS_TREE) && mkdir -p $(DKMS_TREE)
	@cp --parents $(DKMS_SOURCES) $(DKMS_TREE)/
	@sed 's/#MODULE_VERSION#/$(KPMEM_RELEASE)/' dkms.conf > $(DKMS_TREE)/dkms.conf

install-dkms-source: dkms-source
	@mkdir -p $(DESTDIR)$(DKMS_SRCDIR)
	@cp -R $(DKMS_TREE)/. $(DESTDIR)$(DKMS_SRCDIR)/

KERNEL_SOURCES = $(wildcard kmod/*.[ch] selftests/kmod/*.[ch]) uapi/linux/kpmem.h
# compat.h is the one file allowed to test LINUX_VERSION_CODE.
checkpatch: $(LINUX_SRC)/scripts/checkpatch.pl
	@$(LINUX_SRC)/scripts/checkpatch.pl --no-tree --strict --quiet \
		-f $(filter-out kmod/compat.h kmod/kpmem_trace.h,$(KERNEL_SOURCES))
	@# TRACE_EVENT's own layout: lines ending in "(", arguments on the next line.
	@$(LINUX_SRC)/scripts/checkpatch.pl --no-tree --strict --quiet \
		--ignore OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT -f kmod/kpmem_trace.h
	@$(LINUX_SRC)/scripts/checkpatch.pl --no-tree --strict --quiet \
		--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f kmod/compat.h
	@echo "checkpatch: clean"

# checkpatch and the kselftest headers come from Debian's linux-source
# tarball; only the few files needed are unpacked (build-time only).
$(LINUX_SRC)/scripts/checkpatch.pl $(KSFT)/kselftest_harness.h:
	@test -n "$(LINUX_SRC_TARBALL)" || { echo "no /usr/src/linux-source-*.tar.xz: run make deps" >&2; exit 1; }
	@mkdir -p $(LINUX_SRC) $(KSFT)
	@echo "  UNPACK  $(notdir $(LINUX_SRC_TARBALL)) (checkpatch, kselftest headers)"
	@tar -xJf $(LINUX_SRC_TARBALL) -C $(LINUX_SRC) --strip-components=1 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch' \
		'*/tools/testing/selftests/kselftest.h' '*/tools/testing/selftests/kselftest_harness.h'
	@cp $(LINUX_SRC)/tools/testing/selftests/kselftest.h \
		$(LINUX_SRC)/tools/testing/selftests/kselftest_harness.h $(KSFT)/

# ---- userspace ------------------------------------------------------------
user: lib tools selftests

include lib/common/common.mk
-include lib/pmemset/pmemset.mk
-include lib/rpmem/rpmem.mk
include tools/tools.mk
include selftests/selftests.mk
include bench/bench.mk
include examples/examples.mk
include man/man.mk

# ---- install --------------------------------------------------------------
# Userspace only; the module goes through modules_install or DKMS.
install: $(INSTALL_TARGETS)
	@if [ -z "$(DESTDIR)" ]; then ldconfig; fi

uninstall: $(UNINSTALL_TARGETS)
	@if [ -z "$(DESTDIR)" ]; then ldconfig; fi

# ---- Debian packages --------------------------------------------------------
# build/deb/*.deb, built from a copy of the tree (debian/, dpkg-buildpackage
# -b), then checked with lintian.  See scripts/build-deb.
deb:
	@$(TOP)/scripts/build-deb

# ---- tests ----------------------------------------------------------------
# `make check` is what CI runs: host unit tests, then every selftest inside
# guests booting each supported kernel.  The last line is the summary.  The
# Debian packages are built on the host first (selftests/packaging installs
# them in guests); a failed `make deb` fails that test, not the others.
check:
	@$(TOP)/scripts/install-deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory deb || echo "check: make deb failed: the package test will fail" >&2
	@$(TOP)/selftests/check $(if $(filter command line environment,$(KVERS_ORIGIN)),$(KVERS))

# Benchmarks run in guests and print tables; they assert no timings.
bench:
	@$(TOP)/scripts/install-deps
	@$(MAKE) --no-print-directory all
	@$(TOP)/bench/run

demo:
	@$(TOP)/scripts/install-deps
	@$(MAKE) --no-print-directory all
	@$(TOP)/scripts/demo

clean:
	rm -rf $(BUILD)
