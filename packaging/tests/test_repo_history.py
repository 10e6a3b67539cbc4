# SPDX-License-Identifier: GPL-2.0-only
"""Repositories with history (issue 14): scripts/make-repo run once with
version N's packages and once with only N+1's keeps both published (apt
through aptly, yum through the kept RPMs and createrepo_c), signed; a
release run refuses a rebuild of a published version with other content
and changes nothing; in a fresh Debian 12 root, apt installs N+1 from the
repository, rolls back to N by naming the version, and goes forward
again, keeping the admin's configuration both ways."""
import gzip
import re
import shutil

import pytest

from conftest import BUILD, DEBS, ENV, RPMS, SCRIPTS, sh, version

WORK = BUILD / "history"
REPO = WORK / "repo"
STATE = WORK / "state"
SRC = ("Types: deb\nURIs: file:/srv/apf-repo/apt\nSuites: bookworm\nComponents: main\n"
       "Signed-By: /usr/share/keyrings/apf-suite.gpg\n")


def make_repo(debs_dir, rpms_dir, *args, check=True):
    # amd64 only (not build/debs-arm64, build/rpms-aarch64: test_repo_arches,
    # test_rpm_cross).
    env = dict(ENV, APF_REPO_STATE=str(STATE), APF_DEBS=str(debs_dir),
               APF_RPMS=str(rpms_dir), APF_EXTRA_PKG_DIRS=str(WORK / "no-extra"),
               APF_CROSS_DEBS=str(WORK / "no-extra"), APF_CROSS_RPMS=str(WORK / "no-extra"))
    env.pop("APF_REPO_RELEASE", None)
    return sh([str(SCRIPTS / "make-repo"), *args, str(REPO)], env=env, check=check)


def apt_versions(name):
    text = (REPO / "apt/dists/bookworm/main/binary-amd64/Packages").read_text()
    return sorted(m.group(1) for m in re.finditer(
        rf"^Package: {re.escape(name)}\n(?:[^\n]+\n)*?Version: (\S+)$", text, re.M))


def yum_versions(name):
    primary = next((REPO / "yum/repodata").glob("*-primary.xml.gz"))
    xml = gzip.decompress(primary.read_bytes()).decode()
    return sorted(re.findall(
        rf'<name>{re.escape(name)}</name>\s*<arch>[^<]+</arch>\s*<version epoch="\d+" ver="([^"]+)"',
        xml))


@pytest.fixture(scope="module")
def history(debs, rpms, next_build):
    """N published, then N+1 alone: the release-mode runs a release
    machine would make."""
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "no-extra").mkdir(parents=True)
    make_repo(DEBS, RPMS, "--release")
    assert apt_versions("apfctl") == [version()]
    make_repo(next_build.deb_dir, next_build.build_rpms(), "--release")
    return version(), next_build.version


def test_both_versions_published_and_signed(history):
    n, n1 = history
    for name in ("apfctl", "apf-libvirt-hooks", "apf-host", "apf-guest"):
        assert apt_versions(name) == sorted([n, n1]), name
        assert yum_versions(name) == sorted([n, n1]), name
    src = (REPO / "apt/dists/bookworm/main/source/Sources").read_text()
    assert sorted(re.findall(r"^Version: (\S+)$", src, re.M)) == sorted([n, n1])
    key = str(REPO / "apf-suite.gpg")
    d = REPO / "apt/dists/bookworm"
    sh(["gpgv", "--keyring", key, str(d / "InRelease")])
    sh(["gpgv", "--keyring", key, str(d / "Release.gpg"), str(d / "Release")])
    md = REPO / "yum/repodata/repomd.xml"
    sh(["gpgv", "--keyring", key, str(md) + ".asc", str(md)])
    # Every RPM in the yum repository is signed by the same key.
    for f in (REPO / "yum/packages").glob("*.rpm"):
        sig = sh(["rpm", "-qp", "--nosignature", "--qf", "%{RSAHEADER:pgpsig}", str(f)]).stdout
        assert "Key ID" in sig, f.name


def test_release_refuses_rebuild_of_published_version(history, debs, tmp_path):
    # The same bytes again: nothing to refuse.
    make_repo(DEBS, RPMS, "--release")
    before = (REPO / "apt/dists/bookworm/InRelease").read_bytes()
    manifest = (STATE / "files.sha256").read_text()
    # A rebuild of N's apf-libvirt-hooks with other content, same name.
    d = tmp_path / "debs"
    sh(["dpkg-deb", "-R", str(debs["apf-libvirt-hooks"]), str(tmp_path / "x")])
    with open(tmp_path / "x/etc/libvirt/hooks/qemu.d/50-apf", "a") as f:
        f.write("# rebuilt\n")
    d.mkdir()
    sh(["dpkg-deb", "-b", str(tmp_path / "x"), str(d / debs["apf-libvirt-hooks"].name)])
    r = make_repo(d, RPMS, "--release", check=False)
    assert r.returncode == 3, r.stdout
    assert debs["apf-libvirt-hooks"].name in r.stdout
    assert (REPO / "apt/dists/bookworm/InRelease").read_bytes() == before
    assert (STATE / "files.sha256").read_text() == manifest
    pk = (REPO / "apt/dists/bookworm/main/binary-amd64/Packages").read_text()
    want = sh(["sha256sum", str(debs["apf-libvirt-hooks"])]).stdout.split()[0]
    assert f"SHA256: {want}" in pk, "the published N changed"


def test_install_rollback_and_forward(history, root_factory):
    n, n1 = history
    root = root_factory("history")
    shutil.copytree(REPO, root.p("/srv/apf-repo"))
    shutil.copy(REPO / "apf-suite.gpg", root.p("/usr/share/keyrings/apf-suite.gpg"))
    root.p("/etc/apt/sources.list.d/apf-suite.sources").write_text(SRC)
    r = root.apt("update")
    assert " W: " not in r.stdout, r.stdout
    pol = root.run("apt-cache policy apfctl").stdout
    assert f"Candidate: {n1}" in pol and f" {n} 500" in pol, pol

    def installed():
        return {p: root.run(f"dpkg-query -W -f='${{Version}}' {p}").stdout.strip()
                for p in ("apfctl", "apf-libvirt-hooks")}

    root.apt("install --no-install-recommends apfctl apf-libvirt-hooks")
    assert installed() == {"apfctl": n1, "apf-libvirt-hooks": n1}
    root.run("sed -i 's/^host_async_pf=.*/host_async_pf=off/' /etc/apf/apf.conf")
    # Roll back: the versions named, as the Ansible role does.
    conf = " -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"
    root.apt(f"install --no-install-recommends --allow-downgrades{conf}"
             f" apfctl={n} apf-libvirt-hooks={n}")
    assert installed() == {"apfctl": n, "apf-libvirt-hooks": n}
    assert root.run("apfctl --version").stdout.strip() == f"apfctl {n}"
    assert "host_async_pf=off" in root.p("/etc/apf/apf.conf").read_text()
    # Forward again.
    root.apt(f"install --no-install-recommends{conf} apfctl apf-libvirt-hooks")
    assert installed() == {"apfctl": n1, "apf-libvirt-hooks": n1}
    assert root.run("apfctl --version").stdout.strip() == f"apfctl {n1}"
    assert "host_async_pf=off" in root.p("/etc/apf/apf.conf").read_text()
