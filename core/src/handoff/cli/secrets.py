"""`handoff secrets`: set, delete and list connector secrets; values are never shown."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from handoff.cli.discovery import discover_quietly, resolve_connector
from handoff.cli.options import config_option, json_option
from handoff.errors import HandoffError

if TYPE_CHECKING:
    from handoff.secret_store import SecretStore

__all__ = ["secrets"]


@click.group("secrets")
def secrets() -> None:
    """Set, delete and list connector secrets (OS keyring, file, or environment)."""


def _secret_store(config_path: Path | None) -> SecretStore:
    from handoff.config import load_config
    from handoff.secret_store import SecretStore

    return SecretStore(load_config(config_path).secrets)


def _secret_target(connector: str, name: str) -> SecretStore:
    found = discover_quietly()
    resolve_connector(found, connector)
    declared = [s.name for s in found.connectors[connector].secret_specs]
    if name not in declared:
        raise HandoffError(
            f"{connector} has no secret '{name}'; its secrets are: {', '.join(declared) or 'none'}"
        )
    return _secret_store(None)


@secrets.command("set")
@click.argument("connector")
@click.argument("name")
def secrets_set(connector: str, name: str) -> None:
    """Store secret NAME of CONNECTOR; the value is prompted for (hidden) or read from stdin."""
    store = _secret_target(connector, name)
    if sys.stdin.isatty():
        value = click.prompt(f"{connector} {name}", hide_input=True, confirmation_prompt=True)
    else:
        value = sys.stdin.read().strip()
    if not value:
        raise HandoffError("empty value; nothing stored")
    store.set(connector, name, value)
    click.echo(f"Stored {connector} {name} in the {store.describe()}.")


@secrets.command("delete")
@click.argument("connector")
@click.argument("name")
def secrets_delete(connector: str, name: str) -> None:
    """Remove secret NAME of CONNECTOR from the backend."""
    store = _secret_target(connector, name)
    if store.delete(connector, name):
        click.echo(f"Deleted {connector} {name}.")
    else:
        click.echo(f"{connector} {name} was not stored.")


@secrets.command("list")
@config_option
@json_option
def secrets_list(config_path: Path | None, as_json: bool) -> None:
    """Show each secret the installed connectors declare and where it is found. Never values."""
    found = discover_quietly()
    store = _secret_store(config_path)
    rows = []
    for name, cls in sorted(found.connectors.items()):
        for spec in cls.secret_specs:
            _, where = store.lookup(name, spec.name)
            rows.append(
                {
                    "connector": name,
                    "secret": spec.name,
                    "where": where,
                    "description": spec.description,
                }
            )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"Backend: {store.describe()}")
    for r in rows:
        click.echo(f"{r['connector']:<12} {r['secret']:<22} {r['where']:<8} {r['description']}")
