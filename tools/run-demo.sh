#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make run`: boot the built kernel in QEMU with nonroot_initramfs and the demo
# initramfs (or INITRAMFS=<your cpio> and CMDLINE=<extra words>).
# NONROOT=0 boots the same kernel without the feature, for comparison.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/arch.sh"
REPO=$(cd "$(dirname "$0")/.." && pwd)

initramfs=${INITRAMFS:-}
if [ -z "$initramfs" ]; then
	initramfs=$BUILD/images/$ARCH/demo.cpio.gz
	mkdir -p "$(dirname "$initramfs")"
	SYSROOT=$SYSROOT python3 "$REPO/tools/mkinitramfs.py" -z -o "$initramfs" \
		"$REPO/tools/demo/initramfs.spec"
fi
[ -f "$initramfs" ] || die "INITRAMFS=$initramfs does not exist"
case ${NONROOT:-1} in
0) feature=nonroot_initramfs=0 ;;
*) feature=nonroot_initramfs ;;
esac
append="quiet kunit.enable=0 $feature ${CMDLINE:-}"
log=$LOGDIR/run-$ARCH.log
stage "booting $OBJ/$KIMAGE ($ARCH, QEMU TCG): $append"
python3 "$REPO/tools/qemu_run.py" --arch "$ARCH" --kernel "$OBJ/$KIMAGE" \
	--initrd "$initramfs" --append "$append" --log "$log" --timeout "${TIMEOUT:-120}" |
	sed -e '/reboot: Restarting system/,$d'
stage "done (serial log: $log)"
