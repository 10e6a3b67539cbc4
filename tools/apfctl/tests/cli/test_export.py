# SPDX-License-Identifier: GPL-2.0-only
"""apfctl export: Prometheus text, checked by promtool."""
import shutil
import subprocess

import pytest

from conftest import fixture, run

PROMTOOL = shutil.which("promtool")


def promtool_check(text):
    proc = subprocess.run([PROMTOOL, "check", "metrics"], input=text,
                          capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.skipif(not PROMTOOL, reason="promtool (Debian prometheus) missing")
@pytest.mark.parametrize("tree", ["patched-host", "stock-host", "patched-guest",
                                  "both", "hostile-vms", "hostile-values"])
def test_promtool_accepts(tree):
    r = run("export", "-d", "0.05", sysroot=fixture(tree))
    assert r.rc == 0, r.err
    rc, msg = promtool_check(r.out)
    assert rc == 0, msg


def test_patched_host_metrics():
    r = run("export", "-d", "0.05", sysroot=fixture("patched-host"))
    assert 'apf_vm_async_pf_queued_total{pid="' in r.out
    assert "apf_host_async_pf_sync_total " in r.out
    assert 'apf_host_info{counters="present",switch="present"' in r.out
    assert "apf_host_async_pf_enabled 1" in r.out


def test_guest_metrics():
    r = run("export", "-d", "0.05", sysroot=fixture("patched-guest"))
    assert "apf_guest_page_ready_total " in r.out
    assert "# TYPE apf_guest_wait_seconds_max gauge" in r.out
    assert "apf_guest_wait_seconds_total " in r.out
    assert "apf_guest_async_pf_enabled 1" in r.out


def test_output_file_is_written_atomically(tmp_path):
    out = tmp_path / "apf.prom"
    r = run("export", "-d", "0.05", "-o", out, sysroot=fixture("patched-host"))
    assert r.rc == 0 and r.out == ""
    assert "apf_export_timestamp_seconds" in out.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["apf.prom"]


def test_output_dir_missing_is_error(tmp_path):
    r = run("export", "-d", "0.05", "-o", tmp_path / "no" / "x.prom",
            sysroot=fixture("patched-host"))
    assert r.rc == 1
    assert "export:" in r.err


def test_label_escaping():
    r = run("export", "-d", "0.05", sysroot=fixture("hostile-vms"))
    assert 'name="odd,name"' in r.out
