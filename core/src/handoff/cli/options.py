"""Options shared by the CLI's command modules, defined once."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from handoff.errors import ConfigFileError

if TYPE_CHECKING:
    from handoff.config import HubConfig, WorkerSettings
    from handoff.store import Store

__all__ = [
    "config_option",
    "database_option",
    "json_option",
    "log_to_stderr",
    "open_store_for",
    "store_options",
    "worker_options",
    "worker_settings_for",
]

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


def store_options(func: F) -> F:
    """`--config` and `--database`: what every command that reads the store takes."""
    return config_option(database_option(func))


def json_option(func: F) -> F:
    """`--json`, passed as `as_json`: print the table as JSON instead of text."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(func)


def open_store_for(
    config_path: Path | None, database: str | None, *, migrated: bool = True, wait: bool = False
) -> Store:
    """The store a command works on; refuses one at an older schema unless `migrated=False`.

    `wait`: a long-running command (serve, worker) waits for an unreachable
    database, logging each try, instead of exiting.
    """
    from handoff.config import load_config
    from handoff.store import ensure_current, open_store, wait_until_available

    store = open_store(load_config(config_path), database)
    if migrated and wait:
        wait_until_available(store, ensure_current)
    elif migrated:
        ensure_current(store)
    return store


def log_to_stderr() -> None:
    """Show the hub's own log lines (INFO and up) and everyone's warnings, on stderr.

    For the long-running commands, whose log is how an operator learns of an
    outage ("database unavailable, trying again in 4 s"). httpx stays at
    WARNING: it logs whole URLs at INFO, and some URLs carry a credential
    (Slack webhooks).
    """
    import logging

    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(
            level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("handoff").setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _kind_timeout(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> Any:
    timeouts: dict[str, float] = {}
    for value in values:
        kind, sep, seconds = value.partition("=")
        try:
            timeouts[kind.strip()] = float(seconds)
        except ValueError:
            sep = ""
        if not sep or not kind.strip():
            raise click.BadParameter(f"'{value}': expected KIND=SECONDS, e.g. event=30")
    return timeouts


def worker_options(func: F) -> F:
    """The worker's knobs, shared by `handoff worker` and `handoff serve --with-worker`.

    Each defaults to handoff.toml's [worker] table, then to the built-in value;
    the command receives them as `worker` (a dict of the options given).
    """
    options = [
        click.option(
            "--concurrency",
            "-c",
            type=click.IntRange(min=1),
            help="Jobs in flight at once (default: [worker] concurrency, else 10).",
        ),
        click.option(
            "--lease",
            type=click.FloatRange(min=0, min_open=True),
            help="Seconds a claimed job is this worker's; a worker that dies loses its jobs "
            "after this, and a job whose lease ran out on its last attempt is dead with "
            "'worker lost' (default: [worker] lease_seconds, else 300).",
        ),
        click.option(
            "--poll",
            type=click.FloatRange(min=0, min_open=True),
            help="Seconds between polls when idle (default: [worker] poll_seconds, else 1).",
        ),
        click.option(
            "--job-timeout",
            type=click.FloatRange(min=0, min_open=True),
            help="Seconds a job may run before it fails as timed out and is retried; shorter "
            "than the lease (default: [worker] job_timeout_seconds, else 60).",
        ),
        click.option(
            "--kind-timeout",
            multiple=True,
            metavar="KIND=SECONDS",
            callback=_kind_timeout,
            help="The timeout of one job kind (event, hook, meeting.book, ...); repeatable, "
            "added to [worker.job_timeouts].",
        ),
    ]

    @functools.wraps(func)  # keeps the options already attached to `func`
    def collect(**kwargs: Any) -> Any:
        names = ("concurrency", "lease", "poll", "job_timeout", "kind_timeout")
        kwargs["worker"] = {name: kwargs.pop(name) for name in names}
        return func(**kwargs)

    wrapped: Any = collect
    for option in reversed(options):
        wrapped = option(wrapped)
    return wrapped  # type: ignore[no-any-return]


def worker_settings_for(config: HubConfig, given: dict[str, Any]) -> WorkerSettings:
    """[worker] from handoff.toml with the command line's options on top, validated together."""
    from pydantic import ValidationError

    from handoff.config import WorkerSettings

    merged = config.worker.model_dump()
    renames = {
        "concurrency": "concurrency",
        "lease": "lease_seconds",
        "poll": "poll_seconds",
        "job_timeout": "job_timeout_seconds",
    }
    for option, key in renames.items():
        if given.get(option) is not None:
            merged[key] = given[option]
    merged["job_timeouts"] = {**merged["job_timeouts"], **(given.get("kind_timeout") or {})}
    try:
        return WorkerSettings.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise ConfigFileError(f"worker options: {problems}") from None
