# SPDX-License-Identifier: GPL-2.0-only
"""The aarch64 lab's images (issue 19): lab.py with --arch arm64.

L0 is qemu-system-aarch64 (TCG, -M virt,virtualization=on,gic-version=3
-cpu max), L1 our arm64 host kernel (kernel/build/lab/Image-host-arm64,
`make -C kernel lab-arm64`), L2 our arm64 guest kernel under L1's KVM.
Everything that runs inside L1 and L2 is arm64: busybox-static:arm64 and
Debian's arm64 qemu-system-aarch64 (bookworm-backports, the version L0
runs) with its libraries, from .debs fetched with apt-get download after
`dpkg --add-architecture arm64` (never installed), and the lab's helpers
cross-built statically with aarch64-linux-gnu-gcc.  Our QEMU for the
virt machine (`make -C qemu build-arm64-host`, cross-built, KVM only),
where built, goes in as /usr/bin/qemu-apf, like the x86 lab's: scenarios
f, g and k run L2 under it, and `run --l2-qemu apf` every run.  The
functions take
the lab module (L) for its builders and paths, so that lab.py stays the
one runner: this file only knows what differs on arm64.
"""
import os
import re
import subprocess
from pathlib import Path

CROSS = "aarch64-linux-gnu-"
MACHINE = "virt,virtualization=on,gic-version=3"
L0_QEMU = "/usr/bin/qemu-system-aarch64"
# L2's machine inside L1 (KVM: no EL2 for L2, the vGIC is GICv3).
L2_MACHINE = "virt,gic-version=3"
QEMU_DEB = "qemu-system-arm:arm64"
QEMU_SUITE = "bookworm-backports"   # the QEMU 10.0 of L0 (DESIGN.md "Pinned bases")
L1_QEMU = "/usr/bin/qemu-system-aarch64"
# Ours, in L1 (lab.py names it the same on x86).
OUR_QEMU = "/usr/bin/qemu-apf"
# Ours as on a host kernel without the arm64 async PF registers
# (src/hide-apf-regs.c): scenario g's destination that must refuse.
NOREG_QEMU = "/usr/bin/qemu-apf-noreg"
NOREG_SHIM = "/usr/lib/lab/hide-apf-regs.so"
LIB_DIRS = ["lib/aarch64-linux-gnu", "usr/lib/aarch64-linux-gnu", "lib", "usr/lib"]


def run_out(L, cmd):
    return L.run(cmd, capture_output=True, text=True).stdout


def fetch_root(L):
    """busybox-static:arm64, qemu-system-arm:arm64 and the library
    packages it depends on (recursively), unpacked into build/arm64/root.
    Cached by the list of .deb files apt chose."""
    base = L.BUILD
    debs, root = base / "debs", base / "root"
    debs.mkdir(parents=True, exist_ok=True)
    if "arm64" not in run_out(L, ["dpkg", "--print-foreign-architectures"]).split():
        L.die("no arm64 packages: dpkg --add-architecture arm64 && apt-get update "
              "(APF_CROSS_ARCHES=arm64 scripts/install-deps)")
    dep = run_out(L, ["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
                      "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances",
                      "--no-pre-depends", "-t", QEMU_SUITE, QEMU_DEB])
    libs = sorted({x for x in dep.splitlines()
                   if re.match(r"(lib|zlib)\S*:arm64$", x)})
    if not libs:
        L.die(f"apt-cache knows no dependencies of {QEMU_DEB}")
    want = ["busybox-static:arm64", f"{QEMU_DEB}/{QEMU_SUITE}"] + libs
    stamp = base / "debs.list"
    if stamp.exists() and stamp.read_text().split("\n")[0] == " ".join(want) and root.is_dir():
        return root
    L.log(f"fetching {len(want)} arm64 packages (apt-get download) into {debs}")
    for f in debs.glob("*.deb"):
        f.unlink()
    # One by one: a virtual package in the list (one of several
    # alternatives) has nothing to download and is skipped.
    for p in want:
        r = subprocess.run(["apt-get", "download", "-q", p], cwd=debs,
                           capture_output=True, text=True)
        if r.returncode and p in want[:2]:
            L.die(f"apt-get download {p}: {r.stderr.strip()[-300:]}")
    got = sorted(f.name for f in debs.glob("*.deb"))
    subprocess.run(["rm", "-rf", str(root)], check=True)
    root.mkdir()
    for f in got:
        L.run(["dpkg-deb", "-x", str(debs / f), str(root)])
    stamp.write_text(" ".join(want) + "\n" + "\n".join(got) + "\n")
    return root


