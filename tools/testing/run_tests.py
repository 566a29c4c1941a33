#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run every test on the built kernel and print one KTAP report.

1. KUnit: boot with kunit.enable=1, with and without nonroot_initramfs;
   the kernel's Rust doctests and our suites run before /init. The log
   goes through kunit.py parse.
2. Boot tests: boot the same kernel with kunit.enable=0 and the test
   initramfs, whose /init runs the checks the command line names and prints
   KTAP (tools/testing/guest/init).

Each boot is a subtest. A boot that panics, hangs or prints no result
fails. The last line is "N passed, N failed", counting test cases.

With --build-variants, the kernel variants are built here, one at a time,
while the boots of the kernels already built run: a build leaves a core
idle while it links or runs one rustc, and the boots fill it.
"""

import argparse
import glob
import gzip
import hashlib
import json
import os
import platform
import queue
import re
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tools"))
import qemu_run  # noqa: E402

BUILD = os.environ.get("BUILD", os.path.join(REPO, "build"))
ARCH = os.environ.get("ARCH", "x86_64")
IMAGES = os.path.join(BUILD, "images", ARCH)
LOGS = os.path.join(BUILD, "logs", "tests", ARCH)
# The guest's programs: the host's own, or Debian's for ARCH unpacked by
# tools/sysroot.sh when the host runs another architecture (tools/arch.sh).
HOST_ARCH = {"aarch64": "arm64"}.get(platform.machine(), platform.machine())
SYSROOT = "" if ARCH == HOST_ARCH else os.path.join(BUILD, f"sysroot-{ARCH}")
CC = {"x86_64": "x86_64-linux-gnu-gcc", "arm64": "aarch64-linux-gnu-gcc"}[ARCH]

# KUnit boots: name, kernel command line. The suites that check the state
# boot left run once with the feature and once without.
KUNIT_BOOTS = [
    ("kunit_feature_on", "nonroot_initramfs"),
    ("kunit_feature_off", ""),
    # The harness's self-test: its deliberately failing cases must be
    # reported as failures (elsewhere they are skipped).
    ("kunit_selftest",
     f"nonroot_initramfs_kunit_selftest kunit.filter_glob=nonroot_initramfs_selftest"),
    ("kunit_no_shmem", "nonroot_initramfs", "no-shmem"),
]

# The one file of the second archive builtin_and_external boots with.
EXTERNAL_FILE = "/etc/external-marker"


# Malformed or hostile values: each boot warns once and loses nothing.
BAD_BOOL_VALUES = [
    "maybe", "2", "-1", "+1", "", "=", "o", "oops", "x", "%s%s%s%n",
    "maybe not", "\\x01", "\u00e9t\u00e9", "'1'", "a" * 1000, "unset", ",1", " ",
    "?", "~0",
]
# tmpfs rejects each of these, so the leaf cannot be mounted.
BAD_OPTIONS = [
    "huge=bogus", "size=abc", "size=-1", "mode=999", "nr_inodes=lots",
    "unknown_option=1", "uid=notanumber", "size=1k,huge=never,bogus",
    "%n%n%n%n", "mpol=nonsense", "gid=-5", "huge=",
]
BAD_VALUES = [
    (f"bad_bool_{i}", f'nonroot_initramfs="{value}"' if " " in value else
     f"nonroot_initramfs={value}", "nrexpect=rootfs nrwarn=invalid")
    for i, value in enumerate(BAD_BOOL_VALUES)
] + [
    (f"bad_options_{i}", f"nonroot_initramfs initramfs_options={value}",
     "nrexpect=rootfs nrwarn=mount,EINVAL,not_applied nrmode=755")
    for i, value in enumerate(BAD_OPTIONS)
]

# name, kernel command line, expectations for the guest (documented in
# tools/testing/guest/init), kernel variant (tools/configs/variant-<name>.config)
# and media: "disk" attaches the test image as an ext2 virtio disk (and
# "disk-only" boots without an initramfs), "initrd" boots that disk image as
# an old-style initrd, "big" adds a 200 MiB file, "runtimes" is the image with
# the container runtimes, "no-initrd" boots the built-in initramfs alone.
BOOT_CASES = [
    ("feature_on", "nonroot_initramfs", "nrexpect=leaf nrleaf=tmpfs"),
    ("feature_on_bool", "nonroot_initramfs=on", "nrexpect=leaf nrleaf=tmpfs"),
    ("feature_off", "", "nrexpect=rootfs"),
    ("feature_off_bool", "nonroot_initramfs=0", "nrexpect=rootfs"),
    ("feature_on_sync_unpack", "nonroot_initramfs initramfs_async=0", "nrexpect=leaf nrleaf=tmpfs"),
    ("feature_off_sync_unpack", "initramfs_async=0", "nrexpect=rootfs"),
    ("bad_value", "nonroot_initramfs=maybe", "nrexpect=rootfs nrwarn=invalid"),
    # A fallback leaves the initramfs in rootfs, a ramfs whenever the
    # feature is requested (mode 0755), and writable.
    ("fault_mount", "nonroot_initramfs nonroot_initramfs_fail=mount",
     "nrexpect=rootfs nrwarn=mount,ENODEV nrmode=755"),
    ("fault_seal", "nonroot_initramfs nonroot_initramfs_fail=seal",
     "nrexpect=rootfs nrwarn=seal,ENOENT nrmode=755"),
    ("fault_chroot", "nonroot_initramfs nonroot_initramfs_fail=chroot",
     "nrexpect=rootfs nrwarn=chroot,ENOENT nrmode=755"),
    ("bad_initramfs_options", "nonroot_initramfs initramfs_options=huge=bogus",
     "nrexpect=rootfs nrwarn=mount,EINVAL,not_applied nrmode=755"),
    ("initramfs_options_leaf", "nonroot_initramfs initramfs_options=size=64m",
     "nrexpect=leaf nrleaf=tmpfs nrsize=65536k"),
    ("initramfs_options_rootfs", "initramfs_options=size=64m",
     "nrexpect=rootfs nrsize=65536k"),
    ("fault_chroot_with_options",
     "nonroot_initramfs nonroot_initramfs_fail=chroot initramfs_options=size=64m",
     "nrexpect=rootfs nrwarn=chroot,ENOENT,not_applied nrmode=755"),
    ("default_on", "", "nrexpect=leaf nrleaf=tmpfs", "default-on"),
    ("default_on_turned_off", "nonroot_initramfs=0", "nrexpect=rootfs", "default-on"),
    # CONFIG_SHMEM=n: "tmpfs" is ramfs-backed, rootfs a ramfs.
    ("no_shmem", "nonroot_initramfs", "nrexpect=leaf nrleaf=tmpfs nrmode=755", "no-shmem"),
    ("no_shmem_off", "", "nrexpect=rootfs nrmode=755", "no-shmem"),
    # Kernels without the feature or without Rust boot as before; the
    # parameter is a word they do not know and pass on to /init.
    ("feature_compiled_out", "nonroot_initramfs",
     "nrexpect=rootfs nrargv=nonroot_initramfs", "feature-off"),
    ("rust_off", "nonroot_initramfs", "nrexpect=rootfs nrargv=nonroot_initramfs", "rust-off"),
    ("rust_off_initramfs_options", "initramfs_options=size=64m",
     "nrexpect=rootfs nrsize=65536k", "rust-off"),
    # The test initramfs linked into the kernel (CONFIG_INITRAMFS_SOURCE):
    # alone, and with the external one too.
    ("builtin_initramfs", "nonroot_initramfs", "nrexpect=leaf nrleaf=tmpfs",
     "builtin", "no-initrd"),
    ("builtin_initramfs_off", "", "nrexpect=rootfs", "builtin", "no-initrd"),
    # The external archive is another one, with a file of its own.
    ("builtin_and_external", "nonroot_initramfs",
     f"nrexpect=leaf nrleaf=tmpfs nrfile={EXTERNAL_FILE}", "builtin", "external"),
    ("builtin_and_external_off", "", f"nrexpect=rootfs nrfile={EXTERNAL_FILE}",
     "builtin", "external"),
    ("feature_on_async_unpack", "nonroot_initramfs initramfs_async=1",
     "nrexpect=leaf nrleaf=tmpfs"),
    ("feature_off_async_unpack", "initramfs_async=1", "nrexpect=rootfs"),
    ("rdinit_other_program", "nonroot_initramfs rdinit=/sbin/nrinit",
     "nrexpect=leaf nrleaf=tmpfs"),
    ("rdinit_other_program_off", "rdinit=/sbin/nrinit", "nrexpect=rootfs"),
    ("rootfstype_tmpfs", "nonroot_initramfs rootfstype=tmpfs", "nrexpect=leaf nrleaf=tmpfs"),
    ("rootfstype_tmpfs_off", "rootfstype=tmpfs", "nrexpect=rootfs"),
    # rootfstype=ramfs makes rootfs a ramfs: the leaf gets a ramfs's mode
    # and its lack of limits.
    ("rootfstype_ramfs", "nonroot_initramfs rootfstype=ramfs",
     "nrexpect=leaf nrleaf=tmpfs nrmode=755 nrlimits=none"),
    ("rootfstype_ramfs_off", "rootfstype=ramfs", "nrexpect=rootfs nrmode=755"),
    ("fault_options", "nonroot_initramfs nonroot_initramfs_fail=options",
     "nrexpect=rootfs nrwarn=options,E2BIG nrmode=755"),
    ("fault_chdir", "nonroot_initramfs nonroot_initramfs_fail=chdir",
     "nrexpect=rootfs nrwarn=chdir,ENOENT nrmode=755"),
    # PID 1 leaves the initramfs (pivot_root, detach) and gets its memory back.
    # With any number of CPUs: secondary CPUs' idle tasks must not pin it.
    ("leave_initramfs", "nonroot_initramfs", "nrtest=memory nrexpect=leaf"),
    ("leave_initramfs_1cpu", "nonroot_initramfs", "nrtest=memory nrexpect=leaf nrsmp=1"),
    ("leave_initramfs_4cpus", "nonroot_initramfs", "nrtest=memory nrexpect=leaf nrsmp=4"),
    ("leave_initramfs_off", "", "nrtest=memory nrexpect=rootfs"),
    # An initramfs bigger than the default tmpfs limit needs initramfs_options=.
    ("big_initramfs_capped", "nonroot_initramfs",
     "nrexpect=leaf nrleaf=tmpfs nrbig=truncated", "", "big"),
    ("big_initramfs_sized", "nonroot_initramfs initramfs_options=size=90%",
     "nrexpect=leaf nrleaf=tmpfs nrbig=full", "", "big"),
    ("big_initramfs_capped_off", "", "nrexpect=rootfs nrbig=truncated", "", "big"),
    ("big_initramfs_sized_off", "initramfs_options=size=90%",
     "nrexpect=rootfs nrbig=full", "", "big"),
    # Real clients (tools/testing/guest/runtimes.spec): busybox, util-linux,
    # bubblewrap (root and unprivileged) and crun, plus the escape test; on
    # rootfs, pivot_root fails with EINVAL and the escape controls find the
    # initramfs's files. util-linux switch_root must work either way.
    ("runtimes", "nonroot_initramfs", "nrtest=runtimes nrexpect=leaf", "", "runtimes"),
    ("runtimes_off", "", "nrtest=runtimes nrexpect=rootfs", "", "runtimes"),
    ("switch_root", "nonroot_initramfs", "nrtest=switch_root nrexpect=leaf", "", "runtimes"),
    ("switch_root_off", "", "nrtest=switch_root nrexpect=rootfs", "", "runtimes"),
    *BAD_VALUES,
    # Stock 6.12 panics on a bad initramfs_options=; without the feature,
    # this kernel still does, as upstream.
    ("bad_initramfs_options_off", "initramfs_options=huge=bogus", "nrexpect=panic"),
    # No /init in the initramfs: root= is mounted over the leaf (a tmpfs
    # with a ramfs's limits, as rootfs is a ramfs with root=) or over
    # rootfs, and the disk's init runs.
    ("no_init_root_disk", "nonroot_initramfs rdinit=/none root=/dev/vda rw",
     "nrexpect=disk nrleaf=tmpfs nrmode=755", "", "disk"),
    ("no_init_root_disk_off", "rdinit=/none root=/dev/vda rw",
     "nrexpect=disk nrmode=755", "", "disk"),
    # Only the built-in initramfs (usr/default_cpio_list, no /init): root=
    # is mounted over the leaf holding it.
    ("builtin_only_root_disk", "nonroot_initramfs root=/dev/vda rw",
     "nrexpect=disk nrleaf=tmpfs nrmode=755", "", "disk-only"),
    ("builtin_only_root_disk_off", "root=/dev/vda rw", "nrexpect=disk nrmode=755", "",
     "disk-only"),
    # The harness itself: a failed assertion must end its check as failed.
    ("harness_selftest", "", "nrtest=selftest nrexpect=rootfs"),
    # An old-style initrd (an ext2 image, not a cpio): /initrd.image lands in
    # the leaf, is loaded into /dev/ram0 and mounted as root.
    ("old_initrd", "nonroot_initramfs root=/dev/ram0 rw ramdisk_size=16384",
     "nrexpect=disk nrleaf=tmpfs nrmode=755", "", "initrd"),
    ("old_initrd_off", "root=/dev/ram0 rw ramdisk_size=16384",
     "nrexpect=disk nrmode=755", "", "initrd"),
]

# The debug kernel (variant-debug.config: lockdep, KASAN, kmemleak, list
# and object debugging) boots these cases again, each with a control, and
# with panic_on_warn=1: any report fails the boot.
DEBUG_CASES = ["feature_on", "feature_off", "feature_on_sync_unpack", "feature_off_sync_unpack",
               "feature_on_async_unpack", "feature_off_async_unpack", "fault_options",
               "fault_mount", "fault_chdir", "fault_seal", "fault_chroot", "fault_chroot_with_options",
               "leave_initramfs", "leave_initramfs_4cpus", "leave_initramfs_off", "runtimes",
               "runtimes_off"]
DEBUG_APPEND = "panic_on_warn=1"
BOOT_CASES += [
    (f"{name}_debug", f"{cmdline} {DEBUG_APPEND}", f"{expect} nrkmemleak=1", "debug",
     *rest[1:])
    for name, cmdline, expect, *rest in BOOT_CASES if name in DEBUG_CASES
]
KUNIT_BOOTS += [
    ("kunit_feature_on_debug", f"nonroot_initramfs {DEBUG_APPEND}", "debug"),
    ("kunit_feature_off_debug", DEBUG_APPEND, "debug"),
]
# KASAN's shadow takes an eighth of the RAM, lockdep and kmemleak more.
DEBUG_MEM = "768M"

# Every boot has more than one CPU, but its vCPUs take turns on one host
# thread (qemu_run.ACCEL), so that boots side by side do not spin on each
# other. These run each vCPU on a host thread of its own, so that the
# feature's boot path, leaving the initramfs with per-CPU idle tasks, the
# container runtimes and the debug checkers also see CPUs that run at once.
MTTCG_CASES = {"feature_on", "leave_initramfs_4cpus", "runtimes", "feature_on_debug"}
assert MTTCG_CASES <= {case[0] for case in BOOT_CASES}, "MTTCG_CASES names an unknown boot"

# arm64 runs the cases of the one kernel: each kernel variant would be one
# more cross build, and CI has no time for them (Makefile TEST_VARIANTS).
if ARCH == "arm64":
    KUNIT_BOOTS = [case for case in KUNIT_BOOTS if len(case) < 3]
    BOOT_CASES = [case for case in BOOT_CASES if len(case) < 4 or not case[3]]


# The harness self-test's checks and the outcome each must have.
SELFTEST_OUTCOMES = {"selftest_passes": "ok", "selftest_fails": "not ok",
                     "selftest_fail_then_true": "not ok",
                     "selftest_fail_in_or_list": "not ok"}

def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


# The payload that must survive the unpack intact: every kind of entry a
# cpio can hold. (path, kind, mode, uid, gid, detail): the size of a file's
# seeded random content, a link's target, a node's "b|c maj min", or the
# other name of a hard link.
PAYLOAD = [
    ("/payload", "dir", 0o755, 0, 0, None),
    ("/payload/empty", "file", 0o644, 0, 0, 0),
    ("/payload/small.txt", "file", 0o644, 0, 0, 13),
    ("/payload/odd-size.bin", "file", 0o600, 1000, 1000, 4097),
    ("/payload/large.bin", "file", 0o444, 0, 0, 2 << 20),
    ("/payload/setuid", "file", 0o4755, 0, 0, 100),
    ("/payload/dir", "dir", 0o751, 0, 0, None),
    ("/payload/dir/nested", "dir", 0o750, 5, 6, None),
    ("/payload/dir/nested/deeper", "dir", 0o755, 0, 0, None),
    ("/payload/dir/nested/deeper/file", "file", 0o640, 123, 456, 777),
    ("/payload/sticky", "dir", 0o1777, 0, 0, None),
    ("/payload/private", "dir", 0o700, 42, 43, None),
    ("/payload/link", "slink", 0o777, 0, 0, "small.txt"),
    ("/payload/dangling", "slink", 0o777, 7, 8, "/nonexistent"),
    ("/payload/hard1", "file", 0o644, 0, 0, 300),
    ("/payload/hard2", "hardlink", 0o644, 0, 0, "/payload/hard1"),
    ("/payload/chardev", "nod", 0o600, 0, 0, "c 1 3"),
    ("/payload/blockdev", "nod", 0o660, 0, 6, "b 7 0"),
    ("/payload/fifo", "pipe", 0o644, 0, 0, None),
    ("/payload/socket", "sock", 0o755, 0, 0, None),
]
PAYLOAD_MTIME = 1700000000
STAT_TYPE = {"dir": "directory", "slink": "symbolic link", "pipe": "fifo",
             "sock": "socket"}


def build_payload():
    """The payload's spec lines and its manifest (/etc/payload.manifest).

    Manifest lines: path|stat %F|mode|uid|gid|mtime|detail, where detail is
    a sha256, a link target, "maj:min" in hex or "inode of <path>".
    """
    data_dir = os.path.join(IMAGES, "payload")
    os.makedirs(data_dir, exist_ok=True)
    spec, manifest, files = [], [], {}
    for path, kind, mode, uid, gid, detail in PAYLOAD:
        own = f"{mode:o} {uid} {gid}"
        ftype = STAT_TYPE.get(kind)
        if kind == "file":
            content = hashlib.shake_256(path.encode()).digest(detail) if detail else b""
            host = os.path.join(data_dir, path.strip("/").replace("/", "_"))
            with open(host, "wb") as f:
                f.write(content)
            links = [p for p, k, *_, d in PAYLOAD if k == "hardlink" and d == path]
            spec.append(f"file {path} {os.path.relpath(host, IMAGES)} {own} {' '.join(links)}")
            files[path] = hashlib.sha256(content).hexdigest()
            ftype = "regular file" if content else "regular empty file"
            detail = files[path]
        elif kind == "hardlink":
            ftype, detail = "regular file", f"inode of {detail}"
        elif kind == "dir":
            spec.append(f"dir {path} {own}")
        elif kind == "slink":
            spec.append(f"slink {path} {detail} {own}")
        elif kind == "nod":
            dev, major, minor = detail.split()
            spec.append(f"nod {path} {own} {dev} {major} {minor}")
            ftype = {"c": "character special file", "b": "block special file"}[dev]
            detail = f"{int(major):x}:{int(minor):x}"
        else:
            spec.append(f"{kind} {path} {own}")
        manifest.append(f"{path}|{ftype}|{mode:o}|{uid}|{gid}|{PAYLOAD_MTIME}|{detail or ''}")
    spec_path = os.path.join(IMAGES, "payload.spec")
    with open(spec_path, "w") as f:
        f.write("\n".join(spec) + "\n")
    manifest_path = os.path.join(IMAGES, "payload.manifest")
    with open(manifest_path, "w") as f:
        f.write("\n".join(manifest) + "\n")
    return spec_path, manifest_path


def build_test_initramfs():
    """The test image: busybox, nrcheck, /init, the payload and manifests."""
    os.makedirs(IMAGES, exist_ok=True)
    guest = os.path.join(HERE, "guest")
    nrcheck = os.path.join(IMAGES, "nrcheck")
    src = os.path.join(guest, "nrcheck.c")
    if not os.path.exists(nrcheck) or os.path.getmtime(nrcheck) < os.path.getmtime(src):
        sh([CC, "-static", "-O2", "-Wall", "-Werror", "-o", nrcheck, src])
    files = {"/bin/busybox": os.path.join(SYSROOT or "/", "usr/bin/busybox"),
             "/bin/nrcheck": nrcheck,
             "/init": os.path.join(guest, "init")}
    manifest = os.path.join(IMAGES, "manifest.sha256")
    with open(manifest, "w") as f:
        for guest_path, host_path in files.items():
            with open(host_path, "rb") as data:
                f.write(f"{hashlib.sha256(data.read()).hexdigest()}  {guest_path}\n")
    payload_spec, payload_manifest = build_payload()
    env = dict(os.environ, NRCHECK=nrcheck, MANIFEST=manifest,
               PAYLOAD_MANIFEST=payload_manifest, SYSROOT=SYSROOT)
    cpio = os.path.join(IMAGES, "test.cpio")
    sh([sys.executable, os.path.join(REPO, "tools", "mkinitramfs.py"),
        "-t", str(PAYLOAD_MTIME), "-o", cpio, os.path.join(guest, "initramfs.spec"),
        payload_spec], env=env)
    # The "builtin" kernel variant links this archive in (CONFIG_INITRAMFS_SOURCE
    # names it relative to its build directory); rewrite it only when it changed.
    builtin = os.path.join(BUILD, f"obj-{ARCH}-builtin", "builtin-initramfs.cpio")
    os.makedirs(os.path.dirname(builtin), exist_ok=True)
    with open(cpio, "rb") as f:
        data = f.read()
    if not os.path.exists(builtin) or open(builtin, "rb").read() != data:
        with open(builtin, "wb") as f:
            f.write(data)
    image = cpio + ".gz"
    with open(image, "wb") as f:
        f.write(gzip.compress(data, mtime=0))
    # The same plus the container runtimes and their libraries.
    runtimes = os.path.join(IMAGES, "runtimes.cpio.gz")
    sh([sys.executable, os.path.join(REPO, "tools", "mkinitramfs.py"), "-z",
        "-t", str(PAYLOAD_MTIME), "-o", runtimes, os.path.join(guest, "initramfs.spec"),
        payload_spec, os.path.join(guest, "runtimes.spec")], env=env)
    # A second archive for builtin_and_external, with one file of its own.
    external = os.path.join(IMAGES, "external.cpio.gz")
    spec = os.path.join(IMAGES, "external.spec")
    with open(os.path.join(IMAGES, "external-marker"), "w") as f:
        f.write(f"{EXTERNAL_FILE} from the external archive\n")
    with open(spec, "w") as f:
        f.write(f"file {EXTERNAL_FILE} external-marker 0644 0 0\n")
    sh([sys.executable, os.path.join(REPO, "tools", "mkinitramfs.py"), "-z",
        "-o", external, spec])
    return image, runtimes, external


class Result:
    def __init__(self, name, ktap, passed, failed, note=""):
        self.name, self.ktap = name, ktap
        self.passed, self.failed, self.note = passed, failed, note
        self.seconds = None


def ktap_block(log, start):
    """The lines of the first KTAP document in `log` from marker `start`."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if start in line:
            out = []
            for line in lines[i:]:
                line = re.sub(r"^\[\s*\d+\.\d+\] ", "", line)
                if line.startswith("nrtest: done") or "reboot:" in line:
                    break
                out.append(line)
            return out
    return None


