#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Benchmark nonroot_initramfs against plain rootfs and the userspace workarounds.

Every boot runs under QEMU TCG with -icount shift=3,sleep=off: time in the
guest is virtual and follows the instructions executed, so runs repeat to
the microsecond while wall times vary by tens of percent. The kernel is
the no-tests variant (the feature built in, no test code; SMP, booted with
-smp 2), booted with quiet and initramfs_async=0; the same kernel serves
every cell, and its uniprocessor build (no-tests-up, -smp 1) boots cells
1 to 4 again:

  1 plain     no feature: the initramfs stays in rootfs (the floor)
  2 plain0    the same with nonroot_initramfs=0: the cost of the word
  3 nonroot   nonroot_initramfs
  4 copy      an outer init copies rootfs into a tmpfs, then switch_root
  5 retain    retain_initrd: an outer init unpacks /sys/firmware/initrd a
              second time into a tmpfs, then switch_root
  6 bind      an outer init bind-mounts / on a directory and chroots there

The final init (tools/bench/guest/bench-init.c) reads CLOCK_BOOTTIME first,
then snapshots /proc/meminfo and the per-cpu free lists of /proc/zoneinfo,
leaves the initramfs (a new tmpfs root, pivot_root or switch_root, the old
root detached) and snapshots again, and dumps the kernel log (printk
timestamps). Raw data goes to build/bench/, the summary to
tools/bench/results.rst and results.svg.
"""

import argparse
import concurrent.futures
import csv
import datetime
import gzip
import hashlib
import inspect
import json
import math
import os
import random
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tools"))
import mkinitramfs  # noqa: E402
import qemu_run  # noqa: E402
sys.path.insert(0, os.path.join(REPO, "tools", "testing"))
import mutate  # noqa: E402

BUILD = os.environ.get("BUILD", os.path.join(REPO, "build"))
ARCH = "x86_64"
OUT = os.path.join(BUILD, "bench")
# A trial run (--no-report) keeps its raw data, logs, summary and report
# here, apart from those of the run the committed report came from.
OUT_TRIAL = os.path.join(OUT, "trial")
# Where this run's boot logs go: under OUT, or OUT_TRIAL for a trial.
LOG_DIR = os.path.join(OUT, "logs")
KERNEL = "no-tests"
KERNEL_OFF = "feature-off"
# The no-tests kernel without SMP, booted with one CPU: the time cells
# that the fixed cost and the workaround's overhead compare.
KERNEL_UP = "no-tests-up"
UP_CELLS = ("plain", "plain0", "nonroot", "copy")
# The no-tests kernel built from the tree of make mutate's seal_skipped
# mutant, whose nonroot_initramfs does not seal rootfs (--seal): the one
# difference between the two is the seal.
KERNEL_UNSEALED = "no-tests-unsealed"
UNSEALED_MUTATION = "seal_skipped"
# The no-tests kernel instrumented: tools/bench/unpack-peak.diff samples
# the pages in use during the kernel's unpack and logs the most, and
# tools/bench/mnt-init-marks.diff logs a message after each step of
# mnt_init() and of the feature's setup. Its boots give the peak and the
# steps' times and nothing else, as the sampling costs time.
KERNEL_PEAK = "no-tests-peak"
PEAK_DIFFS = [os.path.join(HERE, d)
              for d in ("unpack-peak.diff", "mnt-init-marks.diff", "printk-tsc.diff")]
# mnt_init() on the instrumented kernel, cut at its marks: (name, the mark
# that ends it, what it holds). The feature's steps are nonroot's alone;
# every segment includes the printk of the mark that starts it.
MNT_STEPS = [
    ("sysfs_shmem", "mark_rootfs", "kernfs, sysfs and shmem_init()"),
    ("rootfs", "mark_leaf", "init_rootfs() and init_mount_tree(): rootfs, a tmpfs "
     "(a ramfs where the leaf is requested)"),
    ("options", "mark_options", "the feature: the options copied into a page"),
    ("mount", "mark_mounted", "the feature: the leaf mounted on /"),
    ("chdir", "mark_entered", "the feature: chdir into the leaf"),
    ("seal", "mark_sealed", "the feature: rootfs sealed"),
    ("chroot", "mark_chrooted", "the feature: chroot into the leaf"),
    ("info", "nonroot_info", "the feature: its info line"),
    ("setup_end", "mark_done", "the return from nonroot_initramfs_setup() (for plain0: "
     "the whole call, which returns at once)"),
    ("rest", "after_mnt_init", "mnt_init()'s return, on to the next message"),
]
FEATURE_STEPS = {"options", "mount", "chdir", "seal", "chroot", "info"}
MEM_MIB = 1536
# Virtual time, and a real-time clock that follows it from a fixed date:
# by default the RTC follows the host's clock, and the kernel's wait for
# its next update made boots of one configuration differ by milliseconds.
ICOUNT = ["-icount", "shift=3,sleep=off", "-rtc", "base=2026-01-01T00:00:00,clock=vm"]
# Boots of one configuration beyond the first (the determinism check), and
# of the peak kernel per cell and small payload.
AGAIN_BOOTS = 2
PEAK_BOOTS = 3
# Same on every boot; cells only add their own words.
BASE_CMDLINE = "kunit.enable=0 initramfs_async=0 initramfs_options=size=90%"

# name, what it is, kernel command line, expected root mount: file system
# type and whether it is the root of the mount tree (rootfs itself).
CELLS = [
    ("plain", "plain boot, no feature", "", ("rootfs", True)),
    ("plain0", "plain boot, the feature turned off by its word", "nonroot_initramfs=0",
     ("rootfs", True)),
    ("nonroot", "nonroot_initramfs", "nonroot_initramfs", ("tmpfs", False)),
    ("copy", "busybox cp -a to a tmpfs, switch_root", "rdinit=/outer/copy", ("tmpfs", False)),
    ("retain", "retain_initrd, busybox [gunzip|] cpio to a tmpfs, switch_root",
     "retain_initrd rdinit=/outer/retain", ("tmpfs", False)),
    ("bind", "mount --bind / /newroot, chroot", "rdinit=/outer/bind", ("rootfs", False)),
]
CELL = {c[0]: c for c in CELLS}
# How the final init can leave the initramfs: pivot_root(2) refuses rootfs.
LEAVE_WAY = {c[0]: "switch_root" if c[3] == ("rootfs", True) else "pivot_root" for c in CELLS}
SMP = qemu_run.DEFAULT_SMP

MIB = 1 << 20
SIZES = {"4M": 4 * MIB, "256M": 256 * MIB}
# The default matrix fits the 30-minute budget on a 2-core machine: all of
# it at 4 MiB; at 256 MiB, gzip only (random: the archive is as big as the
# files; text: the usual case, a compressed archive of compressible files).
DEFAULT_PAYLOADS = ["4M-random-gz", "4M-random-raw", "4M-text-gz", "4M-text-raw",
                    "256M-random-gz", "256M-text-gz"]
ALL_PAYLOADS = [f"{s}-{c}-{z}" for s in SIZES for c in ("random", "text") for z in ("gz", "raw")]
# What the console costs: plain and nonroot without quiet, this payload.
CONSOLE_PAYLOAD = "4M-random-gz"


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


# ---------------------------------------------------------------- images

def payload_files(size, content, seed):
    """(name, bytes) of the payload: files of 16 KiB to 1 MiB, seeded, that
    add up to `size`. "random" does not compress; "text" is words from a
    small vocabulary, which gzip shrinks about threefold like binaries."""
    rng = random.Random(seed)
    if content == "text":
        vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz")
                         for _ in range(rng.randint(2, 9))) for _ in range(4000)]
        pool = " ".join(rng.choices(vocab, k=(8 * MIB) // 6)).encode()[:8 * MIB]
    files, left, i = [], size, 0
    while left:
        n = min(left, rng.randint(16 << 10, 1 << 20))
        if content == "random":
            data = rng.randbytes(n)
        else:
            off = rng.randrange(0, len(pool) - n)
            data = pool[off:off + n]
        files.append((f"/payload/{i:05d}", data))
        left -= n
        i += 1
    return files


def build_init(images):
    out = os.path.join(images, "bench-init")
    src = os.path.join(HERE, "guest", "bench-init.c")
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
        sh(["gcc", "-static", "-O2", "-Wall", "-Werror", "-o", out, src])
    return out


def build_archive(images, name, init):
    """The archive for payload `name`, rebuilt only when an input changed.
    Every cell boots the same archive: base files, the outer inits and the
    payload; rdinit= picks the first program."""
    size, content, comp = name.split("-")
    guest = os.path.join(HERE, "guest")
    base = [("/init", init), ("/bin/busybox", "/usr/bin/busybox")]
    base += [(f"/outer/{c}", os.path.join(guest, f"outer-{c}")) for c in ("copy", "retain", "bind")]
    h = hashlib.sha256((inspect.getsource(payload_files) +
                        inspect.getsource(build_archive)).encode())
    for _, path in base:
        h.update(open(path, "rb").read())
    path = os.path.join(images, f"{name}.cpio" + (".gz" if comp == "gz" else ""))
    stamp = path + ".sha256"
    if os.path.exists(path) and open(stamp).read() == h.hexdigest() \
            and os.path.exists(path + ".files_kb"):
        return path
    a = mkinitramfs.Archive(0)
    for d in ("/dev", "/proc", "/sys", "/newroot", "/outer", "/bin"):
        a.add_dir(d, 0o755, 0, 0)
    a.add_node("/dev/console", 0o600, 0, 0, "c", 5, 1)
    for guest_path, host_path in base:
        a.add_file(guest_path, host_path, 0o755, 0, 0)
    # What the unpacked files take in a tmpfs: whole pages.
    files_kb = sum(-(-os.path.getsize(host) // 4096) * 4 for _, host in base)
    for fname, data in payload_files(SIZES[size], content, f"{size}-{content}"):
        a.add_data(fname, data, 0o644, 0, 0)
        files_kb += -(-len(data) // 4096) * 4
    data = a.finish()
    if comp == "gz":
        data = gzip.compress(data, compresslevel=6, mtime=0)
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)
    with open(path + ".files_kb", "w") as f:
        f.write(str(files_kb))
    with open(stamp, "w") as f:
        f.write(h.hexdigest())
    return path


# ---------------------------------------------------------------- boots

KLOG = re.compile(r"^<\d+>\[\s*(\d+\.\d+)\] (.*)$")


def parse_boot(log):
    """The facts the final init printed, or an "error" entry."""
    r = {"mem": {}, "klog": []}
    for line in log.splitlines():
        m = re.search(r"bench: (.*)$", line)
        if not m:
            continue
        fact = m.group(1)
        if fact.startswith("klog "):
            k = KLOG.match(fact[5:])
            if k:
                r["klog"].append((float(k.group(1)), k.group(2)))
        elif fact.startswith("mem "):
            name, *kv = fact.split()[1:]
            r["mem"][name] = {k: int(v) for k, v in (x.split("=") for x in kv)}
        elif fact.startswith("root "):
            r["root"] = dict(x.split("=") for x in fact.split()[1:])
        elif fact.startswith("payload "):
            r["payload"] = {k: int(v) for k, v in (x.split("=") for x in fact.split()[1:])}
        elif fact.startswith(("init_ns=", "steady_ns=", "init_tsc=", "steady_tsc=")):
            k, v = fact.split("=")
            r[k] = int(v)
        elif fact.startswith("leave "):
            r["leave"] = dict(x.split("=") for x in fact.split()[1:])
        elif fact.startswith("error "):
            r.setdefault("errors", []).append(fact)
        elif fact == "done":
            r["done"] = True
    return r


def klog_marks(klog):
    """Times (s) of the kernel messages around the steps we measure."""
    marks = {}
    for i, (t, text) in enumerate(klog):
        if text.startswith("Mountpoint-cache hash table entries"):
            marks["mnt_init"] = t
            # The first message after mnt_init() that both layouts print.
            for t2, text2 in klog[i + 1:]:
                if "initramfs goes to a tmpfs" not in text2 and "bench: mark " not in text2:
                    marks["after_mnt_init"] = t2
                    break
        elif "initramfs goes to a tmpfs" in text:
            marks["nonroot_info"] = t
            if i + 1 < len(klog):
                marks["after_nonroot_info"] = klog[i + 1][0]
        elif mark := re.search(r"bench: mark (\w+)$", text):
            marks[f"mark_{mark.group(1)}"] = t
        elif text.startswith("devtmpfs: initialized"):
            marks["devtmpfs"] = t
        elif text.startswith(("Trying to unpack rootfs image", "Unpacking initramfs")):
            marks["unpack"] = t
        elif text.startswith("Freeing initrd memory:"):
            marks["initrd_freed"] = t
            marks["initrd_freed_kb"] = int(re.search(r"(\d+)K", text).group(1))
        elif re.match(r"Run \S+ as init process", text):
            marks["run_init"] = t
        elif text.startswith("bench: unpack peak:"):
            used, initrd = (int(x) for x in re.findall(r"(\d+) kB", text))
            marks["unpack_peak_kb"] = used + initrd
        elif text.startswith("sched_clock: Marking stable"):
            gtod, _, raw, _ = (int(x) for x in re.findall(r"-?\d+", text))
            marks["sched_minus_ktime_ns"] = raw - gtod
        elif text.startswith("Memory: ") and "available" in text:
            marks["memory_line"] = text
    return marks


# The final init's clock readings, at its start and once steady.
CLOCKS = ("init_tsc", "init_ns", "steady_tsc", "steady_ns")


def check(r, cell, payload_bytes):
    fstype, is_tree_root = CELL[cell][3]
    errors = list(r.get("errors", []))
    if not r.get("done") or not set(CLOCKS) <= r.keys():
        errors.append("final init did not finish")
        return errors
    # A /proc file the final init could not read shows as -1.
    bad = sorted(name for name, snap in r["mem"].items() if min(snap.values()) < 0)
    if bad:
        errors.append(f"unreadable /proc in the snapshots {', '.join(bad)}")
    root = r.get("root", {})
    if root.get("fstype") != fstype or (root.get("id") == root.get("parent")) != is_tree_root:
        errors.append(f"root mount {root}, expected {fstype} "
                      f"{'' if is_tree_root else 'not '}the tree's root")
    if r.get("payload", {}).get("bytes") != payload_bytes:
        errors.append(f"payload {r.get('payload')}, expected {payload_bytes} bytes")
    if cell in ("copy", "retain") and "peak" not in r["mem"]:
        errors.append("no peak snapshot from the outer init")
    if r.get("leave", {}).get("way") != LEAVE_WAY[cell] or \
            not {"before_leave", "left"} <= set(r["mem"]):
        errors.append(f"did not leave the initramfs by {LEAVE_WAY[cell]}: {r.get('leave')}")
    return errors


# Under -icount a boot repeats to the microsecond, so five equal boots would
# show no spread, and one boot tells little: the timer tick (HZ=250, 4 ms)
# quantizes waits, so 0.3 ms more work can end one tick later at the final
# init, or not, depending on where the boot stands against the tick. Boot r
# gets PHASE_MIB * r MiB more RAM: freeing the pages into the allocator,
# between mnt_init() and the first tick-bound waits, takes about 0.14 ms
# per MiB, so the five boots sample the phase across about one tick. Every
# cell uses the same sizes; cells are compared boot r against boot r.
PHASE_MIB = 7


def guest_mem(run):
    return f"{MEM_MIB + PHASE_MIB * run}M"


def run_boot(job, qemu_extra=()):
    """One boot; `again` k > 0 marks the k-th repeat of a configuration (the
    determinism check), left out of every figure but that one. `qemu_extra`
    goes to QEMU as well (tbprofile.py's trace)."""
    cell, payload, run, quiet, variant, image, *again = job
    again = again[0] if again else 0
    tag = f"{cell}-{payload}-{'q' if quiet else 'v'}-{variant}-{run}{f'-again{again}' if again else ''}"
    log = os.path.join(LOG_DIR, tag + ".log")
    append = f"{BASE_CMDLINE} {'quiet' if quiet else ''} {CELL[cell][2]}"
    if payload.endswith("-gz"):
        append += " benchgz=1"
    kernel = qemu_run.kernel_image(BUILD, ARCH, variant)
    boot = qemu_run.boot(kernel, image, " ".join(append.split()), log, arch=ARCH, mem=guest_mem(run),
                         timeout=900, extra=ICOUNT + list(qemu_extra),
                         smp=1 if variant == KERNEL_UP else SMP)
    r = parse_boot(boot.log)
    size = SIZES[payload.split("-")[0]]
    with open(image + ".files_kb") as f:
        files_kb = int(f.read())
    rec = {"cell": cell, "payload": payload, "run": run, "again": again, "quiet": quiet,
           "kernel": variant, "cmdline": " ".join(append.split()), "qemu": boot.cmd,
           "wall_s": round(boot.seconds, 2), "log": log,
           "initrd_bytes": os.path.getsize(image), "payload_bytes": size, "files_kb": files_kb,
           "errors": (["timed out"] if boot.timed_out else []) + check(r, cell, size)}
    # As make test's boots: a kernel report (Oops, WARNING, KASAN, lockdep,
    # ...) fails the boot; the final init dumps the whole kernel log.
    reports = qemu_run.kernel_reports(boot.log)
    if reports:
        rec["errors"].append(f"kernel report: {reports[0].strip()}")
    if set(CLOCKS) <= r.keys():
        rec["marks"] = m = klog_marks(r["klog"])
        if variant == KERNEL_PEAK:
            want = [mark for name, mark, _ in MNT_STEPS
                    if cell == "nonroot" or name not in FEATURE_STEPS]
            missing = [mark for mark in want if mark not in m]
            if missing:
                rec["errors"].append(f"instrumented kernel: no {', '.join(missing)} in the log")
        # Under -icount the TSC counts virtual ns from power-on, so it
        # includes qboot loading the images. The kernel's sched_clock counts
        # the TSC from the kernel's own start (setup_arch()); once stable it
        # is CLOCK_BOOTTIME plus the offset the kernel logs, which also
        # cancels the 4 ms steps BOOTTIME took on the early jiffies clock.
        rec["power_on_ms"] = r["init_tsc"] / 1e6
        rec["boottime_ms"] = r["init_ns"] / 1e6
        if "sched_minus_ktime_ns" in m:
            rec["init_ms"] = (r["init_ns"] + m["sched_minus_ktime_ns"]) / 1e6
            rec["before_kernel_ms"] = rec["power_on_ms"] - rec["init_ms"]
        else:
            rec["errors"].append("no 'sched_clock: Marking stable' message")
        rec["tsc_per_ns"] = (r["steady_tsc"] - r["init_tsc"]) / (r["steady_ns"] - r["init_ns"])
        if not 0.999 < rec["tsc_per_ns"] < 1.001:
            rec["errors"].append(f"TSC at {rec['tsc_per_ns']:.4f} GHz, not 1 (no -icount?)")
        rec["mem"] = r["mem"]
        rec["root"] = r.get("root")
    return rec


# ---------------------------------------------------------------- metrics

# Consecutive stretches of one boot, by the kernel messages that end them
# (klog_marks), on the kernel log's clock; the last one ends at the final
# init's first instruction (CLOCK_BOOTTIME, which the log's clock follows
# once sched_clock is marked stable). Until then the log's clock is held to
# the jiffies-driven time of day, so it drifts from the TSC: "clock" is what
# it lost, kernel start to the final init on the TSC (init_ms) minus on the
# log's clock. With it the segments add up to init_ms, so the paired
# differences attribute the whole boot.
SEGMENTS = [
    ("to_mnt_init", "mnt_init", "kernel start to mnt_init() (\"Mountpoint-cache\")"),
    ("mnt_init", "after_mnt_init", "mnt_init() (the feature's mount, seal and chroot) and on "
     "to the next message both layouts print (\"smpboot: CPU0\" here)"),
    ("to_devtmpfs", "devtmpfs", "on to \"devtmpfs: initialized\""),
    ("to_unpack", "unpack", "on to the unpack (\"Trying to unpack\")"),
    ("unpack", "initrd_freed", "the unpack, to \"Freeing initrd memory\""),
    ("to_run_init", "run_init", "on to \"Run /init\""),
    ("to_final_init", "final_init", "on to the final init (past the outer init, if any)"),
    ("clock", None, "the log's clock against the TSC (see above)"),
]


def boot_metrics(rec):
    m = rec["marks"]
    mem = rec["mem"]
    # An initrd the kernel keeps (retain_initrd) stays reserved: in use,
    # but outside MemTotal, where a freed one lands.
    kept_kb = 0 if "initrd_freed_kb" in m else -(-rec["initrd_bytes"] // 4096) * 4

    def used_kb(s):
        """Memory in use, the per-cpu free lists counted as free."""
        return s["total_kb"] - s["free_kb"] - s["pcp_kb"] + kept_kb

    out = {k: rec[k] for k in ("init_ms", "boottime_ms", "power_on_ms", "before_kernel_ms")}
    if "mnt_init" in m and "after_mnt_init" in m:
        out["mnt_window_us"] = (m["after_mnt_init"] - m["mnt_init"]) * 1e6
    if "unpack" in m and "initrd_freed" in m:
        out["unpack_ms"] = (m["initrd_freed"] - m["unpack"]) * 1e3
        out["unpack_share"] = out["unpack_ms"] / rec["init_ms"]
    # The instrumented kernel stamps its messages with the TSC
    # (printk-tsc.diff): the segments are exact there, and "clock" is 0.
    if rec["kernel"] == KERNEL_PEAK:
        prev = rec["before_kernel_ms"] / 1e3
        final = end = rec["power_on_ms"] / 1e3
    else:
        prev, final, end = 0.0, rec["boottime_ms"] / 1e3, rec["init_ms"] / 1e3
    marks = dict(m, final_init=final)
    for name, mark, _ in SEGMENTS:
        t = end if mark is None else marks.get(mark)
        if t is None:
            break
        out[f"seg_{name}_ms"] = (t - prev) * 1e3
        prev = t
    # The instrumented kernel: mnt_init() cut at its marks.
    prev = m.get("mnt_init")
    for name, mark, _ in MNT_STEPS:
        if prev is not None and mark in m:
            out[f"mnt_{name}_us"] = (m[mark] - prev) * 1e6
            prev = m[mark]
    if "mark_leaf" in m and "mark_done" in m:
        out["mnt_setup_us"] = (m["mark_done"] - m["mark_leaf"]) * 1e6
    steady = mem["steady"]
    out["steady_used_mib"] = used_kb(steady) / 1024
    out["steady_avail_kib"] = steady["available_kb"] + steady["pcp_kb"]
    out["steady_shmem_mib"] = steady["shmem_kb"] / 1024
    # Measured (KERNEL_PEAK): the most in use during the kernel's unpack,
    # the archive included, or later in userspace (the outer inits of cells
    # 4 and 5 snapshot theirs before switch_root), whichever is more.
    if "unpack_peak_kb" in m:
        snaps = [used_kb(mem[s]) for s in ("init", "peak", "steady") if s in mem]
        out["peak_measured_mib"] = max([m["unpack_peak_kb"], *snaps]) / 1024
    if "before_leave" in mem and "left" in mem:
        out["left_used_mib"] = used_kb(mem["left"]) / 1024
        out["left_shmem_mib"] = mem["left"]["shmem_kb"] / 1024
        out["returned_shmem_share"] = ((mem["before_leave"]["shmem_kb"] - mem["left"]["shmem_kb"])
                                       / rec["files_kb"])
    return out


METRICS = [
    ("init_ms", "ms", "kernel start to the final init (sched_clock)"),
    ("boottime_ms", "ms", "CLOCK_BOOTTIME at the final init"),
    ("power_on_ms", "ms", "power-on to the final init (TSC)"),
    ("before_kernel_ms", "ms", "power-on to the kernel's start (firmware, decompressor)"),
    ("mnt_window_us", "us", "printk window: mnt_init() to the next message"),
    ("unpack_ms", "ms", "printk window: the kernel's unpack"),
    ("unpack_share", "", "the unpack's share of kernel start to the final init"),
    *[(f"seg_{name}_ms", "ms", what) for name, _, what in SEGMENTS],
    *[(f"mnt_{name}_us", "us", f"mnt_init(), instrumented: {what}") for name, _, what in MNT_STEPS],
    ("mnt_setup_us", "us", "mnt_init(), instrumented: nonroot_initramfs_setup(), the whole call"),
    ("peak_measured_mib", "MiB", "peak memory in use, measured (the peak kernel)"),
    ("steady_used_mib", "MiB", "steady memory in use"),
    ("steady_avail_kib", "KiB", "steady MemAvailable + pcp"),
    ("steady_shmem_mib", "MiB", "steady Shmem"),
    ("left_used_mib", "MiB", "memory in use after leaving the initramfs"),
    ("left_shmem_mib", "MiB", "Shmem after leaving the initramfs"),
    ("returned_shmem_share", "", "Shmem returned on leaving, of the initramfs's files"),
]


def summarize(records):
    """{(cell, payload, quiet, kernel): {metric: (median, min, max, n)}}"""
    groups = {}
    for rec in records:
        if rec["errors"] or rec.get("again"):
            continue
        key = (rec["cell"], rec["payload"], rec["quiet"], rec["kernel"])
        groups.setdefault(key, []).append(boot_metrics(rec))
    out = {}
    for key, ms in groups.items():
        out[key] = {}
        for name, *_ in METRICS:
            vals = [m[name] for m in ms if name in m]
            if vals:
                out[key][name] = (statistics.median(vals), min(vals), max(vals), len(vals))
    return out


def paired_values(records, payload, metric, configs):
    """For each RAM step that every one of `configs` (cell, quiet, kernel)
    booted without error: the metric's values, in the order of `configs`."""
    by = {}
    for rec in records:
        config = (rec["cell"], rec["quiet"], rec["kernel"])
        if not rec["errors"] and not rec.get("again") and rec["payload"] == payload \
                and config in configs:
            by[(config, rec["run"])] = boot_metrics(rec).get(metric)
    out = []
    for run in sorted({run for _, run in by}):
        values = [by.get((config, run)) for config in configs]
        if None not in values:
            out.append(values)
    return out


def paired(records, payload, metric, cell_a="plain", cell_b="nonroot", quiet=True,
           kernel_a=KERNEL, kernel_b=KERNEL):
    """Cell b minus cell a for each RAM step: [(difference, ratio)]."""
    return [(b - a, b / a if a else math.inf) for a, b in
            paired_values(records, payload, metric,
                          [(cell_a, quiet, kernel_a), (cell_b, quiet, kernel_b)])]


def median_diff(pairs):
    """The median of paired()'s differences."""
    return statistics.median(d for d, _ in pairs)


def mean_diff(pairs):
    """The mean of paired()'s differences: for times. A difference of d
    shows as 0 or a whole tick, by where the boot stands against the tick;
    the RAM steps sample that phase, so the mean over them estimates d,
    where the median picks one of the two values."""
    return statistics.fmean(d for d, _ in pairs)


def spread(values, fmt="{:+.0f}"):
    return (f"{fmt.format(statistics.median(values))} "
            f"({fmt.format(min(values))}..{fmt.format(max(values))})") if values else ""


# ---------------------------------------------------------------- kernel size

RESIDENT_SYMS = ["_text", "_etext", "__start_rodata", "__end_rodata", "_sdata", "_edata",
                 "__bss_start", "__bss_stop", "__init_begin", "__init_end", "_end"]


def kernel_sizes(variant):
    """Resident bytes of vmlinux: text, rodata, data and bss (init is freed
    after boot), by the linker's symbols and by the allocated sections."""
    vmlinux = os.path.join(BUILD, f"obj-{ARCH}-{variant}", "vmlinux")
    nm = subprocess.run(["llvm-nm", vmlinux], capture_output=True, text=True, check=True).stdout
    sym = {}
    for line in nm.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] in RESIDENT_SYMS:
            sym[parts[2]] = int(parts[0], 16)
    sizes = {
        "text": sym["_etext"] - sym["_text"],
        "rodata": sym["__end_rodata"] - sym["__start_rodata"],
        "data": sym["_edata"] - sym["_sdata"],
        "bss": sym["__bss_stop"] - sym["__bss_start"],
        "init": sym["__init_end"] - sym["__init_begin"],
    }
    sizes["resident"] = sizes["text"] + sizes["rodata"] + sizes["data"] + sizes["bss"]
    # Exact sizes: the symbols above sit on page boundaries. Allocated
    # sections, those in the init region freed after boot.
    readelf = subprocess.run(["llvm-readelf", "-S", "-W", vmlinux], capture_output=True,
                             text=True, check=True).stdout
    sections = {}
    for line in readelf.splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)"
                     r"\s+\S+\s+(\S*A\S*)", line)
        if not m:
            continue
        name, addr, size = m.group(1), int(m.group(2), 16), int(m.group(3), 16)
        if addr:
            sections[name] = (size, sym["__init_begin"] <= addr < sym["__init_end"])
    sizes["resident_sections"] = sum(n for n, init in sections.values() if not init)
    sizes["init_sections"] = sum(n for n, init in sections.values() if init)
    return sizes, sections


