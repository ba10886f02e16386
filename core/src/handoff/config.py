"""handoff.toml: which connectors are enabled, their non-secret settings, where secrets live.

    [secrets]
    backend = "keyring"            # or "file" on a machine without a desktop keyring
    # file = "~/.local/share/handoff/secrets.cfg"

    [connectors.salesforce]
    enabled = true
    instance_url = "https://acme.my.salesforce.com"

Secrets never go in this file: a key named like a secret, or a value shaped
like a credential, is refused with the key's name.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from handoff.errors import ConfigFileError, UnknownConnectorError
from handoff_sdk import Connector, ConnectorConfig
from handoff_sdk.secrets import looks_like_secret

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "ConnectorSettings",
    "HubConfig",
    "SecretsSettings",
    "StoreSettings",
    "WorkerSettings",
    "load_config",
    "validate_connector_config",
]

DEFAULT_CONFIG_PATH = Path("handoff.toml")

_URL_PASSWORD = re.compile(r"://[^/@:]+:[^/@]+@")

_SECRET_KEY_SUFFIXES = ("secret", "password", "_token", "api_key", "apikey", "private_key")


class SecretsSettings(BaseModel):
    """Where secrets are kept. Environment variables override either backend."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["keyring", "file"] = Field(
        default="keyring",
        description="'keyring': the OS keyring. 'file': a plaintext file readable only by you, "
        "for servers and containers without a desktop keyring.",
    )
    file: Path = Field(
        default=Path("~/.local/share/handoff/secrets.cfg"),
        description="The file of the 'file' backend.",
    )


class StoreSettings(BaseModel):
    """`[store]`: the database. SQLite by default; PostgreSQL when several workers share load.

    The environment variable HANDOFF_DATABASE_URL overrides `url`; a URL holding a
    password belongs there (or in ~/.pgpass), never in handoff.toml.
    """

    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        default="sqlite:///handoff.db",
        description="SQLAlchemy URL: 'sqlite:///path/handoff.db' or "
        "'postgresql+psycopg://user@host:5432/dbname'.",
    )
    busy_timeout_ms: int = Field(
        default=5000, ge=0, description="SQLite: how long a writer waits for the lock."
    )
    pool_size: int = Field(default=10, ge=1, description="PostgreSQL: connections per process.")
    connect_timeout_s: int = Field(
        default=5,
        ge=1,
        description="PostgreSQL: seconds to wait for a connection before counting the database "
        "unavailable (the API answers 503, the worker backs off).",
    )

    @field_validator("url")
    @classmethod
    def _no_password(cls, value: str) -> str:
        if value.startswith("postgresql") and _URL_PASSWORD.search(value):
            raise ValueError(
                "a database password does not belong in handoff.toml; "
                "set HANDOFF_DATABASE_URL or use ~/.pgpass"
            )
        return value


class WorkerSettings(BaseModel):
    """`[worker]`: how `handoff worker` and `handoff serve --with-worker` run the outbox.

    The command line's options (`--concurrency`, `--lease`, `--poll`,
    `--job-timeout`, `--kind-timeout KIND=SECONDS`) override these.
    """

    model_config = ConfigDict(extra="forbid")

    concurrency: int = Field(default=10, ge=1, description="Jobs in flight at once.")
    lease_seconds: float = Field(
        default=300.0,
        gt=0,
        description="How long a claimed job belongs to its worker; a worker that dies loses "
        "its jobs after this. Longer than every job timeout.",
    )
    poll_seconds: float = Field(default=1.0, gt=0, description="Seconds between idle polls.")
    job_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How long a job may run before it counts as failed and is retried.",
    )
    job_timeouts: dict[str, float] = Field(
        default_factory=dict,
        description="Per job kind ('event', 'hook', 'meeting.book', ...): seconds, overriding "
        "job_timeout_seconds.",
    )

    @model_validator(mode="after")
    def _timeouts_inside_the_lease(self) -> WorkerSettings:
        timeouts = {
            "job_timeout_seconds": self.job_timeout_seconds,
            **{f"job_timeouts.{k}": v for k, v in self.job_timeouts.items()},
        }
        bad = [
            f"{key} = {value:g}"
            for key, value in timeouts.items()
            if not 0 < value < self.lease_seconds
        ]
        if bad:
            raise ValueError(
                f"{', '.join(bad)}: each must be above 0 and below lease_seconds "
                f"({self.lease_seconds:g}), or a job still running when its lease ends runs twice"
            )
        return self


