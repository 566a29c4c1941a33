# SPDX-License-Identifier: GPL-2.0
# Per-architecture facts for building; sourced. QEMU settings live in
# tools/qemu_run.py.

ARCH=${ARCH:-x86_64}
case $ARCH in
x86_64)
	KARCH=x86_64
	DEBARCH=amd64
	KIMAGE=arch/x86/boot/bzImage
	KIMAGE_TARGET=bzImage
	;;
arm64)
	KARCH=arm64
	DEBARCH=arm64
	KIMAGE=arch/arm64/boot/Image
	KIMAGE_TARGET=Image
	;;
*)
	die "unsupported ARCH=$ARCH (x86_64 or arm64)"
	;;
esac
# OBJ_TAG names another build of the same configuration: from an edited
# tree (make bench's kernel without the rootfs seal), or with other make
# variables (make check's CLIPPY=1 W=1 objects).
OBJ=$BUILD/obj-$ARCH${VARIANT:+-$VARIANT}${OBJ_TAG:+-$OBJ_TAG}
BUILD_LOG=$LOGDIR/build-$ARCH${VARIANT:+-$VARIANT}${OBJ_TAG:+-$OBJ_TAG}.log
# Where the guest images' programs come from: the host itself when it runs
# ARCH, else Debian's packages for ARCH unpacked by tools/sysroot.sh.
case $(uname -m) in
aarch64) host_arch=arm64 ;;
*) host_arch=$(uname -m) ;;
esac
if [ "$host_arch" = "$ARCH" ]; then
	SYSROOT=
else
	SYSROOT=$BUILD/sysroot-$ARCH
fi
