#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what the build, boot and tests need; quick no-op when all is there.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/arch.sh"

packages=(
	make git bc flex bison cpio xz-utils python3 ccache gcc
	clang lld llvm libclang-dev libelf-dev libssl-dev
	rustc-web rust-web-src cargo-web rust-web-clippy
	rustfmt-web
	qemu-system-x86
	python3-ply python3-git
)
[ "$ARCH" = arm64 ] &&
	packages+=(qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
# What the guest images run, for ARCH: the host's when it runs ARCH,
# else unpacked into $SYSROOT below.
guest_packages=(busybox-static util-linux crun bubblewrap)
[ -n "$SYSROOT" ] || packages+=("${guest_packages[@]}")

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done

# The kernel source only matters when the user did not bring a tree.
if [ -z "${KERNEL_SRC:-}" ]; then
	have=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
	[ "$have" = "$KERNEL_DEB_VERSION" ] || missing+=(linux-source-6.12)
fi

apt_install() {
	if [ "$(id -u)" != 0 ]; then
		die "missing packages; run as root: apt-get update && apt-get install -y $*"
	fi
	stage "apt-get install ${*}"
	run_logged apt-update apt-get update
	DEBIAN_FRONTEND=noninteractive run_logged apt-install \
		apt-get install -y --no-install-recommends "$@"
}

if [ ${#missing[@]} -gt 0 ]; then
	pkgs=()
	for p in "${missing[@]}"; do
		[ "$p" = linux-source-6.12 ] || pkgs+=("$p")
	done
	[ ${#pkgs[@]} -eq 0 ] || apt_install "${pkgs[@]}"
	if [[ " ${missing[*]} " == *" linux-source-6.12 "* ]]; then
		[ "$(id -u)" = 0 ] || die "run as root: apt-get install linux-source-6.12=$KERNEL_DEB_VERSION"
		run_logged apt-update apt-get update
		avail=$(apt-cache madison linux-source-6.12 | awk '{print $3}')
		if grep -qxF "$KERNEL_DEB_VERSION" <<<"$avail"; then
			DEBIAN_FRONTEND=noninteractive run_logged apt-install-source \
				apt-get install -y --no-install-recommends --allow-downgrades \
				"linux-source-6.12=$KERNEL_DEB_VERSION"
		elif [ -n "$avail" ]; then
			newest=$(head -n 1 <<<"$avail")
			printf 'warning: linux-source-6.12 %s (pinned) is not in the archive; it offers %s.\n' \
				"$KERNEL_DEB_VERSION" "$(tr '\n' ' ' <<<"$avail")" >&2
			printf 'warning: installing %s; the prepare step builds it only if every patch applies with zero fuzz.\n' \
				"$newest" >&2
			DEBIAN_FRONTEND=noninteractive run_logged apt-install-source \
				apt-get install -y --no-install-recommends "linux-source-6.12=$newest"
		else
			die "no linux-source-6.12 in the configured apt sources; point KERNEL_SRC at a 6.12 tree"
		fi
	fi
fi

# bindgen: Debian's is too old for 6.12; pin the one rust/ is tested with.
if ! "$BUILD/tools/bin/bindgen" --version 2>/dev/null | grep -qF " $BINDGEN_VERSION"; then
	stage "cargo install bindgen-cli $BINDGEN_VERSION (into $BUILD/tools)"
	# crates.io sometimes times out: try again before giving up.
	for try in 1 2 3; do
		CARGO_HOME=$BUILD/tools/cargo-home run_logged bindgen-install \
			/usr/bin/cargo install --locked --force --root "$BUILD/tools" \
			"bindgen-cli@$BINDGEN_VERSION" && break
		[ "$try" = 3 ] && die "could not install bindgen-cli $BINDGEN_VERSION"
		stage "retrying cargo install ($try failed)"
		sleep 10
	done
fi

[ -z "$SYSROOT" ] || "$(dirname "$0")/sysroot.sh" "${guest_packages[@]}"