# ---------------------------------------------------------------- report

def fmt_spread(v, unit):
    med, lo, hi, n = v
    digits = 1 if unit in ("MiB", "us") else 2
    return f"{med:.{digits}f} ({lo:.{digits}f}-{hi:.{digits}f})"


def rst_table(header, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    sep = "  ".join("=" * w for w in widths)
    line = lambda r: "  ".join(str(x).ljust(w) for x, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([sep, line(header), sep, *[line(r) for r in rows], sep])


FIXED_COST_MS = 0.35
LIMIT_KIB = 64


def measured(payloads, values):
    """A target's measured column: each payload's value, or that it has none."""
    return ", ".join(f"{p}: {values.get(p, 'not measured')}" for p in payloads)


def evaluate(summary, records, payloads, sizes_on, sizes_off, archive_bytes):
    """The targets: (target, status, measured, why not met); status is
    "met", "MISSED" or "not measured"."""
    q = lambda cell, p, metric: summary.get((cell, p, True, KERNEL), {}).get(metric)  # noqa
    status = lambda ok: "met" if ok else "MISSED"  # noqa: E731
    targets = []

    for kernel, which in ((KERNEL, ""), (KERNEL_UP, ", uniprocessor")):
        fixed = [(p, mean_diff(pairs)) for p in payloads
                 if (pairs := paired(records, p, "init_ms", "plain0", "nonroot",
                                     kernel_a=kernel, kernel_b=kernel))]
        ok = len(fixed) == len(payloads) and all(d <= FIXED_COST_MS for _, d in fixed)
        st = status(ok) if fixed else "not measured"
        seg = {p: mean_diff(pairs) for p in payloads
               if (pairs := paired(records, p, "seg_mnt_init_ms", "plain0", "nonroot",
                                   kernel_a=kernel, kernel_b=kernel))}
        targets.append((f"1{which}. fixed cost: T(nonroot) - T(plain0) <= {FIXED_COST_MS} ms "
                        "(paired means)", st,
                        measured(payloads, {p: f"{d * 1000:+.0f} us" + (
                            f" (mnt_init segment {seg[p] * 1000:+.0f} us)" if p in seg else "")
                            for p, d in fixed}),
                        "" if ok else "see 'Where the difference goes'"))

        removed = []
        for p in payloads:
            steps = paired_values(records, p, "init_ms",
                                  [(cell, True, kernel) for cell in ("copy", "nonroot", "plain")])
            if steps:
                overhead = statistics.fmean(c - a for c, _, a in steps)
                left = statistics.fmean(n - a for _, n, a in steps)
                share = summary.get(("nonroot", p, True, kernel), {}).get("unpack_share")
                removed.append((p, 1 - left / overhead if overhead > 0 else -math.inf, share))
        ok = len(removed) == len(payloads) and all(r >= 0.99 for _, r, _ in removed)
        targets.append((f"2{which}. workaround's overhead removed: (T(copy) - T(nonroot)) / "
                        "(T(copy) - T(plain)) >= 99%, every payload (paired means)",
                        status(ok) if removed else "not measured",
                        measured(payloads, {p: f"{r * 100:.2f}%" + (
                            f" (unpack {u[0] * 100:.0f}% of the boot)" if u else "")
                            for p, r, u in removed}),
                        "" if ok else "see the time table"))

    pk = lambda cell, p: summary.get((cell, p, True, KERNEL_PEAK), {}).get("peak_measured_mib")  # noqa
    peak_np = [(p, (n[0] - a[0]) * 1024) for p in payloads
               if (n := pk("nonroot", p)) and (a := pk("plain", p))]
    ok = len(peak_np) == len(payloads) and all(d <= LIMIT_KIB for _, d in peak_np)
    targets.append((f"3a. peak: P(nonroot) - P(plain) <= {LIMIT_KIB} KiB (measured)", status(ok),
                    measured(payloads, {p: f"{d:+.0f} KiB" for p, d in peak_np}),
                    "" if ok else "see 'Peak memory, measured'"))
    saved = []
    for p in payloads:
        c, n = pk("copy", p), pk("nonroot", p)
        files = next((r["files_kb"] for r in records if r["payload"] == p), None)
        if c and n and files is not None:
            need = 0.95 * max(0, files / 1024 - archive_bytes[p] / MIB)
            saved.append((p, c[0] - n[0], need))
    ok = len(saved) == len(payloads) and all(d >= need for _, d, need in saved)
    targets.append(("3b. peak: P(copy) - P(nonroot) >= 0.95 x max(0, files - archive) (measured)",
                    status(ok), measured(payloads, {p: f"{d:.1f} MiB (need {need:.1f})"
                                                    for p, d, need in saved}),
                    "" if ok else "see 'Peak memory, measured'"))

    returned = [(p, v[1]) for p in payloads if (v := q("nonroot", p, "returned_shmem_share"))]
    ok = len(returned) == len(payloads) and all(r >= 0.99 for _, r in returned)
    targets.append(("4. after leaving: nonroot returns >= 99% of the initramfs's Shmem "
                    "(every boot)", status(ok),
                    measured(payloads, {p: f"{r * 100:.1f}% (least)" for p, r in returned}),
                    "" if ok else "see 'After leaving the initramfs'"))

    avail = [(p, median_diff(pairs), min(d for d, _ in pairs),
              max(d for d, _ in pairs)) for p in payloads
             if (pairs := paired(records, p, "steady_avail_kib", "plain", "nonroot"))]
    ok = len(avail) == len(payloads) and all(abs(d) <= LIMIT_KIB for _, d, _, _ in avail)
    targets.append((f"5. steady: |MemAvailable(nonroot) - MemAvailable(plain)| <= {LIMIT_KIB} KiB "
                    "(paired medians)", status(ok),
                    measured(payloads, {p: f"{d:+.0f} KiB ({lo:+.0f}..{hi:+.0f})"
                                        for p, d, lo, hi in avail}),
                    "" if ok else "see 'Memory'"))

    added = sizes_on["resident_sections"] - sizes_off["resident_sections"]
    targets.append(("0 resident kernel bytes added", status(added <= 0), f"{added:+d} bytes",
                    "" if added <= 0 else "see the kernel size table"))
    return targets


def svg_plot(summary, payloads, path):
    """Two panels, time to the final init (log scale: the cells span two
    decades) and peak memory, per payload and cell: the median as a bar,
    the spread (min-max) as a whisker."""
    colors = {"plain": "#888888", "plain0": "#bbbbbb", "nonroot": "#1f77b4", "copy": "#d62728",
              "retain": "#ff7f0e", "bind": "#2ca02c"}
    bar_h, gap, label_w, panel_w = 9, 10, 95, 330
    group_h = len(CELLS) * bar_h + gap
    top_y = 58
    height = top_y + len(payloads) * group_h + 20
    width = label_w + 2 * (panel_w + 50)
    quiet = {key: v for key, v in summary.items() if key[2] and key[3] == KERNEL}
    times = [v["init_ms"][2] for v in quiet.values() if "init_ms" in v] or [1]
    peaks = {key: v for key, v in summary.items() if key[3] == KERNEL_PEAK}
    mems = [v["peak_measured_mib"][2] for v in peaks.values() if "peak_measured_mib" in v] or [1]
    t_lo, t_hi = 10 ** int(math.log10(min(times) / 2)), max(times) * 1.3
    m_hi = max(mems) * 1.1
    scales = [("init_ms", "kernel start to the final init (virtual, log scale)",
               lambda v: math.log(v / t_lo) / math.log(t_hi / t_lo) * panel_w,
               [x for e in range(6) for x in (10 ** e, 2 * 10 ** e, 5 * 10 ** e)
                if t_lo <= x <= t_hi], lambda t: f"{t / 1000:g} s" if t >= 1000 else f"{t:g} ms"),
              ("peak_measured_mib", "peak memory in use, measured (MiB)",
               lambda v: v / m_hi * panel_w,
               [x for x in range(0, int(m_hi), 100 if m_hi > 300 else 10)], str)]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="10">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    for j, (name, *_) in enumerate(CELLS):
        x = label_w + j * 85
        out.append(f'<rect x="{x}" y="6" width="10" height="10" fill="{colors[name]}"/>'
                   f'<text x="{x + 14}" y="15">{j + 1} {name}</text>')
    for k, (metric, title, scale, ticks, label) in enumerate(scales):
        x0 = label_w + k * (panel_w + 50)
        y1 = top_y + len(payloads) * group_h
        out.append(f'<text x="{x0}" y="36" font-weight="bold">{title}</text>')
        for t in ticks:
            x = x0 + scale(t) if t else x0
            out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top_y - 6}" y2="{y1}" '
                       f'stroke="#dddddd"/><text x="{x:.1f}" y="{top_y - 8}" font-size="8" '
                       f'text-anchor="middle">{label(t)}</text>')
        for i, p in enumerate(payloads):
            y0 = top_y + i * group_h
            if k == 0:
                out.append(f'<text x="4" y="{y0 + group_h / 2}">{p}</text>')
            for j, (cell, *_) in enumerate(CELLS):
                v = (peaks.get((cell, p, True, KERNEL_PEAK), {}) if metric == "peak_measured_mib"
                     else quiet.get((cell, p, True, KERNEL), {})).get(metric)
                if not v:
                    continue
                y = y0 + j * bar_h
                out.append(f'<rect x="{x0}" y="{y}" width="{max(scale(v[0]), 0):.1f}" '
                           f'height="{bar_h - 1}" fill="{colors[cell]}"/>')
                lo, hi = x0 + scale(v[1]), x0 + scale(v[2])
                out.append(f'<line x1="{lo:.1f}" x2="{hi:.1f}" y1="{y + bar_h / 2}" '
                           f'y2="{y + bar_h / 2}" stroke="black"/>')
                out.append(f'<text x="{hi + 3:.1f}" y="{y + bar_h - 2}" font-size="8">'
                           f'{v[0]:.0f}</text>')
        out.append(f'<line x1="{x0}" x2="{x0}" y1="{top_y - 6}" y2="{y1}" stroke="black"/>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def segment_diff_table(records, payloads, cell_a, cell_b, kernel):
    """Cell b minus cell a on `kernel`, segment by segment and in all: the
    mean over the pairs, us."""
    rows = []
    for p in payloads:
        cols = [paired(records, p, metric, cell_a, cell_b, kernel_a=kernel, kernel_b=kernel)
                for metric in [*(f"seg_{n}_ms" for n, _, _ in SEGMENTS), "init_ms"]]
        rows.append([p, *[f"{mean_diff(c) * 1000:+.1f}" if c else "" for c in cols]])
    return rst_table(["payload", *[n for n, _, _ in SEGMENTS], "total"], rows)


def up_section(records, payloads, summary):
    """The time cells again on the uniprocessor kernel, with one CPU."""
    rows = []
    for p in payloads:
        v = {c: summary.get((c, p, True, KERNEL_UP), {}).get("init_ms") for c in UP_CELLS}
        if not v["plain"] or not v["copy"]:
            continue
        for cell in UP_CELLS:
            if v[cell]:
                rows.append([p, cell, fmt_spread(v[cell], "ms"),
                             f"{v[cell][0] / v['plain'][0]:.3f}",
                             f"{v[cell][0] / v['copy'][0]:.3f}"])
    if not rows:
        return []
    return ["The uniprocessor kernel", "-----------------------", "",
            f"``{KERNEL_UP}``: ``{KERNEL}`` without ``CONFIG_SMP``, booted with ``-smp 1``, "
            f"the same RAM steps; cells {', '.join(UP_CELLS)}. Kernel start to the final "
            "init, ms of virtual time, median (min-max), and the ratios of the medians "
            "against plain and copy:", "",
            rst_table(["payload", "cell", "ms: median (min-max)", "vs plain", "vs copy"], rows),
            "", "the feature's fixed cost on it: nonroot - plain0, mean over the pairs (us):", "",
            segment_diff_table(records, payloads, "plain0", "nonroot", KERNEL_UP), ""]


def mnt_init_section(records, payloads, summary):
    """Where the feature's time in mnt_init() goes, from the marks the
    instrumented kernel logs."""
    def peak(cell, p, metric):
        return summary.get((cell, p, True, KERNEL_PEAK), {}).get(metric)

    coarse = ["sysfs_shmem", "rootfs", "setup", "rest"]
    rows = []
    for p in payloads:
        cols = []
        for name in [*coarse, "window"]:
            pairs = paired(records, p, f"mnt_{name}_us", "plain0", "nonroot",
                           kernel_a=KERNEL_PEAK, kernel_b=KERNEL_PEAK)
            cols.append(f"{mean_diff(pairs):+.1f}" if pairs else "")
        rows.append([p, *cols])
    if not any(row[3] for row in rows):  # no setup marks: an older peak kernel
        return []
    steps = [n for n, _, _ in MNT_STEPS if n in FEATURE_STEPS] + ["setup_end"]
    step_rows, mark_us = [], []
    for p in payloads:
        mark = peak("plain0", p, "mnt_setup_us")
        vals = [peak("nonroot", p, f"mnt_{n}_us") for n in steps]
        whole = peak("nonroot", p, "mnt_setup_us")
        if mark is None or None in vals or whole is None:
            continue
        mark_us.append(mark[0])
        # Five marks inside the call, and the one before it that plain0 has too.
        own = whole[0] - mark[0] - 5 * mark[0]
        step_rows.append([p, *[f"{v[0]:.1f}" for v in vals], f"{whole[0]:.1f}",
                          f"{mark[0]:.1f}", f"{own:.1f}"])
    L = ["Inside mnt_init()", "-----------------", "",
         f"The instrumented kernel (``{KERNEL_PEAK}``) also logs a message after each",
         "step of mnt_init() and of the feature's setup",
         "(``tools/bench/mnt-init-marks.diff``), in every cell. A segment runs from",
         "one mark to the next, so it includes the printk of the mark that starts",
         "it (quiet: the ring buffer only). Segments:", "",
         rst_table(["segment", "ends at", "what"],
                   [[n, mark, what] for n, mark, what in MNT_STEPS]
                   + [["setup", "mark_done", "the whole nonroot_initramfs_setup() call, from "
                       "mark_leaf"],
                      ["window", "after_mnt_init", "the whole mnt_init segment above"]]), "",
         "nonroot - plain0 on the instrumented kernel, paired by RAM step, mean over "
         "the pairs (us):", "",
         rst_table(["payload", *coarse, "window"], rows), ""]
    if step_rows:
        L += ["nonroot's setup step by step, medians (us). ``mark`` is plain0's whole "
              "setup call, which returns at once: one mark's printk and a call. "
              "``own`` is nonroot's whole call less plain0's and less the five marks "
              "inside it, each taken at ``mark``: the feature's setup without the "
              "instrumentation.", "",
              rst_table(["payload", *steps, "setup", "mark", "own"], step_rows), ""]
    return L


def write_report(path, summary, records, payloads, archive_bytes, sizes, console, built_in,
                 targets, wall, argv, provenance):
    on, on_sections = sizes[KERNEL]
    off, off_sections = sizes[KERNEL_OFF]
    main_records = [r for r in records if not r.get("again")]
    before = [r["before_kernel_ms"] for r in records if "before_kernel_ms" in r]
    before = (min(before), max(before)) if before else (0, 0)
    ppm = statistics.median(r["tsc_per_ns"] - 1 for r in records if "tsc_per_ns" in r) * 1e6
    sm = lambda c, p: summary.get((c, p, True, KERNEL), {})  # noqa: E731
    L = []
    L += [".. SPDX-License-Identifier: GPL-2.0", "",
          "=================", "Benchmark results", "=================", "",
          "Generated by ``make bench`` (``tools/bench/bench.py``); do not edit. Raw data:",
          "``build/bench/raw.json`` and ``build/bench/summary.csv``; the plot is",
          "``results.svg`` next to this file.", "",
          "The run", "=======", "",
          f"- commit: {provenance['commit']}; {provenance['date']}",
          f"- kernels: ``{KERNEL}`` (every cell: the feature built in, no test code; SMP, "
          f"``PREEMPT``, ``MODULES=y``, the LSMs), ``{KERNEL_UP}`` (the same without SMP: "
          f"the time cells on one CPU) and ``{KERNEL_OFF}`` (the size comparison "
          "and the built-in-but-unused boots); ``.config`` sha256:"]
    configs = sorted(provenance["configs"].items())
    L += [f"  ``{v}`` ``{h}``" + ("," if i < len(configs) - 1 else "")
          for i, (v, h) in enumerate(configs)]
    example = next((r for r in main_records if r["cell"] == "nonroot" and r["quiet"]), records[0])
    L += [f"- QEMU, boot {example['run']} of cell nonroot, {example['payload']} (the others "
          f"differ in ``-m`` by {PHASE_MIB} MiB per boot index, the image and the log)::", "",
          "    " + " ".join(example["qemu"]), "",
          f"- every boot: {SMP} CPUs (1 on ``{KERNEL_UP}``), {MEM_MIB} MiB RAM + {PHASE_MIB} "
          "MiB x the boot index, "
          "``-icount shift=3,sleep=off`` (virtual time, deterministic), qboot; the kernel "
          f"command line is ``{BASE_CMDLINE} quiet``, the cell's words, and "
          "``benchgz=1`` (for the outer init of cell 5) with a gzip archive",
          f"- the boots took {wall / 60:.1f} minutes of wall time"
          + (f", {provenance['jobs']} at a time" if "jobs" in provenance else ""), ""]
    counts = {}
    for r in main_records:
        counts.setdefault((r["cell"], r["payload"], r["quiet"], r["kernel"]), [0, 0])[
            1 if r["errors"] else 0] += 1
    L += [rst_table(["cell", "payload", "quiet", "kernel", "boots", "failed"],
                    [[c, p, "yes" if q else "no", k, n[0] + n[1], n[1]]
                     for (c, p, q, k), n in sorted(counts.items())]), ""]
    failed = [r for r in records if r["errors"]]
    L += ["Failed boots: " + ("none." if not failed else "; ".join(
        f"{r['cell']} {r['payload']} {r['kernel']} #{r['run']}"
        f"{' again ' + str(r['again']) if r.get('again') else ''}: {'; '.join(r['errors'])}"
        for r in failed)), ""]
    L += ["Determinism", "===========", ""]
    again = [r for r in records if r.get("again")]
    if again:
        r2 = again[0]
        same = [r for r in records if all(
            r[k] == r2[k] for k in ("cell", "payload", "run", "quiet", "kernel"))]
        ms = [boot_metrics(r) for r in same if not r["errors"]]
        L += [f"Cell {r2['cell']}, {r2['payload']}, boot {r2['run']}, booted {len(same)} times "
              f"({len(ms)} without error); each boot against the first, in us:", ""]
        # A boot may lack a segment's message: blank, not a failed report.
        keys = ["init_ms", *[f"seg_{n}_ms" for n, _, _ in SEGMENTS]]
        diff = lambda m, k: f"{(m[k] - ms[0][k]) * 1000:+.1f}" if k in m and k in ms[0] else ""  # noqa
        rows = [[f"boot {i + 1}", f"{m['init_ms']:.3f}",
                 *[diff(m, k) for k in keys],
                 f"{m['steady_avail_kib'] - ms[0]['steady_avail_kib']:+d}"]
                for i, m in enumerate(ms)]
        L += [rst_table(["", "init ms", "total", *[n for n, _, _ in SEGMENTS], "MemAvail KiB"],
                        rows), ""]
    L += ["Cells", "=====", ""]
    L += [rst_table(["cell", "what", "kernel command line", "leaves by"],
                    [[f"{i + 1} {c[0]}", c[1], f"``{c[2]}``" if c[2] else "", LEAVE_WAY[c[0]]]
                     for i, c in enumerate(CELLS)]), ""]
    L += ["Payloads: ``<unpacked size>-<content>-<archive>``; ``random`` is seeded random",
          "bytes (incompressible), ``text`` words from a small vocabulary, in files of",
          "16 KiB to 1 MiB; ``gz`` a gzip -6 archive, ``raw`` an uncompressed cpio. Every",
          "archive also holds the final init, busybox and the outer inits; \"files\" is",
          "what they all take in a tmpfs, in whole pages.", ""]
    files = {r["payload"]: r["files_kb"] for r in records}
    L += [rst_table(["payload", "archive bytes", "files KiB"],
                    [[p, archive_bytes[p], files[p]] for p in payloads]), ""]
    L += ["Time to the final init", "======================", "",
          "Kernel start (sched_clock zero, in setup_arch()) to the first instruction of",
          "the final init, in ms of virtual time, the ratios of the medians against",
          "cell 1 and cell 4, and the kernel's unpack as a share of it. The final init",
          "reads the TSC (virtual ns since power-on under -icount) and CLOCK_BOOTTIME",
          "first thing; the kernel's start is CLOCK_BOOTTIME plus the sched_clock",
          "offset the kernel logs (\"sched_clock: Marking stable\"). The last column",
          f"counts from power-on (TSC); the {before[0]:.0f} to {before[1]:.0f} ms between the",
          "two is what runs before the kernel's clock starts (qboot, loading the images,",
          "the decompressor) plus the error of the kernel's TSC calibration",
          f"({ppm:.0f} ppm). The spread comes from the RAM steps ({PHASE_MIB} MiB per boot),",
          "in every cell alike: compare cells by the medians or by pairs of boots.", ""]
    rows = []
    for p in payloads:
        base, copy = sm("plain", p).get("init_ms"), sm("copy", p).get("init_ms")
        for i, (cell, *_) in enumerate(CELLS):
            v = sm(cell, p).get("init_ms")
            if not v:
                rows.append([p, f"{i + 1} {cell}", "failed", "", "", "", ""])
                continue
            u = sm(cell, p).get("unpack_share")
            rows.append([p, f"{i + 1} {cell}", fmt_spread(v, "ms"),
                         f"{v[0] / base[0]:.3f}" if base else "",
                         f"{v[0] / copy[0]:.3f}" if copy else "",
                         f"{u[0] * 100:.0f}%" if u else "",
                         f"{sm(cell, p)['power_on_ms'][0]:.0f}"])
    L += [rst_table(["payload", "cell", "ms: median (min-max)", "vs 1", "vs 4", "unpack",
                     "power-on ms"], rows), ""]
    L += ["Where the difference goes", "=========================", "",
          "Each boot is cut into consecutive segments by the kernel messages that end",
          "them (printk timestamps, in the kernel log the final init dumps); the",
          "segments add up to kernel start to the final init. For each pair of boots",
          "with the same RAM, the difference of each segment; the tables show the",
          "mean over the pairs, in us, and the total. Until sched_clock is marked",
          "stable the kernel's log clock follows the jiffies, so on the kernel",
          f"people run (``{KERNEL}``) a segment's difference can be off by a whole",
          "4 ms tick, which \"clock\" gives back; the total is exact. The",
          f"instrumented kernel (``{KERNEL_PEAK}``, below) stamps every message with",
          "the TSC instead (``tools/bench/printk-tsc.diff``), so its segments are",
          "exact and its \"clock\" is 0. Segments:", ""]
    L += [rst_table(["segment", "ends at"], [[n, w] for n, _, w in SEGMENTS]), ""]
    for a, b, what in (("plain0", "nonroot", "the feature's fixed cost: nonroot - plain0"),
                       ("plain", "plain0", "the word's parsing: plain0 - plain"),
                       ("plain", "nonroot", "in all: nonroot - plain")):
        L += [f"{what} (us):", "", segment_diff_table(records, payloads, a, b, KERNEL), ""]
    L += ["the feature's fixed cost on the instrumented kernel, TSC-stamped: nonroot - "
          "plain0, over its pairs (the run's table gives their number; us). Its unpack samples the "
          "memory at every step and every cell logs the marks of 'Inside mnt_init()', so "
          "its totals differ from the table above; where the difference goes is what it "
          "shows:", "",
          segment_diff_table(records, payloads, "plain0", "nonroot", KERNEL_PEAK), ""]
    L += mnt_init_section(records, payloads, summary)
    L += up_section(records, payloads, summary)
    L += ["Memory", "======", "",
          "MiB; memory in use is MemTotal - MemFree - the pages on the per-cpu free",
          "lists (``count:`` in /proc/zoneinfo); MemAvailable (KiB) has those pages",
          "added. Steady: after 2 s at the final init. The initrd that retain_initrd",
          "keeps (cell 5) stays reserved outside MemTotal; it is counted as in use.", ""]
    rows = []
    for p in payloads:
        for i, (cell, *_) in enumerate(CELLS):
            v = sm(cell, p)
            if "steady_used_mib" not in v:
                continue
            rows.append([p, f"{i + 1} {cell}", fmt_spread(v["steady_used_mib"], "MiB"),
                         f"{v['steady_avail_kib'][0]:.0f}",
                         fmt_spread(v["steady_shmem_mib"], "MiB")])
    L += [rst_table(["payload", "cell", "steady used", "MemAvailable+pcp KiB", "Shmem"], rows),
          ""]
    rows, peak_counts = [], set()
    for p in payloads:
        ref = summary.get(("plain", p, True, KERNEL_PEAK), {}).get("peak_measured_mib")
        for i, (cell, *_) in enumerate(CELLS):
            v = summary.get((cell, p, True, KERNEL_PEAK), {}).get("peak_measured_mib")
            if v:
                peak_counts.add(v[3])
                rows.append([p, f"{i + 1} {cell}", fmt_spread(v, "MiB"),
                             f"{(v[0] - ref[0]) * 1024:+.0f}" if ref else ""])
    peak_boots = " or ".join(str(n) for n in sorted(peak_counts)) or "No"
    L += ["Peak memory, measured", "---------------------", "",
          f"{peak_boots} boots per cell and payload (the first RAM steps) of "
          f"``{KERNEL_PEAK}``: the ``{KERNEL}`` kernel with",
          "``tools/bench/unpack-peak.diff``, which samples the pages in use (per-cpu",
          "free lists and per-cpu counter deltas counted) at every step of the",
          "kernel's cpio parser and logs the most, to which the archive (reserved",
          "memory until the kernel frees it) is added. The peak is the larger of",
          "that and every userspace snapshot (the outer init's before switch_root in",
          "cells 4 and 5). MiB, median (min-max), and KiB of the medians against",
          "cell 1.", "",
          rst_table(["payload", "cell", "peak MiB", "vs 1 (KiB)"], rows), ""]
    rows = []
    for p in payloads:
        for a, b in (("plain", "nonroot"), ("plain", "plain0")):
            pairs = paired(records, p, "steady_avail_kib", a, b)
            if pairs:
                rows.append([p, f"{b} - {a}", spread([d for d, _ in pairs])])
    L += ["Steady MemAvailable + pcp, paired (KiB, median and range over the pairs):", "",
          rst_table(["payload", "cells", "KiB"], rows), ""]
    L += ["After leaving the initramfs", "===========================", "",
          "The final init then leaves the initramfs as a system booting on from it",
          "would: a new tmpfs root holding a copy of itself and a console, then",
          "pivot_root(2) into it and the old root detached (``umount2(MNT_DETACH)``),",
          "or, where the root is rootfs itself and pivot_root(2) refuses it,",
          "busybox's switch_root (which deletes rootfs's files); it runs again from",
          "the new root, waits 2 s and snapshots. Returned: Shmem just before leaving",
          "(the new root already made) minus Shmem after, as a share of the",
          "initramfs's files (``files KiB`` above); the least over the boots. Kept:",
          "memory in use after leaving, against cell 3's, medians.", ""]
    rows = []
    for p in payloads:
        ref = sm("nonroot", p).get("left_used_mib")
        for i, (cell, *_) in enumerate(CELLS):
            v = sm(cell, p)
            if "left_used_mib" not in v:
                continue
            rows.append([p, f"{i + 1} {cell}", LEAVE_WAY[cell],
                         f"{v['returned_shmem_share'][1] * 100:.1f}%",
                         fmt_spread(v["left_shmem_mib"], "MiB"),
                         fmt_spread(v["left_used_mib"], "MiB"),
                         f"{v['left_used_mib'][0] - ref[0]:+.1f}" if ref else ""])
    L += [rst_table(["payload", "cell", "way", "returned", "Shmem after", "used after",
                     "kept vs 3 (MiB)"], rows), ""]
    if console:
        L += ["Console cost", "============", "",
              f"Boots without ``quiet`` ({CONSOLE_PAYLOAD}), where the kernel prints every",
              "message on the 115200-baud serial console and the feature adds one line;",
              "kernel start to the final init, the mean over the RAM steps of each",
              "step's difference. QEMU's UART takes a byte as soon as it is written, so",
              "under -icount a line costs its instructions, not its time on the wire.", ""]
        L += [rst_table(["", "us"], [[k, f"{v:+.0f}"] for k, v in console.items()]), ""]
    L += ["Resident kernel bytes", "=====================", "",
          f"vmlinux of ``{KERNEL}`` (feature on) against ``{KERNEL_OFF}``; init sections",
          "are freed after boot, so resident = text + rodata + data + bss.", ""]
    rows = [[k, on[k], off[k], f"{on[k] - off[k]:+d}"]
            for k in ("text", "rodata", "data", "bss", "resident", "init",
                      "resident_sections", "init_sections")]
    L += [rst_table(["bytes", "feature on", "feature off", "difference"], rows), ""]
    L += ["The first six rows come from the linker's symbols, which sit on page",
          "boundaries; the last two add up the allocated sections outside and inside",
          "the init region, to the byte. Sections that differ:", ""]
    names = sorted(set(on_sections) | set(off_sections))
    size = lambda secs, n: secs.get(n, (0, False))[0]  # noqa: E731
    rows = [[n, size(on_sections, n), size(off_sections, n),
             f"{size(on_sections, n) - size(off_sections, n):+d}",
             "yes" if (on_sections.get(n) or off_sections.get(n))[1] else "no"]
            for n in names if size(on_sections, n) != size(off_sections, n)]
    L += [rst_table(["section", "on", "off", "difference", "freed after boot"],
                    rows or [["(none)", "", "", "", ""]]), ""]
    if built_in is not None:
        L += ["Built in but not used: cell 1 on the feature-on kernel boots "
              f"{built_in:+.0f} us", f"later than on the feature-off kernel ({CONSOLE_PAYLOAD}, "
              "quiet, the mean of the differences of boots with the same RAM).", ""]
    L += ["Targets", "=======", ""]
    L += [rst_table(["target", "status", "measured", "why not met"],
                    [list(t) for t in targets]), ""]
    L += ["What the numbers mean", "=====================", "",
          "This machine has no KVM: every boot runs under QEMU's TCG with",
          "``-icount``, which makes time follow the guest's instruction count, one",
          "instruction per 8 ns of virtual time whatever the instruction. So the",
          "times are instruction counts: they repeat to the microsecond, and the",
          "ratios between cells say how much more work one boot does than another.",
          "They do not say what a real CPU takes: caches, branch prediction, memory",
          "bandwidth and the cost of a page fault or a TLB flush differ from one",
          "instruction to the next, and the unpack and the copy, which stream",
          "memory, would weigh differently against the mount, which is mostly",
          "pointer chasing. The vCPUs take turns under -icount, so the boots with",
          f"{SMP} CPUs show the work of an SMP kernel, not its parallelism. Memory",
          "figures are exact counts from the guest's /proc and hold on real",
          "hardware, as long as its page size is 4 KiB.", ""]
    with open(path, "w") as f:
        f.write("\n".join(L))


def write_csv(path, summary):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["cell", "payload", "quiet", "kernel", "metric", "median", "min", "max", "n"])
        for (cell, p, quiet, kernel), ms in sorted(summary.items()):
            for name, (med, lo, hi, n) in ms.items():
                w.writerow([cell, p, int(quiet), kernel, name, f"{med:.4f}", f"{lo:.4f}",
                            f"{hi:.4f}", n])


