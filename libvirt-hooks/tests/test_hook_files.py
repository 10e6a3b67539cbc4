# SPDX-License-Identifier: GPL-2.0-only
"""The 50-apf wrapper and the policy schema.  The hook itself is
`apfctl hook`, tested in tools/apfctl/tests."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent.parent
WRAPPER = HERE / "qemu.d" / "50-apf"
SCHEMA = HERE / "apf-policy.rng"
EXAMPLE = HERE / "example-domain.xml"
APFCTL = HERE.parent / "tools" / "apfctl" / "build" / "apfctl"
NS = "https://apf-suite.invalid/xmlns/apf/1"

FAKE = """#!/bin/sh
printf '%s\\n' "$@" > "$OUT.args"
cat > "$OUT.stdin"
env > "$OUT.env"
"""


def run_wrapper(env, args=("web1", "migrate", "begin", "-"), stdin=b"<domain/>"):
    return subprocess.run(["/bin/sh", str(WRAPPER), *args], input=stdin,
                          capture_output=True, env=env, timeout=10)


@pytest.fixture
def env(tmp_path):
    fake = tmp_path / "apfctl"
    fake.write_text(FAKE)
    fake.chmod(0o755)
    return {"PATH": "/usr/bin:/bin", "APFCTL": str(fake),
            "OUT": str(tmp_path / "out"),
            "APF_DEFAULTS": str(tmp_path / "defaults")}


def test_wrapper_passes_everything_through(env, tmp_path):
    r = run_wrapper(env, args=("-dash name", "prepare", "begin", "-"),
                    stdin=b"<domain>x</domain>")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out.args").read_text().splitlines() == \
        ["hook", "--defaults", env["APF_DEFAULTS"], "--", "-dash name", "prepare", "begin", "-"]
    assert (tmp_path / "out.stdin").read_bytes() == b"<domain>x</domain>"


def test_wrapper_names_etc_default_apf(env, tmp_path):
    del env["APF_DEFAULTS"]
    assert run_wrapper(env).returncode == 0
    assert (tmp_path / "out.args").read_text().splitlines()[:3] == \
        ["hook", "--defaults", "/etc/default/apf"]


def test_wrapper_leaves_the_defaults_to_apfctl(env, tmp_path):
    """The wrapper runs before apfctl arms its deadline, so it must not
    read /etc/default/apf: a file that blocks (here a FIFO nobody writes,
    as a hung mount would) would hold libvirt.  apfctl reads it (sourced
    in a child shell with a time limit; tools/apfctl/tests/cli/test_hook.py)."""
    os.mkfifo(env["APF_DEFAULTS"])
    r = run_wrapper(env)
    assert r.returncode == 0, r.stderr
    assert "APF_" not in (tmp_path / "out.env").read_text().replace("APF_DEFAULTS", "")


def test_wrapper_does_not_source_the_defaults(env, tmp_path):
    """Not even a file that would return at once: whatever it runs, it
    runs under apfctl's deadline or not at all."""
    marker = tmp_path / "sourced"
    Path(env["APF_DEFAULTS"]).write_text(f"touch '{marker}'\nAPF_HOOK_LOG=/x\n")
    for apfctl in (env["APFCTL"], str(tmp_path / "nonexistent")):
        r = run_wrapper(dict(env, APFCTL=apfctl))
        assert (r.returncode, r.stdout) == (0, b""), r.stderr
        assert not marker.exists()


@pytest.mark.skipif(not APFCTL.exists(), reason="apfctl not built")
def test_wrapper_migrate_whole_or_nothing(env, tmp_path):
    """Through the wrapper, as libvirt runs it: migrate gives the XML back
    whole; when /etc/default/apf uses up the deadline it sets, nothing
    and exit 0 (libvirt keeps its XML) instead of a failed migration."""
    xml = EXAMPLE.read_bytes()
    env = dict(env, APFCTL=str(APFCTL), APF_HOOK_LOG=str(tmp_path / "hook.log"))
    r = run_wrapper(env, stdin=xml)
    assert (r.returncode, r.stdout, r.stderr) == (0, xml, b"")
    Path(env["APF_DEFAULTS"]).write_text("APF_HOOK_DEADLINE_MS=50\nsleep 0.2\n")
    r = run_wrapper(env, stdin=xml)
    assert (r.returncode, r.stdout) == (0, b""), r.stderr
    assert b"deadline reached" in r.stderr


def test_missing_apfctl_never_refuses_a_start(env, tmp_path):
    env["APFCTL"] = str(tmp_path / "nonexistent")
    for op in ("prepare", "migrate"):
        r = run_wrapper(env, args=("web1", op, "begin", "-"), stdin=b"x" * 100000)
        # No output keeps libvirt's XML on migrate/restore.
        assert (r.returncode, r.stdout) == (0, b"")


def test_wrapper_is_executable():
    assert os.access(WRAPPER, os.X_OK)
    assert WRAPPER.read_text().startswith("#!/bin/sh\n")


@pytest.mark.skipif(not shutil.which("xmllint"), reason="xmllint (libxml2-utils)")
def test_schema_accepts_and_rejects(tmp_path):
    def valid(text):
        f = tmp_path / "p.xml"
        f.write_text(text)
        return subprocess.run(["xmllint", "--noout", "--relaxng", str(SCHEMA), str(f)],
                              capture_output=True).returncode == 0
    assert valid(f"<apf:policy xmlns:apf='{NS}' async-pf='on'/>")
    assert valid(f"<policy xmlns='{NS}' async-pf='off'></policy>")
    assert not valid(f"<apf:policy xmlns:apf='{NS}' async-pf='auto'/>")
    assert not valid(f"<apf:policy xmlns:apf='{NS}'/>")
    assert not valid(f"<apf:policy xmlns:apf='{NS}' async-pf='on' x='1'/>")
    assert not valid("<policy async-pf='on'/>")


@pytest.mark.skipif(not Path("/usr/share/libvirt/schemas/domain.rng").exists(),
                    reason="libvirt's schemas (libvirt-daemon)")
def test_example_is_a_valid_libvirt_domain():
    r = subprocess.run(["xmllint", "--noout", "--relaxng",
                        "/usr/share/libvirt/schemas/domain.rng", str(EXAMPLE)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@pytest.mark.skipif(not APFCTL.exists(), reason="apfctl not built")
def test_example_policy_reads_as_off():
    r = subprocess.run([str(APFCTL), "hook", "--check", str(EXAMPLE)],
                       capture_output=True, text=True)
    assert (r.returncode, r.stdout) == (0, "domain 'apf-example': async-pf=off\n")
