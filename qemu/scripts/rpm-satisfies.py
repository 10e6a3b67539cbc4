#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Does an RPM satisfy a dependency?  rpm's own comparison (epochs included).

Usage: rpm-satisfies.py RPM 'NAME [OP EVR]'    (OP: = < > <= >=)
Exit 0 if one of RPM's Provides satisfies the dependency, 1 if none does,
2 on bad arguments.  rpm -q --whatprovides ignores versions, hence this.
"""

import sys

import rpm

OPS = {
    "=": rpm.RPMSENSE_EQUAL,
    "<": rpm.RPMSENSE_LESS,
    ">": rpm.RPMSENSE_GREATER,
    "<=": rpm.RPMSENSE_LESS | rpm.RPMSENSE_EQUAL,
    ">=": rpm.RPMSENSE_GREATER | rpm.RPMSENSE_EQUAL,
}


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip().split("\n")[2], file=sys.stderr)
        return 2
    dep = sys.argv[2].split()
    if len(dep) not in (1, 3) or (len(dep) == 3 and dep[1] not in OPS):
        print(f"rpm-satisfies: bad dependency '{sys.argv[2]}': want 'NAME [OP EVR]'",
              file=sys.stderr)
        return 2
    ts = rpm.TransactionSet()
    # Only the header matters here; rpm-check.sh checks the signature.
    ts.setVSFlags(rpm._RPMVSF_NOSIGNATURES | rpm._RPMVSF_NODIGESTS)
    try:
        with open(sys.argv[1], "rb") as f:
            hdr = ts.hdrFromFdno(f)
    except (OSError, rpm.error) as e:
        print(f"rpm-satisfies: cannot read {sys.argv[1]}: {e}", file=sys.stderr)
        return 2
    want = (dep[0], OPS[dep[1]], dep[2]) if len(dep) == 3 else (dep[0], 0, "")
    req = rpm.ds(want, rpm.RPMTAG_REQUIRENAME)
    return 0 if rpm.ds(hdr, rpm.RPMTAG_PROVIDENAME).Search(req) >= 0 else 1


if __name__ == "__main__":
    sys.exit(main())
