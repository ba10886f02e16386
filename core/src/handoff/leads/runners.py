"""What the worker runs for the leads flow's job kinds (besides connector hooks).

- `leads.timer`: a lead's timer came due. The job stores a `hub.lead_timer`
  event (its key is the timer's firing, so a timer fired twice is one event)
  and the handler decides it like any other event: the 21-day nurture, the
  claim fall-back, the follow-up and the opt-out expiry are therefore
  replayed with the events on a simulated clock.
"""

from __future__ import annotations

import asyncio
from typing import Any

from handoff.leads.kinds import LEAD_TIMER
from handoff.runtime import ClaimedJob, record_events
from handoff.runtime.worker import JobRunner
from handoff.store import Store
from handoff_sdk import Clock
from handoff_sdk.entities import Event

__all__ = ["timer_runner"]


def timer_runner(store: Store, clock: Clock) -> JobRunner:
    """Run a `leads.timer` job: store the `hub.lead_timer` event the handler decides."""

    def write(job: ClaimedJob) -> dict[str, Any]:
        payload = dict(job.payload)
        lead = str(payload.get("lead", ""))
        now = clock.now()
        with store.transaction() as session:
            [stored] = record_events(
                session,
                [
                    Event(
                        type=LEAD_TIMER,
                        source="hub",
                        dedupe_key=job.idempotency_key,
                        occurred_at=now,
                        payload={**payload, "subject": {"type": "lead", "id": lead}},
                    )
                ],
                now=now,
            )
        return {"event_id": stored.id, "duplicate": not stored.created}

    async def run(job: ClaimedJob) -> dict[str, Any] | None:
        return await asyncio.to_thread(write, job)

    return run
