"""The shared round robin: weighted and smooth, durable in the store, one cursor per team.

Q3 (chats) and D2 (leads) draw on the same cursor for a team: one fairness
model across channels.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from handoff.rules import MemoryRotation, pick_member, pool_cursor, stored_rotation
from handoff.rules import weighted_sequence as sequence_of
from handoff.store import Cursor, Store

NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Member:
    id: str
    weight: int = 1


def test_weights_interleave_and_zero_never_rotates() -> None:
    members = [Member("a", 2), Member("b", 1), Member("z", 0)]
    assert sequence_of(members) == ("a", "b", "a")


def test_the_stored_cursor_survives_sessions_and_is_shared_by_every_flow(store: Store) -> None:
    team = [Member("ana"), Member("bo"), Member("cy")]
    picked = []
    for _ in range(4):  # one transaction per decision, as the flows decide
        with store.transaction() as session:
            pick = pick_member(
                team, how="team sdr", pool="sdr", rotation=stored_rotation(session, now=NOW)
            )
            assert pick.member is not None
            picked.append(pick.member.id)
    assert picked == ["ana", "bo", "cy", "ana"]
    with store.transaction() as session:
        cursor = session.get(Cursor, pool_cursor("sdr"))
        assert cursor is not None
        assert cursor.position == 1


def test_nobody_free_does_not_move_the_cursor_and_keeps_the_first_choice() -> None:
    team = [Member("ana"), Member("bo")]
    rotation = MemoryRotation()
    away = pick_member(
        team, how="team sdr", pool="sdr", rotation=rotation, unavailable=lambda m: "away"
    )
    assert away.member is None
    assert away.why == "team sdr: nobody available"
    assert rotation.positions == {}
    assert away.first_choice == ("ana", "away")
    skip_ana = pick_member(
        team,
        how="team sdr",
        pool="sdr",
        rotation=rotation,
        unavailable=lambda m: "out of office" if m.id == "ana" else None,
    )
    assert skip_ana.member == Member("bo")
    assert skip_ana.skipped == [{"rep": "ana", "reason": "out of office"}]
    assert skip_ana.first_choice == ("ana", "out of office")


def test_named_members_are_taken_in_order_without_a_cursor() -> None:
    rotation = MemoryRotation()
    pick = pick_member([Member("owner")], how="account owner", pool=None, rotation=rotation)
    assert pick.member == Member("owner")
    assert rotation.positions == {}
    assert pick.to_json() == {"member": "owner", "why": "account owner", "skipped": []}
