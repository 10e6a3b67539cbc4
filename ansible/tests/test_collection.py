# SPDX-License-Identifier: GPL-2.0-only
"""The collection as a whole: its metadata (one version with the suite),
`ansible-galaxy collection build`, an offline install that ansible-galaxy
lists and ansible-playbook runs from, the module's documentation, and the
docs covering every variable."""

import json
import keyword
import re
import subprocess
import tarfile

import pytest
import yaml

from conftest import ANS, TOP, ansible_env


def sh(args, env=None, cwd=None, check=True):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       env=env, cwd=cwd, check=False)
    if check:
        assert p.returncode == 0, (args, p.stdout)
    return p


@pytest.fixture(scope="module")
def galaxy():
    return yaml.safe_load((ANS / "galaxy.yml").read_text())


def test_galaxy_metadata(galaxy):
    assert (galaxy["namespace"], galaxy["name"]) == ("apf_suite", "fleet")
    assert galaxy["version"] == (TOP / "VERSION").read_text().strip(), \
        "ansible/galaxy.yml's version must be the suite's VERSION"
    assert galaxy["license"] == ["GPL-2.0-only"]
    assert (ANS / galaxy["readme"]).is_file()
    assert yaml.safe_load((ANS / "meta/runtime.yml").read_text())["requires_ansible"] == ">=2.14.0"


@pytest.fixture(scope="module")
def tarball(tmp_path_factory, galaxy):
    out = tmp_path_factory.mktemp("dist")
    env = ansible_env(out)
    sh(["ansible-galaxy", "collection", "build", "--output-path", str(out), str(ANS)], env=env)
    t = out / ("apf_suite-fleet-%s.tar.gz" % galaxy["version"])
    assert t.is_file()
    return t


def test_build_contents(tarball, galaxy):
    with tarfile.open(tarball) as t:
        names = set(t.getnames())
        manifest = json.load(t.extractfile("MANIFEST.json"))
    assert manifest["collection_info"]["version"] == galaxy["version"]
    for f in ("roles/apf_packages/tasks/main.yml", "roles/apf_config/templates/apf.fact.j2",
              "roles/apf_rollout/tasks/main.yml", "playbooks/rollout.yml", "playbooks/unlock.yml",
              "plugins/modules/rollout_lock.py", "plugins/filter/apf.py", "docs/README.md",
              "plugins/modules/renamed_vars.py", "plugins/action/renamed_vars.py",
              "playbooks/lock.yml", "roles/apf_config/handlers/main.yml",
              "roles/apf_packages/meta/argument_specs.yml", "roles/apf_config/meta/argument_specs.yml",
              "roles/apf_rollout/meta/argument_specs.yml",
              "examples/inventory.ini", "meta/runtime.yml", "CHANGELOG.md", "README.md"):
        assert f in names, f
    leaked = [n for n in names if n.split("/")[0] in ("tests", "build") or "__pycache__" in n
              or n.startswith(".") or n.endswith(".tar.gz")]
    assert leaked == []


def test_install_list_and_run_from_install(tarball, tmp_path, galaxy):
    env = ansible_env(tmp_path)
    coll = tmp_path / "collections"
    env["ANSIBLE_COLLECTIONS_PATH"] = str(coll)
    sh(["ansible-galaxy", "collection", "install", "--offline", "-p", str(coll), str(tarball)],
       env=env)
    out = sh(["ansible-galaxy", "collection", "list", "-p", str(coll)], env=env).stdout
    assert re.search(r"^apf_suite\.fleet\s+%s\s*$" % re.escape(galaxy["version"]), out, re.M), out
    doc = sh(["ansible-doc", "-t", "module", "apf_suite.fleet.rollout_lock"], env=env).stdout
    for word in ("acquired", "renewed", "released", "failed", "cleared", "broken", "configured",
                 "slots", "lease", "holder", "timeout"):
        assert word in doc, doc
    doc = sh(["ansible-doc", "-t", "module", "apf_suite.fleet.renamed_vars"], env=env).stdout
    assert "removed_in" in doc, doc
    # The roles' argument specs, as ansible-doc shows them.
    for role, option in (("apf_packages", "apf_packages_version"),
                         ("apf_config", "apf_config_on_unsupported"),
                         ("apf_rollout", "apf_rollout_lock_ttl")):
        doc = sh(["ansible-doc", "-t", "role", "apf_suite.fleet." + role], env=env).stdout
        assert option in doc and "ENTRY POINT: main" in doc, doc
    # Playbooks by name from the installed copy (as from the apf-ansible
    # package).
    for pb in ("rollout", "site", "enable", "disable", "bench", "unlock", "lock"):
        sh(["ansible-playbook", "--syntax-check", "apf_suite.fleet." + pb], env=env, cwd=tmp_path)


