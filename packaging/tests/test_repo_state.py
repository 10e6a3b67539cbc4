# SPDX-License-Identifier: GPL-2.0-only
"""The repositories' history and signing key outlive `make clean` (issue
14, operator review): scripts/make-repo keeps its state and the key in
APF_PKG_STATE (packaging/state: state/repo, state/gpg), outside build/;
the old places in build/ are moved there once.  A make-repo that finds a
publication whose history its state lacks (the state was lost, as
`make clean` did before) refuses with exit 4, one whose publication or
state was signed by another key refuses with exit 5, both before
changing anything, unless told --new-history / --new-key."""
import re
import shutil

import pytest

from conftest import DEBS, ENV, PKG, RPMS, SCRIPTS, BUILD, sh, version

WORK = BUILD / "repo-state-test"
VARS = ("APF_REPO_STATE", "APF_GNUPGHOME", "APF_SIGNING_KEY", "APF_PKG_STATE",
        "APF_PKG_BUILD", "APF_REPO_RELEASE")


def make_repo(*args, debs=DEBS, rpms=RPMS, check=True, **env_vars):
    """scripts/make-repo ARGS with only the APF_* variables given."""
    env = {k: v for k, v in ENV.items() if k not in VARS}
    env.update(APF_DEBS=str(debs), APF_RPMS=str(rpms),
               APF_EXTRA_PKG_DIRS=str(WORK / "no-extra"),
               APF_CROSS_DEBS=str(WORK / "no-extra"),
               APF_CROSS_RPMS=str(WORK / "no-extra"))
    env.update({k: str(v) for k, v in env_vars.items()})
    return sh([str(SCRIPTS / "make-repo"), *map(str, args)], env=env, check=check)


def apt_versions(repo, name):
    text = (repo / "apt/dists/bookworm/main/binary-amd64/Packages").read_text()
    return sorted(m.group(1) for m in re.finditer(
        rf"^Package: {re.escape(name)}\n(?:[^\n]+\n)*?Version: (\S+)$", text, re.M))


def yum_files(repo):
    return sorted(f.name for f in (repo / "yum/packages").glob("*.rpm"))


def fingerprint(gnupghome):
    out = sh(["gpg", "--homedir", str(gnupghome), "--batch", "--with-colons",
              "--list-secret-keys"]).stdout
    return re.search(r"^fpr:+([0-9A-F]+):", out, re.M).group(1)


def verifies(repo, keyring):
    d = repo / "apt/dists/bookworm"
    md = repo / "yum/repodata/repomd.xml"
    return all(sh(["gpgv", "--keyring", str(keyring), *files], check=False).returncode == 0
               for files in ([str(d / "InRelease")], [str(md) + ".asc", str(md)]))


def published(repo):
    """The bytes of what a host reads first: apt's InRelease and yum's
    signed repomd.xml."""
    return ((repo / "apt/dists/bookworm/InRelease").read_bytes(),
            (repo / "yum/repodata/repomd.xml.asc").read_bytes())


@pytest.fixture(scope="module")
def work():
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "no-extra").mkdir(parents=True)
    yield WORK
    # The gpg-agents of the keys made here.
    for d in WORK.rglob("pubring.kbx"):
        sh(["gpgconf", "--homedir", str(d.parent), "--kill", "all"], check=False)


def test_make_clean_keeps_history_and_key(work, debs, rpms, next_build):
    """The layout before the fix (key and state in build/) is moved out of
    build/ by the next run; `make clean` (build/ removed) then keeps both:
    N+1 publishes next to N, signed by the same key."""
    build, keep = work / "clean/build", work / "clean/state"
    n, n1 = version(), next_build.version
    # As before the fix: state and key in build/.
    make_repo(APF_PKG_BUILD=build, APF_PKG_STATE=keep,
              APF_REPO_STATE=build / "repo-state", APF_GNUPGHOME=build / "gpg")
    fpr = fingerprint(build / "gpg")
    # The defaults now: moved to APF_PKG_STATE, nothing lost.
    r = make_repo(APF_PKG_BUILD=build, APF_PKG_STATE=keep)
    assert "moved" in r.stdout, r.stdout
    assert not (build / "gpg").exists() and not (build / "repo-state").exists()
    assert fingerprint(keep / "gpg") == fpr
    assert (keep / "repo/files.sha256").read_text()
    assert (keep / "repo/signing-key").read_text().strip() == fpr
    # make clean removes build/ and only that.
    dry = sh(["make", "-n", "-C", str(PKG), "clean"]).stdout
    assert re.findall(r"^rm .*$", dry, re.M) == ["rm -rf build"], dry
    shutil.rmtree(build)
    make_repo(debs=next_build.deb_dir, rpms=next_build.build_rpms(),
              APF_PKG_BUILD=build, APF_PKG_STATE=keep)
    repo = build / "repo"
    for name in ("apfctl", "apf-libvirt-hooks", "apf-host"):
        assert apt_versions(repo, name) == sorted([n, n1]), name
    assert len([f for f in yum_files(repo) if f.startswith("apfctl-")]) == 2, yum_files(repo)
    assert fingerprint(keep / "gpg") == fpr
    assert verifies(repo, keep / "gpg/pubring.kbx")


