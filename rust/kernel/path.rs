// SPDX-License-Identifier: GPL-2.0

//! Places in the mount tree.
//!
//! Every function here is `#[inline]`: the code lands in its callers, and
//! the kernel crate, built with modules, neither holds nor exports any of
//! it (its users are built in).
//!
//! C header: [`include/linux/path.h`](srctree/include/linux/path.h)

use crate::{
    bindings,
    error::{code::EPERM, to_result, Result},
    ffi::c_int,
    str::CStr,
};

/// A place in the mount tree: a mount and a dentry on it, C's `struct path`.
///
/// # Invariants
///
/// `self.0` holds a reference on its mount and on its dentry, both valid.
pub struct Path(bindings::path);

impl Path {
    /// Looks `name` up from the root and working directory of the calling
    /// task, following symbolic links.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::{c_str, path::Path};
    ///
    /// let root = Path::lookup(c_str!("/"))?;
    /// assert!(root.is_mount_root());
    /// # Ok::<(), kernel::error::Error>(())
    /// ```
    #[inline]
    pub fn lookup(name: &CStr) -> Result<Self> {
        // SAFETY: An all-zero `struct path` is valid: no mount, no dentry.
        let mut path: bindings::path = unsafe { core::mem::zeroed() };
        // SAFETY: `name` is NUL-terminated and `path` is valid to write.
        to_result(unsafe {
            bindings::kern_path(name.as_char_ptr(), bindings::LOOKUP_FOLLOW, &mut path)
        })?;
        // INVARIANT: On success, `kern_path` took a reference on both.
        Ok(Self(path))
    }

    /// Moves to the place where the mount holding this path is mounted,
    /// like `..` at the root of a mount. Returns `false`, and stays, if the
    /// mount has no parent: the root mount of a mount namespace.
    #[inline]
    pub fn follow_up(&mut self) -> bool {
        // INVARIANT: `follow_up` swaps the references it holds for
        // references on the parent mount and the mountpoint.
        // SAFETY: `self.0` is a valid path holding references.
        unsafe { bindings::follow_up(&mut self.0) != 0 }
    }

    /// Whether this is the root directory of its mount.
    #[inline]
    pub fn is_mount_root(&self) -> bool {
        // SAFETY: `self.0.mnt` is a valid mount, by the type invariant.
        self.0.dentry == unsafe { (*self.0.mnt).mnt_root }
    }

    /// The name of the type of the file system holding this path, such as
    /// `tmpfs` or `rootfs`.
    #[inline]
    pub fn fs_type(&self) -> &CStr {
        // SAFETY: The mount is valid, by the type invariant, so are its
        // super block and that one's file system type, whose name is a
        // NUL-terminated string that lives as long as the type.
        unsafe { CStr::from_char_ptr((*(*(*self.0.mnt).mnt_sb).s_type).name) }
    }

    /// Marks the inode at this path immutable (`S_IMMUTABLE`), or clears
    /// that mark: nothing can then be created in, renamed into, linked into
    /// or removed from a directory, nor written to a file, through the VFS,
    /// whatever the caller's capabilities. Set without a permission check,
    /// with the inode locked, as `inode_set_flags()` wants.
    ///
    /// The flag lives on the in-memory inode only. It lasts on a file system
    /// that keeps no flags of its own, such as ramfs, for as long as the
    /// inode stays in memory (a mount's root does). A file system with a
    /// `fileattr_set` operation recomputes the flags from its own record on
    /// `FS_IOC_SETFLAGS`, which drops this one; tmpfs does.
    #[inline]
    pub fn set_immutable(&self, immutable: bool) {
        let flag = bindings::S_IMMUTABLE;
        // SAFETY: The dentry is valid, by the type invariant, and positive:
        // a lookup that succeeds finds a file, so its inode is valid too.
        let inode = unsafe { (*self.0.dentry).d_inode };
        // SAFETY: `inode` is valid, and `i_rwsem` is the lock
        // `inode_lock()` takes: held for writing around the update, as
        // `inode_set_flags()` requires.
        unsafe {
            let lock = core::ptr::addr_of_mut!((*inode).i_rwsem);
            bindings::down_write(lock);
            bindings::inode_set_flags(inode, if immutable { flag } else { 0 }, flag);
            bindings::up_write(lock);
        }
    }

    /// Sets or clears `MNT_READONLY` on the mount holding this path, which
    /// mountinfo shows as `ro`. Only that bit changes, with none of a bind
    /// remount's work: no lookup, no `mount_lock`, no check for the mount
    /// root, for writers or for the LSMs, and no mount namespace event.
    /// Fails with `EPERM`, and changes nothing, to clear a locked flag
    /// (`MNT_LOCK_READONLY`).
    ///
    /// # Safety
    ///
    /// Until this returns, no other context may access the flags of this
    /// mount or of any other mount of its super block (as remounts and
    /// `sb_prepare_remount_readonly()` do under `mount_lock`), and, when
    /// setting the flag, nothing may hold or take write access to the mount
    /// (no file open for writing, no `mnt_want_write()`), which
    /// `mnt_make_readonly()` would wait out or refuse. This holds for rootfs
    /// in `mnt_init()`, before any other task exists, and for the only mount
    /// of a super block, in a mount namespace only the caller uses.
    #[inline]
    pub unsafe fn set_mount_read_only(&self, read_only: bool) -> Result {
        let flag = bindings::MNT_READONLY as c_int;
        let locked = bindings::MNT_LOCK_READONLY as c_int;
        // SAFETY: The mount is valid, by the type invariant, so its flags
        // are aligned and valid to read and write, and the caller
        // guarantees that no other context accesses them meanwhile.
        // Volatile, as `READ_ONCE()` and `WRITE_ONCE()`: lockless readers
        // such as `mnt_get_write_access()` load the flags once.
        unsafe {
            let flags = core::ptr::addr_of_mut!((*self.0.mnt).mnt_flags);
            let old = core::ptr::read_volatile(flags);
            if !read_only && old & locked != 0 {
                return Err(EPERM);
            }
            let new = if read_only { old | flag } else { old & !flag };
            core::ptr::write_volatile(flags, new);
        }
        Ok(())
    }

    /// Gives up this path without dropping its references, so that its
    /// mount and dentry are never freed.
    ///
    /// For a mount that must not be freed yet and that nothing will put
    /// later: at boot, before `fsnotify_init()`, freeing a mount crashes
    /// (see `cleanup_mnt()`), and an empty mount left this way costs little.
    #[inline]
    pub fn leak(self) {
        core::mem::forget(self);
    }

    /// Whether this directory has no entries.
    ///
    /// Only meaningful on file systems that keep all their entries in the
    /// dentry cache, such as tmpfs, ramfs and rootfs (`simple_empty()`).
    #[inline]
    pub fn is_empty_dir(&self) -> bool {
        // SAFETY: `self.0.dentry` is a valid dentry, by the type invariant.
        unsafe { bindings::simple_empty(self.0.dentry) != 0 }
    }
}

impl Drop for Path {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: By the type invariant, `self.0` holds the references that
        // `path_put` drops.
        unsafe { bindings::path_put(&self.0) }
    }
}