TEST_SOURCE = os.path.join(REPO, "init", "nonroot_initramfs_test.rs")


def expected_suites():
    """Our KUnit suites and their cases, as #[kunit_tests] declares them."""
    with open(TEST_SOURCE) as f:
        src = f.read()
    suites = {}
    starts = [m for m in re.finditer(r"#\[kunit_tests\((\w+)", src)]
    for m, end in zip(starts, [n.start() for n in starts[1:]] + [len(src)]):
        suites[m.group(1)] = re.findall(r"#\[test\]\s*fn\s+(\w+)", src[m.end():end])
    if not suites or not all(suites.values()):
        sys.exit(f"run_tests: no #[kunit_tests] suite with cases in {TEST_SOURCE}")
    return suites


def failure_lines(suite):
    """Where each case of `suite` must report its failure: the line of its
    first expectation, or of its `fn` if it fails by returning an error."""
    with open(TEST_SOURCE) as f:
        lines = f.read().split("\n")
    start = next(i for i, line in enumerate(lines) if f"#[kunit_tests({suite}" in line)
    fn_line, expect_line, case = {}, {}, None
    for number, line in enumerate(lines[start + 1:], start + 2):
        if "#[kunit_tests(" in line:
            break
        m = re.match(r"\s*(?:pub(?:\([^)]*\))?\s+)?fn (\w+)\(", line)
        if m:
            case = m.group(1)
            fn_line[case] = number
        elif case and re.search(r"\bkunit_expect(_eq)?!", line):
            expect_line.setdefault(case, number)
    return {case: expect_line.get(case, fn_line[case]) for case in expected_suites()[suite]}


