"""Options shared by the CLI's command modules, defined once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from handoff.config import load_config

if TYPE_CHECKING:
    from handoff.store import Store

__all__ = ["config_option", "database_option", "open_store_for"]

F = TypeVar("F", bound=Callable[..., Any])


def config_option(func: F) -> F:
    """`--config PATH` (or HANDOFF_CONFIG), passed to the command as `config_path`."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        envvar="HANDOFF_CONFIG",
        show_envvar=True,
        help="The config file. Default: ./handoff.toml.",
    )(func)


def database_option(func: F) -> F:
    """`--database URL`, passed as `database` (else $HANDOFF_DATABASE_URL, else [store] url)."""
    return click.option(
        "--database",
        "database",
        default=None,
        help="Database URL; default: $HANDOFF_DATABASE_URL, else [store] url in handoff.toml.",
    )(func)


def open_store_for(
    config_path: Path | None, database: str | None, *, migrated: bool = True
) -> Store:
    """The store a command works on; refuses one at an older schema unless `migrated=False`."""
    from handoff.store import ensure_current, open_store  # noqa: PLC0415 - fast startup

    store = open_store(load_config(config_path), database)
    if migrated:
        ensure_current(store)
    return store
