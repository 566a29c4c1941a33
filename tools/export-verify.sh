#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make export-verify`: show that every patch of $BUILD/export builds on its
# own. Applies the series one patch at a time to a scratch worktree of the
# base and builds the kernel after each, incrementally, with the .config of
# the main build (options a patch has not introduced yet drop out). Slow
# (a Rust rebuild per patch), so not part of make check.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/arch.sh"

SRC=$BUILD/src
EXPORT=$BUILD/export
CONFIG=$OBJ/.config
[ -f "$CONFIG" ] || die "no $CONFIG; run 'make build' first"
mapfile -t patches < <(ls "$EXPORT"/*.patch | grep -v /0000-cover-letter.patch)
[ ${#patches[@]} -gt 0 ] || die "no patches in $EXPORT; run 'make export' first"
base=$(sed -n 's/^base-commit: //p' "$EXPORT/0000-cover-letter.patch")

# The same layout as $BUILD/src and $OBJ below CCACHE_BASEDIR, so that the
# compiler sees the same relative paths and ccache hits.
top=$BUILD/verify
wt=$top/src
obj=$top/obj-$ARCH
git -C "$SRC" worktree remove --force "$wt" 2>/dev/null || rm -rf "$wt"
git -C "$SRC" worktree prune
mkdir -p "$top" "$obj"
git -C "$SRC" worktree add -q --detach "$wt" "$base"
trap 'git -C "$SRC" worktree remove --force "$wt"' EXIT

export CCACHE_BASEDIR=$top CCACHE_NOHASHDIR=true
export KBUILD_BUILD_USER=nonroot KBUILD_BUILD_HOST=initramfs
kmake=(make -C "$wt" O="$obj" ARCH="$KARCH" LLVM=1
	CC="ccache clang"
	RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
	BINDGEN="$BUILD/tools/bin/bindgen" -j"$(nproc)")

build() {
	local name=$1 log=$LOGDIR/verify-$1.log t0=$SECONDS
	cp "$CONFIG" "$obj/.config"
	if ! { "${kmake[@]}" olddefconfig && "${kmake[@]}" "$KIMAGE_TARGET"; } >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		die "$name does not build; full log: $log"
	fi
	warnings=$(grep -cE '^(WARNING|warning):|: warning:' "$log" || true)
	printf '  %-70s %4ds, %s warnings\n' "$name" $((SECONDS - t0)) "$warnings"
	[ "$warnings" = 0 ] || failed=1
}

failed=0
stage "building the base, then after each of ${#patches[@]} patches (logs: $LOGDIR/verify-*.log)"
build base
for p in "${patches[@]}"; do
	git -C "$wt" -c user.name=nonroot-initramfs -c user.email=build@localhost \
		am -q "$p" || die "$p does not apply"
	build "$(basename "$p" .patch)"
done
[ "$failed" = 0 ] || die "some builds had warnings (see above)"
stage "every patch builds on its own"
