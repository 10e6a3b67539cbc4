# SPDX-License-Identifier: GPL-2.0-only
"""Every version on every published architecture (issue 20, review):
scripts/make-repo refuses, with exit 6 and before changing anything, to
add a version of the suite without an architecture the repository
publishes (N for amd64 and arm64, then N+1 for amd64 only: apt on arm64
would see N+1's Architecture: all packages without its apfctl), and to
bring an architecture back without the newest version; `--drop-arch
ARCH` is the operator's way to stop publishing one (its packages stay in
the state); N+1 built for both publishes both, next to N."""
import re
import shutil

import pytest

from conftest import BUILD, DEBS, ENV, RPMS, SCRIPTS, sh, version

WORK = BUILD / "repo-arches"
REPO = WORK / "repo"
STATE = WORK / "state"


def make_repo(debs_dir, cross_dirs, *args, check=True):
    env = dict(ENV, APF_REPO_STATE=str(STATE), APF_DEBS=str(debs_dir),
               APF_RPMS=str(RPMS), APF_EXTRA_PKG_DIRS=str(WORK / "none"),
               APF_CROSS_DEBS=" ".join(str(d) for d in cross_dirs) or str(WORK / "none"),
               APF_CROSS_RPMS=str(WORK / "none"))
    for k in ("APF_REPO_RELEASE", "APF_REPO_ARCHES"):
        env.pop(k, None)
    return sh([str(SCRIPTS / "make-repo"), *args, str(REPO)], env=env, check=check)


def release_arches():
    rel = (REPO / "apt/dists/bookworm/Release").read_text()
    return re.search(r"^Architectures: (.*)$", rel, re.M).group(1).split()


def versions(arch, name):
    """The versions of name in binary-ARCH's Packages (ARCH's or all)."""
    text = (REPO / f"apt/dists/bookworm/main/binary-{arch}/Packages").read_text()
    out = []
    for stanza in text.strip().split("\n\n"):
        f = dict(re.findall(r"^(\S+): (.*)$", stanza, re.M))
        if f["Package"] == name:
            assert f["Architecture"] in (arch, "all"), stanza
            out.append(f["Version"])
    return sorted(out)


def state_packages():
    out = sh(["aptly", f"-config={STATE}/aptly.conf", "repo", "search",
              "-format={{.Package}}_{{.Version}}_{{.Architecture}}",
              "apf-suite", "$Source (apf-suite)"]).stdout
    return set(out.split())


def untouched():
    """What a refused run must leave as it was."""
    return ((REPO / "apt/dists/bookworm/InRelease").read_bytes(),
            (STATE / "files.sha256").read_text(), state_packages())


@pytest.fixture(scope="module")
def builds(debs, rpms, arm64_debs, next_build):
    """N, N+1 and their directories: amd64 (and all), arm64."""
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "none").mkdir(parents=True)
    n_arm64 = arm64_debs["apfctl"].parent
    assert n_arm64.name == "debs-arm64", n_arm64
    return (version(), next_build.version, DEBS, n_arm64, next_build.deb_dir,
            next_build.build_debs_cross("arm64"))


def test_version_without_a_published_arch(builds):
    n, n1, n_amd64, n_arm64, n1_amd64, n1_arm64 = builds
    # N for both architectures: the normal case.
    make_repo(n_amd64, [n_arm64])
    assert release_arches() == ["amd64", "arm64"]
    for arch in ("amd64", "arm64"):
        for name in ("apfctl", "apf-host", "apf-guest", "apf-libvirt-hooks"):
            assert versions(arch, name) == [n], (arch, name)

    # N+1 for amd64 only: refused, nothing changed.
    before = untouched()
    r = make_repo(n1_amd64, [], check=False)
    assert r.returncode == 6, r.stdout
    assert f"{n1} on arm64: no apf-guest apf-host apfctl" in r.stdout, r.stdout
    assert "--drop-arch" in r.stdout, r.stdout
    assert untouched() == before
    assert versions("arm64", "apf-libvirt-hooks") == [n]

    # The operator drops arm64: published for amd64 alone, N's arm64
    # packages kept in the state.
    r = make_repo(n1_amd64, [], "--drop-arch", "arm64")
    assert "without arm64" in r.stdout, r.stdout
    assert release_arches() == ["amd64"]
    assert not (REPO / "apt/dists/bookworm/main/binary-arm64").exists()
    assert not list((REPO / "apt/pool").rglob("*_arm64.deb"))
    assert versions("amd64", "apfctl") == [n, n1]
    assert f"apfctl_{n}_arm64" in state_packages()
    # Once dropped, it stays out without the option.
    make_repo(n1_amd64, [])
    assert release_arches() == ["amd64"]

    # arm64 back with N only, while N+1 is the newest: refused.
    before = untouched()
    r = make_repo(n1_amd64, [n_arm64], check=False)
    assert r.returncode == 6, r.stdout
    assert f"{n1} on arm64 (new in the repository, without its newest version)" in r.stdout, r.stdout
    assert untouched() == before

    # N+1 built for arm64 as well: both published, each with N and N+1.
    make_repo(n1_amd64, [n1_arm64])
    assert release_arches() == ["amd64", "arm64"]
    for arch in ("amd64", "arm64"):
        for name in ("apfctl", "apf-host", "apf-guest", "apf-libvirt-hooks"):
            assert versions(arch, name) == sorted([n, n1]), (arch, name)
    d = REPO / "apt/dists/bookworm"
    sh(["gpgv", "--keyring", str(REPO / "apf-suite.gpg"), str(d / "InRelease")])


def test_drop_arch_needs_an_argument():
    r = sh([str(SCRIPTS / "make-repo"), "--drop-arch"], check=False)
    assert r.returncode == 2 and "--drop-arch ARCH" in r.stdout, r.stdout

