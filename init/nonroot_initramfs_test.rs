// SPDX-License-Identifier: GPL-2.0

//! KUnit tests for nonroot_initramfs.
//!
//! They run at boot, before init memory is freed: the code under test is
//! `__init`. Cases that stack a leaf do so in a private mount namespace and
//! `fs_struct` of the test's own kernel thread, so the running system's root
//! is never touched.

use super::{
    enter_leaf, nonroot_initramfs_param, parse_param, seal, unseal, Param, Rollback, Step, ACTIVE,
    ENABLED, FAIL_AT, LIKE_RAMFS,
};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::{
    boot_param, c_str,
    init_syscalls::{self, clone_flags, flags, InitWindow, Stat},
    kunit::{kunit_tests, suite},
    kunit_expect, kunit_expect_eq,
    path::Path,
    prelude::*,
    str::CString,
};

/// The init window the suites run in.
#[link_section = ".init.text"]
fn init() -> InitWindow {
    // SAFETY: These are init-section suites: KUnit runs them at boot,
    // before init memory is freed, and no case keeps the token.
    unsafe { InitWindow::assume() }
}

// ---- Command line ----------------------------------------------------------

#[link_section = ".init.text"]
fn parse(arg: &str) -> Result<Param> {
    let arg = CString::try_from_fmt(format_args!("{}", arg))?;
    Ok(parse_param(&arg))
}

/// What follows `nonroot_initramfs` in a command-line word, and its meaning.
#[link_section = ".init.rodata"]
static PARAM_TABLE: [(&str, Param); 28] = [
    ("", Param::Set(true)),
    ("=1", Param::Set(true)),
    ("=0", Param::Set(false)),
    ("=y", Param::Set(true)),
    ("=Y", Param::Set(true)),
    ("=yes", Param::Set(true)),
    ("=n", Param::Set(false)),
    ("=N", Param::Set(false)),
    ("=no", Param::Set(false)),
    ("=t", Param::Set(true)),
    ("=true", Param::Set(true)),
    ("=F", Param::Set(false)),
    ("=false", Param::Set(false)),
    ("=on", Param::Set(true)),
    ("=ON", Param::Set(true)),
    ("=off", Param::Set(false)),
    ("=Off", Param::Set(false)),
    ("=1trailing", Param::Set(true)),
    ("=", Param::Invalid),
    ("=2", Param::Invalid),
    ("=maybe", Param::Invalid),
    ("=o", Param::Invalid),
    ("=oops", Param::Invalid),
    ("= 1", Param::Invalid),
    ("==1", Param::Invalid),
    ("X", Param::Other),
    ("_fail=mount", Param::Other),
    (" =1", Param::Other),
];

/// Gives `ENABLED` back the value boot set when dropped, however the case ends.
struct RestoreEnabled(bool);

impl RestoreEnabled {
    #[link_section = ".init.text"]
    fn new() -> Self {
        Self(ENABLED.load(Ordering::Relaxed))
    }
}

impl Drop for RestoreEnabled {
    #[link_section = ".init.text"]
    fn drop(&mut self) {
        ENABLED.store(self.0, Ordering::Relaxed);
    }
}

/// Feeds `words` to the handler in order, as repeated parameters would be.
#[link_section = ".init.text"]
fn handle_all(start: bool, words: &[&str]) -> Result<bool> {
    ENABLED.store(start, Ordering::Relaxed);
    for word in words {
        let arg = CString::try_from_fmt(format_args!("{}", word))?;
        kunit_expect!(nonroot_initramfs_param(&arg), "'{}' not consumed", word);
    }
    Ok(ENABLED.load(Ordering::Relaxed))
}

#[kunit_tests(nonroot_initramfs_param, init_section)]
mod param {
    use super::*;

    #[test]
    fn param_table() -> Result {
        for (arg, expected) in PARAM_TABLE.iter() {
            kunit_expect!(parse(arg)? == *expected, "'nonroot_initramfs{}'", arg);
        }
        Ok(())
    }

