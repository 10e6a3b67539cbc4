# SPDX-License-Identifier: GPL-2.0-only
"""The .debs in a fresh Debian 12 root: install with apt (dependencies
resolved from the archive for real), run what they ship, remove (config
stays), purge (config goes).  The tests run in order on one root."""
import json
import re

import pytest

from conftest import TREE, kernel_names, sh, version

# What apfctl and apf-libvirt-hooks install (apfctl-dbgsym aside).
APFCTL_FILES = [
    "/usr/bin/apfctl",
    "/usr/sbin/apf-kexec",
    "/usr/sbin/apf-boot",
    "/usr/share/man/man8/apfctl.8.gz",
    "/usr/share/man/man8/apf-boot.8.gz",
    "/usr/share/bash-completion/completions/apfctl",
    "/usr/share/doc/apfctl/copyright",
    "/lib/systemd/system/apf-setup.service",
    "/lib/systemd/system/apf-stat.service",
    "/lib/systemd/system/apf-export.service",
    "/lib/systemd/system/apf-export.timer",
    "/lib/systemd/system/apf-kexec-load.service",
]
APFCTL_CONFFILES = ["/etc/apf/apf.conf", "/etc/logrotate.d/apfctl",
                    "/etc/kernel/postinst.d/zzz-apf-boot", "/etc/kernel/postrm.d/zzz-apf-boot",
                    "/etc/initramfs/post-update.d/zz-apf-kexec"]
HOOK = "/etc/libvirt/hooks/qemu.d/50-apf"
HOOK_FILES = ["/usr/share/apf-libvirt-hooks/apf-policy.rng",
              "/usr/share/doc/apf-libvirt-hooks/examples/example-domain.xml"]
ENABLED = ["multi-user.target.wants/apf-setup.service", "timers.target.wants/apf-export.timer"]
NOT_ENABLED = ["multi-user.target.wants/apf-stat.service",
               "multi-user.target.wants/apf-kexec-load.service"]


def mk_pin(path, var):
    for line in (TREE / path).read_text().splitlines():
        m = re.match(rf"^{var}\s*:=\s*(\S+)", line)
        if m:
            return m.group(1)
    raise AssertionError(f"{var} not in {path}")


def field(deb, name):
    return sh(["dpkg-deb", "-f", str(deb), name]).stdout.strip()


def test_versions_come_from_VERSION(debs):
    for name in ("apfctl", "apf-libvirt-hooks", "apf-host", "apf-guest"):
        assert field(debs[name], "Version") == version(), name


def test_apfctl_dependencies(debs):
    deps = field(debs["apfctl"], "Depends")
    # ${shlibs:Depends}: what apfctl links (tools/apfctl/Makefile LDLIBS).
    for lib in ("libc6", "libjson-c5", "libxml2"):
        assert re.search(rf"\b{lib}\b", deps), deps
    # libvirt.so.0 is dlopen()ed: recommended, never a hard dependency.
    assert "libvirt" not in deps
    assert "libvirt0" in field(debs["apfctl"], "Recommends")
    assert field(debs["apf-libvirt-hooks"], "Depends").startswith("apfctl (>= ")


def test_meta_dependencies(debs):
    kver = mk_pin("kernel/base.mk", "KERNEL_VERSION")
    krel = mk_pin("kernel/base.mk", "APF_RELEASE")
    qver = mk_pin("qemu/base.mk", "QEMU_DEB_VERSION")
    qrel = int(mk_pin("qemu/base.mk", "APF_RELEASE"))
    v = version()
    host = [d.strip() for d in field(debs["apf-host"], "Depends").split(",")]
    # The exact build, named as kernel/scripts/pkg.sh names it.
    kh, kg = kernel_names("host"), kernel_names("guest")
    assert kh["uname_r"] == f"{kver}-apf{krel}-host"
    assert f"{kh['deb_image']} (= {kh['deb_version']})" in host, host
    assert f"qemu-system-x86 (>= {qver}+apf{qrel})" in host
    assert f"qemu-system-x86 (<< {qver}+apf{qrel + 1}~)" in host
    assert f"apfctl (= {v})" in host and f"apf-libvirt-hooks (= {v})" in host
    guest = [d.strip() for d in field(debs["apf-guest"], "Depends").split(",")]
    assert f"{kg['deb_image']} (= {kg['deb_version']})" in guest, guest
    assert f"apfctl (= {v})" in guest


