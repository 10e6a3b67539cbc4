#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Show what the APF patches do on this host, for the record.

Usage: smoke.py QEMU_BINARY
Needs QEMU's python/ directory on PYTHONPATH (qemu.machine, qemu.qmp).
Prints the version, the accelerator in QOM, QMP query-async-pf and
set-async-pf, qom-get/qom-set of async-pf, "info async-pf", and what
-accel kvm,async-pf=off does; exits non-zero if something does not behave
as documented.
"""

import fcntl
import os
import sys
import tempfile

from qemu.machine import QEMUMachine
from qemu.machine.machine import VMLaunchFailure
from qemu.qmp import QMPError

KVM_CHECK_EXTENSION = 0xae03
KVM_CAP_DISABLE_ASYNC_PF = 0x41504601
ACCEL = '/machine/accel'


def has_cap():
    fd = os.open('/dev/kvm', os.O_RDWR)
    try:
        return fcntl.ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_DISABLE_ASYNC_PF) > 0
    finally:
        os.close(fd)


def vm(binary, tmp, *args):
    m = QEMUMachine(binary, base_temp_dir=tmp)
    m.add_args('-machine', 'q35', '-nodefaults', '-S', *args)
    return m


def main():
    binary = sys.argv[1]
    cap = has_cap()
    ok = True
    print(os.popen(f'{binary} --version').readline().strip())
    print(f'host kernel {os.uname().release}: '
          f'KVM_CAP_DISABLE_ASYNC_PF {"present" if cap else "absent"}')
    with tempfile.TemporaryDirectory() as tmp:
        m = vm(binary, tmp, '-accel', 'kvm')
        m.launch()
        print('qom-get /machine/accel type ->',
              m.cmd('qom-get', path=ACCEL, property='type'))
        print('qom-get /machine/accel async-pf ->',
              m.cmd('qom-get', path=ACCEL, property='async-pf'))
        info = m.cmd('query-async-pf')
        print('query-async-pf ->', info)
        ok &= info['enabled'] and info['switchable'] == cap
        try:
            m.cmd('set-async-pf', enabled=False)
            print('set-async-pf false -> ok, now',
                  m.cmd('query-async-pf')['enabled'])
            m.cmd('set-async-pf', enabled=True)
            ok &= cap
        except QMPError as e:
            print(f'set-async-pf false -> error: {e}')
            ok &= not cap
        try:
            m.cmd('qom-set', path=ACCEL, property='async-pf', value=False)
            print('qom-set async-pf false -> ok, now',
                  m.cmd('qom-get', path=ACCEL, property='async-pf'))
            ok &= cap
        except QMPError as e:
            print(f'qom-set async-pf false -> error: {e}')
            ok &= not cap
        print('(qemu) info async-pf')
        print(m.cmd('human-monitor-command',
                    command_line='info async-pf').rstrip())
        m.cmd('qom-set', path=ACCEL, property='async-pf', value=True)
        print('qom-set async-pf true -> ok, now',
              m.cmd('qom-get', path=ACCEL, property='async-pf'))
        m.shutdown()

        m = vm(binary, tmp, '-accel', 'kvm,async-pf=off')
        try:
            m.launch()
            print('-accel kvm,async-pf=off -> runs, async-pf =',
                  m.cmd('qom-get', path=ACCEL, property='async-pf'))
            ok &= cap
            m.shutdown()
        except VMLaunchFailure as e:
            print('-accel kvm,async-pf=off -> QEMU exits:')
            print('  ' + e.output.strip().replace('\n', '\n  '))
            ok &= not cap
    print('smoke:', 'ok' if ok else 'FAILED')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
