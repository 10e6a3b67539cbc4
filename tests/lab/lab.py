#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""APF Suite VM lab: real KVM and real async page faults on a machine
without hardware virtualization (DESIGN.md "Test lab").

An L1 "host" runs under QEMU's emulator (TCG, -cpu EPYC,+svm) and loads
kvm_amd; it runs an L2 guest with KVM under a memory cgroup, with swap on a
virtio disk, and an L2 workload that overcommits it.  See README.md.

  lab.py build [--kernels K]                build (or reuse) the images
  lab.py run [--kernels K] SCENARIO...     run scenarios, print the table
                                           (K: stock, ours, debug or kcsan)
  lab.py smoke                              scenario a, stock kernels
  lab.py check                              scenarios b-f and h, our kernels
  lab.py table [SCENARIO...]                the table of the last results
  lab.py bench [CONFIG...] [--swap-iops L]  the throughput benchmark (bench/) in L1
  lab.py bench-smoke                        one run each of off, halt, pv: mode invariants
  lab.py selftest --bin PATH [--kernels K]  one static binary (a KVM selftest) in L1
  lab.py selftest --bin DIR [--tests A,B]   a directory of them, one L1 boot, one line each
"""
import argparse
import atexit
import gzip
import hashlib
import io
import json
import lzma
import os
import re
import select
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from scenarios import SCENARIOS, evaluate, table_row, TABLE_HEAD
import arm64lab
import benchlab
import stresslab

LAB = Path(__file__).resolve().parent
REPO = LAB.parent.parent
BUILD = Path(os.environ.get("LAB_BUILD", LAB / "build")).resolve()
GUEST = LAB / "guest"
SRC = LAB / "src"
HOST_QEMU = "/usr/bin/qemu-system-x86_64"
# L0: the emulator that runs L1 (set by main(), see l0_qemu()); L1's own
# QEMU, in its initramfs, stays HOST_QEMU.
L0_QEMU = HOST_QEMU
BUSYBOX = "/bin/busybox"
ROMS = ["bios-256k.bin", "vgabios-stdvga.bin", "kvmvapic.bin",
        "linuxboot_dma.bin", "linuxboot.bin"]
ROM_DIRS = ["/usr/share/qemu", "/usr/share/seabios", "/usr/lib/ipxe/qemu"]
STOCK_PATTERN = "linux-image-6.12.*+deb12-amd64"
# Modules a modular (Debian) L1 kernel needs, with their dependencies.
STOCK_L1_MODULES = ["virtio_blk", "kvm_amd"]
OUR_KERNELS = REPO / "kernel" / "build" / "lab"

VERBOSE = False
# x86_64, or arm64: the aarch64 lab (arm64lab.py; main() moves BUILD to
# build/arm64, so that its images and results stand apart).
ARCH = "x86_64"


def log(msg):
    print(f"lab: {msg}", file=sys.stderr, flush=True)


def die(msg, code=1):
    log(f"error: {msg}")
    sys.exit(code)


def run(cmd, **kw):
    kw.setdefault("check", True)
    return subprocess.run(cmd, **kw)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def key_of(*parts):
    """A cache key over files (their content) and strings."""
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, Path):
            h.update(str(p).encode())
            h.update(sha256(p).encode() if p.exists() else b"missing")
        else:
            h.update(str(p).encode())
        h.update(b"\0")
    return h.hexdigest()


def cached(out, key):
    stamp = Path(str(out) + ".key")
    return out.exists() and stamp.exists() and stamp.read_text() == key


def set_cached(out, key):
    Path(str(out) + ".key").write_text(key)


# ---------------------------------------------------------------- cpio --
class Cpio:
    """A newc cpio archive written from a list of entries (no staging
    tree, no root needed, reproducible: mtime 0, uid/gid 0)."""

    def __init__(self):
        self.entries = {}   # path -> (kind, mode, data-or-target)

    def _parents(self, path):
        parts = path.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            self.entries.setdefault(d, ("dir", 0o755, None))

    def dir(self, path, mode=0o755):
        path = path.strip("/")
        self._parents(path)
        self.entries[path] = ("dir", mode, None)

    def file(self, path, data=None, src=None, mode=None):
        path = path.strip("/")
        if data is None:
            data = Path(src).read_bytes()
            if mode is None:
                mode = stat.S_IMODE(os.stat(src).st_mode)
        self._parents(path)
        self.entries[path] = ("file", mode if mode is not None else 0o644, data)

    def symlink(self, path, target):
        path = path.strip("/")
        self._parents(path)
        self.entries[path] = ("link", 0o777, target.encode())

    def write(self, out, compress=True):
        buf = io.BytesIO()
        ino = 1000

        def hdr(name, mode, size, nlink=1):
            nonlocal ino
            ino += 1
            nb = name.encode() + b"\0"
            fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, len(nb), 0]
            buf.write(b"070701" + b"".join(b"%08X" % f for f in fields) + nb)
            buf.write(b"\0" * ((4 - buf.tell() % 4) % 4))

        for path in sorted(self.entries):
            kind, mode, data = self.entries[path]
            if kind == "dir":
                hdr(path, stat.S_IFDIR | mode, 0, 2)
            else:
                hdr(path, (stat.S_IFREG if kind == "file" else stat.S_IFLNK) | mode, len(data))
                buf.write(data)
                buf.write(b"\0" * ((4 - buf.tell() % 4) % 4))
        hdr("TRAILER!!!", 0, 0)
        raw = buf.getvalue()
        tmp = Path(str(out) + ".tmp")
        with open(tmp, "wb") as f:
            f.write(gzip.compress(raw, compresslevel=1, mtime=0) if compress else raw)
        tmp.rename(out)
        return len(raw)


def ldd_libs(binary):
    """The shared libraries of a binary (paths as the loader names them)."""
    out = run(["ldd", str(binary)], capture_output=True, text=True).stdout
    libs = []
    for line in out.splitlines():
        m = re.search(r"=>\s+(/\S+)", line) or re.match(r"\s*(/\S+)\s+\(", line)
        if m:
            libs.append(m.group(1))
    return libs


def add_binary_with_libs(cpio, src, dest):
    cpio.file(dest, src=src, mode=0o755)
    for lib in ldd_libs(src):
        cpio.file(lib, data=Path(lib).read_bytes(), mode=0o755)


# ----------------------------------------------------------- builders --
STATIC_TOOLS = (("labmon", []), ("labwl", ["-pthread"]), ("labexit", ["-pthread"]),
                ("labqmp", []))


def build_static_tools(cross="", names=None):
    """labmon, labwl, labexit and labqmp (or names of them), static (they
    run in initramfs without libraries); cross: a cross compiler's prefix
    (aarch64-linux-gnu- for the aarch64 lab)."""
    out = {}
    bindir = BUILD / "bin"
    bindir.mkdir(parents=True, exist_ok=True)
    cc = cross + "gcc"
    cc_ver = run([cc, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    for name, extra in STATIC_TOOLS:
        if names is not None and name not in names:
            continue
        src = SRC / f"{name}.c"
        dst = bindir / name
        k = key_of(src, cc_ver, extra)
        if not cached(dst, k):
            log(f"building {name} ({cross + 'gcc, ' if cross else ''}static)")
            run([cc, "-O2", "-Wall", "-Wextra", "-Werror", "-static", *extra,
                 "-o", str(dst), str(src)])
            set_cached(dst, k)
        out[name] = dst
    return out


def build_apfctl(cross=""):
    """apfctl linked statically for the initramfs.  Its own Makefile builds
    the objects (and knows when to rebuild them); ICU, which Debian's static
    libxml2 pulls in with 30 MB of data, is replaced by src/icu-stub.c.
    cross: a cross compiler's prefix (aarch64-linux-gnu- for the aarch64
    lab), with the foreign architecture's static libraries and .pc files
    (libjson-c-dev:arm64, libxml2-dev:arm64: make arm64-deps)."""
    b = BUILD / "apfctl"
    b.mkdir(parents=True, exist_ok=True)
    gnu = cross.rstrip("-") or "x86_64-linux-gnu"
    cc = cross + "gcc"
    libxml = Path(f"/usr/lib/{gnu}/libxml2.a")
    if cross and not libxml.exists():
        die(f"no {libxml}: apt-get install libjson-c-dev:arm64 libxml2-dev:arm64 "
            "liblzma-dev:arm64 zlib1g-dev:arm64 (make arm64-deps)")
    nm = run([cross + "nm", "-u", str(libxml)], capture_output=True,
             text=True, check=False).stdout
    m = re.search(r"\bucnv_open(_\d+)\b", nm)
    libs = "-ljson-c -lxml2 -lz -llzma -ldl -lm"
    if m:
        stub = b / "icu-stub.o"
        k = key_of(SRC / "icu-stub.c", m.group(1), cc)
        if not cached(stub, k):
            run([cc, "-O2", "-c", f"-DICU_SUFFIX={m.group(1)}", "-o", str(stub),
                 str(SRC / "icu-stub.c")])
            set_cached(stub, k)
        libs = f"{stub} {libs}"
    env = dict(os.environ)
    make_vars = []
    if cross:
        # pkg-config of this machine, reading the foreign .pc files
        env["PKG_CONFIG_LIBDIR"] = f"/usr/lib/{gnu}/pkgconfig:/usr/share/pkgconfig"
        make_vars = [f"CC={cc}", f"AR={cross}ar"]
    # Relink every time (a second): make would not notice changed LDLIBS.
    (b / "apfctl").unlink(missing_ok=True)
    r = run(["make", "-s", "-C", str(REPO / "tools" / "apfctl"), f"BUILD={b}", *make_vars,
             "LDFLAGS=-static", f"LDLIBS={libs}", f"{b}/apfctl"],
            capture_output=True, text=True, check=False, env=env)
    if r.returncode:
        sys.stderr.write(r.stdout + r.stderr)
        die("static apfctl build failed")
    dst = BUILD / "bin" / "apfctl"
    dst.parent.mkdir(parents=True, exist_ok=True)
    run([cross + "strip", "-o", str(dst), str(b / "apfctl")])
    return dst


def stock_kernel():
    """Debian's newest linux-image-6.12 (bookworm-backports), downloaded with
    apt-get download and unpacked once.  LAB_STOCK_DEB pins a .deb file."""
    debs = BUILD / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    deb = os.environ.get("LAB_STOCK_DEB")
    if deb:
        deb = Path(deb).resolve()
    else:
        r = run(["apt-cache", "pkgnames", "linux-image-6.12."], capture_output=True,
                text=True, check=False)
        pkgs = [p for p in r.stdout.split() if re.fullmatch(r"linux-image-6\.12\.\d+\+deb12-amd64", p)]
        pkgs.sort(key=lambda p: int(re.search(r"6\.12\.(\d+)", p).group(1)))
        have = sorted(debs.glob("linux-image-6.12.*+deb12-amd64_*.deb"),
                      key=lambda p: int(re.search(r"6\.12\.(\d+)", p.name).group(1)))
        if pkgs:
            want = pkgs[-1]
            found = [p for p in have if p.name.startswith(want + "_")]
            if found:
                deb = found[-1]
            else:
                log(f"downloading {want} (apt-get download)")
                r = run(["apt-get", "download", "-q", want], cwd=debs, check=False,
                        capture_output=True, text=True)
                found = sorted(debs.glob(want + "_*.deb"))
                if r.returncode or not found:
                    sys.stderr.write(r.stdout + r.stderr)
                    if not have:
                        die(f"cannot download {want}; run 'apt-get update' (bookworm-backports) "
                            "or set LAB_STOCK_DEB")
                    found = have
                deb = found[-1]
        elif have:
            deb = have[-1]
        else:
            die(f"no {STOCK_PATTERN} package known to apt: enable bookworm-backports "
                "(make deps) or set LAB_STOCK_DEB")
    x = BUILD / "stock" / deb.stem
    done = x / ".unpacked"
    if not done.exists():
        log(f"unpacking {deb.name}")
        shutil.rmtree(x, ignore_errors=True)
        x.mkdir(parents=True)
        run(["dpkg-deb", "-x", str(deb), str(x)])
        done.write_text(deb.name)
    vmlinuz = sorted((x / "boot").glob("vmlinuz-*"))
    if not vmlinuz:
        die(f"{deb.name} has no /boot/vmlinuz-*")
    ver = vmlinuz[0].name[len("vmlinuz-"):]
    if not re.match(r"6\.12\.", ver):
        log(f"warning: stock kernel {ver} is not 6.12: a 6.1 L1 handles random swap-ins "
            "synchronously (DESIGN.md), expect few APF events")
    return {"kind": "stock", "deb": deb.name, "version": ver, "root": x,
            "l1": vmlinuz[0], "l2": vmlinuz[0]}


# ours and their checker builds (make -C kernel lab-debug, lab-kcsan): on
# those, any checker report fails a scenario.
CHECKED_KINDS = ("debug", "kcsan")
CHECKED_SLOWDOWN = 3     # their time limits, times the normal ones
# A migration hop reads L2's swapped-out RAM back through L1's swap-in
# path, which KASAN, lockdep and kmemleak slow down more than the rest:
# scenario g's pre-copy ran at 0.42 MB/s on the debug L1 against 2-3 MB/s
# on ours (results/2026-12-04-debug-kernels/g-attempts.md), about 410 MB
# of L2's RAM not zero, so a hop there needs 1000-1200 s.
MIGRATE_SLOWDOWN = {"debug": 7, "kcsan": CHECKED_SLOWDOWN}
# How much longer a migrating run's workload lasts there: its hops must
# end while it runs.  On the debug kernels g's hops took 21 + 530 + 423 s
# (2026-12-05, SCHED_IDLE builds beside it) inside 2 x 1050 s of phases
# (x7), so every run idled for about 1100 s at the end and g took about
# 2.4 h; x5 (2 x 750 s) still leaves 550 s, g about 1.9 h.
MIGRATE_WL_SCALE = {"debug": 5, "kcsan": CHECKED_SLOWDOWN}
KERNEL_KINDS = ("stock", "ours") + CHECKED_KINDS


def our_kernels(kind="ours"):
    """Our lab kernels; kind debug: lockdep, KASAN and kmemleak; kcsan."""
    sfx = "" if kind == "ours" else f"-{kind}"
    h, g = OUR_KERNELS / f"bzImage-host{sfx}", OUR_KERNELS / f"bzImage-guest{sfx}"
    # Development overrides: any bzImage for either level.
    h = Path(os.environ.get("LAB_L1_KERNEL", h))
    g = Path(os.environ.get("LAB_L2_KERNEL", g))
    if not h.exists() or not g.exists():
        die(f"our lab kernels are not built ({h.relative_to(REPO)}, {g.relative_to(REPO)}): "
            f"run 'make -C kernel lab{sfx}'" + ("" if sfx else " (or 'make lab-check', which does)"))
    key = OUR_KERNELS / f".key-host{sfx}"
    return {"kind": kind, "version": f"apf-lab{sfx}", "l1": h, "l2": g,
            "key": key.read_text().strip() if key.exists() else sha256(h)}


def kernels(kind):
    return stock_kernel() if kind == "stock" else our_kernels(kind)


def find_our_qemu():
    """The APF Suite QEMU that `make -C qemu build` leaves in
    qemu/build/x86_64 (LAB_APF_QEMU overrides), if any."""
    env = os.environ.get("LAB_APF_QEMU")
    if env:
        return Path(env) if Path(env).exists() else None
    p = REPO / "qemu" / "build" / "x86_64" / "qemu-system-x86_64"
    return p if p.is_file() and os.access(p, os.X_OK) else None


# Commands whose verdicts an unfixed L0 would spoil (its crashes look like
# ours): they refuse one unless LAB_ALLOW_UNFIXED_L0=1.  smoke (one short
# boot, also in make check, where QEMU is not built) only warns.
STRICT_L0_CMDS = ("check", "run", "bench", "bench-smoke", "stress", "selftest")
EXIT_UNFIXED_L0 = 8


def l0_qemu(strict=False):
    """The emulator that runs L1: LAB_L0_QEMU if set (an explicit choice:
    a diagnostic build, or Debian's to measure the crash rate before the
    fix), else the APF Suite QEMU, whose series carries the fixes for the
    emulator's nested-SVM corruption (qemu/patches/0007: other vCPUs
    clobbered CPU 0's GIF and NPT flags; 0008: VMRUN's injected interrupt
    delivered twice; Debian's QEMU crashes L1 and L2 within minutes under
    the swap load).  Without it: refused when strict (exit 8) unless
    LAB_ALLOW_UNFIXED_L0=1, else Debian's, with a warning."""
    env = os.environ.get("LAB_L0_QEMU")
    if env:
        if not l0_has_fix(env):
            log(f"note: LAB_L0_QEMU={env} is not our QEMU +apf{LAB_MIN_APF_RELEASE} or later; "
                "its results are recorded with its version")
        return env
    ours = find_our_qemu()
    if ours and l0_has_fix(ours):
        return str(ours)
    if ours:
        why = (f"{ours} is an older build ({first_line([str(ours), '--version'])}), "
               f"not +apf{LAB_MIN_APF_RELEASE} or later with qemu/patches/0007 and 0008")
    else:
        why = "no APF Suite QEMU (qemu/build/x86_64/qemu-system-x86_64)"
    if strict and os.environ.get("LAB_ALLOW_UNFIXED_L0") != "1":
        die(f"{why}: Debian's QEMU as L0 lacks the TCG nested-SVM fixes and crashes L1 under "
            "load; run make -C qemu build (make lab-check does), or set LAB_L0_QEMU, or "
            "LAB_ALLOW_UNFIXED_L0=1 to go on with Debian's (recorded)", EXIT_UNFIXED_L0)
    log(f"WARNING: {why}")
    log("WARNING: L0 is Debian's QEMU, without the TCG nested-SVM fixes (qemu/patches/0007, 0008): "
        "expect L1 crashes and L2 resets under load; make -C qemu build")
    return HOST_QEMU


