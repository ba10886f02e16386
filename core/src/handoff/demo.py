"""`make demo`: the main jobs on one machine, replayed from recordings.

The demo runs each built-in flow's part (`Flow.demo`) in turn on one SQLite
file. A part starts the hub the way `handoff serve --with-worker` does
(`DemoHub`): the flows' handler and job runners, a worker in the same
process, the connectors of its demo config answering from
cassettes/<connector>/demo.yaml with synthetic secrets (no credentials, no
network), and a clock frozen at a chosen instant, so working hours give the
same answers on every run. The part then drives the hub through its API and
prints the decisions and why.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import func, select

from handoff.api_keys import Scope, create_key
from handoff.config import HubConfig, WorkerSettings
from handoff.errors import HandoffError
from handoff.flow import Flow, Services, load_target
from handoff.flows import FlowSet, built_in_flows
from handoff.hub import Hub
from handoff.server.listener import uvicorn_config
from handoff.store import Store
from handoff.store.migrate import upgrade
from handoff.store.models import EventRecord
from handoff_sdk import ConnectorError
from handoff_sdk.secrets import DictSecrets
from handoff_sdk.testing.cassettes import CassetteMiss, CassetteTransport

__all__ = [
    "DemoHub",
    "DemoRun",
    "Echo",
    "FrozenClock",
    "Step",
    "no_step",
    "post_event",
    "run_demo",
    "wait_processed",
]

Echo = Callable[[str], None]
Step = Callable[[str], AbstractContextManager[None]]
"""Shows what is going on while a block that takes a while runs (the CLI's spinner)."""


def no_step(_message: str) -> AbstractContextManager[None]:
    """A Step that shows nothing (tests, embedding)."""
    return nullcontext()


class FrozenClock:
    """A clock whose `now` stays at one instant while waits are real.

    Working hours and daily counts depend on `now`, so a fixed one makes the
    demo's decisions the same on every run; `FakeClock` would not do here, as
    its `sleep` returns at once and the worker would spin instead of waiting.
    """

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        """The frozen instant."""
        return self._now

    def monotonic(self) -> float:
        """The process's monotonic clock (rate-limit windows still move)."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Really wait."""
        if seconds > 0:
            await asyncio.sleep(seconds)


@dataclass(frozen=True)
class DemoRun:
    """What a flow's demo part is given: where the recordings are, the store, where to print.

    `step` wraps each wait of a second or more (the server starting, the
    worker deciding), so the person watching sees what is going on.
    """

    cassettes: Path
    database: Path
    echo: Echo
    step: Step = no_step


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class DemoHub:
    """The hub of one demo part: its config, frozen clock, recorded connectors and store."""

    run: DemoRun
    config: HubConfig
    clock: FrozenClock
    secrets: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    transports: dict[str, CassetteTransport] = field(default_factory=dict)

    def _transport(self, name: str) -> httpx.AsyncBaseTransport:
        path = self.run.cassettes / name / "demo.yaml"
        try:
            self.transports[name] = CassetteTransport(path)
        except CassetteMiss:
            raise HandoffError(
                f"the demo replays {path}, which is missing; run `make demo` from the "
                "repository root, or pass --cassettes DIR"
            ) from None
        return self.transports[name]

    @property
    def replayed(self) -> int:
        """How many recorded HTTP exchanges the connectors have replayed so far."""
        return sum(len(t.requests) for t in self.transports.values())

    @asynccontextmanager
    async def serving(
        self, flows: Sequence[Flow[Any]] | None = None
    ) -> AsyncIterator[tuple[httpx.AsyncClient, Store]]:
        """The hub serving on a loopback port with its worker; yields a client and the store.

        One job at a time, so decisions are taken (and printed) in arrival order.
        """
        hub = Hub(
            self.config,
            secrets=lambda name: DictSecrets(name, dict(self.secrets.get(name, {}))),
            clock=self.clock,
            transport=self._transport,
        )
        store = Store(f"sqlite:///{self.run.database}")
        assembled = FlowSet(Services(self.config, store, self.clock, lambda: hub), flows)
        app = assembled.app(with_worker=True, worker_settings=WorkerSettings(concurrency=1))
        port = _free_port()
        server = uvicorn.Server(
            uvicorn_config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        )
        task = asyncio.create_task(server.serve())
        try:
            with self.run.step("starting the hub's server and worker"):
                while not server.started:
                    if task.done():
                        raise HandoffError(f"the demo's server could not start on port {port}")
                    await asyncio.sleep(0.05)
            self.run.echo(
                f"hub listening on http://127.0.0.1:{port} (worker in the same process), "
                f"store {self.run.database}"
            )
            key = await asyncio.to_thread(
                create_key, store, f"demo-{port}", [Scope.ADMIN], now=self.clock.now(), actor="demo"
            )
            headers = {"Authorization": f"Bearer {key.token}"}
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", headers=headers
            ) as client:
                yield client, store
        finally:
            server.should_exit = True
            await task
            await hub.aclose()
            store.dispose()


async def post_event(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> int:
    """POST one event to the hub's API; its stored id (anything but a 202 stops the demo)."""
    response = await client.post(path, json=body)
    if response.status_code != 202:
        raise HandoffError(f"the hub refused {path}: {response.text}")
    return int(response.json()["event_id"])


async def wait_processed(store: Store, count: int, limit_seconds: float = 60.0) -> None:
    """Wait until the worker has processed `count` events in all."""

    def processed() -> int:
        with store.sessions() as session:
            done = select(func.count()).where(EventRecord.processed_at.is_not(None))
            return int(session.scalar(done) or 0)

    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_seconds
    while await asyncio.to_thread(processed) < count:
        if loop.time() > deadline:
            raise HandoffError("the demo's worker did not process the events in time")
        await asyncio.sleep(0.05)


def run_demo(
    cassettes: Path,
    workdir: Path = Path(".handoff"),
    echo: Echo = print,
    flows: Sequence[Flow[Any]] | None = None,
    step: Step = no_step,
) -> dict[str, Mapping[str, int]]:
    """Run every flow's demo part and print its decisions and why; the tallies, by flow.

    The SQLite store is `workdir/demo.sqlite3`, made anew each run and kept
    afterwards for `handoff explain`.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "demo.sqlite3"
    for leftover in workdir.glob("demo.sqlite3*"):
        leftover.unlink()
    echo(
        f"handoff demo: replaying recorded API conversations from {cassettes}/. No "
        "credentials, no network: every answer below comes from a recording of synthetic data."
    )
    with step(f"creating the demo's database {database}"):
        store = Store(f"sqlite:///{database}")
        upgrade(store)
        store.dispose()
    run = DemoRun(cassettes, database, echo, step)
    tallies: dict[str, Mapping[str, int]] = {}
    for flow in flows if flows is not None else built_in_flows():
        if flow.demo is None:
            continue
        part: Callable[[DemoRun], Mapping[str, int]] = load_target(flow.demo)
        try:
            tallies[flow.name] = part(run)
        except ConnectorError as exc:
            raise HandoffError(f"the demo failed: {exc}") from None
    return tallies
