# SPDX-License-Identifier: GPL-2.0-only
"""aarch64 RPMs (issue 20): `build-rpm --target aarch64` cross-builds
apfctl, its -debuginfo, apf-host and apf-guest with rpmbuild --target
aarch64-linux and Debian's aarch64-linux-gnu-gcc (skipped, saying what is
missing, without the cross toolchain or the arm64 libraries).  Checked:
every package is aarch64 and signed, apfctl and apf-boot are aarch64
ELF executables linking the arm64 libraries, the metapackages require
apfctl and the hook only and say so (no APF kernel or QEMU packaged for
aarch64), the x86_64 ones still name the APF kernel and QEMU; rpmlint;
the set installs (--ignorearch) with its own requirements met among
itself.  The yum repository of make-repo lists both architectures, and
refuses, as apt does, a version without aarch64 once aarch64 is
published (exit 6) unless --drop-arch."""
import gzip
import re
import shutil

import pytest

from conftest import BUILD, DEBS, ENV, GNUPG, RPMS, SCRIPTS, sh, version

KEY = GNUPG / "apf-suite.asc"
META = ("apf-host", "apf-guest")
WORK = BUILD / "repo-yum-arches"
REPO = WORK / "repo"
STATE = WORK / "state"


def q(rpm, fmt):
    return sh(["rpm", "-qp", "--nosignature", "--qf", fmt, str(rpm)]).stdout


def qlist(rpm, opt):
    return [l for l in sh(["rpm", "-qp", "--nosignature", opt, str(rpm)]).stdout.splitlines() if l]


def requires(rpm):
    return sorted(r for r in qlist(rpm, "-R") if not r.startswith("rpmlib("))


def one_line(text):
    return re.sub(r"\s+", " ", text).strip()


def test_aarch64_packages_and_binaries(aarch64_rpms, tmp_path):
    v = version()
    assert sorted(aarch64_rpms) == ["apf-guest", "apf-host", "apf-suite-debuginfo", "apfctl"], aarch64_rpms
    for name, f in aarch64_rpms.items():
        assert q(f, "%{ARCH}") == "aarch64", f
        info = sh(["rpm", "-qip", "--nosignature", str(f)]).stdout
        assert re.search(rf"^Version\s*: {re.escape(v)}$", info, re.M), info
        assert re.search(r"^Signature\s*: RSA/SHA\d+, .*Key ID [0-9a-f]{16}$", info, re.M), info
    apfctl = aarch64_rpms["apfctl"]
    sh(f"cd {tmp_path} && rpm2cpio {apfctl} | cpio -idm --quiet ./usr/bin/apfctl ./usr/sbin/apf-boot")
    for exe in ("usr/bin/apfctl", "usr/sbin/apf-boot"):
        out = sh(["file", "-b", str(tmp_path / exe)]).stdout
        print(exe, out)
        assert "ELF 64-bit LSB" in out and "ARM aarch64" in out, out
        assert "interpreter /lib/ld-linux-aarch64.so.1" in out, out
    req = qlist(apfctl, "-R")
    for r in ("libjson-c.so.5()(64bit)", "libxml2.so.2()(64bit)", "logrotate", "systemd"):
        assert r in req, req
    assert not [r for r in req if "libvirt" in r], "libvirt must stay a dlopen, not a Requires"
    assert f"apfctl(aarch-64) = {v}-1" in qlist(apfctl, "--provides")


def test_aarch64_meta_says_what_it_installs(aarch64_rpms):
    v = version()
    host = aarch64_rpms["apf-host"]
    print(sh(["rpm", "-qpi", "--nosignature", str(host)]).stdout)
    assert requires(host) == [f"apf-libvirt-hooks = {v}", f"apfctl(aarch-64) = {v}"], requires(host)
    assert qlist(host, "--recommends") == [], "no libvirt-daemon-kvm (stock qemu-kvm) on aarch64"
    desc = one_line(q(host, "%{DESCRIPTION}"))
    assert ("On aarch64 this metapackage installs the tools of the APF Suite only:"
            " apfctl (with the systemd units of the suite, the apf-kexec helper and the"
            " configuration /etc/apf/apf.conf) and the libvirt hook (apf-libvirt-hooks).") in desc, desc
    assert "The APF host kernel and the APF QEMU are not packaged for aarch64 yet" in desc, desc
    assert "Pulls in everything" not in desc, desc
    guest = aarch64_rpms["apf-guest"]
    assert requires(guest) == [f"apfctl(aarch-64) = {v}"], requires(guest)
    desc = one_line(q(guest, "%{DESCRIPTION}"))
    assert "On aarch64 this metapackage installs apfctl only" in desc, desc
    assert "The APF guest kernel is not packaged for aarch64 yet" in desc, desc
    assert "Pulls in the APF guest kernel" not in desc, desc


