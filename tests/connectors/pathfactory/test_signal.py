"""P5: the Fast Moving Buyer thresholds over a sliding window, as a pure function."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from handoff_pathfactory.signal import EngagementState, Pageview, Thresholds, detect
from hypothesis import given, settings
from hypothesis import strategies as st

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DEFAULT = Thresholds()  # 3 assets or 10 minutes within 24 h, 24 h cooldown


def pv(
    n: int,
    minutes: float,
    asset: str,
    seconds: float = 30,
    who: str = "email:dana@example.test",
    **kw: object,
) -> Pageview:
    return Pageview(
        pageview_id=f"pv-{n}",
        viewed_at=T0 + timedelta(minutes=minutes),
        visitor_key=who,
        asset_id=asset,
        engaged_seconds=seconds,
        email=who.removeprefix("email:") if who.startswith("email:") else None,
        **kw,  # type: ignore[arg-type]
    )


def run(pageviews: list[Pageview], thresholds: Thresholds = DEFAULT, **state: object):  # type: ignore[no-untyped-def]
    start = EngagementState(since=T0 - timedelta(days=1), **state)  # type: ignore[arg-type]
    return detect(start, pageviews, thresholds, NOW)


@pytest.mark.parametrize(
    ("assets", "seconds", "match", "met"),
    [(3, 0, "any", True), (2, 600, "any", True), (2, 599, "any", False),
     (3, 599, "all", False), (3, 600, "all", True)],
)  # fmt: skip
def test_thresholds_any_or_all(assets: int, seconds: float, match: str, met: bool) -> None:
    assert Thresholds(min_assets=3, min_seconds=600, match=match).met(assets, seconds) is met  # type: ignore[arg-type]


def test_a_switched_off_criterion_is_not_counted() -> None:
    assert Thresholds(min_assets=None, min_seconds=60).met(100, 59) is False
    assert Thresholds(min_assets=2, min_seconds=None).met(2, 0) is True
    assert Thresholds(min_assets=None, min_seconds=None).met(100, 10_000) is False


def test_p5_third_distinct_asset_makes_a_fast_moving_buyer() -> None:
    alerts, _ = run([pv(1, 0, "a"), pv(2, 5, "b"), pv(3, 6, "b"), pv(4, 10, "c")])
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.triggered_at == T0 + timedelta(minutes=10)
    assert alert.window_start == T0
    assert [a.asset_id for a in alert.assets] == ["a", "b", "c"]
    assert alert.assets[1].seconds == 60
    assert alert.engaged_seconds == 120
    assert alert.email == "dana@example.test"


def test_p5_ten_minutes_on_one_asset_is_enough() -> None:
    alerts, _ = run([pv(1, 0, "a", 300), pv(2, 20, "a", 299)])
    assert alerts == []
    alerts, _ = run([pv(1, 0, "a", 300), pv(2, 20, "a", 300)])
    assert len(alerts) == 1
    assert alerts[0].engaged_seconds == 600


def test_p5_views_outside_the_window_do_not_count() -> None:
    two_hours = Thresholds(window=timedelta(hours=2), cooldown=timedelta(hours=2))
    spread = [pv(1, 0, "a"), pv(2, 50, "b"), pv(3, 121, "c")]  # a drops out at 120 min
    assert run(spread, two_hours)[0] == []
    tight = [pv(1, 0, "a"), pv(2, 50, "b"), pv(3, 119, "c")]
    assert len(run(tight, two_hours)[0]) == 1


def test_p5_one_alert_per_cooldown_then_again() -> None:
    hourly = Thresholds(min_assets=2, min_seconds=None, cooldown=timedelta(minutes=60))
    views = [pv(1, 0, "a"), pv(2, 1, "b"), pv(3, 2, "c"), pv(4, 30, "d"), pv(5, 61, "e")]
    alerts, _ = run(views, hourly)
    assert [a.triggered_at for a in alerts] == [
        T0 + timedelta(minutes=1),
        T0 + timedelta(minutes=61),
    ]


def test_visitors_are_counted_apart() -> None:
    views = [pv(1, 0, "a"), pv(2, 1, "b", who="email:x@example.test"), pv(3, 2, "c")]
    assert run(views)[0] == []


def test_a_pageview_read_again_is_counted_once_at_its_latest_engagement() -> None:
    first, state = run([pv(1, 0, "a", 300)])
    assert first == []
    grown = Pageview(
        "pv-1", T0, "email:dana@example.test", "a", 650, updated_at=T0 + timedelta(minutes=20)
    )
    alerts, _ = detect(state, [grown], DEFAULT, NOW)
    assert len(alerts) == 1
    assert alerts[0].engaged_seconds == 650


def test_seeding_gives_context_but_no_alert_before_emit_from() -> None:
    views = [pv(1, 0, "a"), pv(2, 1, "b"), pv(3, 2, "c")]
    alerts, state = run(views, emit_from=T0 + timedelta(minutes=30))
    assert alerts == []
    later = pv(4, 40, "d")
    alerts, _ = detect(state, [later], DEFAULT, NOW + timedelta(minutes=1))
    assert len(alerts) == 1
    assert len(alerts[0].assets) == 4


def test_the_cursor_skips_ids_already_read_at_since() -> None:
    state = EngagementState(since=T0, seen=frozenset({"pv-1"}))
    alerts, after = detect(
        state, [pv(1, 0, "a"), pv(2, 0, "b"), pv(3, 0, "c")], Thresholds(min_assets=3), NOW
    )
    assert alerts == []  # pv-1 was skipped: only two assets
    assert after.since == T0
    assert after.seen == {"pv-1", "pv-2", "pv-3"}


def test_the_cursor_follows_every_record_read_anonymous_ones_too() -> None:
    _, after = run([pv(1, 5, "a")])
    assert after.since == T0 + timedelta(minutes=5)
    start = EngagementState(since=T0)
    _, moved = detect(start, [], DEFAULT, NOW, read=[("anon-1", T0 + timedelta(minutes=40))])
    assert moved.since == T0 + timedelta(minutes=40)
    assert moved.seen == {"anon-1"}


def test_old_views_and_idle_visitors_are_forgotten() -> None:
    hour = Thresholds(window=timedelta(hours=1), cooldown=timedelta(hours=1))
    _, state = detect(EngagementState(since=T0), [pv(1, -30, "a"), pv(2, 5, "b")], hour, NOW)
    trail = state.visitors["email:dana@example.test"]
    assert set(trail.views) == {"pv-2"}  # pv-1 is more than an hour before NOW
    _, later = detect(state, [], hour, NOW + timedelta(hours=2))
    assert later.visitors == {}


def test_state_round_trips_through_the_cursor_string() -> None:
    _, state = run([pv(1, 0, "a"), pv(2, 1, "b"), pv(3, 2, "c", asset_title="T" * 500)])
    again = EngagementState.loads(state.dumps())
    assert again.dumps() == state.dumps()
    trail = again.visitors["email:dana@example.test"]
    assert trail.alerted_until == T0 + timedelta(minutes=2, hours=24)
    assert len(trail.views["pv-3"].title or "") == 200


def test_replaying_a_cursor_gives_the_same_alerts() -> None:
    start = EngagementState(since=T0 - timedelta(days=1))
    views = [pv(1, 0, "a"), pv(2, 1, "b"), pv(3, 2, "c")]
    first, _ = detect(EngagementState.loads(start.dumps()), views, DEFAULT, NOW)
    second, _ = detect(EngagementState.loads(start.dumps()), views, DEFAULT, NOW)
    assert first == second
    assert len(first) == 1


@pytest.mark.parametrize("bad", ['{"v": 2}', '{"v": 1}', '{"v": 1, "since": "x"}', "[]"])
def test_a_foreign_cursor_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each message differs
        EngagementState.loads(bad)


_views = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3000),  # minutes after T0
        st.sampled_from(["a", "b", "c", "d"]),
        st.integers(min_value=0, max_value=400),  # seconds engaged
        st.sampled_from(["email:x@example.test", "email:y@example.test"]),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(_views, st.integers(min_value=1, max_value=6))
def test_p5_polling_in_chunks_alerts_as_one_poll_would(
    raw: list[tuple[int, str, int, str]], chunks: int
) -> None:
    """However the pageviews are split across polls, the same alerts come out."""
    views = sorted(
        (pv(i, m, a, s, who) for i, (m, a, s, who) in enumerate(raw)),
        key=lambda p: (p.viewed_at, p.pageview_id),
    )
    thresholds = Thresholds(min_assets=3, min_seconds=900, window=timedelta(hours=6),
                            cooldown=timedelta(hours=6))  # fmt: skip
    start = EngagementState(since=T0 - timedelta(days=1))
    end = T0 + timedelta(days=3)
    whole, _ = detect(start, views, thresholds, end)
    size = max(1, -(-len(views) // chunks))
    state, pieces = start, []
    for i in range(0, len(views), size):
        part = views[i : i + size]
        got, state = detect(
            EngagementState.loads(state.dumps()), part, thresholds, part[-1].viewed_at
        )
        pieces += got
    assert pieces == whole
