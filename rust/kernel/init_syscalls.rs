// SPDX-License-Identifier: GPL-2.0

//! Early-boot file system calls.
//!
//! Safe wrappers over the `init_*` helpers, which mimic system calls without
//! user pointers or file descriptors. They act with the credentials, root and
//! working directory of the calling task.
//!
//! Most helpers are `__init`: they are freed with the rest of init memory
//! once boot is done. So are these wrappers, which live in `.init.text`, and
//! nothing may call them after that. Each takes an [`InitWindow`], which
//! only `unsafe` code can make, so that no safe code can reach them after
//! boot; they are `#[inline]`, as is [`MountOptions`], so the kernel crate
//! neither holds nor exports them and modules cannot link to them. Call
//! them only from functions placed in `.init.text` (named, non-generic
//! functions: closures and generic code land in `.text`), as modpost
//! reports a section mismatch otherwise.
//!
//! C header: [`include/linux/init_syscalls.h`](srctree/include/linux/init_syscalls.h)

use crate::{
    alloc::{
        flags::{__GFP_ZERO, GFP_KERNEL},
        KVec,
    },
    bindings,
    error::{code::E2BIG, to_result, Result},
    ffi,
    page::PAGE_SIZE,
    str::CStr,
};
use core::ptr;

/// Proof that the code holding it runs in the init window: during boot,
/// before `free_initmem()` frees the init sections.
///
/// # Invariants
///
/// Exists only in the init window.
#[derive(Clone, Copy)]
pub struct InitWindow(());

impl InitWindow {
    /// Returns the proof that the caller runs in the init window.
    ///
    /// # Safety
    ///
    /// The caller runs before `free_initmem()`, as `__init` code and
    /// init-section KUnit suites do, and neither it nor anything it hands
    /// the token to keeps it past that point, in a static for example.
    #[inline]
    pub unsafe fn assume() -> Self {
        // INVARIANT: The caller guarantees it runs in the init window.
        Self(())
    }
}

/// Mount flags, the `MS_*` values of `mount(2)`.
pub mod flags {
    use crate::ffi::c_ulong;

    /// Bind mount; with [`REMOUNT`], change the flags of the mount only,
    /// not those of its file system.
    pub const BIND: c_ulong = uapi::MS_BIND as c_ulong;
    /// Move an existing mount to a new place.
    pub const MOVE: c_ulong = uapi::MS_MOVE as c_ulong;
    /// Change the options of an existing mount.
    pub const REMOUNT: c_ulong = uapi::MS_REMOUNT as c_ulong;
}

/// Flags for [`unshare`], the `CLONE_*` values of `unshare(2)`.
pub mod clone_flags {
    use crate::ffi::c_ulong;

    /// Stop sharing root, working directory and umask.
    pub const FS: c_ulong = crate::bindings::CLONE_FS as c_ulong;
    /// Move to a copy of the mount namespace.
    pub const NEWNS: c_ulong = crate::bindings::CLONE_NEWNS as c_ulong;
}

/// Unmount flags, the `MNT_*` values of `umount2(2)`.
pub mod umount_flags {
    /// Detach the mount now and release it when it is no longer busy.
    pub const DETACH: i32 = bindings::MNT_DETACH as i32;
}

/// File system options for [`mount`], in a buffer of its own.
///
/// `mount(2)` copies its options into a page, and `path_mount()` relies on
/// that: it clears the last byte of the page, and file systems may parse
/// the options in place. This holds the options in such a page.
///
/// # Invariants
///
/// `page` holds `PAGE_SIZE` bytes, NUL-terminated options at the start.
pub struct MountOptions {
    page: KVec<u8>,
}

impl MountOptions {
    /// Copies `options` into a page of its own.
    ///
    /// Fails with [`E2BIG`] if they do not fit, [`ENOMEM`](crate::error::code::ENOMEM) if no page
    /// is free.
    #[inline]
    pub fn new(options: &CStr) -> Result<Self> {
        let options = options.as_bytes_with_nul();
        if options.len() > PAGE_SIZE {
            return Err(E2BIG);
        }
        // Zeroed by the allocator's memset: `KVec::extend_with()` would
        // store the bytes one at a time, 200 us of a boot under QEMU -icount.
        let mut page = KVec::with_capacity(PAGE_SIZE, GFP_KERNEL | __GFP_ZERO)?;
        // Within the capacity, so into the zeroed allocation.
        page.extend_from_slice(options, GFP_KERNEL)?;
        // SAFETY: The capacity is `PAGE_SIZE` bytes, all initialized: the
        // options just written, and zeroes from `__GFP_ZERO` after them.
        unsafe { page.set_len(PAGE_SIZE) };
        // INVARIANT: `PAGE_SIZE` bytes in all, the options first.
        Ok(Self { page })
    }

    #[inline]
    fn as_mut_ptr(&mut self) -> *mut ffi::c_void {
        self.page.as_mut_ptr().cast()
    }
}

