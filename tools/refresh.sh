#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make refresh`: write the work done in $BUILD/src back to this repository.
# Commits that touch upstream files become patches/ (one patch per commit,
# in order); files that do not exist upstream go back to the overlay.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

REPO=$(cd "$(dirname "$0")/.." && pwd)
SRC=$BUILD/src
[ -d "$SRC/.git" ] || die "no prepared tree in $SRC; run 'make prepare' first"

mapfile -t new_files < <(git -C "$SRC" diff --name-only --diff-filter=A base HEAD)
mapfile -t dirty < <(git -C "$SRC" diff --name-only HEAD)
for f in "${dirty[@]}"; do
	printf '%s\n' "${new_files[@]}" | grep -qxF -- "$f" ||
		die "$SRC: uncommitted change to upstream file $f; commit it there first"
done

exclude=()
for f in "${new_files[@]}"; do
	exclude+=(":(exclude)$f")
done
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
git -C "$SRC" format-patch -q --zero-commit --no-signature -N -o "$out" \
	base..HEAD -- . "${exclude[@]}"

rm -f "$REPO"/patches/*.patch
header=$(grep '^#' "$REPO/patches/series" || true)
{
	[ -z "$header" ] || printf '%s\n' "$header"
	for p in "$out"/*.patch; do
		[ -e "$p" ] || continue
		cp "$p" "$REPO/patches/"
		basename "$p"
	done
} >"$REPO/patches/series"

for f in "${new_files[@]}"; do
	case $f in
	init/* | include/* | rust/* | Documentation/*) ;;
	*) die "$f is new but outside the overlay (init/, include/, rust/, Documentation/)" ;;
	esac
	if ! cmp -s "$SRC/$f" "$REPO/$f"; then
		mkdir -p "$REPO/$(dirname "$f")"
		cp "$SRC/$f" "$REPO/$f"
		echo "overlay: $f"
	fi
done
stage "refreshed: $(grep -vc '^#' "$REPO/patches/series") patches; review with git -C $REPO diff"
