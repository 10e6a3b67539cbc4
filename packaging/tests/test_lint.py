# SPDX-License-Identifier: GPL-2.0-only
"""lintian (binary and source packages) and rpmlint (RPMs and the spec):
no errors, no lintian warnings.  Overrides and filters carry their reasons
in debian/*.lintian-overrides and rpm/rpmlint.toml."""
from conftest import BUILD, DEBS, RPMS, SCRIPTS, ENV, sh


def test_lintian(debs):
    sh([str(SCRIPTS / "lint-deb")] + [str(p) for p in DEBS.glob("*.changes")]
       + [str(p) for p in DEBS.glob("*.dsc")])


def test_rpmlint(rpms):
    spec = BUILD / "rpm" / "SPECS" / "apf-suite.spec"
    macros = BUILD / "rpm" / "apf.macros"
    args = [str(spec)] if spec.exists() else []
    sh([str(SCRIPTS / "lint-rpm")] + args + [str(p) for p in RPMS.glob("*.rpm")],
       env=dict(ENV, APF_RPM_MACROS=str(macros)))