SELFTEST_SUITE = "nonroot_initramfs_selftest"


def doc_example_params():
    """The parameters the doc examples of our abstractions declare, which
    must not exist in a kernel: doctests are built in. (The example of
    #[kunit_tests] is in the macros crate, whose examples are not built
    into the kernel.)"""
    params = set()
    for path in glob.glob(os.path.join(REPO, "rust", "kernel", "**", "*.rs"), recursive=True):
        with open(path) as f:
            docs = "\n".join(l for l in f.read().splitlines() if l.lstrip().startswith("///"))
        params.update(re.findall(r'boot_param!\(\s*"(\w+)"', docs))
    if not params:
        sys.exit("run_tests: found no doc example of boot_param!")
    return sorted(params)


def check_suites(data, selftest=False):
    """How many cases of a KUnit run had the status they must have, and
    what is wrong with the run: each of our suites must have run with
    exactly its cases, all passed but the harness self-test's, which are
    skipped, or, when `selftest` is set, failed and the only ones run; the
    kernel's Rust doctests must have run too."""
    groups = {g["name"]: g for g in walk_groups(data.get("sub_groups", []))}
    problems, good = [], 0
    for suite, cases in expected_suites().items():
        if selftest and suite != SELFTEST_SUITE:
            if suite in groups:
                problems.append(f"suite {suite} ran in the self-test boot")
            continue
        group = groups.get(suite)
        if group is None:
            problems.append(f"suite {suite} did not run")
            continue
        ran = [c["name"] for c in group.get("test_cases", [])]
        if ran != cases:
            problems.append(f"suite {suite} ran {ran}, not {cases}")
        want = "PASS" if suite != SELFTEST_SUITE else "FAIL" if selftest else "SKIP"
        for case in group.get("test_cases", []):
            if case["status"] == want:
                good += 1
            else:
                problems.append(f"{suite}.{case['name']}: {case['status']}, not {want}")
    doctests = groups.get("rust_doctests_kernel")
    if not selftest and (doctests is None or not doctests.get("test_cases")):
        problems.append("the kernel's Rust doctests did not run")
    return good, problems