# ---------------------------------------------------------------- the seal

def build_changed(change, tag):
    """Builds the KERNEL variant as obj-x86_64-KERNEL-`tag` from the tree
    with `change` (a make mutate change) applied, under the build lock; the
    tree is restored whatever happens. KERNEL_UNSEALED and KERNEL_PEAK are
    built so."""
    mutate.check_applies(change)
    with mutate.changed_tree(change):
        env = dict(os.environ, VARIANT=KERNEL, OBJ_TAG=tag)
        sh([os.path.join(REPO, "tools", "build.sh")], env=env)


def seal_marks(rec):
    """Virtual µs from mnt_init()'s first message to the feature's, which
    it prints once the leaf is the root: rootfs, the leaf and the seal."""
    m = rec.get("marks", {})
    if "mnt_init" in m and "nonroot_info" in m:
        return (m["nonroot_info"] - m["mnt_init"]) * 1e6
    return None


def seal_report(records, sizes, wall, argv, path):
    """tools/bench/seal.rst: the seal's cost inside mnt_init(), paired."""
    by = {(r["kernel"], r["run"]): seal_marks(r) for r in records if not r["errors"]}
    pairs = [(run, by[(KERNEL, run)], by[(KERNEL_UNSEALED, run)])
             for run in sorted({r["run"] for r in records})
             if by.get((KERNEL, run)) is not None and by.get((KERNEL_UNSEALED, run)) is not None]
    diffs = [a - b for _, a, b in pairs]
    failed = [r for r in records if r["errors"]]
    sealed, unsealed = sizes[KERNEL][0], sizes[KERNEL_UNSEALED][0]
    med = statistics.median(diffs) if diffs else None
    L = ["The rootfs seal's cost", "======================", "",
         f"Generated by ``tools/bench/bench.py {' '.join(argv)}`` in {wall / 60:.1f} min "
         f"on {mutate.repo_commit()}.", "",
         f"Cell nonroot (``{CELL['nonroot'][2]}``, {CONSOLE_PAYLOAD}, quiet, the command line "
         f"``{BASE_CMDLINE} quiet {CELL['nonroot'][2]}``) on two kernels built from the "
         f"same tree and configuration (``{KERNEL}``): as it is, and with the call of "
         f"``seal()`` in ``enter_leaf()`` skipped (``make mutate``'s ``{UNSEALED_MUTATION}``), "
         "the one difference. Every boot runs "
         "under ``-icount shift=3,sleep=off``; boot r of both kernels gets the same RAM. "
         "The span is virtual time from ``mnt_init()``'s \"Mountpoint-cache\" message "
         "to the feature's \"initramfs goes to a tmpfs\" message, printed once the "
         "leaf is the root: it holds creating rootfs, the leaf, the seal and entering "
         "the leaf.", "",
         rst_table(["boot", "sealed (us)", "unsealed (us)", "seal (us)"],
                   [[run, f"{a:.1f}", f"{b:.1f}", f"{a - b:+.1f}"] for run, a, b in pairs]),
         ""]
    if med is not None:
        L += [f"The seal costs {med:.1f} us of virtual time (median of {len(diffs)} pairs; "
              f"{min(diffs):.1f} to {max(diffs):.1f}). Target: under 20 us: "
              f"{'met' if max(diffs) < 20 else 'MISSED'}.", ""]
    L += [f"Boots: {len(records)}, failed: {len(failed)}"
          + "".join(f"; {r['cell']} {r['kernel']} #{r['run']}: {'; '.join(r['errors'])}"
                    for r in failed) + ".", "",
          "Resident bytes (text, rodata, data and bss sections outside the init region, "
          "which is freed after boot):", "",
          rst_table(["kernel", "resident sections", "init sections"],
                    [[KERNEL, sealed["resident_sections"], sealed["init_sections"]],
                     [KERNEL_UNSEALED, unsealed["resident_sections"],
                      unsealed["init_sections"]],
                     ["difference", sealed["resident_sections"] - unsealed["resident_sections"],
                      sealed["init_sections"] - unsealed["init_sections"]]]), "",
          "``-icount`` weighs every guest instruction alike, so these are instruction "
          "counts in time units, not what a real CPU with caches and branch prediction "
          "takes; the seal is one path lookup and two flag updates, all "
          "in memory.", ""]
    with open(path, "w") as f:
        f.write("\n".join(L))
    print(f"bench: seal: {med if med is None else round(med, 1)} us; report: {path}")
    return not failed and bool(diffs)


