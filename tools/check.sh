#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: the quality gates. The exported series (tools/export.sh) must
# apply to the base with git am and give exactly the tree make builds, and
# pass checkpatch --strict; rustfmt with the kernel's settings, our objects
# built with CLIPPY=1 W=1 and the kernel's rustdoc: any report fails.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/arch.sh"

REPO=$(cd "$(dirname "$0")/.." && pwd)
SRC=$BUILD/src
EXPORT=$BUILD/export
failed=0

"$(dirname "$0")/export.sh"
mapfile -t patches < <(ls "$EXPORT"/*.patch | grep -v /0000-cover-letter.patch)

stage "git am round trip: the series on a pristine base gives tag overlay"
base=$(sed -n 's/^base-commit: //p' "$EXPORT/0000-cover-letter.patch")
wt=$BUILD/check-tree
scratch_worktree "$wt" "$base"
if git -C "$wt" -c user.name=check -c user.email=check@localhost \
	am -q --whitespace=error "${patches[@]}" &&
	[ "$(git -C "$wt" rev-parse 'HEAD^{tree}')" = "$(git -C "$SRC" rev-parse 'overlay^{tree}')" ]; then
	echo "  ${#patches[@]} patches, tree $(git -C "$wt" rev-parse 'HEAD^{tree}')"
else
	echo "error: the exported series does not reproduce tag overlay" >&2
	failed=1
fi
git -C "$SRC" worktree remove --force "$wt"

stage "checkpatch --strict on the exported series"
for p in "${patches[@]}"; do
	out=$(cd "$SRC" && scripts/checkpatch.pl --strict "$p" 2>&1 || true)
	total=$(echo "$out" | grep '^total:')
	echo "  ${p##*/}: $total"
	# A broken helper (the SPDX check needs python3-ply) must not pass.
	if [[ $total != "total: 0 errors, 0 warnings, 0 checks,"* ]] ||
		echo "$out" | grep -q Traceback; then
		echo "$out" >&2
		failed=1
	fi
done
stage "rustfmt --check"
mapfile -t rust_files < <(cd "$REPO" && git ls-files -- init rust | grep '\.rs$')
if ! (cd "$REPO" && rustfmt --edition 2021 --config-path "$SRC/.rustfmt.toml" --check \
	"${rust_files[@]}"); then
	failed=1
fi

stage "CLIPPY=1 W=1 build of our objects"
objects=(init/nonroot_initramfs.o rust/kernel.o fs/namespace.o init/do_mounts.o
	drivers/base/devtmpfs.o kernel/fork.o)
# In a copy of the build (OBJ_TAG), so that the kernel make test boots
# keeps its objects and is not rebuilt after; the objects are removed
# first, so that every run lints them again.
clippy_obj=$(OBJ_TAG=clippy && . "$(dirname "$0")/arch.sh" && echo "$OBJ")
log=$(OBJ_TAG=clippy && . "$(dirname "$0")/arch.sh" && echo "$BUILD_LOG")
[ ! -d "$clippy_obj" ] || (cd "$clippy_obj" && rm -f "${objects[@]}")
OBJ_TAG=clippy "$(dirname "$0")/build.sh" CLIPPY=1 W=1 "${objects[@]}" >/dev/null
if grep -E '(^|: )(warning|error)(\[|:)|Section mismatch|^WARNING' "$log"; then
	echo "error: the CLIPPY=1 W=1 build reported the above (log: $log)" >&2
	failed=1
fi

stage "rustdoc"
"$(dirname "$0")/build.sh" rustdoc >/dev/null
if grep -E '(^|: )(warning|error)(\[|:)' "$BUILD_LOG"; then
	echo "error: make rustdoc reported the above (log: $BUILD_LOG)" >&2
	failed=1
fi

# make test built, with no warning allowed (tools/build.sh): the main kernel
# (SMP, PREEMPT, MODULES=y, LSMs), default-on, no-shmem (SHMEM=n), builtin,
# feature-off, rust-off and debug (MODULES=n). These add what it does not.
stage "Kconfig matrix: the combinations make test does not build"
for variant in no-tests feature-unavailable; do
	if ! VARIANT=$variant "$(dirname "$0")/build.sh" vmlinux >/dev/null; then
		echo "error: VARIANT=$variant does not build clean" >&2
		failed=1
	fi
done
# Kconfig itself must refuse the feature where it cannot work: with shmem's
# internal tmpfs only, and without initrd support.
kconf=$BUILD/check-kconfig
for off in TMPFS BLK_DEV_INITRD; do
	rm -rf "$kconf" && mkdir -p "$kconf"
	cp "$OBJ/.config" "$kconf/.config"
	"$SRC/scripts/config" --file "$kconf/.config" --disable "$off"
	make -s -C "$SRC" O="$kconf" ARCH="$KARCH" LLVM=1 RUSTC=/usr/bin/rustc \
		BINDGEN="$BUILD/tools/bin/bindgen" olddefconfig >/dev/null
	if grep -q '^CONFIG_NONROOT_INITRAMFS=y' "$kconf/.config"; then
		echo "error: Kconfig allows NONROOT_INITRAMFS with $off=n" >&2
		failed=1
	else
		echo "  $off=n: NONROOT_INITRAMFS refused"
	fi
done
rm -rf "$kconf"

[ "$failed" = 0 ] || die "quality gates failed"
stage "all quality gates passed"
