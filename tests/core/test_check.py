"""`handoff check`: every table read as `handoff serve` reads it; --network in one line each."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from handoff_salesforce.simulator import SalesforceSimulator

from handoff.cli import cli
from handoff.errors import ConfigFileError
from handoff_sdk.testing import SimulatorServer

BAD_TABLES = """
[worker]
lease_seconds = 10
job_timeout_seconds = 20

[routing]
ai_rep = 5

[writeback]
enabled = "sometimes"

[tickets]
bogus = 1
"""


def test_check_names_every_bad_table_at_once_as_serve_would(isolated_home: Path) -> None:
    """[worker] (the hub's), [routing] and [writeback] (chat), [tickets]: each problem a line."""
    (isolated_home / "handoff.toml").write_text(BAD_TABLES)
    checked = CliRunner().invoke(cli, ["check"])
    assert checked.exit_code == 1
    lines = [line for line in checked.output.splitlines() if line.startswith("error: ")]
    assert lines == [
        "error: handoff.toml: routing.ai_rep: Input should be a valid string",
        "error: handoff.toml: writeback.enabled: Input should be a valid boolean, unable to "
        "interpret input",
        "error: handoff.toml: tickets.bogus: unknown key",
        "error: handoff.toml: worker: job_timeout_seconds = 20: each must be above 0 and "
        "below lease_seconds (10), or a job still running when its lease ends runs twice",
    ]
    served = CliRunner().invoke(cli, ["serve", "--database", "sqlite:///unused.db"])
    assert served.exit_code != 0
    assert isinstance(served.exception, ConfigFileError)
    assert [f"error: {p}" for p in served.exception.problems] == lines, "serve says the same"


def test_check_finds_an_unknown_table_and_names_the_known_ones(isolated_home: Path) -> None:
    (isolated_home / "handoff.toml").write_text("[routeing]\nai_rep = 'ai'\n")
    checked = CliRunner().invoke(cli, ["check"])
    assert checked.exit_code == 1
    assert "error: handoff.toml: routeing: unknown table; the tables are:" in checked.output
    assert "routing" in checked.output


def salesforce_config(folder: Path, table: dict[str, Any], ca_file: Path | None = None) -> None:
    lines = [f'{key} = "{value}"' for key, value in table.items()]
    if ca_file is not None:
        lines.append(f'ca_file = "{ca_file}"')
    (folder / "handoff.toml").write_text("[connectors.salesforce]\n" + "\n".join(lines) + "\n")


@pytest.fixture
def salesforce_secrets(monkeypatch: pytest.MonkeyPatch) -> SalesforceSimulator:
    simulator = SalesforceSimulator()
    for name, value in simulator.connector_secrets().items():
        monkeypatch.setenv(f"HANDOFF_SALESFORCE_{name.upper()}", value)
    return simulator


def test_network_check_on_a_closed_port_is_one_line_not_a_traceback(
    isolated_home: Path, salesforce_secrets: SalesforceSimulator
) -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"https://127.0.0.1:{port}"
    salesforce_config(isolated_home, salesforce_secrets.connector_config(url))
    result = CliRunner().invoke(cli, ["check", "--network"])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    [problem] = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert problem.startswith(
        f"error: salesforce: cannot reach {url}/services/oauth2/token: ConnectError: "
    )


def test_network_check_against_a_500ing_server_is_one_line(
    isolated_home: Path, salesforce_secrets: SalesforceSimulator
) -> None:
    simulator = salesforce_secrets
    simulator.fail_next(500, body={"error": "server_error"}, times=100, endpoint="token")
    with SimulatorServer(simulator, tls=True) as server:
        assert server.certificate is not None
        ca_file = server.certificate.cert_file
        salesforce_config(isolated_home, simulator.connector_config(server.url), ca_file)
        result = CliRunner().invoke(cli, ["check", "--network"])
        healthy_url = server.url
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    [problem] = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert problem.startswith(
        f"error: salesforce: {healthy_url}/services/oauth2/token refused the credentials: "
    )
    assert "HTTP 500" in problem


def test_network_check_passes_against_a_healthy_server(
    isolated_home: Path, salesforce_secrets: SalesforceSimulator
) -> None:
    with SimulatorServer(salesforce_secrets, tls=True) as server:
        assert server.certificate is not None
        table = salesforce_secrets.connector_config(server.url)
        salesforce_config(isolated_home, table, server.certificate.cert_file)
        result = CliRunner().invoke(cli, ["check", "--network"])
    assert result.exit_code == 0, result.output
    assert (
        f"salesforce: credentials accepted by {server.url}/services/oauth2/token" in result.output
    )


AI_MODEL = """
[ai]
company = "Acme"
support_url = "https://support.acme.example/"

[ai.model]
connector = "{connector}"
{tables}
"""


@pytest.mark.parametrize(
    ("connector", "tables", "said"),
    [
        ("openai", "", "error: ai.model.connector: 'openai' is not an enabled connector "
         "(enabled: none); add a [connectors.openai] table"),
        ("slack", "[connectors.slack]\ndefault_channel = '#sales'\n",
         "error: ai.model.connector: 'slack' cannot generate replies"),
    ],
)  # fmt: skip
def test_check_says_when_ai_model_names_no_model(
    isolated_home: Path, connector: str, tables: str, said: str
) -> None:
    """Issue 12: [ai.model] must name an enabled connector implementing handoff_generate_reply."""
    (isolated_home / "handoff.toml").write_text(AI_MODEL.format(connector=connector, tables=tables))
    checked = CliRunner().invoke(cli, ["check"])
    assert checked.exit_code == 1
    assert said in checked.output


def test_check_passes_an_ai_model_on_an_enabled_model_connector(isolated_home: Path) -> None:
    tables = "[connectors.openai]\nbase_url = 'http://127.0.0.1:11434/v1'\nmodel = 'llama3.1:8b'\n"
    tables += "api_key_required = false\n"
    (isolated_home / "handoff.toml").write_text(AI_MODEL.format(connector="openai", tables=tables))
    checked = CliRunner().invoke(cli, ["check"])
    assert checked.exit_code == 0, checked.output
    assert "openai: config ok, secrets ok" in checked.output
