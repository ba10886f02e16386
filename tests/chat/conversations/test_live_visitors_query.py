"""Q10/Q2: `live_visitors` finds the rep's visitors in SQL (not the site's page views in Python);
who is whose, the window, the counts and the last page stay what they were, on both databases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from handoff.chat.pounce import live_visitors, page_view_times
from handoff.runtime import DecisionSpec, record_decision, record_events
from handoff.runtime.state import upsert_entity
from handoff.store import Store
from handoff_sdk import FakeClock
from handoff_sdk.entities import Event


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Store:
    """The test's store: SQLite, then PostgreSQL."""
    store: Store = request.getfixturevalue("store" if request.param == "sqlite" else "pg_store")
    return store


def identify(store: Store, clock: FakeClock, visitor: str, **outcome: Any) -> int:
    """A Q1 identify decision about `visitor` (account Acme unless `account` is given)."""
    with store.transaction() as session:
        return record_decision(
            session,
            DecisionSpec(
                kind="identify",
                subject_type="visitor",
                subject_id=visitor,
                outcome={"account": "Acme", "account_ids": {"salesforce": "001A"}, **outcome},
                explanation={"steps": [], "firmographics": {"intent_score": len(visitor)}},
                rule_ids=("Q1",),
            ),
            now=clock.now(),
        )


def views(store: Store, clock: FakeClock, *seen: tuple[str, str, int]) -> None:
    """Page views (visitor, url, seconds before now it occurred), received now."""
    with store.transaction() as session:
        record_events(
            session,
            [
                Event(
                    type="hub.page_view",
                    source="hub",
                    dedupe_key=f"pv:{clock.now().isoformat()}:{n}",
                    occurred_at=clock.now() - timedelta(seconds=ago),
                    payload={"visitor_id": visitor, "url": url},
                )
                for n, (visitor, url, ago) in enumerate(seen)
            ],
            now=clock.now(),
        )


ACTIVE = {"account_status": "Actively Working"}


def test_q10_only_the_reps_visitors_in_the_window_with_their_counts_and_last_page(
    db: Store, clock: FakeClock
) -> None:
    mine = identify(db, clock, "v-mine", bdr_assigned_id="ana", **ACTIVE)
    identify(db, clock, "v-other", bdr_assigned_id="bo", **ACTIVE)
    identify(db, clock, "v-cold", bdr_assigned_id="ana", account_status="Prospect")
    identify(db, clock, "v-owner", owner_id="ana", account_status="actively working")
    identify(db, clock, "v-bdr-wins", bdr_assigned_id="bo", owner_id="ana", **ACTIVE)
    # Reassigned: the newest identify decision with an account decides.
    identify(db, clock, "v-moved-away", bdr_assigned_id="ana", **ACTIVE)
    identify(db, clock, "v-moved-away", bdr_assigned_id="bo", **ACTIVE)
    identify(db, clock, "v-moved-here", bdr_assigned_id="bo", **ACTIVE)
    moved_here = identify(db, clock, "v-moved-here", bdr_assigned_id="ana", **ACTIVE)
    identify(db, clock, "v-no-account-later", bdr_assigned_id="ana", **ACTIVE)
    identify(db, clock, "v-no-account-later", account=None, bdr_assigned_id="bo")
    # Neither BDR nor owner on the decision: the account entity says whose it is.
    with db.transaction() as session:
        upsert_entity(
            session,
            "account",
            "001E",
            {"bdr_assigned_id": "ana", "status": "Actively Working"},
            now=clock.now(),
        )
    entity = identify(db, clock, "v-entity", account_ids={"salesforce": "001E"})
    # Seen before the window only: not live.
    identify(db, clock, "v-earlier", bdr_assigned_id="ana", **ACTIVE)
    views(db, clock, ("v-earlier", "https://site.test/old", 0))
    clock.advance(20 * 60)
    views(
        db,
        clock,
        ("v-mine", "https://site.test/a", 300),
        ("v-mine", "https://site.test/pricing", 10),  # the latest, though not the last stored
        ("v-mine", "https://site.test/b", 200),
        ("v-other", "https://site.test/a", 5),
        ("v-cold", "https://site.test/a", 5),
        ("v-owner", "https://site.test/a", 60),
        ("v-bdr-wins", "https://site.test/a", 5),
        ("v-moved-away", "https://site.test/a", 5),
        ("v-moved-here", "https://site.test/a", 30),
        ("v-no-account-later", "https://site.test/a", 40),
        ("v-entity", "https://site.test/e", 50),
        ("v-unknown", "https://site.test/a", 5),
    )
    clock.advance(60)
    with db.sessions() as session:
        found = live_visitors(session, "ana", now=clock.now())
        narrow = live_visitors(session, "ana", now=clock.now(), window=timedelta(seconds=30))
    assert [v.visitor_id for v in found] == [
        "v-mine",
        "v-moved-here",
        "v-no-account-later",
        "v-entity",
        "v-owner",
    ]
    first = found[0]
    assert (first.page_views, first.last_page) == (3, "https://site.test/pricing")
    assert first.last_seen == clock.now() - timedelta(seconds=70)
    assert (first.identify_decision, first.intent) == (mine, {"intent_score": 6})
    assert found[1].identify_decision == moved_here
    assert (found[3].identify_decision, found[3].account_ids) == (entity, {"salesforce": "001E"})
    assert narrow == []  # received a minute ago: outside a 30-second window


def test_q10_visitors_seen_at_the_same_moment_keep_the_order_they_came_in(
    db: Store, clock: FakeClock
) -> None:
    for visitor in ("v3", "v1", "v2"):
        identify(db, clock, visitor, bdr_assigned_id="ana", **ACTIVE)
    views(db, clock, *((v, "https://site.test/", 0) for v in ("v3", "v1", "v2", "v1")))
    with db.sessions() as session:
        found = live_visitors(session, "ana", now=clock.now())
    assert [(v.visitor_id, v.page_views) for v in found] == [("v3", 1), ("v1", 2), ("v2", 1)]


def test_q15_page_view_times_read_the_visitor_id_alone_as_the_payload_holds_it(
    db: Store, clock: FakeClock
) -> None:
    with db.transaction() as session:
        record_events(
            session,
            [
                Event(
                    type="hub.page_view",
                    source="hub",
                    dedupe_key=f"pv-{n}",
                    occurred_at=clock.now() - timedelta(seconds=n) if n % 2 else None,
                    payload=payload,
                )
                for n, payload in enumerate(
                    [
                        {"visitor_id": "v-1", "url": "https://site.test/"},
                        {"visitor_id": 42},  # not a string: left out
                        {"url": "https://site.test/"},  # no visitor: left out
                        {"visitor_id": "v-2", "nested": {"visitor_id": "no"}},
                        {"visitor_id": None},
                        {"visitor_id": "v-1"},
                    ]
                )
            ],
            now=clock.now(),
        )
    with db.sessions() as session:
        found = list(
            page_view_times(session, clock.now() - timedelta(minutes=1), clock.now() + timedelta(1))
        )
    assert found == [
        ("v-1", clock.now()),
        ("v-2", clock.now() - timedelta(seconds=3)),
        ("v-1", clock.now() - timedelta(seconds=5)),
    ]
