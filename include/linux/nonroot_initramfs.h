/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nonroot_initramfs: the initramfs is unpacked into a tmpfs stacked on
 * rootfs. See Documentation/filesystems/nonroot_initramfs.rst.
 *
 * A header of its own, not <linux/init.h>: only the files that include it
 * are rebuilt when the option changes. rootfs_would_be_tmpfs(), whether
 * rootfs would have been a tmpfs, is do_mounts.c's answer to mnt_init(),
 * which hands it to nonroot_initramfs_setup() for the type of the leaf.
 */
#ifndef _LINUX_NONROOT_INITRAMFS_H
#define _LINUX_NONROOT_INITRAMFS_H

#include <linux/init.h>
#include <linux/types.h>

bool __init rootfs_would_be_tmpfs(void);

#ifdef CONFIG_NONROOT_INITRAMFS
/* The boot asked for the leaf; it may still fall back to rootfs. */
bool __init nonroot_initramfs_requested(void);
/* rootfs is sealed beneath the leaf, which is init_task's root. */
bool __init nonroot_initramfs_active(void);
void __init nonroot_initramfs_setup(bool rootfs_would_be_tmpfs,
				    const char *options);
#else
static inline bool nonroot_initramfs_requested(void) { return false; }
static inline bool nonroot_initramfs_active(void) { return false; }
static inline void nonroot_initramfs_setup(bool rootfs_would_be_tmpfs,
					   const char *options) { }
#endif

#endif /* _LINUX_NONROOT_INITRAMFS_H */
