"""Fixtures of the runtime tests: a migrated SQLite store and a hub whose one connector
records every write it receives (the PostgreSQL fixtures are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from handoff.config import ConnectorSettings, HubConfig
from handoff.hub import Hub
from handoff.plugins import Discovery
from handoff_sdk import Connector, FakeClock, hookimpl
from handoff_sdk.entities import Case, Notification, WriteResult
from handoff_sdk.secrets import DictSecrets

Loopback = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
"""The type of the `loopback` fixture (tests/conftest.py): an app served on 127.0.0.1."""


class RecordingConnector(Connector):
    """Records each write with its idempotency key; fails on demand, by subject."""

    name = "recorder"
    title = "Recorder"
    calls: list[tuple[str, str, Any]] = []  # noqa: RUF012 - shared on purpose, reset per test
    failures: dict[str, int] = {}  # noqa: RUF012 - text -> times to fail before succeeding

    @hookimpl
    async def handoff_send_notification(
        self, notification: Notification, idempotency_key: str
    ) -> WriteResult:
        type(self).calls.append(("notify", idempotency_key, notification))
        left = type(self).failures.get(notification.text, 0)
        if left:
            type(self).failures[notification.text] = left - 1
            raise ConnectionError(f"slack down for {notification.text}")
        return WriteResult(index=0, ok=True, id=f"msg-{idempotency_key}")

    @hookimpl
    async def handoff_create_case(self, case: Case, idempotency_key: str) -> WriteResult:
        type(self).calls.append(("case", idempotency_key, case))
        return WriteResult(index=0, ok=True, id="case-1", created=True)


@pytest.fixture
def recorder() -> Iterator[type[RecordingConnector]]:
    RecordingConnector.calls = []
    RecordingConnector.failures = {}
    yield RecordingConnector
    RecordingConnector.calls = []
    RecordingConnector.failures = {}


def make_hub(clock: FakeClock, classes: dict[str, type[Connector]]) -> Hub:
    """A hub with these connector classes enabled, no secrets, no network."""
    return Hub(
        HubConfig(connectors={name: ConnectorSettings() for name in classes}),
        secrets=lambda name: DictSecrets(name, {}),
        discovery=Discovery(connectors=classes, packages=dict.fromkeys(classes, "test")),
        clock=clock,
    )


@pytest.fixture
async def hub(clock: FakeClock, recorder: type[RecordingConnector]) -> Any:
    async with make_hub(clock, {"recorder": recorder}) as built:
        yield built
