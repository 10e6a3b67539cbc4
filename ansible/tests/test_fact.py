# SPDX-License-Identifier: GPL-2.0-only
"""apf_config's local fact, for real: the role's fact tasks install it into
a throwaway facts directory on localhost and gather it; the installed
script is run as Ansible runs it.  Whatever apfctl does, the fact must be
one JSON object, or fact gathering breaks on the host."""

import json
import os
import subprocess

import pytest

from conftest import ANS, APFCTL, need_root

PB = ANS / "tests/playbooks/fact.yml"


def fact_of(run):
    line = next(l for l in run.out.splitlines() if "APF_FACT=" in l)
    return json.loads(json.loads(line.split("msg\": ", 1)[1]).split("APF_FACT=", 1)[1])


@pytest.fixture
def facts(tmp_path):
    need_root()
    return tmp_path / "facts.d"


def test_fact_is_apfctl_status(ansible, facts):
    if not APFCTL.exists():
        pytest.skip("apfctl is not built (make all)")
    extra = {"apf_config_facts_dir": str(facts), "apf_config_apfctl": str(APFCTL)}
    r = ansible(PB, extra)
    assert r.rc == 0, r
    assert r.changed("localhost") == 2, r          # directory + script
    fact = fact_of(r)
    real = json.loads(subprocess.run([str(APFCTL), "status", "-j"], stdout=subprocess.PIPE,
                                     check=True).stdout)
    assert "error" not in fact, fact
    assert {k: fact[k] for k in ("version", "kernel", "role")} == \
        {k: real[k] for k in ("version", "kernel", "role")}
    assert set(fact) == set(real)
    script = facts / "apf.fact"
    assert os.access(script, os.X_OK) and (script.stat().st_mode & 0o777) == 0o755
    # As setup runs it: executed, stdout parsed.
    out = subprocess.run([str(script)], stdout=subprocess.PIPE, check=True).stdout
    assert json.loads(out)["role"] == real["role"]
    # Idempotent.
    r = ansible(PB, extra)
    assert r.rc == 0 and r.changed("localhost") == 0, r


@pytest.mark.parametrize("case", ["missing", "fails", "garbage", "array", "hangs"])
def test_broken_apfctl_gives_an_error_object(ansible, facts, tmp_path, case):
    stand_in = {
        "missing": str(tmp_path / "no-such-apfctl"),
        "fails": "/bin/false",
    }.get(case)
    if stand_in is None:
        body = {"garbage": "echo 'apfctl: status: not json'",
                "array": "echo '[1, 2]'",
                "hangs": "exec sleep 30"}[case]
        stand_in = str(tmp_path / "apfctl")
        with open(stand_in, "w") as f:
            f.write("#!/bin/sh\n%s\n" % body)
        os.chmod(stand_in, 0o755)
    r = ansible(PB, {"apf_config_facts_dir": str(facts), "apf_config_apfctl": stand_in,
                     "apf_config_fact_timeout": 2})
    # Fact gathering (the role's setup task) succeeds and reads an object.
    assert r.rc == 0, r
    fact = fact_of(r)
    want = {"missing": "not found: apfctl is not installed",
            "fails": "apfctl status -j exited 1",
            "garbage": "printed no JSON",
            "array": "printed no JSON object",
            "hangs": "ran over 2 s"}[case]
    assert want in fact["error"], fact
    assert set(fact) == {"error", "rc"}
