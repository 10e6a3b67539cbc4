# SPDX-License-Identifier: GPL-2.0-only
"""arm64lab.py without a VM: symbolic links of an unpacked arm64 root
resolved against that root (not this machine), the cross ldd over real
ELF files built here with the cross compiler, the L0 command line, and
what l1-run.sh gets on arm64."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(LAB))
import arm64lab  # noqa: E402
import lab  # noqa: E402
from l1run import l2_start_cmdline  # noqa: E402


def test_in_root_follows_links_inside_the_root(tmp_path):
    r = tmp_path
    (r / "usr/lib/aarch64-linux-gnu").mkdir(parents=True)
    (r / "usr/lib/aarch64-linux-gnu/libx.so.1.2").write_text("x")
    # relative link, absolute link, a linked directory in the middle
    os.symlink("libx.so.1.2", r / "usr/lib/aarch64-linux-gnu/libx.so.1")
    (r / "lib").mkdir()
    os.symlink("/usr/lib/aarch64-linux-gnu/libx.so.1", r / "lib/libabs.so")
    os.symlink("usr/lib", r / "libdir")
    want = r / "usr/lib/aarch64-linux-gnu/libx.so.1.2"
    assert arm64lab.in_root(r, "/usr/lib/aarch64-linux-gnu/libx.so.1") == want
    assert arm64lab.in_root(r, "/lib/libabs.so") == want
    assert arm64lab.in_root(r, "/libdir/aarch64-linux-gnu/libx.so.1") == want
    # ".." in a link target stays inside the root
    os.symlink("../../usr/lib/aarch64-linux-gnu/libx.so.1.2", r / "lib/up.so")
    assert arm64lab.in_root(r, "/lib/up.so") == want
    # an absolute link to a path this machine has is not taken from it
    os.symlink("/bin/sh", r / "lib/sh")
    assert arm64lab.in_root(r, "/lib/sh") == r / "bin/sh"


def test_in_root_refuses_a_loop(tmp_path):
    os.symlink("b", tmp_path / "a")
    os.symlink("a", tmp_path / "b")
    with pytest.raises(OSError, match="loop"):
        arm64lab.in_root(tmp_path, "/a")


CC = arm64lab.CROSS + "gcc"


@pytest.mark.skipif(not shutil.which(CC), reason=f"no {CC}")
def test_cross_libs_walks_needed_recursively(tmp_path):
    """A program linked against liba, which needs libb: both, the loader
    and libc are found in the root, each once, under the arm64 paths."""
    root = tmp_path / "root"
    libdir = root / "usr/lib/aarch64-linux-gnu"
    libdir.mkdir(parents=True)
    src = tmp_path / "src"
    src.mkdir()
    (src / "b.c").write_text("int b(void) { return 2; }\n")
    (src / "a.c").write_text("int b(void);\nint a(void) { return b() + 1; }\n")
    (src / "m.c").write_text("int a(void);\nint main(void) { return a(); }\n")
    subprocess.run([CC, "-shared", "-fPIC", "-Wl,-soname,libb.so.1", "-o",
                    str(libdir / "libb.so.1"), str(src / "b.c")], check=True)
    subprocess.run([CC, "-shared", "-fPIC", "-Wl,-soname,liba.so.1", "-o",
                    str(libdir / "liba.so.1"), str(src / "a.c"), "-L", str(libdir), "-l:libb.so.1"],
                   check=True)
    (root / "usr/bin").mkdir(parents=True)
    prog = root / "usr/bin/m"
    subprocess.run([CC, "-o", str(prog), str(src / "m.c"), "-L", str(libdir), "-l:liba.so.1",
                    f"-Wl,-rpath-link,{libdir}"], check=True)
    # libc and the loader, as Debian's libc6:arm64 lays them out
    sysroot = Path("/usr/aarch64-linux-gnu/lib")
    (root / "lib/aarch64-linux-gnu").mkdir(parents=True)
    for f in ("libc.so.6", "ld-linux-aarch64.so.1"):
        shutil.copy(sysroot / f, root / "lib/aarch64-linux-gnu" / f)
    os.symlink("/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1", root / "lib/ld-linux-aarch64.so.1")
    got = arm64lab.cross_libs(root, prog)
    assert sorted(got) == ["/lib/aarch64-linux-gnu/libc.so.6", "/lib/ld-linux-aarch64.so.1",
                           "/usr/lib/aarch64-linux-gnu/liba.so.1",
                           "/usr/lib/aarch64-linux-gnu/libb.so.1"]
    assert got["/lib/ld-linux-aarch64.so.1"] == root / "lib/aarch64-linux-gnu/ld-linux-aarch64.so.1"
    # a library that is not in the root is an error, not a silent gap
    (libdir / "libb.so.1").unlink()
    with pytest.raises(FileNotFoundError, match="libb.so.1"):
        arm64lab.cross_libs(root, prog)


def test_l1_cmd_is_the_virt_machine_at_el2_with_virtio_mmio_disks():
    imgs = {"kernels": {"l1": Path("/k")}, "l1_initrd": Path("/i")}
    cmd = arm64lab.l1_cmd(imgs, {"l1_mem": "4G"}, "console=ttyAMA0", "file=s,if=none,id=swap",
                          Path("/c"), Path("/r"))
    assert cmd[0].endswith("qemu-system-aarch64")
    assert cmd[cmd.index("-M") + 1] == "virt,virtualization=on,gic-version=3"
    assert cmd[cmd.index("-cpu") + 1] == "max"
    devs = [cmd[i + 1] for i, x in enumerate(cmd) if x == "-device"]
    assert devs == [f"virtio-blk-device,drive={d},serial=lab{d}" for d in ("swap", "cfg", "res")]


def test_cfg_env_on_arm64_names_l2_qemu_machine_and_tty(tmp_path, monkeypatch):
    """make_cfg_tar adds what l1-run.sh needs on arm64, and only there."""
    scn = dict(lab.SCENARIOS["b"], name="b")
    params = dict(lab.DEFAULT_PARAMS)
    imgs = {"kernels": {"l2": tmp_path / "k"}, "l2_initrd": tmp_path / "i"}
    (tmp_path / "k").write_text("k")
    (tmp_path / "i").write_text("i")
    monkeypatch.setattr(lab, "ARCH", "x86_64")
    env = lab.make_cfg_tar(tmp_path / "x.tar", scn, imgs, params)
    assert "LAB_L2_QEMU" not in env and "LAB_L2_TTY" not in env
    monkeypatch.setattr(lab, "ARCH", "arm64")
    env = lab.make_cfg_tar(tmp_path / "a.tar", scn, imgs, params)
    assert env["LAB_L2_QEMU"] == "qemu-system-aarch64"
    assert env["LAB_L2_MACHINE"] == "virt,gic-version=3"
    assert env["LAB_L2_TTY"] == "ttyAMA"


def test_l1_run_passes_the_arm64_console_and_results_port(tmp_path):
    """l2_start's command line, expanded by a real shell with the arm64
    lab.env values: console on ttyAMA0, results port ttyAMA1, -M virt."""
    out = l2_start_cmdline(tmp_path, "qemu-system-aarch64")
    assert "console=ttyAMA0 " in out and "lab.restty=ttyAMA1" in out
    assert "-M virt,gic-version=3" in out
    out = l2_start_cmdline(tmp_path, "qemu-system-aarch64", machine="", tty="")
    assert "console=ttyS0 " in out and "restty" not in out and "-M " not in out


@pytest.mark.parametrize("line,want", [
    ("HYP:        123        456   Hypervisor callback interrupts\n", 579),
    # arm64: the PPI's hardware number (19) is not a count
    (" 13:       7298     GICv3  19 Edge      kvm-apf\n", 7298),
    (" 13:       7298         12     GICv3  19 Edge      kvm-apf\n", 7310),
    ("", 0),
])
def test_hyp_counts_the_notification_interrupts_of_either_arch(line, want):
    import scenarios
    assert scenarios.hyp({"l2": {"hyp-post.txt": line}}, "post") == want


def read_cpio(path):
    """{name: (mode, data)} of a gzip'ed newc archive (Cpio.write's)."""
    import gzip
    raw, out, off = gzip.decompress(Path(path).read_bytes()), {}, 0
    while True:
        f = [int(raw[off + 6 + 8 * i:off + 14 + 8 * i], 16) for i in range(13)]
        mode, size, nsize = f[1], f[6], f[11]
        name = raw[off + 110:off + 110 + nsize - 1].decode()
        off += 110 + nsize
        off += (4 - off % 4) % 4
        if name == "TRAILER!!!":
            return out
        out[name] = (mode, raw[off:off + size])
        off += size + (4 - size % 4) % 4


@pytest.mark.skipif(not Path(lab.BUSYBOX).exists() or not shutil.which("aarch64-linux-gnu-gcc"),
                    reason="needs busybox-static and gcc-aarch64-linux-gnu")
def test_l2_initrd_one_builder_for_both_architectures(tmp_path, monkeypatch):
    """lab.build_l2_initrd is the x86 and (through arm64lab) the arm64
    L2 initramfs: the same layout, the architecture's busybox inside,
    the applet links of this machine's busybox, and cache keys that keep
    one architecture's image from standing in for the other's."""
    tools = {"labwl": tmp_path / "labwl"}
    tools["labwl"].write_bytes(b"labwl")
    apfctl = tmp_path / "apfctl"
    apfctl.write_bytes(b"apfctl")
    # an arm64 root with a static arm64 "busybox" (any static ELF will do)
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    src = tmp_path / "bb.c"
    src.write_text("int main(void) { return 0; }\n")
    subprocess.run(["aarch64-linux-gnu-gcc", "-static", "-o", str(root / "bin/busybox"), str(src)],
                   check=True)
    imgs = {}
    for arch in ("x86_64", "arm64"):
        monkeypatch.setattr(lab, "BUILD", tmp_path / arch)
        (tmp_path / arch).mkdir()
        out = (lab.build_l2_initrd(tools, apfctl) if arch == "x86_64"
               else arm64lab.build_l2_initrd(lab, root, tools, apfctl))
        imgs[arch] = read_cpio(out), Path(str(out) + ".key").read_text()
    (x86, kx), (arm, ka) = imgs["x86_64"], imgs["arm64"]
    assert kx != ka
    assert set(x86) == set(arm)
    for name in ("init", "bin/labwl", "bin/apfctl", "bin/sh", "bin/busybox"):
        assert name in x86, name
    assert x86["bin/apfctl"][1] == b"apfctl" and arm["bin/labwl"][1] == b"labwl"
    assert x86["init"][1] == (lab.GUEST / "l2-init").read_bytes()
    assert x86["bin/busybox"][1] == Path(lab.BUSYBOX).resolve().read_bytes()
    assert arm["bin/busybox"][1] == (root / "bin/busybox").read_bytes()
    # every applet of this machine's busybox is a link to /bin/busybox
    applets = subprocess.run([lab.BUSYBOX, "--list-full"], capture_output=True,
                             text=True, check=True).stdout.split()
    for a in applets:
        if not a.endswith("/busybox"):
            assert arm[a.strip("/")][1] in (b"/bin/busybox", b"busybox"), a
    # a second call is a cache hit: the same file, untouched
    monkeypatch.setattr(lab, "BUILD", tmp_path / "arm64")
    out = arm64lab.build_l2_initrd(lab, root, tools, apfctl)
    assert read_cpio(out) == arm
