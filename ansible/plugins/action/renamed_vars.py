# SPDX-License-Identifier: GPL-2.0-only
"""apf_suite.fleet.renamed_vars: a deprecation warning for every variable
still set under its old name (see plugins/modules/renamed_vars.py)."""

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    """Reads the task's variables on the controller; runs nothing on the host."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("renamed", "removed_in"))
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        renamed = self._task.args.get("renamed") or {}
        removed_in = str(self._task.args.get("removed_in") or "")
        if not isinstance(renamed, dict):
            result.update(failed=True, msg="renamed_vars: renamed is a dict of old name: new name")
            return result
        used, deprecations = {}, []
        for old, new in sorted(renamed.items()):
            if old not in task_vars:
                continue
            used[old] = new
            msg = ("the variable %s is now %s (each role's variables carry the role's name); "
                   "%s is still read when %s is not set" % (old, new, old, new))
            # The callback shows these on the controller, once per message
            # for the whole run (not once per host).
            deprecations.append({"msg": msg, "version": removed_in or None,
                                 "collection_name": "apf_suite.fleet"})
        result.update(changed=False, renamed=used)
        if deprecations:
            result["deprecations"] = deprecations
        return result
