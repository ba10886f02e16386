"""`handoff db`: create and migrate the hub's database."""

from __future__ import annotations

from pathlib import Path

import click

from handoff.cli.options import config_option, database_option, open_store_for

__all__ = ["db"]


@click.group("db")
def db() -> None:
    """Create and migrate the hub's database (SQLite by default, PostgreSQL by URL)."""


@db.command("upgrade")
@config_option
@database_option
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def db_upgrade(config_path: Path | None, database: str | None, revision: str) -> None:
    """Create the tables, or migrate them to this version of handoff."""
    from handoff.cli.progress import step
    from handoff.store import upgrade

    store = open_store_for(config_path, database, migrated=False)
    with step(f"migrating {store.describe()} to {revision}"):
        reached = upgrade(store, revision)
    click.echo(f"{store.describe()}: at schema revision {reached}")


@db.command("current")
@config_option
@database_option
def db_current(config_path: Path | None, database: str | None) -> None:
    """Show the database's schema revision and the one this handoff needs."""
    from handoff.store import current_revision, head_revision

    store = open_store_for(config_path, database, migrated=False)
    click.echo(
        f"{store.describe()}: at {current_revision(store) or 'none'}, needs {head_revision()}"
    )
