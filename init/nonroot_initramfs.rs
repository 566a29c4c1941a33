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
//! the limits and mode of a ramfs when rootfs is a ramfs), and made the root
//! and working directory of `init_task`. PID 1 and every kernel thread,
//! including the async unpack worker, share that `fs_struct`, so the whole
//! initramfs lands in the leaf while rootfs stays empty beneath it. Userspace
//! can then `pivot_root(".", ".")` away from the leaf and detach it.
//!
//! If any step fails, the steps done are undone in reverse order, one
//! warning names the failed step, and boot goes on with rootfs as the root,
//! exactly as without this feature.

use core::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use kernel::{
    boot_param, c_str, current,
    ffi::c_char,
    init_syscalls::{self, flags, umount_flags, MountOptions},
    path::Path,
    prelude::*,
    str::CString,
};

#[cfg(CONFIG_NONROOT_INITRAMFS_KUNIT_TEST)]
#[path = "nonroot_initramfs_test.rs"]
mod test;

const __LOG_PREFIX: &[u8] = b"nonroot_initramfs\0";

#[link_section = ".init.data"]
static ENABLED: AtomicBool = AtomicBool::new(cfg!(CONFIG_NONROOT_INITRAMFS_DEFAULT_ON));

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
    /// Make the leaf the root.
    Chroot,
}

impl Step {
    #[cfg(any(
        CONFIG_NONROOT_INITRAMFS_FAULT_INJECTION,
        CONFIG_NONROOT_INITRAMFS_KUNIT_TEST
    ))]
    const ALL: [Step; 4] = [Step::Options, Step::Mount, Step::Chdir, Step::Chroot];

    #[link_section = ".init.text"]
    fn from_u8(value: u8) -> Option<Step> {
        match value {
            1 => Some(Step::Options),
            2 => Some(Step::Mount),
            3 => Some(Step::Chdir),
            4 => Some(Step::Chroot),
            _ => None,
        }
    }

    #[link_section = ".init.text"]
    fn name(self) -> &'static str {
        match self {
            Step::Options => "options",
            Step::Mount => "mount",
            Step::Chdir => "chdir",
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

/// Fails `step` if a fault is injected there.
#[link_section = ".init.text"]
fn inject(step: Step, fail_at: Option<Step>) -> Result<(), (Step, Error)> {
    match fail_at {
        Some(at) if at == step => Err((step, ENOMEM)),
        _ => Ok(()),
    }
}

/// Options that make a tmpfs leaf behave as a ramfs rootfs would: no size
/// or inode limit, mode 0755. (ramfs itself registers too late, in an
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

/// Undoes [`enter_leaf`]: leaves the leaf if `entered`, then unmounts it.
#[link_section = ".init.text"]
fn leave_leaf(entered: bool) {
    // The root is still the old one: "/" is below the leaf, "/.." is the leaf.
    if entered {
        if let Err(err) = init_syscalls::chdir(c_str!("/")) {
            pr_err!("cannot leave the leaf: {:?}\n", err);
        }
    }
    // Freeing a mount hands cleanup_mnt() to a kworker, which at boot can
    // run before the core initcall that sets up the fsnotify SRCU it takes.
    // The boot thread (PID 0) keeps a reference on the detached, empty leaf
    // instead, so that it is never freed.
    let leaf = if current!().pid() == 0 {
        Path::lookup(c_str!("/..")).ok()
    } else {
        None
    };
    if let Err(err) = init_syscalls::umount(c_str!("/.."), umount_flags::DETACH) {
        pr_err!("cannot unmount the leaf: {:?}\n", err);
    }
    core::mem::forget(leaf);
}

/// Mounts a `fstype` leaf with `defaults` and `options` on the current root
/// and makes it the root and working directory of the calling task; on
/// failure leaves all as it was.
#[link_section = ".init.text"]
fn enter_leaf(
    fstype: &CStr,
    defaults: Option<&CStr>,
    options: Option<&CStr>,
    fail_at: Option<Step>,
) -> Result<(), (Step, Error)> {
    inject(Step::Options, fail_at)?;
    let mut data = copy_options(defaults, options).map_err(|err| (Step::Options, err))?;

    inject(Step::Mount, fail_at)?;
    init_syscalls::mount(
        c_str!("initramfs"),
        c_str!("/"),
        Some(fstype),
        0,
        data.as_mut(),
    )
    .map_err(|err| (Step::Mount, err))?;

    if let Err(err) = inject(Step::Chdir, fail_at) {
        leave_leaf(false);
        return Err(err);
    }
    if let Err(err) = init_syscalls::chdir(c_str!("/..")) {
        leave_leaf(false);
        return Err((Step::Chdir, err));
    }

    // Last: once the leaf is the root, rootfs is out of reach.
    if let Err(err) = inject(Step::Chroot, fail_at) {
        leave_leaf(true);
        return Err(err);
    }
    if let Err(err) = init_syscalls::chroot(c_str!(".")) {
        leave_leaf(true);
        return Err((Step::Chroot, err));
    }
    Ok(())
}

/// Gives rootfs the options the leaf could not take, as far as a remount can.
#[link_section = ".init.text"]
fn remount_rootfs(options: &CStr) -> Result {
    let mut data = MountOptions::new(options)?;
    init_syscalls::mount(
        c_str!("rootfs"),
        c_str!("/"),
        None,
        flags::REMOUNT,
        Some(&mut data),
    )
}

/// Whether `mnt_init()` must keep `initramfs_options=` for the leaf.
#[no_mangle]
#[link_section = ".init.text"]
pub extern "C" fn nonroot_initramfs_enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Stacks the leaf on rootfs and enters it, if enabled. `rootfs_is_tmpfs`
/// tells whether rootfs is a tmpfs or a ramfs.
///
/// # Safety
///
/// Called once by `mnt_init()`, single-threaded, right after rootfs has been
/// mounted and made the root of `init_task`. `options` is null or a
/// NUL-terminated string valid for the call.
#[no_mangle]
#[link_section = ".init.text"]
pub unsafe extern "C" fn nonroot_initramfs_setup(rootfs_is_tmpfs: bool, options: *const c_char) {
    #[cfg(CONFIG_NONROOT_INITRAMFS_KUNIT_TEST)]
    test::record_rootfs();

    if !nonroot_initramfs_enabled() {
        return;
    }
    let options = (!options.is_null()).then(|| {
        // SAFETY: Non-null, so NUL-terminated and valid for the call, as the
        // caller guarantees.
        unsafe { CStr::from_char_ptr(options) }
    });
    let defaults = (!rootfs_is_tmpfs).then_some(LIKE_RAMFS);
    let fail_at = Step::from_u8(FAIL_AT.load(Ordering::Relaxed));

    match enter_leaf(c_str!("tmpfs"), defaults, options, fail_at) {
        Ok(()) => pr_info!("initramfs goes to a tmpfs stacked on rootfs\n"),
        Err((step, err)) => {
            let options = match options {
                None => "",
                Some(options) => match remount_rootfs(options) {
                    Ok(()) => ", initramfs_options= applied to rootfs",
                    Err(_) => ", initramfs_options= ignored",
                },
            };
            pr_warn!(
                "{} failed ({:?}); initramfs goes to rootfs{}\n",
                step.name(),
                err,
                options
            );
        }
    }
}
