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
