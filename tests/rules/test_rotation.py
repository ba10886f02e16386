"""The shared round robin: weighted and smooth, durable in the store, one cursor per team.

Q3 (chats) and D2 (leads) draw on the same cursor for a team: one fairness
model across channels.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from handoff.rules import MemoryRotation, pick_member, pool_cursor, stored_rotation
from handoff.rules import weighted_sequence as sequence_of
from handoff.rules.rotation import Turn
from handoff.store import Cursor, RotationTurn, Store

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


def test_a_three_to_one_weighting_interleaves_and_a_weight_of_one_counts() -> None:
    """Mutation survivors: weights 2,1 give a,b,a even if the weights were never added."""
    assert sequence_of([Member("a", 3), Member("b", 1)]) == ("a", "a", "b", "a")
    assert sequence_of([Member("a", 1), Member("b", 1)]) == ("a", "b")


def test_the_memory_cursor_advances_one_member_per_draw_and_records_each_turn() -> None:
    rotation = MemoryRotation()
    drawn = [rotation("rr:sdr", ["ana", "bo", "cy"]) for _ in range(4)]
    assert drawn == ["ana", "bo", "cy", "ana"]
    assert rotation.positions == {"rr:sdr": 1}  # 1-based, in the cycle
    rotation.turn("rr:sdr", "ana", None)
    rotation.turn("rr:other", "zed", "away")  # a turn on a cursor never drawn: position 0
    assert rotation.turns == [
        Turn("rr:sdr", "ana", None, 1, ("ana", "bo", "cy")),
        Turn("rr:other", "zed", "away", 0, ()),
    ]
    with pytest.raises(FrozenInstanceError):
        rotation.turns[0].member = "bo"  # type: ignore[misc]


def test_the_stored_ledger_keeps_each_turn_with_names_cut_to_their_columns(store: Store) -> None:
    """The ledger's cursor and member columns hold 200 characters: longer names are cut there,
    and a turn on a cursor not drawn in this transaction has position 0 and no cycle."""
    long_pool, long_member = "p" * 250, "m" * 250
    with store.transaction() as session:
        rotation = stored_rotation(session, now=NOW)
        assert rotation(long_pool, [long_member, "bo"]) == long_member
        rotation.turn(long_pool, long_member, None)
        rotation.turn("rr:never-drawn", "zed", "away")
    with store.sessions() as session:
        turns = session.scalars(select(RotationTurn).order_by(RotationTurn.id)).all()
        assert [(t.cursor, t.member, t.reason, t.position, t.cycle) for t in turns] == [
            ("p" * 200, "m" * 200, None, 1, [long_member, "bo"]),
            ("rr:never-drawn", "zed", "away", 0, []),
        ]
