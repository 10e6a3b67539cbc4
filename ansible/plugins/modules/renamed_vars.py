#!/usr/bin/python
# SPDX-License-Identifier: GPL-2.0-only
"""apf_suite.fleet.renamed_vars: documentation only; the work is done by
the action plugin of the same name (plugins/action/renamed_vars.py) on the
controller, as ansible.builtin.debug does."""

DOCUMENTATION = r"""
module: renamed_vars
short_description: Warn about variables set under a deprecated name
description:
  - For every I(renamed) old name that is set (inventory, play, extra
    vars, anywhere), a deprecation warning on the controller naming the new
    name; shown once per run whatever the number of hosts.
  - The roles read the old name where the new one is not set, so an
    inventory keeps working for one release after a rename.
  - Runs on the controller only; supports check mode.
version_added: "0.1.0"
author: APF Suite Maintainers
options:
  renamed:
    description: Old name -> new name.
    type: dict
    required: true
  removed_in:
    description: The collection version that stops reading the old names.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Warn about variables under their old names
  apf_suite.fleet.renamed_vars:
    removed_in: "0.3.0"
    renamed:
      apf_version: apf_packages_version
"""

RETURN = r"""
renamed:
  description: The old names that are set, with their new names.
  type: dict
  returned: always
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec=dict(renamed=dict(type="dict", required=True),
                           removed_in=dict(type="str", default="")),
        supports_check_mode=True)
    module.fail_json(msg="renamed_vars runs on the controller (its action plugin)")


if __name__ == "__main__":
    main()
