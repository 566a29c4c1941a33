// SPDX-License-Identifier: GPL-2.0

//! Unpack the initramfs into a file system stacked on rootfs.
//!
//! rootfs is the root mount of the initial mount namespace. It has no parent,
//! so `pivot_root(2)` cannot move it away (EINVAL) and it cannot be
//! unmounted. A system that runs from its initramfs therefore cannot start
//! containers that pivot_root, and runtimes fall back to `--no-pivot` or to
//! `mount --bind / /`, which leaves the host tree reachable under every
//! container.
//!
//! With `nonroot_initramfs`, `mnt_init()` calls in here right after it has
//! created rootfs and before the initramfs is unpacked. A "leaf" tmpfs is
//! mounted on top of it, with the `initramfs_options=` mount options (and
//! the limits and mode of a ramfs where rootfs would have been a ramfs),
//! and made the root and working directory of `init_task`. PID 1 and every
//! kernel thread, including the async unpack worker, share that
//! `fs_struct`, so the whole initramfs lands in the leaf while rootfs stays
//! empty beneath it. Userspace can then `pivot_root(".", ".")` away from the
//! leaf and detach it.
//!
//! rootfs, then only the parent of the leaf, is sealed as Linux 7.0's
//! nullfs is: no file system call can create or rename anything in it, not
//! even one by a process that escapes to the bottom of its mount namespace
//! with every capability.
//!
//! If any step fails, the steps done are undone in reverse order, one
//! warning names the failed step, and boot goes on with rootfs as the root
//! and the initramfs in it, writable as without this feature.

use core::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use kernel::{
    boot_param, c_str,
    ffi::c_char,
    init_syscalls::{self, umount_flags, InitWindow, MountOptions},
    page::PAGE_SIZE,
    path::Path,
    prelude::*,
    str::CString,
};

#[cfg(CONFIG_NONROOT_INITRAMFS_KUNIT_TEST)]
#[path = "nonroot_initramfs_test.rs"]
mod test;

const __LOG_PREFIX: &[u8] = b"nonroot_initramfs\0";

/// Whether the command line (or the Kconfig default) asks for the leaf.
#[link_section = ".init.data"]
static ENABLED: AtomicBool = AtomicBool::new(cfg!(CONFIG_NONROOT_INITRAMFS_DEFAULT_ON));

/// Whether the leaf is in place: stacked on a sealed rootfs and the root of
/// `init_task`.
#[link_section = ".init.data"]
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// A step of [`enter_leaf`], named when it fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Step {
    /// Copy the mount options into a page of their own, as `mount` wants.
    Options = 1,
    /// Mount the leaf on `/`.
    Mount,
    /// Enter the leaf: `..` at the root of a namespace follows the mount stacked there.
    Chdir,
    /// Seal rootfs, beneath the leaf.
    Seal,
    /// Make the leaf the root.
    Chroot,
}

impl Step {
    #[cfg(any(
        CONFIG_NONROOT_INITRAMFS_FAULT_INJECTION,
        CONFIG_NONROOT_INITRAMFS_KUNIT_TEST
    ))]
    const ALL: [Step; 5] = [
        Step::Options,
        Step::Mount,
        Step::Chdir,
        Step::Seal,
        Step::Chroot,
    ];

    #[link_section = ".init.text"]
    fn from_u8(value: u8) -> Option<Step> {
        match value {
            1 => Some(Step::Options),
            2 => Some(Step::Mount),
            3 => Some(Step::Chdir),
            4 => Some(Step::Seal),
            5 => Some(Step::Chroot),
            _ => None,
        }
    }

    #[link_section = ".init.text"]
    fn name(self) -> &'static str {
        match self {
            Step::Options => "options",
            Step::Mount => "mount",
            Step::Chdir => "chdir",
            Step::Seal => "seal",
            Step::Chroot => "chroot",
        }
    }
}

/// The step at which a fault is injected at boot (`Step as u8`), or 0.
#[link_section = ".init.data"]
static FAIL_AT: AtomicU8 = AtomicU8::new(0);

