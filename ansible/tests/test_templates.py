# SPDX-License-Identifier: GPL-2.0-only
"""The roles' templates rendered by Ansible and read by the programs that
use them: apf.conf by apfctl's parser, the apt repository and pin by apt
(against the signed repository of `make repo`, in a private apt state)."""

import json
import subprocess

import pytest

from conftest import ANS, APFCTL, TOP

PB = ANS / "tests/playbooks/render.yml"
REPO = TOP / "packaging/build/repo"


def render(ansible, tmp_path, template, **variables):
    dest = tmp_path / template.rsplit("/", 1)[-1][:-len(".j2")]
    r = ansible(PB, dict(variables, render_template=template, render_dest=str(dest)))
    assert r.rc == 0, r
    return dest


@pytest.mark.parametrize("host,guest,unsup,want", [
    ("keep", "keep", "warn", ("keep", "keep", "warn")),
    (True, False, "fail", ("on", "off", "fail")),     # YAML's unquoted on/off
    ("on", "off", "warn", ("on", "off", "warn")),
])
def test_apf_conf_parses_in_apfctl(ansible, tmp_path, host, guest, unsup, want):
    if not APFCTL.exists():
        pytest.skip("apfctl is not built (make all)")
    conf = render(ansible, tmp_path, "apf_config/templates/apf.conf.j2",
                  apf_config_host_async_pf=host, apf_config_guest_async_pf=guest,
                  apf_config_on_unsupported=unsup)
    # --check on an empty sysroot: parse and report, change nothing (rc 3
    # with fail: the switches are missing there).
    p = subprocess.run([str(APFCTL), "--sysroot", str(tmp_path), "apply-config", "--check", "-j",
                        str(conf)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       check=False)
    assert p.returncode in (0, 3), p.stderr
    out = json.loads(p.stdout)
    assert [s["want"] for s in out["switches"]] == list(want[:2])
    assert out["on_unsupported"] == want[2]


def test_apt_repository_pin_and_key(ansible, tmp_path):
    if not (REPO / "apt/dists/bookworm/InRelease").exists():
        pytest.skip("no repository: run make repo")
    version = (TOP / "VERSION").read_text().strip()
    key = tmp_path / "apf-suite.asc"
    key.write_bytes((REPO / "apf-suite.asc").read_bytes())
    common = dict(apf_packages_repo_url="file://%s/apt" % REPO, apf_packages_repo_suite="bookworm",
                  apf_packages_repo_component="main", apf_packages_repo_keyring=str(key), apf_packages_version=version,
                  apf_packages_pinned=["apf-host", "apf-guest", "apfctl", "apf-libvirt-hooks"])
    sources = render(ansible, tmp_path, "apf_packages/templates/apf-suite.sources.j2", **common)
    prefs = tmp_path / "preferences.d"
    prefs.mkdir()
    pref = render(ansible, tmp_path, "apf_packages/templates/apf-suite.pref.j2", **common)
    pref.rename(prefs / "apf-suite.pref")
    lists = tmp_path / "lists"
    (lists / "partial").mkdir(parents=True)
    opts = ["-o", "Dir::Etc::SourceList=%s" % sources, "-o", "Dir::Etc::SourceParts=/nonexistent",
            "-o", "Dir::Etc::PreferencesParts=%s" % prefs,
            "-o", "Dir::Etc::Preferences=/nonexistent",
            "-o", "Dir::State::Lists=%s" % lists, "-o", "Dir::Cache::pkgcache=",
            "-o", "Dir::Cache::srcpkgcache=", "-o", "APT::Get::List-Cleanup=0",
            # pytest's directories are private (0700): no _apt sandbox.
            "-o", "APT::Sandbox::User=root"]
    up = subprocess.run(["apt-get", *opts, "update"], stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT, text=True, check=False)
    assert up.returncode == 0 and "NO_PUBKEY" not in up.stdout and "W:" not in up.stdout, up.stdout
    pol = subprocess.run(["apt-cache", *opts, "policy", "apfctl"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, check=True).stdout
    assert "Candidate: %s" % version in pol, pol
    assert "%s 1001" % version in pol, pol          # the pin holds this version
    # The role's own test for a known version (apt-cache show PKG=VER).
    show = subprocess.run(["apt-cache", *opts, "show", "apfctl=%s" % version],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    assert show.returncode == 0 and "Version: %s" % version in show.stdout, show.stdout
    # A version apt does not know: exit 0 but no record (what the role
    # checks for).
    miss = subprocess.run(["apt-cache", *opts, "show", "apfctl=99.0"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False)
    assert "Version: 99.0" not in miss.stdout
