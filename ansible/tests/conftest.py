# SPDX-License-Identifier: GPL-2.0-only
"""Helpers for the collection's tests: ansible-playbook against localhost
(connection local) with the collection resolved from this checkout, and
everything it writes under pytest's temporary directories."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ANS = Path(__file__).resolve().parents[1]
TOP = ANS.parent
BUILD = ANS / "build"
APFCTL = TOP / "tools/apfctl/build/apfctl"
APF_BOOT = TOP / "tools/apf-boot/build/apf-boot"
PY = "/usr/bin/python3"


def ensure_links():
    """build/collections/ansible_collections/apf_suite/fleet -> ansible/ for
    ansible-playbook (ANSIBLE_COLLECTIONS_PATH=build/collections), and
    build/ansible_collections/apf_suite/fleet for ansible-lint 6.13, whose
    in-process loader looks in the parent of ANSIBLE_COLLECTIONS_PATH."""
    for base, up in ((BUILD / "collections", "../../../.."), (BUILD, "../../..")):
        d = base / "ansible_collections/apf_suite"
        d.mkdir(parents=True, exist_ok=True)
        link = d / "fleet"
        if not link.is_symlink():
            link.symlink_to(up)
        assert (link / "galaxy.yml").is_file(), link


def ansible_env(tmp):
    ensure_links()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(BUILD / "collections"),
        ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-tmp"),
        ANSIBLE_REMOTE_TEMP=str(tmp / "ansible-tmp"),
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_STDOUT_CALLBACK="default",
        ANSIBLE_PYTHON_INTERPRETER=PY,
        ANSIBLE_HOST_KEY_CHECKING="0",
        LC_ALL="C.UTF-8",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


class Run:
    """One ansible-playbook run: rc, output and the PLAY RECAP counts."""

    def __init__(self, proc, out):
        self.rc = proc.returncode if proc else None
        self.out = out
        self.recap = {}
        for m in re.finditer(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", out, re.M):
            self.recap[m.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}

    def changed(self, host):
        return self.recap[host]["changed"]

    def __repr__(self):
        return "rc=%s\n%s" % (self.rc, self.out[-6000:])


@pytest.fixture
def ansible(tmp_path):
    """ansible(playbook, extra_vars, hosts=...) -> Run; background=True gives
    (Popen, logfile) for concurrent runs."""
    inv = tmp_path / "inventory.ini"
    inv.write_text(
        "[lockers]\n"
        + "".join("%s ansible_connection=local ansible_python_interpreter=%s\n" % (h, PY)
                  for h in ("h1", "h2", "h3"))
        + "[local]\nlocalhost ansible_connection=local ansible_python_interpreter=%s\n" % PY
        # A lock host of its own, as several controllers would share one.
        + "[lockhosts]\nlockhost ansible_connection=local ansible_python_interpreter=%s\n" % PY)
    env = ansible_env(tmp_path)

    def run(playbook, extra=None, background=False, timeout=300, log=None):
        run.n += 1
        ev = tmp_path / ("extra-%d.json" % run.n)
        ev.write_text(json.dumps(extra or {}))
        args = ["ansible-playbook", "-i", str(inv), "-e", "@%s" % ev, str(playbook)]
        if background:
            logf = open(log or tmp_path / "bg.log", "w")
            p = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT, env=env,
                                 cwd=tmp_path)
            return p, logf
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                           cwd=tmp_path, timeout=timeout, check=False)
        return Run(p, p.stdout.decode(errors="replace"))

    run.n = 0
    run.env = env
    run.inventory = inv
    return run


def finish(background, timeout=300):
    """Wait for a background run and return its Run."""
    p, logf = background
    try:
        p.wait(timeout=timeout)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        logf.close()
    r = Run(p, Path(logf.name).read_text(errors="replace"))
    return r


def need_root():
    if os.geteuid() != 0:
        pytest.skip("the role's tasks write root-owned files (owner: root): run as root")


sys.path.insert(0, str(ANS / "plugins/filter"))