def test_lost_state_is_refused(work, debs, rpms):
    """The served repository stays, the state and key in build/ go (`make
    clean` before the fix): refused, exit 4, nothing changed; then with
    only the state lost; --new-history publishes from the state alone."""
    repo, build = work / "lost/srv-repo", work / "lost/build"
    old = dict(APF_REPO_STATE=build / "repo-state", APF_GNUPGHOME=build / "gpg",
               APF_PKG_STATE=work / "lost/unused")
    make_repo(repo, **old)
    before, files = published(repo), yum_files(repo)
    key = work / "lost/old-key.gpg"
    key.write_bytes((repo / "apf-suite.gpg").read_bytes())
    shutil.copytree(build / "gpg", work / "lost/gpg-kept", ignore=shutil.ignore_patterns("S.*"))
    sh(["gpgconf", "--homedir", str(build / "gpg"), "--kill", "all"], check=False)
    shutil.rmtree(build)
    r = make_repo(repo, check=False, **old)
    assert r.returncode == 4, r.stdout
    assert "does not hold" in r.stdout and "--new-history" in r.stdout, r.stdout
    assert "apt/pool/main/a/apf-suite/apfctl_" in r.stdout, r.stdout
    assert "Also signed by another key" in r.stdout, r.stdout
    assert published(repo) == before and yum_files(repo) == files
    # The key kept, the state lost: still refused.
    kept = dict(old, APF_GNUPGHOME=work / "lost/gpg-kept")
    shutil.rmtree(build / "repo-state")
    r = make_repo(repo, check=False, **kept)
    assert r.returncode == 4 and "another key" not in r.stdout, r.stdout
    assert published(repo) == before
    # Told so: a new history from this state, same key.
    r = make_repo("--new-history", repo, **kept)
    assert "dropping" in r.stdout, r.stdout
    assert apt_versions(repo, "apfctl") == [version()]
    assert verifies(repo, key)
    # And from then on the state is the publication's.
    make_repo(repo, **kept)


def test_other_key_is_refused_unless_rotating(work, debs, rpms):
    """The state kept, the key not (another GNUPGHOME): refused, exit 5;
    --new-key re-signs everything (metadata and every kept RPM) with the
    new key; the old key is then the other one."""
    repo, state = work / "key/repo", work / "key/state"
    k1, k2 = work / "key/gpg1", work / "key/gpg2"
    make_repo(repo, APF_REPO_STATE=state, APF_GNUPGHOME=k1)
    before = published(repo)
    r = make_repo(repo, check=False, APF_REPO_STATE=state, APF_GNUPGHOME=k2)
    assert r.returncode == 5, r.stdout
    assert "InRelease" in r.stdout and "--new-key" in r.stdout, r.stdout
    assert published(repo) == before
    assert (state / "signing-key").read_text().strip() == fingerprint(k1)
    # A state signed by k1 and no publication (REPODIR gone): refused too.
    r = make_repo(work / "key/elsewhere", check=False, APF_REPO_STATE=state, APF_GNUPGHOME=k2)
    assert r.returncode == 5 and "state's last publication" in r.stdout, r.stdout
    # Rotation.
    make_repo("--new-key", repo, APF_REPO_STATE=state, APF_GNUPGHOME=k2)
    fpr2 = fingerprint(k2)
    assert verifies(repo, k2 / "pubring.kbx") and not verifies(repo, k1 / "pubring.kbx")
    for f in (repo / "yum/packages").glob("*.rpm"):
        sig = sh(["rpm", "-qp", "--nosignature", "--qf", "%{RSAHEADER:pgpsig}", str(f)]).stdout
        assert sig.lower().endswith(fpr2[-16:].lower()), (f.name, sig)
    assert (state / "signing-key").read_text().strip() == fpr2
    r = make_repo(repo, check=False, APF_REPO_STATE=state, APF_GNUPGHOME=k1)
    assert r.returncode == 5, r.stdout


def test_operator_removal_is_not_lost_history(work, debs, rpms, next_build):
    """Removing an old version from the state (README: aptly repo remove,
    rm in rpms/) drops it at the next run without --new-history."""
    repo, state, gpg = work / "rm/repo", work / "rm/state", work / "rm/gpg"
    env = dict(APF_REPO_STATE=state, APF_GNUPGHOME=gpg)
    make_repo(repo, **env)
    make_repo(repo, debs=next_build.deb_dir, rpms=next_build.build_rpms(), **env)
    n, n1 = version(), next_build.version
    assert apt_versions(repo, "apfctl") == sorted([n, n1])
    sh(["aptly", f"-config={state}/aptly.conf", "repo", "remove", "apf-suite", f"apfctl (= {n})"])
    for f in (state / "rpms").glob(f"apfctl-{n}-*.rpm"):
        f.unlink()
    make_repo(repo, debs=next_build.deb_dir, rpms=next_build.build_rpms(), **env)
    assert apt_versions(repo, "apfctl") == [n1]
    assert [f for f in yum_files(repo) if f.startswith("apfctl-")] == \
        [f.name for f in next_build.build_rpms().glob("apfctl-*.rpm")]


def test_usage_names_the_flags():
    r = make_repo("--bogus", check=False)
    assert r.returncode == 2 and "--new-history" in r.stdout and "--new-key" in r.stdout