def walk_groups(groups):
    for g in groups:
        yield g
        yield from walk_groups(g.get("sub_groups", []))


def run_kunit(image, name, cmdline, variant=""):
    kernel = qemu_run.kernel_image(BUILD, ARCH, variant)
    log = os.path.join(LOGS, f"{name}.log")
    # A parameter nothing registers is reported as unknown and handed to
    # init: so are the doc examples', if no kernel image registers them.
    example_params = doc_example_params()
    cmdline = " ".join([cmdline] + example_params)
    boot = qemu_run.boot(kernel, image, f"kunit.enable=1 nrtest=none {cmdline}", log,
                         arch=ARCH, timeout=600 * TIMEOUT_SCALE,
                         mem=DEBUG_MEM if variant == "debug" else "256M")
    kunit_py = os.path.join(BUILD, "src", "tools", "testing", "kunit", "kunit.py")
    js = os.path.join(LOGS, f"{name}.json")
    parse = subprocess.run([sys.executable, kunit_py, "parse", f"--json={js}", log],
                           capture_output=True, text=True)
    passed = failed = 0
    ours = set(expected_suites())
    data = {}
    if os.path.exists(js):
        with open(js) as f:
            data = json.load(f)
        # Our suites' cases are counted by check_suites, the others here.
        for group in walk_groups(data.get("sub_groups", [])):
            if group["name"] in ours:
                continue
            for case in group.get("test_cases", []):
                if case["status"] == "PASS":
                    passed += 1
                elif case["status"] != "SKIP":
                    failed += 1
    raw = subprocess.run([sys.executable, kunit_py, "parse", "--raw_output=kunit", log],
                         capture_output=True, text=True).stdout.splitlines()
    notes = []
    if boot.timed_out:
        notes.append("timed out")
    selftest = "nonroot_initramfs_kunit_selftest" in cmdline
    # The self-test boot's failures are what kunit.py parse reports.
    if not os.path.exists(js) or (parse.returncode != 0 and not selftest):
        notes.append("kunit.py parse failed: see " + log)
    else:
        good, problems = check_suites(data, selftest)
        passed += good
        notes += problems
    if selftest:
        # Each failure points at the test, not at the macro that declared it.
        for case, line in failure_lines(SELFTEST_SUITE).items():
            # (The log may hold the kernel's messages twice.)
            at = sorted(set(re.findall(rf"# {case}: EXPECTATION FAILED at (?:\S*/)?init/"
                                       rf"nonroot_initramfs_test\.rs:(\d+)", boot.log)))
            if at != [str(line)]:
                notes.append(f"{case} failed at line {' '.join(at) or 'none'}, not {line}")
            else:
                passed += 1
    unknown = re.search(r'Unknown kernel command line parameters "([^"]*)"', boot.log)
    for param in example_params:
        if not unknown or param not in unknown.group(1).split():
            notes.append(f"the doc example parameter {param} is registered")
    reports = qemu_run.kernel_reports(boot.log)
    if reports:
        notes.append("kernel reports in the log")
        raw += [f"# {line}" for line in reports]
    failed += len(notes)
    return Result(name, raw, passed, failed, "; ".join(notes))