def l0_facts():
    """What a result records of L0: path, version, sha256, and whether it
    carries the TCG fixes."""
    return {"path": L0_QEMU, "version": first_line([L0_QEMU, "--version"]),
            "sha256": file_digest(L0_QEMU), "has_tcg_fixes": l0_has_fix(L0_QEMU)}


# The first release of our QEMU with both TCG nested-SVM fixes (0007 came
# with 2, 0008 with 3), on the base they were first built on.  Later
# releases change what guests see (machine types, CPU properties), not
# L0's emulation, so any of them runs L1.  make rebase sets APF_RELEASE
# back to 1 on a new base, and it stops unless every patch applies, so
# any build on a newer Debian base carries the fixes too.
LAB_FIX_BASE = "1:10.0.13+ds-0+deb13u1"
LAB_MIN_APF_RELEASE = 3
QEMU_APF_VERSION_RE = re.compile(r"\((\S+)\+apf(\d+)\b")


def l0_has_fix(qemu):
    """Is this our QEMU with the TCG fixes?  Its --version carries
    (<Debian base>+apf<N>): N >= LAB_MIN_APF_RELEASE on LAB_FIX_BASE, any
    N on a newer base."""
    m = QEMU_APF_VERSION_RE.search(first_line([str(qemu), "--version"]) or "")
    if not m:
        return False
    base, release = m.group(1), int(m.group(2))
    if base == LAB_FIX_BASE:
        return release >= LAB_MIN_APF_RELEASE
    return subprocess.run(["dpkg", "--compare-versions", base, "gt", LAB_FIX_BASE],
                          check=False).returncode == 0


def file_digest(path):
    """sha256 of an L0 binary; of a wrapper script, also of every existing
    absolute path it names (the binary it execs)."""
    h = hashlib.sha256()
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    h.update(data)
    if data.startswith(b"#!"):
        for m in re.finditer(rb"(/[\w./+-]+)", data):
            f = Path(m.group(1).decode())
            if f.is_file() and f.stat().st_size < (1 << 30):
                h.update(f.read_bytes())
    return h.hexdigest()


def qemu_has_async_pf_prop(qemu):
    """Does this QEMU know -accel kvm,async-pf=...?  (the string is in the
    binary; asking QEMU itself needs a working /dev/kvm)."""
    try:
        with open(qemu, "rb") as f:
            return b"async-pf" in f.read()
    except OSError:
        return False


def rom_path(name):
    for d in ROM_DIRS:
        p = Path(d) / name
        if p.exists():
            return p.resolve()
    die(f"QEMU ROM {name} not found in {ROM_DIRS} (install seabios, ipxe-qemu, qemu-system-x86)")


def stock_modules(k, cpio):
    """Decompressed kvm/kvm_amd/virtio_blk modules (and their dependencies)
    of the stock kernel, a depmod -b'ed modules.dep, and /etc/lab-modules:
    the insmod order modprobe --show-depends gives."""
    root, ver = k["root"], k["version"]
    if not (root / "lib/modules" / ver / "modules.dep").exists():
        run(["/sbin/depmod", "-b", str(root), ver])
    order = []
    for m in STOCK_L1_MODULES:
        r = run(["/sbin/modprobe", "-d", str(root), "-S", ver, "--show-depends", m],
                capture_output=True, text=True)
        for line in r.stdout.splitlines():
            parts = line.split()
            if parts and parts[0] == "insmod" and parts[1] not in order:
                order.append(parts[1])
    modroot = BUILD / "stock" / f"modroot-{ver}"
    shutil.rmtree(modroot, ignore_errors=True)
    lines = []
    for src in order:
        rel = Path(src).relative_to(root)
        dst = Path(str(rel)[:-3]) if str(rel).endswith(".xz") else rel
        data = Path(src).read_bytes()
        if str(src).endswith(".xz"):
            data = lzma.decompress(data)
        (modroot / dst).parent.mkdir(parents=True, exist_ok=True)
        (modroot / dst).write_bytes(data)
        lines.append("/" + str(dst))
    mdir = modroot / "lib/modules" / ver
    (mdir / "modules.order").write_text("".join(
        str(Path(x).relative_to("/lib/modules/" + ver)) + "\n" for x in lines))
    (mdir / "modules.builtin").write_text("")
    (mdir / "modules.builtin.modinfo").write_text("")
    run(["/sbin/depmod", "-b", str(modroot), ver])
    for p in sorted(modroot.rglob("*")):
        if p.is_file():
            cpio.file("/" + str(p.relative_to(modroot)), data=p.read_bytes(), mode=0o644)
    cpio.file("/etc/lab-modules", data=("\n".join(lines) + "\n").encode())
    return lines


def is_static_elf(path):
    """True if the ELF file has no PT_INTERP (no dynamic loader)."""
    import struct
    with open(path, "rb") as f:
        h = f.read(64)
        if h[:4] != b"\x7fELF" or h[4] != 2:
            return False
        phoff, = struct.unpack_from("<Q", h, 32)
        phentsize, phnum = struct.unpack_from("<HH", h, 54)
        f.seek(phoff)
        ph = f.read(phentsize * phnum)
    return all(struct.unpack_from("<I", ph, i * phentsize)[0] != 3 for i in range(phnum))


def shown(path):
    """path for the log: relative to the lab, unless LAB_BUILD put it
    elsewhere."""
    return path.relative_to(LAB) if path.is_relative_to(LAB) else path


def add_busybox(cpio, busybox=BUSYBOX):
    """A static busybox as /bin/busybox: this machine's, or another
    architecture's (the aarch64 lab's, from busybox-static:arm64)."""
    if not Path(busybox).exists() or not is_static_elf(Path(busybox).resolve()):
        die(f"{busybox} is missing or not a static busybox"
            + (": install busybox-static" if busybox == BUSYBOX else ""))
    cpio.file("/bin/busybox", src=busybox, mode=0o755)
    # The applets /init needs before busybox --install.
    for a in ("sh", "mount", "mkdir"):
        cpio.symlink(f"/bin/{a}", "busybox")


def build_l2_initrd(tools, apfctl, busybox=BUSYBOX, tag="v1", what="L2"):
    """L2's initramfs: busybox with a link for every applet, labwl, apfctl
    and guest/l2-init.  busybox: the static busybox to put in (the aarch64
    lab passes the arm64 one); the applet list always comes from this
    machine's busybox-static, which can run here and is the same Debian
    version.  tag: part of the cache key, so that the architectures'
    images never stand in for each other; what: the log's name."""
    out = BUILD / "l2-initrd.gz"
    k = key_of(Path(busybox).resolve(), tools["labwl"], apfctl, GUEST / "l2-init", tag)
    if cached(out, k):
        return out
    c = Cpio()
    for d in ("proc", "sys", "dev", "tmp", "run", "results", "sbin", "usr/bin"):
        c.dir(d)
    add_busybox(c, busybox)
    # busybox --install at build time: symlinks for every applet.
    for a in run([BUSYBOX, "--list-full"], capture_output=True, text=True).stdout.split():
        if not a.endswith("/busybox") and a.strip("/") not in c.entries:
            c.symlink("/" + a, "/bin/busybox")
    c.file("/init", src=GUEST / "l2-init", mode=0o755)
    c.file("/bin/labwl", src=tools["labwl"], mode=0o755)
    c.file("/bin/apfctl", src=apfctl, mode=0o755)
    size = c.write(out)
    set_cached(out, k)
    log(f"{what} initramfs: {shown(out)} ({size >> 20} MiB raw)")
    return out