class ConnectorSettings(BaseModel):
    """One `[connectors.NAME]` table: `enabled` plus the connector's own settings."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Whether the hub builds this connector.")
    settings: dict[str, Any] = Field(
        default_factory=dict, description="Every other key of the table, for the connector."
    )


class HubConfig(BaseModel):
    """The whole of handoff.toml, validated."""

    model_config = ConfigDict(extra="forbid")

    path: Path | None = Field(default=None, description="The file it was read from.")
    secrets: SecretsSettings = Field(default_factory=SecretsSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    connectors: dict[str, ConnectorSettings] = Field(default_factory=dict)
    routing: dict[str, Any] = Field(
        default_factory=dict,
        description="The [routing] table (reps, teams, pools, rules), for handoff.chat.routing.",
    )
    writeback: dict[str, Any] = Field(
        default_factory=dict,
        description="The [writeback] table (Q11 CRM write-back), for handoff.chat.writeback.",
    )
    meetings: dict[str, Any] = Field(
        default_factory=dict,
        description="The [meetings] table (Q12 booking: calendar connector, video link, "
        "defaults), for handoff.chat.meetings.",
    )
    experiences: list[dict[str, Any]] = Field(
        default_factory=list,
        description="The [[experiences]] tables (chat experiences, Q8/Q9); validated by "
        "handoff.chat.experiences.",
    )

    def enabled(self) -> list[str]:
        """Names of the enabled connectors, in file order."""
        return [name for name, c in self.connectors.items() if c.enabled]


def _refuse_secrets(table: dict[str, Any], where: str) -> None:
    for key, value in table.items():
        here = f"{where}.{key}"
        if isinstance(value, dict):
            _refuse_secrets(value, here)
            continue
        if not isinstance(value, str) or not value:
            continue
        lowered = key.lower()
        if lowered == "token" or lowered.endswith(_SECRET_KEY_SUFFIXES):
            raise ConfigFileError(
                f"{here}: secrets do not belong in handoff.toml; remove the key and run "
                f"`handoff secrets set {where.rsplit('.', maxsplit=1)[-1]} {key}`"
            )
        kind = looks_like_secret(value)
        if kind:
            raise ConfigFileError(
                f"{here}: the value looks like a {kind}; secrets do not belong in handoff.toml "
                "(use `handoff secrets set`)"
            )


def _format_validation(error: ValidationError, where: str) -> str:
    parts = []
    for item in error.errors():
        loc = ".".join(str(p) for p in item["loc"])
        field = f"{where}.{loc}" if loc else where
        expected = item["msg"]
        if item["type"] == "extra_forbidden":
            expected = "unknown key"
        parts.append(f"{field}: {expected}")
    return "; ".join(parts)


def load_config(path: Path | None = None, *, required: bool = False) -> HubConfig:
    """Read handoff.toml (or $HANDOFF_CONFIG); a missing optional file is an empty config."""
    if path is None:
        path = Path(os.environ.get("HANDOFF_CONFIG", DEFAULT_CONFIG_PATH))
    if not path.exists():
        if required:
            raise ConfigFileError(f"{path}: no such file")
        return HubConfig()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigFileError(f"{path}: cannot be read: {exc.strerror}") from None
    connectors_raw = raw.pop("connectors", {})
    if not isinstance(connectors_raw, dict):
        raise ConfigFileError(f"{path}: [connectors] must be a table of tables")
    connectors: dict[str, ConnectorSettings] = {}
    for name, table in connectors_raw.items():
        where = f"connectors.{name}"
        if not isinstance(table, dict):
            raise ConfigFileError(f"{path}: [{where}] must be a table")
        _refuse_secrets(table, where)
        enabled = table.pop("enabled", True)
        if not isinstance(enabled, bool):
            raise ConfigFileError(f"{path}: {where}.enabled: expected true or false")
        connectors[name] = ConnectorSettings(enabled=enabled, settings=table)
    try:
        return HubConfig(path=path, connectors=connectors, **raw)
    except ValidationError as exc:
        raise ConfigFileError(f"{path}: {_format_validation(exc, 'handoff.toml')}") from None


def validate_connector_config(
    name: str,
    settings: ConnectorSettings,
    available: dict[str, type[Connector]],
    source: Path | None = None,
) -> ConnectorConfig:
    """The connector's own config model applied to its table, with errors naming the field."""
    prefix = f"{source}: " if source else ""
    if name not in available:
        raise UnknownConnectorError(name, list(available), prefix + f"[connectors.{name}]: ")
    model = available[name].config_model
    try:
        return model.model_validate(settings.settings)
    except ValidationError as exc:
        raise ConfigFileError(prefix + _format_validation(exc, f"connectors.{name}")) from None
