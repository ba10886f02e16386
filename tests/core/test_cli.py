"""The CLI: every command explains itself; user mistakes get one clear line, no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from cli_helpers import run_handoff
from click.testing import CliRunner

from handoff import plugins
from handoff.cli import cli
from handoff.plugins import Discovery
from handoff_sdk import Connector


@pytest.fixture
def runner(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, echo_classes: dict[str, type[Connector]]
) -> CliRunner:
    found = Discovery(
        connectors=echo_classes, packages={n: f"handoff-{n} 0.1" for n in echo_classes}
    )
    monkeypatch.setattr(plugins, "discover", lambda: found)
    return CliRunner()


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, name
        path = (*prefix, name)
        found.append(path)
        if isinstance(command, click.Group):
            found += all_commands(command, path)
    return found


@pytest.mark.parametrize("path", [(), *all_commands(cli)], ids=lambda p: " ".join(p) or "handoff")
def test_every_command_has_help_that_explains_it(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    description = result.output.split("\n\n", 2)[1].strip()
    assert len(description) > 20, f"`handoff {' '.join(path)}` --help explains nothing"


def test_connectors_list_json_shows_enabled_and_capabilities(
    runner: CliRunner, isolated_home: Path
) -> None:
    (isolated_home / "handoff.toml").write_text("[connectors.echo]\n")
    result = runner.invoke(cli, ["connectors", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert rows["echo"]["enabled"] is True
    assert rows["broken"]["enabled"] is False
    assert rows["echo"]["capabilities"] == ["enrich_visitor", "match_account"]
    assert rows["echo"]["secrets"] == ["api_key"]


def test_connectors_list_table_warns_about_unknown_configured(
    runner: CliRunner, isolated_home: Path
) -> None:
    (isolated_home / "handoff.toml").write_text("[connectors.ghost]\n")
    result = runner.invoke(cli, ["connectors", "list"])
    assert "echo" in result.output
    assert "configures 'ghost', which is not installed" in result.output


def test_check_reports_missing_secret_and_succeeds_once_set(
    runner: CliRunner, isolated_home: Path
) -> None:
    (isolated_home / "handoff.toml").write_text(
        "[connectors.echo]\nbase_url = 'https://e.example.test'\n"
    )
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 1
    assert "echo: secret 'api_key' is not set (`handoff secrets set echo api_key`)" in result.output
    set_result = runner.invoke(cli, ["secrets", "set", "echo", "api_key"], input="k-1\n")
    assert set_result.exit_code == 0, set_result.output
    assert "k-1" not in set_result.output
    ok = runner.invoke(cli, ["check"])
    assert ok.exit_code == 0, ok.output
    assert "All good" in ok.output


def test_check_names_the_bad_field(runner: CliRunner, isolated_home: Path) -> None:
    (isolated_home / "handoff.toml").write_text("[connectors.echo]\nbase_ur = 'x'\n")
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 1
    assert "connectors.echo.base_ur: unknown key" in result.output


def test_secrets_list_never_prints_values(
    runner: CliRunner, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDOFF_ECHO_API_KEY", "super-secret-value")
    result = runner.invoke(cli, ["secrets", "list", "--json"])
    rows = json.loads(result.output)
    assert {
        "connector": "echo",
        "secret": "api_key",
        "where": "env",
        "description": "Key for the echo API.",
    } in rows
    assert "super-secret-value" not in result.output


def test_secrets_for_an_undeclared_name_lists_the_declared(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["secrets", "set", "echo", "apikey"], input="x\n")
    assert result.exit_code != 0
    assert "echo has no secret 'apikey'; its secrets are: api_key" in str(result.exception)


def test_user_mistakes_print_one_line_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "handoff.toml").write_text("[connectors.salesfarce]\n")
    result = run_handoff("check", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "unknown connector 'salesfarce'; installed connectors:" in result.stderr
    secret = run_handoff("secrets", "set", "nope", "x", cwd=tmp_path)
    assert "Traceback" not in secret.stderr
    assert "error: unknown connector 'nope'" in secret.stderr


def test_a_secret_in_the_config_file_is_refused_by_check(tmp_path: Path) -> None:
    (tmp_path / "handoff.toml").write_text('[connectors.salesforce]\nclient_secret = "abc"\n')
    result = run_handoff("check", cwd=tmp_path)
    assert result.returncode == 1
    assert (
        "connectors.salesforce.client_secret: secrets do not belong in handoff.toml"
        in result.stderr
    )
    assert "abc" not in result.stderr