def build_l1_initrd(k, tools, apfctl, our_qemu):
    """The L1 initramfs of one kernel set (modules differ)."""
    d = BUILD / k["kind"]
    d.mkdir(parents=True, exist_ok=True)
    out = d / "l1-initrd.gz"
    qemus = [Path(HOST_QEMU)] + ([our_qemu] if our_qemu else [])
    inputs = [Path(BUSYBOX).resolve(), tools["labmon"], tools["labqmp"], apfctl, GUEST / "l1-init", "v1",
              k.get("deb", ""), k.get("version")]
    for q in qemus:
        inputs.append(q)
        inputs += [Path(x) for x in ldd_libs(q)]
    inputs += [rom_path(r) for r in ROMS]
    key = key_of(*inputs)
    if cached(out, key):
        return out
    log(f"building the L1 initramfs ({k['kind']} kernels)")
    c = Cpio()
    for x in ("proc", "sys", "dev", "tmp", "run", "lab", "sbin", "usr/bin", "usr/sbin", "etc"):
        c.dir(x)
    add_busybox(c)
    c.file("/init", src=GUEST / "l1-init", mode=0o755)
    c.file("/usr/bin/labmon", src=tools["labmon"], mode=0o755)
    c.file("/usr/bin/labqmp", src=tools["labqmp"], mode=0o755)
    c.file("/usr/bin/apfctl", src=apfctl, mode=0o755)
    add_binary_with_libs(c, HOST_QEMU, "/usr/bin/qemu-system-x86_64")
    if our_qemu:
        add_binary_with_libs(c, our_qemu, "/usr/bin/qemu-apf")
    for r in ROMS:
        c.file(f"/usr/share/qemu/{r}", src=rom_path(r), mode=0o644)
    if k["kind"] == "stock":
        stock_modules(k, c)
    # Unpacking takes ~10 s of L1 boot under TCG whether compressed or not
    # (measured: 9.4 s gzip -1, 11 s raw): it is the copy, not gunzip.
    size = c.write(out)
    set_cached(out, key)
    log(f"L1 initramfs: {out.relative_to(LAB)} ({size >> 20} MiB raw)")
    return out


def build(kind, want_our_qemu=True):
    """Everything one kernel set needs; returns the image paths."""
    t0 = time.monotonic()
    BUILD.mkdir(parents=True, exist_ok=True)
    if ARCH == "arm64":
        imgs = arm64lab.build(sys.modules[__name__], kind)
        log(f"arm64 images ready in {time.monotonic() - t0:.0f}s")
        return imgs
    if not shutil.which("qemu-system-x86_64"):
        die("qemu-system-x86_64 missing (make deps)")
    k = kernels(kind)
    tools = build_static_tools()
    apfctl = build_apfctl()
    oq = find_our_qemu() if want_our_qemu else None
    if oq and not qemu_has_async_pf_prop(oq):
        log(f"{oq} has no async-pf accelerator property; not using it")
        oq = None
    l2 = build_l2_initrd(tools, apfctl)
    l1 = build_l1_initrd(k, tools, apfctl, oq)
    log(f"images ready ({k['kind']}: L1 {k['l1'].name}, L2 {k['l2'].name}"
        f"{', APF QEMU ' + str(oq) if oq else ''}) in {time.monotonic() - t0:.0f}s")
    return {"kernels": k, "l1_initrd": l1, "l2_initrd": l2, "our_qemu": oq}


# -------------------------------------------------------------- runner --
CHILDREN = set()
TEMP_FILES = set()


def cleanup():
    for p in list(CHILDREN):
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for p in list(CHILDREN):
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        CHILDREN.discard(p)
    for f in list(TEMP_FILES):
        try:
            os.unlink(f)
        except FileNotFoundError:
            pass
        TEMP_FILES.discard(f)


def on_signal(sig, frame):
    log(f"signal {sig}: stopping QEMU, removing temporary images")
    cleanup()
    sys.exit(128 + sig)


# Serial log patterns.  Fatal: the attempt is a crash (kept, retried).
FATAL_RE = re.compile(
    # A KCSAN report is not a crash: the run goes on, and the report is
    # counted by DEBUG_REPORT_RE.
    r"Kernel panic|BUG: (?!KCSAN: )|Oops[: ]|general protection fault|soft lockup|"
    r"rcu_(?:sched|preempt)? ?.*detected stalls|self-detected stall|"
    r"blocked for more than \d+ seconds|double fault|stack guard page|"
    r"L1LAB: FAIL L2 (?:crashed|QEMU exited)|L1LAB: FATAL")


def append_l0_stderr(serial, errlog, most=50):
    """L0's own messages (not SVMDBG reports) at the end of the console
    log, where the crash and error reasons are looked for."""
    lines = [ln for ln in errlog.read_text(errors="replace").splitlines()
             if ln.strip() and not SVMDBG_LINE_RE.match(ln)]
    if lines:
        with open(serial, "a", errors="replace") as f:
            f.write("--- L0 stderr ---\n" + "\n".join(lines[-most:]) + "\n")


def first_svmdbg_report(text, most=400):
    """The first SVMDBG report whole (header, CPU state, ring up to the
    newest event), then the headers of the later ones."""
    lines = [ln for ln in text.splitlines() if SVMDBG_LINE_RE.match(ln) or
             re.match(r"(?:[A-Z0-9]{2,3} ?=|[CD]R\d|EFER|RIP|RFL|GDT|IDT|LDT|TR )", ln)]
    heads = [i for i, ln in enumerate(lines) if re.match(r"SVMDBG: (?!  )[A-Za-z]", ln)
             and not ln.startswith(("SVMDBG: rsp ", "SVMDBG: walk "))]
    if not heads:
        return []
    end = heads[1] if len(heads) > 1 else len(lines)
    first = lines[heads[0]:end][:most]
    return first + [lines[i] for i in heads[1:]][:20]


def is_fatal_line(line):
    """Does a console line end the attempt as a crash?  apf-bench's output
    (prefixed L1BENCH: by l1-bench.sh) reports L2 crashes per benchmark
    run, which its results record: not a crash of the attempt; nor are the
    diagnostic L0's SVMDBG: reports (tests/lab/diag), which name L2 faults."""
    return bool(FATAL_RE.search(line)) and not line.startswith("L1BENCH: ") \
        and not SVMDBG_LINE_RE.match(line)


SVMDBG_LINE_RE = re.compile(r"(?:\[[ \d.]+\] )?SVMDBG: ")
# What the debug lab kernels' checkers print (lockdep, the atomic-sleep
# check, RCU-lockdep, debugobjects, KASAN, KCSAN, kmemleak), in L1 or in L2
# (L2's console comes prefixed "L2| ").  Some are also FATAL_RE crashes.
DEBUG_REPORT_RE = re.compile(
    r"WARNING: (?:possible (?:circular|recursive) locking|possible irq lock inversion|"
    r"inconsistent lock state|suspicious RCU usage|lock held when returning|"
    r"bad unlock balance|held lock freed|nested lock|[Nn]ested lock was not taken|"
    r"\S+ still has locks held|"
    r"\S+-safe -> \S+-unsafe lock order detected|chain_key collision|bad contention detected)|"
    r"BUG: (?:KASAN|KCSAN|Invalid wait context|sleeping function called from invalid context|"
    r"scheduling while atomic|workqueue leaked lock|spinlock|rwlock|"
    r"looking up invalid subclass|key \S+ has not been registered)|"
    r"INFO: trying to register non-static key|DEBUG_LOCKS_WARN_ON|"
    r"debug_locks_off|lockdep is turned off|ODEBUG: |"
    r"kmemleak: \d+ new suspected memory leak|L[12]LAB: kmemleak: [1-9]")
WARN_RE = re.compile(r"WARNING: CPU: |------------\[ cut here \]")


class Attempt:
    def __init__(self, scn, n, adir):
        self.scn, self.n, self.dir = scn, n, adir
        self.outcome = None   # pass/fail (verdicts) | crash | hang | error
        self.reason = ""
        self.fatal_line = None
        self.warnings = []
        self.debug_reports = []   # DEBUG_REPORT_RE lines
        self.triaged_reports = []  # those of them in checker-triage.txt
        self.wall = 0.0


def scale_wl(wl, factor):
    """A workload with its phases and limit `factor` times as long: the
    hops of a migrating run must end while L2's workload still runs, and
    on the checker kernels they take that much longer."""
    parts = wl.split(",")
    for i, p in enumerate(parts[:-1]):
        if p in ("--phase-secs", "--max-secs"):
            parts[i + 1] = str(int(float(parts[i + 1]) * factor))
    return ",".join(parts)


def make_cfg_tar(path, scn, imgs, params):
    env = {
        "LAB_SCENARIO": scn["name"],
        "LAB_RUNS": " ".join(r["name"] for r in scn["runs"]),
        "LAB_MEMMAX": params["memmax"],
        "LAB_L2_MEM": str(params["l2_mem"]),
        "LAB_L2_SMP": str(params["l2_smp"]),
        "LAB_WL": params["wl"],
        "LAB_T_BOOT": str(params["t_boot"]),
        "LAB_T_PHASE": str(params["t_phase"]),
        "LAB_T_RESULTS": str(params["t_results"]),
        # the wait for no async fault in flight before S2 (runs with "quiesce")
        "LAB_T_QUIESCE": str(params.get("t_quiesce", 60)),
        # one live migration hop (l1-migrate.sh), scaled with the others
        "LAB_T_MIGRATE": str(params.get("t_migrate", 300)),
    }
    for r in scn["runs"]:
        n = r["name"]
        # run --l2-qemu apf: every run under our QEMU
        if r.get("qemu") == "apf" or params.get("l2_qemu") == "apf":
            env[f"RUN_{n}_QEMU"] = "/usr/bin/qemu-apf"
        for k in ("accel", "append", "switch", "wl", "switchcmd", "hostapf",
                  "machine", "migrate", "dest_apf", "refuse", "cpu"):
            if r.get(k):
                env[f"RUN_{n}_{k.upper()}"] = r[k]
        if r.get("quiesce"):
            env[f"RUN_{n}_QUIESCE"] = "1"
        if r.get("migrate") and params.get("migrate_wl_scale", 1) > 1:
            env[f"RUN_{n}_WL"] = scale_wl(r.get("wl") or params["wl"], params["migrate_wl_scale"])
    if ARCH == "arm64":
        env.update(arm64lab.L1_ENV)
    write_cfg_tar(path, env, GUEST / "l1-run.sh",
                  {"l2-kernel": imgs["kernels"]["l2"], "l2-initrd": imgs["l2_initrd"]})
    return env


def write_cfg_tar(path, env, driver, files):
    """The config disk: lab.env (shell assignments), the L1 driver as
    run.sh, the helpers it sources, and files (name -> source path)."""
    text = "".join(f"{k}={shlex.quote(v)}\n" for k, v in env.items())
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as t:
        def add(name, data=None, src=None):
            if src is not None:
                data = Path(src).read_bytes()
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode = len(data), 0o755
            t.addfile(ti, io.BytesIO(data))
        add("lab.env", text.encode())
        add("run.sh", src=driver)
        add("l1-common.sh", src=GUEST / "l1-common.sh")
        add("l1-migrate.sh", src=GUEST / "l1-migrate.sh")
        for name, src in files.items():
            add(name, src=src)


def swap_drive(path, params):
    """The -drive option of L1's swap disk.  params["swap_throttle"] (a dict
    of QEMU throttling.* options, e.g. {"iops-total": 500}) gives the disk
    a latency: the lab's swap is otherwise the host page cache."""
    opts = f"file={path},if=none,id=swap,format=raw,cache=unsafe"
    for k, v in sorted((params.get("swap_throttle") or {}).items()):
        opts += f",throttling.{k}={v}"
    return opts


