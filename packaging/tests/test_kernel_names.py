# SPDX-License-Identifier: GPL-2.0-only
"""Kernel builds install side by side (issue 14), checked without building
a kernel: the suite build is in `uname -r` and in the image package's
name (kernel/scripts/names.sh, and pkg.sh --dry-run's make command agree
with it), the meta package linux-image-apf-<role> (kernel/scripts/
meta-deb.sh) depends on exactly its build, and in a fresh Debian 12 root
apt moves the meta package from build N to N+1 while N's image stays
installed next to N+1's.  The images there are stand-ins named and
versioned as `make bindeb-pkg` names ours (a /boot/vmlinuz-<uname -r>
file, no kernel): what is tested is the naming, not the kernel."""
import re
import shutil
import subprocess

import pytest

from conftest import TREE, kernel_names, sh

KS = TREE / "kernel/scripts"


def mk(var):
    return re.search(rf"^{var}\s*:=\s*(\S+)", (TREE / "kernel/base.mk").read_text(), re.M).group(1)


def newer(a, b):
    return subprocess.run(["dpkg", "--compare-versions", a, "gt", b]).returncode == 0


@pytest.mark.parametrize("role", ["host", "guest"])
def test_names_carry_the_build(role):
    kver, rel = mk("KERNEL_VERSION"), int(mk("APF_RELEASE"))
    n, n1 = kernel_names(role), kernel_names(role, rel + 1)
    assert n["uname_r"] == f"{kver}-apf{rel}-{role}"
    assert n1["uname_r"] == f"{kver}-apf{rel + 1}-{role}"
    assert n["deb_image"] == "linux-image-" + n["uname_r"] != n1["deb_image"]
    assert n["deb_meta"] == n1["deb_meta"] == f"linux-image-apf-{role}"
    assert newer(n1["deb_version"], n["deb_version"])
    assert n["rpm_provides"] == "kernel-" + n["uname_r"]
    # pkg.sh builds with exactly these names (a dry run: nothing unpacked).
    out = sh([str(KS / "pkg.sh"), "deb", role, "--dry-run"]).stdout
    assert f"uname -r: {n['uname_r']}\n" in out
    assert f" LOCALVERSION={n['uname_r'][len(kver):]} " in out, out
    assert f" KDEB_PKGVERSION={n['deb_version']} bindeb-pkg" in out, out
    assert f"{n['deb_image']}_{n['deb_version']}_amd64.deb" in out
    out = sh([str(KS / "pkg.sh"), "rpm", role, "--dry-run"]).stdout
    assert f"(provides {n['rpm_provides']})" in out and " binrpm-pkg" in out, out


def test_usage_errors():
    for cmd in (["names.sh", "hots"], ["names.sh", "host", "x"], ["meta-deb.sh", "host", "/tmp", "1a"]):
        p = subprocess.run([str(KS / cmd[0]), *cmd[1:]], capture_output=True, text=True)
        assert p.returncode == 2, (cmd, p.returncode, p.stderr)
        assert "usage" in p.stderr


def stand_in_image(role, rel, out, tmp):
    """A package named and versioned as bindeb-pkg names build rel's image."""
    n = kernel_names(role, rel)
    d = tmp / f"img-{rel}"
    (d / "DEBIAN").mkdir(parents=True)
    (d / "boot").mkdir()
    (d / f"boot/vmlinuz-{n['uname_r']}").write_text("stand-in, not a kernel\n")
    (d / "DEBIAN/control").write_text(
        f"Package: {n['deb_image']}\nVersion: {n['deb_version']}\nArchitecture: amd64\n"
        "Maintainer: t <t@apf-suite.invalid>\nDescription: stand-in image\n")
    sh(["dpkg-deb", "--root-owner-group", "-b", str(d), str(out)])


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    rel = int(mk("APF_RELEASE"))
    tmp = tmp_path_factory.mktemp("kernel-names")
    dirs = {}
    for r in (rel, rel + 1):
        d = tmp / f"apf{r}"
        d.mkdir()
        stand_in_image("host", r, d, tmp)
        sh([str(KS / "meta-deb.sh"), "host", str(d), str(r)])
        sh(f"cd '{d}' && apt-ftparchive packages . > Packages")
        dirs[r] = d
    return rel, dirs


def test_meta_package_depends_on_exactly_its_build(builds):
    rel, dirs = builds
    for r, d in dirs.items():
        n = kernel_names("host", r)
        meta = d / f"{n['deb_meta']}_{n['deb_version']}_amd64.deb"
        f = lambda k: sh(["dpkg-deb", "-f", str(meta), k]).stdout.strip()  # noqa: E731
        assert f("Version") == n["deb_version"]
        assert f("Depends") == f"{n['deb_image']} ({'='} {n['deb_version']})"


def test_builds_install_side_by_side(builds, root_factory):
    rel, dirs = builds
    n, n1 = kernel_names("host", rel), kernel_names("host", rel + 1)
    root = root_factory("kernel-names")
    for r, d in dirs.items():
        shutil.copytree(d, root.p(f"/srv/apf{r}"))
    # Only these repositories: nothing else is fetched or upgraded.
    root.p("/etc/apt/sources.list").write_text("")
    lst = root.p("/etc/apt/sources.list.d/apf.list")
    lst.write_text(f"deb [trusted=yes] file:/srv/apf{rel} ./\n")
    root.apt("update")
    root.apt("install --no-install-recommends " + n["deb_meta"])
    assert root.status(n["deb_image"]) == "install ok installed"
    # Build N+1 is published: the meta package follows it, N stays.
    lst.write_text(lst.read_text() + f"deb [trusted=yes] file:/srv/apf{rel + 1} ./\n")
    root.apt("update")
    # As Debian's linux-image-amd64: plain `apt-get upgrade` installs no
    # new package, so it holds the meta package back; `apt upgrade`
    # (--with-new-pkgs) and dist-upgrade take it.
    out = root.apt("upgrade").stdout
    assert re.search(r"kept back:\n\s+" + re.escape(n["deb_meta"]), out), out
    root.apt("upgrade --with-new-pkgs")
    ver = root.run(f"dpkg-query -W -f='${{Version}}' {n['deb_meta']}").stdout.strip()
    assert ver == n1["deb_version"]
    assert root.status(n["deb_image"]) == "install ok installed"
    assert root.status(n1["deb_image"]) == "install ok installed"
    assert root.p(f"/boot/vmlinuz-{n['uname_r']}").exists()
    assert root.p(f"/boot/vmlinuz-{n1['uname_r']}").exists()
    # N is removable on its own, the way Debian's old kernels are.
    root.apt("purge " + n["deb_image"])
    assert root.status(n["deb_image"]) == ""
    assert root.status(n1["deb_image"]) == "install ok installed"
    assert not root.p(f"/boot/vmlinuz-{n['uname_r']}").exists()
