"""What `handoff sandbox` writes: handoff.toml, its secrets file, the database, its own state.

    sandbox/
      handoff.toml     every connector pointed at its simulator; no secret in it
      secrets.cfg      the simulators' credentials, the file backend [secrets] names (0600)
      handoff.db       the hub's SQLite store, migrated
      api-key          an admin API key for the hub's /v1 routes (0600; a new one each start)
      sandbox.json     where each simulator listens, for `handoff sandbox traffic`
      <connector>/     each simulator's throwaway certificate (and the mail the relay got)

The config is an ordinary handoff.toml: the connectors' tables come from each
simulator's `connector_config`, and each flow adds the tables that turn it on
against them (`Flow.sandbox_tables`; the chat flow: routing by the GitLab
playbook, whose reps are the synthetic company's, the CRM write-back and
meeting booking when the connectors they use are there).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomli_w

from handoff.api_keys import Scope, create_key, list_keys, revoke_key
from handoff.config import SecretsSettings
from handoff.flow import load_target
from handoff.flows import built_in_flows
from handoff.secret_store import SecretStore
from handoff.store import Store, upgrade
from handoff_sdk import Connector

from .simulators import RunningSimulator

__all__ = [
    "CONFIG_NAME",
    "KEY_NAME",
    "STATE_NAME",
    "SandboxState",
    "read_key",
    "read_state",
    "sandbox_config",
    "sandbox_flow_tables",
    "write_sandbox",
]

CONFIG_NAME = "handoff.toml"
SECRETS_NAME = "secrets.cfg"
DATABASE_NAME = "handoff.db"
STATE_NAME = "sandbox.json"
KEY_NAME = "api-key"
SANDBOX_KEY = "sandbox"

_HEADER = """\
# Written by `handoff sandbox` on {when}: every connector below points at its vendor
# simulator on this machine (synthetic data, no vendor account). It is rewritten each
# time the sandbox starts, with new ports: restart the hub after restarting the sandbox.
# No secret is in this file: they are in the file named under [secrets].
# Run the hub:        handoff serve --with-worker --config {config}
# Send sample traffic: handoff sandbox traffic --dir {folder}

"""


def sandbox_config(
    running: Sequence[RunningSimulator], folder: Path, flow_tables: Mapping[str, Any]
) -> dict[str, Any]:
    """The handoff.toml of a sandbox in `folder`, as TOML-ready data.

    `flow_tables` are the flows' own tables (`Flow.sandbox_tables`), e.g. the
    chat flow's `[routing]`, `[writeback]` and `[meetings]`.
    """
    return {
        "secrets": {"backend": "file", "file": str(folder / SECRETS_NAME)},
        "store": {"url": f"sqlite:///{folder / DATABASE_NAME}"},
        "connectors": {
            r.connector: {k: v for k, v in r.config.items() if v is not None} for r in running
        },
        **flow_tables,
    }


def sandbox_flow_tables(connectors: Collection[str]) -> dict[str, Any]:
    """Every built-in flow's tables for a sandbox serving `connectors`."""
    tables: dict[str, Any] = {}
    for flow in built_in_flows():
        if flow.sandbox_tables:
            tables.update(load_target(flow.sandbox_tables)(connectors))
    return tables


def _secrets(running: RunningSimulator, connector_class: type[Connector] | None) -> dict[str, str]:
    """The simulator's credentials, and a fresh value for each other declared secret.

    A webhook's signing secret is the hub's own, not the vendor API's: a
    random one lets `handoff check` pass and a test webhook be signed.
    """
    values = dict(running.secrets)
    for spec in connector_class.secret_specs if connector_class else ():
        values.setdefault(spec.name, f"sandbox-{secrets.token_hex(16)}")
    return values


def write_sandbox(
    folder: Path,
    running: Sequence[RunningSimulator],
    connectors: dict[str, type[Connector]],
) -> Path:
    """Write the config, the secrets file, the migrated database and the state; the config's path.

    The secrets file is written anew (the simulators were seeded anew); the
    database is kept, so what the hub decided before stays explorable.
    """
    folder.mkdir(parents=True, exist_ok=True)
    config_path = folder / CONFIG_NAME
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = _HEADER.format(when=when, config=config_path, folder=folder)
    tables = sandbox_flow_tables([r.connector for r in running])
    text += tomli_w.dumps(sandbox_config(running, folder, tables))
    config_path.write_text(text, encoding="utf-8")
    secrets_file = folder / SECRETS_NAME
    secrets_file.unlink(missing_ok=True)
    store = SecretStore(SecretsSettings(backend="file", file=secrets_file))
    for item in running:
        for name, value in _secrets(item, connectors.get(item.connector)).items():
            store.set(item.connector, name, value)
    database = Store(f"sqlite:///{folder / DATABASE_NAME}")
    try:
        upgrade(database)
        _write_key(database, folder / KEY_NAME)
    finally:
        database.dispose()
    state = SandboxState(
        pid=os.getpid(),
        config=str(config_path),
        simulators={r.connector: r.url for r in running},
        certificates={r.connector: str(r.cert_file) for r in running if r.cert_file},
        mail={r.connector: str(folder / r.connector / "mail") for r in running if not r.is_http},
    )
    (folder / STATE_NAME).write_text(json.dumps(asdict(state), indent=2), encoding="utf-8")
    return config_path


def _write_key(database: Store, path: Path) -> None:
    """A new admin key for `handoff sandbox traffic` and curl, in `path` (0600); the old revoked."""
    now = datetime.now(UTC)
    for old in list_keys(database):
        if old.name == SANDBOX_KEY:
            revoke_key(database, old.id, now=now, actor="sandbox")
    new = create_key(database, SANDBOX_KEY, [Scope.ADMIN], now=now, actor="sandbox")
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(new.token + "\n")


def read_key(folder: Path) -> str | None:
    """The sandbox's API key (`api-key` in its folder), or None when there is none."""
    try:
        return (folder / KEY_NAME).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


@dataclass
class SandboxState:
    """sandbox.json: the running sandbox's process, config and simulators' addresses."""

    pid: int
    config: str
    simulators: dict[str, str]
    """Connector name -> where its simulator listens."""
    certificates: dict[str, str]
    """Connector name -> the certificate its HTTP simulator serves."""
    mail: dict[str, str]
    """Connector name -> where a mail simulator saves what it received."""

    @property
    def running(self) -> bool:
        """Whether the process that wrote it is still alive."""
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def read_state(folder: Path) -> SandboxState | None:
    """The state a sandbox in `folder` wrote, or None when there is none (or it is unreadable)."""
    path = folder / STATE_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return SandboxState(**data)
    except (OSError, ValueError, TypeError):
        return None
