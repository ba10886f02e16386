"""The fairness ledger: how a round robin shared its work, who it skipped and why, who is next.

Every turn of a stored round robin is a `RotationTurn` row (see
`StoredRotation.turn`), whichever flow drew it. Over a period the ledger
counts, per member, the turns taken and skipped (with the reasons) and
compares each member's share of the work with the share its weight asks
for; from the cursor and the last turn's cycle it says who is next, and why
(the question round-robin users ask most: "why is Ana next?").
`handoff explain rotation POOL` and `GET /v1/rotations/{pool}` print it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.rules.rotation import pool_cursor
from handoff.store import Cursor, RotationTurn

__all__ = ["MemberShare", "RotationLedger", "rotation_ledger"]


@dataclass
class MemberShare:
    """One member's part of the period: weight, turns taken and skipped, share."""

    id: str
    weight: int
    expected_share: float
    """weight / total weight: the share of the work the rotation aims at."""
    taken: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    share: float = 0.0
    """taken / all turns taken in the period."""

    def to_json(self) -> dict[str, Any]:
        """As in `handoff explain rotation --json` and the API."""
        return {
            "member": self.id,
            "weight": self.weight,
            "expected_share": round(self.expected_share, 4),
            "taken": self.taken,
            "share": round(self.share, 4),
            "skipped": sum(self.skipped.values()),
            "skip_reasons": dict(self.skipped.most_common()),
        }


@dataclass
class RotationLedger:
    """A pool's round robin over a period, and its next turn."""

    pool: str
    since: datetime
    until: datetime
    members: list[MemberShare]
    turns: int
    taken: int
    position: int | None
    cycle: list[str]
    next: str | None
    why_next: str
    last: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        """The ledger as one object."""
        return {
            "pool": self.pool,
            "cursor": pool_cursor(self.pool),
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "turns": self.turns,
            "taken": self.taken,
            "members": [m.to_json() for m in self.members],
            "cycle": self.cycle,
            "position": self.position,
            "next": self.next,
            "why_next": self.why_next,
            "last_turn": self.last,
        }

    def lines(self) -> list[str]:
        """The ledger in words."""
        out = [
            f"round robin {self.pool} ({pool_cursor(self.pool)}), "
            f"{self.since.isoformat()} to {self.until.isoformat()}: "
            f"{self.taken} turns taken, {self.turns - self.taken} skipped"
        ]
        out.append(f"  {'member':<24} {'weight':>6} {'aim':>6} {'taken':>6} {'share':>6}  skipped")
        for m in self.members:
            reasons = ", ".join(f"{why} x{n}" for why, n in m.skipped.most_common()) or "-"
            out.append(
                f"  {m.id:<24} {m.weight:>6} {m.expected_share:>6.0%} {m.taken:>6} "
                f"{m.share:>6.0%}  {reasons}"
            )
        out.append(f"next: {self.why_next}")
        return out


def _weights(cycle: list[str]) -> Counter[str]:
    """Each member's weight, read back from a smooth weighted cycle (its count there)."""
    return Counter(cycle)


def rotation_ledger(
    session: Session, pool: str, *, since: datetime, until: datetime
) -> RotationLedger | None:
    """The ledger of `pool` over [since, until); None when it never turned."""
    cursor = pool_cursor(pool)
    last = session.scalar(
        select(RotationTurn)
        .where(RotationTurn.cursor == cursor)
        .order_by(RotationTurn.id.desc())
        .limit(1)
    )
    if last is None:
        return None
    turns = list(
        session.scalars(
            select(RotationTurn)
            .where(
                RotationTurn.cursor == cursor,
                RotationTurn.at >= since,
                RotationTurn.at < until,
            )
            .order_by(RotationTurn.id)
        )
    )
    cycle = [str(member) for member in last.cycle]
    weights = _weights(cycle)
    total = sum(weights.values()) or 1
    members: dict[str, MemberShare] = {
        member: MemberShare(member, weight, weight / total) for member, weight in weights.items()
    }
    for turn in turns:
        share = members.setdefault(turn.member, MemberShare(turn.member, 0, 0.0))
        if turn.reason is None:
            share.taken += 1
        else:
            share.skipped[turn.reason] += 1
    taken = sum(m.taken for m in members.values())
    for m in members.values():
        m.share = m.taken / taken if taken else 0.0
    stored = session.get(Cursor, cursor)
    position = stored.position if stored is not None else last.position
    nxt, why = _next(cycle, position, members, last)
    return RotationLedger(
        pool=pool,
        since=since,
        until=until,
        members=sorted(members.values(), key=lambda m: (-m.weight, m.id)),
        turns=len(turns),
        taken=taken,
        position=position,
        cycle=cycle,
        next=nxt,
        why_next=why,
        last={
            "member": last.member,
            "taken": last.reason is None,
            "reason": last.reason,
            "at": last.at.isoformat(),
        },
    )


def _next(
    cycle: list[str], position: int, members: dict[str, MemberShare], last: RotationTurn
) -> tuple[str | None, str]:
    """Who the cursor gives the next turn to, and the sentence saying why."""
    if not cycle:
        return None, "nobody: every member has weight 0"
    index = position % len(cycle)
    nxt = cycle[index]
    order = ", ".join(cycle)
    weight = members[nxt].weight if nxt in members else cycle.count(nxt)
    total = len(cycle)
    last_text = (
        f"{last.member} took the last turn"
        if last.reason is None
        else f"the last turn went to {last.member}, skipped ({last.reason})"
    )
    why = (
        f"{nxt} is next: {last_text} at {last.at.isoformat()}, leaving the cursor at "
        f"{position} of the {total}-turn cycle [{order}]; turn {index + 1} is {nxt}'s "
        f"({weight} of every {total}, by weight)."
    )
    then = cycle[(index + 1) % len(cycle)]
    if then != nxt:
        why += f" If {nxt} cannot take it (away, outside hours, capped), it passes to {then}."
    return nxt, why
