#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot a kernel and an initramfs in QEMU (TCG) and save the serial log.

The guest ends the run by rebooting (QEMU runs with -no-reboot, and the
kernel with panic=-1, so a panic ends it too); a hard timeout ends a hung
guest. Nothing here decides pass or fail: callers read the log.
"""

import argparse
import os
import re
import subprocess
import sys
import time

# Every machine people run has more than one CPU, and SMP is where the
# races are: no boot runs on one CPU unless it asks for it.
DEFAULT_SMP = 2

# TCG threading. With one host thread per vCPU (multi), two SMP guests on a
# 2-core host spin on each other's descheduled vCPUs (IPIs, spinlocks):
# measured here, two 2-CPU boots side by side took 2.8 times as long as one
# alone, against 1.05 times with all vCPUs of a guest on one host thread
# (single). Boots run side by side, so single is the default; the few that
# need CPUs that really run at once ask for multi (boot()'s mttcg).

ARCHES = {
    "x86_64": {
        "image": "arch/x86/boot/bzImage",
        "qemu": ["qemu-system-x86_64", "-M", "pc", "-cpu", "qemu64"],
        # qboot starts faster than SeaBIOS, but hangs with a virtio disk.
        "fast_firmware": ["-bios", "/usr/share/qemu/qboot.rom"],
        # A loaded host makes the IO-APIC timer check fail and panic.
        "cmdline": "console=ttyS0 no_timer_check",
    },
    "arm64": {
        "image": "arch/arm64/boot/Image",
        "qemu": ["qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a57"],
        "fast_firmware": [],
        # The PL011 driver comes up after mnt_init(): earlycon shows what
        # happens before, a panic there included.
        "cmdline": "console=ttyAMA0 earlycon",
    },
}


class Boot:
    """The outcome of one boot: the serial log and how QEMU ended."""

    def __init__(self, log, timed_out, seconds, cmd):
        self.log = log
        self.timed_out = timed_out
        self.seconds = seconds
        self.cmd = cmd


def kernel_image(build, arch, variant=""):
    obj = os.path.join(build, f"obj-{arch}" + (f"-{variant}" if variant else ""))
    return os.path.join(obj, ARCHES[arch]["image"])


def boot(kernel, initrd, append, log_path, arch="x86_64", mem="256M",
         timeout=120, extra=(), disk=None, smp=DEFAULT_SMP, mttcg=False):
    """Boots once; returns a Boot. `append` is added to the console setup;
    `disk` is a raw image attached as a virtio disk (changes are discarded);
    `mttcg` runs each vCPU on a host thread of its own."""
    a = ARCHES[arch]
    if disk:
        extra = [*extra, "-drive", f"id=disk,if=none,file={disk},format=raw,snapshot=on",
                 "-device", "virtio-blk-pci,drive=disk"]
    else:
        extra = [*a["fast_firmware"], *extra]
    cmdline = f"{a['cmdline']} panic=-1 {append}".strip()
    cmd = [*a["qemu"], "-accel", f"tcg,thread={'multi' if mttcg else 'single'}", "-nodefaults", "-display", "none", "-no-reboot",
           "-smp", str(smp), "-m", mem, "-kernel", kernel,
           "-chardev", f"file,id=con,path={log_path}", "-serial", "chardev:con",
           "-append", cmdline, *extra]
    if initrd:
        cmd += ["-initrd", initrd]
    start = time.monotonic()
    timed_out = False
    with open(log_path + ".qemu", "w") as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            proc.kill()
            proc.wait()
    with open(log_path, "rb") as f:
        log = f.read().decode("utf-8", "replace")
    return Boot(log, timed_out, time.monotonic() - start, cmd)


# What the kernel prints when something went wrong in it: oopses, BUG()s and
# WARN()s, KASAN, lockdep, RCU and might_sleep() reports, kmemleak's
# (printed when the guest reads the report), and any stack trace.
KERNEL_REPORTS = re.compile(
    r"Oops|\bBUG:|kernel BUG at|WARNING:|KASAN:|UBSAN:|Unable to handle kernel|"
    r"Internal error:|possible circular locking|inconsistent lock state|"
    r"possible recursive locking|suspicious RCU usage|detected stalls?\b|"
    r"blocked for more than|sleeping function called from invalid context|"
    r"unreferenced object|suspected memory leaks|(?i:call trace:)|Kernel panic")


def kernel_reports(log, allowed=()):
    """The kernel's report lines in `log`, with a few lines of context each.
    `allowed` are patterns of reports the caller expects (a panic it asked
    for): from the first line matching one of them on, nothing is reported."""
    lines = log.splitlines()
    found = []
    for i, line in enumerate(lines):
        if any(re.search(a, line) for a in allowed):
            break
        if KERNEL_REPORTS.search(line):
            found.extend(lines[i:i + 4])
            found.append("")
    return found


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--arch", default=os.environ.get("ARCH", "x86_64"), choices=ARCHES)
    p.add_argument("--kernel", required=True)
    p.add_argument("--initrd")
    p.add_argument("--append", default="")
    p.add_argument("--mem", default="256M")
    p.add_argument("--timeout", type=int, default=120)
    p.add_argument("--smp", type=int, default=DEFAULT_SMP)
    p.add_argument("--mttcg", action="store_true", help="a host thread per vCPU")
    p.add_argument("--log", required=True)
    args = p.parse_args()
    b = boot(args.kernel, args.initrd, args.append, args.log, args.arch,
             args.mem, args.timeout, smp=args.smp, mttcg=args.mttcg)
    sys.stdout.write(b.log)
    if b.timed_out:
        sys.exit(f"qemu_run: no reboot after {args.timeout} s; killed (log: {args.log})")


if __name__ == "__main__":
    main()