def boot_l1(att, imgs, scn, params, progress, cfg_maker=None):
    """One L1 boot.  cfg_maker(path, scn, imgs, params) writes the config
    disk and returns its environment (default: a scenario's)."""
    adir = att.dir
    adir.mkdir(parents=True, exist_ok=True)
    triage = triage_list()
    swap, cfg, res = adir / "swap.img", adir / "cfg.tar", adir / "results.img"
    for f in (swap, cfg, res):
        TEMP_FILES.add(str(f))
    with open(swap, "wb") as f:
        f.truncate(params["swap_mb"] << 20)
    with open(res, "wb") as f:
        f.truncate(params.get("res_mb", 64) << 20)
    att.env = (cfg_maker or make_cfg_tar)(cfg, scn, imgs, params)
    append = "console=ttyS0 loglevel=5 panic=-1 mitigations=off"
    tsc = l1_tsc_khz() if ARCH == "x86_64" else None
    if tsc:
        append += f" tsc_early_khz={tsc}"
    if ARCH == "arm64":
        append = append.replace("ttyS0", "ttyAMA0")
    if os.environ.get("LAB_L1_APPEND"):     # diagnostics: extra L1 command line
        append += " " + os.environ["LAB_L1_APPEND"]
    cmd = [L0_QEMU, "-accel", "tcg", "-cpu", "EPYC,+svm", "-m", params["l1_mem"],
           "-smp", str(params.get("l1_smp", 2)),
           "-kernel", str(imgs["kernels"]["l1"]), "-initrd", str(imgs["l1_initrd"]),
           "-append", append,
           "-drive", swap_drive(swap, params),
           "-device", "virtio-blk-pci,drive=swap,serial=labswap",
           "-drive", f"file={cfg},if=none,id=cfg,format=raw,readonly=on",
           "-device", "virtio-blk-pci,drive=cfg,serial=labcfg",
           "-drive", f"file={res},if=none,id=res,format=raw",
           "-device", "virtio-blk-pci,drive=res,serial=labres",
           "-nographic", "-nodefaults", "-serial", "stdio", "-monitor", "none", "-no-reboot"]
    # Firmware and option ROMs from the system's packages: a QEMU run from
    # its build tree (make -C qemu build, --disable-install-blobs) has no
    # linuxboot_dma.bin of its own, and -kernel cannot boot without it.
    for d in ROM_DIRS:
        cmd[1:1] = ["-L", d]
    if ARCH == "arm64":
        cmd = arm64lab.l1_cmd(imgs, params, append, swap_drive(swap, params), cfg, res)
    (adir / "qemu-cmdline.txt").write_text(shlex.join(cmd) + "\n")
    serial = adir / "serial.log"
    t0 = time.monotonic()
    # L0's stderr apart: a diagnostic L0's SVMDBG reports would otherwise
    # interleave with the console and could split or fake its lines.
    l0_err = open(adir / "l0-stderr.log", "wb")
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=l0_err, start_new_session=True)
    CHILDREN.add(p)
    fd = p.stdout.fileno()
    last = t0
    pending = b""
    fatal_t = done_t = None
    killed_for = None
    with open(serial, "w", errors="replace") as logf:
        while True:
            now = time.monotonic()
            r, _, _ = select.select([fd], [], [], 1.0)
            if r:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                last = now
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for raw in lines:
                    line = raw.decode(errors="replace").rstrip("\r")
                    logf.write(f"[{now - t0:7.1f}] {line}\n")
                    if VERBOSE or re.search(r"L1LAB: (?!hb)|LABWL |L2LAB: |L1BENCH: |L1SELFTEST: ", line):
                        shown = re.sub(r"\x1b(?:\[[0-9;?]*[A-Za-z]|c)|^.*\x1bc", "", line)
                        progress(f"[{now - t0:5.0f}s] {shown.strip()[:150]}")
                    if is_fatal_line(line) and not att.fatal_line:
                        att.fatal_line = line.strip()
                        # L1 itself ends a crashed L2 and still writes its
                        # results; only a crashed L1 is stopped from here.
                        if not re.match(r"L2\| |L1LAB: FAIL L2 ", line):
                            fatal_t = now
                        progress(f"[{now - t0:5.0f}s] CRASH? {line.strip()[:150]}")
                    if WARN_RE.search(line) and len(att.warnings) < 20:
                        att.warnings.append(line.strip())
                    if DEBUG_REPORT_RE.search(line):
                        # triaged ones apart, so they cannot crowd the others out
                        kept = att.triaged_reports if triaged(line, triage) else att.debug_reports
                        if len(kept) < 50:
                            kept.append(line.strip())
                    if "L1LAB: results written" in line:
                        done_t = now
                logf.flush()
            # A crash: give the kernel 10 s to print the rest of its report.
            if fatal_t and now - fatal_t > 10 and not done_t:
                killed_for = "crash"
                break
            if done_t and now - done_t > 30:
                killed_for = "poweroff"
                break
            if now - t0 > params["timeout"]:
                killed_for = f"timeout {params['timeout']}s"
                break
            if now - last > params["idle_timeout"]:
                killed_for = f"no console output for {params['idle_timeout']}s"
                break
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
    CHILDREN.discard(p)
    l0_err.close()
    append_l0_stderr(serial, adir / "l0-stderr.log")
    att.wall = time.monotonic() - t0
    att.qemu_rc = p.returncode
    att.timeline = timeline(serial)

    # Results: a tar on the results disk.
    rdir = adir / "results"
    shutil.rmtree(rdir, ignore_errors=True)
    rdir.mkdir()
    got = False
    try:
        with tarfile.open(res, "r:") as t:
            t.extractall(rdir, filter="data") if hasattr(tarfile, "data_filter") else t.extractall(rdir)
            got = (rdir / "status").exists()
    except (tarfile.TarError, OSError):
        pass
    for f in (swap, cfg, res):
        try:
            f.unlink()
        except FileNotFoundError:
            pass
        TEMP_FILES.discard(str(f))

    status = (rdir / "status").read_text().strip() if got else None
    text = serial.read_text(errors="replace")
    if "L1LAB: up" not in text and re.search(r"^\[[ .0-9]+\] qemu-system-x86_64: ", text, re.M):
        att.outcome = "error"
        att.reason = "QEMU did not start: " + re.search(
            r"qemu-system-x86_64: (.*)", text).group(1)[:300]
    elif "L1LAB: up" not in text and (m := re.search(
            r"No bootable device|rom: file \S+ *: error .*", text)):
        # L0 could not load L1 at all (a missing ROM): the lab's set-up,
        # never a crash of the emulated host.
        att.outcome = "error"
        att.reason = "L0 could not boot L1: " + m.group(0)[:300]
    elif att.fatal_line:
        att.outcome, att.reason = "crash", att.fatal_line
    elif killed_for and killed_for != "poweroff":
        att.outcome, att.reason = "hang", killed_for
    elif status is None:
        att.outcome = "crash"
        att.reason = f"L1 QEMU exited (rc {p.returncode}) without results"
    elif status != "ok":
        # Timeouts inside L1 are hangs; anything else failed in the lab itself.
        att.outcome = "hang" if "timeout" in status else "error"
        att.reason = status
    else:
        att.outcome = "ok"
    return rdir


TIMELINE_RE = re.compile(r"^\[ *([0-9.]+)\] .*?((?:L1LAB: (?:up|run \w+:|run \w+ done|results written))|"
                         r"L2LAB: up|LABWL (?:fill done|phase=\d+ start|done)|"
                         r"L1LAB: bench \S+: apf-bench (?:run|exited \d+)|"
                         r"apf-bench: \[\d+/\d+\] \w+ rep \d+: [a-z]+)")


def timeline(serial):
    """Host seconds since QEMU start of the milestones in a serial log."""
    out = []
    for line in serial.read_text(errors="replace").splitlines():
        m = TIMELINE_RE.match(line)
        if m:
            out.append([float(m.group(1)), m.group(2)])
    return out


def l1_tsc_khz():
    """The TSC frequency to give the L1 kernel (tsc_early_khz=).

    Under TCG the L1's TSC is the host's, but the L1's early calibration
    (no PIT, HPET reference under emulation) is off by 0.1% and more (once
    571 MHz for 2596), refined only seconds later.  KVM built into the
    kernel (our lab kernel) is initialized in between and keeps the early
    value: KVM_SET_TSC_KHZ of the L2 then fails ("user requested TSC rate
    below hardware speed", no TSC scaling here) and, measured here, the L2
    stops receiving interrupts for ~100 s under async page faults (5 of 5
    runs; 0 of 1 with tsc_early_khz).  Debian's modular KVM loads after the
    refinement and never saw it.  LAB_L1_TSC=off reproduces it; LAB_L1_TSC=N
    sets the value; by default it is the host's, where the host TSC is
    constant (/proc/cpuinfo)."""
    env = os.environ.get("LAB_L1_TSC", "")
    if env == "off":
        return None
    if env.isdigit():
        return int(env)
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    mhz = re.search(r"^cpu MHz\s*:\s*([0-9.]+)", info, re.M)
    flags = re.search(r"^flags\s*:(.*)$", info, re.M)
    if not mhz or not flags or "constant_tsc" not in flags.group(1).split():
        return None
    return int(round(float(mhz.group(1)) * 1000))


def relevant_log(serial, att, n=60):
    """The part of a serial log that explains a failure: around the first
    fatal line, else the tail."""
    lines = serial.read_text(errors="replace").splitlines()
    idx = None
    if att.fatal_line:
        for i, line in enumerate(lines):
            if att.fatal_line in line:
                idx = i
                break
    if idx is not None:
        return lines[max(0, idx - 15): idx + n - 15]
    return lines[-n:]


def save_excerpt(crashes, stem, att, lines):
    """The serial excerpt of a crashed, hung or failed attempt, beside the
    results (build/results/crashes/), so a recorder (check-repeat) keeps
    it: build/runs is pruned and never committed."""
    crashes.mkdir(parents=True, exist_ok=True)
    path = crashes / f"{stem}.txt"
    path.write_text(f"{att.outcome}: {att.reason}\n" + "\n".join(lines) + "\n")
    return path


def l2_qemu_of(args):
    """run --l2-qemu as asked; unset: ours on arm64, where async PF is
    opt-in (bit 48) and Debian's QEMU in L1 never asks for it, so its runs
    would pass without a single async fault; Debian's on x86."""
    return getattr(args, "l2_qemu", None) or ("apf" if ARCH == "arm64" else "debian")


def scenario_params(scn, kind, args):
    """A scenario's parameters for one run: DEFAULT_PARAMS, the scenario's
    own, the checker kernels' longer limits, and the run options (timeout,
    --l2-smp, --l2-qemu)."""
    params = dict(DEFAULT_PARAMS, **scn.get("params", {}))
    if kind in CHECKED_KINDS:
        # The checker kernels run 2-3x slower under the emulator (a first
        # run of scenario d, with the guest's APF off, timed out filling).
        for k in ("t_boot", "t_phase", "t_results", "t_quiesce", "timeout"):
            params[k] = params[k] * CHECKED_SLOWDOWN
        slow = MIGRATE_SLOWDOWN[kind]
        params["t_migrate"] = params["t_migrate"] * slow
        params["migrate_wl_scale"] = MIGRATE_WL_SCALE[kind]
        # the hops are most of g's time: the scenario's limit grows with them
        params["timeout"] = max(params["timeout"], params["timeout"] * slow // 2)
    params["timeout"] = args.timeout or params["timeout"]
    # run --l2-smp: L2's cross-CPU paths (KCSAN on the guest's per-CPU
    # counters and wake-all needs a second vCPU); the scenarios' own is 1.
    params["l2_smp"] = getattr(args, "l2_smp", 0) or params["l2_smp"]
    if params["l2_smp"] < 1:
        die(f"--l2-smp {params['l2_smp']}: L2 needs at least one vCPU")
    if l2_qemu_of(args) == "apf":
        params["l2_qemu"] = "apf"
    # L1 has at least a vCPU per L2 vCPU (and its usual 2).
    params["l1_smp"] = max(params["l1_smp"], params["l2_smp"])
    return params


def run_scenario(name, imgs, args, progress):
    scn = dict(SCENARIOS[name], name=name)
    params = scenario_params(scn, imgs["kernels"]["kind"], args)
    t0 = time.monotonic()
    result = {"scenario": name, "title": scn["title"], "kernels": {
        "kind": imgs["kernels"]["kind"], "version": imgs["kernels"]["version"],
        "l1": str(imgs["kernels"]["l1"]), "l2": str(imgs["kernels"]["l2"])},
        "host_qemu": HOST_QEMU, "our_qemu": str(imgs["our_qemu"]) if imgs["our_qemu"] else None,
        "l0": l0_facts(), "params": params,
        # per-run options (a run's own wl, accel, append...) override params
        "run_options": scn["runs"], "attempts": [], "flakes": 0}
    out = BUILD / "results" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    kind = imgs["kernels"]["kind"]
    if scn.get("kernels") and scn["kernels"] != ("ours" if kind in CHECKED_KINDS else kind):
        log(f"note: scenario {name} is meant for {scn['kernels']} kernels, running with "
            f"{imgs['kernels']['kind']}")
    if scn.get("arch", ARCH) != ARCH:
        result.update(verdict="skip", reason=f"scenario {name} is for the {scn['arch']} lab "
                      f"(--arch {scn['arch']})", wall_s=0)
        out.write_text(json.dumps(result, indent=1) + "\n")
        progress(f"scenario {name}: SKIP: {result['reason']}")
        return result
    if (scn.get("needs_our_qemu") or params.get("l2_qemu") == "apf") and not imgs["our_qemu"]:
        result.update(verdict="skip", reason="no APF Suite QEMU yet: qemu/build/x86_64/"
                      "qemu-system-x86_64 with the async-pf accelerator property is missing; "
                      "build it with 'make -C qemu build' (make lab-check tries), then rerun"
                      if ARCH == "x86_64" else "no APF Suite QEMU for arm64 yet: "
                      "qemu/build/arm64-host/qemu-system-aarch64 is missing; build it with "
                      "'make -C qemu build-arm64-host', then rerun")
        result["wall_s"] = 0
        out.write_text(json.dumps(result, indent=1) + "\n")
        progress(f"scenario {name}: SKIP: {result['reason']}")
        return result
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1, args.attempts + 1):
        adir = BUILD / "runs" / f"{stamp}-{name}" / f"attempt{n}"
        att = Attempt(scn, n, adir)
        progress(f"scenario {name} attempt {n}/{args.attempts}: {scn['title']}")
        rdir = boot_l1(att, imgs, scn, params, progress)
        rec = {"n": n, "outcome": att.outcome, "reason": att.reason,
               "wall_s": round(att.wall, 1), "log": str(adir / "serial.log"),
               "warnings": att.warnings, "debug_reports": att.debug_reports,
               "triaged_reports": att.triaged_reports,
               "timeline": att.timeline}
        result["attempts"].append(rec)
        if att.outcome == "ok":
            data = collect(rdir)
            checks, summary, notes = evaluate(name, data)
            if kind in CHECKED_KINDS:
                checks += debug_kernel_checks(result["attempts"], data, kmemleak=kind == "debug")
            result.update(checks=checks, summary=summary, notes=notes, runs=data,
                          verdict="pass" if all(c["ok"] for c in checks) else "fail")
            rec["outcome"] = result["verdict"]
            for c in checks:
                if c.get("xfail"):
                    progress(f"  known issue: {c['name']}: {c['detail']}: {c['known_issue']}")
            if result["verdict"] == "fail":
                progress(f"scenario {name}: FAIL")
                for c in checks:
                    if not c["ok"]:
                        progress(f"  check failed: {c['name']}: {c['detail']}")
            break
        # crash / hang / error: keep the log, show the relevant part, retry.
        if att.outcome in ("crash", "hang"):
            result["flakes"] += 1
        progress(f"scenario {name} attempt {n}: {att.outcome.upper()}: {att.reason}")
        progress(f"  serial log: {adir / 'serial.log'}; relevant part:")
        excerpt = relevant_log(adir / "serial.log", att)
        for line in excerpt:
            progress("  | " + line[:200])
        rec["excerpt"] = str(save_excerpt(out.parent / "crashes", f"{name}-{stamp}-attempt{n}",
                                          att, excerpt))
        if att.outcome == "error":
            result.update(verdict="fail", reason=att.reason)
            break
    else:
        result.update(verdict="fail", reason=f"no clean run in {args.attempts} attempts "
                      f"({result['flakes']} crashed or hung)")
    # On the debug kernels a report in a crashed attempt is not a flake that
    # a retry may hide: any report fails the scenario.
    reports = checker_reports(result["attempts"])
    if kind in CHECKED_KINDS and reports and result["verdict"] != "fail":
        result.update(verdict="fail", reason=f"{len(reports)} debug report(s) in a retried attempt")
    result["wall_s"] = round(time.monotonic() - t0, 1)
    out.write_text(json.dumps(result, indent=1) + "\n")
    progress(f"scenario {name}: {result['verdict'].upper()} in {result['wall_s']:.0f}s "
             f"({len(result['attempts'])} attempt(s), {result['flakes']} flake(s)); {out}")
    return result