    #[test]
    fn param_overlong() -> Result {
        let mut word = KVec::new();
        word.extend_from_slice(b"=", GFP_KERNEL)?;
        word.extend_with(4000, b'x', GFP_KERNEL)?;
        word.push(0, GFP_KERNEL)?;
        kunit_expect_eq!(
            parse_param(CStr::from_bytes_with_nul(&word)?),
            Param::Invalid
        );
        word[1] = b'y';
        kunit_expect_eq!(
            parse_param(CStr::from_bytes_with_nul(&word)?),
            Param::Set(true)
        );
        Ok(())
    }

    #[test]
    fn param_repeated() -> Result {
        let _restore = RestoreEnabled::new();
        // The last valid occurrence wins; invalid ones keep what was there.
        kunit_expect!(!handle_all(false, &["", "=0"])?);
        kunit_expect!(handle_all(false, &["=0", ""])?);
        kunit_expect!(handle_all(false, &["=1", "=bogus"])?);
        kunit_expect!(!handle_all(false, &["=bogus"])?);
        // With CONFIG_NONROOT_INITRAMFS_DEFAULT_ON the flag starts out true.
        kunit_expect!(handle_all(true, &["=bogus"])?);
        kunit_expect!(!handle_all(true, &["=off"])?);
        // Longer words are left for other parameters, such as _fail=.
        let other = CString::try_from_fmt(format_args!("_fail=mount"))?;
        kunit_expect!(!nonroot_initramfs_param(&other));
        Ok(())
    }
}

// ---- Stacking the leaf and rolling back -----------------------------------

/// Moves the test's thread to its own copies of the mount tree and root,
/// and makes an empty ramfs of its own the root, to stand for rootfs: what
/// the cases seal is then theirs alone.
#[link_section = ".init.text"]
fn private_root() -> Result<Stat> {
    init_syscalls::unshare(init(), clone_flags::NEWNS | clone_flags::FS)?;
    init_syscalls::mount(
        init(),
        c_str!("scratch"),
        c_str!("/"),
        Some(c_str!("ramfs")),
        0,
        None,
    )?;
    init_syscalls::chdir(init(), c_str!("/.."))?;
    init_syscalls::chroot(init(), c_str!("."))?;
    init_syscalls::stat(init(), c_str!("/"), true)
}

/// Whether a directory can be made in `/` (and is removed again).
#[link_section = ".init.text"]
fn root_writable() -> Result {
    init_syscalls::mkdir(init(), c_str!("/probe"), 0o755)?;
    init_syscalls::rmdir(init(), c_str!("/probe"))
}

#[link_section = ".init.text"]
fn same(a: &Stat, b: &Stat) -> bool {
    a.dev() == b.dev() && a.ino() == b.ino()
}

/// Checks that root, working directory and mounts are as in `before`.
#[link_section = ".init.text"]
fn expect_untouched(before: &Stat) -> Result {
    kunit_expect!(
        same(&init_syscalls::stat(init(), c_str!("/"), true)?, before),
        "root changed"
    );
    kunit_expect!(
        same(&init_syscalls::stat(init(), c_str!("."), true)?, before),
        "cwd changed"
    );
    // Anything left mounted on the root would be reached by "/..".
    kunit_expect!(
        same(&init_syscalls::stat(init(), c_str!("/.."), true)?, before),
        "mount left"
    );
    let writable = root_writable();
    kunit_expect!(writable.is_ok(), "root left sealed: {:?}", writable);
    Ok(())
}

/// The error a fault injected at `step` makes its real call return.
#[link_section = ".init.text"]
fn fault_error(step: Step) -> Error {
    match step {
        // Options longer than the page mount() takes.
        Step::Options => E2BIG,
        // A file system type that does not exist.
        Step::Mount => ENODEV,
        // A directory that does not exist.
        Step::Chdir | Step::Seal | Step::Chroot => ENOENT,
    }
}

#[kunit_tests(nonroot_initramfs_setup, init_section)]
mod setup {
    use super::*;

