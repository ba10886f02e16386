"""`handoff check`: handoff.toml and the secrets checked before the hub runs."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import click

from handoff.cli.discovery import discover_quietly
from handoff.cli.options import config_option
from handoff.config import HubConfig, load_config, validate_connector_config
from handoff.errors import HandoffError
from handoff.hub import Hub
from handoff.secret_store import SecretStore
from handoff_sdk import ConnectorError, TokenAuth

__all__ = ["check"]


@click.command("check")
@config_option
@click.option(
    "--network",
    is_flag=True,
    help="Also exchange credentials with each enabled connector's API (token flows only).",
)
def check(config_path: Path | None, network: bool) -> None:
    """Check handoff.toml and secrets: every enabled connector configured and its secrets set.

    Makes no network call unless --network is given. Exits 1 on any problem,
    listing each one.
    """
    found = discover_quietly()
    config = load_config(config_path, required=True)
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
    if network and not problems:
        problems += asyncio.run(_network_check(config, store, [n for n, _ in checked]))
    if not config.enabled():
        click.echo("No connectors are enabled in " + str(config.path))
    if problems:
        for p in problems:
            click.secho(f"problem: {p}", fg="red", err=True)
        sys.exit(1)
    click.echo(
        f"All good ({len(config.enabled())} connector(s) enabled; secrets: {store.describe()})."
    )


async def _network_check(config: HubConfig, store: SecretStore, names: list[str]) -> list[str]:
    problems = []
    async with Hub(config, secrets=store) as hub:
        for name in names:
            auth = hub.connectors[name].auth
            if not isinstance(auth, TokenAuth):
                click.echo(f"{name}: no credential exchange to test (static key)")
                continue
            try:
                response = await hub.connectors[name].http.send(auth.build_token_request())
                auth.accept_token_response(response)
                click.echo(f"{name}: credentials accepted")
            except (ConnectorError, OSError) as exc:
                problems.append(str(exc))
    return problems
