#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Prepare $BUILD/src: a git tree holding the pristine base (tag "base"), one
# commit per patch of patches/series, then our new files (tag "overlay").
# The user's KERNEL_SRC is only read, never modified.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

REPO=$(cd "$(dirname "$0")/.." && pwd)
SRC=$BUILD/src
OVERLAY_DIRS=(init include rust Documentation)

git_src() { git -C "$SRC" -c user.name=nonroot-initramfs -c user.email=build@localhost "$@"; }

kernel_version_of() {
	make -s -C "$1" kernelversion 2>/dev/null
}

# Identify the base: the pinned tarball (checked by hash) or the user's tree.
if [ -n "${KERNEL_SRC:-}" ]; then
	[ -f "$KERNEL_SRC/Makefile" ] || die "KERNEL_SRC=$KERNEL_SRC is not a kernel tree"
	KERNEL_SRC=$(cd "$KERNEL_SRC" && pwd)
	base_version=$(kernel_version_of "$KERNEL_SRC")
	base_id="tree:$KERNEL_SRC:$base_version"
else
	tarball=${KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
	[ -f "$tarball" ] || die "$tarball missing; run 'make deps' or set KERNEL_SRC"
	sum=$(sha256sum "$tarball" | cut -d' ' -f1)
	base_id="tarball:$sum"
fi

if [ "$(cat "$SRC/.git/nonroot-base" 2>/dev/null)" != "$base_id" ]; then
	stage "preparing the base tree in $SRC"
	rm -rf "$SRC"
	mkdir -p "$SRC"
	if [ -n "${KERNEL_SRC:-}" ]; then
		tar -C "$KERNEL_SRC" --exclude=.git -cf - . | tar -C "$SRC" -xf -
		# Built-in-place trees break O= builds; clean the copy only.
		run_logged mrproper make -C "$SRC" -s mrproper
	else
		tar -C "$SRC" --strip-components=1 -xf "$tarball"
	fi
	git -C "$SRC" init -q
	git_src add -A -f
	base_version=$(kernel_version_of "$SRC")
	git_src commit -q -m "Linux $base_version (pristine base)"
	git_src tag -f base >/dev/null
	echo "$base_id" > "$SRC/.git/nonroot-base"
fi

base_version=$(kernel_version_of "$SRC")
case $base_version in
6.12.*) ;;
*) die "base is Linux $base_version; this overlay is for 6.12" ;;
esac
if [ "$base_version" != "$KERNEL_VERSION" ] ||
	{ [ -z "${KERNEL_SRC:-}" ] && [ "$sum" != "$KERNEL_TARBALL_SHA256" ]; }; then
	printf 'note: base is Linux %s, pinned is %s (sha256 %s); continuing only if every patch applies with zero fuzz\n' \
		"$base_version" "$KERNEL_VERSION" "$KERNEL_TARBALL_SHA256" >&2
fi

# Our new files: tracked or untracked-but-not-ignored, under the allow-list.
mapfile -t overlay_files < <(cd "$REPO" && git ls-files --cached --others \
	--exclude-standard -- "${OVERLAY_DIRS[@]}" | sort -u)
mapfile -t series < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$REPO/patches/series")

hash_of() { (cd "$REPO" && sha256sum -- "$@") | sha256sum | cut -d' ' -f1; }
patch_inputs=$(printf '%s %s' "$base_id" "$(hash_of patches/series "${series[@]/#/patches/}")")
overlay_inputs=$(hash_of "${overlay_files[@]}")
if [ "$(cat "$SRC/.git/nonroot-patches" 2>/dev/null)" = "$patch_inputs" ] &&
	[ "$(cat "$SRC/.git/nonroot-overlay" 2>/dev/null)" = "$overlay_inputs" ]; then
	git_src diff --quiet HEAD ||
		echo "note: building $SRC with its uncommitted edits" >&2
	stage "kernel tree is up to date ($SRC)"
	exit 0
fi
git_src diff --quiet HEAD 2>/dev/null ||
	die "$SRC has uncommitted edits and the overlay changed: commit them there and run 'make refresh', or discard them"

for f in "${overlay_files[@]}"; do
	git_src cat-file -e "base:$f" 2>/dev/null &&
		die "$f exists upstream: edit it through a patch in patches/, not the overlay"
done

commit_overlay() {
	# Not kunit.py's build directory, which the README runs in this tree.
	git -C "$1" add -A -f -- . ':(exclude).kunit'
	git -C "$1" -c user.name=nonroot-initramfs -c user.email=build@localhost \
		commit -q --allow-empty "${@:2}" -m "nonroot_initramfs: new files (overlay)"
}

# Only new files changed: replace the overlay commit, the last one, in place.
# Files whose content is unchanged keep their mtime, so make rebuilds only
# what depends on the changed ones.
if [ "$(cat "$SRC/.git/nonroot-patches" 2>/dev/null)" = "$patch_inputs" ] &&
	[ "$(git_src rev-parse HEAD)" = "$(git_src rev-parse overlay 2>/dev/null)" ]; then
	stage "updating the overlay in $SRC"
	git_src diff --name-only HEAD~1 HEAD | while read -r f; do
		[ -e "$REPO/$f" ] || rm -f "$SRC/$f"
	done
	for f in "${overlay_files[@]}"; do
		mkdir -p "$SRC/$(dirname "$f")"
		cmp -s "$REPO/$f" "$SRC/$f" || cp "$REPO/$f" "$SRC/$f"
	done
	commit_overlay "$SRC" --amend
	git_src tag -f overlay HEAD >/dev/null
	echo "$overlay_inputs" > "$SRC/.git/nonroot-overlay"
	stage "kernel tree ready: $SRC"
	exit 0
fi

stage "applying ${#series[@]} patches and the overlay onto Linux $base_version"
# Build the new state in a scratch worktree, then check it out in $SRC: git
# rewrites only the files that changed.
next=$BUILD/src-next
git_src worktree remove --force "$next" 2>/dev/null || rm -rf "$next"
git_src worktree prune
git_src worktree add -q --detach "$next" base
for p in "${series[@]}"; do
	if ! git -C "$next" -c user.name=nonroot-initramfs -c user.email=build@localhost \
		am -q --committer-date-is-author-date "$REPO/patches/$p" \
		>"$LOGDIR/patch.log" 2>&1; then
		cat "$LOGDIR/patch.log" >&2
		git -C "$next" am --abort 2>/dev/null || true
		die "patches/$p does not apply to Linux $base_version with zero fuzz"
	fi
done
[ ${#overlay_files[@]} -eq 0 ] ||
	(cd "$REPO" && tar -cf - -- "${overlay_files[@]}") | tar -C "$next" -xf -
commit_overlay "$next"
head=$(git -C "$next" rev-parse HEAD)
git_src worktree remove --force "$next"
git_src checkout -q -f -B nonroot "$head"
git_src tag -f overlay HEAD >/dev/null
echo "$patch_inputs" > "$SRC/.git/nonroot-patches"
echo "$overlay_inputs" > "$SRC/.git/nonroot-overlay"
stage "kernel tree ready: $SRC (git log base..nonroot shows our changes)"
