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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from handoff.errors import ConfigFileError, UnknownConnectorError
from handoff_sdk import Connector, ConnectorConfig
from handoff_sdk.secrets import looks_like_secret

if TYPE_CHECKING:
    from handoff.flow import Flow

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "ConnectorSettings",
    "HubConfig",
    "SecretsSettings",
    "ShadowSettings",
    "StoreSettings",
    "WorkerSettings",
    "candidate_from_text",
    "describe_validation",
    "load_candidate",
    "load_config",
    "validate_connector_config",
    "validate_table",
    "validation_problems",
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


class ShadowSettings(BaseModel):
    """`[shadow]`: a candidate configuration decided beside the live one on every event.

    Its decisions are kept in a database of their own and never act (no job
    runs, no live cursor moves); `handoff shadow report` compares them with
    the live ones (docs/replay.md).
    """

    model_config = ConfigDict(extra="forbid")

    config: Path = Field(
        description="The candidate: a TOML file of flow tables ([routing], [tickets], ...) "
        "that replace the live ones; relative to handoff.toml's folder."
    )
    database: str | None = Field(
        default=None,
        description="Where the shadow's decisions and state are kept; default: a SQLite file "
        "named after the candidate (candidate.shadow.db) beside it. Never the live database.",
    )
    enabled: bool = Field(default=True, description="false: keep the table, decide no shadow.")


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
    """The whole of handoff.toml, validated: the hub's own tables and every flow's.

    Tables other than `[secrets]`, `[store]` and `[connectors]` belong to the
    flows (`handoff.flows`): each flow's settings model validates the tables
    it owns, here, when the config is built; a table no flow owns is refused
    naming the known ones. `Flow.settings_of(config)` reads them back, typed.
    """

    model_config = ConfigDict(extra="forbid")

    path: Path | None = Field(default=None, description="The file it was read from.")
    secrets: SecretsSettings = Field(default_factory=SecretsSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    shadow: ShadowSettings | None = Field(
        default=None, description="A candidate decided beside the live configuration."
    )
    connectors: dict[str, ConnectorSettings] = Field(default_factory=dict)
    flows: dict[str, SerializeAsAny[BaseModel]] = Field(
        default_factory=dict,
        description="Each flow's validated settings, by flow name (built from its tables).",
    )

    @model_validator(mode="wrap")
    @classmethod
    def _flow_tables(
        cls, data: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> HubConfig:
        """Hand every table that is not the hub's own to the flow that owns it."""
        if not isinstance(data, Mapping):
            result: HubConfig = handler(data)
            return result
        data = dict(data)
        tables = {k: data.pop(k) for k in list(data) if k not in cls.model_fields}
        given = data.get("flows") or {}
        problems: list[InitErrorDetails] = []
        # Every table is checked before anything is refused: one run names every problem.
        try:
            data["flows"] = _flow_settings(tables, given, info.context or {})
        except ValidationError as exc:
            problems += _as_details(exc)
            data["flows"] = {}
        try:
            result = handler(data)
        except ValidationError as exc:
            problems += _as_details(exc)
        if problems:
            raise ValidationError.from_exception_data("HubConfig", problems)
        return result

    def enabled(self) -> list[str]:
        """Names of the enabled connectors, in file order."""
        return [name for name, c in self.connectors.items() if c.enabled]


def _flow_settings(
    tables: dict[str, Any], given: Mapping[str, Any], context: Mapping[str, Any]
) -> dict[str, BaseModel]:
    """Each flow's settings from the tables it owns; unknown tables are refused by name."""
    from handoff.flows import built_in_flows, flow_tables  # noqa: PLC0415 - cycle: flows -> config

    flows = context.get("flows") or built_in_flows()
    owners = flow_tables(flows)
    unknown = [name for name in tables if name not in owners]
    if unknown:
        known = ", ".join(sorted([*_HUB_TABLES, *owners]))
        raise ValidationError.from_exception_data(
            "HubConfig",
            [
                InitErrorDetails(
                    type=PydanticCustomError(
                        "unknown_table", "unknown table; the tables are: {known}", {"known": known}
                    ),
                    loc=(name,),
                    input=tables[name],
                )
                for name in unknown
            ],
        )
    settings: dict[str, BaseModel] = {}
    problems: list[InitErrorDetails] = []
    for flow in flows:
        model = flow.settings()
        value = given.get(flow.name)
        if isinstance(value, model):
            settings[flow.name] = value
            continue
        mine = {name: table for name, table in tables.items() if owners[name] is flow}
        if isinstance(value, Mapping):
            mine = {**value, **mine}
        try:
            settings[flow.name] = model.model_validate(mine, context=context)
        except ValidationError as exc:  # the next flows' tables are checked all the same
            problems += _as_details(exc)
    if problems:
        raise ValidationError.from_exception_data("HubConfig", problems)
    return settings


def _as_details(error: ValidationError) -> list[InitErrorDetails]:
    """A validation error's problems, to be raised again together with others'."""
    return [
        InitErrorDetails(
            type=PydanticCustomError(item["type"], item["msg"]),  # rendered: no context
            loc=item["loc"],
            input=item.get("input"),
        )
        for item in error.errors()
    ]


_HUB_TABLES = ("connectors", "secrets", "shadow", "store", "worker")
"""The tables the hub itself reads; every other table belongs to a flow."""


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


_KEYED = re.compile(r"^(\[\d+\]|[A-Za-z_][A-Za-z0-9_]*)(\[\d+\]|\.[A-Za-z_][A-Za-z0-9_]*)*: ")
"""A check's message that names the entry at fault itself ('rules[0].target: no team ...')."""
_LEADING_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*")
_TRAILING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")


def describe_validation(error: ValidationError, where: str = "") -> str:
    """Each problem as `table.field: what was expected`, joined by '; ': one voice for config.

    `where` names what was validated ('routing', 'connectors.salesforce');
    list positions read `reps[0]`. A check that names the entry at fault in
    its message ('rules[0].target: no team ...') has it joined to the path.
    """
    return "; ".join(validation_problems(error, where))


def validation_problems(error: ValidationError, where: str = "") -> list[str]:
    """Each problem of `error` as `table.field: what was expected` (see describe_validation)."""
    parts = []
    for item in error.errors():
        path = where
        for part in item["loc"]:
            if isinstance(part, int):
                path += f"[{part}]"
            elif not str(part).startswith("function-"):  # pydantic's name of a validator step
                path = f"{path}.{part}" if path else str(part)
        text = "unknown key" if item["type"] == "extra_forbidden" else item["msg"]
        text = text.removeprefix("Value error, ")
        if not _KEYED.match(text):
            parts.append(f"{path}: {text}" if path else text)
            continue
        head = _LEADING_NAME.match(text)
        tail = _TRAILING_NAME.search(path)
        if head and tail and head.group() == tail.group():  # 'when' at '...when': said once
            text = text[head.end() :]
        joint = "" if text.startswith((".", "[")) or not path else "."
        parts.append(f"{path}{joint}{text}")
    return parts


M = TypeVar("M", bound=BaseModel)


def validate_table(model: type[M], table: Any, where: str = "", *, source: Path | None = None) -> M:
    """One table (or a file's worth of them) validated by its model; errors name file and field.

    `source` is the file it came from: it prefixes the message and anchors
    relative paths (`[routing] include`).
    """
    try:
        return model.model_validate(table, context={"source": source})
    except ValidationError as exc:
        prefix = f"{source}: " if source else ""
        raise ConfigFileError(prefix + describe_validation(exc, where)) from None


def load_config(
    path: Path | None = None, *, required: bool = False, flows: Sequence[Flow[Any]] | None = None
) -> HubConfig:
    """Read handoff.toml (or $HANDOFF_CONFIG); a missing optional file is an empty config.

    Every table is validated now, the flows' (default: the built-in ones) with
    the hub's own: a bad value is a ConfigFileError naming the file, the table
    and the field, whatever command reads the file.
    """
    if path is None:
        path = Path(os.environ.get("HANDOFF_CONFIG", DEFAULT_CONFIG_PATH))
    if not path.exists():
        if required:
            raise ConfigFileError(f"{path}: no such file")
        return HubConfig.model_validate({}, context={"flows": flows})
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
    if "path" in raw or "flows" in raw:
        name = "path" if "path" in raw else "flows"
        raise ConfigFileError(f"{path}: {name}: not a table handoff.toml may hold")
    try:
        return HubConfig.model_validate(
            {**raw, "path": path, "connectors": connectors},
            context={"source": path, "flows": flows, "connectors": connectors},
        )
    except ValidationError as exc:
        problems = [f"{path}: {problem}" for problem in validation_problems(exc)]
        raise ConfigFileError(f"{path}: {describe_validation(exc)}", problems) from None


def load_candidate(
    live: HubConfig, path: Path, *, flows: Sequence[Flow[Any]] | None = None
) -> HubConfig:
    """A candidate configuration: `live` with the flow tables `path` holds put in their place.

    `handoff replay --candidate` and `[shadow] config` read one. The file
    holds flow tables only (a `[routing]`, a `[tickets]`...); each replaces
    the live table of that name, the others stay as live, and the
    connectors, store and secrets are always the live ones. Errors name the
    file, table and field, as for handoff.toml.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigFileError(f"{path}: cannot be read: {exc.strerror}") from None
    return candidate_from_text(live, text, path, flows=flows)


def candidate_from_text(
    live: HubConfig, text: str, path: Path, *, flows: Sequence[Flow[Any]] | None = None
) -> HubConfig:
    """`load_candidate` of a candidate's text (`path` names it in errors and is its source).

    The console's Rules page reads an uploaded candidate with it.
    """
    from handoff.flows import built_in_flows, flow_tables  # noqa: PLC0415 - cycle: flows -> config

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(f"{path}: not valid TOML: {exc}") from None
    for name in raw:
        if name in HubConfig.model_fields:
            raise ConfigFileError(
                f"{path}: [{name}]: a candidate holds flow tables only; the connectors, "
                "store, secrets and worker are the live handoff.toml's"
            )
    known = list(flows) if flows is not None else list(built_in_flows())
    owners = flow_tables(known)
    given: dict[str, Any] = {}
    for flow in known:
        current = live.flows.get(flow.name)
        if current is None:
            continue
        if any(owners.get(table) is flow for table in raw):
            given[flow.name] = dict(current)  # its tables, as models: the candidate's replace some
        else:
            given[flow.name] = current
    try:
        return HubConfig.model_validate(
            {
                **raw,
                "path": path,
                "secrets": live.secrets,
                "store": live.store,
                "worker": live.worker,
                "connectors": live.connectors,
                "flows": given,
            },
            context={"source": path, "flows": known},
        )
    except ValidationError as exc:
        raise ConfigFileError(f"{path}: {describe_validation(exc)}") from None


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
        raise ConfigFileError(prefix + describe_validation(exc, f"connectors.{name}")) from None
