// SPDX-License-Identifier: GPL-2.0

//! Kernel command-line parameters handled during early boot.
//!
//! [`boot_param!`](crate::boot_param!) is the Rust counterpart of C's
//! `__setup()`: it places a `struct obs_kernel_param` record in
//! `.init.setup`, where `obsolete_checksetup()` finds it while the command
//! line is parsed, long before any initcall runs. Like everything in init
//! sections, the record, its name and its handler are freed after boot.
//!
//! C header: [`include/linux/init.h`](srctree/include/linux/init.h)

use crate::{bindings, error::Result, ffi, str::CStr};

/// The layout of C's `struct obs_kernel_param`.
///
/// Bindgen runs with `-DMODULE`, which hides the C definition, so it is
/// mirrored here. `__setup_start..__setup_end` is an array of these records
/// built by the linker: a different size would misalign every record after
/// ours, hence the layout checks below.
///
/// # Invariants
///
/// `name` points to a NUL-terminated string in `.init.rodata`; `handler` is
/// placed in `.init.text`. Both live as long as the record itself.
#[doc(hidden)]
#[repr(C)]
pub struct ObsKernelParam {
    name: *const ffi::c_char,
    handler: Option<unsafe extern "C" fn(*mut ffi::c_char) -> ffi::c_int>,
    early: ffi::c_int,
}

// `const char *str; int (*setup_func)(char *); int early;` in C.
const _: () = {
    use core::mem::{align_of, offset_of, size_of};
    assert!(offset_of!(ObsKernelParam, name) == 0);
    assert!(offset_of!(ObsKernelParam, handler) == size_of::<*const u8>());
    assert!(offset_of!(ObsKernelParam, early) == 2 * size_of::<*const u8>());
    assert!(align_of::<ObsKernelParam>() == align_of::<*const u8>());
    assert!(size_of::<ObsKernelParam>() == 3 * size_of::<*const u8>());
};

// SAFETY: The record is immutable and only read by the boot-option parser.
unsafe impl Sync for ObsKernelParam {}

impl ObsKernelParam {
    /// Creates the record of a `__setup()`-style parameter.
    ///
    /// # Safety
    ///
    /// `name` must be NUL-terminated. The record must be placed in
    /// `.init.setup` and `handler` in `.init.text`.
    #[doc(hidden)]
    pub const unsafe fn new(
        name: &'static [u8],
        handler: unsafe extern "C" fn(*mut ffi::c_char) -> ffi::c_int,
    ) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self {
            name: name.as_ptr().cast(),
            handler: Some(handler),
            early: 0,
        }
    }
}

/// Returns `name` with a NUL appended, as an array of `N` bytes.
///
/// Evaluated at compile time by [`boot_param!`](crate::boot_param!), where a
/// wrong length or a NUL inside `name` fails the build.
#[doc(hidden)]
pub const fn nul_terminated<const N: usize>(name: &str) -> [u8; N] {
    let bytes = name.as_bytes();
    assert!(bytes.len() + 1 == N, "wrong length for the parameter name");
    let mut out = [0u8; N];
    let mut i = 0;
    while i < bytes.len() {
        assert!(bytes[i] != 0, "parameter name contains NUL");
        out[i] = bytes[i];
        i += 1;
    }
    out
}

/// Parses a boolean the way boot options do (`kstrtobool()`).
///
/// `y`, `Y`, `t`, `T`, `1` and `on` (any case) are true; `n`, `N`, `f`,
/// `F`, `0` and `off` (any case) are false. Only the first character counts,
/// or the first two for `on` and `off`, so `yes`, `true`, `no` and `false`
/// work too. Anything else is [`EINVAL`](crate::error::code::EINVAL).
///
/// # Examples
///
/// ```
/// use kernel::{boot_param::parse_bool, c_str};
///
/// assert_eq!(parse_bool(c_str!("on")), Ok(true));
/// assert_eq!(parse_bool(c_str!("N")), Ok(false));
/// assert!(parse_bool(c_str!("maybe")).is_err());
/// assert!(parse_bool(c_str!("")).is_err());
/// ```
pub fn parse_bool(s: &CStr) -> Result<bool> {
    let mut value = false;
    // SAFETY: `s` is NUL-terminated and `value` is a valid `bool` to write.
    crate::error::to_result(unsafe { bindings::kstrtobool(s.as_char_ptr(), &mut value) })?;
    Ok(value)
}

/// Registers a handler for a kernel command-line parameter, like C's
/// `__setup()`.
///
/// The boot-option parser calls `$handler` with what follows `$name` on the
/// command line: for `$name = "foo"`, `foo=bar` gives `"=bar"`, a bare `foo`
/// gives `""` and `foobar` gives `"bar"`. The handler returns `true` when it
/// consumed the parameter; otherwise the parser goes on and, if nothing else
/// takes it, passes it to init as an argument or environment variable.
///
/// Handlers run once per occurrence, single-threaded, before the memory
/// allocators and any initcall, so they should only record what they parse.
/// `$handler` must be a `fn(&CStr) -> bool` placed in `.init.text`.
///
/// Built-in code only: nothing is registered in a module, as in C.
///
/// # Examples
///
/// Doctests are built into the kernel, so this one leaves the invocation
/// out of the build: a kernel with doctests gets no `example_verbose`
/// parameter.
///
/// ```
/// use core::sync::atomic::{AtomicBool, Ordering};
/// use kernel::str::CStr;
///
/// #[link_section = ".init.data"]
/// static VERBOSE: AtomicBool = AtomicBool::new(false);
///
/// # #[allow(dead_code)]
/// #[link_section = ".init.text"]
/// fn parse_verbose(arg: &CStr) -> bool {
///     if !arg.is_empty() {
///         return false;
///     }
///     VERBOSE.store(true, Ordering::Relaxed);
///     true
/// }
///
/// # #[cfg(any())]
/// kernel::boot_param!("example_verbose", parse_verbose);
/// ```
#[macro_export]
macro_rules! boot_param {
    ($name:literal, $handler:path $(,)?) => {
        #[cfg(not(MODULE))]
        const _: () = {
            const NAME_LEN: usize = $name.len() + 1;

            #[link_section = ".init.rodata"]
            static NAME: [u8; NAME_LEN] = $crate::boot_param::nul_terminated::<NAME_LEN>($name);

            /// # Safety
            ///
            /// `arg` must be a NUL-terminated string valid for the call.
            #[link_section = ".init.text"]
            #[cold]
            unsafe extern "C" fn trampoline(arg: *mut $crate::ffi::c_char) -> $crate::ffi::c_int {
                // SAFETY: The boot-option parser passes the rest of the
                // command-line word, NUL-terminated.
                let arg = unsafe { $crate::str::CStr::from_char_ptr(arg) };
                let handler: fn(&$crate::str::CStr) -> bool = $handler;
                handler(arg).into()
            }

            #[link_section = ".init.setup"]
            #[used(compiler)]
            // SAFETY: `NAME` is NUL-terminated, the record is placed in
            // `.init.setup` and `trampoline` in `.init.text`.
            static PARAM: $crate::boot_param::ObsKernelParam =
                unsafe { $crate::boot_param::ObsKernelParam::new(&NAME, trampoline) };
        };
    };
}