def test_x86_64_meta_says_what_it_installs(rpms):
    host = rpms["apf-host"]
    assert q(host, "%{ARCH}") == "x86_64"
    req = requires(host)
    assert [r for r in req if re.fullmatch(r"kernel-.*-apf\d+-host", r)], req
    assert [r for r in req if r.startswith("qemu-system-x86-apf >= 2:")], req
    desc = one_line(q(host, "%{DESCRIPTION}"))
    assert "the APF host kernel, the APF QEMU (release apf" in desc and "not packaged" not in desc, desc
    guest = rpms["apf-guest"]
    assert [r for r in requires(guest) if re.fullmatch(r"kernel-.*-apf\d+-guest", r)], requires(guest)
    assert "Pulls in the APF guest kernel" in one_line(q(guest, "%{DESCRIPTION}"))


def test_aarch64_rpmlint(aarch64_rpms):
    sh([str(SCRIPTS / "lint-rpm")] + [str(f) for f in aarch64_rpms.values()])


def test_aarch64_set_installs(aarch64_rpms, rpms, tmp_path):
    """apfctl, apf-host, apf-guest (aarch64) and apf-libvirt-hooks (noarch)
    into an empty rpm root: every requirement among the suite's packages is
    met by the set (what is left is the distribution's: /bin/sh, libc,
    json-c, ...); then installed (--ignorearch: this is x86_64; --nodeps
    --noscripts: the root is empty) and verified."""
    root = tmp_path / "root"
    root.mkdir()
    sh(["rpm", "--root", str(root), "--initdb"])
    sh(["rpm", "--root", str(root), "--import", str(KEY)])
    pkgs = [str(aarch64_rpms[n]) for n in ("apfctl", "apf-host", "apf-guest")] + [str(rpms["apf-libvirt-hooks"])]
    r = sh(["rpm", "--root", str(root), "-i", "--test", "--ignorearch"] + pkgs, check=False)
    failed = re.findall(r"^\s+(.*) is needed by (\S+)$", r.stdout, re.M)
    assert failed, r.stdout  # the empty root lacks the distribution
    assert not [f for f in failed if re.match(r"(apf|kernel|qemu)", f[0])], failed
    out = sh(["rpm", "--root", str(root), "-i", "--ignorearch", "--nodeps", "--noscripts"] + pkgs).stdout
    assert "NOKEY" not in out and "BAD" not in out, out
    got = sh(["rpm", "--root", str(root), "-qa", "--qf", "%{NAME}.%{ARCH}\\n"]).stdout.split()
    assert sorted(n for n in got if not n.startswith("gpg-pubkey")) == [
        "apf-guest.aarch64", "apf-host.aarch64", "apf-libvirt-hooks.noarch", "apfctl.aarch64"], got
    sh(["rpm", "--root", str(root), "-V", "--nodeps", "apfctl", "apf-host", "apf-guest", "apf-libvirt-hooks"])


# --- the yum repository: both architectures, every version on each ---

def make_repo(rpm_dirs, *args, debs=DEBS, check=True):
    env = dict(ENV, APF_REPO_STATE=str(STATE), APF_DEBS=str(debs),
               APF_RPMS=str(rpm_dirs[0]), APF_EXTRA_PKG_DIRS=str(WORK / "none"),
               APF_CROSS_DEBS=str(WORK / "none"),
               APF_CROSS_RPMS=" ".join(str(d) for d in rpm_dirs[1:]) or str(WORK / "none"))
    for k in ("APF_REPO_RELEASE", "APF_REPO_ARCHES"):
        env.pop(k, None)
    return sh([str(SCRIPTS / "make-repo"), *args, str(REPO)], env=env, check=check)


def primary():
    """{(name, arch, version)} of the yum repository's primary metadata."""
    repomd = (REPO / "yum/repodata/repomd.xml").read_text()
    loc = re.search(r'<data type="primary">.*?<location href="([^"]+)"', repomd, re.S).group(1)
    xml = gzip.decompress((REPO / "yum" / loc).read_bytes()).decode()
    return set(re.findall(r'<name>([^<]+)</name>\s*<arch>([^<]+)</arch>\s*'
                          r'<version epoch="\d+" ver="([^"]+)"', xml))


def yum_state():
    """What a refused run must leave as it was."""
    return ((REPO / "yum/repodata/repomd.xml").read_bytes(),
            sorted(f.name for f in (STATE / "rpms").glob("*.rpm")),
            (STATE / "files.sha256").read_text())