def build_test_disk(image):
    """An ext2 disk image with the files of the test initramfs."""
    disk = os.path.join(IMAGES, "test-disk.img")
    root = os.path.join(IMAGES, "test-disk")
    sh(["rm", "-rf", root, disk])
    os.makedirs(root)
    with open(image, "rb") as f:
        cpio = subprocess.run(["gzip", "-dc"], stdin=f, capture_output=True, check=True).stdout
    sh(["cpio", "-idm", "--quiet"], input=cpio, cwd=root)
    os.makedirs(os.path.join(root, "sbin"), exist_ok=True)
    os.symlink("../init", os.path.join(root, "sbin", "init"))
    os.chmod(root, 0o755)
    sh(["mke2fs", "-q", "-F", "-t", "ext2", "-d", root, disk, "16M"])
    return disk


# Bigger than half of the 320 MiB guest, tmpfs's default limit.
BIG_SIZE = 200 << 20


def big_image(image):
    """The test image followed by an archive of one big file, /big.bin."""
    big = os.path.join(IMAGES, "big.cpio.gz")
    if not os.path.exists(big):
        zeros = os.path.join(IMAGES, "big.bin")
        with open(zeros, "wb") as f:
            f.truncate(BIG_SIZE)
        spec = os.path.join(IMAGES, "big.spec")
        with open(spec, "w") as f:
            f.write("file /big.bin big.bin 0644 0 0\n")
        sh([sys.executable, os.path.join(REPO, "tools", "mkinitramfs.py"), "-z",
            "-o", big, spec])
        os.remove(zeros)
    both = os.path.join(IMAGES, "test-big.cpio.gz")
    with open(both, "wb") as out:
        for part in (image, big):
            with open(part, "rb") as f:
                out.write(f.read())
    return both


