"""Schema migrations: Alembic, with its scripts inside the package, driven from code."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from handoff.store.engine import Store, StoreError

__all__ = ["current_revision", "ensure_current", "head_revision", "upgrade"]

SCRIPT_LOCATION = "handoff:migrations"


def _config(store: Store) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


def upgrade(store: Store, revision: str = "head") -> str | None:
    """Bring the database to `revision` (default: the newest); returns the revision reached."""
    config = _config(store)
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return current_revision(store)


def head_revision() -> str | None:
    """The newest revision this version of handoff ships."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision(store: Store) -> str | None:
    """The revision the database is at (None: never migrated)."""
    with store.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def ensure_current(store: Store) -> None:
    """Refuse to run against a database at another schema revision than this code's."""
    current, head = current_revision(store), head_revision()
    if current != head:
        raise StoreError(
            f"database {store.describe()} is at schema revision {current or 'none'}, "
            f"this handoff needs {head}: run `handoff db upgrade`"
        )