def in_root(root, path, depth=0):
    """path (absolute, as the arm64 system names it) inside root, with
    symbolic links resolved against root rather than this machine."""
    if depth > 40:
        raise OSError(f"symbolic link loop at {path}")
    parts = Path(path).parts[1:]
    cur = Path("/")
    for i, part in enumerate(parts):
        q = root / (cur / part).relative_to("/")
        if q.is_symlink():
            t = Path(os.readlink(q))
            full = (t if t.is_absolute() else cur / t).joinpath(*parts[i + 1:])
            return in_root(root, os.path.normpath(full), depth + 1)
        cur = cur / part
    return root / cur.relative_to("/")


def needed(elf):
    """DT_NEEDED sonames and the program interpreter of an ELF file."""
    out = subprocess.run([CROSS + "readelf", "-dl", str(elf)], capture_output=True,
                         text=True, check=True).stdout
    sonames = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)
    interp = re.findall(r"Requesting program interpreter: ([^\]]+)\]", out)
    return sonames, interp


def cross_libs(root, binary):
    """The arm64 libraries a binary of root loads, as (path in the arm64
    system, file in root): ldd's answer without running the loader."""
    found, todo = {}, [binary]
    while todo:
        sonames, interp = needed(todo.pop())
        for i in interp:
            if i not in found:
                found[i] = in_root(root, i)
        for s in sonames:
            if any(Path(k).name == s for k in found):
                continue
            for d in LIB_DIRS:
                f = in_root(root, f"/{d}/{s}")
                if f.is_file():
                    found[f"/{d}/{s}"] = f
                    todo.append(f)
                    break
            else:
                raise FileNotFoundError(f"no arm64 {s} (needed by {binary.name})")
    return found


def build_l2_initrd(L, root, tools, apfctl):
    """lab.build_l2_initrd with the arm64 busybox (busybox-static:arm64)."""
    return L.build_l2_initrd(tools, apfctl, busybox=root / "bin" / "busybox",
                             tag="arm64-v1", what="arm64 L2")


def find_our_qemu(L):
    """Our qemu-system-aarch64 for arm64 hosts, as `make -C qemu
    build-arm64-host` leaves it (LAB_APF_QEMU_ARM64 overrides), if any."""
    env = os.environ.get("LAB_APF_QEMU_ARM64")
    p = Path(env) if env else L.REPO / "qemu" / "build" / "arm64-host" / "qemu-system-aarch64"
    if not p.is_file():
        return None
    if "ARM aarch64" not in run_out(L, ["file", "-b", str(p)]):
        L.die(f"{p} is not an arm64 binary")
    if b"async-pf" not in p.read_bytes():
        L.log(f"{p} has no async-pf accelerator property; not using it")
        return None
    return p


def stripped(L, binary):
    """binary without its debug information (30 MB less in L1's initramfs)."""
    out = L.BUILD / "bin" / f"{binary.name}.stripped"
    k = L.key_of(binary, "strip-v1")
    if not L.cached(out, k):
        out.parent.mkdir(parents=True, exist_ok=True)
        L.run([CROSS + "strip", "-o", str(out), str(binary)])
        L.set_cached(out, k)
    return out


def build_shim(L):
    """src/hide-apf-regs.c as an arm64 LD_PRELOAD library."""
    src = L.SRC / "hide-apf-regs.c"
    out = L.BUILD / "bin" / "hide-apf-regs.so"
    k = L.key_of(src, "shim-v1")
    if not L.cached(out, k):
        out.parent.mkdir(parents=True, exist_ok=True)
        L.run([CROSS + "gcc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-shared",
               "-fPIC", "-o", str(out), str(src), "-ldl"])
        L.set_cached(out, k)
    return out


def build_l1_initrd(L, root, tools, apfctl, our_qemu=None):
    out = L.BUILD / "l1-initrd.gz"
    qemu = in_root(root, L1_QEMU)
    libs = cross_libs(root, qemu)
    ours = stripped(L, our_qemu) if our_qemu else None
    shim = build_shim(L) if ours else None
    if ours:
        # Its libraries are a subset of Debian's QEMU's (glib, zlib, libfdt)
        libs.update(cross_libs(root, ours))
    k = L.key_of(root / "bin" / "busybox", tools["labmon"], tools["labqmp"], apfctl,
                 L.GUEST / "l1-init", qemu, *sorted(str(v) for v in libs.values()),
                 *([ours, shim] if ours else []), "arm64-v2")
    if L.cached(out, k):
        return out
    c = L.Cpio()
    for x in ("proc", "sys", "dev", "tmp", "run", "lab", "sbin", "usr/bin", "usr/sbin", "etc"):
        c.dir(x)
    L.add_busybox(c, root / "bin" / "busybox")
    c.file("/init", src=L.GUEST / "l1-init", mode=0o755)
    c.file("/usr/bin/labmon", src=tools["labmon"], mode=0o755)
    c.file("/usr/bin/labqmp", src=tools["labqmp"], mode=0o755)
    c.file("/usr/bin/apfctl", src=apfctl, mode=0o755)
    c.file(L1_QEMU, src=qemu, mode=0o755)
    if ours:
        c.file(OUR_QEMU, src=ours, mode=0o755)
        c.dir("usr/lib/lab")
        c.file(NOREG_SHIM, src=shim, mode=0o755)
        c.file(NOREG_QEMU, data=(f"#!/bin/sh\n# {OUR_QEMU} as on a kernel without the arm64 "
                                 f"async PF registers\nLD_PRELOAD={NOREG_SHIM} exec {OUR_QEMU} "
                                 "\"$@\"\n").encode(), mode=0o755)
    for dest, src in libs.items():
        c.file(dest, data=src.read_bytes(), mode=0o755)
    size = c.write(out)
    L.set_cached(out, k)
    L.log(f"arm64 L1 initramfs: {out.relative_to(L.LAB)} ({size >> 20} MiB raw, "
          f"qemu-system-aarch64{' and ours' if ours else ''} with {len(libs)} libraries)")
    return out


