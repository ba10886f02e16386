"""One voice for the CLI: `error: ...` on stderr, exit 2 for a wrong command line, 1 for a failure,
and `--json` on every command whose output is a table (docs/configuration.md, "The CLI")."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from cli_helpers import run_handoff

import handoff
from handoff.cli import cli

SOURCE = Path(handoff.__file__).parent

NOT_TABLES: dict[str, str] = {
    "check": "a pass/fail report: a line per connector, each problem an `error:` line",
    "db current": "one line: the schema revision and the one needed",
    "db upgrade": "an action: migrates, then one line",
    "demo": "a narrative of the demo's steps and decisions",
    "events export": "the events file itself: JSON Lines, one event per line",
    "experiences restore-ai": "an action on one experience",
    "experiences rollback-ai": "an action on one experience",
    "jobs discard": "an action: one line, how many were discarded",
    "jobs retry": "an action: one line, how many were queued again",
    "leads transition": "an action on one lead",
    "new-connector": "an action: creates a package, prints where",
    "sandbox traffic": "a narrative of the traffic sent and what each vendor saw",
    "secrets delete": "an action on one secret",
    "secrets set": "an action on one secret",
    "serve": "runs until stopped; logs on stderr",
    "worker": "runs until stopped (or idle); logs on stderr",
}
"""Commands that print no table, and why; every other command must offer --json."""


def leaf_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, name
        path = (*prefix, name)
        if isinstance(command, click.Group):
            found.update(leaf_commands(command, path))
        else:
            found[" ".join(path)] = command
    return found


def offers_json(command: click.Command) -> bool:
    return any("--json" in getattr(param, "opts", ()) for param in command.params)


def test_every_command_whose_output_is_a_table_offers_json() -> None:
    commands = leaf_commands(cli)
    missing = sorted(p for p, c in commands.items() if not offers_json(c) and p not in NOT_TABLES)
    assert missing == [], "print a table: give them --json (cli.options.json_option)"
    stale = sorted(p for p in NOT_TABLES if p not in commands or offers_json(commands[p]))
    assert stale == [], "listed as printing no table, but gone or offering --json"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("jobs", "list", "--bogus"), "error: No such option"),
        (("bogus",), "error: No such command 'bogus'."),
        (("jobs", "list", "--state", "lost"), "error: Invalid value for '--state'"),
        (("explain",), "error: Missing argument 'REF'."),
    ],
)
def test_a_wrong_command_line_is_an_error_line_after_the_usage_exit_2(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = run_handoff(*args, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Usage: ")
    assert lines[-1].startswith(message)
    assert "Error:" not in result.stderr
    assert result.stdout == ""


def test_a_failure_is_one_error_line_exit_1(tmp_path: Path) -> None:
    result = run_handoff("secrets", "set", "nope", "x", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("error: unknown connector 'nope'")
    assert "Traceback" not in result.stderr


def test_a_wrong_option_value_names_the_option(tmp_path: Path) -> None:
    result = run_handoff("worker", "--kind-timeout", "event", cwd=tmp_path)
    assert result.returncode == 2
    assert "error: Invalid value for '--kind-timeout': 'event': expected KIND=SECONDS" in (
        result.stderr
    )


_OWN_PREFIX = re.compile(
    r"""(?:echo|secho|print)\(\s*f?["'](?:error|warning|problem|Error|Warning|Problem):"""
)


def test_only_the_voice_module_writes_the_error_and_warning_prefixes() -> None:
    """`error:` and `warning:` lines come from handoff.cli.voice, so they read the same everywhere."""
    offenders = [
        f"{path.relative_to(SOURCE)}:{number}"
        for path in SOURCE.rglob("*.py")
        if path.name != "voice.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _OWN_PREFIX.search(line)
    ]
    assert offenders == []
