# SPDX-License-Identifier: GPL-2.0-only
"""apf-kexec loads the APF Suite kernel apf-boot targets, never a newer
distribution kernel; a load the kernel refuses falls back to a full
reboot; the kernel hook (zzz-apf-boot) reloads a loaded kexec image and
unloads a stale one it cannot replace.

The fallback runs the real kexec-tools binary on a real Debian kernel image
in a fixture /boot, in a user namespace (unshare -Ur) where the kernel
refuses the load with EPERM whatever its kexec support, so that a test
never leaves a kernel loaded for the next reboot (without user namespaces:
only on a kernel without kexec).  systemctl is a
stand-in that records what it was asked."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent.parent
REPO = HERE.parent
APFCTL = REPO / "tools/apfctl/build/apfctl"
APF_BOOT = REPO / "tools/apf-boot/build/apf-boot"
CACHE = HERE / "build/cache"
APF = "6.12.118-apf2-host"
DEB_NEW = "6.12.120-1-amd64"


def run(cmd, env):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, **env))


@pytest.fixture
def tools():
    for t in (APFCTL, APF_BOOT):
        if not t.exists():
            pytest.skip(f"{t} not built")


def recorder(path, name):
    """A stand-in that appends its arguments to path."""
    s = path.parent / name
    s.write_text(f'#!/bin/sh\necho "{name} $*" >> {path}\n')
    s.chmod(0o755)
    return s


@pytest.fixture
def root(tmp_path, tools):
    r = tmp_path / "root"
    for d in ("boot", "proc/sys/kernel", "sys/kernel"):
        (r / d).mkdir(parents=True)
    (r / "proc/cmdline").write_text("BOOT_IMAGE=/boot/vmlinuz-old root=/dev/vda1 ro quiet\n")
    (r / "proc/sys/kernel/osrelease").write_text("6.1.0-28-amd64\n")
    (r / "sys/kernel/kexec_loaded").write_text("0\n")
    log = tmp_path / "calls.log"
    env = {"APFCTL": str(APFCTL), "APF_BOOT": str(APF_BOOT),
           "APF_SYSTEMCTL": str(recorder(log, "systemctl")),
           "APF_KEXEC": str(recorder(log, "kexec"))}
    return r, log, env


def kernels(r, image=b"not a kernel"):
    for v in ("6.1.0-28-amd64", "6.12.118-apf-host", APF, DEB_NEW):
        (r / f"boot/vmlinuz-{v}").write_bytes(image)
        (r / f"boot/initrd.img-{v}").write_bytes(b"initrd")


def test_loads_the_apf_kernel_not_a_newer_debian_one(root):
    r, log, env = root
    kernels(r)
    p = run([HERE / "apf-kexec", "--sysroot", r, "--dry-run"], env)
    assert p.returncode == 0, p.stderr
    assert f"kernel:  {APF} ({r}/boot/vmlinuz-{APF})" in p.stdout
    assert "root=/dev/vda1 ro quiet" in p.stdout and "BOOT_IMAGE" not in p.stdout
    p = run([HERE / "apf-kexec", f"--sysroot={r}", "--any-kernel", "--dry-run"], env)
    assert f"kernel:  {DEB_NEW} " in p.stdout, p.stdout + p.stderr
    p = run([HERE / "apf-kexec", "--sysroot", r, "--kernel", "6.12.118-apf-host", "--dry-run"], env)
    assert "kernel:  6.12.118-apf-host " in p.stdout
    # The load itself, through the kexec stand-in.
    (r / "sys/kernel/kexec_loaded").write_text("1\n")
    p = run([HERE / "apf-kexec", "--sysroot", r], env)
    assert p.returncode == 0, p.stderr
    assert f"kexec -l {r}/boot/vmlinuz-{APF} --initrd={r}/boot/initrd.img-{APF}" in log.read_text()


def test_no_apf_kernel(root):
    r, log, env = root
    (r / f"boot/vmlinuz-{DEB_NEW}").write_bytes(b"x")
    p = run([HERE / "apf-kexec", "--sysroot", r], env)
    assert p.returncode == 3 and "no APF Suite" in p.stderr and "--any-kernel" in p.stderr
    assert not log.exists()
    p = run([HERE / "apf-kexec", "--sysroot", r, "--fallback-reboot"], env)
    assert p.returncode == 0 and "falling back to a full reboot" in p.stderr
    assert log.read_text() == "systemctl reboot\n"


def real_kernel_image():
    """A real x86 bzImage: $APF_TEST_VMLINUZ, else the running kernel's
    /boot/vmlinuz where readable, else Debian's cloud kernel from the
    archive (apt-get download, cached in systemd/build/cache)."""
    if os.environ.get("APF_TEST_VMLINUZ"):
        return Path(os.environ["APF_TEST_VMLINUZ"])
    img = CACHE / "vmlinuz"
    if img.exists():
        return img
    own = Path("/boot/vmlinuz-" + os.uname().release)
    if own.is_file() and os.access(own, os.R_OK):
        return own
    CACHE.mkdir(parents=True, exist_ok=True)
    dep = subprocess.run(["apt-cache", "depends", "linux-image-cloud-amd64"],
                         capture_output=True, text=True).stdout
    pkg = next((w.split()[1] for w in dep.splitlines() if "Depends: linux-image-" in w), None)
    if not pkg:
        pytest.skip("no linux-image-cloud-amd64 in apt's lists")
    d = subprocess.run(["apt-get", "download", pkg], cwd=CACHE, capture_output=True, text=True)
    debs = list(CACHE.glob(f"{pkg}_*.deb"))
    if d.returncode or not debs:
        pytest.skip(f"apt-get download {pkg} failed: {d.stderr[-300:]}")
    x = CACHE / "x"
    subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(x)], check=True)
    shutil.copy(next(x.glob("boot/vmlinuz-*")), img)
    shutil.rmtree(x)
    debs[0].unlink()
    return img


def kexec_refused_by_the_kernel():
    """(argv prefix, None) to run the real kexec so that the kernel
    refuses the load, or (None, why not).  In a user namespace
    (unshare -Ur) kexec_load and kexec_file_load fail with EPERM on any
    kernel (CAP_SYS_BOOT counts only in the initial namespace), so nothing
    can stay loaded for the next reboot; without user namespaces, only as
    root on a kernel without kexec."""
    if shutil.which("unshare") and subprocess.run(["unshare", "-Ur", "true"],
                                                  capture_output=True).returncode == 0:
        return ["unshare", "-Ur"], None
    if Path("/sys/kernel/kexec_loaded").exists():
        return None, ("no user namespaces here (unshare -Ur failed) and this kernel can "
                      "load kexec images: the real load would stay loaded")
    if os.geteuid() != 0:
        return None, "no user namespaces here (unshare -Ur failed) and kexec needs root"
    return [], None


def test_real_kexec_refused_falls_back_to_reboot(root):
    if not shutil.which("kexec"):
        pytest.skip("kexec-tools not installed")
    prefix, why = kexec_refused_by_the_kernel()
    if prefix is None:
        pytest.skip(why)
    r, log, env = root
    kernels(r, real_kernel_image().read_bytes())
    del env["APF_KEXEC"]	# the real kexec-tools
    p = run([*prefix, HERE / "apf-kexec", "--sysroot", r, "--fallback-reboot"], env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"kernel:  {APF} " in p.stdout
    # kexec -l, then -s, both refused by this kernel; then the reboot.
    assert p.stderr.count("kexec exited with") == 2, p.stderr
    assert "trying kexec -s" in p.stderr and "falling back to a full reboot" in p.stderr
    assert log.read_text() == "systemctl reboot\n"
    assert not (r / "run/apf/kexec-loaded").exists()
    # Without --fallback-reboot it fails, and nothing reboots.
    log.unlink()
    p = run([*prefix, HERE / "apf-kexec", "--sysroot", r], env)
    assert p.returncode == 1 and not log.exists()


def hook_env(r, env, tmp_path):
    boot = tmp_path / "apf-boot"
    boot.write_text(f"#!/bin/sh\nexec {APF_BOOT} --sysroot {r} \"$@\"\n")
    boot.chmod(0o755)
    kx = tmp_path / "apf-kexec-helper"
    kx.write_text(f"#!/bin/sh\nAPF_BOOT={boot} exec {HERE}/apf-kexec --sysroot {r} \"$@\"\n")
    kx.chmod(0o755)
    # Not a chroot, whatever this machine is (the chroot tests below).
    return dict(env, APF_BOOT=str(boot), APF_KEXEC_HELPER=str(kx), APF_SYSROOT=str(r),
                APF_PROC1_ROOT="/")


def test_kernel_hook_reloads_kexec(root, tmp_path):
    r, log, env = root
    kernels(r)
    env = hook_env(r, env, tmp_path)
    # Nothing loaded, apf-kexec-load not enabled (systemctl stand-in says
    # nothing and exits 0 for is-enabled: make it exit 1).
    (tmp_path / "systemctl").write_text(f'#!/bin/sh\necho "systemctl $*" >> {log}\nexit 1\n')
    p = run([HERE / "apf-kernel-hook", DEB_NEW], env)
    assert p.returncode == 0
    assert "default was not touched (loader: none)" in p.stderr	# no grub.cfg in this root
    assert "kexec -" not in log.read_text()
    # A kernel is loaded: the hook loads the target again.
    (r / "sys/kernel/kexec_loaded").write_text("1\n")
    p = run([HERE / "apf-kernel-hook", DEB_NEW], env)
    assert p.returncode == 0, p.stderr
    assert f"kexec -l {r}/boot/vmlinuz-{APF}" in log.read_text(), p.stderr
    # The reload fails: the stale image is unloaded.
    (tmp_path / "kexec").write_text(
        f'#!/bin/sh\necho "kexec $*" >> {log}\n[ "$1" = -u ] && exit 0\necho refused >&2; exit 1\n')
    log.unlink()
    p = run([HERE / "apf-kernel-hook", DEB_NEW], env)
    assert p.returncode == 0
    assert "the stale one was unloaded" in p.stderr
    assert log.read_text().splitlines()[-1] == "kexec -u"
    # apfctl gone (the hook is a conffile and stays): nothing happens.
    p = run([HERE / "apf-kernel-hook", DEB_NEW], dict(env, APF_BOOT="/nonexistent/apf-boot"))
    assert p.returncode == 0 and p.stderr == ""


def test_kernel_hook_leaves_kexec_alone_in_a_chroot(root, tmp_path):
    """In a chroot (debootstrap, image builds) the loaded kexec image is
    the host's: the boot default is updated, the kexec part skipped.  The
    check compares / with init's root (APF_PROC1_ROOT stands for
    /proc/1/root); one that cannot be read counts as a chroot."""
    r, log, env = root
    kernels(r)
    (r / "sys/kernel/kexec_loaded").write_text("1\n")
    env = hook_env(r, env, tmp_path)
    other = tmp_path / "init-root"
    other.mkdir()
    for proc1, why in ((other, "/ is not init's root"),
                       (tmp_path / "no-proc", "init's root cannot be read (is /proc mounted?)")):
        p = run([HERE / "apf-kernel-hook", DEB_NEW], dict(env, APF_PROC1_ROOT=str(proc1)))
        assert p.returncode == 0
        assert f"zzz-apf-boot: in a chroot ({why}" in p.stderr and "not touching it" in p.stderr
        assert "boot default: not touched" in p.stderr	# apf-boot update ran
        assert not log.exists(), log.read_text()
    p = run([HERE / "apf-kernel-hook", DEB_NEW], env)
    assert "in a chroot" not in p.stderr
    assert f"kexec -l {r}/boot/vmlinuz-{APF}" in log.read_text(), p.stderr


def chroot_tree(tmp_path):
    """A minimal root for chroot(8): this machine's /usr bind-mounted (the
    other top directories are links into it, as on merged-/usr Debian),
    /proc mounted, and stand-ins for apf-boot and apf-kexec that record
    their calls in /calls.log.  Returns (root, script to run in it)."""
    c = tmp_path / "chroot"
    for d in ("usr", "proc", "dev", "tmp", "fix/sys/kernel", "fix/run/apf", "sbin-apf"):
        (c / d).mkdir(parents=True)
    for d in ("bin", "sbin", "lib", "lib64"):
        if Path("/" + d).is_symlink():
            (c / d).symlink_to(os.readlink("/" + d))
    (c / "dev/null").touch()
    (c / "fix/sys/kernel/kexec_loaded").write_text("1\n")
    (c / "fix/run/apf/kexec-loaded").write_text(f"version={APF}\n")
    for name in ("apf-boot", "apf-kexec"):
        f = c / "sbin-apf" / name
        f.write_text(f'#!/bin/sh\necho "{name} $*" >> /calls.log\n')
        f.chmod(0o755)
    hooks = c / "etc/initramfs/post-update.d"
    hooks.mkdir(parents=True)
    shutil.copy(HERE / "apf-kernel-hook", hooks / "zz-apf-kexec")
    shutil.copy(HERE / "apf-kernel-hook", c / "zzz-apf-boot")
    return c


def test_kernel_hook_in_a_real_chroot(tmp_path):
    """The check itself, in a real chroot: a private mount and PID
    namespace whose init (PID 1) stays outside the chroot, /proc of that
    namespace mounted inside.  The same hooks run outside the chroot (the
    same namespace, / is init's root) reload the image."""
    if os.geteuid() != 0 or not shutil.which("unshare") or not Path("/bin").is_symlink():
        pytest.skip("needs root, unshare(1) and a merged-/usr machine (chroot tree from /usr)")
    c = chroot_tree(tmp_path)
    env = "APF_BOOT=/sbin-apf/apf-boot APF_KEXEC_HELPER=/sbin-apf/apf-kexec APF_SYSROOT=/fix"
    script = f"""set -e
mount --bind /usr {c}/usr
mount -t proc proc {c}/proc
mount --bind /dev/null {c}/dev/null
cd {c}
echo '== chroot kernel' >> calls.log
env {env} chroot {c} /zzz-apf-boot {DEB_NEW}
echo '== chroot initramfs' >> calls.log
env {env} chroot {c} /etc/initramfs/post-update.d/zz-apf-kexec {APF} /boot/initrd.img-{APF}
"""
    p = subprocess.run(["unshare", "--mount", "--propagation", "private", "--pid", "--fork",
                        "--mount-proc", "sh", "-c", script], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stderr.count("in a chroot") == 2, p.stderr
    assert "zzz-apf-boot: in a chroot (/ is not init's root)" in p.stderr
    assert "zz-apf-kexec: in a chroot (/ is not init's root)" in p.stderr
    calls = (c / "calls.log").read_text()
    assert calls == "== chroot kernel\napf-boot update\n== chroot initramfs\n"
    # Control: the same namespace, no chroot: init's root is /, the kexec
    # part runs (the stand-ins named by their paths outside).
    (c / "calls.log").unlink()
    envo = {"APF_BOOT": str(c / "sbin-apf/apf-boot"), "APF_KEXEC_HELPER": str(c / "sbin-apf/apf-kexec"),
            "APF_SYSROOT": str(c / "fix")}
    for name in ("apf-boot", "apf-kexec"):
        (c / "sbin-apf" / name).write_text(f'#!/bin/sh\necho "{name} $*" >> {c}/calls.log\n')
    p = subprocess.run(["unshare", "--mount", "--propagation", "private", "--pid", "--fork",
                        "--mount-proc", str(c / "etc/initramfs/post-update.d/zz-apf-kexec"), APF,
                        f"/boot/initrd.img-{APF}"], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, **envo))
    assert p.returncode == 0 and "in a chroot" not in p.stderr, p.stderr
    assert (c / "calls.log").read_text() == f"apf-kexec --kernel {APF}\n"


def initramfs_hook(tmp_path):
    """The hook as update-initramfs finds it: its name decides the mode."""
    d = tmp_path / "etc/initramfs/post-update.d"
    d.mkdir(parents=True)
    shutil.copy(HERE / "apf-kernel-hook", d / "zz-apf-kexec")
    return d / "zz-apf-kexec"


def test_initramfs_hook_reloads_the_loaded_kernel(root, tmp_path):
    """update-initramfs -u rewrote an initrd: the kexec image of that
    kernel (what apfctl kexec recorded loading) is loaded again with it;
    another kernel's initrd, or an image apf-kexec did not load, is left."""
    r, log, env = root
    kernels(r)
    env = hook_env(r, env, tmp_path)
    hook = initramfs_hook(tmp_path)
    rec = r / "run/apf/kexec-loaded"
    # Nothing loaded: nothing to do, nothing said.
    p = run([hook, APF, r / f"boot/initrd.img-{APF}"], env)
    assert p.returncode == 0 and p.stderr == "" and not log.exists()
    # apf-kexec loads the target; apfctl records it.
    (r / "sys/kernel/kexec_loaded").write_text("1\n")
    p = run([HERE / "apf-kexec", "--sysroot", r], env)
    assert p.returncode == 0, p.stderr
    text = rec.read_text()
    assert text.startswith(f"version={APF}\nkernel={r}/boot/vmlinuz-{APF}\n"
                           f"initrd={r}/boot/initrd.img-{APF}\ncmdline=root=/dev/vda1 ro quiet\n")
    log.unlink()
    # Another kernel's initramfs: left alone.
    p = run([hook, DEB_NEW, r / f"boot/initrd.img-{DEB_NEW}"], env)
    assert p.returncode == 0 and p.stderr == "" and not log.exists()
    # The loaded kernel's: loaded again, that kernel (not the target).
    rec.write_text(rec.read_text().replace(APF, "6.12.118-apf-host"))
    p = run([hook, "6.12.118-apf-host", r / "boot/initrd.img-6.12.118-apf-host"], env)
    assert p.returncode == 0
    assert "zz-apf-kexec: the initramfs of the loaded kexec kernel 6.12.118-apf-host changed" in p.stderr
    assert log.read_text() == (f"kexec -l {r}/boot/vmlinuz-6.12.118-apf-host "
                               f"--initrd={r}/boot/initrd.img-6.12.118-apf-host "
                               "--command-line=root=/dev/vda1 ro quiet\n")
    assert rec.read_text().startswith("version=6.12.118-apf-host\n")
    # The reload fails: the stale image is unloaded, the record removed.
    (tmp_path / "kexec").write_text(
        f'#!/bin/sh\necho "kexec $*" >> {log}\n[ "$1" = -u ] && exit 0\necho refused >&2; exit 1\n')
    p = run([hook, "6.12.118-apf-host", r / "boot/initrd.img-6.12.118-apf-host"], env)
    assert p.returncode == 0 and "the stale one was unloaded" in p.stderr
    assert log.read_text().splitlines()[-1] == "kexec -u" and not rec.exists()
    # Loaded, but not by apf-kexec (no record): said, left alone.
    log.unlink()
    p = run([hook, APF, r / f"boot/initrd.img-{APF}"], env)
    assert p.returncode == 0 and "not by apf-kexec" in p.stderr and not log.exists()
    # In a chroot: not touched.
    rec.write_text(f"version={APF}\n")
    p = run([hook, APF, r / f"boot/initrd.img-{APF}"], dict(env, APF_PROC1_ROOT=str(tmp_path)))
    assert p.returncode == 0 and "zz-apf-kexec: in a chroot" in p.stderr and not log.exists()
    # The initramfs hook never runs apf-boot update.
    assert "boot default" not in p.stderr


def rpm_root(r, tmp_path, env):
    """An RPM-like root: BLS entries, a grubby stand-in that keeps its
    default in a file, the kernel hooks installed under a fixture
    /etc/kernel, and a stand-in for the grub plugin (20-grub.install) with
    UPDATEDEFAULT=yes: add copies the image to /boot and makes it grubby's
    default, remove deletes it."""
    kernels(r)
    (r / "boot/loader/entries").mkdir(parents=True)
    state = tmp_path / "grubby-default"
    state.write_text(f"/boot/vmlinuz-{APF}\n")
    grubby = tmp_path / "grubby"
    grubby.write_text(f"""#!/bin/sh
case "$1" in
--default-kernel) cat {state} ;;
--set-default=*) echo "${{1#--set-default=}}" > {state}; echo "$1" >> {state}.log ;;
*) echo "grubby stand-in: unexpected $*" >&2; exit 64 ;;
esac
""")
    grubby.chmod(0o755)
    for v in ("6.1.0-28-amd64", "6.12.118-apf-host", APF, DEB_NEW):
        (r / f"boot/loader/entries/abc-{v}.conf").write_text(f"linux /vmlinuz-{v}\n")
    hooks = tmp_path / "etc-kernel"
    for d in ("postinst.d", "postrm.d"):
        (hooks / d).mkdir(parents=True)
        shutil.copy(HERE / "apf-kernel-hook", hooks / d / "zzz-apf-boot")
    grub_plugin = tmp_path / "20-grub.install"
    grub_plugin.write_text(f"""#!/bin/sh
case "$1" in
add) cp "$4" {r}/boot/vmlinuz-"$2"; echo "linux /vmlinuz-$2" > {r}/boot/loader/entries/abc-"$2".conf
     {grubby} --set-default=/boot/vmlinuz-"$2" ;;
remove) rm -f {r}/boot/vmlinuz-"$2" {r}/boot/loader/entries/abc-"$2".conf ;;
esac
""")
    grub_plugin.chmod(0o755)
    env = dict(hook_env(r, env, tmp_path), APF_GRUBBY=str(grubby), APF_KERNEL_HOOKS=str(hooks))
    return env, state, grub_plugin


def test_kernel_install_plugin(root, tmp_path):
    """95-apf-boot.install, called with kernel-install's arguments after the
    grub plugin made a new distribution kernel the default: the default is
    back on the APF kernel; on remove of that kernel the next APF kernel
    takes it."""
    r, log, env = root
    env, state, grub_plugin = rpm_root(r, tmp_path, env)
    plugin = HERE / "95-apf-boot.install"
    image = tmp_path / "vmlinuz-new"
    image.write_bytes(b"new kernel")
    new = "6.12.121-1-amd64"
    for argv in ([grub_plugin, "add", new, tmp_path / "entry", image],
                 [plugin, "add", new, tmp_path / "entry", image]):
        p = run(argv, env)
        assert p.returncode == 0, p.stderr
    assert state.read_text() == f"/boot/vmlinuz-{APF}\n", p.stderr
    assert (tmp_path / "grubby-default.log").read_text() == \
        f"--set-default=/boot/vmlinuz-{new}\n--set-default=/boot/vmlinuz-{APF}\n"
    # Remove the APF kernel the default boots: the older APF build.
    for argv in ([grub_plugin, "remove", APF, tmp_path / "entry"],
                 [plugin, "remove", APF, tmp_path / "entry"]):
        assert run(argv, env).returncode == 0
    assert state.read_text() == "/boot/vmlinuz-6.12.118-apf-host\n"
    # Other commands, and a plugin whose hooks are gone: nothing, exit 0.
    os.unlink(tmp_path / "grubby-default.log")
    p = run([plugin, "inspect", APF], env)
    assert p.returncode == 0 and p.stdout + p.stderr == ""
    p = run([plugin, "add", new, tmp_path / "entry", image], dict(env, APF_KERNEL_HOOKS="/nonexistent"))
    assert p.returncode == 0 and p.stdout + p.stderr == ""
    assert not (tmp_path / "grubby-default.log").exists()


def test_kernel_install_runs_the_plugin(root, tmp_path):
    """The same through the real kernel-install (systemd), its plugin list
    narrowed to the grub plugin stand-in and ours, BOOT_ROOT and its
    configuration in the fixture."""
    if not shutil.which("kernel-install"):
        pytest.skip("kernel-install (systemd) not installed")
    r, log, env = root
    env, state, grub_plugin = rpm_root(r, tmp_path, env)
    (tmp_path / "esp").mkdir()
    (tmp_path / "conf").mkdir()
    image = tmp_path / "vmlinuz-new"
    image.write_bytes(b"new kernel")
    new = "6.12.121-1-amd64"
    env = dict(env, KERNEL_INSTALL_PLUGINS=f"{grub_plugin} {HERE / '95-apf-boot.install'}",
               BOOT_ROOT=str(tmp_path / "esp"), KERNEL_INSTALL_CONF_ROOT=str(tmp_path / "conf"))
    p = run(["kernel-install", "--verbose", "add", new, image], env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "95-apf-boot.install: " in p.stdout + p.stderr
    assert (r / f"boot/vmlinuz-{new}").exists()
    assert state.read_text() == f"/boot/vmlinuz-{APF}\n", p.stdout + p.stderr
    p = run(["kernel-install", "remove", APF], env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert not (r / f"boot/vmlinuz-{APF}").exists()
    assert state.read_text() == "/boot/vmlinuz-6.12.118-apf-host\n"
