"""Fuzz the intake from its own OpenAPI document: whatever is sent, never a 5xx.

The suite run is derandomized so CI is repeatable. To search wider, set
HANDOFF_FUZZ_EXAMPLES (e.g. 2000): the run is then random, new each time, and a
failure prints the case to add as a regression test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings

from handoff.config import ConnectorSettings, HubConfig
from handoff.hub import Hub
from handoff.plugins import Discovery
from handoff.server import create_app
from handoff.store import Store, upgrade
from handoff_sdk import FakeClock
from handoff_sdk.secrets import DictSecrets

from .test_server import SignedConnector

DEEP_EXAMPLES = int(os.environ.get("HANDOFF_FUZZ_EXAMPLES", "0"))


@pytest.fixture
def fuzz_app(tmp_path: Path) -> Iterator[FastAPI]:
    path: Path = tmp_path / "handoff.db"
    store = Store(f"sqlite:///{path}")
    upgrade(store)
    clock = FakeClock()
    hub = Hub(
        HubConfig(connectors={"signed": ConnectorSettings()}),
        secrets=lambda name: DictSecrets(name, {}),
        discovery=Discovery(connectors={"signed": SignedConnector}, packages={"signed": "t"}),
        clock=clock,
    )
    yield create_app(store, hub=hub, clock=clock)
    store.dispose()


def test_no_request_makes_the_api_fail(fuzz_app: FastAPI) -> None:
    """Every operation of the OpenAPI document, with generated valid and invalid requests."""
    api = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 9
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=DEEP_EXAMPLES or 40,
            derandomize=not DEEP_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate()

        fuzz()