def kernels(L, kind):
    if kind != "ours":
        L.die(f"the aarch64 lab has only our kernels (--kernels ours), not {kind}")
    # Development overrides, as on x86: any arm64 Image for either level.
    k = {"kind": "ours", "version": "apf-lab-arm64",
         "l1": Path(os.environ.get("LAB_L1_KERNEL", L.OUR_KERNELS / "Image-host-arm64")),
         "l2": Path(os.environ.get("LAB_L2_KERNEL", L.OUR_KERNELS / "Image-guest-arm64"))}
    for r in ("l1", "l2"):
        if not k[r].exists():
            L.die(f"{k[r]} missing: make -C kernel lab-arm64")
    key = L.OUR_KERNELS / ".key-arm64-host"
    k["key"] = key.read_text().strip() if key.exists() else L.sha256(k["l1"])
    return k


def build(L, kind):
    """Everything an arm64 run needs; the image dict of lab.build()."""
    for tool in (L0_QEMU, ):
        if not Path(tool).exists():
            L.die(f"{tool} missing: apt-get install -t bookworm-backports qemu-system-arm "
                  "(scripts/install-deps)")
    k = kernels(L, kind)
    root = fetch_root(L)
    tools = L.build_static_tools(CROSS, ("labmon", "labwl", "labqmp"))
    apfctl = L.build_apfctl(CROSS)
    oq = find_our_qemu(L)
    if not oq:
        L.log("no APF Suite QEMU for arm64 (make -C qemu build-arm64-host): "
              "L2 runs under Debian's only")
    return {"kernels": k, "l1_initrd": build_l1_initrd(L, root, tools, apfctl, oq),
            "l2_initrd": build_l2_initrd(L, root, tools, apfctl), "our_qemu": oq}


def l1_cmd(imgs, params, append, swap_opts, cfg, res):
    """L0's command line for L1 (lab.boot_l1's x86 one, on virt)."""
    return [L0_QEMU, "-M", MACHINE, "-accel", "tcg", "-cpu", "max", "-m", params["l1_mem"],
            "-smp", str(params.get("l1_smp", 2)),
            "-kernel", str(imgs["kernels"]["l1"]), "-initrd", str(imgs["l1_initrd"]),
            "-append", append,
            "-drive", swap_opts,
            "-device", "virtio-blk-device,drive=swap,serial=labswap",
            "-drive", f"file={cfg},if=none,id=cfg,format=raw,readonly=on",
            "-device", "virtio-blk-device,drive=cfg,serial=labcfg",
            "-drive", f"file={res},if=none,id=res,format=raw",
            "-device", "virtio-blk-device,drive=res,serial=labres",
            "-nographic", "-nodefaults", "-serial", "stdio", "-monitor", "none", "-no-reboot"]


# What l1-run.sh runs L2 with on arm64 (lab.env).
L1_ENV = {"LAB_L2_QEMU": "qemu-system-aarch64", "LAB_L2_MACHINE": L2_MACHINE,
          "LAB_L2_TTY": "ttyAMA"}


# The scenarios that differ on arm64 (lab.main() puts them in SCENARIOS).
SCENARIOS = {
    "g": {
        "title": "live migration between two of our QEMUs in L1, faults in flight: the guest "
                 "keeps APF (KVM_REG_ARM_FW_ASYNC_PF restored); destinations with kvm-asyncpf=off "
                 "or without the function refuse, naming the registers",
        "kernels": "ours",
        "needs_our_qemu": True,
        # As x86's g: half the buffer and limit, long phases, four writers
        # so that guest waits are open at the switchover.
        "params": {"wl": "--mb,128,--writers,4,--compute,1,--phases,2,--phase-secs,150,"
                         "--max-secs,900",
                   "memmax": "96M", "timeout": 1800},
        "runs": [{"name": "mig", "qemu": "apf", "accel": "-accel kvm,async-pf=on",
                  "migrate": "qemu-apf|kvm-asyncpf=off|fail qemu-apf-noreg||fail qemu-apf"}],
    },
}