def checker_reports(attempts):
    """The checker reports of every attempt (a crashed one too) that are
    not triaged as upstream races outside the series."""
    return [ln for a in attempts for ln in a.get("debug_reports", [])]


def triaged_reports(attempts):
    return [ln for a in attempts for ln in a.get("triaged_reports", [])]


# KCSAN reports in upstream code that the series does not touch, one
# entry per line with the reason (checker-triage.txt): recorded in the
# results, not failed.  A race at unknown origin names one function, which
# must be listed; a race between two accesses names two, and that pair must
# be listed as "a / b" (either order): two functions each triaged for
# another race do not triage a race between them.
TRIAGE_FILE = LAB / "checker-triage.txt"
KCSAN_HEAD_RE = re.compile(r"BUG: KCSAN: data-race in (\S+)(?: / (\S+))?")


def triage_list(path=TRIAGE_FILE):
    names = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        if line.strip() and not line.startswith("#"):
            name, _, why = line.partition("|")
            names[name.strip()] = why.strip()
    return names


def report_functions(line):
    """The functions a KCSAN headline names, without offsets and the
    compiler's .isra/.constprop suffixes."""
    m = KCSAN_HEAD_RE.search(line)
    if not m:
        return []
    return [re.sub(r"\+0x[0-9a-f]+/0x[0-9a-f]+$", "", f).split(".")[0] for f in m.groups() if f]


def triaged(line, names=None):
    funcs = report_functions(line)
    names = triage_list() if names is None else names
    if len(funcs) == 2:
        return f"{funcs[0]} / {funcs[1]}" in names or f"{funcs[1]} / {funcs[0]}" in names
    return len(funcs) == 1 and funcs[0] in names


def debug_kernel_checks(attempts, data, kmemleak=True):
    """Checks every scenario gets on the checker lab kernels: no checker
    report on any console of any attempt; with kmemleak, a scan in L1 and
    in every L2 run with nothing left unreferenced."""
    items = []
    reports = checker_reports(attempts)
    items.append({"name": "debug kernels: no lockdep/KASAN/KCSAN/atomic-sleep/RCU/ODEBUG report on "
                  "L1's or L2's console", "ok": not reports,
                  "detail": "; ".join(reports[:5]) or "0 reports"})
    known = triaged_reports(attempts)
    if known:
        items.append({"name": "debug kernels: KCSAN reports triaged as upstream races outside "
                      "the series (checker-triage.txt)", "ok": True,
                      "detail": f"{len(known)}: " + "; ".join(sorted(set(known))[:5])})
    # Both checker builds have lockdep: it must still be on at the end (it
    # turns itself off after its first report, or when a table fills up).
    stats = {"L1": data.get("lockdep_stats")}
    stats.update({f"L2 {rn}": run["l2"].get("lockdep_stats.txt") for rn, run in data["runs"].items()})
    for where, text in stats.items():
        on = re.search(r"^\s*debug_locks:\s*1\s*$", text or "", re.M) is not None
        items.append({"name": f"debug kernels: lockdep still on at the end in {where} (debug_locks: 1)",
                      "ok": on, "detail": "no /proc/lockdep_stats" if text is None else
                      ("debug_locks: 1" if on else "debug_locks is not 1")})
    if not kmemleak:
        return items
    leaks = {"L1": data.get("kmemleak")}
    leaks.update({f"L2 {rn}": run["l2"].get("kmemleak.txt") for rn, run in data["runs"].items()})
    for where, text in leaks.items():
        n = None if text is None else text.count("unreferenced object")
        items.append({"name": f"debug kernels: kmemleak in {where}: scanned, 0 unreferenced objects",
                      "ok": n == 0, "detail": "no kmemleak.txt" if n is None else f"{n} objects"})
    return items


def read_json(p):
    try:
        return json.loads(p.read_text())
    except (OSError, ValueError) as e:
        return {"_error": f"{p.name}: {e}"}


def collect(rdir):
    """Everything a run left in the results tree, as one dict per L2 run."""
    data = {"status": (rdir / "status").read_text().strip(),
            "host": (rdir / "host.txt").read_text() if (rdir / "host.txt").exists() else "",
            "swaps": (rdir / "swaps.txt").read_text() if (rdir / "swaps.txt").exists() else "",
            "kmemleak": (rdir / "kmemleak.txt").read_text(errors="replace")[-20000:]
            if (rdir / "kmemleak.txt").exists() else None,
            "lockdep_stats": (rdir / "lockdep_stats.txt").read_text(errors="replace")
            if (rdir / "lockdep_stats.txt").exists() else None,
            "runs": {}}
    for d in sorted(p for p in rdir.iterdir() if p.is_dir()):
        run_ = {"snapshots": {}, "apfctl": {}, "l2": {}, "files": {}}
        for f in sorted(d.iterdir()):
            if f.is_dir():
                continue
            if f.name.startswith("snap-"):
                run_["snapshots"][f.stem[5:]] = read_json(f)
            elif f.name.startswith("apfctl-") and f.suffix == ".json":
                base = f.stem
                rc = d / f"{base}.rc"
                err = d / f"{base}.err"
                run_["apfctl"][base[7:]] = {
                    "rc": int(rc.read_text().strip() or -1) if rc.exists() else None,
                    "stderr": err.read_text()[-2000:] if err.exists() else "",
                    "json": read_json(f) if f.stat().st_size else None}
            elif f.suffix in (".txt", ".pid", ".rc", ".err", ".out") or f.name.startswith("t-"):
                txt = f.read_text(errors="replace")
                run_["files"][f.name] = txt[-20000:] if "console" not in f.name else txt[-6000:]
        l2 = d / "l2"
        if l2.is_dir():
            for f in sorted(l2.iterdir()):
                if f.suffix == ".json":
                    run_["l2"][f.stem] = read_json(f) if f.stat().st_size else None
                elif f.is_file():
                    run_["l2"][f.name] = f.read_text(errors="replace")[-8000:]
        data["runs"][d.name] = run_
    return data


DEFAULT_PARAMS = {
    "l1_mem": "4G",
    "l2_mem": 512,
    "l1_smp": 2,         # L1's vCPUs (at least L2's: scenario_params)
    "l2_smp": 1,
    "memmax": "192M",
    "swap_mb": 2048,
    "wl": "--mb,256,--writers,1,--compute,1,--phases,2,--phase-secs,20,--max-secs,900",
    "t_boot": 300,       # L2 boot + fill, s
    "t_migrate": 300,    # one live migration hop, s
    "t_phase": 300,      # one workload phase, s
    "t_results": 180,    # L2 collection after the workload, s
    "t_quiesce": 60,     # bound of the wait for no async fault in flight, s
    "timeout": 900,      # one L1 boot, s
    "idle_timeout": 120,  # no serial output (L1 prints a heartbeat every 15 s)
}


def print_table(results, title):
    print_rows([TABLE_HEAD] + [table_row(r) for r in results], title)