def required_checks(expect):
    """The checks the guest must report for a case's expectations: its
    dispatch in tools/testing/guest/init, restated so that a check the
    guest skips by mistake fails the boot."""
    opt = dict(w.split("=", 1) for w in expect.split() if "=" in w)
    test, where = opt.get("nrtest", "basic"), opt.get("nrexpect")
    debug = ["kmemleak"] if "nrkmemleak" in opt else []
    if test == "basic":
        checks = ["cpus", "root_fs", "kernel_log"]
        checks += [check for key, check in (("nrbig", "big_file"), ("nrsize", "root_size"),
                                            ("nrargv", "unknown_param"),
                                            ("nrlimits", "root_limits"),
                                            ("nrfile", "extra_file")) if key in opt]
        checks += ["initramfs_intact"] + ([] if where == "disk" else ["payload_intact"])
        checks += ["root_dir_mode_owner"] + ([] if where == "disk" else ["dev_console"])
        checks += ["devtmpfs", "pivot_root", "pivot_root_dot_dot"]
        checks += (["bottom_empty", "bottom_sealed", "bottom_sealed_userns"] if "nrleaf" in opt
                   else ["bottom_writable", "bottom_writable_userns"])
        return checks + ["shared_root"] + debug
    if test == "runtimes":
        checks = ["cpus", "busybox_pivot_root", "util_linux_pivot_root", "bwrap_root",
                  "bwrap_sandbox", "bwrap_unprivileged", "crun_run", "crun_no_pivot"]
        if where == "leaf":
            checks += ["crun_escape_finds_nothing", "crun_isolated_from_initramfs",
                       "crun_no_pivot_reaches_initramfs", "crun_bottom_sealed"]
        else:
            checks += ["crun_escape_control_no_pivot", "crun_escape_control_rbind",
                       "crun_bottom_writable_no_pivot"]
        return checks + debug
    if test == "memory":
        return ["leave_initramfs"] + debug
    if test == "switch_root":
        return ["new_root", "initramfs_freed"]
    if test == "selftest":
        return list(SELFTEST_OUTCOMES)
    return None


