# SPDX-License-Identifier: GPL-2.0
# Per-architecture facts for the pipeline; sourced.

ARCH=${ARCH:-x86_64}
case $ARCH in
x86_64)
	KARCH=x86_64
	KIMAGE=arch/x86/boot/bzImage
	KIMAGE_TARGET=bzImage
	QEMU=qemu-system-x86_64
	QEMU_MACHINE=(-M pc -cpu qemu64 -bios /usr/share/qemu/qboot.rom)
	CONSOLE=ttyS0
	;;
arm64)
	KARCH=arm64
	KIMAGE=arch/arm64/boot/Image
	KIMAGE_TARGET=Image
	QEMU=qemu-system-aarch64
	QEMU_MACHINE=(-M virt -cpu cortex-a57)
	CONSOLE=ttyAMA0
	;;
*)
	die "unsupported ARCH=$ARCH (x86_64 or arm64)"
	;;
esac
OBJ=$BUILD/obj-$ARCH${VARIANT:+-$VARIANT}
