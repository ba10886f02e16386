"""`handoff keys create|list|revoke`: the API keys of the hub's /v1 routes and /metrics.

Each command works on the database directly (no running server needed);
changes are audited as `cli:<OS user>`. Store imports happen inside each
command, so `handoff --help` stays fast.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from handoff.cli.options import json_option, open_store_for, store_options

__all__ = ["keys"]

_SCOPES = ("ingest", "rep", "ops", "admin")


def _now() -> datetime:
    return datetime.now(UTC)


@click.group("keys")
def keys() -> None:
    """API keys: who may call the hub's /v1 routes and /metrics, and for what.

    Scopes: ingest (post events, book meetings for visitors), rep (act as ONE
    rep: presence, engage, misroute flags, live visitors; --rep names it),
    ops (read metrics, decisions, queues, leads; move leads; /metrics),
    admin (everything). Clients send `Authorization: Bearer <key>`.
    Webhooks need no key: their sender's signature authenticates them.
    """


@keys.command("create")
@store_options
@json_option
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(_SCOPES),
    help="What the key may do; repeat for several.",
)
@click.option("--rep", "rep_id", default=None, help="The rep a 'rep' key acts for (its id).")
def keys_create(  # noqa: PLR0917 - click passes each option
    config_path: Path | None,
    database: str | None,
    as_json: bool,
    name: str,
    scopes: tuple[str, ...],
    rep_id: str | None,
) -> None:
    """Create key NAME and print it: the only time the key is shown (only its hash is stored)."""
    from handoff.api_keys import cli_actor, create_key

    store = open_store_for(config_path, database)
    new = create_key(store, name, scopes, rep_id=rep_id, now=_now(), actor=cli_actor())
    if as_json:
        click.echo(json.dumps({**new.info.to_json(), "key": new.token}, indent=2))
        return
    rep = f" for rep {new.info.rep_id}" if new.info.rep_id else ""
    click.echo(f"Created key {new.info.id} '{name}' ({', '.join(sorted(new.info.scopes))}){rep}.")
    click.echo(new.token)
    click.echo("Keep it now: it is not shown again. Send it as 'Authorization: Bearer <key>'.")


@keys.command("list")
@store_options
@json_option
@click.option("--all", "include_revoked", is_flag=True, help="Also the revoked keys.")
def keys_list(
    config_path: Path | None, database: str | None, as_json: bool, include_revoked: bool
) -> None:
    """List the keys: id (its public prefix), name, scopes, rep, when created. Never secrets."""
    from handoff.api_keys import list_keys

    store = open_store_for(config_path, database)
    found = list_keys(store, include_revoked=include_revoked)
    if as_json:
        click.echo(json.dumps([k.to_json() for k in found], indent=2))
        return
    if not found:
        click.echo("no keys (create one: handoff keys create NAME --scope ...)")
        return
    for key in found:
        scopes = ",".join(sorted(key.scopes)) + (f"({key.rep_id})" if key.rep_id else "")
        line = f"{key.id}  {key.name:<20} {scopes:<24} created {key.created_at:%Y-%m-%d %H:%M}"
        line += f" by {key.created_by}"
        if key.revoked_at is not None:
            line += f"  revoked {key.revoked_at:%Y-%m-%d %H:%M}"
        click.echo(line)


@keys.command("revoke")
@store_options
@json_option
@click.argument("key")
def keys_revoke(config_path: Path | None, database: str | None, as_json: bool, key: str) -> None:
    """Revoke KEY (its id or name): refused by every server within 10 seconds."""
    from handoff.api_keys import CACHE_SECONDS, cli_actor, revoke_key

    store = open_store_for(config_path, database)
    info = revoke_key(store, key, now=_now(), actor=cli_actor())
    if as_json:
        click.echo(json.dumps(info.to_json(), indent=2))
        return
    click.echo(
        f"Revoked key {info.id} '{info.name}': servers refuse it within {CACHE_SECONDS} seconds."
    )