/// What a `nonroot_initramfs` word on the command line asks for.
#[derive(Debug, PartialEq, Eq)]
enum Param {
    /// `nonroot_initramfs` or `nonroot_initramfs=<bool>`.
    Set(bool),
    /// `nonroot_initramfs=<not a bool>`: warn and keep the current setting.
    Invalid,
    /// A longer word such as `nonroot_initramfsX`: not ours.
    Other,
}

/// Interprets `arg`, what follows `nonroot_initramfs` in a command-line word.
#[link_section = ".init.text"]
fn parse_param(arg: &CStr) -> Param {
    if arg.is_empty() {
        return Param::Set(true);
    }
    let [b'=', value @ ..] = arg.as_bytes_with_nul() else {
        return Param::Other;
    };
    match CStr::from_bytes_with_nul(value).map(boot_param::parse_bool) {
        Ok(Ok(enable)) => Param::Set(enable),
        _ => Param::Invalid,
    }
}

#[link_section = ".init.text"]
fn nonroot_initramfs_param(arg: &CStr) -> bool {
    match parse_param(arg) {
        Param::Set(enable) => ENABLED.store(enable, Ordering::Relaxed),
        Param::Invalid => pr_warn!(
            "ignoring invalid value 'nonroot_initramfs{}', keeping it {}\n",
            arg,
            if ENABLED.load(Ordering::Relaxed) {
                "on"
            } else {
                "off"
            }
        ),
        Param::Other => return false,
    }
    true
}
boot_param!("nonroot_initramfs", nonroot_initramfs_param);

/// `nonroot_initramfs_fail=<step>`: make that step fail, to test the fallback.
#[cfg(CONFIG_NONROOT_INITRAMFS_FAULT_INJECTION)]
#[link_section = ".init.text"]
fn nonroot_initramfs_fail_param(arg: &CStr) -> bool {
    for step in Step::ALL {
        if step.name().as_bytes() == arg.as_bytes() {
            FAIL_AT.store(step as u8, Ordering::Relaxed);
            return true;
        }
    }
    pr_warn!("ignoring unknown step 'nonroot_initramfs_fail={}'\n", arg);
    true
}
#[cfg(CONFIG_NONROOT_INITRAMFS_FAULT_INJECTION)]
boot_param!("nonroot_initramfs_fail=", nonroot_initramfs_fail_param);

/// A name that exists nowhere: the file system type, or the directory, that
/// makes the real call of a step fail when a fault is injected there.
const NOWHERE: &CStr = c_str!("nonroot_initramfs_fault");

/// What `enter_leaf` does with the leaf when it must undo its mount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rollback {
    /// Detach it and drop the last reference: it is freed. Only the tests
    /// do this, after boot has set up fsnotify.
    #[cfg(CONFIG_NONROOT_INITRAMFS_KUNIT_TEST)]
    Free,
    /// Detach it and keep a reference forever: at boot, freeing a mount
    /// queues `cleanup_mnt()` to a kworker, which can run before
    /// `fsnotify_init()` (a core initcall) has set up the SRCU that
    /// `fsnotify_vfsmount_delete()` takes, and crash. The leaf is empty,
    /// so this keeps one empty tmpfs super block.
    Keep,
}

/// Options that make a tmpfs leaf behave as a ramfs rootfs would have: no
/// size or inode limit, mode 0755. (ramfs itself registers too late, in an
/// initcall, and a ramfs-backed tmpfs ignores them.)
const LIKE_RAMFS: &CStr = c_str!("size=0,nr_inodes=0,mode=0755");

/// Joins `defaults` and `options`, which override them, into the page
/// `mount` wants.
#[link_section = ".init.text"]
fn copy_options(defaults: Option<&CStr>, options: Option<&CStr>) -> Result<Option<MountOptions>> {
    match (defaults, options) {
        (None, None) => Ok(None),
        (Some(one), None) | (None, Some(one)) => MountOptions::new(one).map(Some),
        (Some(defaults), Some(options)) => {
            let joined = CString::try_from_fmt(format_args!("{},{}", defaults, options))?;
            MountOptions::new(&joined).map(Some)
        }
    }
}

