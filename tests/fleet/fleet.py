# SPDX-License-Identifier: GPL-2.0-only
"""Fleet hosts for the Ansible test: Debian bookworm VMs under QEMU TCG,
reached by ssh on 127.0.0.1 ports, plus the suite's repository served over
http to them.

The disk image is tests/fleet/build-image's (the ops root plus sshd and
python3); each VM boots a throwaway qcow2 overlay of it with kernel A
(Debian's 6.1 cloud kernel) given to QEMU with -kernel/-initrd, and QEMU
runs with -no-reboot: a firmware reboot makes QEMU exit, so a VM that is
still running after its boot_id changed was rebooted by kexec.

Everything started here is stopped by Fleet.close() (pytest calls it, also
on failures, timeouts and Ctrl-C); QEMU and the http server also get
PR_SET_PDEATHSIG, so they die with the test process even if it is killed
outright.  FLEET_KEEP=1 leaves the VMs running and the run directory in
place, and prints how to reach and stop them.
"""
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OPS = Path(os.environ.get("APF_OPS_CACHE", "/var/tmp/apf-ops"))
CACHE = Path(os.environ.get("APF_FLEET_CACHE", "/var/tmp/apf-fleet"))
QEMU = shutil.which("qemu-system-x86_64") or "/usr/bin/qemu-system-x86_64"
PYTHON = "/usr/bin/python3"
MEM_MB = int(os.environ.get("FLEET_VM_MEM", "1536"))
APPEND = "root=/dev/vda rw console=ttyS0 quiet"
# The hosts stand in for KVM guests (apf-guest): no SVM, or kvm_amd would
# load and make them KVM hosts too.  TCG offers no KVM CPUID leaf, so they
# are not KVM guests either: apfctl says role "neither", APF unavailable.
CPU = "max,svm=off"
KEEP = os.environ.get("FLEET_KEEP") == "1"
PR_SET_PDEATHSIG = 1


class FleetError(Exception):
    pass


def die_with_parent():
    """preexec_fn: SIGKILL this child when the test process goes away."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port():
    """A port nobody listens on now (QEMU and http.server bind it a moment
    later; a collision makes them fail at start, which is reported)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kernel_version(which):
    return (OPS / "boot" / f"{which}.version").read_text().strip()


class Deadline:
    """One time budget for the whole test; every wait takes its share."""

    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def left(self, cap=None):
        left = self.end - time.monotonic()
        if left <= 0:
            raise FleetError("FLEET_TIMEOUT reached")
        return min(left, cap) if cap else left


