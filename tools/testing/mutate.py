#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make mutate: break the feature on purpose, one change at a time, and
show which tests catch each break.

Each mutation edits the prepared tree ($BUILD/src) or reverts one patch of
the series there, rebuilds the main kernel incrementally, runs the boots
that should catch it (tools/testing/run_tests.py with their names) and
restores the tree. Those boots must first all pass on the unmutated kernel. A mutation is caught when at least one of its boots
fails; it survives when all pass. A boot that only timed out, which a slow
TCG run can do on its own, runs once more and counts only if it fails
again. A mutant that does not build, or whose
runner breaks without a result, counts as neither: the table says so, and
the run fails, as it does for a survivor.
The table goes to stdout and to tools/testing/mutations.rst. The main
kernel is rebuilt from the restored tree at the end.
"""

import argparse
import contextlib
import datetime
import fcntl
import os
import re
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD", os.path.join(REPO, "build"))
ARCH = os.environ.get("ARCH", "x86_64")
SRC = os.path.join(BUILD, "src")
TABLE = os.path.join(REPO, "tools", "testing", "mutations.rst")
FEATURE = "init/nonroot_initramfs.rs"

# name, what it breaks, change, boots to run. A change is ("edit", file,
# old, new), where old must occur exactly once, ("revert", subject) for
# the patch of the series with that subject, or ("diff", path) for a diff
# to apply (make bench's instrumented kernel).
MUTATIONS = [
    ("leaf_mode_0755", "the leaf mounted with mode=0755 on a tmpfs rootfs",
     ("edit", FEATURE, "let defaults = (!rootfs_would_be_tmpfs).then_some(LIKE_RAMFS);",
      'let defaults = Some(if rootfs_would_be_tmpfs { c_str!("mode=0755") } else { LIKE_RAMFS });'),
     ["kunit_feature_on", "feature_on"]),
    ("rollback_without_umount", "rollback leaves the leaf mounted",
     ("edit", FEATURE, 'init_syscalls::umount(init, c_str!("/.."), umount_flags::DETACH)',
      "{ let _ = umount_flags::DETACH; Ok::<(), Error>(()) }"),
     ["kunit_feature_on", "fault_chdir", "fault_chroot"]),
    ("chroot_failure_not_left", "leave_leaf(false) after a chroot failure",
     ("edit", FEATURE, "leave_leaf(init, true, rollback);", "leave_leaf(init, false, rollback);"),
     ["kunit_feature_on", "fault_chroot"]),
    ("ramfs_limits_dropped", "size=0,nr_inodes=0 dropped from the ramfs-like options",
     ("edit", FEATURE, 'c_str!("size=0,nr_inodes=0,mode=0755")', 'c_str!("mode=0755")'),
     ["kunit_feature_on", "rootfstype_ramfs"]),
    ("options_to_rootfs_too", "initramfs_options= given to rootfs as well as to the leaf",
     ("edit", "fs/namespace.c", "nonroot_initramfs_requested() ? NULL : initramfs_options",
      "initramfs_options"),
     ["kunit_feature_on", "bad_initramfs_options", "initramfs_options_leaf"]),
    ("options_reported_applied", 'a fallback with initramfs_options= not saying "not applied"',
     ("edit", FEATURE, '": initramfs_options= not applied"', '""'),
     ["bad_initramfs_options"]),
    ("seal_skipped", "rootfs left writable beneath the leaf",
     ("edit", FEATURE, "    if let Err(err) = seal(init, bottom) {",
      # seal() stays referenced: the no-tests kernel make bench builds from
      # this mutant would otherwise warn that it is unused.
      "    if let Err(err) = if bottom.is_empty() { seal(init, bottom) } else { Ok(()) } {"),
     ["feature_on", "runtimes"]),
    ("seal_not_immutable", "rootfs only read-only, its root not immutable",
     ("edit", FEATURE, "    root.set_immutable(true);\n", "    drop(root);\n"),
     ["kunit_feature_on", "feature_on"]),
    ("seal_not_read_only", "rootfs's root immutable, but its mount left read-write",
     ("edit", FEATURE, "    unsafe { root.set_mount_read_only(true) }?;\n",
      "    unsafe { root.set_mount_read_only(false) }?;\n"),
     ["kunit_feature_on", "feature_on"]),
    ("rootfs_stays_tmpfs", "rootfs a tmpfs beneath the leaf, whose flag can be cleared",
     ("edit", "init/do_mounts.c", "\tif (nonroot_initramfs_requested())\n\t\tis_tmpfs = false;\n",
      ""),
     ["feature_on"]),
    ("unseal_skipped", "a chroot failure leaves rootfs sealed",
     ("edit", FEATURE, "        unseal(init);\n", ""),
     ["kunit_feature_on", "fault_chroot"]),
    ("chroot_skipped", "the leaf entered but never made the root",
     ("edit", FEATURE, "init_syscalls::chroot(init, here)",
      "{ let _ = here; Ok::<(), Error>(()) }"),
     ["kunit_feature_on", "feature_on"]),
    ("devtmpfs_patch_reverted", "devtmpfsd's copy of the leaf kept (the devtmpfs patch reverted)",
     ("revert", "devtmpfs: do not pin the initramfs mount with nonroot_initramfs"),
     ["leave_initramfs"]),
    ("fork_patch_reverted", "idle tasks' private fs_struct (the fork patch reverted)",
     ("revert", "fork: share init_fs with the idle tasks of secondary CPUs"),
     ["leave_initramfs", "leave_initramfs_4cpus"]),
    ("parse_bool_maybe", 'parse_bool accepting "maybe"',
     ("edit", "rust/kernel/boot_param.rs",
      "    let mut value = false;\n    // SAFETY: `s` is NUL-terminated",
      '    if s.as_bytes() == b"maybe" {\n        return Ok(true);\n    }\n'
      "    let mut value = false;\n    // SAFETY: `s` is NUL-terminated"),
     ["kunit_feature_on", "bad_value"]),
    ("param_renamed", "the boot parameter registered under another name",
     ("edit", FEATURE, 'boot_param!("nonroot_initramfs", nonroot_initramfs_param);',
      'boot_param!("nonroot_initramfz", nonroot_initramfs_param);'),
     ["kunit_feature_on", "feature_on"]),
    ("never_active", "the leaf in place but never recorded as active",
     ("edit", FEATURE, "ACTIVE.store(true, Ordering::Relaxed);",
      "ACTIVE.store(false, Ordering::Relaxed);"),
     ["kunit_feature_on", "leave_initramfs"]),
    ("active_means_requested", "nonroot_initramfs_active() true after a fallback",
     ("edit", FEATURE, "    ACTIVE.load(Ordering::Relaxed)\n",
      "    ACTIVE.load(Ordering::Relaxed) || ENABLED.load(Ordering::Relaxed)\n"),
     ["kunit_feature_on", "fault_chroot", "fault_mount"]),
    ("options_ignored_by_leaf", "initramfs_options= not given to the leaf",
     ("edit", FEATURE, "        copy_options(defaults, options)\n",
      "        copy_options(defaults, options.and(None))\n"),
     ["kunit_feature_on", "initramfs_options_leaf"]),
    ("chdir_fault_not_injected", "nonroot_initramfs_fail=chdir makes nothing fail",
     ("edit", FEATURE, "    let leaf = if fail_at == Some(Step::Chdir) {",
      "    let leaf = if fail_at == Some(Step::Chdir) && false {"),
     ["fault_chdir"]),
    ("doc_example_registers", "the boot_param! doc example registers its parameter",
     ("edit", "rust/kernel/boot_param.rs",
      '/// # #[cfg(any())]\n/// kernel::boot_param!("example_verbose", parse_verbose);',
      '/// kernel::boot_param!("example_verbose", parse_verbose);'),
     ["kunit_feature_on"]),
    ("kunit_line_of_macro", "a case that returns an error reported at the macro's line",
     ("edit", "rust/macros/kunit.rs", "list.extend(line_of(case.span()));",
      "list.extend(line_of(Span::call_site()));"),
     ["kunit_selftest"]),
]


def run(cmd, **kw):
    return subprocess.run(cmd, text=True, **kw)


def git(*args, **kw):
    return run(["git", "-C", SRC, *args], check=True, capture_output=True, **kw).stdout


def build(log):
    """Builds the main kernel; True if it built without a warning."""
    with open(log, "w") as out:
        return run([os.path.join(REPO, "tools", "build.sh")], stdout=out,
                   stderr=subprocess.STDOUT).returncode == 0


def patch_diff(subject):
    """The diff of the patch of the series with that subject."""
    commits = git("log", "--format=%H %s", "base..overlay").splitlines()
    found = [c.split()[0] for c in commits if c.split(" ", 1)[1] == subject]
    if len(found) != 1:
        sys.exit(f"mutate: no single patch '{subject}' in {SRC}")
    return git("diff", f"{found[0]}^", found[0])


def check_applies(change):
    """Exits unless the change applies to $BUILD/src as it is."""
    if change[0] == "edit":
        _, path, old, _ = change
        with open(os.path.join(SRC, path)) as f:
            count = f.read().count(old)
        if count != 1:
            sys.exit(f"mutate: {path}: the text to change occurs {count} times")
    elif change[0] == "diff":
        run(["git", "-C", SRC, "apply", "--check", change[1]], check=True)
    else:
        run(["git", "-C", SRC, "apply", "-R", "--check"], input=patch_diff(change[1]),
            check=True)


def apply(change):
    """Applies a change to $BUILD/src; returns the files it touched."""
    if change[0] == "edit":
        _, path, old, new = change
        full = os.path.join(SRC, path)
        with open(full) as f:
            text = f.read()
        with open(full, "w") as f:
            f.write(text.replace(old, new))
        return [path]
    if change[0] == "diff":
        run(["git", "-C", SRC, "apply", change[1]], check=True)
        with open(change[1]) as f:
            return re.findall(r"^\+\+\+ b/(\S+)", f.read(), re.M)
    diff = patch_diff(change[1])
    run(["git", "-C", SRC, "apply", "-R"], input=diff, check=True)
    return re.findall(r"^diff --git a/(\S+) ", diff, re.M)


def restore(paths):
    git("checkout", "overlay", "--", *paths)


@contextlib.contextmanager
def changed_tree(change):
    """Applies a change to $BUILD/src for the time of the block, restoring
    it after whatever happens, and holds tools/build.sh's lock meanwhile, so
    that no other build (make test's variants, make check) compiles the
    changed tree; build.sh runs inside the block without taking the lock
    again (NR_BUILD_LOCKED)."""
    with open(os.path.join(BUILD, ".build.lock"), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"mutate: waiting for the kernel build in progress ({lock.name})", flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        paths = apply(change)
        os.environ["NR_BUILD_LOCKED"] = "1"
        try:
            yield paths
        finally:
            del os.environ["NR_BUILD_LOCKED"]
            restore(paths)


def run_boots(boots, log):
    """Runs the boots; returns the names of those that failed, or None if
    the runner itself broke, which catches nothing."""
    with open(log, "w") as out:
        proc = run([os.path.join(REPO, "tools", "testing", "run_tests.py"), *boots],
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out.write(proc.stdout)
    failed = re.findall(r"^not ok \d+ (\S+)$", proc.stdout, re.M)
    if proc.returncode != 0 and not failed:
        return None
    return failed


def only_timed_out(log, boot):
    """Whether the boot failed by timing out alone, no check failed: what a
    slow TCG run can do without any mutation."""
    with open(log) as f:
        text = f.read()
    # A boot's subtests come before its own result line.
    end = re.search(rf"^not ok \d+ {re.escape(boot)}$", text, re.M)
    start = max(text.rfind("\nok ", 0, end.start()), text.rfind("\nnot ok ", 0, end.start()))
    block = text[start + 1:end.start()]
    note = re.search(rf"^# {re.escape(boot)}: (.*)$", block, re.M)
    if note is None or re.search(r"^\s+not ok ", block, re.M):
        return False
    why = {n for n in note.group(1).split("; ") if not n.startswith("log: ")}
    return "timed out" in why and why <= {"timed out", "the guest did not finish"}


def decisive(boots, log, rerun_log):
    """The boots that catch the mutation: a boot that only timed out runs
    once more, and counts if it fails again."""
    slow = [b for b in boots if only_timed_out(log, b)]
    again = run_boots(slow, rerun_log) if slow else []
    return [b for b in boots if b not in slow or (again and b in again)]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*", help="run only these mutations")
    args = p.parse_args()
    chosen = [m for m in MUTATIONS if not args.names or m[0] in args.names]
    if set(args.names) - {m[0] for m in chosen}:
        sys.exit("mutate: unknown mutation: " + " ".join(set(args.names) - {m[0] for m in chosen}))
    if git("status", "--porcelain", "--untracked-files=no").strip():
        sys.exit(f"mutate: {SRC} has uncommitted edits; run 'make prepare' on a clean tree")
    for m in chosen:
        check_applies(m[2])
    logs = os.path.join(BUILD, "logs", "mutate")
    os.makedirs(logs, exist_ok=True)
    start = time.monotonic()
    if not build(os.path.join(logs, "build-unmutated.log")):
        sys.exit("mutate: the unmutated kernel does not build")
    # A boot that fails without a mutation would catch every mutation.
    boots = sorted({boot for m in chosen for boot in m[3]})
    failing = run_boots(boots, os.path.join(logs, "unmutated.log"))
    if failing is None or failing:
        sys.exit(f"mutate: boots fail without a mutation: {failing or 'the runner'}; "
                 f"see {logs}/unmutated.log")
    print(f"# unmutated: {len(boots)} boots pass", flush=True)
    rows = []
    try:
        run_mutations(chosen, logs, rows)
    finally:
        # Whatever happened, leave the kernel built from the restored tree.
        rebuilt = build(os.path.join(logs, "build-restored.log"))
    total = time.monotonic() - start
    write_table(rows, total, args.names)
    bad = [r for r in rows if not r[3].startswith("caught")]
    print(f"{len(rows) - len(bad)} of {len(rows)} mutations caught in {total / 60:.1f} min")
    if not rebuilt:
        sys.exit("mutate: the restored kernel does not build")
    sys.exit(1 if bad else 0)


def run_mutations(chosen, logs, rows):
    for name, what, change, boots in chosen:
        t0 = time.monotonic()
        with changed_tree(change):
            built = build(os.path.join(logs, f"build-{name}.log"))
            caught = run_boots(boots, os.path.join(logs, f"{name}.log")) if built else None
            if caught:
                caught = decisive(caught, os.path.join(logs, f"{name}.log"),
                                  os.path.join(logs, f"{name}-rerun.log"))
        took = time.monotonic() - t0
        if not built:
            verdict = "did not build"
        elif caught is None:
            verdict = f"the runner failed (see {name}.log)"
        elif caught:
            verdict = "caught by " + ", ".join(caught)
        else:
            verdict = "survived"
        rows.append((name, what, boots, verdict, took))
        print(f"# {name}: {verdict} ({took:.0f} s)", flush=True)


GENERATED_REPORTS = ["tools/bench/results.rst", "tools/bench/results.svg",
                     "tools/bench/seal.rst", "tools/bench/profile.rst",
                     os.path.relpath(TABLE, REPO)]


def repo_commit():
    """The repository's commit, for a generated report."""
    commit = run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                 capture_output=True).stdout.strip()
    # The reports themselves do not count: a run rewrites them.
    dirty = run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no", "--", ".",
                 *(f":!{report}" for report in GENERATED_REPORTS)],
                capture_output=True).stdout.strip()
    return f"``{commit}``{' with uncommitted changes' if dirty else ''}"


def write_table(rows, total, subset):
    """The table of a run of every mutation goes to TABLE, committed; that of
    a subset next to the logs, so that it does not replace it."""
    path = os.path.join(BUILD, "logs", "mutate", "mutations.rst") if subset else TABLE
    lines = [
        ".. SPDX-License-Identifier: GPL-2.0",
        "",
        "Mutation run",
        "============",
        "",
        "Generated by ``make mutate`` (``tools/testing/mutate.py``); do not edit.",
        "",
        f"- commit: {repo_commit()}; {ARCH}, the main test kernel",
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- took: {total / 60:.1f} minutes for {len(rows)} mutations"
        + (" (a subset)" if subset else ""),
        f"- caught: {sum(r[3].startswith('caught') for r in rows)} of {len(rows)}",
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "",
        "   * - mutation",
        "     - what it breaks",
        "     - boots run",
        "     - result",
    ]
    for name, what, boots, verdict, _ in rows:
        lines += [f"   * - ``{name}``", f"     - {what}", f"     - {', '.join(boots)}",
                  f"     - {verdict}"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"mutate: table: {path}")


if __name__ == "__main__":
    main()