def test_docs_cover_every_variable():
    docs = (ANS / "docs/README.md").read_text()
    names = set()
    for f in ANS.glob("roles/*/defaults/main.yml"):
        names |= set(yaml.safe_load(f.read_text()))
    for f in ANS.glob("playbooks/*.yml"):
        text = f.read_text()
        names |= set(re.findall(r"\b(apf_[a-z_]+_hosts|apf_rollout_batch|apf_rollout_clear_host)\b",
                                text))
        for play in yaml.safe_load(text):
            names |= set(play.get("vars") or {})
    for f in ANS.glob("roles/*/meta/argument_specs.yml"):
        for ep in yaml.safe_load(f.read_text())["argument_specs"].values():
            names |= set(ep.get("options") or {})
    missing = sorted(n for n in names if "`%s`" % n not in docs)
    assert missing == [], "not in docs/README.md: %s" % missing


def test_role_variables_carry_the_role_name_and_specs_match_defaults():
    """Every default is named after its role and has an option in the
    role's argument spec; every literal default equals the spec's."""
    for role in ("apf_packages", "apf_config", "apf_rollout"):
        defaults = yaml.safe_load((ANS / "roles" / role / "defaults/main.yml").read_text())
        spec = yaml.safe_load((ANS / "roles" / role / "meta/argument_specs.yml").read_text())
        options = {}
        for ep in spec["argument_specs"].values():
            options.update(ep["options"])
        assert [n for n in defaults if not n.startswith(role + "_")] == [], role
        assert sorted(set(defaults) - set(options)) == [], role
        for name, value in defaults.items():
            if "default" in options[name] and not (isinstance(value, str) and "{{" in value):
                assert options[name]["default"] == value, (role, name)


# var-naming as newer ansible-lint checks it (6.16 and later; Debian's 6.13
# has no var-naming[no-role-prefix]): in a role's tasks and handlers, every
# register and set_fact name, and every key of its defaults/vars, starts
# with the role's name and "_" once leading underscores are stripped; the
# vars of an include_role/import_role task or of a play's roles: entry
# that names a role without a collection carry that role's name; every
# name anywhere matches ^[a-z_][a-z0-9_]*$ and is no Python keyword.
VAR_PATTERN = re.compile(r"^[a-z_][a-z0-9_]*$")


def _var_naming(name, prefix, where, bad):
    if not isinstance(name, str) or "{{" in name:
        return
    if keyword.iskeyword(name) or not VAR_PATTERN.match(name):
        bad.append("%s: %s (pattern)" % (where, name))
    elif prefix and not name.lstrip("_").startswith(prefix + "_"):
        bad.append("%s: %s (no-role-prefix, %s_)" % (where, name, prefix))


def _role_prefix(name):
    return "" if "." in name else name.split("/")[-1]


