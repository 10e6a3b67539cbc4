# SPDX-License-Identifier: GPL-2.0-only
"""Shared fixtures of the package tests (packaging/tests).

The packages come from `make deb rpm` (build/debs, build/rpms); they are
built here when missing.  Debian roots come from scripts/bookworm-root
(debootstrap minbase, cached) and commands run in them through
scripts/in-root (chroot in a private mount namespace: nothing stays
mounted)."""
import os
import pathlib
import shutil
import subprocess

import pytest

PKG = pathlib.Path(__file__).resolve().parent.parent
TREE = PKG.parent
BUILD = pathlib.Path(os.environ.get("APF_PKG_BUILD", PKG / "build"))
SCRIPTS = PKG / "scripts"
DEBS = BUILD / "debs"
RPMS = BUILD / "rpms"
# The signing key, outside build/ (scripts/common.sh: APF_PKG_STATE).
PKG_STATE = pathlib.Path(os.environ.get("APF_PKG_STATE", PKG / "state"))
GNUPG = pathlib.Path(os.environ.get("APF_GNUPGHOME", PKG_STATE / "gpg"))
APT_CACHE = BUILD / "cache" / "apt-archives"
ENV = dict(os.environ, PATH="/usr/sbin:/usr/bin:/sbin:/bin:" + os.environ.get("PATH", ""),
           LC_ALL="C.UTF-8")


def version():
    return (TREE / "VERSION").read_text().strip()


def sh(cmd, check=True, env=None, **kw):
    """Run cmd (a list, or a string for /bin/sh); return CompletedProcess
    with text output; on failure the assertion shows the output."""
    p = subprocess.run(cmd, shell=isinstance(cmd, str), text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=env or ENV, check=False, **kw)
    if check:
        assert p.returncode == 0, f"{cmd!r} exited {p.returncode}:\n{p.stdout[-4000:]}"
    return p


class Root:
    """A Debian root directory and a way to run commands in it."""

    def __init__(self, path: pathlib.Path):
        self.path = path

    def run(self, cmd, check=True):
        env = dict(ENV, APF_APT_CACHE=str(APT_CACHE))
        return sh([str(SCRIPTS / "in-root"), str(self.path), "/bin/sh", "-c", cmd],
                  check=check, env=env)

    def p(self, rel):
        return self.path / rel.lstrip("/")

    def apt(self, args, check=True):
        return self.run("apt-get -y -q -o Dpkg::Use-Pty=0 " + args, check=check)

    def status(self, pkg):
        """dpkg's status of pkg ('install ok installed', 'deinstall ok
        config-files', or '' when dpkg does not know it)."""
        r = self.run(f"dpkg-query -W -f='${{Status}}' {pkg} 2>/dev/null", check=False)
        return r.stdout.strip() if r.returncode == 0 else ""

    def copy_in(self, files, dest="/tmp/debs"):
        d = self.p(dest)
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        for f in files:
            shutil.copy2(f, d)
        return dest


@pytest.fixture(scope="session")
def debs():
    """{package name: path} of the built .deb files (build/debs)."""
    if not list(DEBS.glob("*.deb")):
        sh([str(SCRIPTS / "build-deb")], env=dict(ENV, NO_LINT="1"))
    out = {}
    for f in sorted(DEBS.glob("*.deb")):
        out[f.name.split("_")[0]] = f
    return out


def cross_toolchain(arch):
    """Why a cross build for arch cannot run here ('' when it can)."""
    # (dpkg-architecture warns on stderr that gcc is not arch's.)
    gnu = subprocess.run(["dpkg-architecture", f"-a{arch}", "-qDEB_HOST_GNU_TYPE"], env=ENV,
                         text=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         check=True).stdout.strip()
    if not shutil.which(f"{gnu}-gcc"):
        return f"no {gnu}-gcc (make {arch}-deps)"
    if arch not in sh(["dpkg", "--print-foreign-architectures"]).stdout.split():
        return f"dpkg does not know {arch} (make {arch}-deps)"
    # The foreign architecture alone is not enough (the aarch64 lab adds it
    # with a few -dev packages): the Build-Depends that make {arch}-deps
    # installs must all be there.
    for pkg in ("libvirt-dev", "libjson-c-dev", "libxml2-dev"):
        r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", f"{pkg}:{arch}"], env=ENV,
                           text=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
        if r.returncode or "install ok installed" not in r.stdout:
            return f"no {pkg}:{arch} (make {arch}-deps)"
    return ""


def cross_built(built, marker, why, test_dir, cmd, env):
    """The directory of this version's cross-built packages: `built` when
    it holds `marker` (`make check` rebuilds it where it exists), else built
    here into `test_dir`, not `built`, from which make-repo would start
    publishing that architecture in the development repository.  Skipped
    with why() when the cross toolchain is missing."""
    if list(built.glob(marker)):
        return built
    reason = why()
    if reason:
        pytest.skip(reason)
    sh(cmd + [str(test_dir)], env=env)
    return test_dir


@pytest.fixture(scope="session")
def arm64_debs():
    """{package name: path} of this version's arm64 .debs (make deb-arm64)."""
    d = cross_built(BUILD / "debs-arm64", f"apfctl_{version()}_arm64.deb",
                    lambda: cross_toolchain("arm64"), BUILD / "arm64-test/debs-arm64",
                    [str(SCRIPTS / "build-deb-cross"), "arm64"],
                    dict(ENV, NO_LINT="1", DEB_BUILD_OPTIONS="nocheck",
                         APF_DEB_WORK=str(BUILD / "arm64-test/work")))
    return {f.name.split("_")[0]: f for f in sorted(d.glob(f"*_{version()}_arm64.deb"))}


