# SPDX-License-Identifier: GPL-2.0-only
"""The collection as a whole: its metadata (one version with the suite),
`ansible-galaxy collection build`, an offline install that ansible-galaxy
lists and ansible-playbook runs from, the module's documentation, and the
docs covering every variable."""

import json
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
