"""The AI flow's job runners: a campaign timer stores the event the handler decides (Q16)."""

from __future__ import annotations

import asyncio
from typing import Any

from handoff.ai.kinds import EMAIL_TIMER
from handoff.runtime import ClaimedJob, record_events
from handoff.runtime.worker import JobRunner
from handoff.store import Store
from handoff_sdk import Clock
from handoff_sdk.entities import Event

__all__ = ["timer_runner"]


def timer_runner(store: Store, clock: Clock) -> JobRunner:
    """Run an `ai.timer` job: store the `hub.ai_email_timer` event (no connector is called)."""

    def write(job: ClaimedJob) -> dict[str, Any]:
        payload = dict(job.payload)
        now = clock.now()
        subject = {
            "subject": {"type": "lead", "id": str(payload.get("email") or "")},
            "related": [{"type": "conversation", "id": str(payload.get("follow_up") or "")}],
        }
        with store.transaction() as session:
            [stored] = record_events(
                session,
                [
                    Event(
                        type=EMAIL_TIMER,
                        source="hub",
                        dedupe_key=job.idempotency_key,
                        occurred_at=now,
                        payload={**payload, **subject},
                    )
                ],
                now=now,
            )
        return {"event_id": stored.id, "duplicate": not stored.created}

    async def run(job: ClaimedJob) -> dict[str, Any] | None:
        return await asyncio.to_thread(write, job)

    return run
