"""Q12 meetings: the visitor books a meeting on a rep's calendar, with a Zoom link in the invite.

What is booked where is configuration (`[meetings]` in handoff.toml), not code:

    [meetings]
    calendar = "google-calendar"      # the connector that puts the invite on the rep's calendar
    video = "zoom"                    # "zoom": a new Zoom meeting per booking; "personal": the
                                      # rep's zoom_link ([[routing.reps]] zoom_link)
    title = "Meeting with {rep_name}" # placeholders: {rep_name}, {rep_email}, {attendee_email}
    duration_minutes = 30             # when a booking gives neither duration nor end

A booking is a decision (kind `meeting`, rule Q12) stored with ONE job
(`meeting.book`, key `meeting:<id>`) in one transaction (`request_booking`):
the sender's id is the idempotency key, so a repeated request books once.
The worker runs the job with `booking_runner`:

1. the join link: the rep's personal `zoom_link` when `video = "personal"` or
   no Zoom connector is enabled; otherwise the `zoom` connector's
   `handoff_book_meeting` creates a meeting hosted by the rep (key
   `meeting:<id>:zoom`), falling back to the personal link when Zoom refuses
   for good (daily limit, unknown user, credentials) and the rep has one;
2. the link is stored (entity `meeting`/<id>) BEFORE the calendar call, so a
   retry after a calendar failure reuses it and never creates a second Zoom
   meeting;
3. the calendar connector's `handoff_book_meeting` puts the invite on the
   rep's calendar, visitor invited (key `meeting:<id>:calendar`: the same
   event on every attempt);
4. the booked meeting is stored (entity, job result, a `meeting.booked`
   decision that `handoff explain meeting:<id>` shows) and, for a booking
   made in a conversation, a `meeting_booked` conversation event that the
   Q15 metrics count.
"""

from __future__ import annotations

import asyncio
import string
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.chat.conversations import record_conversation_event
from handoff.errors import ConfigFileError, HandoffError
from handoff.runtime import (
    ClaimedJob,
    DecisionSpec,
    JobFailedError,
    JobSpec,
    record_decision,
    upsert_entity,
)
from handoff.store import Decision, EntityRecord, Job, Store
from handoff_sdk import ApiError, AuthError, Clock, ConfigError, ConnectorError
from handoff_sdk.entities import Meeting, Rep
from handoff_sdk.errors import MissingSecretError
from handoff_sdk.secrets import redact_secrets

if TYPE_CHECKING:
    from handoff.config import HubConfig
    from handoff.hub import Hub

__all__ = [
    "BOOK_HOOK",
    "MEETING_BOOKED_KIND",
    "MEETING_BOOK_KIND",
    "MEETING_DECISION_KIND",
    "MEETING_ENTITY",
    "ZOOM",
    "BookingJob",
    "BookingStored",
    "MeetingError",
    "MeetingsConfig",
    "booked_meeting",
    "booking_decision",
    "booking_key",
    "booking_runner",
    "load_meetings",
    "meetings_of",
    "record_booking",
    "request_booking",
]

BOOK_HOOK = "handoff_book_meeting"
ZOOM = "zoom"
MEETING_DECISION_KIND = "meeting"
"""The decision that a visitor booked a meeting (its job books it)."""
MEETING_BOOK_KIND = "meeting.book"
"""Job kind: make the join link, then put the invite on the rep's calendar."""
MEETING_BOOKED_KIND = "meeting.booked"
"""The decision the job stores once booked: which link, which ids (for `handoff explain`)."""
MEETING_ENTITY = "meeting"
"""Entity type of a booking's state: the join link chosen, then the booked meeting."""

TITLE_FIELDS = ("rep_name", "rep_email", "attendee_email")
"""Placeholders a `[meetings] title` may use."""


class MeetingError(HandoffError):
    """A booking cannot be stored (e.g. its key is already used by a job of another kind)."""


# -- configuration ---------------------------------------------------------------------------


class MeetingsConfig(BaseModel):
    """The `[meetings]` table: where invites go, where their link comes from, the defaults."""

    model_config = ConfigDict(extra="forbid")

    calendar: str = Field(
        default="google-calendar",
        min_length=1,
        description="The connector that puts the invite on the rep's calendar.",
    )
    video: Literal["zoom", "personal"] = Field(
        default="zoom",
        description="'zoom': a new Zoom meeting per booking (the rep's zoom_link when Zoom "
        "refuses or is not enabled); 'personal': always the rep's zoom_link.",
    )
    title: str = Field(
        default="Meeting with {rep_name}",
        min_length=1,
        max_length=200,
        description="Title of a booking that gives none; placeholders {rep_name}, {rep_email}, "
        "{attendee_email}.",
    )
    duration_minutes: int = Field(
        default=30, ge=15, le=120, description="Length of a booking that gives no duration or end."
    )

    @field_validator("calendar")
    @classmethod
    def _calendar(cls, value: str) -> str:
        if value.strip() == ZOOM:
            raise ValueError(
                "'zoom' creates video meetings, not calendar invites; name the calendar "
                "connector, e.g. 'google-calendar'"
            )
        return value.strip()

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
        except ValueError as exc:
            raise ValueError(
                f"not a valid template ({exc}); write a literal brace as {{{{"
            ) from None
        allowed = ", ".join(f"{{{name}}}" for name in TITLE_FIELDS)
        for name in names:
            if name not in TITLE_FIELDS:
                raise ValueError(f"unknown placeholder {{{name}}}; use {allowed}")
        return value

    def title_for(self, rep: Rep, attendee_email: str) -> str:
        """The default title for a booking with this rep and visitor (200 characters at most)."""
        text = self.title.format(
            rep_name=rep.name, rep_email=rep.email or "", attendee_email=attendee_email
        )
        return text.strip()[:200] or "Meeting"


