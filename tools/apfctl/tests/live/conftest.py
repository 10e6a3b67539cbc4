# SPDX-License-Identifier: GPL-2.0-only
"""Tier 2 (live) fixtures: a real QEMU/KVM VM with a QMP socket and a real
libvirt daemon with a transient domain, on this machine, as root.

Everything a fixture starts it stops again by pid; nothing is killed by
name.  Daemons that were already running are used and left alone.  No
systemd is needed (PID 1 here is not systemd): daemons run in the
foreground as our children, so we know their pids and reap them.

Helpers for tests of the apfctl binary live here too: run_apfctl(),
QmpClient, wait_for().
"""

import fcntl
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
APFCTL_DIR = HERE.parent.parent
QEMU = shutil.which("qemu-system-x86_64") or "/usr/bin/qemu-system-x86_64"
LIBVIRT_URI = "qemu:///system"


# ---------------------------------------------------------------- helpers

def require_root():
    if os.geteuid() != 0:
        pytest.skip("live tests need root (/dev/kvm, libvirt system daemon)")


def wait_for(pred, timeout, interval=0.1, what="condition"):
    """Poll pred() until it returns a true value; return it, or fail."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stop_pid(pid, term_timeout=10.0, proc=None):
    """SIGTERM, wait, then SIGKILL.  proc: our Popen, reaped if given."""
    if pid is None or not pid_alive(pid):
        if proc is not None:
            proc.poll()
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + term_timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return
        if not pid_alive(pid):
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    if proc is not None:
        proc.wait(timeout=10)
    else:
        wait_for(lambda: not pid_alive(pid), 10, what=f"pid {pid} to die")


class QmpClient:
    """A small blocking QMP client with a timeout on every read."""

    def __init__(self, path, timeout=5.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(str(path))
        self.buf = b""
        self.greeting = self._read()
        if "QMP" not in self.greeting:
            raise RuntimeError(f"not a QMP greeting: {self.greeting}")
        self.execute("qmp_capabilities")

    def _read(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("QMP socket closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def command(self, cmd, **args):
        """The whole reply: {"return": ...} or {"error": ...}."""
        req = {"execute": cmd}
        if args:
            req["arguments"] = args
        self.sock.sendall(json.dumps(req).encode() + b"\n")
        while True:
            msg = self._read()
            if "event" not in msg:
                return msg

    def execute(self, cmd, **args):
        reply = self.command(cmd, **args)
        if "error" in reply:
            raise RuntimeError(f"{cmd}: {reply['error']}")
        return reply["return"]

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def qmp_answers(path):
    try:
        with QmpClient(path, timeout=2) as q:
            return q.execute("query-status")
    except (OSError, ValueError, RuntimeError):
        return None


def run(cmd, timeout=60, check=False, env=None):
    return subprocess.run(cmd, capture_output=True, text=True,
                          timeout=timeout, check=check, env=env)


def virsh(*args, timeout=60, check=False):
    return run(["virsh", "-c", LIBVIRT_URI, *args], timeout=timeout,
               check=check)


def run_apfctl(*args, timeout=60, env=None):
    """Run the apfctl under test ($APFCTL, built by `make live-tests`),
    under $APFCTL_WRAPPER (e.g. valgrind) if set."""
    exe = os.environ.get("APFCTL", str(APFCTL_DIR / "build" / "apfctl"))
    if not os.access(exe, os.X_OK):
        pytest.skip(f"apfctl not built ({exe}); run `make live-tests`")
    wrapper = shlex.split(os.environ.get("APFCTL_WRAPPER", ""))
    return run([*wrapper, exe, *args], timeout=timeout, env=env)


# ---------------------------------------------------------------- QEMU

class QemuVM:
    def __init__(self, name, pid, qmp, workdir):
        self.name = name
        self.pid = pid
        self.qmp = qmp          # Path of the QMP unix socket
        self.workdir = workdir

    def client(self, timeout=5.0):
        return QmpClient(self.qmp, timeout=timeout)


def start_qemu_vm(workdir, name="apftest", smp=1, mem_mb=64, extra=(), qemu=QEMU):
    """A tiny KVM VM (SeaBIOS with nothing to boot: it stays up and its
    vCPU counters move).  Returns a QemuVM; stop it with stop_qemu_vm."""
    require_root()
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        pytest.skip("/dev/kvm not usable")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    qmp = workdir / "qmp.sock"
    pidfile = workdir / "qemu.pid"
    log = workdir / "qemu.log"
    # A unix socket path must fit in sun_path (108 bytes).
    assert len(str(qmp)) < 100, f"socket path too long: {qmp}"
    cmd = [qemu, "-enable-kvm", "-nodefaults", "-nographic",
           "-m", str(mem_mb), "-smp", str(smp), "-name", name,
           "-qmp", f"unix:{qmp},server=on,wait=off",
           "-serial", "null", "-monitor", "none",
           "-daemonize", "-pidfile", str(pidfile), *extra]
    with open(log, "w") as lf:
        r = subprocess.run(cmd, stdout=lf, stderr=subprocess.STDOUT,
                           timeout=60)
    if r.returncode != 0:
        pytest.fail(f"QEMU failed ({r.returncode}): {log.read_text()}")
    pid = int(wait_for(lambda: pidfile.exists() and pidfile.read_text(),
                       10, what="QEMU pidfile"))
    vm = QemuVM(name, pid, qmp, workdir)
    try:
        wait_for(lambda: qmp.exists() and qmp_answers(qmp), 20,
                 what="QMP socket to answer")
    except BaseException:
        stop_qemu_vm(vm)
        raise
    return vm


def stop_qemu_vm(vm):
    # -daemonize: QEMU is not our child; PID 1 reaps it.
    stop_pid(vm.pid, term_timeout=10)


@pytest.fixture(scope="module")
def qemu_vm(tmp_path_factory):
    """One 1-vCPU KVM VM with QMP for the module."""
    d = tmp_path_factory.mktemp("qemu")
    vm = start_qemu_vm(d, name=f"apftest-{os.getpid()}")
    yield vm
    stop_qemu_vm(vm)


@pytest.fixture(scope="module")
def qemu_vm_smp2(tmp_path_factory):
    """A 2-vCPU KVM VM with QMP for the module."""
    d = tmp_path_factory.mktemp("qemu2")
    vm = start_qemu_vm(d, name=f"apftest2-{os.getpid()}", smp=2)
    yield vm
    stop_qemu_vm(vm)


# ---------------------------------------------------------------- libvirt

def libvirt_answers():
    try:
        return virsh("uri", timeout=15).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def unix_socket_answers(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


class LibvirtDaemon:
    def __init__(self):
        self.uri = LIBVIRT_URI
        self.lockf = None       # our shared hold on the daemons
        self.logdir = None


# Several live-test sessions (the lead's, a helper's, CI jobs) may run at
# once against the one system daemon.  Each holds a shared flock on
# LOCK_FILE while it uses the daemon; a session that started daemons
# records their pids in STATE_FILE; whoever leaves last (gets the lock
# exclusively) stops what STATE_FILE lists.  A daemon that ran before any
# fixture (no STATE_FILE) is never stopped.
STATE_DIR = Path("/run/apfctl-live")
LOCK_FILE = STATE_DIR / "libvirt.lock"
STATE_FILE = STATE_DIR / "libvirt.json"


def _spawn(argv, log):
    # Foreground, in its own session: we know its pid, and a ^C on
    # pytest does not hit it before teardown does.  If the starting
    # session ends first, PID 1 inherits and reaps it.
    lf = open(log, "ab")
    try:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=lf,
                                stderr=subprocess.STDOUT,
                                start_new_session=True)
    finally:
        lf.close()


def _read_state():
    try:
        return json.loads(STATE_FILE.read_text())
    except (OSError, ValueError):
        return {}


def _write_state(state):
    tmp = STATE_FILE.with_suffix(".tmp")
    tmp.write_text(json.dumps(state))
    tmp.rename(STATE_FILE)


def _comm(pid):
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


def _start_daemons(logdir):
    """Called with LOCK_FILE held exclusively and no daemon answering."""
    for tool in ("virsh", "virtlogd"):
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            pytest.skip(f"{tool} not installed")
    daemon = next((p for p in ("/usr/sbin/virtqemud", "/usr/sbin/libvirtd")
                   if os.access(p, os.X_OK)), None)
    if daemon is None:
        pytest.skip("neither virtqemud nor libvirtd installed")
    state = _read_state()
    started = state.setdefault("pids", {})
    if not unix_socket_answers("/run/libvirt/virtlogd-sock"):
        p = _spawn(["/usr/sbin/virtlogd"], logdir / "virtlogd.log")
        started["virtlogd"] = p.pid
        _write_state(state)
        wait_for(lambda: p.poll() is not None or
                 unix_socket_answers("/run/libvirt/virtlogd-sock"),
                 30, what="virtlogd socket")
        if p.poll() is not None:
            pytest.fail("virtlogd exited: " +
                        (logdir / "virtlogd.log").read_text())
    name = os.path.basename(daemon)
    p = _spawn([daemon], logdir / f"{name}.log")
    started[name] = p.pid
    _write_state(state)
    wait_for(lambda: p.poll() is not None or libvirt_answers(), 60,
             interval=0.5, what=f"{name} to answer")
    if p.poll() is not None:
        pytest.fail(f"{name} exited: " +
                    (logdir / f"{name}.log").read_text())


def _stop_recorded_daemons():
    """Called with LOCK_FILE held exclusively: nobody else uses them."""
    state = _read_state()
    # The QEMU daemon first, virtlogd (its log sink) last.
    for name in ("virtqemud", "libvirtd", "virtlogd"):
        pid = state.get("pids", {}).get(name)
        # Only if the pid still is that daemon (pids get reused).
        if pid and _comm(pid) == name:
            # libvirtd 11.3 here needs from 1 s up to ~30 s for a SIGTERM
            # shutdown; SIGKILL after that is harmless (the next start
            # clears stale sockets and pidfiles).
            stop_pid(pid, term_timeout=35)
    try:
        STATE_FILE.unlink()
    except FileNotFoundError:
        pass


def _try_lock(f, how):
    try:
        fcntl.flock(f, how | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def start_libvirt(logdir):
    """Make sure a libvirt daemon answers on qemu:///system and hold it.
    Starts virtlogd (QEMU's log handler, stdio_handler="logd" by default)
    and the QEMU daemon if none answers: modular virtqemud where
    installed, else monolithic libvirtd (Debian 12 with bookworm-backports
    11.3 ships libvirtd only).  Never -d: we want the pids."""
    require_root()
    d = LibvirtDaemon()
    d.logdir = Path(logdir)
    STATE_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
    d.lockf = open(LOCK_FILE, "a+")
    try:
        # Shared first: sessions using a running daemon run in parallel.
        fcntl.flock(d.lockf, fcntl.LOCK_SH)
        if libvirt_answers():
            return d
        # Exclusive to start one; bounded, should a holder hang.
        fcntl.flock(d.lockf, fcntl.LOCK_UN)
        wait_for(lambda: _try_lock(d.lockf, fcntl.LOCK_EX), 180,
                 interval=0.5, what=f"exclusive {LOCK_FILE}")
        if not libvirt_answers():
            _start_daemons(d.logdir)
        # Downgrade: other sessions may now share the daemon.
        fcntl.flock(d.lockf, fcntl.LOCK_SH)
    except BaseException:
        stop_libvirt(d)
        raise
    return d


def stop_libvirt(d):
    if d.lockf is None:
        return
    # Last one out stops what a fixture started; if another session
    # still holds its shared lock, that one will.
    if _try_lock(d.lockf, fcntl.LOCK_EX):
        _stop_recorded_daemons()
    d.lockf.close()         # drops our lock
    d.lockf = None


@pytest.fixture(scope="session")
def libvirt_daemon(tmp_path_factory):
    d = start_libvirt(tmp_path_factory.mktemp("libvirt"))
    yield d
    stop_libvirt(d)


DOMAIN_XML = """<domain type='{type}'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory unit='MiB'>{mem}</memory>
  <vcpu>{vcpus}</vcpu>
  <metadata>{metadata}</metadata>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>{emulator}</emulator>
    <serial type='file'><source path='{serial}'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
"""


def create_domain(workdir, name, vcpus=2, mem_mb=96):
    """A transient domain: no disks, no NICs, serial to a file.  No <cpu>
    element: host-passthrough makes QEMU abort on this paravirtual KVM
    (MSR 0x10a), the default model works.  Falls back to TCG if KVM
    fails under libvirt.  Returns (name, type)."""
    workdir = Path(workdir)
    errors = []
    for dtype in ("kvm", "qemu"):
        xml = workdir / f"{name}.xml"
        xml.write_text(DOMAIN_XML.format(
            type=dtype, name=name, uuid=uuid.uuid4(), mem=mem_mb,
            vcpus=vcpus, metadata="", emulator=QEMU,
            serial=workdir / f"{name}.serial"))
        r = virsh("create", str(xml), timeout=120)
        if r.returncode == 0:
            return name, dtype
        errors.append(f"{dtype}: {r.stderr.strip()}")
    pytest.fail("virsh create failed: " + " | ".join(errors))


def _domain_qemu_pid(name):
    try:
        pid = int(Path(f"/run/libvirt/qemu/{name}.pid").read_text())
    except (OSError, ValueError):
        return None
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    # libvirt names it "-name guest=NAME,debug-threads=on".
    tag = f"guest={name}".encode()
    if any(a == tag or a.startswith(tag + b",") for a in cmd):
        return pid
    return None


def destroy_domain(name):
    """virsh destroy; then make sure its QEMU is really gone, even if the
    daemon was restarted meanwhile and lost track of it."""
    pid = _domain_qemu_pid(name)
    r = virsh("destroy", name, timeout=60)
    if pid and pid_alive(pid):
        stop_pid(pid, term_timeout=10)
    if r.returncode != 0 and pid is None and "not found" not in r.stderr \
            and "failed to get domain" not in r.stderr:
        pytest.fail(f"virsh destroy {name}: {r.stderr}")


@pytest.fixture(scope="module")
def libvirt_domain(libvirt_daemon, tmp_path_factory):
    """Name of a running transient 2-vCPU domain."""
    d = tmp_path_factory.mktemp("domain")
    # The qemu user reads nothing of ours, but writes the serial log.
    os.chmod(d, 0o755)
    name, _ = create_domain(d, f"apftest-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    yield name
    destroy_domain(name)