/// Seals the empty directory `bottom`, the root of its mount, so that
/// nothing is ever created in it: its mount becomes read-only (shown as `ro`
/// in mountinfo), and its inode immutable, which holds after a remount
/// `rw` too.
///
/// Only a file system without `fileattr_set` keeps an immutable inode so:
/// one with it, such as tmpfs, recomputes the inode's flags from its own
/// record on any `FS_IOC_SETFLAGS` and drops the mark. That is why rootfs
/// is a ramfs whenever the leaf is requested (see `init_rootfs()`).
///
/// The mount of `bottom` must be rootfs in `mnt_init()`, or the only mount
/// of a scratch file system in a mount namespace of the caller's own, as
/// [`enter_leaf`]'s callers provide: see the SAFETY comment below.
#[link_section = ".init.text"]
fn seal(_init: InitWindow, bottom: &CStr) -> Result {
    let root = Path::lookup(bottom)?;
    if !root.is_mount_root() {
        return Err(EINVAL);
    }
    // The flag is set directly, not by a bind remount, whose second lookup
    // and security hooks cost more than the rest of the seal (36 us instead
    // of 16 under QEMU -icount).
    // SAFETY: `root` is the root of the mount beneath the leaf: rootfs when
    // `mnt_init()` calls us, before any other task exists, or the ramfs a
    // KUnit case mounted in its own mount namespace, its super block's only
    // mount. No other context can reach either mount or its super block,
    // and nothing is open on it.
    unsafe { root.set_mount_read_only(true) }?;
    root.set_immutable(true);
    Ok(())
}

/// Undoes [`seal`] on `/`, which the caller has sealed.
#[link_section = ".init.text"]
fn unseal(_init: InitWindow) {
    let root = match Path::lookup(c_str!("/")) {
        Ok(root) => root,
        Err(err) => {
            pr_err!("cannot unseal rootfs: lookup failed ({:?})\n", err);
            return;
        }
    };
    root.set_immutable(false);
    // SAFETY: The mount is the one `seal` sealed, still out of every other
    // context's reach, as its SAFETY comment says.
    if let Err(err) = unsafe { root.set_mount_read_only(false) } {
        pr_err!("cannot unseal rootfs: read-only flag locked ({:?})\n", err);
    }
}

/// Undoes [`enter_leaf`]: leaves the leaf if `entered`, then detaches it and
/// frees or keeps it as `rollback` says.
#[link_section = ".init.text"]
fn leave_leaf(init: InitWindow, entered: bool, rollback: Rollback) {
    // The root is still the old one: "/" is below the leaf, "/.." is the leaf.
    if entered {
        if let Err(err) = init_syscalls::chdir(init, c_str!("/")) {
            pr_err!("cannot leave the leaf ({:?})\n", err);
        }
    }
    let kept = match rollback {
        Rollback::Keep => match Path::lookup(c_str!("/..")) {
            Ok(leaf) => Some(leaf),
            Err(err) => {
                pr_err!("cannot hold the leaf ({:?})\n", err);
                None
            }
        },
        #[cfg(CONFIG_NONROOT_INITRAMFS_KUNIT_TEST)]
        Rollback::Free => None,
    };
    if let Err(err) = init_syscalls::umount(init, c_str!("/.."), umount_flags::DETACH) {
        pr_err!("cannot unmount the leaf ({:?})\n", err);
    }
    if let Some(leaf) = kept {
        leaf.leak();
    }
}

