# SPDX-License-Identifier: GPL-2.0-only
"""The initramfs: only /init, static, reproducible, and runnable.

Booting it needs KVM (the VM lab); here we check what the kernel will
unpack, and run the unpacked /init natively."""
import gzip
import hashlib
import os
import struct
import subprocess
from pathlib import Path

import pytest

from conftest import INITRD, WORKLOAD_DIR

PT_INTERP = 3


def cpio(*args, data, cwd=None):
    return subprocess.run(["cpio", *args], input=data, capture_output=True,
                          cwd=cwd, timeout=60, check=True)


@pytest.fixture(scope="module")
def raw():
    return gzip.decompress(Path(INITRD).read_bytes())


def test_lists_only_init(raw):
    assert raw[:6] == b"070701"                   # newc magic
    listing = cpio("-t", "--quiet", data=raw).stdout.decode().split()
    assert listing == ["init"]


def test_owner_mode_mtime(raw):
    line = cpio("-tv", "--quiet", data=raw).stdout.decode().strip()
    fields = line.split()
    assert fields[0] == "-rwxr-xr-x", line
    assert fields[2:4] == ["root", "root"], line
    # newc header after the magic, 13 fields of 8 hex digits: ino, mode,
    # uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor,
    # rdevminor, namesize, check.
    header = raw[6:6 + 13 * 8]
    field = [int(header[i * 8:(i + 1) * 8], 16) for i in range(13)]
    assert field[5] == int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    assert field[4] == 1 and field[11] == len("init") + 1
    assert field[1] == 0o100755                       # regular file, 0755
    assert field[2:4] == [0, 0]                       # uid, gid
    # --reproducible: no inode or device numbers of the build machine.
    assert field[0] == 0 and field[7:11] == [0, 0, 0, 0]


def elf_has_interp(data):
    assert data[:4] == b"\x7fELF" and data[4] == 2      # ELF64
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        p_type, = struct.unpack_from("<I", data, phoff + i * phentsize)
        if p_type == PT_INTERP:
            return True
    return False


def test_init_is_static_and_runs(raw, tmp_path):
    cpio("-i", "--quiet", "--no-absolute-filenames", data=raw, cwd=tmp_path)
    init = tmp_path / "init"
    assert not elf_has_interp(init.read_bytes()), "init must be static"
    out = subprocess.run([str(init), "--version"], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0 and out.stdout.startswith("apf-workload ")
    out = subprocess.run([str(init), "-m", "8", "-t", "1", "-i", "0",
                          "-f", "1", "-c", "1", "--unit-iters", "10000"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == 'APFWL {"type":"done","rc":0}'


def test_reproducible(tmp_path):
    """The same source gives the same initramfs, byte for byte, in another
    build directory (and so in another checkout)."""
    # Only what a user's shell would pass: a parent make (asan, valgrind)
    # exports its BUILD, SANITIZE and STATIC, which must not leak in.
    env = {k: v for k, v in os.environ.items()
           if k in ("PATH", "HOME", "TMPDIR", "SOURCE_DATE_EPOCH")}
    build = tmp_path / "b"
    subprocess.run(["make", "-s", "-C", str(WORKLOAD_DIR), f"BUILD={build}",
                    "initrd"], env=env, check=True, capture_output=True,
                   timeout=600)
    again = build / "apf-workload-initrd.cpio.gz"
    assert hashlib.sha256(again.read_bytes()).hexdigest() == \
        hashlib.sha256(Path(INITRD).read_bytes()).hexdigest()
