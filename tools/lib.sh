# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the overlay tooling; sourced, never run.

: "${BUILD:?BUILD must be set (the top-level Makefile exports it)}"
LOGDIR=$BUILD/logs
mkdir -p "$LOGDIR"

# Debian's toolchain only: rustup's rustc first on PATH has no rust-src.
export PATH=$BUILD/tools/bin:/usr/sbin:/usr/bin:/sbin:/bin

_t0=${_T0:-$(date +%s)}
export _T0=$_t0

stage() {
	local now=$(( $(date +%s) - _t0 ))
	printf '==> [%02d:%02d] %s\n' $((now / 60)) $((now % 60)) "$*"
}

die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# run_logged NAME CMD...: run CMD with its output in $LOGDIR/NAME.log; on
# failure show the end of the log and where the rest is.
run_logged() {
	local name=$1 log=$LOGDIR/$1.log
	shift
	if ! "$@" >"$log" 2>&1; then
		printf 'error: %s failed; last lines of %s:\n' "$name" "$log" >&2
		tail -n 40 "$log" >&2
		printf 'error: full log: %s\n' "$log" >&2
		return 1
	fi
}

# scratch_worktree DIR COMMIT: a worktree of $BUILD/src at COMMIT for git am
# and git format-patch of the series (base..overlay). Only the files it
# touches, and the .gitattributes that give hunks their function names, are
# checked out: writing all 90,000 takes minutes on a busy machine.
scratch_worktree() {
	local dir=$1 commit=$2 src=$BUILD/src
	git -C "$src" worktree remove --force "$dir" 2>/dev/null || rm -rf "$dir"
	git -C "$src" worktree prune
	git -C "$src" worktree add -q --no-checkout --detach "$dir" "$commit"
	{ echo .gitattributes; git -C "$src" diff --name-only base overlay; } | sed 's|^|/|' |
		git -C "$dir" sparse-checkout set --no-cone --stdin
	git -C "$dir" read-tree -mu HEAD
}
