"""`handoff users add|list|remove`: who may sign in to the web console (/console).

Each command works on the database directly (no running server needed);
changes are audited as `cli:<OS user>`. A password is never an argument
(it would stay in the shell's history and the process list): it is
prompted for, hidden and twice, or read from standard input when that is
not a terminal (`printf '%s' "$PASSWORD" | handoff users add ...`).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from handoff.cli.options import json_option, open_store_for, store_options

__all__ = ["users"]

_ROLES = ("rep", "ops", "admin")


def _now() -> datetime:
    return datetime.now(UTC)


@click.group("users")
def users() -> None:
    """Console users: who may sign in to the web console, with which role.

    Roles are the API's scopes: rep (one rep's own live visitors, presence
    and data; --rep names the rep), ops (everyone's data, the operations
    pages), admin (everything). Passwords are stored as Argon2id hashes.
    """


@users.command("add")
@store_options
@json_option
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(_ROLES), help="What the user may do.")
@click.option("--rep", "rep_id", default=None, help="The rep a 'rep' user is (its id).")
def users_add(  # noqa: PLR0917 - click passes each option
    config_path: Path | None,
    database: str | None,
    as_json: bool,
    name: str,
    role: str,
    rep_id: str | None,
) -> None:
    """Add user NAME; the password is prompted for (or read from stdin, not a terminal)."""
    from handoff.api_keys import cli_actor
    from handoff.console.users import MIN_PASSWORD, add_user

    if sys.stdin.isatty():
        password = click.prompt(
            f"password for {name} (at least {MIN_PASSWORD} characters)",
            hide_input=True,
            confirmation_prompt=True,
        )
    else:
        password = sys.stdin.read().rstrip("\r\n")
    store = open_store_for(config_path, database)
    user = add_user(store, name, password, role, rep_id=rep_id, now=_now(), actor=cli_actor())
    if as_json:
        click.echo(json.dumps(user.to_json(), indent=2))
        return
    rep = f" for rep {user.rep_id}" if user.rep_id else ""
    click.echo(f"Added console user '{user.name}' ({user.role.value}){rep}: sign in at /console.")


@users.command("list")
@store_options
@json_option
def users_list(config_path: Path | None, database: str | None, as_json: bool) -> None:
    """List the console users: name, role, rep, when and by whom added. Never passwords."""
    from handoff.console.users import list_users

    store = open_store_for(config_path, database)
    found = list_users(store)
    if as_json:
        click.echo(json.dumps([u.to_json() for u in found], indent=2))
        return
    if not found:
        click.echo("no console users (add one: handoff users add NAME --role ...)")
        return
    for user in found:
        role = user.role.value + (f"({user.rep_id})" if user.rep_id else "")
        click.echo(
            f"{user.name:<24} {role:<24} added {user.created_at:%Y-%m-%d %H:%M} by "
            f"{user.created_by}"
        )


@users.command("remove")
@store_options
@json_option
@click.argument("name")
def users_remove(config_path: Path | None, database: str | None, as_json: bool, name: str) -> None:
    """Remove user NAME; their sessions end at once."""
    from handoff.api_keys import cli_actor
    from handoff.console.users import remove_user

    store = open_store_for(config_path, database)
    user = remove_user(store, name, now=_now(), actor=cli_actor())
    if as_json:
        click.echo(json.dumps(user.to_json(), indent=2))
        return
    click.echo(f"Removed console user '{user.name}' ({user.role.value}); their sessions ended.")
