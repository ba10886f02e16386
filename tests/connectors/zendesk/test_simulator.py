"""The Zendesk connector against its simulator, over a real loopback socket (TLS).

Bulk creation goes through create_many jobs: started side by side within the
budget, never more than the queue allows, polled together with show_many;
single tickets under a tight rate limit are paced by the budget and the
rate-limit headers, so Zendesk never has to say 429.
"""

from __future__ import annotations

from typing import Any

import pytest
from handoff_zendesk import ZendeskConnector

from handoff_sdk import FakeClock
from handoff_sdk.entities import Case
from handoff_sdk.testing import (
    COMPANY,
    Limits,
    RateWindow,
    Refusal,
)


@pytest.fixture
async def zendesk(simulated: Any) -> Any:
    return await simulated(ZendeskConnector)


def tickets(n: int) -> list[Case]:
    return [Case(subject=f"Imported {i}", description=f"Ticket number {i}") for i in range(n)]


async def test_1000_tickets_go_through_10_create_many_jobs_polled_together(
    zendesk: Any,
) -> None:
    zendesk.simulator.latency = 0.02
    harness = zendesk.harness()
    results = await harness.connector.create_many_tickets(tickets(1000), "bulk-1")
    await harness.aclose()
    assert [r.index for r in results] == list(range(1000))
    assert all(r.ok for r in results)
    created = zendesk.simulator.account.data["tickets"]
    assert created[int(results[300].id or 0)]["subject"] == "Imported 300"
    starts = zendesk.simulator.calls("create_many")
    assert len(starts) == 10
    assert sorted(s.headers["idempotency-key"] for s in starts) == sorted(
        f"bulk-1:{n * 100}" for n in range(10)
    )
    polls = zendesk.simulator.calls("show_many_jobs")
    assert 1 <= len(polls) <= 6, "all pending jobs in each poll, not one call per job"
    assert not zendesk.simulator.calls("show_job")
    assert not zendesk.simulator.throttled()
    assert 1 < zendesk.simulator.peak_concurrency() <= harness.connector.budget.limit.concurrency


async def test_create_many_stays_under_the_queue_of_30_jobs(zendesk: Any) -> None:
    zendesk.simulator.job_seconds = 5.0
    harness = zendesk.harness()
    results = await harness.connector.create_many_tickets(tickets(3500), "bulk-2")
    await harness.aclose()
    assert all(r.ok for r in results)
    assert len(zendesk.simulator.calls("create_many")) == 35
    assert not zendesk.simulator.throttled(), "job 31 waits for a free place in the queue"


async def test_a_ticket_without_a_description_fails_alone_in_its_job(zendesk: Any) -> None:
    harness = zendesk.harness()
    batch: list[Any] = [{"subject": "ok", "comment": {"body": "fine"}}, {"subject": "no body"}]
    results = await harness.connector.create_many_tickets(batch, "bulk-3")
    await harness.aclose()
    assert [r.ok for r in results] == [True, False]
    assert results[1].errors[0].code == "RecordInvalid"


async def test_41_tickets_one_by_one_under_a_tight_limit_are_never_throttled(
    zendesk: Any,
) -> None:
    zendesk.simulator.limits = Limits(windows=(RateWindow(20, 60.0, name="minute"),))
    harness = zendesk.harness(rate_limit={"requests": 20, "per_seconds": 60, "concurrency": 5})
    for n in range(41):
        result = await harness.connector.handoff_create_case(
            Case(subject=f"Single {n}", description="One at a time."), f"single-{n}"
        )
        assert result.ok
    await harness.aclose()
    assert len(zendesk.simulator.calls("create_ticket")) == 41
    assert not zendesk.simulator.throttled()


async def test_the_rate_limit_headers_pause_the_connector_before_a_429(
    zendesk: Any, fake_clock: FakeClock
) -> None:
    zendesk.simulator.limits = Limits(windows=(RateWindow(3, 60.0, name="minute"),))
    harness = zendesk.harness(rate_limit={"requests": 10, "per_seconds": 60, "concurrency": 1})
    person = COMPANY.person("ana-lima")
    for _ in range(4):
        contact = await harness.connector.handoff_find_person(email=person.email)
        assert contact is not None
    await harness.aclose()
    assert not zendesk.simulator.throttled(), "ratelimit-remaining: 0 paused the budget"
    assert fake_clock.slept >= 59
    assert zendesk.simulator.log[0].status == 200


async def test_a_429_with_retry_after_is_waited_out(zendesk: Any, fake_clock: FakeClock) -> None:
    zendesk.simulator.refuse_next(Refusal("rate_limited", "per-minute limit", retry_after=30))
    harness = zendesk.harness()
    contact = await harness.connector.handoff_find_person(email=COMPANY.person("ana-lima").email)
    await harness.aclose()
    assert contact is not None
    [refused] = zendesk.simulator.throttled()
    assert refused.status == 429
    assert fake_clock.slept >= 30


async def test_a_retried_create_with_the_same_key_opens_one_ticket(zendesk: Any) -> None:
    harness = zendesk.harness()
    case = Case(subject="Quote for 40 seats", description="Needs a PO.")
    first = await harness.connector.handoff_create_case(case, "case-1")
    again = await harness.connector.handoff_create_case(case, "case-1")
    await harness.aclose()
    assert first.id == again.id
    subjects = [t["subject"] for t in zendesk.simulator.account.data["tickets"].values()]
    assert subjects.count("Quote for 40 seats") == 1


async def test_the_export_polls_the_companys_tickets(zendesk: Any, fake_clock: FakeClock) -> None:
    fake_clock.advance(120)  # the export leaves out the last minute
    harness = zendesk.harness()
    result = await harness.connector.handoff_poll_events(cursor="start_time:0")
    await harness.aclose()
    exported = {e.dedupe_key.split(":")[2] for e in result.events}
    assert exported >= {str(t.id) for t in COMPANY.tickets}
