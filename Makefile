# SPDX-License-Identifier: GPL-2.0
#
# nonroot_initramfs for Linux 6.12: prepare a patched tree, build it, boot it
# in QEMU and test it. This Makefile drives tools/; it is never copied into
# the kernel.

# The pinned base, named here only.
KERNEL_VERSION        := 6.12.117
KERNEL_DEB_VERSION    := 6.12.117-1~deb12u1
KERNEL_TARBALL_SHA256 := 585a4a074597aefa2b1a68ada83a3184ba351c127544dea80618bbcceaa3961f
BINDGEN_VERSION       := 0.70.1

ARCH       ?= x86_64
BUILD      ?= $(CURDIR)/build
KERNEL_SRC ?=
VARIANT    ?=

export KERNEL_VERSION KERNEL_DEB_VERSION KERNEL_TARBALL_SHA256 BINDGEN_VERSION
export ARCH BUILD KERNEL_SRC VARIANT

.PHONY: all deps prepare build run test check mutate export export-verify bench bench-profile refresh clean help

all: build

help:
	@echo 'make run    build if needed, boot with nonroot_initramfs, show a container pivot_root'
	@echo 'make test   build if needed and run every test (KUnit + QEMU boot tests)'
	@echo 'make mutate break the feature on purpose, one change at a time: which tests catch it'
	@echo 'make check  quality gates: the exported series (checkpatch, git am round trip),'
	@echo '            rustfmt, CLIPPY=1 W=1 build of our code, rustdoc'
	@echo 'make export the upstream-shaped series with a cover letter, in build/export'
	@echo 'make export-verify  build the kernel after each exported patch'
	@echo 'make bench  boot time and memory against plain rootfs and the workarounds'
	@echo 'make bench-profile  where the fixed cost of the feature goes, by kernel function'
	@echo 'make deps | prepare | build | refresh | clean'
	@echo 'variables: ARCH=$(ARCH) KERNEL_SRC=<your 6.12 tree> BUILD=$(BUILD)'

deps:
	@tools/deps.sh

prepare: deps
	@tools/prepare.sh

build: prepare
	@tools/build.sh

run: build
	@tools/run-demo.sh

# Kernel variants some boot tests need (tools/configs/variant-*.config).
# arm64 tests the one kernel: CI has no time for more cross builds. The
# runner builds them one at a time while the main kernel's boots run, the
# longest first: its boots are the longest too.
TEST_VARIANTS_x86_64 := debug no-shmem default-on builtin feature-off rust-off
TEST_VARIANTS_arm64  :=
TEST_VARIANTS := $(TEST_VARIANTS_$(ARCH))

test: build
	@tools/testing/run_tests.py --build-variants "$(TEST_VARIANTS)"

check: build
	@tools/check.sh

# Break the feature one change at a time and show which tests catch each;
# writes tools/testing/mutations.rst. MUTATIONS= picks some by name.
mutate: build
	@tools/testing/run_tests.py --images
	@tools/testing/mutate.py $(MUTATIONS)

export: prepare
	@tools/export.sh

export-verify: export
	@tools/export-verify.sh

# Kernels the benchmark boots: the feature without test code, on SMP and
# on one CPU, and without the feature to measure the bytes it adds.
# BENCH_ARGS go to bench.py.
BENCH_VARIANTS := no-tests no-tests-up feature-off

bench: prepare
	@for v in $(BENCH_VARIANTS); do VARIANT=$$v tools/build.sh || exit; done
	@tools/bench/bench.py $(BENCH_ARGS)

# Where the feature's fixed cost goes, by kernel function, from QEMU's
# instruction trace of two boots; writes tools/bench/profile.rst.
bench-profile: prepare
	@VARIANT=no-tests tools/build.sh
	@tools/bench/tbprofile.py $(BENCH_ARGS)

refresh:
	@tools/refresh.sh

clean:
	rm -rf $(BUILD)/obj-* $(BUILD)/src $(BUILD)/src-next $(BUILD)/export* $(BUILD)/check-tree $(BUILD)/verify $(BUILD)/images $(BUILD)/logs
