# SPDX-License-Identifier: GPL-2.0-only
"""Our QEMU survives Debian's updates (issue 14).

The APF QEMU keeps Debian's package names and version plus +apfN;
Debian's next update of the same QEMU sorts higher.  apf-host ships
/etc/apt/preferences.d/apf-suite-qemu.pref, which keeps every +apfN build
ahead.  Here, in a fresh bookworm root: our qemu-system-x86 installed from
a repository like the suite's, then a second repository publishing
Debian's next update (a higher version of the same three packages); with
apf-host's preferences file `apt-get upgrade` and `dist-upgrade` keep
ours, even once our repository is gone from the sources; without it the
same upgrade takes Debian's (so the check can fail).

The packages are real: our own build where `make -C qemu deb` has made it
(qemu/build/packages), else Debian's bookworm-backports qemu-system-x86,
-common and -data re-versioned with dpkg-deb (control file only) to our
pinned version (qemu/base.mk) as a stand-in for ours, and to the next
Debian update's version for Debian's."""
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, TREE, sh

CACHE = BUILD / "cache" / "qemu-identity"
PKGS = ["qemu-system-x86", "qemu-system-common", "qemu-system-data"]


def mk(var):
    return re.search(rf"^{var}\s*:=\s*(\S+)", (TREE / "qemu/base.mk").read_text(), re.M).group(1)


def newer(a, b):
    return subprocess.run(["dpkg", "--compare-versions", a, "gt", b]).returncode == 0


def reversion(deb, version, outdir, tmp):
    """deb rebuilt with Version (and its own exact-version Depends) = version."""
    d = tmp / f"x-{deb.name}"
    sh(["dpkg-deb", "-R", str(deb), str(d)])
    ctl = d / "DEBIAN/control"
    text = ctl.read_text()
    old = re.search(r"^Version: (\S+)$", text, re.M).group(1)
    ctl.write_text(text.replace(old, version))
    sh(["dpkg-deb", "-Zxz", "-b", str(d), str(outdir)])
    shutil.rmtree(d)


def flat_repo(d):
    sh(f"cd '{d}' && apt-ftparchive packages . > Packages")


@pytest.fixture(scope="module")
def packages(tmp_path_factory, debs):
    base, rel = mk("QEMU_DEB_VERSION"), mk("APF_RELEASE")
    ours_v = f"{base}+apf{rel}"
    m = re.search(r"deb13u(\d+)$", base)
    assert m, f"{base}: expected a trixie update version (+deb13uN)"
    debian_v = base[:m.start(1)] + str(int(m.group(1)) + 1)
    assert newer(debian_v, ours_v), (debian_v, ours_v)
    tmp = tmp_path_factory.mktemp("qemu-identity")
    ours, deb = tmp / "ours", tmp / "debian"
    ours.mkdir()
    deb.mkdir()
    built = sorted((TREE / "qemu/build/packages").glob(f"qemu-system-x86_{ours_v.split(':')[1]}_*.deb"))
    CACHE.mkdir(parents=True, exist_ok=True)
    if not all(list(CACHE.glob(f"{p}_*.deb")) for p in PKGS):
        r = subprocess.run(["apt-get", "download", "-t", "bookworm-backports", *PKGS], cwd=CACHE,
                           capture_output=True, text=True)
        if r.returncode:
            pytest.skip(f"apt-get download {' '.join(PKGS)} from bookworm-backports: {r.stderr[-300:]}")
    src = {p: sorted(CACHE.glob(f"{p}_*.deb"))[-1] for p in PKGS}
    if built:
        for f in (TREE / "qemu/build/packages").glob("*.deb"):
            shutil.copy(f, ours)
        kind = "our build"
    else:
        for p in PKGS:
            # deb.sh ships Debian's qemu-system-data at the base version.
            reversion(src[p], base if p == "qemu-system-data" else ours_v, ours, tmp)
        kind = "stand-in: Debian's backport re-versioned"
    for f in (TREE / "qemu/firmware").glob("seabios_*.deb"):
        shutil.copy(f, ours)
    for p in PKGS:
        reversion(src[p], debian_v, deb, tmp)
    flat_repo(ours)
    flat_repo(deb)
    pref = tmp / "pref"
    sh(f"dpkg-deb --fsys-tarfile '{debs['apf-host']}' | "
       f"tar -xO ./etc/apt/preferences.d/apf-suite-qemu.pref > '{pref}'")
    print(f"ours {ours_v} ({kind}); Debian's update {debian_v}")
    return {"ours": ours, "debian": deb, "pref": pref, "ours_v": ours_v, "base": base,
            "debian_v": debian_v}


