# SPDX-License-Identifier: GPL-2.0-only
"""The systemd units and apf-kexec for real: a Debian bookworm VM under QEMU
TCG with systemd as PID 1 (root built by tests/ops/build-root, cached).

  boot 1 (kernel A, 6.1)  install apfctl, the units and apf-kexec from a
                          payload disk; enable the units; systemctl reboot
  boot 2 (A)              apf-setup applied /etc/apf/apf.conf; apf-stat logs
                          and reloads; apf-export writes its file;
                          apf-kexec-load loaded the newest kernel (B);
                          apf-kexec --kernel A; systemctl kexec
  boot 3 (A)              apf-kexec (newest: B); systemctl kexec
  boot 4 (B, 6.12)        uname -r and boot_id changed; units ran again

Timings: from the reboot/kexec command to the next shell prompt on the
serial console, all in the same VM.  Under TCG they are emulated times:
compare them with each other, never with hardware.  QEMU boots kernel A
directly (-kernel), so the "full reboot" here skips the boot loader and the
firmware's hardware POST a server spends most of its reboot in; the gain of
kexec on hardware is larger than what this shows.
"""
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect", reason="python3-pexpect")

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("APF_OPS_CACHE", "/var/tmp/apf-ops"))
QEMU = shutil.which("qemu-system-x86_64") or "/usr/bin/qemu-system-x86_64"
PROMPT = "apfvm# "
BOOT_TIMEOUT = int(os.environ.get("APF_OPS_BOOT_TIMEOUT", "420"))
# Pairs of reboot/kexec A -> A to time (TCG timings are noisy).
REPEAT = int(os.environ.get("APF_OPS_REPEAT", "1"))
APPEND = "root=/dev/vda rw console=ttyS0 quiet"
PANIC = r"Kernel panic|end Kernel panic|BUG: soft lockup|Oops:"
TEST_CONF = """# written by tests/ops/test_systemd_kexec.py
host_async_pf=off
guest_async_pf=off
on_unsupported=warn
"""
RESULTS = {}
TIMES = []


def startup_seconds(text):
    """"Startup finished in 15.9s (kernel) + 1min 7.4s (userspace) =
    1min 23.3s" -> 83.3; None if there is no total."""
    total = text.rsplit("=", 1)[-1] if "=" in text else ""
    secs = 0.0
    for n, unit in re.findall(r"([0-9.]+)(min|ms|s)\b", total):
        secs += float(n) * {"min": 60, "s": 1, "ms": 0.001}[unit]
    return round(secs, 1) if secs else None


def sh(*cmd, **kw):
    return subprocess.run([str(c) for c in cmd], check=True, capture_output=True,
                          text=True, **kw)