def run_boot(images, name, cmdline, expect, variant="", media=""):
    kernel = qemu_run.kernel_image(BUILD, ARCH, variant)
    log = os.path.join(LOGS, f"{name}.log")
    suite = "" if "nrtest=" in expect else "nrtest=basic"
    append = f"kunit.enable=0 loglevel=4 {cmdline} {suite} {expect} nrpayload={len(PAYLOAD)}"
    image, disk, mem = images["test"], None, "256M"
    if media == "big":
        image, mem = images["big"], "320M"
        append += f" nrbigsize={BIG_SIZE}"
    elif media in ("disk", "disk-only"):
        disk = images["disk"]
        if media == "disk-only":
            image = None
    elif media == "no-initrd":
        image = None
    elif media == "runtimes":
        image = images["runtimes"]
    elif media == "external":
        image = images["external"]
    elif media == "initrd":
        image = images["disk"]
    smp = int(re.search(r"nrsmp=(\d+)", expect).group(1)) if "nrsmp=" in expect \
        else qemu_run.DEFAULT_SMP
    append += f" nrsmp={smp}" if "nrsmp=" not in expect else ""
    if variant == "debug":
        mem = DEBUG_MEM
    boot = qemu_run.boot(kernel, image, append, log, arch=ARCH, mem=mem,
                         timeout=(600 if variant == "debug" else 180) * TIMEOUT_SCALE, disk=disk, smp=smp,
                         mttcg=name in MTTCG_CASES)
    if "nrexpect=panic" in expect:
        # Upstream behaviour recorded as a control: this boot must panic.
        want = "Kernel panic - not syncing: Can't create rootfs"
        panicked = want in boot.log
        reports = qemu_run.kernel_reports(boot.log, allowed=[re.escape(want)])
        ok = panicked and not reports
        return Result(name, [f"# panicked: {panicked}"] + [f"# {r}" for r in reports],
                      int(ok), int(not ok),
                      "" if ok else f"no clean 'Can't create rootfs' panic; log: {log}")
    lines = ktap_block(boot.log, "KTAP version 1")
    if lines is None:
        why = "timed out" if boot.timed_out else "no results (panic?)"
        tail = [f"# {line}" for line in boot.log.splitlines()[-15:]]
        tail += [f"# {line}" for line in qemu_run.kernel_reports(boot.log)]
        return Result(name, tail, 0, 1, f"{why}; log: {log}")
    passed = sum(1 for line in lines if line.startswith("ok "))
    failed = sum(1 for line in lines if line.startswith("not ok "))
    notes = ktap_problems(lines)
    reported = [m.group(1) for m in
                (re.match(r"(?:not )?ok \d+ (\S+)", line) for line in lines) if m]
    required = required_checks(expect)
    if required is not None:
        missing = [check for check in required if check not in reported]
        if missing:
            notes.append("missing checks: " + ", ".join(missing))
    if "nrtest=selftest" in expect:
        # Each check must have the outcome it was written to have.
        got = {m.group(2): m.group(1).strip() for m in
               (re.match(r"(ok|not ok) \d+ (\S+)", line) for line in lines) if m}
        passed = failed = 0
        for check, outcome in SELFTEST_OUTCOMES.items():
            if got.get(check) == outcome:
                passed += 1
            else:
                failed += 1
                notes.append(f"{check}: '{got.get(check)}', not '{outcome}'")
    if "nrtest: done" not in boot.log:
        notes.append("the guest did not finish")
    if boot.timed_out:
        notes.append("timed out")
    reports = qemu_run.kernel_reports(boot.log)
    if reports:
        notes.append("kernel reports in the log")
        lines = lines + [f"# {line}" for line in reports]
    failed += len(notes)
    note = "; ".join(notes + [f"log: {log}"]) if notes else ""
    return Result(name, lines, passed, failed, note)