@pytest.fixture(scope="module")
def root(root_factory, debs):
    r = root_factory("deb-install")
    wanted = [debs["apfctl"], debs["apf-libvirt-hooks"]]
    if "apf-ansible" in debs:
        wanted.append(debs["apf-ansible"])
    r.copy_in(wanted)
    return r


def test_install_resolves_dependencies(root, debs):
    names = "apfctl apf-libvirt-hooks" + (" apf-ansible" if "apf-ansible" in debs else "")
    debs_in = " ".join(f"/tmp/debs/{n}_*.deb" for n in names.split())
    root.apt(f"install {debs_in}")
    for n in names.split():
        assert root.status(n) == "install ok installed", n
    # Dependencies and Recommends came from the archive.
    for dep in ("libjson-c5", "libxml2", "libvirt0"):
        assert root.status(dep) == "install ok installed", dep


def test_ansible_galaxy_finds_collection(root, debs):
    if "apf-ansible" not in debs:
        pytest.skip("no apf-ansible yet: ansible/galaxy.yml does not exist (issue 5)")
    galaxy = (TREE / "ansible/galaxy.yml").read_text()
    ns = re.search(r"^namespace:\s*(\S+)", galaxy, re.M).group(1)
    name = re.search(r"^name:\s*(\S+)", galaxy, re.M).group(1)
    out = root.run("ansible-galaxy collection list 2>&1").stdout
    assert re.search(rf"^{ns}\.{name}\s+{re.escape(version())}\s*$", out, re.M), out
    assert "/usr/share/ansible/collections/ansible_collections" in out, out
    # Its playbooks and module resolve from the package, by name.
    for pb in ("rollout", "site", "enable", "disable", "bench", "unlock"):
        root.run(f"cd /tmp && ansible-playbook --syntax-check {ns}.{name}.{pb}")
    doc = root.run(f"ansible-doc -t module {ns}.{name}.rollout_lock").stdout
    assert "slots" in doc, doc


def test_installed_files(root):
    for f in APFCTL_FILES + APFCTL_CONFFILES + [HOOK] + HOOK_FILES:
        assert root.p(f).exists(), f
    assert root.p(HOOK).stat().st_mode & 0o111, "hook not executable"
    conf = root.run("dpkg-query -W -f='${Conffiles}' apfctl apf-libvirt-hooks").stdout
    for f in APFCTL_CONFFILES + [HOOK]:
        assert f in conf, f"{f} is not a conffile"


def test_units_enabled_per_policy(root):
    wants = root.p("/etc/systemd/system")
    for link in ENABLED:
        assert (wants / link).is_symlink(), link
    for link in NOT_ENABLED:
        assert not (wants / link).exists(), link