class VM:
    def __init__(self, workdir):
        self.workdir = workdir
        self.log = open(workdir / "serial.log", "w", encoding="utf-8")
        self.kernel = {k: (CACHE / "boot" / f"{k}.version").read_text().strip()
                       for k in ("A", "B")}
        overlay = workdir / "disk.qcow2"
        sh("qemu-img", "create", "-q", "-f", "qcow2", "-b", CACHE / "base.raw",
           "-F", "raw", overlay)
        self.args = [
            "-accel", "tcg", "-cpu", "max", "-m", "1024", "-smp", "1",
            "-nodefaults", "-no-user-config", "-display", "none",
            "-serial", "stdio", "-monitor", "none", "-nic", "none",
            "-kernel", str(CACHE / "boot" / "A.vmlinuz"),
            "-initrd", str(CACHE / "boot" / "A.initrd"), "-append", APPEND,
            "-drive", f"file={overlay},if=virtio,format=qcow2,cache=unsafe",
            "-drive", f"file={workdir / 'payload.img'},if=virtio,format=raw,readonly=on",
            "-device", "virtio-rng-pci"]
        self.p = None
        self.seq = 0

    def start(self):
        t0 = time.monotonic()
        self.p = pexpect.spawn(QEMU, self.args, encoding="utf-8",
                               codec_errors="replace", timeout=BOOT_TIMEOUT,
                               dimensions=(50, 250))
        self.p.logfile_read = self.log
        self.wait_prompt()
        return time.monotonic() - t0

    def wait_prompt(self, timeout=BOOT_TIMEOUT):
        i = self.p.expect([PROMPT, PANIC, pexpect.EOF], timeout=timeout)
        if i != 0:
            pytest.fail(f"VM did not reach a shell: {self.p.after!r}; "
                        f"see {self.workdir / 'serial.log'}")
        self.sync()
        # No line editing (readline redraws long lines on a serial
        # console), and no kernel messages mixed into command output.
        self.run("set +o emacs +o vi; dmesg -n 1")

    def sync(self):
        """Input typed while login sets up the terminal can be flushed:
        knock until the shell answers, then drop whatever else it said."""
        for _ in range(20):
            self.seq += 1
            self.p.sendline(f"echo \"@@SY\"\"NC{self.seq}@@\"")
            try:
                self.p.expect(f"@@SYNC{self.seq}@@", timeout=10)
                break
            except pexpect.TIMEOUT:
                continue
        else:
            pytest.fail("the VM's shell does not answer")
        time.sleep(1)
        try:
            while self.p.read_nonblocking(65536, timeout=0.5):
                pass
        except (pexpect.TIMEOUT, pexpect.EOF):
            pass

    def run(self, cmd, timeout=180, check=True):
        """Run cmd in the VM's shell; return (status, output)."""
        self.seq += 1
        self.p.sendline(f"{cmd}; echo \"@@R\"\"C{self.seq}=$?@@\"")
        self.p.expect(rf"@@RC{self.seq}=(\d+)@@", timeout=timeout)
        rc = int(self.p.match.group(1))
        out = self.p.before
        # Drop the echoed command line (it may wrap) and trailing prompt.
        out = out.split("\n", 1)[1] if "\n" in out else ""
        out = out.replace("\r", "").strip("\n")
        self.p.expect_exact(PROMPT, timeout=30)
        if check and rc != 0:
            pytest.fail(f"in the VM: {cmd!r} exited {rc}:\n{out}")
        return rc, out

    def out(self, cmd, **kw):
        return self.run(cmd, **kw)[1].strip()

    def transition(self, cmd, label):
        """Send a reboot-like command; time it to the next prompt and to the
        end of the next boot, and take the new boot's own startup time (what
        systemd-analyze counts from the kernel's start) from that: the rest
        is shutdown, firmware and kernel loading, what kexec saves."""
        before = self.out("cat /proc/sys/kernel/random/boot_id")
        # Notice level on the console: the old kernel's last words
        # ("reboot: Restarting system", "kexec_core: Starting new kernel")
        # mark the end of the shutdown.
        self.run("dmesg -n 6")
        t0 = time.monotonic()
        self.p.sendline(cmd)
        i = self.p.expect([r"Restarting system|Starting new kernel", PANIC, pexpect.EOF],
                          timeout=BOOT_TIMEOUT)
        if i != 0:
            pytest.fail(f"{cmd!r} did not go down: {self.p.after!r}; see "
                        f"{self.workdir / 'serial.log'}")
        down = time.monotonic() - t0
        # Then the new boot's autologin (the old shell printed a prompt
        # before going down).
        i = self.p.expect([r"login: root \(automatic login\)", PANIC, pexpect.EOF],
                          timeout=BOOT_TIMEOUT)
        if i != 0:
            pytest.fail(f"no new boot after {cmd!r}: {self.p.after!r}; see "
                        f"{self.workdir / 'serial.log'}")
        self.wait_prompt()
        dt = time.monotonic() - t0
        # The console's getty comes up before every unit has finished.
        state = self.out("systemctl is-system-running --wait", check=False)
        ready = time.monotonic() - t0
        assert state in ("running", "degraded"), state
        failed = self.out("systemctl --failed --plain --no-legend")
        assert "apf" not in failed, failed
        after = self.out("cat /proc/sys/kernel/random/boot_id")
        assert after != before, "boot_id did not change: no reboot happened"
        boot = self.userspace_time()
        startup = startup_seconds(boot)
        TIMES.append({"transition": label, "shutdown_s": round(down, 1),
                      "to_prompt_s": round(dt, 1),
                      "to_boot_finished_s": round(ready, 1),
                      "new_boot_startup_s": startup,
                      # What is neither the old system's shutdown nor the
                      # new one's startup: firmware, loading, decompressing
                      # (and for kexec, purgatory's checksum of the images).
                      "between_s": round(ready - down - startup, 1) if startup else None,
                      "systemd_analyze": boot})
        return dt, before, after

    def userspace_time(self):
        # "Startup finished in 4.1s (kernel) + 30.2s (userspace) = 34.3s"
        _, text = self.run("systemd-analyze time 2>&1 | head -n1", check=False)
        return text.strip()

    def stop(self):
        if self.p is None:
            return
        if self.p.isalive():
            try:
                self.p.sendline("systemctl poweroff")
                self.p.expect(pexpect.EOF, timeout=120)
            except (pexpect.TIMEOUT, pexpect.EOF, OSError):
                pass
        if self.p.isalive():
            self.p.terminate(force=True)
        self.p.close()
        self.log.close()


