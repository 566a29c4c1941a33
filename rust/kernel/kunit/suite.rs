// SPDX-License-Identifier: GPL-2.0

//! KUnit test suites written in Rust.
//!
//! Suites are declared with `#[kunit_tests]` on a module of `#[test]`
//! functions, the syntax of later kernels; this is what it builds on. Each
//! case is a plain Rust function returning `()` or [`Result`], and the
//! suite is registered with KUnit like C's `kunit_test_suite()`, or like
//! `kunit_test_init_section_suites()` for suites that test `__init` code.
//! [`kunit_expect!`](crate::kunit_expect!) and
//! [`kunit_expect_eq!`](crate::kunit_expect_eq!) check conditions; a failed
//! check, or a case returning an error, fails the case with a message that
//! names the file and line. Checks do not abort the case, so it can still
//! clean up after itself.
//!
//! C header: [`include/kunit/test.h`](srctree/include/kunit/test.h)

use crate::{bindings, error::Result, ffi, str::CStr};
use core::fmt;

/// Fails the KUnit test the current task runs: `condition` did not hold at
/// `file:line`, and `args` says more.
///
/// Outside a KUnit test this prints an error, as there is no test to fail.
#[doc(hidden)]
pub fn fail(file: &CStr, line: u32, condition: &CStr, args: fmt::Arguments<'_>) {
    // SAFETY: FFI call without safety requirements.
    let test = unsafe { bindings::kunit_get_current_test() };
    if test.is_null() {
        crate::pr_err!(
            "{}:{}: {} failed: {} (not in a KUnit test)\n",
            file,
            line,
            condition,
            args
        );
        return;
    }
    let loc = bindings::kunit_loc {
        line: line as ffi::c_int,
        file: file.as_char_ptr(),
    };
    let assert = bindings::kunit_unary_assert {
        assert: bindings::kunit_assert {},
        condition: condition.as_char_ptr(),
        expected_true: true,
    };
    // SAFETY: `test` is the running test. `loc` and `assert` are valid for
    // the call, which formats them at once; `assert.assert` is embedded in a
    // `kunit_unary_assert`, as `kunit_unary_assert_format` expects. The
    // format string is NUL-terminated and `%pA` matches `args`.
    unsafe {
        bindings::__kunit_do_failed_assertion(
            test,
            &loc,
            bindings::kunit_assert_type_KUNIT_EXPECTATION,
            &assert.assert,
            Some(bindings::kunit_unary_assert_format),
            crate::c_str!("%pA").as_char_ptr(),
            core::ptr::from_ref(&args).cast::<ffi::c_void>(),
        );
    }
}

/// Marks the KUnit test the current task runs as skipped, with `reason`,
/// like C's `kunit_mark_skipped()`. The case should return at once.
///
/// Outside a KUnit test this does nothing.
pub fn skip(reason: &CStr) {
    // SAFETY: FFI call without safety requirements.
    let test = unsafe { bindings::kunit_get_current_test() };
    if test.is_null() {
        return;
    }
    let reason = reason.as_bytes();
    // SAFETY: `test` is the running test, which only its own task changes.
    let test = unsafe { &mut *test };
    let len = reason.len().min(test.status_comment.len() - 1);
    for (to, from) in test.status_comment.iter_mut().zip(&reason[..len]) {
        *to = *from as ffi::c_char;
    }
    test.status_comment[len] = 0;
    // SAFETY: `status` is a plain field of the running test; KUnit reads it
    // from this task once the case has returned.
    unsafe { core::ptr::write_volatile(&mut test.status, bindings::kunit_status_KUNIT_SKIPPED) };
}

/// What a case may return: nothing, or a [`Result`] whose error fails it.
pub trait CaseResult {
    /// The outcome as a [`Result`].
    fn into_result(self) -> Result;
}

impl CaseResult for () {
    fn into_result(self) -> Result {
        Ok(())
    }
}

impl CaseResult for Result {
    fn into_result(self) -> Result {
        self
    }
}

/// Reports the outcome of a case: fails it, at `file:line`, if it returned
/// an error. `returned` is the check as KUnit prints it.
#[doc(hidden)]
pub fn report(file: &CStr, line: u32, returned: &CStr, result: impl CaseResult) {
    if let Err(err) = result.into_result() {
        fail(file, line, returned, format_args!("it returned {:?}", err));
    }
}

/// Checks that a condition holds; fails the running KUnit test otherwise.
///
/// Evaluates to whether the condition held. An optional format string and
/// arguments explain the failure.
///
/// # Examples
///
/// ```
/// let answer = 6 * 7;
/// kernel::kunit_expect!(answer == 42);
/// kernel::kunit_expect!(answer > 0, "answer is {}", answer);
/// ```
#[macro_export]
macro_rules! kunit_expect {
    ($cond:expr $(,)?) => {
        $crate::kunit_expect!($cond, "")
    };
    ($cond:expr, $($arg:tt)+) => {{
        let held: bool = $cond;
        if !held {
            $crate::kunit::suite::fail(
                $crate::c_str!(::core::file!()),
                ::core::line!(),
                $crate::c_str!(::core::stringify!($cond)),
                ::core::format_args!($($arg)+),
            );
        }
        held
    }};
}

