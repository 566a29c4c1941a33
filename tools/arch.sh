# SPDX-License-Identifier: GPL-2.0
# Per-architecture facts for building; sourced. QEMU settings live in
# tools/qemu_run.py.

ARCH=${ARCH:-x86_64}
case $ARCH in
x86_64)
	KARCH=x86_64
	KIMAGE=arch/x86/boot/bzImage
	KIMAGE_TARGET=bzImage
	;;
arm64)
	KARCH=arm64
	KIMAGE=arch/arm64/boot/Image
	KIMAGE_TARGET=Image
	;;
*)
	die "unsupported ARCH=$ARCH (x86_64 or arm64)"
	;;
esac
OBJ=$BUILD/obj-$ARCH${VARIANT:+-$VARIANT}