class VM:
    def __init__(self, fleet, index):
        self.fleet = fleet
        self.name = f"fleet{index}"
        self.dir = fleet.workdir / self.name
        self.dir.mkdir()
        self.overlay = self.dir / "disk.qcow2"
        self.serial = self.dir / "serial.log"
        self.port = None
        self.proc = None
        self.boot_started = None
        self.booted_s = None

    def start(self):
        """Fresh overlay, kernel A, and start QEMU (does not wait)."""
        self.stop()
        self.overlay.unlink(missing_ok=True)
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b",
                        str(CACHE / "base.raw"), "-F", "raw", str(self.overlay)],
                       check=True)
        self.port = free_port()
        args = [
            QEMU, "-name", self.name, "-accel", "tcg", "-cpu", CPU,
            "-m", str(MEM_MB), "-smp", "1", "-no-reboot",
            "-nodefaults", "-no-user-config", "-display", "none",
            "-monitor", "none", "-serial", f"file:{self.serial}",
            "-pidfile", str(self.dir / "qemu.pid"),
            "-kernel", str(OPS / "boot" / "A.vmlinuz"),
            "-initrd", str(OPS / "boot" / "A.initrd"),
            "-append", f"{APPEND} systemd.hostname={self.name}",
            "-drive", f"file={self.overlay},if=virtio,format=qcow2,cache=unsafe",
            "-nic", f"user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:{self.port}-:22",
            "-device", "virtio-rng-pci"]
        self.qemu_log = open(self.dir / "qemu.log", "w", encoding="utf-8")
        self.proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=self.qemu_log,
            stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=None if KEEP else die_with_parent)
        self.boot_started = time.monotonic()
        self.fleet.write_known_hosts()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def ssh_args(self, *extra):
        return ["ssh", "-F", "/dev/null", "-i", str(CACHE / "id_ed25519"),
                "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                "-o", f"UserKnownHostsFile={self.fleet.known_hosts}",
                "-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=20",
                "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=8",
                "-p", str(self.port), *extra, "root@127.0.0.1"]

    def ssh_command_line(self):
        return " ".join(self.ssh_args())

    def run(self, cmd, check=True, timeout=300, stdin=None):
        """Run a shell command in the VM; returns CompletedProcess."""
        if not self.alive():
            raise FleetError(f"{self.name}: QEMU is not running "
                             f"(exit {self.proc.poll() if self.proc else None}); "
                             f"see {self.serial}")
        if isinstance(stdin, str):
            stdin = stdin.encode()
        r = subprocess.run(self.ssh_args() + [cmd], capture_output=True,
                           input=stdin, timeout=self.fleet.deadline.left(timeout))
        r.stdout = r.stdout.decode(errors="replace")
        r.stderr = r.stderr.decode(errors="replace")
        if check and r.returncode != 0:
            raise FleetError(f"{self.name}: {cmd!r} exited {r.returncode}:\n"
                             f"{r.stdout}{r.stderr}")
        return r

    def out(self, cmd, **kw):
        return self.run(cmd, **kw).stdout.strip()

    def wait_ssh(self, timeout=900):
        """Until sshd answers and systemd has finished booting."""
        end = time.monotonic() + timeout
        while True:
            if not self.alive():
                raise FleetError(f"{self.name}: QEMU exited "
                                 f"{self.proc.returncode} while booting; see "
                                 f"{self.serial} and {self.dir / 'qemu.log'}")
            if time.monotonic() > end:
                raise FleetError(f"{self.name}: no ssh after {timeout} s; see "
                                 f"{self.serial}")
            self.fleet.deadline.left()
            try:
                r = subprocess.run(self.ssh_args("-o", "ConnectTimeout=10") +
                                   ["systemctl is-system-running --wait"],
                                   capture_output=True, text=True, timeout=600)
            except subprocess.TimeoutExpired:
                continue
            if r.returncode != 255:
                # running, or degraded (reported by the checks that care)
                self.booted_s = time.monotonic() - self.boot_started
                return r.stdout.strip()
            time.sleep(3)

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        self.qemu_log.close()
        self.proc = None


def qemu_running(pidfile):
    try:
        pid = int(pidfile.read_text().strip())
        return "qemu" in Path(f"/proc/{pid}/comm").read_text()
    except (OSError, ValueError):
        return False


def prune_runs(keep=3):
    """Earlier runs: disks of runs whose VMs are gone (a run killed with
    SIGKILL could not remove them; FLEET_KEEP runs still running stay),
    and all but the last `keep` runs' logs."""
    runs = sorted(p for p in (CACHE / "runs").iterdir() if p.is_dir())
    for i, run in enumerate(runs):
        if any(qemu_running(p) for p in run.glob("*/qemu.pid")):
            continue
        if i < len(runs) - keep:
            shutil.rmtree(run, ignore_errors=True)
            continue
        for disk in run.glob("*/disk.qcow2"):
            disk.unlink(missing_ok=True)


