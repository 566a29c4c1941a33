#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Build a newc cpio archive (an initramfs) from a declarative spec.

The spec uses the line format of the kernel's usr/gen_init_cpio
(Documentation/driver-api/early-userspace/early_userspace_support.rst):

    file  <name> <location> <mode> <uid> <gid> [<hard link> ...]
    dir   <name> <mode> <uid> <gid>
    nod   <name> <mode> <uid> <gid> <b|c> <maj> <min>
    slink <name> <target> <mode> <uid> <gid>
    pipe  <name> <mode> <uid> <gid>
    sock  <name> <mode> <uid> <gid>

plus one extension for dynamically linked programs:

    elf   <name> <location>   the program and its shared-library closure,
                              at the paths the dynamic loader expects

A location written as an absolute path names a file of the target system:
it is read from below $SYSROOT when that is set (the unpacked userspace of
another architecture, tools/sysroot.sh), and so are the libraries of an
`elf` line. Other locations are relative to the spec's directory, after
${VAR} is taken from the environment. Every entry gets the same mtime (-t,
default 0), so equal inputs give byte-identical archives. Directories are
created for parents that the spec does not list.
"""

import argparse
import glob
import gzip
import os
import re
import stat
import subprocess
import sys


class Archive:
    def __init__(self, mtime):
        self.mtime = mtime
        self.ino = 720
        self.out = bytearray()
        self.seen = set()

    def _entry(self, name, mode, uid, gid, nlink=1, data=b"", rdev=(0, 0), ino=None):
        name = name.lstrip("/") or "."
        if ino is None:
            self.ino += 1
            ino = self.ino
        fields = [ino, mode, uid, gid, nlink, self.mtime, len(data), 0, 0,
                  rdev[0], rdev[1], len(name.encode()) + 1, 0]
        self.out += b"070701" + b"".join(b"%08X" % f for f in fields)
        self.out += name.encode() + b"\0"
        self.out += b"\0" * (-len(self.out) % 4)
        self.out += data
        self.out += b"\0" * (-len(self.out) % 4)

    def parents(self, name):
        parts = name.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/" + "/".join(parts[:i])
            if d not in self.seen:
                self.add_dir(d, 0o755, 0, 0)

    def add_dir(self, name, mode, uid, gid):
        self.parents(name)
        self.seen.add(name.rstrip("/") or "/")
        self._entry(name, stat.S_IFDIR | mode, uid, gid, nlink=2)

    def add_file(self, name, location, mode, uid, gid, links=()):
        with open(location, "rb") as f:
            self.add_data(name, f.read(), mode, uid, gid, links)

    def add_data(self, name, data, mode, uid, gid, links=()):
        """A regular file with `data` as its content."""
        names = [name, *links]
        for n in names:
            self.parents(n)
        self.ino += 1
        for i, n in enumerate(names):
            self.seen.add(n)
            last = i == len(names) - 1
            self._entry(n, stat.S_IFREG | mode, uid, gid, nlink=len(names),
                        data=data if last else b"", ino=self.ino)

    def add_node(self, name, mode, uid, gid, kind, major, minor):
        self.parents(name)
        self.seen.add(name)
        fmt = {"b": stat.S_IFBLK, "c": stat.S_IFCHR}[kind]
        self._entry(name, fmt | mode, uid, gid, rdev=(major, minor))

    def add_symlink(self, name, target, mode, uid, gid):
        self.parents(name)
        self.seen.add(name)
        self._entry(name, stat.S_IFLNK | mode, uid, gid, data=target.encode())

    def add_special(self, name, fmt, mode, uid, gid):
        self.parents(name)
        self.seen.add(name)
        self._entry(name, fmt | mode, uid, gid)

    def add_elf(self, name, location):
        """A dynamically linked program and the libraries it loads."""
        self.add_file(name, location, 0o755, 0, 0)
        for lib in shared_libraries(location):
            if lib not in self.seen:
                self.add_file(lib, in_sysroot(lib), 0o755, 0, 0)

    def finish(self):
        self._entry("TRAILER!!!", 0, 0, 0, nlink=1, ino=0)
        self.out += b"\0" * (-len(self.out) % 512)
        return bytes(self.out)


SYSROOT = os.environ.get("SYSROOT") or "/"


def in_sysroot(path):
    """The host path of `path` in the target system, with its symbolic
    links resolved inside SYSROOT (an absolute target starts over there)."""
    parts, done, hops = path.strip("/").split("/"), "", 0
    while parts:
        part = parts.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            done = os.path.dirname(done)
            continue
        host = os.path.join(SYSROOT, done, part)
        if not os.path.islink(host):
            done = os.path.join(done, part)
            continue
        hops += 1
        if hops > 40:
            raise OSError(f"{path}: too many levels of symbolic links")
        target = os.readlink(host)
        if target.startswith("/"):
            done = ""
        parts = target.strip("/").split("/") + parts
    return os.path.join(SYSROOT, done)


def library_dirs():
    """Where the dynamic loader of the target system looks: the directories
    of its /etc/ld.so.conf.d (what Debian's /etc/ld.so.conf includes), then
    the default ones."""
    dirs = []
    for conf in sorted(glob.glob(os.path.join(in_sysroot("/etc/ld.so.conf.d"), "*.conf"))):
        with open(conf) as f:
            dirs += [line.strip() for line in f if line.startswith("/")]
    return dirs + ["/lib", "/usr/lib"]


def elf_dependencies(path):
    """The program interpreter (or None) and DT_NEEDED names of an ELF file."""
    res = subprocess.run(["llvm-readelf", "--program-headers", "--dynamic-table", path],
                         capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"mkinitramfs: llvm-readelf {path}: {res.stderr.strip()}")
    interp = re.search(r"\[Requesting program interpreter: (\S+)\]", res.stdout)
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(\S+)\]", res.stdout)
    return interp and interp.group(1), needed


def shared_libraries(path):
    """The paths in the target system of what `path` loads, recursively:
    its interpreter and the libraries the loader would find."""
    dirs = library_dirs()
    interp, needed = elf_dependencies(path)
    libs = [interp] if interp else []
    # The interpreter is loaded already: libc's DT_NEEDED on it is met.
    loaded = {os.path.basename(lib) for lib in libs}
    while needed:
        name = needed.pop(0)
        if name in loaded:
            continue
        found = [os.path.join(d, name) for d in dirs
                 if os.path.isfile(in_sysroot(os.path.join(d, name)))]
        if not found:
            sys.exit(f"mkinitramfs: {path}: {name} not found in {SYSROOT}")
        loaded.add(name)
        libs.append(found[0])
        needed += elf_dependencies(in_sysroot(found[0]))[1]
    return libs


def expand(location, spec_dir):
    if location.startswith("/"):
        return in_sysroot(location)
    location = re.sub(r"\$\{(\w+)\}", lambda m: os.environ.get(m.group(1), ""), location)
    return os.path.join(spec_dir, location)


def build(spec_path, archive):
    spec_dir = os.path.dirname(os.path.abspath(spec_path))
    with open(spec_path) as spec:
        for lineno, line in enumerate(spec, 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            kind, args = words[0], words[1:]
            try:
                if kind == "file":
                    name, loc, mode, uid, gid, *links = args
                    archive.add_file(name, expand(loc, spec_dir), int(mode, 8),
                                     int(uid), int(gid), links)
                elif kind == "dir":
                    name, mode, uid, gid = args
                    archive.add_dir(name, int(mode, 8), int(uid), int(gid))
                elif kind == "nod":
                    name, mode, uid, gid, dev, major, minor = args
                    archive.add_node(name, int(mode, 8), int(uid), int(gid), dev,
                                     int(major), int(minor))
                elif kind == "slink":
                    name, target, mode, uid, gid = args
                    archive.add_symlink(name, target, int(mode, 8), int(uid), int(gid))
                elif kind in ("pipe", "sock"):
                    name, mode, uid, gid = args
                    fmt = stat.S_IFIFO if kind == "pipe" else stat.S_IFSOCK
                    archive.add_special(name, fmt, int(mode, 8), int(uid), int(gid))
                elif kind == "elf":
                    name, loc = args
                    archive.add_elf(name, expand(loc, spec_dir))
                else:
                    raise ValueError(f"unknown entry type '{kind}'")
            except (ValueError, KeyError, OSError) as e:
                sys.exit(f"mkinitramfs: {spec_path}:{lineno}: {e}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("spec", nargs="+", help="spec files, added in order")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("-t", "--mtime", type=int, default=0)
    p.add_argument("-z", "--gzip", action="store_true", help="gzip the archive")
    args = p.parse_args()

    archive = Archive(args.mtime)
    for spec in args.spec:
        build(spec, archive)
    data = archive.finish()
    if args.gzip:
        data = gzip.compress(data, mtime=0)
    tmp = args.output + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, args.output)


if __name__ == "__main__":
    main()