/// Checks that two values are equal; fails the running KUnit test otherwise.
///
/// Evaluates to whether they were. Both values are printed on failure.
///
/// # Examples
///
/// ```
/// kernel::kunit_expect_eq!(2 + 2, 4);
/// ```
#[macro_export]
macro_rules! kunit_expect_eq {
    ($left:expr, $right:expr $(,)?) => {{
        let (left, right) = (&$left, &$right);
        $crate::kunit_expect!(*left == *right, "{:?} != {:?}", left, right)
    }};
}

/// Returns `name` as a `kunit_suite` name: NUL-padded to 256 bytes.
///
/// Evaluated at compile time, where a name that does not fit fails the
/// build.
#[doc(hidden)]
pub const fn suite_name(name: &str) -> [ffi::c_char; 256] {
    let bytes = name.as_bytes();
    assert!(bytes.len() < 256, "KUnit suite name longer than 255 bytes");
    let mut out = [0; 256];
    let mut i = 0;
    while i < bytes.len() {
        out[i] = bytes[i] as ffi::c_char;
        i += 1;
    }
    out
}

/// A case entry for a suite's array of cases.
#[doc(hidden)]
pub const fn case(
    name: &'static CStr,
    run: unsafe extern "C" fn(*mut bindings::kunit),
) -> bindings::kunit_case {
    bindings::kunit_case {
        run_case: Some(run),
        name: name.as_char_ptr(),
        // SAFETY: The rest is plain data for KUnit to fill in; zero is its
        // initial value, as in C's `KUNIT_CASE()`.
        ..unsafe { core::mem::zeroed() }
    }
}

/// The zeroed case that ends a suite's array of cases.
#[doc(hidden)]
pub const fn case_end() -> bindings::kunit_case {
    // SAFETY: An all-zero `kunit_case` is the terminator KUnit looks for.
    unsafe { core::mem::zeroed() }
}

/// A pointer to a suite, in the section KUnit's executor reads at boot.
#[doc(hidden)]
#[repr(transparent)]
pub struct SuiteEntry(pub *mut bindings::kunit_suite);

// SAFETY: The entry is only read, by the KUnit executor.
unsafe impl Sync for SuiteEntry {}

/// Declares a KUnit suite whose cases are Rust functions: the expansion of
/// `#[kunit_tests]`, which gives each case the line it reports a returned
/// error at (its `fn`). `$text`, `$data` and
/// `$table` are the sections of the case wrappers, of the suite data and of
/// the suite's entry: `.init.text`, `.ref.data` and
/// `.kunit_init_test_suites` for init-section suites, whose cases may call
/// `__init` code and run at boot only, before init memory is freed.
#[doc(hidden)]
#[macro_export]
macro_rules! __kunit_suite {
    ($suite:ident, $text:literal, $data:literal, $table:literal,
     $($suite_init:path)?, [$($case:ident => $line:expr),+ $(,)?]) => {
        #[cfg(CONFIG_KUNIT = "y")]
        const _: () = $crate::macros::paste! {{
            $(
                /// # Safety
                ///
                /// Called by KUnit with the test it runs.
                #[link_section = $text]
                unsafe extern "C" fn [<__kunit_run_ $case>](_test: *mut $crate::bindings::kunit) {
                    $crate::kunit::suite::report(
                        $crate::c_str!(::core::file!()),
                        $line,
                        $crate::c_str!(::core::concat!(
                            ::core::stringify!($case),
                            "() == Ok(())"
                        )),
                        $case(),
                    );
                }
            )+

            $(
                /// # Safety
                ///
                /// Called by KUnit with the suite it is about to run.
                #[link_section = $text]
                unsafe extern "C" fn __kunit_suite_init(
                    _suite: *mut $crate::bindings::kunit_suite,
                ) -> $crate::ffi::c_int {
                    match $suite_init() {
                        Ok(()) => 0,
                        Err(err) => err.to_errno(),
                    }
                }
            )?

            #[link_section = $data]
            static mut CASES: [$crate::bindings::kunit_case;
                [$(::core::stringify!($case)),+].len() + 1] = [
                $($crate::kunit::suite::case(
                    $crate::c_str!(::core::stringify!($case)),
                    [<__kunit_run_ $case>],
                ),)+
                $crate::kunit::suite::case_end(),
            ];

            #[link_section = $data]
            static mut SUITE: $crate::bindings::kunit_suite = $crate::bindings::kunit_suite {
                name: $crate::kunit::suite::suite_name(::core::stringify!($suite)),
                test_cases: ::core::ptr::addr_of_mut!(CASES).cast(),
                suite_init: $crate::__kunit_suite_init!($($suite_init)?),
                // SAFETY: The rest is KUnit's state; zero is its initial value.
                ..unsafe { ::core::mem::zeroed() }
            };

            #[link_section = $table]
            #[used(compiler)]
            static ENTRY: $crate::kunit::suite::SuiteEntry =
                $crate::kunit::suite::SuiteEntry(::core::ptr::addr_of_mut!(SUITE));
        }};
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __kunit_suite_init {
    () => {
        None
    };
    ($suite_init:path) => {
        Some(__kunit_suite_init)
    };
}
