"""Start-up of the CLI: `--version` and `--help` import no framework, a command only its own module.

The speed itself is a benchmark (benchmarks/bench_startup.py); these tests
check what makes it fast: which modules a run imports.
"""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from handoff.cli import cli
from handoff.cli.app import CORE_COMMANDS, all_commands

HEAVY = (
    "sqlalchemy",
    "fastapi",
    "starlette",
    "uvicorn",
    "httpx",
    "pydantic",
    "alembic",
    "keyring",
    "handoff_sdk",
    "handoff.config",
    "handoff.hub",
    "handoff.store",
    "handoff.runtime",
)
"""Modules `handoff --version` and `handoff --help` must not import."""

_PROBE = """
import json, sys
from handoff.cli import main
sys.argv = ["handoff", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


CORE_TARGETS = {ref.name: ref.target.partition(":")[0] for ref in CORE_COMMANDS}


def imported_by(*args: str) -> set[str]:
    """The modules a fresh interpreter has imported after running `handoff ARGS`."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    modules: list[str] = json.loads(result.stderr.strip().splitlines()[-1])
    return set(modules)


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m in HEAVY or any(m.startswith(f"{h}.") for h in HEAVY))


@pytest.mark.parametrize("args", [("--version",), ("--help",)])
def test_version_and_help_import_no_framework(args: tuple[str, ...]) -> None:
    modules = imported_by(*args)
    assert "click" in modules  # the probe did run the CLI
    assert heavy(modules) == []


def test_help_lists_every_command_without_importing_any() -> None:
    modules = imported_by("--help")
    command_modules = {ref.target.partition(":")[0] for ref in all_commands().values()}
    assert command_modules & modules == set()


def test_a_command_imports_its_own_module_not_the_others() -> None:
    modules = imported_by("jobs", "--help")
    assert "handoff.cli.jobs" in modules
    assert "handoff.cli.serve" not in modules
    assert "handoff.cli.demo" not in modules


@pytest.mark.parametrize("name", [ref.name for ref in CORE_COMMANDS])
def test_a_hub_command_s_help_imports_no_framework(name: str) -> None:
    """A command module imports its frameworks when the command runs, not for its --help."""
    modules = imported_by(name, "--help")
    assert CORE_TARGETS[name] in modules
    assert heavy(modules) == []


def test_the_listed_help_is_the_command_s_own_first_line() -> None:
    """Each hub command's line in `handoff --help`, shown unimported, is its docstring's first."""
    context = click.Context(cli)
    for ref in CORE_COMMANDS:
        name = ref.name
        command = cli.get_command(context, name)
        assert command is not None
        first_line = (command.help or "").split("\n\n")[0].replace("\n", " ").strip()
        assert ref.help == first_line, f"`handoff {name}`: the listed help differs"


def test_every_core_command_is_listed() -> None:
    assert {ref.name for ref in CORE_COMMANDS} <= set(cli.list_commands(click.Context(cli)))
