# SPDX-License-Identifier: GPL-2.0-only
"""apf-boot against fixture sysroots: /boot trees, grub.cfg written by the
real grub-mkconfig, grubenv by the real grub-editenv."""
import os
import pathlib
import shlex
import shutil
import subprocess

import pytest

HERE = pathlib.Path(__file__).resolve().parent
TOOL = os.environ.get("APF_BOOT", str(HERE.parent.parent / "build" / "apf-boot"))
WRAPPER = shlex.split(os.environ.get("APF_BOOT_WRAPPER", ""))


def run(*args, env=None, check=None):
    """apf-boot ARGS; returns CompletedProcess (text).  check: expected rc."""
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(WRAPPER + [TOOL, *args], text=True, capture_output=True, env=e,
                       timeout=600, check=False)
    if check is not None:
        assert p.returncode == check, f"rc {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p


class Sysroot:
    def __init__(self, path: pathlib.Path):
        self.path = path
        (path / "boot").mkdir(parents=True)
        (path / "proc/sys/kernel").mkdir(parents=True)
        (path / "etc/default").mkdir(parents=True)
        self.running("6.1.0-28-amd64")

    def running(self, version):
        (self.path / "proc/sys/kernel/osrelease").write_text(version + "\n")

    def kernel(self, version, initrd=True):
        (self.path / f"boot/vmlinuz-{version}").write_bytes(b"kernel " + version.encode())
        if initrd:
            (self.path / f"boot/initrd.img-{version}").write_bytes(b"initrd")

    def remove_kernel(self, version):
        for f in (f"boot/vmlinuz-{version}", f"boot/initrd.img-{version}"):
            (self.path / f).unlink(missing_ok=True)

    def args(self, *a):
        return ("--sysroot", str(self.path), *a)


@pytest.fixture
def sysroot(tmp_path):
    return Sysroot(tmp_path / "root")


def can_mkconfig():
    return (os.geteuid() == 0 and shutil.which("grub-mkconfig") and shutil.which("grub-editenv")
            and shutil.which("unshare"))


@pytest.fixture
def grub_root(sysroot, tmp_path):
    """A sysroot whose grub.cfg the real grub-mkconfig writes: its /boot and
    /etc/default bind-mounted over the real ones in a private mount
    namespace.  Yields (sysroot, env) where env makes apf-boot run that
    update-grub."""
    if not can_mkconfig():
        pytest.skip("needs root, grub-mkconfig and grub-editenv (grub2-common), unshare")
    shutil.copy("/usr/share/grub/default/grub", sysroot.path / "etc/default/grub")
    (sysroot.path / "boot/grub").mkdir()
    script = tmp_path / "update-grub"
    r = shlex.quote(str(sysroot.path))
    script.write_text(
        "#!/bin/sh\n# update-grub for the fixture root (grub-mkconfig, real)\n"
        f"exec unshare --mount --propagation private sh -ec 'mount --bind {r}/boot /boot; "
        f"mount --bind {r}/etc/default /etc/default; "
        "exec grub-mkconfig -o /boot/grub/grub.cfg' 2>&1\n")
    script.chmod(0o755)
    sysroot.update_grub = str(script)
    return sysroot, {"APF_UPDATE_GRUB": str(script)}