def print_rows(rows, title):
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    print(f"\n{title}")
    for i, r in enumerate(rows):
        print("  " + "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
        if i == 0:
            print("  " + "  ".join("-" * w for w in widths))


def cmd_run(args, names, kind, title):
    imgs = build(kind, want_our_qemu=True)
    t0 = time.monotonic()
    results = []

    def progress(msg):
        print(f"lab: {msg}", flush=True)
    for n in names:
        results.append(run_scenario(n, imgs, args, progress))
    wall = time.monotonic() - t0
    print_table(results, f"{title} ({kind} kernels), wall time {wall / 60:.1f} min "
                f"({wall:.0f} s)")
    (BUILD / "results" / f"last-{title.split()[0]}.txt").write_text(
        json.dumps({"scenarios": names, "wall_s": round(wall, 1)}) + "\n")
    bad = [r for r in results if r["verdict"] not in ("pass", "skip")]
    return 1 if bad else 0


# --------------------------------------------------------------- bench --
BENCH = REPO / "bench"


def build_bench():
    """bench/workload's initramfs and bench/harness's apf-bench: static for
    L1's busybox world, dynamic for plotting here.  Their Makefiles know
    what to rebuild."""
    for d, targets in (("workload", ["all", "initrd"]), ("harness", ["all", "static"])):
        if not (BENCH / d / "Makefile").exists():
            die(f"bench/{d}/Makefile is missing: the benchmark needs bench/{d} (issue 9)")
        r = run(["make", "-s", "-C", str(BENCH / d), *targets], capture_output=True,
                text=True, check=False)
        if r.returncode:
            sys.stderr.write((r.stdout + r.stderr)[-4000:])
            die(f"building bench/{d} failed: make -C bench/{d} {' '.join(targets)}")
    art = {"initrd": BENCH / "workload/build/apf-workload-initrd.cpio.gz",
           "static": BENCH / "harness/build/apf-bench-static",
           "apf_bench": BENCH / "harness/build/apf-bench"}
    if os.environ.get("LAB_APF_BENCH"):     # diagnostics: another static apf-bench for L1
        art["static"] = Path(os.environ["LAB_APF_BENCH"]).resolve()
    for k, p in art.items():
        if not p.exists():
            die(f"{p.relative_to(REPO)} was not built (its Makefile's targets changed?)")
    if not is_static_elf(art["static"]):
        die(f"{art['static'].relative_to(REPO)} is not static: L1 has no shared libraries")
    return art


def bench_cfg_maker(c, art, label, seed=None, source=None, allow_busy=False, prev=None):
    """The config disk of a benchmark L1: l1-bench.sh as run.sh, apf-bench,
    the workload initramfs and our L2 kernel; apf-bench's arguments in
    lab.env.  Our QEMU (/usr/bin/qemu-apf, in the L1 initramfs when built)
    runs L2 when present: mode off is then -accel kvm,async-pf=off.
    prev: an earlier attempt's apf-bench results directory, whose finished
    runs this attempt keeps (prev-bench.tar; apf-bench --resume)."""
    def make(path, scn, imgs, params):
        qemu = "/usr/bin/qemu-apf" if imgs["our_qemu"] else "/usr/bin/qemu-system-x86_64"
        env = {"BENCH_CONFIG": label,
               "BENCH_ARGS": "\n".join(benchlab.apf_bench_args(c, qemu, label, seed, source,
                                                                allow_busy)),
               "BENCH_TIMEOUT": str(benchlab.bench_timeout(c)),
               "HB_CGROUPS": "/sys/fs/cgroup/apf-bench.*"}
        files = {"apf-bench": art["static"], "workload-initrd": art["initrd"],
                 "l2-kernel": imgs["kernels"]["l2"]}
        if prev and (Path(prev) / "results.json").exists():
            tar = Path(path).with_name("prev-bench.tar")
            with tarfile.open(tar, "w", format=tarfile.USTAR_FORMAT) as t:
                t.add(prev, arcname=".")
            TEMP_FILES.add(str(tar))
            files["prev-bench.tar"] = tar
        write_cfg_tar(path, env, GUEST / "l1-bench.sh", files)
        if "prev-bench.tar" in files:      # inside the config disk now
            files["prev-bench.tar"].unlink()
            TEMP_FILES.discard(str(files["prev-bench.tar"]))
        return env
    return make


def first_line(cmd):
    try:
        r = run(cmd, capture_output=True, text=True, check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"({e})"
    return (r.stdout or r.stderr).strip().splitlines()[0] if (r.stdout or r.stderr).strip() else "?"


def machine_txt(imgs, params, c, throttle, rdir, load_before, rec=None):
    """L0's facts and how the levels were set up (machine.txt)."""
    info = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.*)$", info, re.M)
    mem = re.search(r"^MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text(), re.M)
    commit = first_line(["git", "-C", str(REPO), "describe", "--always", "--dirty", "--abbrev=12"])
    l1 = {}
    for f in ("versions.txt", "host.txt"):
        p = rdir / f
        if p.exists():
            for line in p.read_text(errors="replace").splitlines():
                k, _, v = line.partition(" ")
                l1.setdefault(k, []).append(v)
    lines = [
        "# The machine and stack of this lab benchmark.  L0 runs L1 under QEMU's",
        "# emulator (TCG); L1 runs L2 under KVM (nested SVM).  Lab timings are",
        "# emulated: compare modes within this directory, not absolute speeds.",
        f"date_utc {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}",
        f"repo {commit}",
        f"source {((rec or {}).get('source') or {}).get('commit')} "
        f"({dirty_text((rec or {}).get('source'))})",
        f"seed {(rec or {}).get('seed')}",
        f"l0_cpu {model.group(1) if model else '?'}",
        f"l0_cpus {os.cpu_count()}",
        f"l0_mem_kb {mem.group(1) if mem else '?'}",
        f"l0_kernel {os.uname().release}",
        f"l0_loadavg_before {load_before}",
        f"l0_qemu {first_line([HOST_QEMU, '--version'])} (TCG, runs L1)",
        f"l1_machine -accel tcg -cpu EPYC,+svm -smp 2 -m {params['l1_mem']}",
        f"l1_kernel {imgs['kernels']['l1']} ({', '.join(l1.get('l1_kernel', ['?']))})",
        f"l1_cmdline {', '.join(l1.get('cmdline', ['?']))}",
    ]
    for q in l1.get("l1_qemu", []):
        lines.append(f"l1_qemu {q}")
    used = "/usr/bin/qemu-apf" if imgs["our_qemu"] else "/usr/bin/qemu-system-x86_64"
    lines += [
        f"l2_qemu {used}" + (f" (APF Suite QEMU from {imgs['our_qemu']})" if imgs["our_qemu"] else ""),
        f"l2_kernel {imgs['kernels']['l2']}",
        f"l1_swap_disk virtio-blk, {params['swap_mb']} MB sparse raw file, cache=unsafe "
        f"(host page cache behind it)",
        "l1_swap_throttle " + (", ".join(f"throttling.{k}={v}" for k, v in sorted(throttle.items()))
                               or "none (swap I/O nearly free)"),
        f"l1_swap_readahead page_cluster={', '.join(l1.get('page_cluster', ['?']))}",
        f"apf_bench {', '.join(l1.get('apf_bench', ['?']))}",
        f"config {c['name']}: smp {c['smp']}, guest_mem {c['guest_mem']} MB, memory_max "
        f"{c['memory_max']}, workload '{c['workload']}', modes {c['modes']}, reps {c['reps']}",
    ]
    for p in ("async_pf", "npt", "nested", "nrips"):
        for k, v in l1.items():
            if k.endswith(f"/parameters/{p}"):
                lines.append(f"l1_{p} {v[0]}")
    return "\n".join(lines) + "\n"


def dirty_text(src):
    if not src:
        return "not recorded"
    return "DIRTY: " + ", ".join(src.get("dirty_paths") or []) if src.get("dirty") else "clean"


def publish_bench(rdir, out, art, imgs, params, c, throttle, rec, load_before, progress,
                  busy_orders=None):
    """Copy apf-bench's results from an attempt to out, add machine.txt,
    lab.json and L1's own facts, flag the runs made while L0 was busy, and
    plot with the host's apf-bench."""
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(rdir / "bench", out)
    for order, why in sorted((busy_orders or {}).items()):
        benchlab.flag_runs_busy(out / "results.json", {order}, why)
    (out / "l1").mkdir(exist_ok=True)
    for f in ("host.txt", "versions.txt", "swaps.txt", "bench-rc", "dmesg.txt"):
        if (rdir / f).exists():
            shutil.copy(rdir / f, out / "l1" / f)
    # Every L1 attempt's console: what an L1 crash or a killed L2 QEMU left
    # (the 2026-11 SIGKILLs could not be explained without it).
    for a in rec.get("attempts") or []:
        log = Path(a.get("log") or "")
        if log.is_file() and log.stat().st_size < (16 << 20):
            shutil.copy(log, out / "l1" / f"attempt{a['n']}.serial.log")
            a["log_copy"] = f"l1/attempt{a['n']}.serial.log"
    (out / "machine.txt").write_text(machine_txt(imgs, params, c, throttle, rdir, load_before, rec))
    (out / "lab.json").write_text(json.dumps(rec, indent=1) + "\n")
    r = run([str(art["apf_bench"]), "plot", str(out)], capture_output=True, text=True,
            check=False)
    if r.returncode:
        progress(f"warning: apf-bench plot {out} exited {r.returncode}: "
                 f"{(r.stderr or r.stdout).strip()[-300:]}")
    for f in ("throughput.png", "throughput.svg"):
        if not (out / f).exists():
            progress(f"warning: no {f} in {out}")


def l1_qemu_pids():
    """The L1 QEMUs this process runs (the L0 monitor's "ours")."""
    return [p.pid for p in list(CHILDREN)]


def check_l0_idle(args, progress, first=True):
    """Benchmarks run alone: wait up to --idle-wait for a quiet L0, then
    refuse (or, with --allow-busy, go on with every run flagged).  Before
    a retried attempt (first False) a busy L0 ends the retries instead, so
    the runs made so far are still published."""
    deadline = time.monotonic() + args.idle_wait
    said = False
    while True:
        idle = benchlab.l0_idle()
        if not idle["busy"] or args.allow_busy or time.monotonic() >= deadline:
            break
        if not said:
            progress(f"L0 is busy ({idle['why']}): waiting up to {args.idle_wait} s")
            said = True
        time.sleep(10)
    if idle["busy"] and not args.allow_busy and not getattr(args, "smoke", False):
        msg = (f"L0 is busy ({idle['why']}): benchmarks run alone; stop the other work, or "
               "--allow-busy (every run is then flagged busy)")
        if first:
            die(msg, 6)
        progress(f"error: {msg}; no more attempts")
        idle["refused"] = True
    if idle["busy"]:
        progress(f"warning: L0 is busy ({idle['why']}): going on (--allow-busy), runs flagged")
    return idle


def run_bench(c, iops, imgs, art, args, root, progress, source=None):
    label = benchlab.result_dir_name(c["name"], iops)
    throttle = benchlab.swap_throttle(iops, args.swap_bps)
    params = dict(DEFAULT_PARAMS, swap_throttle=throttle, res_mb=256,
                  timeout=args.timeout or benchlab.l1_timeout(c))
    scn = {"name": f"bench-{label}", "title": c["title"], "runs": []}
    out = root / label
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(7), "big")
    rec = {"config": c, "label": label, "swap_throttle": throttle,
           "l1_timeout_s": params["timeout"], "our_qemu": bool(imgs["our_qemu"]),
           "seed": seed, "source": source, "attempts": [], "complete": False}
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    stamp = time.strftime("%Y%m%d-%H%M%S")
    t0 = time.monotonic()
    best = None
    busy_orders = {}
    progress(f"bench {label}: {c['title']}; {benchlab.nruns(c)} runs, swap throttle "
             f"{throttle or 'none'}, L1 bound {params['timeout']}s, seed {seed}")
    for n in range(1, args.attempts + 1):
        adir = BUILD / "runs" / f"{stamp}-bench-{label}" / f"attempt{n}"
        att = Attempt(scn, n, adir)
        idle = check_l0_idle(args, progress, first=n == 1)
        if idle.get("refused"):
            rec["stopped"] = f"L0 busy before attempt {n}: {idle['why']}"
            break
        before = benchlab.run_orders(best / "bench" / "results.json") if best else set()
        progress(f"bench {label} attempt {n}/{args.attempts}"
                 + (f", resuming {len(before)} finished runs" if before else ""))
        with benchlab.L0Monitor(l1_qemu_pids) as mon:
            rdir = boot_l1(att, imgs, scn, params, progress,
                           cfg_maker=bench_cfg_maker(c, art, label, seed, source,
                                                     args.allow_busy or idle["busy"],
                                                     best / "bench" if best else None))
        l0 = mon.summary()
        rc = benchlab.read_rc(rdir / "bench-rc")
        done = benchlab.results_progress(rdir / "bench" / "results.json")
        has = done is not None
        outcome, reason = benchlab.attempt_outcome(att.outcome, att.reason, rc, done)
        made = benchlab.run_orders(rdir / "bench" / "results.json") - before
        rec["attempts"].append({"n": n, "outcome": outcome, "reason": reason,
                                "apf_bench_rc": rc, "wall_s": round(att.wall, 1),
                                "log": str(adir / "serial.log"), "warnings": att.warnings,
                                "timeline": att.timeline, "runs_made_planned": done,
                                "runs_made_here": sorted(made), "l0_at_start": idle,
                                "l0_during": l0, "l0_samples": mon.samples})
        if l0["busy"] and made:
            busy_orders.update({o: f"L0 busy during L1 attempt {n}: {l0['why']}" for o in made})
        if has:
            best = rdir
        if outcome == "ok":
            rec["complete"] = True
            break
        progress(f"bench {label} attempt {n}: {outcome.upper()}: {reason}")
        progress(f"  serial log: {adir / 'serial.log'}; relevant part:")
        for line in relevant_log(adir / "serial.log", att):
            progress("  | " + line[:200])
        if outcome == "error":
            break
    rec["wall_s"] = round(time.monotonic() - t0, 1)
    summary = {}
    if best:
        publish_bench(best, out, art, imgs, params, c, throttle, rec, " ".join(load_before),
                      progress, busy_orders)
        summary = benchlab.summarize(out / "results.json")
        progress(f"bench {label}: {'' if rec['complete'] else 'PARTIAL '}results in "
                 f"{out.relative_to(REPO) if out.is_relative_to(REPO) else out}")
        if summary.get("line"):
            progress(f"bench {label}: {summary['line']}")
        for m, v in (summary.get("modes") or {}).items():
            progress(f"  {m:8} ok {v['ok']}  failures {v['failures']}  median {v['median']}  "
                     f"APF events (median) {json.dumps(v['events'])}")
    else:
        progress(f"bench {label}: no results ({len(rec['attempts'])} attempt(s))")
    rec["summary"] = summary
    (BUILD / "results").mkdir(parents=True, exist_ok=True)
    (BUILD / "results" / f"bench-{label}.json").write_text(json.dumps(rec, indent=1) + "\n")
    return rec


def bench_source(args):
    """The checkout's commit; a dirty tree is refused unless --allow-dirty."""
    src = benchlab.source_state(REPO)
    if src["dirty"] and not args.allow_dirty:
        die("uncommitted changes in the benchmark's sources (" + ", ".join(src["dirty_paths"][:12])
            + "): a result set records the commit it ran from; commit them, or "
            "--allow-dirty (recorded as dirty)", 7)
    return src


def cmd_bench(args):
    try:
        iops = benchlab.parse_iops(args.swap_iops)
        cfgs = [benchlab.bench_config(n, args.reps, args.modes, args.workload, args.run_bound)
                for n in (args.configs or ["natapov"])]
        sweep = benchlab.parse_sweep(args.sweep) if args.sweep else None
        if sweep and sweep[0] == "iops":
            iops = sweep[1]
        elif sweep:
            if len(iops) != 1:
                raise benchlab.ConfigError(f"--sweep {sweep[0]} takes one --swap-iops value")
            cfgs = [benchlab.sweep_config(c, sweep[0], v) for c in cfgs for v in sweep[1]]
    except benchlab.ConfigError as e:
        die(str(e), 2)
    source = bench_source(args)
    imgs = build("ours", want_our_qemu=True)
    if not imgs["our_qemu"]:
        log("note: no APF Suite QEMU (make -C qemu build): L2 runs under Debian's QEMU, "
            "mode off uses the host's kvm.async_pf=N")
    art = build_bench()
    root = Path(args.out) if args.out else \
        BENCH / "results" / f"{time.strftime('%Y-%m-%d', time.gmtime())}-lab"
    t0 = time.monotonic()

    def progress(msg):
        print(f"lab: {msg}", flush=True)
    recs = [run_bench(c, n, imgs, art, args, root, progress, source) for c in cfgs for n in iops]
    wall = time.monotonic() - t0
    rows = [benchlab.TABLE_HEAD] + [
        benchlab.table_row(r["label"], ", ".join(f"{k}={v}" for k, v in r["swap_throttle"].items()),
                           r["summary"], r["attempts"], r["wall_s"]) for r in recs]
    print_rows(rows, f"lab bench ({len(recs)} configuration(s)), wall time {wall / 60:.1f} min "
               f"({wall:.0f} s)")
    if sweep:
        kind, values = sweep
        for name in (args.configs or ["natapov"]):
            if kind == "iops":
                pts = [(v, root / benchlab.result_dir_name(name, v) / "results.json") for v in values]
            else:
                pts = [(v, root / benchlab.result_dir_name(
                    benchlab.sweep_config(benchlab.CONFIGS[name] | {"name": name}, kind, v)["name"],
                    iops[0]) / "results.json") for v in values]
            base = benchlab.write_sweep(root, name, kind, benchlab.sweep_rows(pts))
            log(f"sweep {name} over {kind}: {base or 'no plot (gnuplot failed)'}"
                f"{'.png, .svg, .dat' if base else ''}")
    return 0 if all(r["complete"] for r in recs) else 1


def cmd_bench_smoke(args):
    """make bench-smoke: the smoke configuration (one run each of off, halt
    and pv) at the default swap throttle, then the mode invariants.  The
    results go to build/bench-smoke/ (not bench/results: a check, not a
    measurement)."""
    c = benchlab.bench_config("smoke")
    # A check, not a measurement: a dirty tree or a busy L0 (after
    # --idle-wait) is recorded and flagged, not refused.
    args.smoke = True
    source = benchlab.source_state(REPO)
    imgs = build("ours", want_our_qemu=True)
    art = build_bench()
    root = Path(args.out) if args.out else BUILD / "bench-smoke"
    t0 = time.monotonic()

    def progress(msg):
        print(f"lab: {msg}", flush=True)
    rec = run_bench(c, int(benchlab.DEFAULT_SWAP_IOPS), imgs, art, args, root, progress, source)
    res = root / benchlab.result_dir_name(c["name"], int(benchlab.DEFAULT_SWAP_IOPS)) / "results.json"
    if not res.exists():
        die(f"bench-smoke: no results ({len(rec['attempts'])} L1 attempt(s); see lab.json)", 1)
    checks = benchlab.smoke_verdict(res)
    for name, ok, detail in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}: {detail}")
    bad = [x for x in checks if not x[1]]
    print(f"bench-smoke: {len(checks) - len(bad)} of {len(checks)} checks passed in "
          f"{(time.monotonic() - t0) / 60:.1f} min ({res.parent})")
    return 1 if bad else 0