def run_seal(args):
    build_changed(next(m[2] for m in mutate.MUTATIONS if m[0] == UNSEALED_MUTATION), "unsealed")
    start = time.monotonic()
    images = os.path.join(OUT, "images")
    os.makedirs(LOG_DIR, exist_ok=True)
    os.makedirs(images, exist_ok=True)
    image = build_archive(images, CONSOLE_PAYLOAD, build_init(images))
    jobs = [("nonroot", CONSOLE_PAYLOAD, run, True, kernel, image)
            for kernel in (KERNEL, KERNEL_UNSEALED) for run in range(args.boots)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        records = list(pool.map(run_boot, jobs))
    sizes = {v: kernel_sizes(v) for v in (KERNEL, KERNEL_UNSEALED)}
    argv = [a for a in sys.argv[1:] if a != "--no-report"]
    ok = seal_report(records, sizes, time.monotonic() - start, argv,
                     os.path.join(OUT_TRIAL if args.no_report else HERE, "seal.rst"))
    sys.exit(0 if ok else 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boots", type=int, default=5, help="boots per cell (default 5)")
    ap.add_argument("--payloads", default=",".join(DEFAULT_PAYLOADS),
                    help=f"comma-separated, from {','.join(ALL_PAYLOADS)}")
    ap.add_argument("--jobs", type=int, default=2, help="boots at a time (default 2)")
    ap.add_argument("--no-report", action="store_true",
                    help="a trial run: raw data, logs and report under build/bench/trial, "
                    "the committed report and the last run's data left alone")
    ap.add_argument("--report-only", action="store_true",
                    help="write the report again from build/bench/raw.json "
                    "(build/bench/trial/raw.json with --no-report), no boots")
    ap.add_argument("--cmdline", default="", metavar="WORDS",
                    help="kernel command-line words added to every boot (for experiments; "
                    "the report records them)")
    ap.add_argument("--seal", action="store_true",
                    help="only the rootfs seal's cost: cell nonroot on the no-tests kernel with "
                    "and without the seal (tools/bench/seal.rst)")
    args = ap.parse_args()
    global LOG_DIR, BASE_CMDLINE
    BASE_CMDLINE = " ".join([BASE_CMDLINE, args.cmdline]).strip()
    out = OUT_TRIAL if args.no_report else OUT
    LOG_DIR = os.path.join(out, "logs")
    if args.seal:
        run_seal(args)
        return
    if args.report_only:
        path = raw_path(args)
        if not os.path.exists(path):
            sys.exit(f"bench: no raw data at {path}; run make bench first")
        with open(path) as f:
            raw = json.load(f)
        if raw.get("format") != RAW_FORMAT:
            sys.exit(f"bench: {path} is from an older bench.py (format "
                     f"{raw.get('format', 1)}, this one reads {RAW_FORMAT}); run make bench again")
        report(raw["boots"], raw["kernel_sizes"], raw["wall_s"], raw["argv"],
               OUT_TRIAL if args.no_report else HERE, out, raw["provenance"])
        return
    if os.environ.get("ARCH", ARCH) != ARCH:
        sys.exit("bench: x86_64 only (the final init reads the TSC; qboot)")
    payloads = args.payloads.split(",")
    for p in payloads:
        if p not in ALL_PAYLOADS:
            sys.exit(f"bench: unknown payload {p}")
    for v in (KERNEL, KERNEL_UP, KERNEL_OFF):
        if not os.path.exists(qemu_run.kernel_image(BUILD, ARCH, v)):
            sys.exit(f"bench: the {v} kernel is missing; run 'make bench'")
    combined = os.path.join(OUT, "instrumented.diff")
    os.makedirs(OUT, exist_ok=True)
    with open(combined, "w") as f:
        for d in PEAK_DIFFS:
            with open(d) as part:
                f.write(part.read())
    build_changed(("diff", combined), "peak")
    start = time.monotonic()
    images = os.path.join(OUT, "images")
    os.makedirs(LOG_DIR, exist_ok=True)
    os.makedirs(images, exist_ok=True)
    init = build_init(images)
    archives = {}
    for p in payloads:
        print(f"bench: archive {p}", flush=True)
        archives[p] = build_archive(images, p, init)

    jobs = [(cell, p, run, True, KERNEL, archives[p])
            for p in payloads for cell, *_ in CELLS for run in range(args.boots)]
    if CONSOLE_PAYLOAD in payloads:
        image = archives[CONSOLE_PAYLOAD]
        jobs += [(cell, CONSOLE_PAYLOAD, run, False, KERNEL, image)
                 for cell in ("plain", "nonroot") for run in range(args.boots)]
        jobs += [("plain", CONSOLE_PAYLOAD, run, True, KERNEL_OFF, image)
                 for run in range(args.boots)]
        # Determinism: one configuration booted again.
        jobs += [("nonroot", CONSOLE_PAYLOAD, 0, True, KERNEL, image, k)
                 for k in range(1, AGAIN_BOOTS + 1)]
    jobs += [(cell, p, run, True, KERNEL_UP, archives[p])
             for p in payloads for cell in UP_CELLS for run in range(args.boots)]
    # The peak, on the first RAM steps; once for the big payloads, where a
    # boot takes minutes and the peak moves by a page or two between steps.
    jobs += [(cell, p, run, True, KERNEL_PEAK, archives[p]) for p in payloads
             for cell, *_ in CELLS
             for run in range(min(PEAK_BOOTS if SIZES[p.split("-")[0]] < 256 * MIB else 1,
                                  args.boots))]
    # The big boots first, so the two workers finish together.
    jobs.sort(key=lambda j: -os.path.getsize(j[5]))
    records = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for i, rec in enumerate(pool.map(run_boot, jobs), 1):
            records.append(rec)
            status = "; ".join(rec["errors"]) or f"{rec['init_ms']:.3f} ms"
            print(f"bench: [{i}/{len(jobs)}] {rec['cell']} {rec['payload']}"
                  f"{'' if rec['quiet'] else ' verbose'} {rec['kernel']} #{rec['run']}"
                  f"{' again ' + str(rec['again']) if rec['again'] else ''}: "
                  f"{status} ({rec['wall_s']:.0f} s wall)", flush=True)

    sizes = {v: kernel_sizes(v) for v in (KERNEL, KERNEL_OFF)}
    wall = time.monotonic() - start
    argv = [a for a in sys.argv[1:] if a != "--no-report"]
    provenance = {"commit": mutate.repo_commit(),
                  "date": f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
                  "configs": {v: config_hash(v)
                              for v in (KERNEL, KERNEL_UP, KERNEL_OFF, KERNEL_PEAK)},
                  "jobs": args.jobs}
    with open(raw_path(args), "w") as f:
        json.dump({"format": RAW_FORMAT, "boots": records, "kernel_sizes": sizes, "wall_s": wall,
                   "argv": argv,
                   "provenance": provenance}, f, indent=1)
    failed = [r for r in records if r["errors"]]
    report(records, sizes, wall, argv, OUT_TRIAL if args.no_report else HERE, out, provenance)
    print(f"bench: {len(records) - len(failed)} boots ok, {len(failed)} failed; "
          f"{wall / 60:.1f} min")
    sys.exit(1 if failed else 0)


# raw.json's layout: 2 adds the provenance, the segment marks and the
# snapshots after leaving; a report needs them all.
RAW_FORMAT = 2


def raw_path(args):
    """Where the raw data go: a trial run (--no-report) keeps the data the
    committed report came from."""
    return os.path.join(OUT_TRIAL if args.no_report else OUT, "raw.json")


def config_hash(variant):
    with open(os.path.join(BUILD, f"obj-{ARCH}-{variant}", ".config"), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def report(records, sizes, wall, argv, report_dir, data_dir, provenance):
    """Everything after the boots, from the raw data alone."""
    payloads = [p for p in ALL_PAYLOADS if any(r["payload"] == p for r in records)]
    archive_bytes = {r["payload"]: r["initrd_bytes"] for r in records}
    summary = summarize(records)
    console = {}
    # Paired by RAM step: (plain, nonroot) without and with quiet.
    quad = paired_values(records, CONSOLE_PAYLOAD, "init_ms",
                         [(c, q, KERNEL) for q in (False, True) for c in ("plain", "nonroot")])
    if quad:
        us = lambda f: statistics.fmean(f(*v) for v in quad) * 1000  # noqa: E731
        console = {"nonroot - plain, without quiet": us(lambda pv, nv, pq, nq: nv - pv),
                   "nonroot - plain, quiet": us(lambda pv, nv, pq, nq: nq - pq),
                   "the info line on the console (difference of the two)":
                       us(lambda pv, nv, pq, nq: (nv - pv) - (nq - pq)),
                   "every message on the console (plain without - with quiet)":
                       us(lambda pv, nv, pq, nq: pv - pq)}
    built_in = None
    pairs = paired(records, CONSOLE_PAYLOAD, "init_ms", "plain", "plain",
                   kernel_a=KERNEL_OFF, kernel_b=KERNEL)
    if pairs:
        built_in = mean_diff(pairs) * 1000
    targets = evaluate(summary, records, payloads, sizes[KERNEL][0], sizes[KERNEL_OFF][0],
                       archive_bytes)
    write_csv(os.path.join(data_dir, "summary.csv"), summary)
    with open(os.path.join(data_dir, "targets.json"), "w") as f:
        json.dump({"targets": targets, "console_us": console, "built_in_off_us": built_in},
                  f, indent=1)
    write_report(os.path.join(report_dir, "results.rst"), summary, records, payloads,
                 archive_bytes, sizes, console, built_in, targets, wall, argv, provenance)
    svg_plot(summary, payloads, os.path.join(report_dir, "results.svg"))
    for t, st, m, why in targets:
        print(f"bench: target {st:12} {t}: {m} {why}".rstrip())
    print(f"bench: report: {os.path.join(report_dir, 'results.rst')}")


if __name__ == "__main__":
    main()
