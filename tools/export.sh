#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make export`: write $BUILD/export, the upstream-shaped series. In
# patches/ the new files are not part of any patch (prepare.sh adds them
# after the series); here each one is introduced by the patch it belongs to
# (tools/export/new-files), and a cover letter (tools/export/cover-letter.txt)
# leads. Replayed in a scratch worktree of $BUILD/src: git am each patch, add
# its new files, amend, then format-patch. The result must have the tree of
# tag "overlay", the tree that make builds.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

REPO=$(cd "$(dirname "$0")/.." && pwd)
SRC=$BUILD/src
OUT=$BUILD/export
MAP=$REPO/tools/export/new-files
COVER=$REPO/tools/export/cover-letter.txt
[ -d "$SRC/.git" ] || die "no prepared tree in $SRC; run 'make prepare' first"

# One identity and fixed dates, so that the same inputs give the same bytes.
IDENT=(-c user.name="Nonroot Initramfs Developers" -c user.email=dev@nonroot-initramfs.invalid)
git_src() { git -C "$SRC" "${IDENT[@]}" "$@"; }

mapfile -t series < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$REPO/patches/series")
# The new files are what the overlay commit adds; it adds nothing else.
mapfile -t new_files < <(git_src diff-tree -r --no-commit-id --name-only overlay^ overlay)
[ -z "$(git_src diff-tree -r --no-commit-id --diff-filter=a overlay^ overlay)" ] ||
	die "the overlay commit in $SRC changes upstream files"

# Check the map both ways: every new file named once, every name a new file
# and every patch in the series.
declare -A patch_of=()
while read -r file patch rest; do
	[ -z "$rest" ] || die "$MAP: trailing words after '$file $patch'"
	[ -n "$patch" ] || die "$MAP: '$file' names no patch"
	printf '%s\n' "${new_files[@]}" | grep -qxF -- "$file" ||
		die "$MAP: $file is not a new file of the overlay"
	printf '%s\n' "${series[@]}" | grep -qxF -- "$patch" ||
		die "$MAP: $patch is not in patches/series"
	[ -z "${patch_of[$file]:-}" ] || die "$MAP: $file is mapped twice"
	patch_of[$file]=$patch
done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$MAP")
for f in "${new_files[@]}"; do
	[ -n "${patch_of[$f]:-}" ] || die "$f is new but $MAP does not say which patch adds it"
done

# The base as a commit of its own with fixed metadata, so that base-commit:
# names the same commit for the same pinned tree on every machine.
base=$(GIT_AUTHOR_DATE="@0 +0000" GIT_COMMITTER_DATE="@0 +0000" git_src commit-tree \
	-m "Linux $(make -s -C "$SRC" kernelversion) (pristine base)" "base^{tree}")

stage "replaying ${#series[@]} patches with their new files onto $base"
wt=$BUILD/export-tree
scratch_worktree "$wt" "$base"
trap 'git -C "$SRC" worktree remove --force "$wt"' EXIT
for p in "${series[@]}"; do
	git -C "$wt" "${IDENT[@]}" am -q --committer-date-is-author-date "$REPO/patches/$p" ||
		die "patches/$p does not apply with zero fuzz"
	files=()
	for f in "${new_files[@]}"; do
		[ "${patch_of[$f]}" != "$p" ] || files+=("$f")
	done
	[ ${#files[@]} -gt 0 ] || continue
	git -C "$wt" checkout -q overlay -- "${files[@]}"
	git -C "$wt" "${IDENT[@]}" commit -q --amend --no-edit
done
[ "$(git -C "$wt" rev-parse 'HEAD^{tree}')" = "$(git_src rev-parse 'overlay^{tree}')" ] ||
	die "the replayed series does not give the tree of tag overlay"

# The cover letter's date is that of the last patch.
GIT_COMMITTER_DATE=$(git -C "$wt" log -1 --format=%ad --date=raw HEAD)
export GIT_COMMITTER_DATE
rm -rf "$OUT"
git -C "$wt" "${IDENT[@]}" format-patch -q --cover-letter --base="$base" --zero-commit \
	--no-signature --rfc -o "$OUT" "$base..HEAD"

# Fill the cover letter: the first line of cover-letter.txt is the subject,
# the rest the blurb.
python3 - "$OUT"/0000-cover-letter.patch "$COVER" <<'EOF'
import sys

letter_path, text_path = sys.argv[1:]
subject, _, blurb = open(text_path).read().partition("\n")
letter = open(letter_path).read()
for placeholder, text in (("*** SUBJECT HERE ***", subject.strip()),
                          ("*** BLURB HERE ***", blurb.strip())):
    if letter.count(placeholder) != 1:
        sys.exit(f"export: no single {placeholder} in {letter_path}")
    letter = letter.replace(placeholder, text)
open(letter_path, "w").write(letter)
EOF
stage "exported $(ls "$OUT" | wc -l) files to $OUT"