def ktap_problems(lines):
    """What is wrong with a KTAP document: its plan "1..N" must announce
    exactly the results that follow, numbered 1 to N."""
    plans = [line for line in lines if re.fullmatch(r"1\.\.\d+", line)]
    results = [line for line in lines if re.match(r"(not )?ok \d+ ", line)]
    if len(plans) != 1:
        return [f"{len(plans)} KTAP plans"]
    planned = int(plans[0][3:])
    numbers = [int(re.match(r"(?:not )?ok (\d+) ", line).group(1)) for line in results]
    if numbers != list(range(1, planned + 1)):
        return [f"plan 1..{planned}, results numbered {numbers}"]
    return []


# A hard timeout only ends a hung guest. A build running beside the boots
# takes up to half the cores, so the timeouts double with --build-variants,
# or with NR_TIMEOUT_SCALE=2 when the build is another run's (.ci/run).
TIMEOUT_SCALE = int(os.environ.get("NR_TIMEOUT_SCALE", "1"))


def case_variant(kind, case):
    return case[2 if kind == "kunit" else 3] if len(case) > (2 if kind == "kunit" else 3) else ""


def run_cases(jobs, build_variants, images, image):
    """Runs every (kind, case) of `jobs` on os.cpu_count() workers; returns
    their Results in the order of `jobs`. A variant of `build_variants` is
    built first (tools/build.sh, one at a time, in that order) and its boots
    are queued when it is ready; a failed build fails each of its boots.
    Debug boots, the longest, go first, so that none is left at the end."""
    results = [None] * len(jobs)
    ready = queue.PriorityQueue()
    waiting = {}
    for i, (kind, case) in enumerate(jobs):
        variant = case_variant(kind, case)
        if variant in build_variants:
            waiting.setdefault(variant, []).append(i)
        else:
            ready.put(((variant != "debug", i), i))
    done = object()

    def enqueue(indices):
        for i in indices:
            ready.put(((case_variant(*jobs[i]) != "debug", i), i))

    def builder():
        for variant in build_variants:
            build = subprocess.run([os.path.join(REPO, "tools", "build.sh")],
                                   env=dict(os.environ, VARIANT=variant))
            if build.returncode == 0:
                enqueue(waiting.get(variant, []))
                continue
            for i in waiting.get(variant, []):
                results[i] = Result(jobs[i][1][0], [], 0, 1,
                                    f"VARIANT={variant} did not build (tools/build.sh, rc {build.returncode})")
        for _ in range(workers):
            ready.put(((True, len(jobs)), done))

    def worker():
        while True:
            _, i = ready.get()
            if i is done:
                return
            kind, case = jobs[i]
            start = time.monotonic()
            try:
                r = run_kunit(image, *case) if kind == "kunit" else run_boot(images, *case)
            except Exception as e:  # a harness bug fails its boot, not the run
                r = Result(case[0], [], 0, 1, f"harness error: {e!r}")
            r.seconds = time.monotonic() - start
            results[i] = r

    workers = os.cpu_count() or 1
    threads = [threading.Thread(target=worker) for _ in range(workers)]
    threads.append(threading.Thread(target=builder))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", action="store_true",
                   help="only build the images kernel variants need")
    p.add_argument("--build-variants", default="", metavar="'V1 V2 ...'",
                   help="build these kernel variants while the other boots run")
    p.add_argument("boots", nargs="*", help="run only these boots (default: all)")
    args = p.parse_args()
    os.makedirs(LOGS, exist_ok=True)
    if args.images:
        build_test_initramfs()
        return
    kunit_boots = [c for c in KUNIT_BOOTS if not args.boots or c[0] in args.boots]
    boot_cases = [c for c in BOOT_CASES if not args.boots or c[0] in args.boots]
    unknown = set(args.boots) - {c[0] for c in kunit_boots + boot_cases}
    if unknown:
        sys.exit(f"run_tests: no such boot: {' '.join(sorted(unknown))}")
    jobs = [("kunit", case) for case in kunit_boots] + [("boot", case) for case in boot_cases]
    needed = {case_variant(*job) for job in jobs}
    build_variants = [v for v in args.build_variants.split() if v in needed]
    for variant in needed - set(build_variants):
        path = qemu_run.kernel_image(BUILD, ARCH, variant)
        if not os.path.exists(path):
            sys.exit(f"run_tests: {path} missing; run 'make test' (it builds the variants)")
    image, runtimes, external = build_test_initramfs()
    images = {"test": image, "disk": build_test_disk(image), "big": big_image(image),
              "runtimes": runtimes, "external": external}
    global TIMEOUT_SCALE
    TIMEOUT_SCALE = max(TIMEOUT_SCALE, 2 if build_variants else 1)
    results = run_cases(jobs, build_variants, images, image)

    print("KTAP version 1")
    print(f"1..{len(results)}")
    for i, r in enumerate(results, 1):
        for line in r.ktap:
            print("    " + line)
        if r.seconds is not None:
            print(f"    # boot: {r.seconds:.1f} s")
        if r.note:
            print(f"# {r.name}: {r.note}")
        status = "ok" if r.failed == 0 else "not ok"
        print(f"{status} {i} {r.name}")
    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    per_kernel = {}
    for job, r in zip(jobs, results):
        variant = case_variant(*job) or "main"
        per_kernel[variant] = per_kernel.get(variant, 0) + (r.seconds or 0)
    print("# boot seconds per kernel: " +
          ", ".join(f"{v} {t:.0f}" for v, t in sorted(per_kernel.items())))
    print(f"# logs: {LOGS}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
