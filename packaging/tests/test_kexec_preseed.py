# SPDX-License-Identifier: GPL-2.0-only
"""kexec-tools must not take over reboots (issue 14 review): in a fresh
Debian 12 root, install-deps' own preseed line makes kexec-tools write
LOAD_KEXEC=false; without it Debian's default (true) is written, and
scripts/check-kexec-load, which install-deps runs last, warns (exit 3)
naming the fix; a kexec-tools configured before the preseed keeps true
(the case the warning is for); the fix it prints holds."""
import re
import shutil

from conftest import TREE

CHECK = TREE / "scripts/check-kexec-load"


def preseed_line():
    text = (TREE / "scripts/install-deps").read_text()
    m = re.search(r"^echo \"(kexec-tools kexec-tools/load_kexec boolean false)\" \| "
                  r"debconf-set-selections$", text, re.M)
    assert m, "install-deps no longer preseeds kexec-tools/load_kexec"
    assert "check-kexec-load" in text.split(m.group(0))[1], "install-deps does not check"
    return m.group(1)


def load_kexec(root):
    m = re.search(r"^LOAD_KEXEC=(\S+)$", root.p("/etc/default/kexec").read_text(), re.M)
    return m.group(1)


def check(root):
    shutil.copy(CHECK, root.p("/tmp/check-kexec-load"))
    return root.run("/tmp/check-kexec-load", check=False)


def test_preseed_holds_and_check_warns(root_factory):
    root = root_factory("kexec-preseed")
    line = preseed_line()
    # No preseed: Debian's default, and the warning.
    root.apt("install --no-install-recommends kexec-tools")
    assert load_kexec(root) == "true"
    r = check(root)
    assert r.returncode == 3, r.stdout
    assert "LOAD_KEXEC=true" in r.stdout and "/vmlinuz" in r.stdout, r.stdout
    # The preseed after the fact: the file keeps true (why install-deps
    # checks); the printed fix holds.
    root.run(f"echo '{line}' | debconf-set-selections")
    root.apt("install --reinstall --no-install-recommends kexec-tools")
    assert load_kexec(root) == "true"
    assert check(root).returncode == 3
    fix = [ln.strip() for ln in check(root).stdout.splitlines() if ln.startswith("    ")]
    root.run(" && ".join(fix))
    assert load_kexec(root) == "false" and check(root).returncode == 0
    # A first installation with install-deps' preseed: false, no warning.
    root.apt("purge kexec-tools")
    root.run("echo PURGE | debconf-communicate kexec-tools >/dev/null || true")
    root.run(f"echo '{line}' | debconf-set-selections")
    root.apt("install --no-install-recommends kexec-tools")
    assert load_kexec(root) == "false"
    r = check(root)
    assert r.returncode == 0 and r.stdout == "", r.stdout