def versions(root):
    out = root.run("dpkg-query -W " + " ".join(PKGS)).stdout
    return dict(line.split("\t") for line in out.strip().splitlines())


def test_upgrade_keeps_our_qemu(packages, root_factory):
    root = root_factory("qemu-identity")
    for name in ("ours", "debian"):
        shutil.copytree(packages[name], root.p(f"/srv/{name}"))
    ours_v, base, debian_v = packages["ours_v"], packages["base"], packages["debian_v"]
    root.p("/etc/apt/sources.list.d/ours.list").write_text("deb [trusted=yes] file:/srv/ours ./\n")
    root.apt("update")
    root.apt("install --no-install-recommends qemu-system-x86")
    assert versions(root) == {"qemu-system-x86": ours_v, "qemu-system-common": ours_v,
                              "qemu-system-data": base}
    # Debian's update appears.
    root.p("/etc/apt/sources.list.d/debian.list").write_text(
        "deb [trusted=yes] file:/srv/debian ./\n")
    root.apt("update")
    # Without apf-host's pins, upgrade would take it: the check can fail.
    sim = root.apt("-s upgrade").stdout
    for p in PKGS:
        assert re.search(rf"^Inst {p} \[[^]]+\] \({re.escape(debian_v)} ", sim, re.M), sim
    # With them (the file apf-host ships), it keeps ours.
    shutil.copy(packages["pref"], root.p("/etc/apt/preferences.d/apf-suite-qemu.pref"))
    pol = root.run("apt-cache policy qemu-system-x86").stdout
    assert re.search(rf"^ \*\*\* {re.escape(ours_v)} 1001$", pol, re.M), pol
    for cmd in ("upgrade", "dist-upgrade"):
        out = root.apt(cmd).stdout
        assert "qemu-system" not in "".join(
            ln for ln in out.splitlines() if ln.startswith(("Inst ", "Unpacking "))), out
    assert versions(root)["qemu-system-x86"] == ours_v
    assert versions(root)["qemu-system-common"] == ours_v
    assert versions(root)["qemu-system-data"] == base
    # Our repository unreachable or removed: the installed build still wins
    # (the pin matches the version, not the repository).
    root.p("/etc/apt/sources.list.d/ours.list").unlink()
    root.apt("update")
    root.apt("upgrade")
    assert versions(root)["qemu-system-x86"] == ours_v
    # A host that got Debian's QEMU (before apf-host) is brought back.
    root.p("/etc/apt/preferences.d/apf-suite-qemu.pref").unlink()
    root.p("/etc/apt/sources.list.d/ours.list").write_text("deb [trusted=yes] file:/srv/ours ./\n")
    root.apt("update")
    root.apt("upgrade")
    assert versions(root)["qemu-system-x86"] == debian_v
    shutil.copy(packages["pref"], root.p("/etc/apt/preferences.d/apf-suite-qemu.pref"))
    root.apt("upgrade --allow-downgrades")
    assert versions(root) == {"qemu-system-x86": ours_v, "qemu-system-common": ours_v,
                              "qemu-system-data": base}
    # Debian's other system emulators need qemu-system-common of their own
    # version (=), which the pin does not let apt choose: apt refuses them,
    # and says so (README, "QEMU's identity": what an operator sees).
    sim = root.apt("-s install --no-install-recommends qemu-system-arm", check=False)
    assert sim.returncode != 0, sim.stdout
    assert re.search(r"^ qemu-system-arm : Depends: qemu-system-common \(= [^)]+\) but "
                     + re.escape(ours_v) + r" is (to be )?installed", sim.stdout, re.M), sim.stdout
    assert versions(root)["qemu-system-common"] == ours_v
    # User-mode emulation (the README's way out) installs next to ours.
    sim = root.apt("-s install --no-install-recommends qemu-user-static").stdout
    assert re.search(r"^Inst qemu-user-static ", sim, re.M), sim
    assert not re.search(r"^(Inst|Remv) qemu-system", sim, re.M), sim
