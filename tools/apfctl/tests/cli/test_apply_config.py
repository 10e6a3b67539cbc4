# SPDX-License-Identifier: GPL-2.0-only
"""apfctl apply-config (apf-setup.service) on fixture trees: the config file
is a real file, the switches it sets live under --sysroot."""
from pathlib import Path

from conftest import fixture, run

SHIPPED = Path(__file__).resolve().parents[4] / "systemd" / "apf.conf"

HOST_SWITCH = "sys/module/kvm/parameters/async_pf"
GUEST_SWITCH = "sys/kernel/kvm_async_pf/enabled"


def conf(tmp_path, text):
    p = tmp_path / "apf.conf"
    p.write_text(text)
    return p


def test_default_config_changes_nothing(tmp_path):
    r = run("apply-config", "-j", SHIPPED, sysroot=fixture("patched-host"))
    assert r.rc == 0, r.err
    doc = r.json()
    assert [s["result"] for s in doc["switches"]] == ["keep", "keep"]
    assert doc["on_unsupported"] == "warn"


def test_host_off_on_patched_host(tree_copy, tmp_path):
    tree = tree_copy("patched-host")
    c = conf(tmp_path, "host_async_pf=off\nguest_async_pf=keep\n")
    r = run("apply-config", c, sysroot=tree)
    assert r.rc == 0, r.err
    assert "host_async_pf=off: /sys/module/kvm/parameters/async_pf on -> off" in r.out
    assert (tree / HOST_SWITCH).read_text() == "N"
    again = run("apply-config", "-j", c, sysroot=tree)
    assert again.rc == 0
    assert again.json()["switches"][0]["result"] == "already"


def test_check_changes_nothing(tree_copy, tmp_path):
    tree = tree_copy("patched-host")
    c = conf(tmp_path, "host_async_pf=off\n")
    r = run("apply-config", "--check", c, sysroot=tree)
    assert r.rc == 0, r.err
    assert "would change" in r.out
    assert (tree / HOST_SWITCH).read_text().strip() == "Y"


def test_guest_off_on_patched_guest(tree_copy, tmp_path):
    tree = tree_copy("patched-guest")
    r = run("apply-config", conf(tmp_path, "guest_async_pf=off"), sysroot=tree)
    assert r.rc == 0, r.err
    assert (tree / GUEST_SWITCH).read_text() == "0"


def test_unsupported_warns_or_fails(tmp_path):
    c = conf(tmp_path, "host_async_pf=off\nguest_async_pf=on\n")
    r = run("apply-config", "-j", c, sysroot=fixture("stock-host"))
    assert r.rc == 0, r.err
    sw = r.json()["switches"]
    assert [s["result"] for s in sw] == ["unsupported", "unsupported"]
    assert "stock kernel" in sw[0]["detail"]
    text = run("apply-config", c, sysroot=fixture("stock-host"))
    assert text.rc == 0
    assert "warning: host_async_pf=off is not supported" in text.err
    assert "kvm-asyncpf=off" in text.err and "no-kvmapf" in text.err
    c2 = conf(tmp_path, "host_async_pf=off\non_unsupported=fail\n")
    r = run("apply-config", c2, sysroot=fixture("stock-host"))
    assert r.rc == 3
    assert "error: host_async_pf=off" in r.err


def test_permission_denied(tree_copy, tmp_path):
    tree = tree_copy("patched-host")
    (tree / HOST_SWITCH).chmod(0o644)
    # tree's parent is world-readable (pytest's tmp_path is not).
    c = conf(tree.parent, "host_async_pf=off\n")
    c.chmod(0o644)
    r = run("apply-config", c, sysroot=tree, user=65534)
    assert r.rc == 4, (r.out, r.err)
    assert "denied" in r.out


def test_bad_files(tmp_path):
    cases = {
        "host_async_pf=disable\n": "line 1: host_async_pf='disable'",
        "# c\nhostasyncpf=off\n": "line 2: unknown key 'hostasyncpf'",
        "guest_async_pf=on\nguest_async_pf=off\n": "already set on line 1",
        "garbage\n": "expected KEY=VALUE",
    }
    for text, msg in cases.items():
        r = run("apply-config", conf(tmp_path, text), sysroot=fixture("patched-host"))
        assert r.rc == 1, text
        assert msg in r.err and "apf.conf" in r.err, r.err
    nul = tmp_path / "nul.conf"
    nul.write_bytes(b"host_async_pf=off\0\n")
    r = run("apply-config", nul, sysroot=fixture("patched-host"))
    assert r.rc == 1 and "NUL" in r.err
    big = tmp_path / "big.conf"
    big.write_text("#" * (70 << 10))
    r = run("apply-config", big, sysroot=fixture("patched-host"))
    assert r.rc == 1 and "too large" in r.err
    r = run("apply-config", tmp_path / "missing.conf", sysroot=fixture("patched-host"))
    assert r.rc == 1 and "No such file" in r.err


def test_usage():
    assert run("apply-config", "a", "b").rc == 2
    assert run("apply-config", "--bogus").rc == 2
    h = run("apply-config", "-h")
    assert h.rc == 0 and "host_async_pf" in h.out
