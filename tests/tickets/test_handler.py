"""The tickets flow through the runtime: events -> worker -> decisions and jobs (Z2-Z6).

The connectors are an in-memory stand-in for the Hub here (what each hook
answers, what each write received); tests/tickets/test_end_to_end.py runs
the same path over real sockets against the vendors' simulators.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from tickets_helpers import OWNER, PO_FIELD, FakeHub, deliver, drain, new_business, webhook, worker

from handoff.flows import install_periodic
from handoff.store import Decision, Job, Store
from handoff.tickets.queue import queue
from handoff_sdk import FakeClock
from handoff_sdk.entities import Event, TicketComment


async def test_z2_a_ticket_announced_twice_is_passed_once(store: Store, clock: FakeClock) -> None:
    hub = FakeHub(new_business(**{PO_FIELD: True}))
    runner, _ = worker(store, clock, hub)
    deliver(store, clock, webhook("a"))
    # A second trigger run (another invocation) and the poll's copy of the same ticket.
    deliver(
        store,
        clock,
        webhook("b"),
        Event(
            type="zendesk.ticket.updated",
            source="zendesk",
            dedupe_key="zendesk:ticket:5001:v2",
            payload={"id": 5001},
        ),
    )
    await drain(runner)
    with store.sessions() as session:
        decisions = list(session.scalars(select(Decision)))
    assert [d.outcome["action"] for d in decisions] == ["pass"]
    assert decisions[0].outcome["rep"]["id"] == OWNER
    assert sorted(h for h, _ in hub.writes) == ["handoff_apply_macro", "handoff_update_ticket"]
    [(_, update)] = [w for w in hub.writes if w[0] == "handoff_update_ticket"]
    assert update["update"].assignee_email == "olga@example.test"
    assert update["update"].escalated_to_sales is True
    assert update["update"].note.startswith("handoff: passed to Olga Owner")


async def test_z3_a_request_without_reason_is_noted_and_passed_once_a_reason_appears(
    store: Store, clock: FakeClock
) -> None:
    hub = FakeHub(new_business())
    runner, _ = worker(store, clock, hub)
    deliver(store, clock, webhook("a"))
    await drain(runner)
    deliver(store, clock, webhook("b"))  # changed nothing: nothing new is decided
    await drain(runner)
    hub.tickets["5001"] = new_business(**{PO_FIELD: True})
    deliver(store, clock, webhook("c"))
    await drain(runner)
    with store.sessions() as session:
        actions = [d.outcome["action"] for d in session.scalars(select(Decision))]
        keys = sorted(session.scalars(select(Job.idempotency_key).where(Job.kind == "hook")))
    assert actions == ["not_escalated", "pass"]
    assert keys == [
        "tickets:5001:macro:pass",
        "tickets:5001:note:not_escalated",
        "tickets:5001:pass",
    ]


async def test_z6_first_ping_then_the_second_copies_the_manager_then_the_answer_drops_it(
    store: Store, clock: FakeClock
) -> None:
    hub = FakeHub(new_business(**{PO_FIELD: True}))
    runner, flows = worker(store, clock, hub)
    install_periodic(store, flows.periodic(), now=clock.now())  # Monday 09:00 UTC
    deliver(store, clock, webhook("a"))
    await drain(runner)

    def pings() -> list[Any]:
        return [w[1]["notification"] for w in hub.writes if w[0] == "handoff_send_notification"]

    clock.advance(timedelta(days=1).total_seconds())  # Tuesday 09:00: 24 h unanswered
    await drain(runner)
    assert [(p.channel, p.mentions) for p in pings()] == [("#sales", ["olga@example.test"])]
    clock.advance(timedelta(days=1).total_seconds())  # Wednesday: the second ping
    await drain(runner)
    assert pings()[1].mentions == ["olga@example.test", "mara@example.test"]
    with store.sessions() as session:
        [row] = queue(session)
    assert (row.ticket_id, row.pings, row.last_action) == ("5001", 2, "ping")

    hub.comments["5001"] = [
        TicketComment(
            id="9",
            author_id="91001",
            public=True,
            body="Quote sent",
            created_at=clock.now() + timedelta(hours=1),
        )
    ]
    clock.advance(timedelta(days=1).total_seconds())  # Thursday: answered
    await drain(runner)
    assert len(pings()) == 2
    with store.sessions() as session:
        assert queue(session) == []
        [dropped] = queue(session, include_dropped=True)
    assert dropped.last_action == "answered"
    assert clock.now() == datetime(2026, 1, 8, 9, 0, tzinfo=UTC)
