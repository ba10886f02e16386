"""Picking one member of a team: the first free one named, or the next free one in rotation.

A flow says why each member cannot take the work now (chat: offline,
outside hours, capped; leads: out of office), and this module picks. When a
team has nobody free the cursor does not move, so nobody loses a turn to an
outage. The result keeps who was skipped and why, and the first choice
passed over: the counterfactual of the decision's explanation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from handoff.rules.rotation import Rotation, Weighted, pool_cursor, weighted_sequence

__all__ = ["Pick", "pick_member"]

M = TypeVar("M", bound=Weighted)


@dataclass
class Pick(Generic[M]):
    """The member picked (or None), who was skipped and why, and the first choice passed over."""

    member: M | None
    why: str
    skipped: list[dict[str, str]] = field(default_factory=list)
    first_choice: tuple[str, str] | None = None
    """(member id, why they were skipped): who the work would have gone to."""

    def to_json(self) -> dict[str, Any]:
        """The pick as stored in an explanation."""
        return {
            "member": self.member.id if self.member is not None else None,
            "why": self.why,
            "skipped": self.skipped,
        }


def _always(_member: Any) -> str | None:
    return None


def pick_member(
    members: Sequence[M],
    *,
    how: str,
    pool: str | None,
    rotation: Rotation,
    unavailable: Callable[[M], str | None] = _always,
) -> Pick[M]:
    """Pick who takes the work among `members` (Q3 chats, D2 leads).

    `pool` None: the members are named (a field gave them); the first free
    one in order is picked and no cursor moves. A pool name: the weighted
    round robin of that team (`rr:<pool>`), skipping members `unavailable`
    gives a reason for; when nobody is free the cursor does not move.
    `how` is the sentence the explanation starts with ("round robin over
    team sdr-emea").
    """
    reasons = {m.id: unavailable(m) for m in members}
    by_id = {m.id: m for m in members}
    pick: Pick[M] = Pick(member=None, why=how)
    if pool is None or all(r is not None for r in reasons.values()):
        for member in members:
            if reasons[member.id] is None:
                pick.member = member
                return pick
            pick.skipped.append({"rep": member.id, "reason": str(reasons[member.id])})
        if pick.skipped:
            first = pick.skipped[0]
            pick.first_choice = (first["rep"], first["reason"])
        pick.why = f"{how}: nobody available" if members else f"{how}: no members"
        return pick
    sequence = weighted_sequence(members)
    if not sequence:
        pick.why = f"{how}: every member has weight 0"
        return pick
    seen: set[str] = set()
    cursor = pool_cursor(pool)
    for _ in range(len(sequence)):
        member_id = rotation(cursor, sequence)
        why = reasons[member_id]
        rotation.turn(cursor, member_id, why)
        if why is None:
            pick.member = by_id[member_id]
            return pick
        if pick.first_choice is None:
            pick.first_choice = (member_id, why)
        if member_id not in seen:
            seen.add(member_id)
            pick.skipped.append({"rep": member_id, "reason": why})
    pick.why = f"{how}: nobody available (the free members have weight 0)"
    return pick