def _var_naming_tasks(tasks, prefix, where, bad):
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        for key in ("block", "rescue", "always"):
            _var_naming_tasks(task.get(key), prefix, where, bad)
        action = next((k for k in task if k.split(".")[-1] in
                       ("set_fact", "include_role", "import_role")), None)
        short = action.split(".")[-1] if action else ""
        if short == "set_fact":
            for key in task[action]:
                if key != "cacheable" and not key.startswith("__"):
                    _var_naming(key, prefix, where + " set_fact", bad)
        if "register" in task:
            _var_naming(task["register"], prefix, where + " register", bad)
        task_prefix = _role_prefix(task[action].get("name", "")) \
            if short in ("include_role", "import_role") else ""
        for key in task.get("vars") or {}:
            _var_naming(key, task_prefix, where + " vars", bad)


def test_variable_names_pass_newer_ansible_lint_var_naming():
    bad = []
    for f in sorted(ANS.glob("roles/*/*/*.yml")):
        role, kind = f.parts[-3], f.parts[-2]
        where = str(f.relative_to(ANS))
        data = yaml.safe_load(f.read_text())
        if kind in ("tasks", "handlers"):
            _var_naming_tasks(data, role, where, bad)
        elif kind in ("defaults", "vars"):
            for key in data or {}:
                _var_naming(key, role, where, bad)
    for f in sorted(ANS.glob("playbooks/*.yml")) + sorted(ANS.glob("tests/playbooks/*.yml")):
        where = str(f.relative_to(ANS))
        for play in yaml.safe_load(f.read_text()) or []:
            for key in play.get("vars") or {}:
                _var_naming(key, "", where + " play vars", bad)
            for role in play.get("roles") or []:
                if isinstance(role, dict):
                    prefix = _role_prefix(role.get("role", role.get("name", "")))
                    for key in role.get("vars") or {}:
                        _var_naming(key, prefix, where + " role vars", bad)
            for section in ("pre_tasks", "tasks", "post_tasks", "handlers"):
                _var_naming_tasks(play.get(section), "", where, bad)
    for f in sorted(ANS.glob("examples/group_vars/*.yml")):
        for key in yaml.safe_load(f.read_text()) or {}:
            _var_naming(key, "", str(f.relative_to(ANS)), bad)
    assert bad == []
    # The check itself: what it must catch.
    caught = []
    _var_naming_tasks([{"ansible.builtin.command": "true", "register": "_apf_switch_x"},
                       {"ansible.builtin.set_fact": {"apf_config_y": 1, "Bad": 2}},
                       {"ansible.builtin.include_role": {"name": "apf_config"},
                        "vars": {"apf_conf_z": 1}}], "apf_config", "t", caught)
    assert caught == ["t register: _apf_switch_x (no-role-prefix, apf_config_)",
                      "t set_fact: Bad (pattern)",
                      "t vars: apf_conf_z (no-role-prefix, apf_config_)"]


def test_every_old_name_is_renamed_and_documented():
    """The names of 0.1.0 that each role still reads (defaults/main.yml)
    are the ones its renamed_vars task warns about, and docs/README.md
    lists each."""
    docs = (ANS / "docs/README.md").read_text()
    for role in ("apf_packages", "apf_config"):
        text = (ANS / "roles" / role / "defaults/main.yml").read_text()
        read = set(re.findall(r"\{\{ (apf_[a-z_]+) \| default\(", text)) - {"apf_packages_meta_package"}
        warned = set()
        for f in (ANS / "roles" / role / "tasks").glob("*.yml"):
            for task in yaml.safe_load(f.read_text()) or []:
                args = task.get("apf_suite.fleet.renamed_vars")
                if args:
                    warned |= set(args["renamed"])
        assert read and read <= warned, (role, sorted(read - warned))
        assert [n for n in read if "`%s`" % n not in docs] == [], role


def test_every_file_has_an_spdx_header():
    bad = []
    for f in ANS.rglob("*"):
        rel = f.relative_to(ANS)
        if not f.is_file() or rel.parts[0] == "build" or "__pycache__" in rel.parts:
            continue
        if "SPDX-License-Identifier: GPL-2.0-only" not in f.read_text(errors="replace")[:400]:
            bad.append(str(rel))
    assert bad == []
