# SPDX-License-Identifier: GPL-2.0-only
"""Check mode, handlers, argument specs and the renamed variables, for
real on localhost.

`ansible-playbook --check` of rollout.yml and site.yml must change nothing
and fail nothing: every file and directory the roles could touch (the
real /etc/apt, /etc/default, /etc/apf, /etc/ansible, /var/lib/apf, /run/apf
of this machine, and the test's directories) is listed with its size and
mtime before and after, and must be the same.  A host that needs the
rollout reports what the lock, the evacuation and the install would do
and what the rest would; nothing reboots.  (The same against VMs, after
a real rollout: tests/fleet.)

apf_config's handler applies apf.conf when it changed or the running
switches (apfctl on a copy of a fixture sysroot) differ from it, once;
not when apf_config_apply_now is false.  The 0.1.0 variable names still
work, with one deprecation warning per name for the whole run; the
argument specs refuse a bad value before any task runs."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ANS, APF_BOOT, APFCTL, PY, TOP, Run, ansible_env, need_root

FIX = TOP / "tools/apfctl/tests/fixtures"
GUEST_SW = "sys/kernel/kvm_async_pf/enabled"
NO_LIBVIRT = "qemu+unix:///system?socket=/nonexistent/apf-test/sock"
WATCHED = ["/etc/apt", "/etc/default", "/etc/apf", "/etc/ansible", "/var/lib/apf", "/run/apf",
           "/etc/libvirt/hooks"]


def snapshot(*roots):
    """path -> (kind, size, mtime) for everything under roots."""
    out = {}
    for root in roots:
        root = Path(root)
        if not root.exists():
            out[str(root)] = None
            continue
        for p in [root, *root.rglob("*")]:
            try:
                st = p.lstat()
            except OSError:
                continue
            out[str(p)] = (st.st_mode >> 12, st.st_size if p.is_file() else 0, st.st_mtime_ns)
    return out


def differences(before, after, tmp_path):
    """What changed, leaving out ansible's own files: its temporary
    directory and the inventory the test wrote (and so the mtime of the
    test's directory itself)."""
    mine = (str(tmp_path), str(tmp_path / "inventory.json"))
    return sorted(k for k in set(before) | set(after)
                  if before.get(k) != after.get(k) and k not in mine
                  and not k.startswith(str(tmp_path / "ansible-tmp")))


def installed(pkg):
    return subprocess.run(["dpkg-query", "-W", "--showformat=${Version}", pkg],
                          stdout=subprocess.PIPE, text=True, check=True).stdout


@pytest.fixture
def machine(tmp_path):
    """A copy of an apfctl fixture sysroot and the variables that point
    the roles at it and at the test's directory."""
    need_root()
    if not APFCTL.exists() or not APF_BOOT.exists():
        pytest.skip("apfctl or apf-boot is not built (make all)")

    def make(fixture="patched-guest", conf=None):
        root = tmp_path / "sysroot"
        shutil.copytree(FIX / fixture, root, symlinks=True)
        wrapper = tmp_path / "apfctl"
        wrapper.write_text('#!/bin/sh\nexec %s --sysroot %s "$@"\n' % (APFCTL, root))
        wrapper.chmod(0o755)
        boot = tmp_path / "apf-boot"
        boot.write_text('#!/bin/sh\nexec %s --sysroot %s "$@"\n' % (APF_BOOT, root))
        boot.chmod(0o755)
        key = tmp_path / "apf-suite.asc"
        key.write_text("-----BEGIN PGP PUBLIC KEY BLOCK-----\n(test)\n")
        v = {"apf_config_apfctl": str(wrapper), "apf_config_apf_boot": str(boot),
             "apf_config_conf_file": str(tmp_path / "etc-apf/apf.conf"),
             "apf_config_facts_dir": str(tmp_path / "facts"),
             "apf_config_units": [],
             "apf_packages_repo_url": "http://127.0.0.1:9/apt",
             "apf_packages_repo_key_file": str(key),
             "apf_packages_meta_package": "apf-guest", "apf_packages_version": "0.1.0",
             "apf_rollout_libvirt_uri": NO_LIBVIRT,
             "apf_rollout_lock_host": "localhost",
             "apf_rollout_lock_dir": str(tmp_path / "lock"),
             "apf_rollout_lock_timeout": 5, "apf_rollout_lock_delay": 1,
             "apf_rollout_state_dir": str(tmp_path / "state"),
             "apf_rollout_run_dir": str(tmp_path / "run"),
             "apf_rollout_expected_apf": "any"}
        if conf is not None:
            Path(v["apf_config_conf_file"]).parent.mkdir(parents=True, exist_ok=True)
            Path(v["apf_config_conf_file"]).write_text(conf)
        return v, root
    return make


def playbook(tmp_path, pb, hostvars, *args, hosts=("h1", "h2", "h3"), common=None):
    """ansible-playbook PB against hosts of group apf_hosts (connection
    local), with per-host variables."""
    inv = {"all": {"hosts": {"localhost": {"ansible_connection": "local",
                                           "ansible_python_interpreter": PY}},
                   "children": {"apf_hosts": {
                       "hosts": {h: hostvars.get(h, {}) for h in hosts},
                       "vars": dict(common or {}, ansible_connection="local",
                                    ansible_python_interpreter=PY)}}}}
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(inv))
    p = subprocess.run(["ansible-playbook", "-i", str(path), *args, str(pb)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       env=ansible_env(tmp_path), cwd=tmp_path, timeout=600, check=False)
    return Run(p, p.stdout)


# --- check mode ---------------------------------------------------------------

def test_rollout_check_changes_nothing(machine, tmp_path):
    """Three hosts: h1 and h3 already run the result, h2 needs the whole
    rollout.  --check: rc 0, nothing failed, not one file changed."""
    v, root = machine()
    kernel = os.uname().release
    common = dict(v, apf_rollout_expected_kernel=kernel)
    done = {"apf_packages_meta_package": "apt", "apf_packages_version": installed("apt")}
    hostvars = {"h1": done, "h3": done, "h2": {"apf_rollout_expected_kernel": "6.12.117-apf-guest"}}
    before = snapshot(tmp_path, root, *WATCHED)
    r = playbook(tmp_path, ANS / "playbooks/rollout.yml", hostvars, "--check", common=common)
    assert r.rc == 0, r
    assert all(r.recap[h]["failed"] == 0 and r.recap[h]["unreachable"] == 0
               for h in ("h1", "h2", "h3")), r
    after = snapshot(tmp_path, root, *WATCHED)
    assert differences(before, after, tmp_path) == []
    out = r.out
    assert out.count("already done: %s" % kernel) == 2, r
    assert "rollout needed: kernel %s, not 6.12.117-apf-guest; apf-guest not installed" % kernel \
        in out, r
    # What it would do: the install, then the rest described.
    assert "check mode: the repository's index would be fetched, then apf-guest=0.1.0, " \
           "kexec-tools installed" in out, r
    assert "check mode: h2 would then pin 6.12.117-apf-guest as the boot default " \
           "(/usr/sbin/apf-boot pin), kexec into it" in out, r
    assert "no libvirt daemon runs and apfctl sees no QEMU VMs: nothing to evacuate" in out, r
    # Nothing rebooted, nothing verified (the running kernel would be
    # "wrong"), the rescue never ran.
    assert "verification failed" not in out and "rollout failed" not in out, r
    assert "Reboot into the new kernel" not in out.split("PLAY RECAP")[0].split("TASK [")[-1]


def test_site_check_changes_nothing(machine, tmp_path):
    """site.yml --check on a host without the suite (the repository not
    defined, apf.conf and the fact missing): rc 0, nothing failed, nothing
    written; it says it would fetch the index, install, and apply apf.conf."""
    v, root = machine()
    before = snapshot(tmp_path, root, *WATCHED)
    r = playbook(tmp_path, ANS / "playbooks/site.yml", {}, "--check", hosts=("h1",), common=v)
    assert r.rc == 0 and r.recap["h1"]["failed"] == 0, r
    after = snapshot(tmp_path, root, *WATCHED)
    assert differences(before, after, tmp_path) == []
    assert r.recap["h1"]["changed"] > 0, r            # it reports what would change
    assert "check mode: the repository's index would be fetched" in r.out, r
    assert "check mode: apfctl apply-config %s would run now" % v["apf_config_conf_file"] in r.out, r


def conf_text(host="keep", guest="keep"):
    return ("# written by the test\nhost_async_pf=%s\nguest_async_pf=%s\non_unsupported=warn\n"
            % (host, guest))


def check_run(ansible, pb, extra):
    """ansible-playbook --check on localhost (the ansible fixture's
    inventory and environment)."""
    p = subprocess.run(["ansible-playbook", "-i", str(ansible.inventory), "--check", "-e",
                        json.dumps(extra), str(pb)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, env=ansible.env, timeout=600,
                       check=False)
    return Run(p, p.stdout)


def test_config_check_on_a_configured_host(ansible, machine):
    """A host whose apf.conf and switches agree: --check reports nothing to
    change.  One whose guest switch was turned off by hand: --check says
    the handler would apply apf.conf, and the switch stays off."""
    v, root = machine()
    pb = ANS / "tests/playbooks/config.yml"
    v["apf_config_guest_async_pf"] = "on"
    assert ansible(pb, v).rc == 0
    r = check_run(ansible, pb, v)
    assert r.rc == 0 and r.changed("localhost") == 0, r
    (root / GUEST_SW).write_text("0\n")                 # apfctl disable by hand
    before = snapshot(root, Path(v["apf_config_conf_file"]).parent)
    r = check_run(ansible, pb, v)
    assert r.rc == 0 and r.changed("localhost") == 1, r
    assert "Compare the running switches with apf.conf" in r.out, r
    assert "check mode: apfctl apply-config" in r.out, r
    assert snapshot(root, Path(v["apf_config_conf_file"]).parent) == before
    assert (root / GUEST_SW).read_text().strip() == "0"


def test_switch_check_says_what_would_flip(ansible, machine):
    v, root = machine(conf=conf_text())
    before = snapshot(root, Path(v["apf_config_conf_file"]).parent)
    r = check_run(ansible, ANS / "playbooks/disable.yml", dict(v, apf_switch_hosts="localhost"))
    assert r.rc == 0, r
    assert "check mode: guest switch would turn off" in r.out, r
    assert r.changed("localhost") == 2, r               # the switch, apf.conf
    assert snapshot(root, Path(v["apf_config_conf_file"]).parent) == before


# --- handlers -------------------------------------------------------------------

def test_apply_is_a_handler(ansible, machine):
    """apply-config runs when apf.conf changed, or a switch drifted from it;
    not on a run where nothing changed; not with apf_config_apply_now false."""
    v, root = machine()
    pb = ANS / "tests/playbooks/config.yml"
    r = ansible(pb, dict(v, apf_config_guest_async_pf="off"))
    assert r.rc == 0, r
    assert "RUNNING HANDLER [apf_suite.fleet.apf_config : Set the switches as apf.conf says]" \
        in r.out, r
    assert (root / GUEST_SW).read_text().strip() == "0"
    assert "guest_async_pf=off" in Path(v["apf_config_conf_file"]).read_text()
    r = ansible(pb, dict(v, apf_config_guest_async_pf="off"))
    assert r.rc == 0 and r.changed("localhost") == 0 and "RUNNING HANDLER" not in r.out, r
    (root / GUEST_SW).write_text("1\n")                 # turned back on by hand
    r = ansible(pb, dict(v, apf_config_guest_async_pf="off"))
    assert r.rc == 0 and "RUNNING HANDLER" in r.out, r
    assert (root / GUEST_SW).read_text().strip() == "0"
    # The rollout's install: apf.conf changes, the new kernel applies it.
    r = ansible(pb, dict(v, apf_config_guest_async_pf="on", apf_config_apply_now=False))
    assert r.rc == 0 and "guest_async_pf=on" in Path(v["apf_config_conf_file"]).read_text(), r
    assert (root / GUEST_SW).read_text().strip() == "0", r


def test_modprobe_conf_follows_apf_conf(ansible, machine):
    """/etc/modprobe.d/apf-suite.conf (apf-boot modprobe-conf, the handler
    "apf_config modprobe"): written when apf.conf changes, also with
    apf_config_apply_now false (the rollout); mode 0644; nothing on an
    unchanged run; rewritten when it was removed by hand; removed for
    host_async_pf=keep."""
    v, root = machine()
    pb = ANS / "tests/playbooks/config.yml"
    mod = root / "etc/modprobe.d/apf-suite.conf"
    (root / "etc").mkdir(exist_ok=True)                     # as on a host
    name = "RUNNING HANDLER [apf_suite.fleet.apf_config : Write kvm's options in /etc/modprobe.d"
    r = ansible(pb, dict(v, apf_config_host_async_pf="off", apf_config_apply_now=False))
    assert r.rc == 0 and name in r.out, r
    assert "options kvm async_pf=N" in mod.read_text().splitlines()
    assert mod.stat().st_mode & 0o7777 == 0o644
    r = ansible(pb, dict(v, apf_config_host_async_pf="on"))
    assert r.rc == 0 and "options kvm async_pf=Y" in mod.read_text().splitlines(), r
    r = ansible(pb, dict(v, apf_config_host_async_pf="on"))
    assert r.rc == 0 and r.changed("localhost") == 0 and name not in r.out, r
    mod.unlink()                                            # by hand
    r = check_run(ansible, pb, dict(v, apf_config_host_async_pf="on"))
    assert r.rc == 0 and "check mode: apf-boot modprobe-conf" in r.out and not mod.exists(), r
    r = ansible(pb, dict(v, apf_config_host_async_pf="on"))
    assert r.rc == 0 and name in r.out and "options kvm async_pf=Y" in mod.read_text(), r
    r = ansible(pb, dict(v, apf_config_host_async_pf="keep"))
    assert r.rc == 0 and not mod.exists(), r


# --- argument specs and renamed variables ----------------------------------------

def test_argument_specs_refuse_bad_values(ansible, machine, tmp_path):
    v, root = machine()
    r = ansible(ANS / "tests/playbooks/config.yml", dict(v, apf_config_on_unsupported="maybe"))
    assert r.rc != 0, r
    assert "Validating arguments against arg spec 'main'" in r.out, r
    assert "apf_config_on_unsupported must be one of: warn, fail" in r.out, r
    assert not Path(v["apf_config_conf_file"]).exists()
    r = playbook(tmp_path, ANS / "playbooks/rollout.yml",
                 {"h1": {"apf_rollout_concurrency": "lots"}}, hosts=("h1",),
                 common=dict(v, apf_rollout_expected_kernel="x"))
    assert r.rc != 0 and "apf_rollout_concurrency" in r.out and "int" in r.out, r


@pytest.mark.parametrize("bad, says", [
    ({"apf_packages_meta_package": "apf-hots"},
     "apf_packages_meta_package must be one of: apf-host, apf-guest"),
    ({"apf_packages_extra": {"kexec-tools": 1}}, "apf_packages_extra"),
    ({"apf_packages_install_recommends": "perhaps"}, "apf_packages_install_recommends"),
])
def test_argument_specs_refuse_bad_package_values(machine, tmp_path, bad, says):
    """apf_packages' spec, through site.yml: the run stops at the
    validation, before any task of the role (so --check is not needed to
    keep this machine untouched), naming the variable."""
    v, root = machine()
    before = snapshot(tmp_path, root, *WATCHED)
    r = playbook(tmp_path, ANS / "playbooks/site.yml", {}, hosts=("h1",), common=dict(v, **bad))
    assert r.rc != 0 and r.recap["h1"]["failed"] == 1, r
    out = " ".join(r.out.split())
    assert "Validating arguments against arg spec 'main'" in out and says in out, r
    assert "TASK [apf_suite.fleet.apf_packages : Warn about variables" not in out, r
    assert differences(before, snapshot(tmp_path, root, *WATCHED), tmp_path) == []


def test_old_names_still_work_with_one_warning(machine, tmp_path):
    """0.1.0's names in an inventory of two hosts: apf.conf says what
    they ask for; one deprecation warning per name for the whole run; the
    new name wins where both are set."""
    v, root = machine()
    v.pop("apf_config_units")
    common = dict(v, apf_units=[], apf_conf_guest_async_pf="off", apf_conf_on_unsupported="warn")
    # Each host its own apf.conf, so the two do not share one file.
    hostvars = {h: {"apf_config_conf_file": str(tmp_path / h / "apf.conf")} for h in ("h1", "h2")}
    hostvars["h2"]["apf_config_guest_async_pf"] = "on"
    r = playbook(tmp_path, ANS / "tests/playbooks/config.yml", hostvars, "-e",
                 "config_hosts=apf_hosts", hosts=("h1", "h2"), common=common)
    assert r.rc == 0, r
    assert "guest_async_pf=off" in (tmp_path / "h1/apf.conf").read_text()
    assert "guest_async_pf=on" in (tmp_path / "h2/apf.conf").read_text()
    out = " ".join(r.out.split())                    # ansible wraps warnings
    for old, new in (("apf_conf_guest_async_pf", "apf_config_guest_async_pf"),
                     ("apf_units", "apf_config_units")):
        warning = "[DEPRECATION WARNING]: the variable %s is now %s" % (old, new)
        assert out.count(warning) == 1, r
    assert "removed from apf_suite.fleet in version 0.3.0" in out, r
    r = playbook(tmp_path, ANS / "tests/playbooks/config.yml", hostvars, "-e",
                 "config_hosts=apf_hosts", hosts=("h1", "h2"), common=dict(v, apf_config_units=[]))
    assert r.rc == 0 and "DEPRECATION" not in r.out, r


def test_site_check_with_old_package_names(machine, tmp_path):
    """site.yml --check with an inventory of 0.1.0 (apf_repo_url,
    apf_repo_key_file, apf_meta_package, apf_version,
    apf_extra_packages): rc 0, nothing written, the install it reports is
    the one the old names ask for, and one deprecation warning per old
    name for both hosts together."""
    v, root = machine()
    old = {"apf_repo_url": v.pop("apf_packages_repo_url"),
           "apf_repo_key_file": v.pop("apf_packages_repo_key_file"),
           "apf_meta_package": "apf-host",
           "apf_version": "0.1.7",
           "apf_extra_packages": ["kexec-tools", "apf-suite-extra"]}
    v.pop("apf_packages_meta_package")
    v.pop("apf_packages_version")
    hostvars = {h: {"apf_config_conf_file": str(tmp_path / h / "apf.conf")} for h in ("h1", "h2")}
    before = snapshot(tmp_path, root, *WATCHED)
    r = playbook(tmp_path, ANS / "playbooks/site.yml", hostvars, "--check", hosts=("h1", "h2"),
                 common=dict(v, **old))
    assert r.rc == 0 and r.recap["h1"]["failed"] == 0 and r.recap["h2"]["failed"] == 0, r
    assert differences(before, snapshot(tmp_path, root, *WATCHED), tmp_path) == []
    out = " ".join(r.out.split())
    assert out.count("check mode: the repository's index would be fetched, then "
                     "apf-host=0.1.7, kexec-tools, apf-suite-extra installed") == 2, r
    for name, new in (("apf_repo_url", "apf_packages_repo_url"),
                      ("apf_repo_key_file", "apf_packages_repo_key_file"),
                      ("apf_meta_package", "apf_packages_meta_package"),
                      ("apf_version", "apf_packages_version"),
                      ("apf_extra_packages", "apf_packages_extra")):
        warning = "[DEPRECATION WARNING]: the variable %s is now %s" % (name, new)
        assert out.count(warning) == 1, (name, r)
    # The new name wins where both are set, with the warning still given.
    hostvars["h2"]["apf_packages_version"] = "0.1.8"
    r = playbook(tmp_path, ANS / "playbooks/site.yml", hostvars, "--check", hosts=("h1", "h2"),
                 common=dict(v, **old))
    assert r.rc == 0, r
    out = " ".join(r.out.split())
    assert "apf-host=0.1.7, kexec-tools" in out and "apf-host=0.1.8, kexec-tools" in out, r
    assert out.count("[DEPRECATION WARNING]: the variable apf_version is now") == 1, r


def test_switch_old_names_with_a_warning(ansible, machine):
    """disable.yml's role entry point (switch) still reads 0.1.0's
    apf_switch_targets and apf_switch_persist, with a warning."""
    v, root = machine(conf=conf_text())
    conf = Path(v["apf_config_conf_file"])
    r = check_run(ansible, ANS / "playbooks/disable.yml",
                  dict(v, apf_switch_hosts="localhost", apf_switch_targets=["guest"],
                       apf_switch_persist=False))
    assert r.rc == 0, r
    out = " ".join(r.out.split())
    assert "check mode: guest switch would turn off" in out, r
    for name in ("apf_switch_targets", "apf_switch_persist"):
        assert out.count("[DEPRECATION WARNING]: the variable %s is now apf_config_%s"
                         % (name, name[len("apf_"):])) == 1, (name, r)
    assert r.changed("localhost") == 1, r               # the switch; apf.conf is not kept
    assert conf.read_text() == conf_text()
