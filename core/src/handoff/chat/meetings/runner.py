"""The worker's side of a booking (Q12): the join link, then the invite on the rep's calendar."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import select

from handoff.chat.conversations import record_conversation_event
from handoff.chat.kinds import MEETING_BOOKED_DECISION
from handoff.chat.meetings.booking import MEETING_ENTITY, BookingJob, booked_meeting
from handoff.chat.meetings.config import ZOOM
from handoff.hub import HookAnswerError, Hub
from handoff.runtime import ClaimedJob, DecisionSpec, JobFailedError, record_decision, upsert_entity
from handoff.runtime.worker import JobRunner
from handoff.store import Decision, Store
from handoff_sdk import ApiError, AuthError, Clock, ConfigError, ConnectorError
from handoff_sdk.entities import Meeting
from handoff_sdk.errors import MissingSecretError
from handoff_sdk.secrets import redact_secrets

__all__ = ["BOOK_HOOK", "booking_runner"]

BOOK_HOOK = "handoff_book_meeting"


@dataclass(frozen=True)
class _Link:
    """The join link chosen for a booking, where it came from, and why."""

    join_url: str
    source: Literal["zoom", "personal"]
    why: str
    ids: dict[str, str] = field(default_factory=dict)


def _final(exc: ConnectorError) -> bool:
    """Failures another attempt cannot fix: refused, misconfigured, credentials refused."""
    if isinstance(exc, ApiError):
        return not exc.retryable
    return isinstance(exc, ConfigError | MissingSecretError | AuthError | HookAnswerError)


def _failed(what: str, exc: ConnectorError) -> JobFailedError:
    return JobFailedError(f"{what} failed: {redact_secrets(str(exc))}", permanent=_final(exc))


def _personal(task: BookingJob, why: str) -> _Link:
    if not task.zoom_link:
        raise JobFailedError(
            f"{why}, and rep '{task.meeting.rep_id}' has no zoom_link: set zoom_link on the "
            "rep in [[routing.reps]]",
            permanent=True,
        )
    return _Link(task.zoom_link, "personal", f"{why}: the rep's personal Zoom link")


async def _choose_link(hub: Hub, task: BookingJob, key: str) -> _Link:
    """The rep's personal link, or a new Zoom meeting (the personal link if Zoom refuses; Q12)."""
    if task.video == "personal":
        return _personal(task, "[meetings] video = personal")
    if ZOOM not in hub.implementing(BOOK_HOOK):
        return _personal(task, "no Zoom connector is enabled")
    try:
        created = await hub.book_meeting(ZOOM, task.meeting, idempotency_key=f"{key}:{ZOOM}")
    except ConnectorError as exc:
        if _final(exc) and task.zoom_link:
            return _personal(task, f"Zoom refused the meeting ({redact_secrets(str(exc))})")
        raise _failed("creating the Zoom meeting", exc) from None
    if not created.join_url:
        raise JobFailedError("zoom: handoff_book_meeting returned no join link", permanent=True)
    zoom_id = created.ids.get(ZOOM)
    ids = {ZOOM: zoom_id} if zoom_id else {}
    why = f"Zoom meeting {zoom_id or '(no id)'} hosted by the rep"
    return _Link(created.join_url, "zoom", why, ids)


