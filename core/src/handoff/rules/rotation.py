"""The round robin every flow shares: weighted, smooth, and durable in the store.

One fairness model across channels: a chat routed to a team and a lead
assigned to it take turns on the same cursor (`rr:<team>`), advanced by
`handoff.runtime.next_in_rotation` in the decision's transaction (one
UPSERT, correct with several workers). `handoff route` uses
`MemoryRotation` instead, so it changes nothing; replay and shadow mode
use the stored rotation on a database of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Protocol

from sqlalchemy.orm import Session

from handoff.runtime import next_in_rotation

__all__ = [
    "MemoryRotation",
    "Rotation",
    "Weighted",
    "pool_cursor",
    "stored_rotation",
    "weighted_sequence",
]

Rotation = Callable[[str, Sequence[str]], str]
"""(round-robin name, members in order) -> the next member, advancing the cursor."""


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

    def __call__(self, name: str, members: Sequence[str]) -> str:
        """The next member of `name`, advancing the in-memory cursor."""
        if not members:
            raise ValueError(f"round robin '{name}' has no members")
        position = self.positions.get(name, 0) % len(members)
        self.positions[name] = position + 1
        return members[position]


def stored_rotation(session: Session, *, now: datetime) -> Rotation:
    """The durable rotation: each call advances the stored cursor in `session`'s transaction."""

    def rotation(name: str, members: Sequence[str]) -> str:
        return next_in_rotation(session, name, members, now=now)

    return rotation


@lru_cache(maxsize=1024)
def _smooth(weights: tuple[tuple[str, int], ...]) -> tuple[str, ...]:
    live = [(member, w) for member, w in weights if w > 0]
    total = sum(w for _, w in live)
    current = dict.fromkeys((member for member, _ in live), 0)
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
