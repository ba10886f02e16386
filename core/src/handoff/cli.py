"""The `handoff` command line: inspect connectors, check config, manage secrets, scaffold."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import warnings
from pathlib import Path
from typing import Any

import click

from handoff import __version__
from handoff.cli_options import config_option
from handoff.cli_runtime import RUNTIME_COMMANDS
from handoff.config import HubConfig, load_config, validate_connector_config
from handoff.errors import HandoffError, UnknownConnectorError
from handoff.flows import built_in_flows, flow_commands
from handoff.hub import Hub
from handoff.plugins import Discovery, PluginWarning, discover
from handoff.sandbox.cli import sandbox
from handoff.secret_store import SecretStore
from handoff_sdk import ConnectorError, TokenAuth
from handoff_sdk.hookspecs import implemented_capabilities

__all__ = ["cli", "main"]


def _discover_quietly() -> Discovery:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)
        found = discover()
    for problem in found.problems:
        click.secho(f"warning: {problem}", fg="yellow", err=True)
    return found


def _resolve_connector(found: Discovery, name: str) -> None:
    if name not in found.connectors:
        raise UnknownConnectorError(name, list(found.connectors))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="handoff")
def cli() -> None:
    """handoff: an integration hub for revenue operations.

    It connects the systems marketing, sales and support live in (Salesforce,
    Marketo, 6sense, Zendesk, Slack, ...) and carries out the rules between them.
    Connectors are installed packages; handoff.toml enables and configures them;
    secrets live in the OS keyring (or a file, or environment variables).

    Start with `handoff connectors list`, then `handoff check`.
    """


@cli.group()
def connectors() -> None:
    """Inspect the installed connectors."""


@connectors.command("list")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def connectors_list(config_path: Path | None, as_json: bool) -> None:
    """List installed connectors: package, whether enabled in handoff.toml, capabilities."""
    found = _discover_quietly()
    config = load_config(config_path)
    rows: list[dict[str, Any]] = []
    for name, cls in sorted(found.connectors.items()):
        settings = config.connectors.get(name)
        rows.append(
            {
                "name": name,
                "title": cls.title or name,
                "package": found.packages[name],
                "enabled": bool(settings and settings.enabled),
                "capabilities": [h.removeprefix("handoff_") for h in implemented_capabilities(cls)],
                "secrets": [s.name for s in cls.secret_specs],
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No connectors installed.")
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        mark = "enabled " if r["enabled"] else "disabled"
        click.echo(f"{r['name']:<{width}}  {mark}  {r['package']}")
        click.echo(f"{'':<{width}}  capabilities: {', '.join(r['capabilities']) or '-'}")
    for name in config.connectors:
        if name not in found.connectors:
            click.secho(
                f"warning: handoff.toml configures '{name}', which is not installed", fg="yellow"
            )


@cli.command()
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
    found = _discover_quietly()
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


@cli.group()
def secrets() -> None:
    """Set, delete and list connector secrets (OS keyring, file, or environment)."""


def _secret_target(connector: str, name: str) -> SecretStore:
    found = _discover_quietly()
    _resolve_connector(found, connector)
    declared = [s.name for s in found.connectors[connector].secret_specs]
    if name not in declared:
        raise HandoffError(
            f"{connector} has no secret '{name}'; its secrets are: {', '.join(declared) or 'none'}"
        )
    return SecretStore(load_config().secrets)


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
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def secrets_list(config_path: Path | None, as_json: bool) -> None:
    """Show each secret the installed connectors declare and where it is found. Never values."""
    found = _discover_quietly()
    config = load_config(config_path)
    store = SecretStore(config.secrets)
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


@cli.command("new-connector")
@click.argument("name")
@click.option(
    "--path",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("."),
    show_default=True,
    help="Folder in which to create the package folder NAME/.",
)
def new_connector(name: str, path: Path) -> None:
    """Create a connector package NAME that installs, is discovered and passes its tests.

    It has a config model, one secret, one capability, a cassette and tests that
    run the connector contract. Then: `pip install -e NAME` and `pytest` inside it.
    """
    from handoff.scaffold import ScaffoldError, create_connector  # noqa: PLC0415 - fast startup

    try:
        created = create_connector(name, path)
    except ScaffoldError as exc:
        raise HandoffError(str(exc)) from None
    click.echo(f"Created {created}")
    click.echo(f"Next: pip install -e {created} && (cd {created} && pytest)")


@cli.command()
@click.option(
    "--cassettes",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("cassettes"),
    show_default=True,
    help="The folder of recorded API conversations to replay.",
)
def demo(cassettes: Path) -> None:
    """Run the main jobs on SQLite: each flow's part, its decisions printed with why.

    The hub and its worker start in this process as `handoff serve
    --with-worker` would. The chat flow's part: sample visitors are enriched
    (6sense), matched (Salesforce) and their chats routed by the GitLab
    playbook (Q3/Q4). Every API answer is replayed from recorded cassettes:
    no credentials, no network.
    """
    from handoff.demo import run_demo  # noqa: PLC0415 - fast startup

    run_demo(cassettes, echo=click.echo)


for _command in [
    *RUNTIME_COMMANDS,
    sandbox,
    *(c.load() for c in flow_commands(built_in_flows()).values()),
]:
    cli.add_command(_command)


def main() -> None:
    """Entry point: run the CLI, printing user errors as one line, never a traceback."""
    # httpx logs whole URLs at INFO, and some URLs carry a credential (Slack webhooks).
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (HandoffError, ConnectorError) as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(1)
    except SystemExit:
        raise