def rpm_cross_toolchain(arch):
    """Why build-rpm --target arch cannot run here ('' when it can)."""
    deb = {"aarch64": "arm64"}[arch]
    why = cross_toolchain(deb)
    if why:
        return why
    gnu = f"{arch}-linux-gnu"
    if not shutil.which(f"{gnu}-pkg-config") or sh(
            [f"{gnu}-pkg-config", "--exists", "json-c", "libxml-2.0"], check=False).returncode:
        return f"no json-c or libxml-2.0 for {deb} ({gnu}-pkg-config; make {deb}-deps)"
    return ""


@pytest.fixture(scope="session")
def aarch64_rpms(rpms):
    """{package name: path} of this version's aarch64 RPMs (make -C
    packaging rpm-aarch64)."""
    d = cross_built(BUILD / "rpms-aarch64", f"apfctl-{version()}-1.aarch64.rpm",
                    lambda: rpm_cross_toolchain("aarch64"), BUILD / "arm64-test/rpms-aarch64",
                    [str(SCRIPTS / "build-rpm"), "--target", "aarch64"],
                    dict(ENV, NO_LINT="1", APF_RPM_WORK=str(BUILD / "arm64-test/rpm-aarch64")))
    out = {}
    for f in sorted(d.glob(f"*-{version()}-1.aarch64.rpm")):
        out[sh(["rpm", "-qp", "--nosignature", "--qf", "%{NAME}", str(f)]).stdout.strip()] = f
    return out


@pytest.fixture(scope="session")
def rpms():
    """{package name: path} of the built .rpm files (build/rpms)."""
    if not list(RPMS.glob("*.rpm")):
        sh([str(SCRIPTS / "build-rpm")], env=dict(ENV, NO_LINT="1"))
    out = {}
    for f in sorted(RPMS.glob("*.rpm")):
        name = sh(["rpm", "-qp", "--nosignature", "--qf", "%{NAME}", str(f)]).stdout.strip()
        out[name] = f
    return out


def kernel_names(role, rel=None):
    """The names kernel/scripts/names.sh gives a suite build of the kernel
    (uname_r, deb_image, deb_version, deb_meta, rpm_provides), without
    building one."""
    out = sh([str(TREE / "kernel/scripts/names.sh"), role] + ([str(rel)] if rel else [])).stdout
    return dict(line.split(".", 1)[1].split("=", 1) for line in out.split())


def next_version(v):
    parts = v.split(".")
    parts[-1] = str(int(parts[-1]) + 1)
    return ".".join(parts)


class NextBuild:
    """Version N+1: a copy of the tree bumped with scripts/bump-version,
    whose default apf.conf and logrotate file changed, built once per
    session (.deb always, .rpm on demand) and signed with this tree's key."""

    def __init__(self):
        self.work = BUILD / "upgrade"
        self.tree = self.work / "tree"
        self.version = next_version(version())
        self.env = dict(ENV, NO_LINT="1", DEB_BUILD_OPTIONS="nocheck",
                        APF_PKG_BUILD=str(self.work / "build"),
                        APF_GNUPGHOME=str(GNUPG))
        sh(["rm", "-rf", str(self.work)])
        sh([str(SCRIPTS / "export-tree"), "--all", str(self.tree)])
        epoch = int(sh(["dpkg-parsechangelog", "-l",
                        str(TREE / "packaging/deb/debian/changelog"), "-S", "Timestamp"]).stdout)
        sh([str(self.tree / "scripts/bump-version"), self.version, "Upgrade test release."],
           env=dict(ENV, SOURCE_DATE_EPOCH=str(epoch + 3600)))
        with open(self.tree / "systemd/apf.conf", "a") as f:
            f.write("# new default line in " + self.version + "\n")
        with open(self.tree / "systemd/apf.logrotate", "a") as f:
            f.write("# changed in " + self.version + "\n")
        self.deb_dir = self.work / "debs"
        sh([str(self.tree / "packaging/scripts/build-deb"), str(self.deb_dir)], env=self.env)
        self.debs = {f.name.split("_")[0]: f for f in self.deb_dir.glob("*.deb")}
        self.rpm_dir = self.work / "rpms"

    def build_rpms(self):
        if not list(self.rpm_dir.glob("*.rpm")):
            sh([str(self.tree / "packaging/scripts/build-rpm"), str(self.rpm_dir)], env=self.env)
        return self.rpm_dir

    def build_debs_cross(self, arch):
        """N+1's packages for arch (build-deb-cross) in a directory
        debs-ARCH, as make-repo expects them; skipped without the cross
        toolchain."""
        d = self.work / f"debs-{arch}"
        if not list(d.glob("*.deb")):
            why = cross_toolchain(arch)
            if why:
                pytest.skip(why)
            sh([str(self.tree / "packaging/scripts/build-deb-cross"), arch, str(d)], env=self.env)
        return d


@pytest.fixture(scope="session")
def next_build(debs):
    """The packages of N+1 (NextBuild), after this tree's (debs), so
    that both use one signing key."""
    return NextBuild()


@pytest.fixture(scope="session")
def root_factory():
    """make(name) -> a fresh bookworm Root in build/chroot/<name>, removed
    after the session unless APF_KEEP_ROOTS=1."""
    if os.geteuid() != 0:
        pytest.skip("needs root (debootstrap, chroot, mount namespaces)")
    APT_CACHE.mkdir(parents=True, exist_ok=True)
    made = []

    def make(name):
        path = BUILD / "chroot" / name
        sh([str(SCRIPTS / "bookworm-root"), str(path)])
        made.append(path)
        return Root(path)

    yield make
    if os.environ.get("APF_KEEP_ROOTS") != "1":
        for path in made:
            shutil.rmtree(path, ignore_errors=True)
