"""Q4 through the public API: a rep who joined a human-first chat in time keeps it.

The hub is configured as a user configures it (handoff.toml with `[routing]`),
presence, the chat request and the `rep_joined` event arrive over HTTP, and
the worker runs the chat flow's handler and job runners as `handoff worker` does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from helpers import HUMANS, PLAYBOOK  # type: ignore[import-not-found]
from sqlalchemy import select

from handoff.config import load_config
from handoff.flow import Services
from handoff.flows import FlowSet
from handoff.runtime import Worker
from handoff.server import create_app
from handoff.store import Decision, Job, Store
from handoff_sdk import FakeClock

NOON = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def hub_parts(tmp_path: Path, store: Store, clock: FakeClock) -> tuple[Any, Worker]:
    (tmp_path / "handoff.toml").write_text(f'[routing]\ninclude = "{PLAYBOOK}"\n')
    config = load_config(tmp_path / "handoff.toml")
    flows = FlowSet(Services(config, store, clock, lambda: None))
    worker = Worker(store, clock=clock, events=flows.event_handler(), handlers=flows.job_runners())
    return create_app(store, config=config, clock=clock), worker


async def route_a_chat(client: Any, worker: Worker) -> None:
    for rep in HUMANS:
        answer = await client.put(f"/v1/reps/{rep}/status", json={"status": "online"})
        assert answer.status_code == 200, answer.text
    chat = {"id": "r-1", "conversation_id": "c-1", "visitor_id": "v-1"}
    assert (await client.post("/v1/chat-requests", json=chat)).status_code == 202
    await worker.run_once()


def decisions(store: Store) -> list[tuple[str, str | None]]:
    with store.sessions() as session:
        rows = session.scalars(select(Decision).order_by(Decision.id)).all()
        return [(d.kind, d.outcome.get("rep")) for d in rows]


async def test_q4_a_rep_joining_in_time_keeps_the_chat_when_the_worker_is_behind(
    tmp_path: Path, store: Store, loopback: Any
) -> None:
    """Q4: the rep joined at 10 s (202), the worker had not decided that event at 30 s."""
    clock = FakeClock(NOON)
    app, worker = hub_parts(tmp_path, store, clock)
    async with loopback(app) as client:
        await route_a_chat(client, worker)
        [(kind, rep)] = decisions(store)
        assert kind == "routing"
        assert rep is not None
        clock.advance(10)
        joined = {"id": "j-1", "conversation_id": "c-1", "kind": "rep_joined", "rep_id": rep}
        assert (await client.post("/v1/conversation-events", json=joined)).status_code == 202
        clock.advance(20)  # the takeover timer is due before the worker got to the event
        while await worker.run_once():
            pass
    assert decisions(store) == [("routing", rep)], "the AI rep must not take the chat"
    with store.sessions() as session:
        takeover = session.scalars(select(Job).where(Job.kind == "routing.ai_takeover")).one()
    assert takeover.state == "done"
    assert takeover.result == {"ai_rep": None, "stood_down": f"{rep} joined the conversation"}


async def test_q4_a_rep_joining_in_time_cancels_the_takeover_timer(
    tmp_path: Path, store: Store, loopback: Any
) -> None:
    """Q4: the rep joined at 10 s and the worker decided it at once: no takeover job at all."""
    clock = FakeClock(NOON)
    app, worker = hub_parts(tmp_path, store, clock)
    async with loopback(app) as client:
        await route_a_chat(client, worker)
        [(_, rep)] = decisions(store)
        clock.advance(10)
        joined = {"id": "j-1", "conversation_id": "c-1", "kind": "rep_joined", "rep_id": rep}
        assert (await client.post("/v1/conversation-events", json=joined)).status_code == 202
        await worker.run_once()
        clock.advance(60)
        assert await worker.run_once() == 0, "no timer left to fire"
    assert decisions(store) == [("routing", rep)]


async def test_q4_nobody_joins_and_the_ai_rep_takes_over_at_30_seconds(
    tmp_path: Path, store: Store, loopback: Any
) -> None:
    """Q4: without a rep_joined, the AI rep takes the chat once 30 s have passed."""
    clock = FakeClock(NOON)
    app, worker = hub_parts(tmp_path, store, clock)
    async with loopback(app) as client:
        await route_a_chat(client, worker)
        [(_, rep)] = decisions(store)
        clock.advance(29)
        assert await worker.run_once() == 0
        clock.advance(1)
        while await worker.run_once():
            pass
    assert decisions(store) == [("routing", rep), ("routing.ai_takeover", "ai")]