# -------------------------------------------------------------- stress --
def stress_cfg_maker(labexit, args):
    """The config disk of a stress trial: l1-stress.sh as run.sh, labexit,
    and for --mode linux the L2 kernel and initramfs."""
    def make(path, scn, imgs, params):
        env = {"STRESS_MODE": args.mode, "STRESS_SECS": str(args.secs),
               "STRESS_VCPUS": str(args.vcpus), "STRESS_SYSCALLS": str(args.syscalls),
               "STRESS_L2_SMP": str(args.l2_smp), "STRESS_L2_SECS": str(args.l2_secs),
               "STRESS_WL": args.wl, "STRESS_L2_MEM": str(args.l2_mem),
               "STRESS_MEMMAX": args.memory_max,
               "HB_CGROUPS": "/sys/fs/cgroup/lab-stress" if args.mode == "swap" else "/nonexistent"}
        write_cfg_tar(path, env, GUEST / "l1-stress.sh",
                      {"labexit": labexit, "l2-kernel": imgs["kernels"]["l2"],
                       "l2-initrd": imgs["l2_initrd"]})
        return env
    return make


def l2_failure_tails(rdir, n=15):
    """The last lines of every L2 boot that did not finish (l1-stress.sh's
    l2-outcomes), from L1's results disk."""
    out = []
    oc = rdir / "l2-outcomes"
    for line in (oc.read_text().splitlines() if oc.exists() else []):
        parts = line.split()
        if len(parts) >= 2 and parts[1] != "done":
            for name in (f"l2-{parts[0]}.log", f"qemu-{parts[0]}.log"):
                f = rdir / name
                if f.exists():
                    tail = f.read_text(errors="replace").splitlines()[-n:]
                    out += [f"--- {name} ({line}) ---"] + tail
    return out


def cmd_stress(args):
    """N trials, each one L1 boot running labexit for --secs: the L1 crash
    rate of the nested SVM state switch under L0_QEMU.  Results (summary,
    per-trial records, the serial excerpt of every crash) go to --out."""
    imgs = build(args.kernels, want_our_qemu=False)
    labexit = build_static_tools()["labexit"]
    config = {"mode": args.mode, "secs": args.secs, "vcpus": args.vcpus,
              "syscalls": args.syscalls, "l2_smp": args.l2_smp, "l2_secs": args.l2_secs,
              "wl": args.wl, "l2_mem": args.l2_mem, "memory_max": args.memory_max,
              "kernels": imgs["kernels"]["kind"], "l1": imgs["kernels"]["version"],
              "l0_qemu": L0_QEMU, "l0_version": first_line([L0_QEMU, "--version"]),
              "l0_sha256": file_digest(L0_QEMU),
              "load_before": os.getloadavg()}
    out = Path(args.out) if args.out else LAB / "results" / \
        f"{time.strftime('%Y-%m-%d', time.gmtime())}-stress-{args.label}"
    try:
        trials, old_config = stresslab.resume_state(out)
    except ValueError as e:
        die(f"cannot resume: {e}", 2)
    if trials and not args.resume:
        die(f"{out} already has {len(trials)} trials: --resume adds to them, "
            "or pick another --out/--label", 2)
    if trials:
        diff = stresslab.config_mismatch(old_config, config)
        if diff:
            die(f"cannot resume {out}: its trials ran with other {', '.join(diff)}", 2)
        config["load_before_first"] = old_config.get("load_before_first", old_config.get("load_before"))
    (out / "crashes").mkdir(parents=True, exist_ok=True)
    write_stress_summary(out, trials, args.label, config)
    scn = {"name": "stress", "title": f"stress ({args.mode})", "runs": []}
    params = dict(DEFAULT_PARAMS, timeout=args.secs + 300, idle_timeout=90)
    maker = stress_cfg_maker(labexit, args)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    first = len(trials) + 1

    def progress(msg):
        print(f"lab: {msg}", flush=True)
    for i in range(first, first + args.trials):
        adir = BUILD / "runs" / f"{stamp}-stress" / f"trial{i}"
        att = Attempt(scn, i, adir)
        start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        load = [round(x, 2) for x in os.getloadavg()]
        rdir = boot_l1(att, imgs, scn, params, progress, cfg_maker=maker)
        serial = adir / "serial.log"
        errlog = adir / "l0-stderr.log"
        err = errlog.read_text(errors="replace") if errlog.exists() else ""
        lx = rdir / "labexit.txt"
        rec = stresslab.trial_record(i, att, err, lx.read_text() if lx.exists() else "")
        rec.update(start=start, load_before=load)   # the rate may depend on L0's load
        if att.outcome != "ok" or rec["svmdbg"] or stresslab.failed(rec):
            lines = relevant_log(serial, att, n=120)
            lines += l2_failure_tails(rdir)
            lines += first_svmdbg_report(err)
            (out / "crashes" / f"trial{i:03d}.txt").write_text("\n".join(lines) + "\n")
            rec["excerpt"] = f"crashes/trial{i:03d}.txt"
        trials.append(rec)
        with open(out / "trials.jsonl", "a") as f:
            f.write(json.dumps(rec) + "\n")
        write_stress_summary(out, trials, args.label, config)   # resumable after a kill
        progress(f"stress trial {i}/{first + args.trials - 1}: {att.outcome} {att.reason[:120]} "
                 f"{rec['labexit'].get('io_exits', '-')} exits, svmdbg {rec['svmdbg']}")
        if att.outcome == "error":
            progress("stress: stopped: the lab itself failed (not a crash of L1)")
            break
    summ = write_stress_summary(out, trials, args.label, config)
    progress(f"stress {args.label}: {summ['trials_failed']} of {summ['trials']} trials failed "
             f"(L1 or an L2; 95% CI {summ['failed_rate_ci95']}), L1 crashed or hung in "
             f"{summ['crash'] + summ['hang']}; {out}")
    return stress_exit(summ, args.max_failed)


def stress_exit(summ, max_failed=None):
    """1 when the lab itself failed (an error trial), or, with --max-failed
    (stress-smoke, a regression test of the TCG fixes), when more trials
    failed than allowed; else 0: a measurement's crashes are its result."""
    if summ["error"]:
        return 1
    if max_failed is not None and summ["trials_failed"] > max_failed:
        log(f"error: {summ['trials_failed']} trial(s) failed, --max-failed {max_failed}")
        return 1
    return 0


# ------------------------------------------------------------ selftest --
def cmd_selftest(args):
    """One static binary (e.g. a KVM selftest built with -static) run once
    in L1 by guest/l1-selftest.sh: no swap, no L2.  Prints its output and
    returns its exit status (4: KSFT_SKIP); 1 if L1 did not run it to the
    end.  The serial log and L1's results stay in build/runs/."""
    binp = Path(args.bin).resolve()
    if binp.is_dir():
        return cmd_selftest_suite(args, binp)
    if not binp.is_file() or not is_static_elf(binp):
        die(f"{binp}: not a static ELF executable (L1 has no libraries)", 2)
    imgs = build(args.kernels, want_our_qemu=False)
    env = {"SELFTEST_NAME": binp.name, "SELFTEST_ARGS": args.args,
           "SELFTEST_TIMEOUT": str(args.secs)}

    def make(path, scn, imgs, params):
        write_cfg_tar(path, env, GUEST / "l1-selftest.sh", {"selftest": binp})
        return env
    scn = {"name": "selftest", "title": f"selftest {binp.name}", "runs": []}
    params = dict(DEFAULT_PARAMS, l1_mem="2G", swap_mb=64, timeout=args.secs + 240)
    adir = BUILD / "runs" / f"{time.strftime('%Y%m%d-%H%M%S')}-selftest-{binp.name}-{args.kernels}"
    att = Attempt(scn, 1, adir)
    rdir = boot_l1(att, imgs, scn, params, lambda m: print(f"lab: {m}", flush=True),
                   cfg_maker=make)
    rc_file = rdir / "selftest.rc"
    rc = rc_file.read_text().strip() if rc_file.exists() else ""
    log(f"selftest {binp.name} on {imgs['kernels']['kind']} L1 "
        f"({imgs['kernels']['version']}): L1 {att.outcome} {att.reason[:150]}, "
        f"exit {rc or 'none'}; log in {adir.relative_to(LAB)}")
    if att.outcome != "ok" or not rc.isdigit():
        return 1
    return int(rc)