def _format(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        loc = ".".join(str(p) for p in item["loc"])
        where = f"meetings.{loc}" if loc else "meetings"
        message = "unknown key" if item["type"] == "extra_forbidden" else item["msg"]
        parts.append(f"{where}: {message.removeprefix('Value error, ')}")
    return "; ".join(parts)


def load_meetings(table: dict[str, Any]) -> MeetingsConfig:
    """Validate a `[meetings]` table; every error names the field (`meetings.video: ...`)."""
    try:
        return MeetingsConfig.model_validate(table)
    except ValidationError as exc:
        raise ConfigFileError(_format(exc)) from None


def meetings_of(config: HubConfig) -> MeetingsConfig:
    """The hub's `[meetings]` settings; the defaults when handoff.toml has no such table."""
    prefix = f"{config.path}: " if config.path else ""
    try:
        return load_meetings(dict(config.meetings or {}))
    except ConfigFileError as exc:
        raise ConfigFileError(prefix + str(exc)) from None


# -- the decision and its job ----------------------------------------------------------------


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
    if row.kind != MEETING_BOOK_KIND or row.decision_id is None:
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
            kind=MEETING_DECISION_KIND,
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
                kind=MEETING_BOOK_KIND,
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


# -- the worker's side -----------------------------------------------------------------------


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
    return isinstance(exc, ConfigError | MissingSecretError | AuthError)


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
    """Q12: the rep's personal link, or a new Zoom meeting (personal link if Zoom refuses)."""
    if task.video == "personal":
        return _personal(task, "[meetings] video = personal")
    if ZOOM not in hub.implementing(BOOK_HOOK):
        return _personal(task, "no Zoom connector is enabled")
    try:
        created = await hub.call(
            BOOK_HOOK, ZOOM, meeting=task.meeting, idempotency_key=f"{key}:{ZOOM}"
        )
    except ConnectorError as exc:
        if _final(exc) and task.zoom_link:
            return _personal(task, f"Zoom refused the meeting ({redact_secrets(str(exc))})")
        raise _failed("creating the Zoom meeting", exc) from None
    if not isinstance(created, Meeting) or not created.join_url:
        raise JobFailedError("zoom: handoff_book_meeting returned no join link", permanent=True)
    zoom_id = created.ids.get(ZOOM)
    ids = {ZOOM: zoom_id} if zoom_id else {}
    why = f"Zoom meeting {zoom_id or '(no id)'} hosted by the rep"
    return _Link(created.join_url, "zoom", why, ids)


def booking_runner(
    store: Store, hub: Hub, clock: Clock
) -> Callable[[ClaimedJob], Awaitable[dict[str, Any] | None]]:
    """The worker's handler for MEETING_BOOK_KIND jobs: the join link, then the calendar invite.

    Register it as `Worker(..., handlers={MEETING_BOOK_KIND: booking_runner(store, hub, clock)})`
    (`handoff.handlers.job_runners_for` does). A connector failure another
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
                    Decision.kind == MEETING_BOOKED_KIND,
                    Decision.subject_type == "meeting",
                    Decision.subject_id == task.meeting_id,
                )
            )
            if recorded is None:  # a job run again after a lost lease records it once
                record_decision(
                    session,
                    DecisionSpec(
                        kind=MEETING_BOOKED_KIND,
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
        try:
            task = BookingJob.model_validate(job.payload)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"])
            raise JobFailedError(
                f"job {job.id}: not a meeting booking ({where}: {problem['msg']})", permanent=True
            ) from None
        if task.calendar not in hub.implementing(BOOK_HOOK):
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
            link = await _choose_link(hub, task, key)
            await asyncio.to_thread(save_link, task, key, link)
        invite = task.meeting.model_copy(
            update={"join_url": link.join_url, "ids": {**task.meeting.ids, **link.ids}}
        )
        try:
            booked = await hub.call(
                BOOK_HOOK, task.calendar, meeting=invite, idempotency_key=f"{key}:calendar"
            )
        except ConnectorError as exc:
            raise _failed(f"booking the invite on {task.calendar}", exc) from None
        if not isinstance(booked, Meeting):
            raise JobFailedError(
                f"{task.calendar}: {BOOK_HOOK} returned a {type(booked).__name__}, not a Meeting",
                permanent=True,
            )
        return await asyncio.to_thread(save_booked, task, key, link, booked)

    return run
