"""The conversation API under /v1: rep presence, Q15 metrics, Q19 misroute flags, Q10 pounce.

- `PUT /v1/reps/{rep_id}/status`: a rep's presence (online, away, offline).
- `GET /v1/metrics/reps?since=...`: the Q15 rep performance metrics.
- `POST /v1/decisions/{id}/misrouted`: a rep flags a routing decision (Q19).
- `GET /v1/live-visitors?rep=...`: the rep's Actively Working accounts on the site now (Q10).
- `POST /v1/live-visitors/{visitor_id}/engage`: the rep starts a conversation (Q10).

Database work runs in a thread; every bad input is a 4xx naming the field.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from handoff.api_keys import Scope
from handoff.chat.conversations import (
    MOMENT_SCHEMA,
    flag_misrouted,
    parse_moment,
    rep_metrics,
)
from handoff.chat.pounce import LiveVisitor, NotAssignedError, engage, live_visitors
from handoff.chat.routing.availability import set_rep_status
from handoff.chat.settings import ChatSettings
from handoff.flow import FlowContext
from handoff.server.access import Caller, require_scope
from handoff.server.models import Ident, Refused, Text
from handoff.server.responses import refused
from handoff_sdk.entities import RepStatus

__all__ = ["conversation_routes"]

IdPath = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$")]
MAX_ID = 2**63 - 1
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_ZONES: dict[str, Any] = {"enum": sorted(available_timezones())}


class RepStatusBody(BaseModel):
    """A rep's new presence (Q3 availability)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    status: Literal["online", "away", "offline"] = Field(description="The rep's chat presence.")


class RepStatusSet(BaseModel):
    """The presence now stored."""

    rep_id: str = Field(description="The rep.")
    status: str = Field(description="online, away or offline.")
    since: datetime = Field(description="When it was set.")


class MisroutedBody(BaseModel):
    """A rep says this decision routed the conversation to the wrong place (Q19)."""

    model_config = ConfigDict(extra="forbid", regex_engine="python-re", strict=True)

    rep: Ident = Field(description="The rep flagging it.")
    reason: Annotated[Text, Field(min_length=1)] = Field(description="Why it is wrong.")


class MisrouteStored(BaseModel):
    """The stored flag."""

    flag_id: int = Field(description="Id of the stored flag (an event).")
    decision_id: int = Field(description="The flagged decision.")
    rep: str = Field(description="Who flagged it.")
    reason: str = Field(description="Why.")
    flagged_at: datetime = Field(description="When.")
    duplicate: bool = Field(description="True when this rep had flagged it already.")


class EngageBody(BaseModel):
    """A rep starts a conversation with a live visitor (Q10 pounce)."""

    model_config = ConfigDict(extra="forbid", regex_engine="python-re", strict=True)

    rep: Ident = Field(description="The rep engaging; must be the account's assigned BDR.")
    id: Ident | None = Field(
        default=None, description="The sender's id of this engagement: same id = stored once."
    )


class Engaged(BaseModel):
    """The stored proactive engagement."""

    event_id: int = Field(description="Id of the stored proactive-engagement event.")
    conversation_id: str = Field(description="The conversation id to send its events under.")
    duplicate: bool = Field(description="True when this engagement id was received before.")


class LiveVisitors(BaseModel):
    """The rep's live visitors, most recently seen first."""

    rep: str
    since: datetime
    visitors: list[LiveVisitor]


class RepMetricsOut(BaseModel):
    """One rep's performance metrics (Q15)."""

    rep_id: str
    sessions_routed_for_pouncing: int
    pounces: int
    successful_pounce_conversations: int
    waited_sessions: int
    waited_with_conversation: int
    waited_without_conversation: int
    meetings_booked: int
    available_seconds: float
    available_by_hour: dict[str, float] = Field(description="Seconds online per hour '00'-'23'.")


class RepMetricsReport(BaseModel):
    """The performance metrics of every rep with activity in the period (Q15)."""

    since: datetime
    until: datetime
    timezone: str
    reps: list[RepMetricsOut]


_INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": Refused, "description": "Invalid request; each bad field is named."}
}


