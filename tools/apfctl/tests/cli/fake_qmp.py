# SPDX-License-Identifier: GPL-2.0-only
"""A fake QEMU monitor on a unix socket, for apfctl stats in a sysroot
(the sampler asks a QMP socket found under --sysroot).  It answers
qmp_capabilities, query-cpus-fast and query-stats with one vCPU whose
async_pf_queued rises at exactly `rate` per second of CLOCK_MONOTONIC,
computed when the reply is written and kept in `sent` (tests check a
rate against the values it came from, not against the wall clock);
`delays[n]` seconds are slept before
the n-th query-stats (target vm), to play a monitor slow to answer;
`drip` seconds before the greeting and before every reply, to play one
that answers each command just within a timeout.
`mode` plays a QEMU's async-pf switch: "apf3" (the default: the APF Suite
QEMU before qemu/patches/0010, qom-get/qom-set of /machine/accel async-pf
only), "apf4" (query-async-pf and set-async-pf, qom-get/qom-set too),
"nocap3"/"nocap4" (those on a host kernel without KVM_CAP_DISABLE_ASYNC_PF:
turning it off fails, GenericError from apf3, KVMMissingCap from apf4),
"stock" (no command, no property) and "tcg" (apf4 under TCG); `commands`
lists what was asked, in order.
Threads, not processes: the test owns everything it starts."""
import json
import os
import socket
import threading
import time


class QmpError:
    def __init__(self, cls, desc):
        self.cls = cls
        self.desc = desc


class FakeQmp:
    MODES = ("apf3", "apf4", "nocap3", "nocap4", "stock", "tcg")
    NOCAP = "async-pf=off needs KVM_CAP_DISABLE_ASYNC_PF, which this host kernel does not support"

    def __init__(self, path, rate=0.0, delays=(), silent=False, drip=0.0, mode="apf3"):
        assert mode in self.MODES, mode
        self.mode = mode
        self.commands = []
        self.path = str(path)
        self.drip = drip
        self.silent = silent		# accept, never greet (a busy monitor)
        self.accepted = 0
        self.rate = rate
        self.delays = list(delays)
        self.queries = 0
        self.sent = []		# async_pf_queued values in replies, in order
        self.async_pf = True	# the accelerator's async-pf property
        self.t0 = time.monotonic()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(8)
        self.conns = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def value(self):
        return int(self.rate * (time.monotonic() - self.t0))

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            self.accepted += 1
            threading.Thread(target=self._serve, args=(conn,),
                             daemon=True).start()

    def _switch(self, cmd, args):
        """The async-pf commands: (True, reply) or (False, None) if cmd is
        not one of them.  A reply is a "return" value or an exception."""
        qapi = self.mode in ("apf4", "nocap4", "tcg")
        if cmd in ("query-async-pf", "set-async-pf") and not qapi:
            return True, QmpError("CommandNotFound", f"The command {cmd} has not been found")
        if cmd.startswith("qom-") and args.get("path") == "/machine/accel" and \
                self.mode in ("stock", "tcg"):
            if self.mode == "stock":
                return True, QmpError("DeviceNotFound", "Device '/machine/accel' not found")
            return True, QmpError("GenericError", "Property 'tcg-accel.async-pf' not found")
        if self.mode == "tcg" and cmd in ("query-async-pf", "set-async-pf"):
            return True, QmpError("GenericError", "Asynchronous page faults are a KVM "
                                  "feature; this VM uses the tcg accelerator")
        if cmd == "query-async-pf":
            return True, {"enabled": self.async_pf, "switchable": self.mode == "apf4",
                          "vcpus": [{"cpu-index": 0,
                                     "qom-path": "/machine/unattached/device[0]",
                                     "queued": self.value()}]}
        if cmd in ("set-async-pf", "qom-set"):
            on = bool(args["enabled" if cmd == "set-async-pf" else "value"])
            if not on and self.mode.startswith("nocap"):
                return True, QmpError("KVMMissingCap" if self.mode == "nocap4"
                                      else "GenericError", self.NOCAP)
            self.async_pf = on
            return True, {}
        if cmd == "qom-get":
            return True, self.async_pf
        return False, None

    def _reply(self, req):
        cmd = req.get("execute")
        self.commands.append(cmd)
        if cmd == "qmp_capabilities":
            return {}
        mine, ret = self._switch(cmd, req.get("arguments", {}))
        if mine:
            return ret
        if cmd == "query-cpus-fast":
            return [{"qom-path": "/machine/unattached/device[0]",
                     "cpu-index": 0}]
        if cmd == "query-stats":
            if req.get("arguments", {}).get("target") == "vm":
                n = self.queries
                self.queries += 1
                if n < len(self.delays):
                    time.sleep(self.delays[n])
                return [{"provider": "kvm", "stats": [
                    {"name": "async_pf_sync", "value": 0}]}]
            v = self.value()
            self.sent.append(v)
            return [{"provider": "kvm",
                     "qom-path": "/machine/unattached/device[0]",
                     "stats": [{"name": "async_pf_queued", "value": v}]}]
        return None

    def _serve(self, conn):
        try:
            if self.silent:
                while conn.recv(4096):
                    pass
                return
            time.sleep(self.drip)
            conn.sendall(b'{"QMP": {"version": {"qemu": {"micro": 0, '
                         b'"minor": 0, "major": 10}, "package": ""}, '
                         b'"capabilities": []}}\r\n')
            for line in conn.makefile("rb"):
                req = json.loads(line)
                ret = self._reply(req)
                if ret is None:
                    out = {"error": {"class": "CommandNotFound",
                                     "desc": "not in the fake"}}
                elif isinstance(ret, QmpError):
                    out = {"error": {"class": ret.cls, "desc": ret.desc}}
                else:
                    out = {"return": ret}
                if "id" in req:
                    out["id"] = req["id"]
                time.sleep(self.drip)
                conn.sendall(json.dumps(out).encode() + b"\r\n")
        except (OSError, ValueError):
            pass
        finally:
            conn.close()

    def close(self):
        self.sock.close()
        for c in self.conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def vm_tree(base, vms):
    """A sysroot with the given VMs {pid: (name, qmp_rel_path)}: a debugfs
    directory per VM (no stat files: QMP is the source), /proc/PID/cmdline
    of a QEMU with -qmp unix:PATH."""
    kvm = base / "sys/kernel/debug/kvm"
    kvm.mkdir(parents=True)
    (base / "proc").mkdir()
    (base / "proc/cmdline").write_text("ro quiet\n")
    (base / "dev").mkdir()
    (base / "dev/kvm").write_text("")
    for pid, (name, qmp) in vms.items():
        (kvm / f"{pid}-11").mkdir()
        (kvm / f"{pid}-11/vcpu0").mkdir()
        p = base / f"proc/{pid}"
        p.mkdir()
        argv = ["qemu-system-x86_64", "-accel", "kvm", "-m", "512",
                "-name", name, "-qmp", f"unix:{qmp},server=on,wait=off"]
        (p / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
        (p / "comm").write_text("qemu-system-x86\n")
    (base / "run").mkdir()
    return base
