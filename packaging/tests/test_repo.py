# SPDX-License-Identifier: GPL-2.0-only
"""The signed repositories of `make repo`: apt in a fresh Debian 12 root
installs the suite from the apt repository with its key (and refuses it
without the key); the yum metadata lists the RPMs and its signature
verifies."""
import gzip
import re
import shutil

import pytest

from conftest import BUILD, SCRIPTS, sh, version

REPO = BUILD / "repo"


@pytest.fixture(scope="module")
def repo(debs, rpms):
    if not (REPO / "apt/dists/bookworm/InRelease").exists():
        sh([str(SCRIPTS / "make-repo")])
    return REPO


def test_apt_repo_signed_and_installable(repo, root_factory):
    root = root_factory("repo")
    shutil.copytree(repo, root.p("/srv/apf-repo"))
    src = "Types: deb\nURIs: file:/srv/apf-repo/apt\nSuites: bookworm\nComponents: main\n"
    # Without the key apt refuses the repository.
    root.p("/etc/apt/sources.list.d/apf-suite.sources").write_text(src)
    r = root.apt("update", check=False)
    assert "NO_PUBKEY" in r.stdout or "not signed" in r.stdout, r.stdout
    # With it (as the Ansible role installs it), apt trusts and installs.
    shutil.copy(repo / "apf-suite.gpg", root.p("/usr/share/keyrings/apf-suite.gpg"))
    root.p("/etc/apt/sources.list.d/apf-suite.sources").write_text(
        src + "Signed-By: /usr/share/keyrings/apf-suite.gpg\n")
    r = root.apt("update")
    assert "NO_PUBKEY" not in r.stdout and " W: " not in r.stdout, r.stdout
    # The repository keeps history (test_repo_history): this tree's
    # version is one of those published, named as a rollout names it.
    pol = root.run("apt-cache policy apfctl").stdout
    assert f" {version()} 500" in pol, pol
    root.apt(f"install --no-install-recommends apfctl={version()} apf-libvirt-hooks={version()}")
    assert root.run("apfctl --version").stdout.strip() == f"apfctl {version()}"


def test_yum_repo_metadata(repo):
    md = repo / "yum/repodata/repomd.xml"
    sh(["gpgv", "--keyring", str(repo / "apf-suite.gpg"), str(md) + ".asc", str(md)])
    primary = next((repo / "yum/repodata").glob("*-primary.xml.gz"))
    xml = gzip.decompress(primary.read_bytes()).decode()
    names = set(re.findall(r"<name>([^<]+)</name>", xml))
    assert {"apfctl", "apf-libvirt-hooks", "apf-host", "apf-guest"} <= names, names
    conf = (repo / "apf-suite.repo").read_text()
    assert "gpgcheck=1" in conf and "repo_gpgcheck=1" in conf
