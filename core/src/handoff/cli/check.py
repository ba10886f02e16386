"""`handoff check`: handoff.toml and the secrets checked before the hub runs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from handoff.cli import voice
from handoff.cli.discovery import discover_quietly
from handoff.cli.options import config_option
from handoff.errors import ConfigFileError, HandoffError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from handoff.config import HubConfig
    from handoff.secret_store import SecretStore
    from handoff_sdk import Connector

__all__ = ["check"]


@click.command("check")
@config_option
@click.option(
    "--network",
    is_flag=True,
    help="Also exchange credentials with each enabled connector's API (token flows only).",
)
def check(config_path: Path | None, network: bool) -> None:
    """Check handoff.toml and secrets: every table valid, every enabled connector configured.

    Every table is read by the same code as `handoff serve` (the hub's
    [store], [worker], [secrets], each flow's [routing], [writeback],
    [tickets], ... and each connector's own table), so it reports the
    errors serve would stop on, all of them at once. Makes no network call
    unless --network is given; then each connector that exchanges
    credentials does so, and a connector that cannot be reached is one line
    naming it. Exits 1 on any problem, listing each one.
    """
    from handoff.config import load_config, validate_connector_config
    from handoff.secret_store import SecretStore

    found = discover_quietly()
    try:
        config = load_config(config_path, required=True)
    except ConfigFileError as exc:
        _report(exc.problems)
    store = SecretStore(config.secrets)
    problems: list[str] = []
    checked: list[tuple[str, Any]] = []
    for name in config.enabled():
        try:
            conn_config = validate_connector_config(
                name, config.connectors[name], found.connectors, config.path
            )
        except HandoffError as exc:
            problems.append(str(exc))
            continue
        cls = found.connectors[name]
        missing = [
            s for s in cls.required_secrets(conn_config) if store.lookup(name, s)[1] == "missing"
        ]
        for secret in missing:
            problems.append(
                f"{name}: secret '{secret}' is not set (`handoff secrets set {name} {secret}`)"
            )
        if not missing:
            checked.append((name, conn_config))
        click.echo(f"{name}: config ok" + ("" if missing else ", secrets ok"))
        for secret in _webhook_secrets(cls):
            if secret not in missing and store.lookup(name, secret)[1] == "missing":
                voice.warning(
                    f"{name}: webhook secret '{secret}' is not set: its webhooks are refused "
                    f"(503) until it is (`handoff secrets set {name} {secret}`)"
                )
    problems += _flow_problems(config, found.connectors)
    if network and not problems:
        problems += asyncio.run(_network_check(config, store, [n for n, _ in checked]))
    if not config.enabled():
        click.echo("No connectors are enabled in " + str(config.path))
    if problems:
        _report(problems)
    click.echo(
        f"All good ({len(config.enabled())} connector(s) enabled; secrets: {store.describe()})."
    )


def _flow_problems(config: HubConfig, connectors: Mapping[str, type[Connector]]) -> list[str]:
    """What each flow's own check (`Flow.checks`) finds in the config beyond its validation."""
    from handoff.flow import load_target
    from handoff.flows import built_in_flows

    problems: list[str] = []
    for flow in built_in_flows():
        if flow.checks:
            problems += load_target(flow.checks)(config, connectors)
    return problems


def _report(problems: list[str]) -> NoReturn:
    voice.fail(problems)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _webhook_secrets(cls: type[Connector]) -> list[str]:
    """The secrets a connector verifies its webhooks with (its `webhook_...` secrets)."""
    from handoff_sdk.hookspecs import implemented_capabilities

    if "handoff_parse_webhook" not in implemented_capabilities(cls):
        return []
    return [spec.name for spec in cls.secret_specs if spec.name.startswith("webhook_")]


async def _network_check(config: HubConfig, store: SecretStore, names: list[str]) -> list[str]:
    """Exchange credentials with each connector that has a token flow; one line per failure."""
    import httpx

    from handoff.hub import Hub
    from handoff_sdk import ConnectorError, TokenAuth

    problems = []
    async with Hub(config, secrets=store) as hub:
        for name in names:
            auth = hub.connectors[name].auth
            if not isinstance(auth, TokenAuth):
                click.echo(f"{name}: no credential exchange to test (static key)")
                continue
            try:
                request = auth.build_token_request()
            except (ConnectorError, HandoffError) as exc:
                text = str(exc).removeprefix(f"{name}: ")
                problems.append(_one_line(f"{name}: {text}"))
                continue
            where = request.url.copy_with(query=None)
            try:
                response = await hub.connectors[name].http.send(request)
                auth.accept_token_response(response)
            except httpx.HTTPError as exc:  # no answer: refused, unknown host, TLS, timeout
                problems.append(
                    _one_line(f"{name}: cannot reach {where}: {type(exc).__name__}: {exc}")
                )
            except ConnectorError as exc:
                text = str(exc).removeprefix(f"{name}: ")
                problems.append(_one_line(f"{name}: {where} refused the credentials: {text}"))
            except Exception as exc:  # a diagnostic never ends in a traceback
                problems.append(_one_line(f"{name}: {where}: {type(exc).__name__}: {exc}"))
            else:
                click.echo(f"{name}: credentials accepted by {where}")
    return problems