def test_apfctl_runs(root):
    out = root.run("apfctl --version").stdout.strip()
    assert out == f"apfctl {version()}"
    st = root.run("apfctl status", check=False)
    assert st.returncode == 0, st.stdout
    js = json.loads(root.run("apfctl status -j").stdout)
    assert "role" in js, js
    kexec = root.run("apf-kexec --help")
    assert "kexec" in kexec.stdout
    assert root.run("apf-boot --version").stdout.strip() == f"apf-boot {version()}"
    # A minbase root has no kernel: nothing to boot, said with exit 3, and
    # the kernel hook (what a kernel package runs) does not fail.
    tgt = root.run("apf-boot target", check=False)
    assert tgt.returncode == 3 and "no APF Suite kernel" in tgt.stdout, tgt.stdout
    # The hook exits 0 whatever happens (it must never fail a kernel
    # package's installation) and says what went wrong: that is what fails
    # here (its notes, such as "in a chroot ...", do not).
    hook = "/etc/kernel/postinst.d/zzz-apf-boot 6.1.0-28-amd64"
    assert hook_problems(root, hook) == []
    # The check can fail: an apf-boot that fails makes the hook complain.
    root.run("printf '#!/bin/sh\\nexit 1\\n' >/tmp/apf-boot-fails && chmod +x /tmp/apf-boot-fails")
    bad = hook_problems(root, f"APF_BOOT=/tmp/apf-boot-fails {hook}")
    assert bad and "apf-boot update exited 1" in bad[0], bad
    # apf.conf -> modprobe.d, read back by kmod's own parser (the host's
    # modprobe: minbase has no kmod).
    root.run("sed -i 's/^host_async_pf=.*/host_async_pf=off/' /etc/apf/apf.conf &&"
             " apf-boot modprobe-conf")
    cfg = sh(["modprobe", "-C", str(root.p("/etc/modprobe.d")), "-c"]).stdout
    assert "options kvm async_pf=N" in cfg.splitlines()
    root.run("sed -i 's/^host_async_pf=.*/host_async_pf=keep/' /etc/apf/apf.conf &&"
             " apf-boot modprobe-conf && ! test -e /etc/modprobe.d/apf-suite.conf")


def unit_settings(root, unit):
    """KEY=VALUE lines of an installed unit, in order."""
    text = root.p(f"/lib/systemd/system/{unit}").read_text()
    return [tuple(line.split("=", 1)) for line in text.splitlines()
            if re.match(r"^[A-Z]\w*=", line)]


def test_setup_unit_writes_modprobe_conf_as_debian_does(root):
    """apf-setup.service's ExecStartPre (apf-boot modprobe-conf) run under
    the unit's UMask: the modprobe.d file comes out 0644 as Debian's, and
    a failure of any Exec line fails the unit (no "-" prefix)."""
    st = unit_settings(root, "apf-setup.service")
    execs = [(k, v) for k, v in st if k.startswith("Exec")]
    pre = [v for k, v in execs if k == "ExecStartPre"]
    assert pre == ["/usr/sbin/apf-boot modprobe-conf /etc/apf/apf.conf"], execs
    assert all(not v.startswith("-") for k, v in execs), execs
    umask = [v for k, v in st if k == "UMask"]
    assert len(umask) == 1, st
    root.run("rm -f /etc/modprobe.d/apf-suite.conf && sed -i '/^host_async_pf=/d' /etc/apf/apf.conf"
             " && echo host_async_pf=on >>/etc/apf/apf.conf")
    root.run(f"umask {umask[0]} && {pre[0]}")
    mode = root.p("/etc/modprobe.d/apf-suite.conf").stat().st_mode & 0o7777
    assert mode == 0o644, oct(mode)
    # Debian's own files there, for comparison (kmod's, where installed).
    for f in root.p("/etc/modprobe.d").glob("*.conf"):
        assert f.stat().st_mode & 0o7777 == 0o644, f
    root.run("sed -i 's/^host_async_pf=.*/host_async_pf=keep/' /etc/apf/apf.conf"
             " && apf-boot modprobe-conf && ! test -e /etc/modprobe.d/apf-suite.conf")


def hook_problems(root, cmd):
    """What the kernel hook run as cmd says went wrong: apf-boot update
    failed ("... may not be the APF Suite kernel (apf-boot update exited
    N)"), or the kexec kernel "could not be reloaded".  Its exit status, 0
    by design, is checked too."""
    r = root.run(cmd, check=False)
    assert r.returncode == 0, r.stdout
    return [line for line in r.stdout.splitlines() if line.startswith("zzz-apf-boot:")
            and re.search(r"could not|may not|exited [1-9]", line)]