class Fleet:
    """N VMs, the repository's http server, a run directory."""

    def __init__(self, size, deadline):
        if not (CACHE / "base.raw").exists():
            raise FleetError(f"no fleet image in {CACHE}: run tests/fleet/build-image")
        self.deadline = deadline
        (CACHE / "runs").mkdir(parents=True, exist_ok=True)
        prune_runs()
        self.workdir = Path(tempfile.mkdtemp(prefix=time.strftime("%Y%m%d-%H%M%S-"),
                                             dir=CACHE / "runs"))
        self.known_hosts = self.workdir / "known_hosts"
        self.vms = [VM(self, i + 1) for i in range(size)]
        self.http = None
        self.http_port = None
        self.procs = []

    def write_known_hosts(self):
        """Every VM has the image's host key: pin it for each port."""
        key = (CACHE / "host_ed25519.pub").read_text().split()[:2]
        self.known_hosts.write_text("".join(
            f"[127.0.0.1]:{vm.port} {' '.join(key)}\n" for vm in self.vms if vm.port))

    def serve(self, directory):
        """python3 -m http.server on a free 127.0.0.1 port; the VMs see it at
        10.0.2.2 (QEMU user networking's address of the host)."""
        self.http_port = free_port()
        self.http_log = open(self.workdir / "http.log", "w", encoding="utf-8")
        self.http = subprocess.Popen(
            [PYTHON, "-m", "http.server", "--bind", "127.0.0.1",
             "--directory", str(directory), str(self.http_port)],
            stdin=subprocess.DEVNULL, stdout=self.http_log,
            stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=None if KEEP else die_with_parent)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.http_port), 1).close()
                return f"http://10.0.2.2:{self.http_port}"
            except OSError:
                if self.http.poll() is not None:
                    raise FleetError(f"http.server exited; see {self.workdir / 'http.log'}")
                time.sleep(0.1)
        raise FleetError("http.server did not listen")

    def boot(self, vms=None, timeout=900):
        """Start the VMs together (fresh overlays), wait for all of them."""
        vms = vms or self.vms
        for vm in vms:
            vm.start()
        with ThreadPoolExecutor(len(vms)) as ex:
            states = list(ex.map(lambda v: v.wait_ssh(timeout), vms))
        return dict(zip((v.name for v in vms), states))

    def parallel(self, fn, vms=None):
        vms = vms or self.vms
        with ThreadPoolExecutor(len(vms)) as ex:
            return dict(zip((v.name for v in vms), ex.map(fn, vms)))

    def spawn(self, args, log, env=None, cwd=None, errlog=None):
        """A controller-side process (ansible) that close() kills; stdout to
        log, stderr too unless errlog names another file."""
        f = open(log, "w", encoding="utf-8")
        e = open(errlog, "w", encoding="utf-8") if errlog else None
        p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=f,
                             stderr=e or subprocess.STDOUT, env=env, cwd=cwd,
                             start_new_session=True)
        self.procs.append((p, f))
        if e:
            self.procs.append((p, e))
        return p

    def wait(self, p, timeout):
        try:
            return p.wait(timeout=self.deadline.left(timeout))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            raise FleetError(f"{p.args[0]} did not finish in {timeout} s")

    def close(self, keep_logs=False):
        """Stop everything; remove the run directory (on failure, keep its
        logs: serial consoles, QEMU's, ansible's; the overlays go)."""
        for p, f in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
            f.close()
        if KEEP:
            print(f"\n  FLEET_KEEP=1: run directory {self.workdir}")
            for vm in self.vms:
                if vm.alive():
                    print(f"  {vm.name}: {vm.ssh_command_line()}   "
                          f"(stop: kill {vm.proc.pid})")
            if self.http and self.http.poll() is None:
                print(f"  repository: http://127.0.0.1:{self.http_port}/ "
                      f"(stop: kill {self.http.pid})")
            return
        for vm in self.vms:
            vm.stop()
        if self.http is not None:
            self.http.kill()
            self.http.wait()
            self.http_log.close()
        if not keep_logs:
            shutil.rmtree(self.workdir, ignore_errors=True)
            return
        for vm in self.vms:
            vm.overlay.unlink(missing_ok=True)
        shutil.rmtree(self.workdir / "cp", ignore_errors=True)