/// Mounts a `fstype` leaf with `defaults` and `options` on the current root
/// and makes it the root and working directory of the calling task; on
/// failure leaves all as it was, the leaf undone as `rollback` says.
///
/// A fault injected at a step makes that step's real call fail, so that the
/// error path that runs is the one a real failure takes.
///
/// The current root must be out of every other context's reach, as
/// [`seal`] requires: rootfs in `mnt_init()`, or a KUnit case's scratch
/// mount in a mount namespace of its own.
#[link_section = ".init.text"]
fn enter_leaf(
    init: InitWindow,
    fstype: &CStr,
    defaults: Option<&CStr>,
    options: Option<&CStr>,
    fail_at: Option<Step>,
    rollback: Rollback,
) -> Result<(), (Step, Error)> {
    let mut data = if fail_at == Some(Step::Options) {
        // Options that do not fit in the page `mount` takes: E2BIG.
        let overlong = CString::try_from_fmt(format_args!("{:x<1$}", "", PAGE_SIZE))
            .map_err(|err| (Step::Options, err))?;
        copy_options(defaults, Some(&overlong))
    } else {
        copy_options(defaults, options)
    }
    .map_err(|err| (Step::Options, err))?;

    let fstype = if fail_at == Some(Step::Mount) {
        NOWHERE
    } else {
        fstype
    };
    init_syscalls::mount(
        init,
        c_str!("initramfs"),
        c_str!("/"),
        Some(fstype),
        0,
        data.as_mut(),
    )
    .map_err(|err| (Step::Mount, err))?;

    // ".." at the root of a namespace follows the mount stacked there.
    let leaf = if fail_at == Some(Step::Chdir) {
        NOWHERE
    } else {
        c_str!("/..")
    };
    if let Err(err) = init_syscalls::chdir(init, leaf) {
        leave_leaf(init, false, rollback);
        return Err((Step::Chdir, err));
    }

    // "/" is still the old root, empty beneath the leaf.
    let bottom = if fail_at == Some(Step::Seal) {
        NOWHERE
    } else {
        c_str!("/")
    };
    if let Err(err) = seal(init, bottom) {
        leave_leaf(init, true, rollback);
        return Err((Step::Seal, err));
    }

    // Last: once the leaf is the root, rootfs is out of reach.
    let here = if fail_at == Some(Step::Chroot) {
        NOWHERE
    } else {
        c_str!(".")
    };
    if let Err(err) = init_syscalls::chroot(init, here) {
        unseal(init);
        leave_leaf(init, true, rollback);
        return Err((Step::Chroot, err));
    }
    Ok(())
}

/// Whether the command line asks for the leaf, so that `mnt_init()` keeps
/// `initramfs_options=` for it instead of giving them to rootfs, and makes
/// rootfs a ramfs, which [`seal`] can seal.
#[no_mangle]
#[link_section = ".init.text"]
pub extern "C" fn nonroot_initramfs_requested() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Whether the leaf is in place: the initramfs is unpacked into it and
/// rootfs beneath it is empty and sealed. False when it was not requested
/// or setting it up failed.
#[no_mangle]
#[link_section = ".init.text"]
pub extern "C" fn nonroot_initramfs_active() -> bool {
    ACTIVE.load(Ordering::Relaxed)
}

/// Stacks the leaf on rootfs, seals rootfs and enters the leaf, if
/// requested. `rootfs_would_be_tmpfs` tells whether rootfs would have been
/// a tmpfs, rather than a ramfs, without the feature: the leaf takes after
/// it.
///
/// # Safety
///
/// Called once by `mnt_init()`, single-threaded, right after rootfs has been
/// mounted and made the root of `init_task`. `options` is null or a
/// NUL-terminated string valid for the call.
#[no_mangle]
#[link_section = ".init.text"]
pub unsafe extern "C" fn nonroot_initramfs_setup(
    rootfs_would_be_tmpfs: bool,
    options: *const c_char,
) {
    if !nonroot_initramfs_requested() {
        return;
    }
    let options = (!options.is_null()).then(|| {
        // SAFETY: Non-null, so NUL-terminated and valid for the call, as the
        // caller guarantees.
        unsafe { CStr::from_char_ptr(options) }
    });
    // SAFETY: mnt_init() calls us at boot, and the token does not outlive
    // this call.
    let init = unsafe { InitWindow::assume() };
    let defaults = (!rootfs_would_be_tmpfs).then_some(LIKE_RAMFS);
    let fail_at = Step::from_u8(FAIL_AT.load(Ordering::Relaxed));

    match enter_leaf(
        init,
        c_str!("tmpfs"),
        defaults,
        options,
        fail_at,
        Rollback::Keep,
    ) {
        Ok(()) => {
            ACTIVE.store(true, Ordering::Relaxed);
            pr_info!("initramfs goes to a tmpfs stacked on a sealed rootfs\n");
        }
        // rootfs is a ramfs, created without the options, which were for
        // the leaf.
        Err((step, err)) => pr_warn!(
            "{} failed ({:?}); initramfs goes to rootfs, a ramfs{}\n",
            step.name(),
            err,
            if options.is_some() {
                ": initramfs_options= not applied"
            } else {
                ""
            }
        ),
    }
}