def booking_runner(store: Store, hub: Callable[[], Hub | None], clock: Clock) -> JobRunner:
    """Run a `meeting.book` job (Q12): the join link, then the invite on the rep's calendar.

    `hub()` gives the worker's connectors. A connector failure another
    attempt may fix (network, 5xx, rate limit) is retried with the job's
    backoff; a final one (refused, misconfigured, credentials) makes the job
    dead at once with a message naming the step. Messages never carry secrets.
    """

    def load(meeting_id: str) -> dict[str, Any] | None:
        with store.sessions() as session:
            return booked_meeting(session, meeting_id)

    def save_link(task: BookingJob, key: str, link: _Link) -> None:
        with store.transaction() as session:
            upsert_entity(
                session,
                MEETING_ENTITY,
                task.meeting_id,
                {
                    "state": "link_ready",
                    "key": key,
                    "rep_id": task.meeting.rep_id,
                    "conversation_id": task.conversation_id,
                    "join_url": link.join_url,
                    "video": link.source,
                    "ids": link.ids,
                    "why": link.why,
                },
                now=clock.now(),
            )

    def save_booked(task: BookingJob, key: str, link: _Link, booked: Meeting) -> dict[str, Any]:
        now = clock.now()
        result: dict[str, Any] = {
            "state": "booked",
            "key": key,
            "rep_id": task.meeting.rep_id,
            "conversation_id": task.conversation_id,
            "join_url": booked.join_url or link.join_url,
            "video": link.source,
            "ids": {**link.ids, **booked.ids},
            "why": link.why,
            "meeting": booked.model_dump(mode="json"),
        }
        event_id = booked.ids.get(task.calendar)
        with store.transaction() as session:
            upsert_entity(session, MEETING_ENTITY, task.meeting_id, result, now=now)
            recorded = session.scalar(
                select(Decision.id).where(
                    Decision.kind == MEETING_BOOKED_DECISION,
                    Decision.subject_type == "meeting",
                    Decision.subject_id == task.meeting_id,
                )
            )
            if recorded is None:  # a job run again after a lost lease records it once
                record_decision(
                    session,
                    DecisionSpec(
                        kind=MEETING_BOOKED_DECISION,
                        subject_type="meeting",
                        subject_id=task.meeting_id,
                        outcome={
                            "join_url": result["join_url"],
                            "video": link.source,
                            "ids": result["ids"],
                            "conversation_id": task.conversation_id,
                        },
                        explanation={
                            "link": link.why,
                            "invite": f"on {task.meeting.rep_id}'s calendar ({task.calendar} "
                            f"event {event_id or '(no id)'}), {task.meeting.attendee_email} "
                            "invited",
                        },
                        rule_ids=("Q12",),
                    ),
                    now=now,
                )
            if task.conversation_id:
                record_conversation_event(
                    session,
                    task.conversation_id,
                    "meeting_booked",
                    now=now,
                    rep_id=task.meeting.rep_id,
                    key=f"meeting_booked:{task.meeting_id}",
                    details={"meeting_id": task.meeting_id},
                )
        return result

    async def run(job: ClaimedJob) -> dict[str, Any] | None:
        connectors = hub()
        try:
            task = BookingJob.model_validate(job.payload)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"])
            raise JobFailedError(
                f"job {job.id}: not a meeting booking ({where}: {problem['msg']})", permanent=True
            ) from None
        if connectors is None or task.calendar not in connectors.implementing(BOOK_HOOK):
            raise JobFailedError(
                f"calendar connector '{task.calendar}' is not enabled or cannot book meetings "
                f"({BOOK_HOOK}); see [meetings] calendar",
                permanent=True,
            )
        key = job.idempotency_key
        stored = await asyncio.to_thread(load, task.meeting_id)
        if stored and stored.get("key") == key and stored.get("join_url"):
            # an earlier attempt chose the link: never a second Zoom meeting
            link = _Link(
                str(stored["join_url"]),
                "zoom" if stored.get("video") == ZOOM else "personal",
                str(stored.get("why") or ""),
                {str(k): str(v) for k, v in (stored.get("ids") or {}).items() if k == ZOOM},
            )
        else:
            link = await _choose_link(connectors, task, key)
            await asyncio.to_thread(save_link, task, key, link)
        invite = task.meeting.model_copy(
            update={"join_url": link.join_url, "ids": {**task.meeting.ids, **link.ids}}
        )
        try:
            booked = await connectors.book_meeting(
                task.calendar, invite, idempotency_key=f"{key}:calendar"
            )
        except ConnectorError as exc:
            raise _failed(f"booking the invite on {task.calendar}", exc) from None
        return await asyncio.to_thread(save_booked, task, key, link, booked)

    return run
