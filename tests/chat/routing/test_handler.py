"""Q3/Q4 on the runtime: chat requests routed by the worker, durable cursors, AI takeover timer."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from helpers import HUMANS, playbook  # type: ignore[import-not-found]
from sqlalchemy import select

from handoff.chat.flow import CHAT
from handoff.chat.identify import IdentifyVisitors
from handoff.chat.kinds import AI_TAKEOVER_JOB
from handoff.chat.routing.availability import set_rep_status
from handoff.chat.routing.handler import (
    RoutingHandler,
    ai_takeover_runner,
    cancel_ai_takeover,
    store_routing_decision,
)
from handoff.config import HubConfig
from handoff.flow import Services
from handoff.runtime import CompositeHandler, Worker, record_events
from handoff.server import create_app
from handoff.store import Decision, Store
from handoff_sdk import FakeClock
from handoff_sdk.entities import Event, RepStatus

CONFIG = playbook()
NOON = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def online(store: Store, *reps: str) -> None:
    with store.transaction() as session:
        for rep in reps:
            set_rep_status(session, rep, RepStatus.ONLINE, now=NOON)


def chat(store: Store, ident: str, **extra: str) -> None:
    payload = {
        "id": ident,
        "conversation_id": f"c-{ident}",
        "visitor_id": f"v-{ident}",
        "subject": {"type": "conversation", "id": f"c-{ident}"},
        **extra,
    }
    with store.transaction() as session:
        record_events(
            session,
            [Event(type="hub.chat_request", source="hub", dedupe_key=ident, payload=payload)],
            now=NOON,
        )


async def test_q4_worker_routes_a_chat_and_the_ai_takes_over_after_30_seconds(
    store: Store,
) -> None:
    online(store, *HUMANS)
    clock = FakeClock(NOON)
    worker = Worker(
        store,
        clock=clock,
        events=RoutingHandler(CONFIG, [{"id": "exp-fr", "language": "fr"}]),
        handlers={AI_TAKEOVER_JOB: ai_takeover_runner(store, clock)},
    )
    chat(store, "1", experience_id="exp-fr")
    await worker.run_once()
    with store.sessions() as session:
        (decision,) = session.scalars(select(Decision)).all()
    assert (decision.outcome["rep"], decision.rule_ids) == ("sdr-fleur", ["Q3d", "Q4"])
    assert decision.subject_id == "c-1"
    assert decision.outcome["ai_takeover_seconds"] == 30
    clock.advance(29)
    assert await worker.run_once() == 0
    clock.advance(1)
    await worker.run_once()  # fires the timer, runs the takeover job
    await worker.run_once()
    with store.sessions() as session:
        kinds = [d.kind for d in session.scalars(select(Decision).order_by(Decision.id))]
    assert kinds == ["routing", "routing.ai_takeover"]


async def test_q4_rep_joined_cancels_the_takeover(store: Store) -> None:
    online(store, *HUMANS)
    clock = FakeClock(NOON)
    worker = Worker(
        store,
        clock=clock,
        events=RoutingHandler(CONFIG),
        handlers={AI_TAKEOVER_JOB: ai_takeover_runner(store, clock)},
    )
    chat(store, "2")
    await worker.run_once()
    with store.transaction() as session:
        assert cancel_ai_takeover(session, "c-2")
    clock.advance(60)
    assert await worker.run_once() == 0


async def test_q4_a_rep_joining_through_the_api_cancels_the_takeover(
    store: Store, loopback: Any
) -> None:
    """Q4: a rep who joins within 30 s (POST /v1/conversation-events) keeps the AI out."""
    online(store, *HUMANS)
    clock = FakeClock(NOON)
    worker = Worker(
        store,
        clock=clock,
        events=RoutingHandler(CONFIG),
        handlers={AI_TAKEOVER_JOB: ai_takeover_runner(store, clock)},
    )
    app = create_app(store, clock=clock)
    async with loopback(app) as client:
        request = {"id": "r-3", "conversation_id": "c-3", "visitor_id": "v-3"}
        assert (await client.post("/v1/chat-requests", json=request)).status_code == 202
        await worker.run_once()
        clock.advance(10)
        joined = {"id": "j-3", "conversation_id": "c-3", "kind": "rep_joined", "rep_id": "x"}
        assert (await client.post("/v1/conversation-events", json=joined)).status_code == 202
        await worker.run_once()
    clock.advance(60)
    assert await worker.run_once() == 0, "no timer left to fire"
    with store.sessions() as session:
        kinds = [d.kind for d in session.scalars(select(Decision).order_by(Decision.id))]
    assert kinds == ["routing"]


def test_q3_several_workers_share_the_durable_cursor_on_sqlite(store: Store) -> None:
    """8 threads x 25 decisions over the AMER pool (weights 2:1): exactly 2:1, no repeats lost."""
    online(store, *HUMANS)
    picks: list[str] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        for i in range(25):
            with store.transaction() as session:
                decision = store_routing_decision(
                    session,
                    conversation_id=f"c-{n}-{i}",
                    context={"visitor": {"id": "v", "geo": "AMER"}},
                    config=CONFIG.model_copy(
                        update={
                            "reps": [r.model_copy(update={"daily_cap": None}) for r in CONFIG.reps]
                        }
                    ),
                    now=NOON,
                )
            with lock:
                picks.append(str(decision.rep_id))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counts = Counter(picks)
    assert counts in ({"sdr-amy": 134, "seq-sam": 66}, {"sdr-amy": 133, "seq-sam": 67})


def test_q3_daily_cap_is_counted_in_the_store(store: Store) -> None:
    online(store, "sdr-amy", "seq-sam")
    reps = []
    for i in range(6):
        with store.transaction() as session:
            decision = store_routing_decision(
                session,
                conversation_id=f"c-{i}",
                context={"visitor": {"id": "v", "geo": "AMER"}},
                config=CONFIG,
                now=NOON,
            )
        reps.append(decision.rep_id)
    assert Counter(reps) == {"sdr-amy": 3, "seq-sam": 3}  # amy's cap is 3 a day
    assert reps[-1] == "seq-sam"


def test_chat_handler_runs_identify_and_routing_when_routing_is_set(store: Store) -> None:
    def parts(config: HubConfig) -> dict[str, type]:
        handler = CHAT.handler(CHAT.context(Services(config, store, FakeClock())))
        assert isinstance(handler, CompositeHandler)
        return {name: type(part) for name, part in handler.handlers.items()}

    assert parts(HubConfig()) == {"identify": IdentifyVisitors}
    routed = HubConfig(routing={"reps": [{"id": "a", "name": "A"}]})
    assert parts(routed) == {"identify": IdentifyVisitors, "routing": RoutingHandler}
