#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Count where the feature's boot time goes, instruction by instruction.

Under -icount shift=3,sleep=off every guest instruction advances virtual
time by 8 ns and idle time costs nothing, so the difference in instructions
executed between two cells is the difference in their boot time, and it can
be split by kernel function. This boots two cells of make bench (plain0 and
nonroot by default) on the no-tests kernel with QEMU's TB trace
(-d exec,nochain,in_asm) streamed through a FIFO, counts the instructions of
every executed translation block by (phase, function) with System.map, and
writes tools/bench/profile.rst (with --no-report, build/bench/trial/).

A phase starts at the first execution of a marker function's entry and runs
until the next marker, on every CPU. The report checks itself: the
instruction difference from power-on to free_initmem() times 8 ns against
the measured difference of the time to the final init, which also holds
the few hundred microseconds from free_initmem() on.
"""

import argparse
import bisect
import collections
import concurrent.futures
import datetime
import errno
import os
import sys
import threading

import bench

import mutate

NS_PER_INSN = 8  # -icount shift=3
# Kernel start, the feature's mount, SMP bring-up, devtmpfs, the ACPI
# initcalls (the allocation-heavy part of the boot), the unpack, and the
# end of the kernel's init (after which the cells' userspace differs).
MARKERS = ["start_kernel", "mnt_init", "rest_init", "smp_init", "devtmpfs_init",
           "acpi_init", "acpi_load_tables", "acpi_bus_scan", "populate_rootfs",
           "free_initmem"]
BEFORE = "power_on"  # the phase before the first marker: firmware, decompressor
TOP = 12
CHECK_SLACK_US = 300
REPORT = os.path.join(bench.HERE, "profile.rst")
SYSTEM_MAP = os.path.join(bench.BUILD, f"obj-{bench.ARCH}-{bench.KERNEL}", "System.map")


class Symbols:
    def __init__(self, system_map):
        syms = []
        with open(system_map) as f:
            for line in f:
                addr, kind, name = line.split()[:3]
                if kind in "tTwW":
                    syms.append((int(addr, 16), name))
        syms.sort()
        self.addrs = [a for a, _ in syms]
        self.names = [n for _, n in syms]
        self.by_name = {n: a for a, n in syms}

    def function(self, pc):
        i = bisect.bisect_right(self.addrs, pc) - 1
        # Text symbols start at _text; anything below is not the kernel's.
        return self.names[i] if i >= 0 and pc >= self.by_name["_text"] else "<not kernel text>"


def count(stream, symbols):
    """Instructions per (phase, pc) from a -d exec,nochain,in_asm log.

    An in_asm block (the guest instructions of a new TB) comes right before
    the TB's first "Trace" line, which names the TB by its host address; a
    TB executed again is found by that address. Keying by the guest pc
    alone miscounts: under -icount QEMU also translates shorter TBs at the
    same pc to stop exactly at a timer deadline.
    """
    markers = {symbols.by_name[m]: m for m in MARKERS}
    insns_of = {}
    counts = collections.defaultdict(int)
    phases = [BEFORE]
    block_pc, block_len, in_block = None, 0, False
    for line in stream:
        if line.startswith("Trace "):
            colon = line.index(":")
            host = line[colon + 2:line.index(" [")]
            pc = int(line.split("/", 2)[1], 16)
            if block_pc is not None:
                if block_pc == pc:
                    insns_of[host] = block_len
                block_pc = None
            if pc in markers and markers[pc] not in phases:
                phases.append(markers.pop(pc))
            counts[(phases[-1], pc)] += insns_of.get(host, 1)
        elif line.startswith("0x"):
            if not in_block:
                block_pc, block_len, in_block = int(line[:line.index(":")], 16), 0, True
            block_len += 1
        else:
            in_block = False
    by_fn = collections.defaultdict(int)
    for (phase, pc), n in counts.items():
        by_fn[(phase, symbols.function(pc))] += n
    return phases, by_fn


def profile_boot(cell, payload, image, symbols, log_dir):
    fifo = os.path.join(log_dir, f"{cell}.trace")
    if os.path.exists(fifo):
        os.unlink(fifo)
    os.mkfifo(fifo)
    result = {}

    def reader():
        with open(fifo, errors="replace") as f:
            result["phases"], result["insns"] = count(f, symbols)

    t = threading.Thread(target=reader)
    t.start()
    rec = bench.run_boot((cell, payload, 0, True, bench.KERNEL, image),
                         qemu_extra=["-d", "exec,nochain,in_asm", "-D", fifo])
    # If QEMU failed before opening the trace, the reader still waits in
    # open(): a writer of our own releases it. ENXIO: the reader is done.
    try:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    except OSError as e:
        if e.errno != errno.ENXIO:
            raise
    t.join()
    os.unlink(fifo)
    rec.update(result)
    return rec


def phase_totals(rec):
    tot = collections.defaultdict(int)
    for (phase, _), n in rec["insns"].items():
        tot[phase] += n
    return tot


def us(insns):
    return insns * NS_PER_INSN / 1000


def write_report(path, a, b, payload, wall, provenance):
    ta, tb = phase_totals(a), phase_totals(b)
    phases = list(dict.fromkeys(a["phases"] + b["phases"]))
    kernel_init = phases[:phases.index("free_initmem")] if "free_initmem" in phases else phases
    counted = sum(tb[p] - ta[p] for p in kernel_init)
    measured = (b["init_ms"] - a["init_ms"]) * 1000
    out = [".. SPDX-License-Identifier: GPL-2.0", "", "=" * 28, "Where the fixed cost goes",
           "=" * 28, "",
           "Generated by ``make bench-profile`` (``tools/bench/tbprofile.py``); do not",
           "edit. See the script's docstring for the method.", "",
           f"- commit: {provenance['commit']}; {provenance['date']}",
           f"- kernel: ``{bench.KERNEL}``, ``.config`` sha256 ``{provenance['config']}``",
           f"- payload {payload}, boot 0 (-m {bench.guest_mem(0)}), -smp {bench.SMP}; "
           f"cells {a['cell']} (A) and {b['cell']} (B); {wall / 60:.1f} minutes of wall time",
           "- QEMU (cell B)::", "", "    " + " ".join(b["qemu"]), "",
           "Phases", "======", "",
           "A phase starts at the first execution of its function's entry on any CPU",
           "and runs to the next phase, on every CPU; instructions, and B - A in",
           f"microseconds at {NS_PER_INSN} ns each.", ""]
    rows = [[p, str(ta[p]), str(tb[p]), f"{tb[p] - ta[p]:+d}", f"{us(tb[p] - ta[p]):+.1f}"]
            for p in phases]
    out.append(bench.rst_table(["phase", "A insns", "B insns", "B - A", "B - A us"], rows))
    out += ["", "The check: the instructions from power-on to ``free_initmem()`` account for "
            f"{us(counted):+.1f} us of B - A; the measured difference of the time to the final "
            f"init is {measured:+.1f} us (it also holds the rest of the kernel's init and the "
            "exec of /init, which the phases after ``free_initmem()`` mix with userspace).", ""]
    out += ["Functions", "=========", "",
            f"Per phase up to ``free_initmem()``, the {TOP} functions with the largest "
            "|B - A|, in instructions.", ""]
    for p in kernel_init:
        fns = {fn for (ph, fn) in list(a["insns"]) + list(b["insns"]) if ph == p}
        diff = {fn: b["insns"].get((p, fn), 0) - a["insns"].get((p, fn), 0) for fn in fns}
        top = sorted((fn for fn in diff if diff[fn]), key=lambda fn: (-abs(diff[fn]), fn))[:TOP]
        if not top:
            continue
        out += [f"``{p}`` ({us(tb[p] - ta[p]):+.1f} us):", ""]
        out.append(bench.rst_table(["function", "A", "B", "B - A"],
                                   [[f"``{fn}``", str(a["insns"].get((p, fn), 0)),
                                     str(b["insns"].get((p, fn), 0)), f"{diff[fn]:+d}"]
                                    for fn in top]))
        out.append("")
    with open(path, "w") as f:
        f.write("\n".join(out))
    return counted, measured


def run(args):
    payload = args.payload
    cells = args.cells.split(",")
    if len(cells) != 2 or not all(c in bench.CELL for c in cells):
        sys.exit(f"profile: --cells wants two of {','.join(bench.CELL)}")
    out = bench.OUT_TRIAL if args.no_report else bench.OUT
    log_dir = os.path.join(out, "profile")
    bench.LOG_DIR = log_dir
    os.makedirs(log_dir, exist_ok=True)
    images = os.path.join(bench.OUT, "images")
    os.makedirs(images, exist_ok=True)
    image = bench.build_archive(images, payload, bench.build_init(images))
    symbols = Symbols(SYSTEM_MAP)
    start = datetime.datetime.now()
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        a, b = pool.map(lambda c: profile_boot(c, payload, image, symbols, log_dir), cells)
    wall = (datetime.datetime.now() - start).total_seconds()
    for rec in (a, b):
        if rec["errors"] or "insns" not in rec:
            sys.exit(f"profile: cell {rec['cell']}: {'; '.join(rec['errors']) or 'no trace'}")
    provenance = {"commit": mutate.repo_commit(),
                  "date": f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
                  "config": bench.config_hash(bench.KERNEL)}
    path = os.path.join(out, "profile.rst") if args.no_report else REPORT
    counted, measured = write_report(path, a, b, payload, wall, provenance)
    print(f"profile: {path}: kernel init {us(counted):+.1f} us counted, "
          f"{measured:+.1f} us measured to the final init")
    # What runs from free_initmem() to the final init is a few hundred
    # microseconds; a count further off than that is miscounted.
    if abs(us(counted) - measured) > max(0.2 * abs(measured), CHECK_SLACK_US):
        sys.exit("profile: the count does not add up to the measured difference")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", default="plain0,nonroot", help="cells A,B (default plain0,nonroot)")
    ap.add_argument("--payload", default="4M-text-raw", choices=bench.ALL_PAYLOADS,
                    help="the payload (default 4M-text-raw: the shortest unpack)")
    ap.add_argument("--no-report", action="store_true",
                    help="write the report to build/bench/trial/profile.rst")
    ap.add_argument("--cmdline", default="", metavar="WORDS",
                    help="kernel command-line words added to both boots")
    args = ap.parse_args()
    bench.BASE_CMDLINE = " ".join([bench.BASE_CMDLINE, args.cmdline]).strip()
    if os.environ.get("ARCH", bench.ARCH) != bench.ARCH:
        sys.exit("profile: x86_64 only")
    if not os.path.exists(SYSTEM_MAP):
        sys.exit(f"profile: the {bench.KERNEL} kernel is missing; run 'make bench-profile'")
    run(args)


if __name__ == "__main__":
    main()
