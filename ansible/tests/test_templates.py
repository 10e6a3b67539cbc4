# SPDX-License-Identifier: GPL-2.0-only
"""The roles' templates rendered by Ansible and read by the programs that
use them: apf.conf by apfctl's parser, the apt repository and pin by apt
(against the signed repository of `make repo`, in a private apt state)."""

import json
import re
import shutil
import subprocess

import pytest
import yaml

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


def _mk(path, var):
    return re.search(r"^%s\s*:=\s*(\S+)" % var, path.read_text(), re.M).group(1)


def test_qemu_rollback_pin_beats_apf_host_pin(ansible, tmp_path):
    """A rollback names its QEMU (apf_packages_qemu_version): the role's
    pin (1002) makes apt choose that older +apfN build over apf-host's
    newest-+apfN pin (1001, the file apf-host ships), for every QEMU
    package the role names; without it apt keeps the newest.  apt reads a
    real index (our qemu-system-x86 and -common at +apf1, +apf2 and
    Debian's next update); only the decisions are checked, nothing is
    installed."""
    if not shutil.which("apt-cache"):
        pytest.skip("needs apt")
    base = _mk(TOP / "qemu/base.mk", "QEMU_DEB_VERSION")
    pkgs = _mk_list(TOP / "qemu/base.mk", "QEMU_DEB_PACKAGES")
    old, new = base + "+apf1", base + "+apf2"
    debian_next = re.sub(r"deb13u(\d+)$", lambda m: "deb13u%d" % (int(m.group(1)) + 1), base)
    repo = tmp_path / "repo"
    repo.mkdir()
    stanzas = []
    for pkg in pkgs:
        for v in (old, new, debian_next):
            fn = "%s_%s_amd64.deb" % (pkg, v.split(":", 1)[1])
            stanzas.append("Package: %s\nVersion: %s\nArchitecture: amd64\nMaintainer: t <t@t>\n"
                           "Filename: ./%s\nSize: 1\nSHA256: %s\nDescription: stand-in index entry\n"
                           % (pkg, v, fn, "0" * 64))
    (repo / "Packages").write_text("\n".join(stanzas))
    sources = tmp_path / "sources.list"
    sources.write_text("deb [trusted=yes] file:%s ./\n" % repo)
    prefs = tmp_path / "preferences.d"
    prefs.mkdir()
    host_pref = (TOP / "packaging/deb/debian/apf-host.qemu.pref.in").read_text()
    (prefs / "apf-suite-qemu.pref").write_text(host_pref.replace("@QEMU_DEB_VERSION@", base)
                                               .replace("@QEMU_DEB_PACKAGES@", " ".join(pkgs)))
    lists = tmp_path / "lists"
    (lists / "partial").mkdir(parents=True)
    opts = ["-o", "Dir::Etc::SourceList=%s" % sources, "-o", "Dir::Etc::SourceParts=/nonexistent",
            "-o", "Dir::Etc::PreferencesParts=%s" % prefs, "-o", "Dir::Etc::Preferences=/nonexistent",
            "-o", "Dir::State::Lists=%s" % lists, "-o", "Dir::State::status=/dev/null",
            "-o", "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache=",
            "-o", "APT::Get::List-Cleanup=0", "-o", "APT::Sandbox::User=root"]
    up = subprocess.run(["apt-get", *opts, "update"], stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT, text=True, check=False)
    assert up.returncode == 0, up.stdout

    def candidates():
        out = {}
        for pkg in pkgs:
            pol = subprocess.run(["apt-cache", *opts, "policy", pkg], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, check=True).stdout
            out[pkg] = re.search(r"Candidate: (\S+)", pol).group(1)
        return out

    def every(v):
        return {pkg: v for pkg in pkgs}

    # apf-host's pin alone: the newest +apfN, not Debian's higher update.
    assert candidates() == every(new)
    # (render.yml renders the template alone: the role's defaults given.)
    defaults = yaml.safe_load((ANS / "roles/apf_packages/defaults/main.yml").read_text())
    name = defaults["apf_packages_qemu_pref"].rsplit("/", 1)[1]
    # (What a Debian host gets: apf_packages_qemu_pinned's default.)
    common = dict(apf_packages_version="0.1.0", apf_packages_pinned=["apf-host", "apfctl"],
                  apf_packages_qemu_pinned=defaults["apf_packages_qemu_deb_packages"])
    # The role's own pin of the suite's packages changes nothing for QEMU.
    pref = render(ansible, tmp_path, "apf_packages/templates/apf-suite.pref.j2", **common)
    pref.rename(prefs / "apf-suite.pref")
    assert candidates() == every(new)
    # Rolling back: the named build wins for both packages.  apt takes
    # the first record matching a version, files in name order: the same
    # stanza under a name sorting after apf-host's file would lose.
    pref = render(ansible, tmp_path, "apf_packages/templates/apf-suite-qemu-build.pref.j2",
                  apf_packages_qemu_version=old, **common)
    pref.rename(prefs / "zz-late.pref")
    assert candidates() == every(new)
    (prefs / "zz-late.pref").rename(prefs / name)
    # Every package apf-host's pin holds goes back, not only qemu-system-x86
    # and -common (qemu-utils would stay at the newer build, and apt-get
    # upgrade would bring the others back to it).
    assert candidates() == every(old)


def _mk_list(path, var):
    return re.search(r"^%s\s*:=\s*(.+)$" % var, path.read_text(), re.M).group(1).split()


def test_qemu_pins_name_one_list():
    """apf-host's pin (made from qemu/base.mk's QEMU_DEB_PACKAGES by
    debian/rules), QEMU's own build (qemu/scripts/deb.sh) and the role's
    rollback pin (apf_packages_qemu_deb_packages) name the same packages."""
    pkgs = _mk_list(TOP / "qemu/base.mk", "QEMU_DEB_PACKAGES")
    assert "qemu-system-x86" in pkgs and len(pkgs) == len(set(pkgs)), pkgs
    defaults = yaml.safe_load((ANS / "roles/apf_packages/defaults/main.yml").read_text())
    assert defaults["apf_packages_qemu_deb_packages"] == pkgs
    pref_in = (TOP / "packaging/deb/debian/apf-host.qemu.pref.in").read_text()
    assert "Package: @QEMU_DEB_PACKAGES@\nPin: version /\\+apf[0-9]+$/" in pref_in, pref_in
    rules = (TOP / "packaging/deb/debian/rules").read_text()
    assert "s/@QEMU_DEB_PACKAGES@/$(qpkgs)/" in rules
    assert "KEEP=$QEMU_DEB_PACKAGES" in (TOP / "qemu/scripts/deb.sh").read_text()
    # The package apf-host ships, where it is built: the same list.
    debs = sorted((TOP / "packaging/build/debs").glob("apf-host_*.deb"))
    if debs:
        pref = subprocess.run("dpkg-deb --fsys-tarfile %s | tar -xO"
                              " ./etc/apt/preferences.d/apf-suite-qemu.pref" % debs[-1],
                              shell=True, stdout=subprocess.PIPE, text=True, check=True).stdout
        stanza = re.search(r"^Package: (.+)\nPin: version /", pref, re.M)
        assert stanza and stanza.group(1).split() == pkgs, pref
