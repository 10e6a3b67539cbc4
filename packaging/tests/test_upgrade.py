# SPDX-License-Identifier: GPL-2.0-only
"""Upgrade from version N (this tree) to N+1 (a copy of the tree bumped
with scripts/bump-version, whose default apf.conf and logrotate file
changed): the admin's edits survive, untouched conffiles follow the
package, data stays."""
import pytest

from conftest import sh, version


@pytest.fixture(scope="module")
def next_debs(next_build):
    """The packages of N+1, built from a bumped copy of the tree
    (conftest.NextBuild, shared with test_repo_history)."""
    return next_build.version, next_build.debs


def test_bump_version_keeps_one_version(next_debs):
    nv, debs = next_debs
    for name in ("apfctl", "apf-libvirt-hooks", "apf-host", "apf-guest"):
        v = sh(["dpkg-deb", "-f", str(debs[name]), "Version"]).stdout.strip()
        assert v == nv, name


def test_upgrade_keeps_admin_config(root_factory, debs, next_debs):
    nv, new = next_debs
    root = root_factory("deb-upgrade")
    root.copy_in([debs["apfctl"], debs["apf-libvirt-hooks"]], "/tmp/old")
    root.copy_in([new["apfctl"], new["apf-libvirt-hooks"]], "/tmp/new")
    root.apt("install --no-install-recommends /tmp/old/apfctl_*.deb /tmp/old/apf-libvirt-hooks_*.deb")
    assert root.run("apfctl --version").stdout.strip() == f"apfctl {version()}"
    # The admin edits apf.conf and the hook, and the suite has data.
    root.run("sed -i 's/^host_async_pf=.*/host_async_pf=off/' /etc/apf/apf.conf;"
             " echo '# site tweak' >>/etc/libvirt/hooks/qemu.d/50-apf;"
             " mkdir -p /var/lib/apf/domains; echo '{}' >/var/lib/apf/domains/t.json")
    # Fleets upgrade non-interactively, keeping the admin's conffiles.
    root.apt("install --no-install-recommends -o Dpkg::Options::=--force-confdef"
             " -o Dpkg::Options::=--force-confold /tmp/new/apfctl_*.deb /tmp/new/apf-libvirt-hooks_*.deb")
    assert root.run("apfctl --version").stdout.strip() == f"apfctl {nv}"
    ver = root.run("dpkg-query -W -f='${Version}' apfctl").stdout.strip()
    assert ver == nv
    conf = root.p("/etc/apf/apf.conf").read_text()
    assert "host_async_pf=off" in conf, "admin's edit lost"
    assert "new default line" not in conf
    # dpkg leaves the new default next to it.
    assert "new default line" in root.p("/etc/apf/apf.conf.dpkg-dist").read_text()
    # An unedited conffile follows the package.
    assert f"changed in {nv}" in root.p("/etc/logrotate.d/apfctl").read_text()
    assert "# site tweak" in root.p("/etc/libvirt/hooks/qemu.d/50-apf").read_text()
    assert root.p("/var/lib/apf/domains/t.json").exists()