def selftest_verdict(rc, secs, bound, text):
    """(result, reason) of one test of a suite run: pass, skip, fail,
    timeout, or not run (L1 died before it ended)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if rc is None:
        return "not run", "L1 crashed or hung before the test ended"
    if rc in (137, 143) or (rc != 0 and rc != 4 and secs >= bound):
        return "timeout", f"bound {bound}s"
    if rc == 0:
        return "pass", ""
    if rc == 4:
        skips = [ln for ln in lines if re.search(r"skip", ln, re.I)]
        return "skip", (skips[-1] if skips else (lines[-1] if lines else ""))[:300]
    if "==== Test Assertion Failure ====" in lines:
        i = lines.index("==== Test Assertion Failure ====")
        # file:line: expression, then the message after the backtrace.
        noise = re.compile(r"(pid=|\d+\s+0x[0-9a-f]+|0x[0-9a-f]+:|\?\?|:0|sh: addr2line)")
        msg = [ln for ln in lines[i + 1:] if not noise.match(ln)]
        return "fail", f"rc {rc}: " + " | ".join(msg[:3])[:400]
    fails = [ln for ln in lines if re.search(r"not ok|fail|error", ln, re.I)]
    return "fail", f"rc {rc}: " + ((fails[-1] if fails else (lines[-1] if lines else ""))[:300])


def cmd_selftest_suite(args, bindir):
    """lab.py selftest --bin DIR: the static executables under DIR (or
    those --tests names, paths relative to DIR), one L1 boot, one after the
    other under guest/l1-selftest-suite.sh, each bound by --secs.  Writes
    OUT/<kernels>.json (per test: result, reason, rc, seconds, the
    kvm.async_pf value after it) and OUT/<kernels>/ (outputs, dmesg lines,
    the serial log).  Exit 0 when L1 ran every test to its end."""
    if args.tests:
        names = [t for t in args.tests.split(",") if t]
    else:
        names = sorted(str(f.relative_to(bindir)) for f in bindir.rglob("*")
                       if f.is_file() and os.access(f, os.X_OK) and is_static_elf(f))
    bases = {}
    for t in names:
        f = bindir / t
        if not f.is_file() or not is_static_elf(f):
            die(f"{f}: not a static ELF executable (L1 has no libraries)", 2)
        if Path(t).name in bases:
            die(f"{t} and {bases[Path(t).name]}: the same name (L1 keeps basenames)", 2)
        bases[Path(t).name] = t
    imgs = build(args.kernels, want_our_qemu=False)
    l0 = first_line([L0_QEMU, "--version"])     # before the boot: a rebuild may replace it
    env = {"SELFTEST_TIMEOUT": str(args.secs)}
    adir = BUILD / "runs" / f"{time.strftime('%Y%m%d-%H%M%S')}-selftest-suite-{args.kernels}"
    adir.mkdir(parents=True, exist_ok=True)
    (adir / "tests.txt").write_text("".join(f"{t}\n" for t in names))

    def make(path, scn, imgs, params):
        files = {"tests.txt": adir / "tests.txt"}
        files.update({f"st.{Path(t).name}": bindir / t for t in names})
        write_cfg_tar(path, env, GUEST / "l1-selftest-suite.sh", files)
        return env
    scn = {"name": "selftest-suite", "title": f"selftests in {bindir}", "runs": []}
    params = dict(DEFAULT_PARAMS, l1_mem=args.l1_mem, swap_mb=64, res_mb=256,
                  timeout=len(names) * (args.secs + 20) + 300)
    att = Attempt(scn, 1, adir)
    rdir = boot_l1(att, imgs, scn, params, lambda m: print(f"lab: {m}", flush=True),
                   cfg_maker=make)
    done = {}
    tsv = rdir / "suite.tsv"
    for ln in (tsv.read_text().splitlines() if tsv.exists() else []):
        f = ln.split()
        if len(f) == 4:
            done[f[0]] = (int(f[1]) if f[1].isdigit() else None, float(f[2]), f[3])
    tests = []
    for t in names:
        b = Path(t).name
        out = rdir / "suite" / f"{b}.txt"
        text = out.read_text(errors="replace") if out.exists() else ""
        rc, secs, param = done.get(t, (None, 0.0, ""))
        result, reason = selftest_verdict(rc, secs, args.secs, text)
        tests.append({"test": t, "result": result, "reason": reason, "rc": rc,
                      "secs": secs, "async_pf_after": param})
    counts = {}
    for r in tests:
        counts[r["result"]] = counts.get(r["result"], 0) + 1
    host = rdir / "host.txt"
    uname = host.read_text().splitlines()[0] if host.exists() else ""
    data = {"kernels": args.kernels, "kernel": imgs["kernels"]["version"], "uname": uname,
            "l0": l0, "bound_s": args.secs,
            "l1": {"outcome": att.outcome, "reason": att.reason, "wall_s": round(att.wall, 1),
                   "warnings": att.warnings},
            "counts": counts, "tests": tests, "run_dir": str(adir)}
    out = Path(args.out).resolve() if args.out else adir
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{args.kernels}.json").write_text(json.dumps(data, indent=1) + "\n")
    if out != adir:
        odir = out / args.kernels
        shutil.rmtree(odir, ignore_errors=True)
        odir.mkdir()
        for f in [adir / "serial.log", rdir / "host.txt", rdir / "dmesg.txt", tsv]:
            if f.exists():
                shutil.copy(f, odir / f.name)
        if (rdir / "suite").is_dir():
            shutil.copytree(rdir / "suite", odir / "suite")
    log(f"selftest suite on {imgs['kernels']['kind']} L1 ({imgs['kernels']['version']}): "
        f"L1 {att.outcome} {att.reason[:150]}; {len(done)} of {len(names)} run; "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + f"; {out}")
    return 0 if len(done) == len(names) else 1


def write_stress_summary(out, trials, label, config):
    summ = stresslab.summary(trials, label, config)
    summ["load_after"] = os.getloadavg()
    (out / "summary.json").write_text(json.dumps(summ, indent=1) + "\n")
    return summ


def positive_int(v):
    """argparse type: an integer of at least 1."""
    n = int(v)
    if n < 1:
        raise argparse.ArgumentTypeError(f"{v}: at least 1")
    return n


def arg_parser():
    """lab.py's command line (main(); the unit tests parse with it)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-v", "--verbose", action="store_true", help="echo the whole serial console")
    ap.add_argument("--arch", choices=("x86_64", "arm64"), default="x86_64",
                    help="arm64: the aarch64 lab (arm64lab.py; build, run, table)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--kernels", choices=KERNEL_KINDS, default="stock")
    for name in ("run", "smoke", "check"):
        p = sub.add_parser(name)
        if name == "run":
            p.add_argument("--kernels", choices=KERNEL_KINDS, default="ours")
            p.add_argument("scenarios", nargs="+", choices=sorted(SCENARIOS))
            p.add_argument("--l2-smp", type=positive_int, default=0,
                           help="L2 vCPUs (default: the scenario's, 1); L1 gets at least as many")
            p.add_argument("--l2-qemu", choices=("debian", "apf"), default=None,
                           help="apf: every run's L2 under our QEMU in L1 (/usr/bin/qemu-apf), "
                           "not only the scenarios' that ask for it (the default with "
                           "--arch arm64, where only ours opts in to async PF); debian: "
                           "Debian's where a scenario does not ask (the x86 default)")
        p.add_argument("--attempts", type=int, default=3 if name != "smoke" else 2,
                       help="bounded retries of crashed or hung attempts")
        p.add_argument("--timeout", type=int, default=0, help="per L1 boot, s")
    t = sub.add_parser("table")
    t.add_argument("scenarios", nargs="*")
    bt = sub.add_parser("bench-table", help="bench/results/README.md table rows")
    bt.add_argument("dirs", nargs="*", help="results directories (default: every lab one)")
    bp = sub.add_parser("bench", help="the throughput benchmark (bench/) in the lab")
    bp.add_argument("configs", nargs="*", metavar="CONFIG",
                    help=f"of {', '.join(benchlab.CONFIGS)} (default natapov)")
    bp.add_argument("--swap-iops", default=benchlab.DEFAULT_SWAP_IOPS,
                    help="IOPS limits of L1's swap disk to sweep, e.g. '0 100 40' (0: none; "
                    f"default {benchlab.DEFAULT_SWAP_IOPS})")
    bp.add_argument("--reps", type=int, help="repetitions per mode (config's default)")
    bp.add_argument("--sweep", metavar="KIND=V1,V2,...",
                    help="one result set per value and a sweep plot: smp=1,2,4 (vCPUs, as many "
                    "fault and compute threads), overcommit=0.5,0.7,0.9 (memory.max over the "
                    "working set), iops=40,200,2000,0 (swap IOPS, 0 unthrottled)")
    bp.add_argument("--modes", help="comma-separated of pv,halt,off,baseline")
    bp.add_argument("--workload", help="apf-workload options instead of the config's")
    bp.add_argument("--run-bound", type=int, help="apf-bench --timeout per run, s")
    bp.add_argument("--out", help="results root (default bench/results/<date>-lab)")
    bsp = sub.add_parser("bench-smoke", help="one run each of off, halt, pv; the mode invariants")
    bsp.add_argument("--out", help="results root (default build/bench-smoke)")
    for p in (bp, bsp):
        p.add_argument("--attempts", type=int, default=3,
                       help="bounded L1 boots; a crashed or hung L1 is booted again and "
                       "the next attempt keeps the runs the last one finished")
        p.add_argument("--timeout", type=int, default=0, help="per L1 boot, s (default derived)")
        p.add_argument("--seed", type=int, help="of apf-bench's run order (default random, recorded)")
        p.add_argument("--allow-busy", action="store_true",
                       help="run on a busy L0 (load, steal, other QEMU or compilers); "
                       "every run is flagged busy")
        p.add_argument("--idle-wait", type=int, default=300,
                       help="seconds to wait for a busy L0 to calm (default 300)")
        p.add_argument("--allow-dirty", action="store_true",
                       help="run from uncommitted benchmark sources (recorded as dirty)")
        p.add_argument("--swap-bps", type=int, default=0, help="bytes/s limit of the swap disk")
    sp = sub.add_parser("stress", help="L1 crash rate under nested SVM exit stress (labexit)")
    sp.add_argument("--trials", type=int, default=50, help="L1 boots (default 50)")
    sp.add_argument("--secs", type=int, default=60, help="labexit run per trial, s")
    sp.add_argument("--vcpus", type=int, default=2, help="labexit vCPU threads (own VMs)")
    sp.add_argument("--syscalls", type=int, default=1, help="labexit syscall threads")
    sp.add_argument("--l2-mem", type=int, default=256, help="L2 memory, MB (linux, swap)")
    sp.add_argument("--memory-max", default="160M",
                    help="memory.max of the L2 QEMUs' cgroup in L1 (swap)")
    sp.add_argument("--mode", choices=("exits", "linux", "swap"), default="linux",
                    help="exits: labexit's tiny VMs; linux: L2 Linux boots with labwl; "
                         "swap: as linux, L2 in a memory cgroup over L1's swap")
    sp.add_argument("--l2-smp", type=int, default=2, help="L2 vCPUs (linux)")
    sp.add_argument("--l2-secs", type=int, default=60, help="bound of one L2 boot, s (linux)")
    sp.add_argument("--wl", default="--mb,64,--writers,1,--compute,2,--phases,1,--phase-secs,20",
                    help="labwl arguments in L2, ',' for ' ' (linux)")
    sp.add_argument("--kernels", choices=KERNEL_KINDS, default="ours")
    sp.add_argument("--label", default="l0", help="names the results directory")
    sp.add_argument("--out", help="results directory (default tests/lab/results/<date>-stress-LABEL)")
    sp.add_argument("--max-failed", type=int, default=None,
                    help="exit 1 when more trials failed (a regression test); default: "
                         "crashes are the measurement, exit 0")
    sp.add_argument("--resume", action="store_true",
                    help="add trials to those already in --out (same configuration); "
                         "the summary covers them all")
    st = sub.add_parser("selftest", help="run one static binary (a KVM selftest) in L1")
    st.add_argument("--bin", required=True, help="static executable, run as root in L1")
    st.add_argument("--args", default="", help="its arguments, ',' for ' '")
    st.add_argument("--kernels", choices=KERNEL_KINDS, default="ours",
                    help="L1 kernel: ours (kernel/build/lab/bzImage-host) or Debian's")
    st.add_argument("--secs", type=int, default=600, help="bound of the binary's run in L1, s "
                    "(with a directory: of each test)")
    st.add_argument("--tests", default="", help="with --bin DIR: the tests to run, paths relative "
                    "to DIR, ',' between (default every static executable under DIR)")
    st.add_argument("--l1-mem", default="3G", help="with --bin DIR: L1's memory")
    st.add_argument("--out", help="with --bin DIR: where <kernels>.json and <kernels>/ go "
                    "(default the run's directory under build/runs/)")
    return ap


def main():
    global VERBOSE, L0_QEMU, ARCH, BUILD
    args = arg_parser().parse_args()
    VERBOSE = args.verbose
    ARCH = args.arch
    if ARCH == "arm64":
        if args.cmd not in ("build", "run", "table", "selftest"):
            die(f"lab.py {args.cmd} is x86 only so far (the aarch64 lab has build, run, "
                "table, selftest)")
        BUILD = BUILD / "arm64"
        L0_QEMU = arm64lab.L0_QEMU
        SCENARIOS.update(arm64lab.SCENARIOS)
    elif args.cmd not in ("build", "table", "bench-table"):
        L0_QEMU = l0_qemu(strict=args.cmd in STRICT_L0_CMDS)
        log(f"L0: {L0_QEMU} ({first_line([L0_QEMU, '--version'])})")
    os.environ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin:" + os.environ.get("PATH", "")
    atexit.register(cleanup)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    if args.cmd == "build":
        build(args.kernels)
        return 0
    if args.cmd == "table":
        names = args.scenarios or sorted(SCENARIOS)
        res = [read_json(BUILD / "results" / f"{n}.json") for n in names
               if (BUILD / "results" / f"{n}.json").exists()]
        print_table(res, "last results")
        return 0
    if args.cmd == "bench":
        return cmd_bench(args)
    if args.cmd == "bench-smoke":
        return cmd_bench_smoke(args)
    if args.cmd == "stress":
        return cmd_stress(args)
    if args.cmd == "selftest":
        return cmd_selftest(args)
    if args.cmd == "bench-table":
        dirs = [Path(d) for d in args.dirs] or \
            sorted(p.parent for p in (BENCH / "results").glob("*-lab/*/results.json"))
        for d in dirs:
            d = d.resolve()
            name = d.relative_to(BENCH / "results") if d.is_relative_to(BENCH / "results") else d
            print(benchlab.markdown_row(name, d / "results.json", d / "lab.json"))
        return 0
    if args.cmd == "smoke":
        return cmd_run(args, ["a"], "stock", "lab-smoke")
    if args.cmd == "check":
        return cmd_run(args, ["b", "c", "d", "e", "f", "h"], "ours", "lab-check")
    return cmd_run(args, args.scenarios, args.kernels, "lab run")


if __name__ == "__main__":
    sys.exit(main())
