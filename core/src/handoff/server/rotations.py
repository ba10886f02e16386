"""`GET /v1/rotations/{pool}`: the fairness ledger of a round robin (who got what, who is next)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from handoff.api_keys import Scope
from handoff.rules.ledger import rotation_ledger
from handoff.server.access import require_scope
from handoff.server.models import EventTime
from handoff.server.responses import refused
from handoff.store import Store
from handoff_sdk import Clock

__all__ = ["rotation_routes"]

PoolPath = Annotated[str, Path(min_length=1, max_length=190, pattern=r"^[^\x00-\x1f]+$")]


class MemberShareOut(BaseModel):
    """One member of the round robin over the period."""

    member: str
    weight: int = Field(description="Its weight: its turns in each cycle.")
    expected_share: float = Field(description="weight / total weight: the share aimed at.")
    taken: int = Field(description="Turns it took (work it was given).")
    share: float = Field(description="taken / all turns taken in the period.")
    skipped: int = Field(description="Turns it was given and could not take.")
    skip_reasons: dict[str, int] = Field(description="Why, with how many times each.")


class LastTurnOut(BaseModel):
    """The round robin's last turn, in or before the period."""

    member: str
    taken: bool
    reason: str | None
    at: datetime


class RotationLedgerOut(BaseModel):
    """A round robin's ledger: counts and shares, skips and why, who is next and why."""

    pool: str
    cursor: str
    since: datetime
    until: datetime
    turns: int = Field(description="Turns drawn in the period, taken or skipped.")
    taken: int
    members: list[MemberShareOut]
    cycle: list[str] = Field(description="The weighted cycle, in turn order.")
    position: int | None = Field(description="The cursor: the turn of the cycle drawn last.")
    next: str | None
    why_next: str
    last_turn: LastTurnOut | None


def rotation_routes(store: Store, clock: Clock) -> APIRouter:
    """The fairness ledger over the hub's store."""
    router = APIRouter(prefix="/v1", tags=["operations"], dependencies=[require_scope(Scope.OPS)])

    @router.get(
        "/rotations/{pool}",
        response_model=RotationLedgerOut,
        responses={404: {"description": "The pool's round robin never turned."}},
    )
    async def get_rotation(
        pool: PoolPath,
        since: Annotated[
            EventTime | None,
            Query(description="Start (ISO 8601 with a zone). Default: 7 days ago."),
        ] = None,
        until: Annotated[
            EventTime | None, Query(description="End, exclusive. Default: now.")
        ] = None,
    ) -> Any:
        """Each member's weight, share and count over the period, the skips and why, who is next.

        Every round robin the flows draw from a team (`team:NAME` and the
        geo/language pools of routing, lead assignment) is one cursor,
        `rr:POOL`, whichever flow turns it.
        """
        now = clock.now()
        end = until or now
        start = since or end - timedelta(days=7)

        def read() -> dict[str, Any] | None:
            with store.sessions() as session:
                ledger = rotation_ledger(session, pool, since=start, until=end)
            return ledger.to_json() if ledger is not None else None

        found = await asyncio.to_thread(read)
        if found is None:
            return refused(404, f"round robin '{pool}' never turned", "pool")
        return found

    return router
