"""Schema migrations: Alembic, with its scripts inside the package, driven from code."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from handoff.store.engine import Store, StoreError

__all__ = [
    "current_revision",
    "ensure_current",
    "head_revision",
    "include_in_comparison",
    "upgrade",
]

SCRIPT_LOCATION = "handoff:migrations"


def include_in_comparison(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's `include_object`: leave out what a migration makes by hand, outside the models.

    A flow's models module names such tables, columns and indexes in
    `Base.metadata.info["unmanaged"]` (a full-text index: SQLite's FTS5 tables,
    PostgreSQL's tsvector column and its GIN index), since SQLAlchemy has no
    type for them; the schema comparison would otherwise report them as drift.
    """
    from handoff.store.models import Base  # noqa: PLC0415 - the models import this module's peers

    del obj, type_, reflected, compare_to
    unmanaged: set[str] = Base.metadata.info.get("unmanaged", set())
    return name not in unmanaged


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