/// Mounts a file system, like `mount(2)`.
///
/// # Examples
///
/// ```
/// use kernel::{
///     c_str,
///     init_syscalls::{self, InitWindow, MountOptions},
///     prelude::*,
/// };
///
/// #[link_section = ".init.text"]
/// fn mount_scratch(init: InitWindow) -> Result {
///     let mut options = MountOptions::new(c_str!("size=1m,mode=0700"))?;
///     init_syscalls::mount(
///         init,
///         c_str!("scratch"),
///         c_str!("/mnt"),
///         Some(c_str!("tmpfs")),
///         0,
///         Some(&mut options),
///     )
/// }
/// ```
#[link_section = ".init.text"]
#[inline]
pub fn mount(
    _init: InitWindow,
    source: &CStr,
    target: &CStr,
    fstype: Option<&CStr>,
    flags: ffi::c_ulong,
    options: Option<&mut MountOptions>,
) -> Result {
    let fstype = fstype.map_or(ptr::null(), CStr::as_char_ptr);
    let data = options.map_or(ptr::null_mut(), MountOptions::as_mut_ptr);
    // SAFETY: The strings are NUL-terminated and outlive the call; `data` is
    // null or a writable page (the invariant of `MountOptions`) that
    // outlives the call.
    to_result(unsafe {
        bindings::init_mount(
            source.as_char_ptr(),
            target.as_char_ptr(),
            fstype,
            flags,
            data,
        )
    })
}

/// Unmounts the file system mounted at `target`, like `umount2(2)`.
#[link_section = ".init.text"]
#[inline]
pub fn umount(_init: InitWindow, target: &CStr, flags: i32) -> Result {
    // SAFETY: `target` is NUL-terminated and outlives the call.
    to_result(unsafe { bindings::init_umount(target.as_char_ptr(), flags) })
}

/// Changes the working directory, like `chdir(2)`.
#[link_section = ".init.text"]
#[inline]
pub fn chdir(_init: InitWindow, path: &CStr) -> Result {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    to_result(unsafe { bindings::init_chdir(path.as_char_ptr()) })
}

/// Changes the root directory, like `chroot(2)`.
#[link_section = ".init.text"]
#[inline]
pub fn chroot(_init: InitWindow, path: &CStr) -> Result {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    to_result(unsafe { bindings::init_chroot(path.as_char_ptr()) })
}

/// Creates a directory, like `mkdir(2)`.
#[link_section = ".init.text"]
#[inline]
pub fn mkdir(_init: InitWindow, path: &CStr, mode: u16) -> Result {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    to_result(unsafe { bindings::init_mkdir(path.as_char_ptr(), mode) })
}

/// Removes an empty directory, like `rmdir(2)`.
#[link_section = ".init.text"]
#[inline]
pub fn rmdir(_init: InitWindow, path: &CStr) -> Result {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    to_result(unsafe { bindings::init_rmdir(path.as_char_ptr()) })
}

/// What [`stat`] tells about a file.
pub struct Stat(bindings::kstat);

impl Stat {
    /// The device of the file system holding the file.
    #[inline]
    pub fn dev(&self) -> u32 {
        self.0.dev
    }

    /// The inode number.
    #[inline]
    pub fn ino(&self) -> u64 {
        self.0.ino
    }

    /// The file type and permission bits.
    #[inline]
    pub fn mode(&self) -> u16 {
        self.0.mode
    }

    /// The owner's user ID, as seen from the initial user namespace.
    #[inline]
    pub fn uid(&self) -> u32 {
        self.0.uid.val
    }

    /// The owner's group ID, as seen from the initial user namespace.
    #[inline]
    pub fn gid(&self) -> u32 {
        self.0.gid.val
    }
}

/// Returns the attributes of a file, like `stat(2)`, or `lstat(2)` when
/// `nofollow` is set.
#[link_section = ".init.text"]
#[inline]
pub fn stat(_init: InitWindow, path: &CStr, nofollow: bool) -> Result<Stat> {
    let flags = if nofollow {
        bindings::AT_SYMLINK_NOFOLLOW as i32
    } else {
        0
    };
    // SAFETY: `kstat` is plain old data; all-zero bytes are a valid value.
    let mut st: bindings::kstat = unsafe { core::mem::zeroed() };
    // SAFETY: `path` is NUL-terminated and outlives the call; `st` is a
    // valid, writable `kstat`.
    to_result(unsafe { bindings::init_stat(path.as_char_ptr(), &mut st, flags) })?;
    Ok(Stat(st))
}

/// Stops sharing what `flags` name with other tasks, like `unshare(2)`.
///
/// `ksys_unshare()` is not `__init`; the wrapper is, as it only serves early
/// boot code.
///
/// Early boot code shares its root and working directory, and the initial
/// mount namespace, with PID 1 and every kernel thread; with
/// [`clone_flags::FS`] and [`clone_flags::NEWNS`], a kernel thread gets
/// copies of its own that it may change freely.
#[link_section = ".init.text"]
#[inline]
pub fn unshare(_init: InitWindow, flags: ffi::c_ulong) -> Result {
    // SAFETY: FFI call without safety requirements.
    to_result(unsafe { bindings::ksys_unshare(flags) })
}

/// Waits until the initramfs is unpacked, which may happen asynchronously.
///
/// Not `__init` itself, but only meaningful while the initramfs may still
/// be unpacking, in the init window.
#[cfg(CONFIG_BLK_DEV_INITRD)]
#[link_section = ".init.text"]
#[inline]
pub fn wait_for_initramfs(_init: InitWindow) {
    // SAFETY: FFI call without safety requirements.
    unsafe { bindings::wait_for_initramfs() }
}
