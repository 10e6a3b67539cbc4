# SPDX-License-Identifier: GPL-2.0-only
"""Two builds of the .debs with the same SOURCE_DATE_EPOCH, in different
directories, at different times, under a different umask, time zone and
locale, give byte-identical packages (apfctl-dbgsym included)."""
import hashlib

from conftest import BUILD, SCRIPTS, TREE, ENV, sh


def digests(d):
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(d.glob("*.deb"))}


def test_two_builds_identical():
    epoch = sh(["dpkg-parsechangelog", "-l", str(TREE / "packaging/deb/debian/changelog"),
                "-S", "Timestamp"]).stdout.strip()
    work = BUILD / "repro"
    sh(["rm", "-rf", str(work)])
    runs = {
        "a": dict(ENV, NO_LINT="1", SOURCE_DATE_EPOCH=epoch, APF_DEB_WORK=str(work / "a-work"),
                  TZ="UTC"),
        "b": dict(ENV, NO_LINT="1", SOURCE_DATE_EPOCH=epoch,
                  APF_DEB_WORK=str(work / "second-build-in-a-longer-path"),
                  TZ="Asia/Kolkata", LANG="fr_FR.UTF-8"),
    }
    sh([str(SCRIPTS / "build-deb"), str(work / "a")], env=runs["a"])
    sh(f"umask 002; {SCRIPTS / 'build-deb'} {work / 'b'}", env=runs["b"])
    a, b = digests(work / "a"), digests(work / "b")
    assert a and set(a) == set(b)
    differ = [n for n in a if a[n] != b[n]]
    assert not differ, f"not reproducible: {differ}"
    sh(["rm", "-rf", str(work)])
