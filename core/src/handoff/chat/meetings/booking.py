"""A meeting booking as a decision (Q12): stored once per booking id, with the job that books it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.chat.kinds import MEETING_BOOK_JOB, MEETING_DECISION
from handoff.errors import HandoffError
from handoff.runtime import DecisionSpec, JobSpec, record_decision
from handoff.store import EntityRecord, Job, Store
from handoff_sdk.entities import Meeting

__all__ = [
    "MEETING_ENTITY",
    "BookingJob",
    "BookingStored",
    "MeetingError",
    "booked_meeting",
    "booking_decision",
    "booking_key",
    "record_booking",
    "request_booking",
]

MEETING_ENTITY = "meeting"
"""Entity type of a booking's state: the join link chosen, then the booked meeting."""


class MeetingError(HandoffError):
    """A booking cannot be stored (e.g. its key is already used by a job of another kind)."""


class BookingJob(BaseModel):
    """The payload of a `meeting.book` job: everything the worker needs, fixed at the decision."""

    model_config = ConfigDict(extra="forbid")

    meeting_id: str = Field(min_length=1, description="The sender's id of the booking.")
    meeting: Meeting = Field(description="Rep, visitor, start, end and title; no link yet.")
    calendar: str = Field(min_length=1, description="The calendar connector.")
    video: Literal["zoom", "personal"] = Field(description="[meetings] video at the decision.")
    zoom_link: str | None = Field(default=None, description="The rep's personal meeting link.")
    conversation_id: str | None = Field(default=None, description="Where it was booked, if any.")


@dataclass(frozen=True)
class BookingStored:
    """The answer to a booking request: its decision, and whether that id was booked before."""

    decision_id: int
    duplicate: bool


class _TakenError(Exception):
    """Another transaction stored the same booking first (its decision id)."""

    def __init__(self, decision_id: int) -> None:
        super().__init__(decision_id)
        self.decision_id = decision_id


def booking_key(meeting_id: str) -> str:
    """The job's idempotency key; `:zoom` and `:calendar` are appended for each connector."""
    return f"meeting:{meeting_id}"


def _decision_of(session: Session, key: str) -> int | None:
    query = select(Job.kind, Job.decision_id).where(Job.idempotency_key == key)
    row = session.execute(query).first()
    if row is None:
        return None
    if row.kind != MEETING_BOOK_JOB or row.decision_id is None:
        raise MeetingError(f"idempotency key '{key}' is used by another job ({row.kind})")
    return int(row.decision_id)


def _policy(job: BookingJob) -> str:
    if job.video == "personal":
        return "the rep's personal Zoom link ([meetings] video = personal)"
    return "a new Zoom meeting hosted by the rep (the rep's personal link if Zoom refuses)"


def record_booking(session: Session, job: BookingJob, *, now: datetime) -> BookingStored:
    """Store the booking decision (Q12) and its job in the caller's transaction.

    A booking id stored before answers that booking's decision (`duplicate`),
    writing nothing. Raises `_TakenError` when a concurrent transaction stored
    it between the check and the insert; the caller rolls back
    (`request_booking` does).
    """
    key = booking_key(job.meeting_id)
    existing = _decision_of(session, key)
    if existing is not None:
        return BookingStored(existing, duplicate=True)
    meeting = job.meeting
    decision_id = record_decision(
        session,
        DecisionSpec(
            kind=MEETING_DECISION,
            subject_type="meeting",
            subject_id=job.meeting_id,
            outcome={
                "rep_id": meeting.rep_id,
                "attendee_email": meeting.attendee_email,
                "start": meeting.start.isoformat(),
                "end": meeting.end.isoformat(),
                "title": meeting.title,
                "calendar": job.calendar,
                "video": job.video,
                "conversation_id": job.conversation_id,
            },
            explanation={
                "why": f"the visitor booked {meeting.start.isoformat()} to "
                f"{meeting.end.isoformat()} on {meeting.rep_id}'s calendar ({job.calendar})",
                "link": _policy(job),
            },
            rule_ids=("Q12",),
        ),
        now=now,
        jobs=[
            JobSpec(
                kind=MEETING_BOOK_JOB,
                idempotency_key=key,
                payload=job.model_dump(mode="json"),
                connector=job.calendar,
            )
        ],
    )
    owner = _decision_of(session, key)
    if owner != decision_id:
        raise _TakenError(owner or 0)
    return BookingStored(decision_id, duplicate=False)


def request_booking(store: Store, job: BookingJob, *, now: datetime) -> BookingStored:
    """Store a booking in its own transaction; the same id twice (even at once) is stored once."""
    try:
        with store.transaction() as session:
            return record_booking(session, job, now=now)
    except _TakenError as taken:
        return BookingStored(taken.decision_id, duplicate=True)


def booking_decision(store: Store, meeting_id: str) -> int | None:
    """The decision of a booking id stored before (None: a new id)."""
    with store.sessions() as session:
        return _decision_of(session, booking_key(meeting_id))


def booked_meeting(session: Session, meeting_id: str) -> dict[str, Any] | None:
    """The stored state of a booking: the link chosen, then the booked meeting (None: not yet)."""
    row = session.get(EntityRecord, (MEETING_ENTITY, meeting_id))
    return dict(row.data) if row is not None else None
