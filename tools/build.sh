#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Configure (tinyconfig + fragments) and build the prepared tree out of tree.
# Usage: build.sh [make targets...]   (default: the boot image)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/arch.sh"

REPO=$(cd "$(dirname "$0")/.." && pwd)
SRC=$BUILD/src
fragments=("$REPO/tools/configs/common.config" "$REPO/tools/configs/$ARCH.config")
if [ -n "${VARIANT:-}" ]; then
	[ -f "$REPO/tools/configs/variant-$VARIANT.config" ] ||
		die "unknown VARIANT=$VARIANT (no tools/configs/variant-$VARIANT.config)"
	fragments+=("$REPO/tools/configs/variant-$VARIANT.config")
fi
mkdir -p "$OBJ"

# One kernel build at a time on this machine, whoever starts it (make test's
# variants, make check, another ARCH): two would only share the cores, and
# a variant copies the base build, which must not change meanwhile. A
# caller that changes the tree for its build (make mutate, make bench)
# holds the lock itself from before the change to after the restore, and
# says so with NR_BUILD_LOCKED=1 (tools/testing/mutate.py changed_tree()).
if [ -z "${NR_BUILD_LOCKED:-}" ]; then
	exec 9>"$BUILD/.build.lock"
	if ! flock -n 9; then
		stage "waiting for the kernel build in progress ($BUILD/.build.lock)"
		flock 9
	fi
fi

export CCACHE_BASEDIR=$BUILD CCACHE_NOHASHDIR=true
export KBUILD_BUILD_USER=nonroot KBUILD_BUILD_HOST=initramfs
kmake=(make -C "$SRC" O="$OBJ" ARCH="$KARCH" LLVM=1
	CC="ccache clang"
	RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
	CLIPPY_DRIVER=/usr/bin/clippy-driver
	BINDGEN="$BUILD/tools/bin/bindgen" -j"$(nproc)")

# Kconfig files change only through patches/, so their hash stands for them.
config_stamp() {
	{ cat "$@" "$0" "$SRC/.git/nonroot-patches"; } | sha256sum | cut -d' ' -f1
}
stamp=$(config_stamp "${fragments[@]}")
base_obj=$BUILD/obj-$ARCH
if [ ! -f "$OBJ/.config" ] || [ "$(cat "$OBJ/.config-stamp" 2>/dev/null)" != "$stamp" ]; then
	# A variant to (re)configure starts as a copy of an up-to-date base
	# build: Kbuild then rebuilds only what depends on the options it changes.
	if [ "$OBJ" != "$base_obj" ] && [ -f "$base_obj/vmlinux" ] &&
		[ "$(cat "$base_obj/.config-stamp" 2>/dev/null)" = "$(config_stamp "${fragments[@]:0:2}")" ]; then
		stage "starting $OBJ from a copy of $base_obj"
		cp -a "$base_obj/." "$OBJ/"
		# objtool's build records absolute paths; had it to be rebuilt, every
		# object would be too, as each depends on it.
		grep -rlF --include='.*.cmd' --include='*.d' "$base_obj/" "$OBJ" |
			xargs -r sed -i "s|$base_obj/|$OBJ/|g"
	fi
	stage "configuring $ARCH${VARIANT:+ ($VARIANT)}: tinyconfig + ${fragments[*]##*/}"
	if ! "${kmake[@]}" rustavailable >"$LOGDIR/rustavailable-$ARCH.log" 2>&1; then
		cat "$LOGDIR/rustavailable-$ARCH.log" >&2
		die "the Rust toolchain is not usable for this kernel (see above)"
	fi
	run_logged config "${kmake[@]}" tinyconfig
	run_logged merge-config "$SRC/scripts/kconfig/merge_config.sh" -m \
		-O "$OBJ" "$OBJ/.config" "${fragments[@]}"
	run_logged olddefconfig "${kmake[@]}" olddefconfig
	# merge_config only warns; an option that did not stick is fatal here.
	# Later fragments override earlier ones, so check each symbol's last word.
	bad=$(cat "${fragments[@]}" |
		sed -nE 's/^(CONFIG_[A-Za-z0-9_]+)=.*/\1 &/p; s/^# (CONFIG_[A-Za-z0-9_]+) is not set/\1 &/p' |
		awk '{ sym = $1; $1 = ""; want[sym] = substr($0, 2) } END { for (s in want) print want[s] }' |
		while read -r line; do
			case $line in
			"# "*) sym=${line#\# } && ! grep -q "^${sym%% *}=" "$OBJ/.config" ;;
			*) grep -qxF -- "$line" "$OBJ/.config" ;;
			esac || echo "$line"
		done)
	[ -z "$bad" ] || die "options not in the final .config (unmet dependencies?): $bad"
	echo "$stamp" > "$OBJ/.config-stamp"
fi

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("$KIMAGE_TARGET")
log=$BUILD_LOG
stage "building ${targets[*]} for $ARCH${VARIANT:+ ($VARIANT)}${OBJ_TAG:+ ($OBJ_TAG)} (log: $log)"
"${kmake[@]}" "${targets[@]}" >"$log" 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
	for _ in $(seq 60); do sleep 1; kill -0 "$pid" 2>/dev/null || break; done
	kill -0 "$pid" 2>/dev/null &&
		stage "  ... still building: $(grep -cE '^  (CC|RUSTC|AS|LD|AR|BINDGEN)' "$log") steps, last: $(grep -E '^  [A-Z]' "$log" | tail -n 1 | sed 's/^ *//')"
done
if ! wait "$pid"; then
	grep -E 'error|Error' "$log" | head -n 30 >&2 || true
	tail -n 20 "$log" >&2
	die "kernel build failed; full log: $log"
fi
# A warning, modpost's included, fails the build (ccache replays those of
# cached objects).
if grep -E '^(WARNING|warning):|: warning:' "$log" >/dev/null; then
	grep -E '^(WARNING|warning):|: warning:' "$log" | head -n 20 >&2
	die "the build warned (full log: $log)"
fi
stage "built $OBJ/$KIMAGE"