def build_payload(workdir):
    """apfctl and everything from systemd/, installed into a tree on a
    small ext4 disk (mkfs.ext4 -d: no loop mount)."""
    top = workdir / "payload"
    root = top / "root"
    for d in (REPO / "tools" / "apfctl", REPO / "systemd"):
        sh("make", "-s", "-C", d, "install", f"DESTDIR={root}")
    (root / "etc" / "apf" / "apf.conf").write_text(TEST_CONF)
    sh("mkfs.ext4", "-q", "-F", "-d", top, workdir / "payload.img", "64M")


@pytest.fixture(scope="module")
def vm(tmp_path_factory):
    if not os.environ.get("APF_OPS_CHECK"):
        pytest.skip("minutes of emulated boots: run by `make ops-check` "
                    "(APF_OPS_CHECK=1)")
    if os.geteuid() != 0:
        pytest.skip("needs root")
    if not (CACHE / "base.raw").exists():
        pytest.skip(f"no VM root in {CACHE}: run tests/ops/build-root "
                    "(make ops-check does)")
    workdir = tmp_path_factory.mktemp("opsvm")
    build_payload(workdir)
    v = VM(workdir)
    yield v
    v.stop()
    print(f"\n  serial log: {workdir / 'serial.log'}")


def test_units_and_kexec(vm):
    A, B = vm.kernel["A"], vm.kernel["B"]
    t_first = vm.start()
    assert vm.out("uname -r") == A
    assert vm.out("readlink /proc/1/exe") == "/usr/lib/systemd/systemd"
    RESULTS["first boot to prompt (A, cold)"] = t_first

    # Install from the payload disk and enable the units.
    vm.run("mount -o ro /dev/vdb /mnt && cp -a /mnt/root/. / && umount /mnt")
    vm.run("mkdir -p /var/lib/prometheus/node-exporter")
    vm.run("systemctl daemon-reload && systemctl enable apf-setup.service "
           "apf-stat.service apf-export.timer apf-kexec-load.service")
    assert vm.out("apfctl --version").startswith("apfctl ")

    # A full reboot (QEMU reset, firmware, kernel A again).
    vm.transition("systemctl reboot", "systemctl reboot, A -> A")
    assert vm.out("uname -r") == A

    # apf-setup ran at boot and applied the config: on stock kernels both
    # switches are absent, which it reports as unsupported (on_unsupported=
    # warn) while succeeding.
    assert vm.out("systemctl is-active apf-setup.service") == "active"
    assert vm.out("systemctl show -p Result --value apf-setup.service") == "success"
    journal = vm.out("journalctl -b -u apf-setup.service -o cat --no-pager")
    assert "host_async_pf=off: unsupported" in journal, journal
    assert "guest_async_pf=off: unsupported" in journal, journal
    RESULTS["apf-setup journal"] = " | ".join(
        ln for ln in journal.splitlines() if "async_pf" in ln)

    # apf-stat runs hardened, logs, and survives reload (SIGHUP reopen)
    # and a logrotate run.
    assert vm.out("systemctl is-active apf-stat.service") == "active"
    vm.run("for i in $(seq 30); do [ -s /var/log/apf/stats.log ] && break; "
           "sleep 1; done; ls -l /var/log/apf/stats.log", check=False)
    pid = vm.out("systemctl show -p MainPID --value apf-stat.service")
    vm.run("systemctl reload apf-stat.service")
    vm.run("logrotate -f /etc/logrotate.d/apf")
    assert vm.out("systemctl is-active apf-stat.service") == "active"
    assert vm.out("systemctl show -p MainPID --value apf-stat.service") == pid
    vm.run("ls /var/log/apf/stats.log*")
    RESULTS["apf-stat log"] = vm.out("ls /var/log/apf/")

    # apf-export (the timer's service) writes the textfile.
    vm.run("systemctl start apf-export.service")
    prom = vm.out("cat /var/lib/prometheus/node-exporter/apf.prom")
    assert "apf_" in prom
    assert vm.out("systemctl is-active apf-export.timer") == "active"

    # apf-kexec-load loaded the newest kernel at boot.
    assert vm.out("systemctl is-active apf-kexec-load.service") == "active"
    assert vm.out("cat /sys/kernel/kexec_loaded") == "1"
    assert B in vm.out("journalctl -b -u apf-kexec-load.service -o cat --no-pager")
    RESULTS["exposure (in the VM)"] = vm.out(
        "for u in apf-setup apf-stat apf-export apf-kexec-load; do "
        "systemd-analyze security $u.service | tail -n1; done")

    # kexec to the same kernel: the like-for-like comparison with reboot.
    for i in range(REPEAT):
        if i:
            vm.transition("systemctl reboot", "systemctl reboot, A -> A")
        doc = json.loads(vm.out(f"apf-kexec -j --kernel {A}"))
        assert doc["loaded"] and doc["version"] == A and doc["mode"] == "kexec_load"
        vm.transition("systemctl kexec", "systemctl kexec, A -> A")
        assert vm.out("uname -r") == A

    # kexec from A to B, the newest installed kernel.
    doc = json.loads(vm.out("apf-kexec -j"))
    assert doc["version"] == B and doc["loaded"]
    assert doc["cmdline"] == APPEND
    _, before, after = vm.transition("systemctl kexec", "systemctl kexec, A -> B")
    assert vm.out("uname -r") == B
    RESULTS["kernel before/after"] = f"{A} -> {B}"
    RESULTS["boot_id before/after"] = f"{before} -> {after}"
    assert vm.out("systemctl is-active apf-setup.service") == "active"
    assert vm.out("systemctl is-active apf-stat.service") == "active"
    assert vm.out("cat /sys/kernel/kexec_loaded") == "1"

    print("\n  systemd/kexec VM (QEMU TCG, 1 vCPU, emulated times):")
    for k, v in RESULTS.items():
        print(f"    {k}: {v:.1f} s" if isinstance(v, float) else f"    {k}: {v}")
    print(f"    {'transition':26} {'prompt':>7} {'booted':>7} {'shutdown':>9} "
          f"{'between':>8} {'startup':>8}")
    for t in TIMES:
        print(f"    {t['transition']:26} {t['to_prompt_s']:7.1f} "
              f"{t['to_boot_finished_s']:7.1f} {t['shutdown_s']:9.1f} "
              f"{t['between_s'] or 0:8.1f} {t['new_boot_startup_s'] or 0:8.1f}")
    print("    seconds from the command to: prompt, the next boot's shell; booted, "
          "is-system-running;\n    shutdown, the old kernel's last message; "
          "between = booted - shutdown - startup\n    (firmware, loading, "
          "decompression; kexec: purgatory); startup, the new boot's own "
          "(systemd-analyze)")
    out = os.environ.get("APF_OPS_RESULTS")
    if out:
        Path(out).write_text(json.dumps({"results": RESULTS, "transitions": TIMES},
                                        indent=2) + "\n")
