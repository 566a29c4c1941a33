#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: the quality gates. checkpatch --strict on every patch and new
# file, rustfmt with the kernel's settings, and our objects built with
# CLIPPY=1 W=1: any report fails.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/arch.sh"

REPO=$(cd "$(dirname "$0")/.." && pwd)
SRC=$BUILD/src
failed=0

stage "checkpatch --strict"
mapfile -t series < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$REPO/patches/series")
mapfile -t new_files < <(cd "$REPO" && git ls-files -- init rust Documentation)
for p in "${series[@]}"; do
	out=$(cd "$SRC" && scripts/checkpatch.pl --strict "$REPO/patches/$p" 2>&1 | grep '^total:')
	echo "  $p: $out"
	[[ $out == "total: 0 errors, 0 warnings, 0 checks,"* ]] || failed=1
done
for f in "${new_files[@]}"; do
	case $f in
	*.rs | *.c | *.h) ;;
	*) continue ;;
	esac
	out=$(cd "$SRC" && scripts/checkpatch.pl --strict --no-tree -f "$REPO/$f" 2>&1 | grep '^total:')
	echo "  $f: $out"
	[[ $out == "total: 0 errors, 0 warnings, 0 checks,"* ]] || failed=1
done

stage "rustfmt --check"
mapfile -t rust_files < <(printf '%s\n' "${new_files[@]}" | grep '\.rs$')
if ! (cd "$REPO" && rustfmt --edition 2021 --config-path "$SRC/.rustfmt.toml" --check \
	"${rust_files[@]}"); then
	failed=1
fi

stage "CLIPPY=1 W=1 build of our objects"
objects=(init/nonroot_initramfs.o rust/kernel.o fs/namespace.o init/do_mounts.o
	drivers/base/devtmpfs.o)
"$(dirname "$0")/build.sh" CLIPPY=1 W=1 "${objects[@]}" >/dev/null
log=$LOGDIR/build-$ARCH.log
if grep -E '(^|: )(warning|error)(\[|:)|Section mismatch|^WARNING' "$log"; then
	echo "error: the CLIPPY=1 W=1 build reported the above (log: $log)" >&2
	failed=1
fi
# Back to the plain build, so that make test does not boot clippy's objects.
"$(dirname "$0")/build.sh" >/dev/null

[ "$failed" = 0 ] || die "quality gates failed"
stage "all quality gates passed"
