#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fetch Debian packages for ARCH with everything they depend on and unpack
# them into $SYSROOT ($BUILD/sysroot-$ARCH, see tools/arch.sh), the root
# the guest images take their programs and libraries from when ARCH is not
# the host's. apt runs with its own state and cache under
# $BUILD/apt-$ARCH: the host's architectures and package lists are left
# alone. Nothing runs from the packages (no maintainer scripts).
# Usage: sysroot.sh <package>...
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/arch.sh"

[ $# -gt 0 ] || die "usage: sysroot.sh <package>..."
[ -n "$SYSROOT" ] || die "ARCH=$ARCH is the host's: the guest images use its own files"
root=$SYSROOT
want="$DEBARCH: $*"
[ "$(cat "$root/.packages" 2>/dev/null)" != "$want" ] || exit 0

state=$BUILD/apt-$ARCH
rm -rf "$root" "$state"
mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
# An empty dpkg status: every dependency counts as missing and is fetched.
: >"$state/status"
apt=(apt-get -q -o Debug::NoLocking=1
	-o Dir::State::Lists="$state/lists" -o Dir::State::status="$state/status"
	-o Dir::Cache="$state/cache"
	-o APT::Architecture="$DEBARCH" -o APT::Architectures::="$DEBARCH")

stage "fetching $DEBARCH packages into $root: $*"
# The mirrors sometimes time out: try again before giving up.
for try in 1 2 3; do
	run_logged sysroot-apt-update "${apt[@]}" update &&
		run_logged sysroot-apt-download "${apt[@]}" install -y --download-only \
			--no-install-recommends "$@" && break
	[ "$try" = 3 ] && die "could not fetch the $DEBARCH packages"
	stage "retrying apt-get ($try failed)"
	sleep 10
done

# Debian 12's merged /usr: /bin, /sbin and /lib lead into /usr, so a
# program is found at either path, as on the host.
mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib"
for d in bin sbin lib; do
	ln -s "usr/$d" "$root/$d"
done
for deb in "$state"/cache/archives/*.deb; do
	dpkg-deb --fsys-tarfile "$deb" |
		tar -x --keep-directory-symlink --no-same-owner -C "$root"
done
echo "$want" >"$root/.packages"
stage "unpacked $(ls "$state"/cache/archives/*.deb | wc -l) packages into $root"