def conversation_routes(context: FlowContext[ChatSettings]) -> APIRouter:
    """The router over the hub's store; its clock gives every stored time."""
    router = APIRouter(prefix="/v1", tags=["conversations"])
    store, clock = context.store, context.clock

    @router.put(
        "/reps/{rep_id}/status",
        response_model=RepStatusSet,
        responses={
            404: {"model": Refused, "description": "No rep with this id in [routing]."},
            409: {"model": Refused, "description": "No [routing] table: no reps."},
            **_INVALID,
        },
    )
    async def put_rep_status(
        rep_id: IdPath, body: RepStatusBody, caller: Annotated[Caller, require_scope(Scope.REP)]
    ) -> Any:
        """Set a rep's presence (online/away/offline); audited; routing reads it (Q3).

        A rep key sets its own rep's presence only.
        """
        caller.act_for(rep_id)
        routing = context.settings.routing
        if routing is None:
            return refused(
                409, "routing is not configured (no [routing] table in handoff.toml): no reps"
            )
        if routing.rep(rep_id) is None:
            return refused(404, f"no rep '{rep_id}' in [routing]", "rep_id", "no rep with this id")
        now = clock.now()

        def write() -> None:
            with store.transaction() as session:
                set_rep_status(session, rep_id, RepStatus(body.status), now=now, actor=caller.actor)

        await asyncio.to_thread(write)
        return RepStatusSet(rep_id=rep_id, status=body.status, since=now)

    @router.get(
        "/metrics/reps",
        response_model=RepMetricsReport,
        responses={**_INVALID},
        dependencies=[require_scope(Scope.OPS)],
    )
    async def get_rep_metrics(
        since: Annotated[
            str,
            Query(
                description="Start: ISO 8601 (a date, or a time; UTC when it has no zone) or "
                "relative to now (30m, 24h, 7d, 2w), as `handoff metrics reps --since`.",
                max_length=64,
                json_schema_extra=MOMENT_SCHEMA,
            ),
        ],
        until: Annotated[
            str | None,
            Query(
                description="End, exclusive, read like `since`. Default: now.",
                max_length=64,
                json_schema_extra=MOMENT_SCHEMA,
            ),
        ] = None,
        timezone: Annotated[
            str, Query(description="IANA zone of available_by_hour.", json_schema_extra=_ZONES)
        ] = "UTC",
    ) -> Any:
        """Rep performance metrics, computed from the stored events (Q15).

        A period that ends before it starts is empty; `until` after now means now.
        """
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            return refused(422, "invalid request", "timezone", "unknown IANA time zone")
        now = clock.now()
        try:
            asked_start = parse_moment(since, now, "since")
            asked_end = parse_moment(until, now, "until") if until is not None else now
        except ValueError as exc:
            field, _, problem = str(exc).partition(": ")
            return refused(422, "invalid request", field, problem)
        end = min(max(asked_end, _EARLIEST), now)  # nothing is known after now
        start = min(max(asked_start, _EARLIEST), end)

        def compute() -> list[dict[str, Any]]:
            with store.sessions() as session:
                return [m.to_json() for m in rep_metrics(session, start, end, timezone=timezone)]

        reps = await asyncio.to_thread(compute)
        return RepMetricsReport.model_validate(
            {"since": start, "until": end, "timezone": timezone, "reps": reps}
        )

    @router.post(
        "/decisions/{decision_id}/misrouted",
        status_code=201,
        response_model=MisrouteStored,
        responses={404: {"model": Refused, "description": "No such decision."}, **_INVALID},
    )
    async def post_misrouted(
        decision_id: Annotated[int, Path(ge=1, le=MAX_ID)],
        body: MisroutedBody,
        caller: Annotated[Caller, require_scope(Scope.REP)],
    ) -> Any:
        """Flag a decision as misrouted, for ops to review with its explanation (Q19).

        A rep key flags in its own rep's name only (`rep`).
        """
        caller.act_for(body.rep, field="rep")
        now = clock.now()

        def write() -> dict[str, Any] | None:
            with store.transaction() as session:
                flag = flag_misrouted(session, decision_id, body.rep, body.reason, now=now)
                if flag is None:
                    return None
                return {
                    "flag_id": flag.event_id,
                    "decision_id": flag.decision_id,
                    "rep": flag.rep,
                    "reason": flag.reason,
                    "flagged_at": flag.flagged_at,
                    "duplicate": flag.duplicate,
                }

        stored = await asyncio.to_thread(write)
        if stored is None:
            return refused(404, f"no decision {decision_id}", "decision_id", "not found")
        return MisrouteStored.model_validate(stored)

    @router.get(
        "/live-visitors",
        response_model=LiveVisitors,
        responses={**_INVALID},
    )
    async def get_live_visitors(
        rep: Annotated[
            str,
            Query(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$", description="The rep."),
        ],
        caller: Annotated[Caller, require_scope(Scope.REP, Scope.OPS)],
        minutes: Annotated[
            int, Query(ge=1, le=1440, description="Seen within this many minutes.")
        ] = 15,
    ) -> LiveVisitors:
        """Visitors seen lately whose account is Actively Working and the rep's (Q10, Q2).

        A rep key sees its own rep's visitors only; an ops key anyone's.
        """
        caller.act_for(rep, field="rep")
        now = clock.now()
        window = timedelta(minutes=minutes)

        def read() -> list[LiveVisitor]:
            with store.sessions() as session:
                return live_visitors(session, rep, now=now, window=window)

        found = await asyncio.to_thread(read)
        return LiveVisitors(rep=rep, since=now - window, visitors=found)

    @router.post(
        "/live-visitors/{visitor_id}/engage",
        status_code=201,
        response_model=Engaged,
        responses={
            403: {
                "model": Refused,
                "description": "The visitor is not from an Actively Working account of that rep.",
            },
            **_INVALID,
        },
    )
    async def post_engage(
        visitor_id: IdPath, body: EngageBody, caller: Annotated[Caller, require_scope(Scope.REP)]
    ) -> Any:
        """The rep starts a conversation with the visitor: a proactive engagement (Q10).

        A rep key engages as its own rep only (`rep`).
        """
        caller.act_for(body.rep, field="rep")
        now = clock.now()

        def write() -> tuple[int, str, bool]:
            with store.transaction() as session:
                stored, conversation = engage(
                    session, visitor_id, body.rep, now=now, engagement_id=body.id
                )
                return stored.id, conversation, not stored.created

        try:
            event_id, conversation, duplicate = await asyncio.to_thread(write)
        except NotAssignedError as exc:
            return refused(
                403, str(exc), "rep", "not the assigned BDR of an Actively Working account"
            )
        return Engaged(event_id=event_id, conversation_id=conversation, duplicate=duplicate)

    return router