def test_hook_passes_xml_through_on_migrate(root):
    # libvirt runs the hook with the domain XML on stdin; on migrate it must
    # print it unchanged (or nothing).
    xml = "<domain type='kvm'><name>t</name></domain>"
    out = root.run(f"echo \"{xml}\" | {HOOK} t migrate begin -").stdout.strip()
    assert out in ("", xml), out


def test_remove_keeps_config(root):
    root.run("echo 'host_async_pf=off' >>/etc/apf/apf.conf;"
             " mkdir -p /var/log/apf /var/lib/apf/domains;"
             " echo x >/var/log/apf/stats.log; echo '{}' >/var/lib/apf/domains/t.json")
    root.apt("remove apf-libvirt-hooks apfctl")
    assert root.status("apfctl") == "deinstall ok config-files"
    assert root.status("apf-libvirt-hooks") == "deinstall ok config-files"
    for f in APFCTL_FILES + HOOK_FILES:
        assert not root.p(f).exists(), f"{f} left after remove"
    for f in APFCTL_CONFFILES + [HOOK]:
        assert root.p(f).exists(), f"{f} removed by remove"
    assert "host_async_pf=off" in root.p("/etc/apf/apf.conf").read_text()
    # The hook left behind must not break libvirt now that apfctl is gone.
    r = root.run(f"echo '<domain/>' | {HOOK} t prepare begin -; echo rc=$?")
    assert r.stdout.strip().endswith("rc=0"), r.stdout


# What apf-boot writes at run time (not in the package), purged too.
APF_BOOT_FILES = ["/etc/modprobe.d/apf-suite.conf", "/etc/apf/boot-pin",
                  "/etc/default/grub.d/apf-suite.cfg"]


def ours_left(root):
    """Every path in the root whose name says APF, outside /tmp (the
    test's .debs) and apt's caches and logs."""
    out = root.run("find / -xdev \\( -path /proc -o -path /sys -o -path /dev -o -path /tmp"
                   " -o -path /var/cache/apt -o -path /var/log/apt \\) -prune"
                   " -o -iname '*apf*' -print").stdout
    return sorted(out.split())


def test_purge_removes_config(root, debs):
    # As apf-boot leaves them on a host: kvm's options from apf.conf (for
    # real), the boot pin and GRUB's drop-in (their text: this root has no
    # kernel to pin nor GRUB).
    root.apt("install /tmp/debs/apfctl_*.deb")        # removed above
    root.run("sed -i '/^host_async_pf=/d' /etc/apf/apf.conf && echo host_async_pf=off >>/etc/apf/apf.conf"
             " && apf-boot modprobe-conf && test -f /etc/modprobe.d/apf-suite.conf")
    root.run("echo 6.12.118-apf1-host >/etc/apf/boot-pin && mkdir -p /etc/default/grub.d &&"
             " printf '# Written by apf-boot: boot GRUB saved entry\\nGRUB_DEFAULT=saved\\n'"
             " >/etc/default/grub.d/apf-suite.cfg")
    assert [f for f in APF_BOOT_FILES if not root.p(f).exists()] == []
    root.apt("purge apf-libvirt-hooks apfctl" + (" apf-ansible" if "apf-ansible" in debs else ""))
    assert root.status("apfctl") == ""
    assert root.status("apf-libvirt-hooks") == ""
    for f in APFCTL_CONFFILES + APF_BOOT_FILES + [HOOK, "/etc/apf", "/var/log/apf", "/var/lib/apf"]:
        assert not root.p(f).exists(), f"{f} left after purge"
    assert ours_left(root) == []
    wants = root.p("/etc/systemd/system")
    for link in ENABLED + NOT_ENABLED:
        assert not (wants / link).exists(), link
