"""The leads tests' harness: the hub as they drive it (config, store, clock, worker, client).

Shared by the test modules (`from harness import ...`: the importlib import
mode puts no test folder on the path, so conftest.py adds this one).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from handoff.config import HubConfig
from handoff.flows import FlowSet
from handoff.hub import Hub
from handoff.leads.records import get_lead, lead_json, transitions_of
from handoff.runtime import Worker
from handoff.store import Store
from handoff_sdk import FakeClock

Loopback = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]


@dataclass
class LeadsHub:
    """The hub as the leads tests drive it: its config, store, clock, worker and client."""

    store: Store
    clock: FakeClock
    config: HubConfig
    hub: Hub | None = None
    client: httpx.AsyncClient | None = None
    seen: list[str] = field(default_factory=list)

    def flows(self) -> FlowSet:
        return FlowSet.of(self.store, self.clock, hub=self.hub, config=self.config)

    def worker(self) -> Worker:
        flows = self.flows()
        return Worker(
            self.store,
            hub=self.hub,
            clock=self.clock,
            events=flows.event_handler(),
            handlers=flows.job_runners(),
        )

    async def drain(self, rounds: int = 50) -> None:
        """Run the worker until nothing is due (timers due now included)."""
        worker = self.worker()
        for _ in range(rounds):
            if await worker.run_once() == 0:
                return
        raise AssertionError("the worker never ran out of work")

    async def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        assert self.client is not None
        return await self.client.post(path, json=body)

    def lead(self, email: str) -> dict[str, Any]:
        with self.store.sessions() as session:
            row = get_lead(session, email, lock=False)
            assert row is not None, f"no lead {email}"
            return lead_json(row, transitions_of(session, email))


Served = Callable[[], AbstractAsyncContextManager[LeadsHub]]
"""`async with served() as hub`: the hub's app on a loopback port."""


async def new_lead(hub: LeadsHub, email: str, form: str = "contact-sales", **fields: str) -> None:
    """A lead as a person makes one: a form submitted over HTTP, then the worker."""
    response = await hub.post(
        "/v1/form-submissions",
        {"id": f"form-{form}-{email}", "form_id": form, "email": email, "fields": fields},
    )
    assert response.status_code == 202, response.text
    await hub.drain()


def count(hub: LeadsHub, model: type) -> int:
    """Rows of a table."""
    with hub.store.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)
