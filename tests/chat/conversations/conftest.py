"""Fixtures of the conversation tests: a migrated SQLite store and a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from handoff.config import HubConfig
from handoff.server import create_app
from handoff.store import Store
from handoff_sdk import FakeClock

REPS = ("ana", "bo", "cy")
"""The reps of the conversation tests' [routing] (PUT /v1/reps/{id}/status knows only these)."""


@pytest.fixture
async def app(store: Store, clock: FakeClock) -> AsyncIterator[FastAPI]:
    """The hub's app with a [routing] table naming the tests' reps."""
    routing = {"reps": [{"id": rep, "name": rep.title()} for rep in REPS]}
    built = create_app(store, config=HubConfig(routing=routing), clock=clock)
    yield built
    await built.state.intake.aclose()