def test_yum_repository_both_arches(aarch64_rpms, rpms, next_build):
    n, n1 = version(), next_build.version
    n_aarch64 = aarch64_rpms["apfctl"].parent
    assert n_aarch64.name == "rpms-aarch64", n_aarch64
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "none").mkdir(parents=True)

    # N for x86_64 and aarch64: repodata lists both, signed.
    make_repo([RPMS, n_aarch64])
    got = primary()
    print(sorted(got))
    for name in ("apfctl", "apf-host", "apf-guest", "apf-suite-debuginfo"):
        for arch in ("x86_64", "aarch64"):
            assert (name, arch, n) in got, (name, arch)
    assert ("apf-libvirt-hooks", "noarch", n) in got
    assert not [p for p in got if p[0] == "apf-libvirt-hooks" and p[1] != "noarch"], got
    sh(["gpgv", "--keyring", str(REPO / "apf-suite.gpg"),
        str(REPO / "yum/repodata/repomd.xml.asc"), str(REPO / "yum/repodata/repomd.xml")])
    assert (STATE / "yum-arches").read_text().split() == ["aarch64", "x86_64"]

    # N+1 for x86_64 only: refused, nothing changed.
    n1_x86 = next_build.build_rpms()
    before = yum_state()
    r = make_repo([n1_x86], debs=next_build.deb_dir, check=False)
    assert r.returncode == 6, r.stdout
    assert f"yum: {n1} on aarch64: no apf-guest apf-host apfctl" in r.stdout, r.stdout
    assert yum_state() == before

    # The operator drops aarch64 (either name): x86_64 alone, N's aarch64
    # RPMs kept in the state; later runs keep it out.
    r = make_repo([n1_x86], "--drop-arch", "aarch64", debs=next_build.deb_dir)
    assert "without arm64" in r.stdout, r.stdout
    got = primary()
    assert not [p for p in got if p[1] == "aarch64"], got
    assert {("apfctl", "x86_64", n), ("apfctl", "x86_64", n1)} <= got, got
    assert (STATE / "rpms" / f"apfctl-{n}-1.aarch64.rpm").exists()
    make_repo([n1_x86], debs=next_build.deb_dir)
    assert not [p for p in primary() if p[1] == "aarch64"]

    # aarch64 back with N only, while N+1 is the newest: refused.
    before = yum_state()
    r = make_repo([n1_x86, n_aarch64], debs=next_build.deb_dir, check=False)
    assert r.returncode == 6, r.stdout
    assert (f"yum: {n1} on aarch64 (new in the repository, without its newest version):"
            " no apf-guest apf-host apfctl") in r.stdout, r.stdout
    assert yum_state() == before


def test_development_repository_lists_both_arches():
    """The repository make check publishes (build/repo), once
    build/rpms-aarch64 exists (make arm64-packages)."""
    if not list((BUILD / "rpms-aarch64").glob(f"apfctl-{version()}-1.aarch64.rpm")):
        pytest.skip("no build/rpms-aarch64 of this version: make arm64-packages")
    repomd = (BUILD / "repo/yum/repodata/repomd.xml").read_text()
    loc = re.search(r'<data type="primary">.*?<location href="([^"]+)"', repomd, re.S).group(1)
    xml = gzip.decompress((BUILD / "repo/yum" / loc).read_bytes()).decode()
    got = set(re.findall(r'<name>([^<]+)</name>\s*<arch>([^<]+)</arch>\s*'
                         r'<version epoch="\d+" ver="([^"]+)"', xml))
    for name in ("apfctl", "apf-host", "apf-guest"):
        for arch in ("x86_64", "aarch64"):
            assert (name, arch, version()) in got, (name, arch)
    # One apf-host per version and architecture: no noarch one beside them.
    assert not [p for p in got if p[0] in META and p[1] == "noarch" and p[2] == version()], got


def test_noarch_meta_of_the_same_version_is_replaced(rpms, tmp_path):
    """apf-host and apf-guest were noarch until this change: a kept noarch
    apf-host N next to the new per-architecture one would give dnf on
    aarch64 two apf-host N.  --release refuses (a published version
    changes, exit 3), a development run drops the noarch one from the
    state and says so."""
    n = version()
    spec = tmp_path / "old.spec"
    spec.write_text(f"Name: apf-host\nVersion: {n}\nRelease: 1\nSummary: old noarch apf-host\n"
                    "License: GPL-2.0-only\nBuildArch: noarch\n\n%description\nold\n\n%files\n")
    old = tmp_path / "rpms"
    sh(["rpmbuild", "-bb", "--define", f"_topdir {tmp_path / 'top'}",
        "--define", f"_rpmdir {old}", "--define", "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm",
        str(spec)])
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "none").mkdir(parents=True)
    make_repo([old])
    assert ("apf-host", "noarch", n) in primary()
    before = yum_state()
    r = make_repo([RPMS], "--release", check=False)
    assert r.returncode == 3, r.stdout
    assert f"apf-host-{n}-1.noarch.rpm (now apf-host-{n}-1.x86_64.rpm)" in r.stdout, r.stdout
    assert yum_state() == before
    r = make_repo([RPMS])
    assert f"apf-host-{n}-1.noarch.rpm left the state" in r.stdout, r.stdout
    got = primary()
    assert ("apf-host", "x86_64", n) in got and ("apf-host", "noarch", n) not in got, got
    assert not (STATE / "rpms" / f"apf-host-{n}-1.noarch.rpm").exists()
