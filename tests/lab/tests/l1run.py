# SPDX-License-Identifier: GPL-2.0-only
"""l1-run.sh's l2_start, cut out and run by a real shell with lab.env
values, its QEMU command line written to $D/qemu.log instead of run:
shared by the tests of the arm64 lab and of L2_SMP."""
import os
import subprocess
from pathlib import Path

LAB = Path(__file__).resolve().parent.parent


def l2_start_script(qemu, smp=1, machine="virt,gic-version=3", tty="ttyAMA"):
    text = (LAB / "guest" / "l1-run.sh").read_text()
    start = text.index("l2_start() {")
    body = text[start:text.index("\n}\n", start) + 3]
    return body + rf'''
sh() {{ printf '%s\n' "$2"; }}
machine={machine} LAB_L2_MEM=512 LAB_L2_SMP={smp} name=apf run=/run/x cg=/tmp wl=--mb,1 append=
d=$D LAB_L2_TTY={tty}
l2_start {qemu} /q "-enable-kvm" host "-monitor none"
wait
'''


def l2_start_cmdline(tmp_path, qemu, **kw):
    """The command line l2_start gives L2's QEMU (and removes the log)."""
    env = dict(os.environ, D=str(tmp_path))
    subprocess.run(["bash", "-c", l2_start_script(qemu, **kw)], env=env, check=True)
    log = tmp_path / "qemu.log"
    out = log.read_text()
    log.unlink()
    return out