    #[test]
    fn leaf_stacked_and_entered() -> Result {
        let before = private_root()?;
        kunit_expect!(
            enter_leaf(init(), c_str!("tmpfs"), None, None, None, Rollback::Free).is_ok()
        );
        let root = init_syscalls::stat(init(), c_str!("/"), true)?;
        kunit_expect!(
            root.dev() != before.dev(),
            "root is still the old file system"
        );
        // A tmpfs root is 1777; without shmem, "tmpfs" is a ramfs: 0755.
        let mode = if cfg!(CONFIG_SHMEM) { 0o1777 } else { 0o755 };
        kunit_expect_eq!(root.mode() & 0o7777, mode);
        kunit_expect!(
            same(&init_syscalls::stat(init(), c_str!("."), true)?, &root),
            "cwd not in the leaf"
        );
        kunit_expect!(
            same(&init_syscalls::stat(init(), c_str!("/.."), true)?, &root),
            "leaf has a mount on it"
        );
        // The leaf is writable and empty: a directory can be made and removed.
        kunit_expect!(init_syscalls::mkdir(init(), c_str!("/probe"), 0o755).is_ok());
        kunit_expect!(init_syscalls::rmdir(init(), c_str!("/probe")).is_ok());
        Ok(())
    }

    #[test]
    fn leaf_takes_options() -> Result {
        private_root()?;
        kunit_expect!(enter_leaf(
            init(),
            c_str!("tmpfs"),
            None,
            Some(c_str!("mode=0700,size=1m")),
            None,
            Rollback::Free
        )
        .is_ok());
        kunit_expect_eq!(
            init_syscalls::stat(init(), c_str!("/"), true)?.mode() & 0o7777,
            0o700
        );
        Ok(())
    }

    #[test]
    fn leaf_like_ramfs() -> Result {
        let before = private_root()?;
        kunit_expect!(enter_leaf(
            init(),
            c_str!("tmpfs"),
            Some(LIKE_RAMFS),
            None,
            None,
            Rollback::Free
        )
        .is_ok());
        let root = init_syscalls::stat(init(), c_str!("/"), true)?;
        kunit_expect!(root.dev() != before.dev());
        kunit_expect_eq!(root.mode() & 0o7777, 0o755);
        // Options from the command line override the defaults.
        let options = Some(c_str!("mode=0711"));
        kunit_expect!(enter_leaf(
            init(),
            c_str!("tmpfs"),
            Some(LIKE_RAMFS),
            options,
            None,
            Rollback::Free
        )
        .is_ok());
        kunit_expect_eq!(
            init_syscalls::stat(init(), c_str!("/"), true)?.mode() & 0o7777,
            0o711
        );
        Ok(())
    }

    #[test]
    fn bad_options_leave_nothing() -> Result {
        let before = private_root()?;
        let result = enter_leaf(
            init(),
            c_str!("tmpfs"),
            None,
            Some(c_str!("huge=bogus")),
            None,
            Rollback::Free,
        );
        if !cfg!(CONFIG_SHMEM) {
            // A ramfs-backed "tmpfs" ignores options it does not know.
            kunit_expect!(result.is_ok(), "{:?}", result);
            return Ok(());
        }
        kunit_expect_eq!(result, Err((Step::Mount, EINVAL)));
        expect_untouched(&before)
    }

    #[test]
    fn unknown_fs_leaves_nothing() -> Result {
        let before = private_root()?;
        let result = enter_leaf(
            init(),
            c_str!("no_such_fs"),
            None,
            None,
            None,
            Rollback::Free,
        );
        kunit_expect_eq!(result, Err((Step::Mount, ENODEV)));
        expect_untouched(&before)
    }

    #[test]
    fn seal_holds_and_rolls_back() -> Result {
        private_root()?;
        kunit_expect_eq!(seal(init(), c_str!("/")), Ok(()));
        kunit_expect_eq!(root_writable(), Err(EROFS));
        // Undone whole: read-write again, and no longer immutable.
        unseal(init());
        kunit_expect_eq!(root_writable(), Ok(()));
        // A remount rw leaves the immutable root, which still refuses.
        kunit_expect_eq!(seal(init(), c_str!("/")), Ok(()));
        init_syscalls::mount(
            init(),
            c_str!("scratch"),
            c_str!("/"),
            None,
            flags::REMOUNT | flags::BIND,
            None,
        )?;
        kunit_expect_eq!(root_writable(), Err(EPERM));
        unseal(init());
        kunit_expect_eq!(root_writable(), Ok(()));
        Ok(())
    }

