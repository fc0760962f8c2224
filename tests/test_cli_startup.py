"""`groundwork --help` lists every command without importing what the commands need."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from groundwork.cli import COMMANDS, load_command

ROOT = Path(__file__).resolve().parents[1]

HEAVY = ("durable", "fastapi", "uvicorn", "jinja2", "rich", "networkx", "lark", "engine.pipeline",
         "explain")


def imported_after(*argv: str) -> set[str]:
    script = ("import sys, json\nfrom groundwork.cli import main\nsys.argv = ['groundwork', *%r]\n"
              "try:\n    main()\nexcept SystemExit:\n    pass\n"
              "print(json.dumps(sorted(sys.modules)), file=sys.stderr)" % (list(argv),))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize("argv", [("--help",), ()])
def test_help_imports_no_command_module(argv):
    modules = imported_after(*argv)
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY)
    assert heavy == []
    assert not any(m.startswith("groundwork.cli.") for m in modules)


def test_help_lists_every_command_in_order():
    done = subprocess.run([sys.executable, "-c", "from groundwork.cli import main; main()", "--help"],
                          capture_output=True, text=True, timeout=60)
    listed = [line.split()[0] for line in done.stdout.split("Commands:")[1].splitlines()
              if line.startswith("  ") and not line.startswith("   ")]
    assert listed == list(COMMANDS)
    assert "<bool>" not in done.stdout


@pytest.mark.parametrize("name", list(COMMANDS))
def test_listed_help_is_the_commands_own_first_line(name):
    command = load_command(name)
    assert " ".join(command.help.split("\n\n")[0].split()) == COMMANDS[name][1]


def test_unknown_command_is_a_usage_error():
    done = subprocess.run([sys.executable, "-c", "from groundwork.cli import main; main()", "nope"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "No such command 'nope'" in done.stderr


def test_python_dash_m_groundwork_runs_the_same_command_line():
    done = subprocess.run([sys.executable, "-m", "groundwork", "--version"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0 and done.stdout.startswith("groundwork "), done.stderr


def test_a_cold_json_assess_imports_only_what_it_uses(tmp_path):
    """With the knowledge-base cache filled (it holds the compiled rules too), a JSON plan needs no
    graph library, no HTML templates, no Graphviz and no web framework."""
    case = str(ROOT / "examples" / "school-age-child.json")
    argv = ("assess", case, "--format", "json", "--no-audit")
    env = {**os.environ, "GROUNDWORK_CACHE_DIR": str(tmp_path / "cache")}
    script = ("import sys, json\nfrom groundwork.cli import main\nsys.argv = ['groundwork', *%r]\n"
              "try:\n    main()\nexcept SystemExit:\n    pass\n"
              "print(json.dumps(sorted(sys.modules)), file=sys.stderr)" % (list(argv),))
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           timeout=120, env=env, cwd=ROOT) for _ in range(2)]  # fill, then use
    assert runs[0].stdout == runs[1].stdout and json.loads(runs[1].stdout)["phases"]
    modules = set(json.loads(runs[1].stderr.strip().splitlines()[-1]))
    assert sorted(m for m in modules if m.split(".")[0] in
                  ("networkx", "jinja2", "graphviz", "fastapi", "uvicorn", "rich")) == []


def test_importing_the_store_computes_no_password_hash():
    """The constant-time stand-in hash (scrypt, about 50 ms) is made when a token is checked, not
    when every command imports the audit store."""
    script = ("import engine.audit.store, engine.audit.accounts as a; "
              "print(a._dummy.cache_info().currsize)")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.strip() == "0", done.stderr
