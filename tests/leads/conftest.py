"""What the leads flow's tests share: the hub over a loopback port, a worker, a fake clock."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from handoff.config import HubConfig
from handoff.server import create_app
from handoff.store import Store
from handoff_sdk import FakeClock

# The tests share harness.py (importlib import mode puts no test folder on the path).
sys.path.insert(0, str(Path(__file__).parent))

from harness import LeadsHub  # type: ignore[import-not-found]

Loopback = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def leads_config() -> dict[str, Any]:
    """The `[leads]` table of the test (a folder's conftest or a test may override it)."""
    return {"crm": None, "marketing": None}


@pytest.fixture
def leads_hub(store: Store, clock: FakeClock, leads_config: dict[str, Any]) -> LeadsHub:
    return LeadsHub(store, clock, HubConfig(leads=leads_config))


@pytest.fixture
def served(
    leads_hub: LeadsHub, loopback: Loopback
) -> Callable[[], AbstractAsyncContextManager[LeadsHub]]:
    """`async with served() as hub`: the hub's app on a loopback port, `hub.client` set."""

    @asynccontextmanager
    async def serve() -> AsyncIterator[LeadsHub]:
        app = create_app(
            leads_hub.store, config=leads_hub.config, hub=leads_hub.hub, clock=leads_hub.clock
        )
        async with loopback(app) as client:
            leads_hub.client = client
            try:
                yield leads_hub
            finally:
                leads_hub.client = None

    return serve