    #[test]
    fn every_fault_rolls_back() -> Result {
        let before = private_root()?;
        for step in Step::ALL {
            let result = enter_leaf(
                init(),
                c_str!("tmpfs"),
                Some(LIKE_RAMFS),
                Some(c_str!("size=1m")),
                Some(step),
                Rollback::Free,
            );
            kunit_expect!(
                result == Err((step, fault_error(step))),
                "fault at {:?}: {:?}",
                step,
                result
            );
            expect_untouched(&before)?;
        }
        Ok(())
    }
}

// ---- The state boot left ---------------------------------------------------

#[link_section = ".init.text"]
fn unpacked() -> Result {
    init_syscalls::wait_for_initramfs(init());
    Ok(())
}

#[kunit_tests(nonroot_initramfs_boot, init_section, suite_init = unpacked)]
mod boot {
    use super::*;

    /// `/` is the leaf if the boot asked for it and no fault was injected, and
    /// rootfs otherwise; the state the feature reports says the same, and
    /// either way the initramfs is there.
    #[test]
    fn root_after_boot() -> Result {
        let root = init_syscalls::stat(init(), c_str!("/"), true)?;
        let want_leaf = ENABLED.load(Ordering::Relaxed) && FAIL_AT.load(Ordering::Relaxed) == 0;
        kunit_expect_eq!(ACTIVE.load(Ordering::Relaxed), want_leaf);

        let mut path = Path::lookup(c_str!("/"))?;
        kunit_expect!(path.is_mount_root());
        if want_leaf {
            kunit_expect!(
                path.fs_type().as_bytes() != b"rootfs",
                "/ is {}",
                path.fs_type()
            );
            kunit_expect!(path.follow_up(), "the leaf has no parent mount");
            kunit_expect_eq!(path.fs_type().as_bytes(), b"rootfs");
            kunit_expect!(path.is_empty_dir(), "rootfs has entries");
            kunit_expect!(!path.follow_up(), "rootfs has a parent mount");
        } else {
            kunit_expect_eq!(path.fs_type().as_bytes(), b"rootfs");
            kunit_expect!(!path.follow_up(), "rootfs has a parent mount");
        }
        // Nothing is stacked on the root, whichever it is.
        kunit_expect!(same(
            &init_syscalls::stat(init(), c_str!("/.."), true)?,
            &root
        ));
        // Entries of the built-in initramfs (usr/default_cpio_list).
        kunit_expect!(init_syscalls::stat(init(), c_str!("/dev/console"), true).is_ok());
        kunit_expect!(init_syscalls::stat(init(), c_str!("/root"), true).is_ok());
        Ok(())
    }
}

// ---- The harness itself ------------------------------------------------------

/// Set by `nonroot_initramfs_kunit_selftest`: the cases below then fail, as
/// they must, to show that the harness reports failures. Otherwise they are
/// skipped.
#[link_section = ".init.data"]
static SELFTEST: AtomicBool = AtomicBool::new(false);

#[link_section = ".init.text"]
fn selftest_param(arg: &CStr) -> bool {
    if !arg.is_empty() {
        return false;
    }
    SELFTEST.store(true, Ordering::Relaxed);
    true
}
boot_param!("nonroot_initramfs_kunit_selftest", selftest_param);

/// Whether the self-test runs; skips the case if not.
#[link_section = ".init.text"]
fn selftest() -> bool {
    let run = SELFTEST.load(Ordering::Relaxed);
    if !run {
        suite::skip(c_str!("needs nonroot_initramfs_kunit_selftest"));
    }
    run
}

#[kunit_tests(nonroot_initramfs_selftest, init_section)]
mod harness {
    use super::*;

    #[test]
    fn failed_expect_fails() -> Result {
        if selftest() {
            kunit_expect!(1 + 1 == 3, "deliberately");
        }
        Ok(())
    }

    #[test]
    fn failed_expect_eq_fails() -> Result {
        if selftest() {
            kunit_expect_eq!(1 + 1, 3);
        }
        Ok(())
    }

    #[test]
    fn returned_error_fails() -> Result {
        if selftest() {
            return Err(EINVAL);
        }
        Ok(())
    }
}
