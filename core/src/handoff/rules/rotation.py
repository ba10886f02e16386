"""The round robin every flow shares: weighted, smooth, and durable in the store.

One fairness model across channels: a chat routed to a team and a lead
assigned to it take turns on the same cursor (`rr:<team>`), advanced by
`StoredRotation` in the decision's transaction (one
UPSERT, correct with several workers). `handoff route` uses
`MemoryRotation` instead, so it changes nothing; replay and shadow mode
use the stored rotation on a database of their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Protocol

from sqlalchemy import insert
from sqlalchemy.orm import Session

from handoff.runtime import advance_counter
from handoff.store import RotationTurn

__all__ = [
    "MemoryRotation",
    "Rotation",
    "StoredRotation",
    "Turn",
    "Weighted",
    "pool_cursor",
    "stored_rotation",
    "weighted_sequence",
]


@dataclass(frozen=True)
class Turn:
    """One turn of a round robin: whom the cursor gave it to, and why they did not take it."""

    cursor: str
    member: str
    reason: str | None
    """Why the member was skipped ('away', 'capped (5/5 today)'); None: they took the work."""
    position: int
    """The cursor's position after the turn (1-based, in the cycle)."""
    cycle: tuple[str, ...]
    """The weighted cycle the turn was drawn from (weights 2,1: a, b, a)."""


class Rotation(Protocol):
    """A round robin's cursors: the next member, and a record of each turn (the ledger)."""

    def __call__(self, name: str, members: Sequence[str]) -> str:
        """The next member of round robin `name` (members in cycle order), advancing it."""
        ...

    def turn(self, name: str, member: str, reason: str | None) -> None:
        """Record the turn just drawn from `name`: taken (reason None) or skipped, and why."""
        ...


class Weighted(Protocol):
    """A member of a round robin: its id and its share (0: never picked by rotation)."""

    @property
    def id(self) -> str:
        """The member's id."""
        ...

    @property
    def weight(self) -> int:
        """Its share of each cycle."""
        ...


def pool_cursor(pool: str) -> str:
    """The name of a team's round-robin cursor: the same for every flow that rotates it."""
    return f"rr:{pool}"


class MemoryRotation:
    """Round-robin cursors in memory, same semantics as the stored ones: no side effects."""

    def __init__(self, positions: Mapping[str, int] | None = None) -> None:
        self.positions: dict[str, int] = dict(positions or {})
        self.cycles: dict[str, tuple[str, ...]] = {}
        self.turns: list[Turn] = []

    def __call__(self, name: str, members: Sequence[str]) -> str:
        """The next member of `name`, advancing the in-memory cursor."""
        if not members:
            raise ValueError(f"round robin '{name}' has no members")
        position = self.positions.get(name, 0) % len(members)
        self.positions[name] = position + 1
        self.cycles[name] = tuple(members)
        return members[position]

    def turn(self, name: str, member: str, reason: str | None) -> None:
        """Keep the turn in `turns`."""
        self.turns.append(
            Turn(name, member, reason, self.positions.get(name, 0), self.cycles.get(name, ()))
        )


class StoredRotation:
    """The durable rotation: cursors and the ledger of turns, in the decision's transaction."""

    def __init__(self, session: Session, *, now: datetime) -> None:
        self.session = session
        self.now = now
        self._drawn: dict[str, tuple[int, tuple[str, ...]]] = {}

    def __call__(self, name: str, members: Sequence[str]) -> str:
        """The next member, advancing the stored cursor (one UPSERT, safe across workers)."""
        if not members:
            raise ValueError(f"round robin '{name}' has no members")
        position = advance_counter(self.session, name, now=self.now, modulo=len(members))
        self._drawn[name] = (position, tuple(members))
        return members[position - 1]

    def turn(self, name: str, member: str, reason: str | None) -> None:
        """Append the turn to the ledger (`rotation_turns`): `handoff explain rotation` reads it."""
        position, cycle = self._drawn.get(name, (0, ()))
        self.session.connection().execute(
            insert(RotationTurn),
            {
                "cursor": name[:200],
                "member": member[:200],
                "reason": reason,
                "position": position,
                "cycle": list(cycle),
                "at": self.now,
            },
        )


def stored_rotation(session: Session, *, now: datetime) -> Rotation:
    """The durable rotation: each call advances the stored cursor in `session`'s transaction."""
    return StoredRotation(session, now=now)


@lru_cache(maxsize=1024)  # pragma: no mutate - the cache's size changes no answer
def _smooth(weights: tuple[tuple[str, int], ...]) -> tuple[str, ...]:
    live = [(member, w) for member, w in weights if w > 0]
    total = sum(w for _, w in live)
    current = dict.fromkeys((member for member, _ in live), 0)  # pragma: no mutate - all equal
    order: list[str] = []
    for _ in range(total):
        for member, weight in live:
            current[member] += weight
        best = max(current, key=lambda k: current[k])
        current[best] -= total
        order.append(best)
    return tuple(order)


def weighted_sequence(members: Sequence[Weighted]) -> tuple[str, ...]:
    """One cycle of a weighted round robin, interleaved (smooth): weights 2,1 give a,b,a.

    A member with weight 0 never comes up in rotation (a rule can still name them).
    """
    return _smooth(tuple((m.id, m.weight) for m in members))
