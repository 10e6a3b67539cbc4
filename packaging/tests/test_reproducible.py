# SPDX-License-Identifier: GPL-2.0-only
"""Two builds of the .debs with the same SOURCE_DATE_EPOCH, in different
directories, at different times and under a different umask, give
byte-identical packages (apfctl-dbgsym included).  The build scripts fix
the locale and time zone themselves (scripts/common.sh)."""
import hashlib

from conftest import BUILD, SCRIPTS, TREE, ENV, sh


def digests(d):
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(d.glob("*.deb"))}


def test_two_builds_identical():
    epoch = sh(["dpkg-parsechangelog", "-l", str(TREE / "packaging/deb/debian/changelog"),
                "-S", "Timestamp"]).stdout.strip()
    work = BUILD / "repro"
    sh(["rm", "-rf", str(work)])
    # nocheck: apfctl's unit tests do not change the packages' bytes.
    common = dict(ENV, NO_LINT="1", DEB_BUILD_OPTIONS="nocheck", SOURCE_DATE_EPOCH=epoch)
    runs = {
        "a": dict(common, APF_DEB_WORK=str(work / "a-work")),
        "b": dict(common, APF_DEB_WORK=str(work / "second-build-in-a-longer-path")),
    }
    sh([str(SCRIPTS / "build-deb"), str(work / "a")], env=runs["a"])
    sh(f"umask 002; {SCRIPTS / 'build-deb'} {work / 'b'}", env=runs["b"])
    a, b = digests(work / "a"), digests(work / "b")
    assert a and set(a) == set(b)
    differ = [n for n in a if a[n] != b[n]]
    assert not differ, f"not reproducible: {differ}"
    sh(["rm", "-rf", str(work)])
