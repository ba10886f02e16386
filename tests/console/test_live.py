"""The console's live parts: server-sent events of what changed, ended with the session;
reads shared by every console following the same thing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from console_kit import Loopback, sign_in  # type: ignore[import-not-found]
from fastapi import FastAPI
from keyed import key_headers  # type: ignore[import-not-found]
from test_chat_pages import ROUTING  # type: ignore[import-not-found]

from handoff.config import HubConfig
from handoff.console import Console
from handoff.console.users import UserInfo
from handoff.server import create_app
from handoff.store import Store
from handoff_sdk import FakeClock


@pytest.fixture
async def app(store: Store, clock: FakeClock) -> AsyncIterator[FastAPI]:
    """The hub's app with two reps in [routing]; live parts re-rendered every 0.05 s."""
    built = create_app(store, config=HubConfig(routing=ROUTING), clock=clock)
    built.state.console.live_interval = 0.05
    yield built
    await built.state.intake.aclose()


async def events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, str]]:
    """(name, data) of each server-sent event."""
    name, data = "", []
    async for line in lines:
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and name:
            yield name, "\n".join(data)
            name, data = "", []


async def test_a_live_part_is_sent_when_it_changes_and_the_stream_ends_with_the_session(
    app: FastAPI, store: Store, loopback: Loopback, console_user: Callable[..., UserInfo]
) -> None:
    console_user("olga", "ops")
    async with loopback(app, headers={}) as client:
        csrf = await sign_in(client, "olga")
        async with (
            httpx.AsyncClient(base_url=client.base_url, headers=key_headers(store, "admin")) as api,
            client.stream("GET", "/console/reps/stream") as stream,
        ):
            assert stream.headers["content-type"].startswith("text/event-stream")
            received = events(stream.aiter_lines())
            name, first = await anext(received)
            assert name == "reps"
            assert "offline" in first.split('id="rep-ana"')[1].split("</tr>")[0]
            await api.put("/v1/reps/ana/status", json={"status": "away"})
            name, second = await asyncio.wait_for(anext(received), 30)
            assert name == "reps"  # sent because it changed (and not before: nothing had)
            assert "away" in second.split('id="rep-ana"')[1].split("</tr>")[0]
            out = await client.post("/console/sign-out", headers={"X-CSRF-Token": csrf})
            assert out.status_code == 303
            name, _ = await asyncio.wait_for(anext(received), 30)
            assert name == "signed-out"
            with pytest.raises(StopAsyncIteration):
                await asyncio.wait_for(anext(received), 30)


async def test_shared_reads_load_once_per_interval_for_every_console(
    store: Store, clock: FakeClock
) -> None:
    console = Console(store, clock, [], live_interval=60)
    loads = 0

    async def load() -> int:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0)
        return loads

    results = await asyncio.gather(*(console.shared_read("k", load) for _ in range(20)))
    assert results == [1] * 20
    assert loads == 1
    assert await console.shared_read("other", load) == 2  # another key, its own read
    console.live_interval = 0
    assert await console.shared_read("k", load) == 3  # the interval passed: read again

    async def broken() -> int:
        raise RuntimeError("store down")

    console.live_interval = 60
    with pytest.raises(RuntimeError):
        await console.shared_read("b", broken)
    assert await console.shared_read("b", load) == 4  # a failed read is not kept
