"""PathFactory JSON -> pageviews and P5 events, as pure functions (no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from handoff_pathfactory.mapping import (
    PageviewFields,
    alert_event,
    has_more,
    pageview_from_record,
    parse_datetime,
    parse_seconds,
    record_mark,
    records_of,
    visitor_key,
    webhook_event,
)
from handoff_pathfactory.signal import Alert, AssetEngagement, Thresholds

FIELDS = PageviewFields()
RECEIVED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def record(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "pv-1",
        "created_at_utc": "2016-06-30T03:55:20.000000",
        "visitor_id": 50001,
        "email": " Dana.Lee@Example.test ",
        "company_name": "Example Widgets Inc",
        "email_domain": "Example.test",
        "content_asset_id": 101,
        "content_asset_title": "CI/CD Primer",
        "engagement_time_seconds": "95.5",
        "session_id": "sess-1",
    }
    base.update(over)
    return base


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2016-06-30T03:55:20.000000", datetime(2016, 6, 30, 3, 55, 20, tzinfo=UTC)),
        ("2016-06-30T03:55:20Z", datetime(2016, 6, 30, 3, 55, 20, tzinfo=UTC)),
        ("2016-06-30T05:55:20+02:00", datetime(2016, 6, 30, 3, 55, 20, tzinfo=UTC)),
        (1467258920, datetime(2016, 6, 30, 3, 55, 20, tzinfo=UTC)),
        (1467258920000, datetime(2016, 6, 30, 3, 55, 20, tzinfo=UTC)),
        ("06/30/2016", None),
        (None, None),
        (True, None),
    ],
)
def test_utc_timestamps_without_an_offset_are_utc(raw: object, expected: object) -> None:
    assert parse_datetime(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(90, 90.0), ("95.5", 95.5), (None, 0.0), ("n/a", 0.0), (-5, 0.0), (float("nan"), 0.0)],
)
def test_engagement_seconds(raw: object, expected: float) -> None:
    assert parse_seconds(raw) == expected


def test_a_record_becomes_a_pageview() -> None:
    pageview = pageview_from_record(record(), FIELDS, require_email=True)
    assert pageview is not None
    assert pageview.visitor_key == "email:dana.lee@example.test"
    assert pageview.email == "dana.lee@example.test"
    assert pageview.visitor_id == "50001"
    assert pageview.asset_id == "101"
    assert pageview.engaged_seconds == 95.5
    assert pageview.account_domain == "example.test"
    assert pageview.viewed_at == datetime(2016, 6, 30, 3, 55, 20, tzinfo=UTC)
    assert pageview.cursor_at == pageview.viewed_at


def test_anonymous_visitors_count_only_when_email_is_not_required() -> None:
    anonymous = record(email=None)
    assert pageview_from_record(anonymous, FIELDS, require_email=True) is None
    tracked = pageview_from_record(anonymous, FIELDS, require_email=False)
    assert tracked is not None
    assert tracked.visitor_key == "visitor:50001"
    assert pageview_from_record(record(email="not-an-email"), FIELDS, require_email=True) is None


@pytest.mark.parametrize("missing", ["id", "created_at_utc", "content_asset_id"])
def test_records_missing_essentials_are_not_pageviews(missing: str) -> None:
    assert pageview_from_record(record(**{missing: None}), FIELDS, require_email=True) is None


def test_custom_field_names_and_an_update_field_for_the_cursor() -> None:
    fields = PageviewFields(
        id="pageview_id",
        viewed_at="viewed_at",
        updated_at="updated_at",
        email="visitor_email",
        asset_id="asset",
        engaged_seconds="seconds",
    )
    raw = {
        "pageview_id": "x9",
        "viewed_at": "2026-01-05T08:00:00",
        "updated_at": "2026-01-05T08:30:00",
        "visitor_email": "a@example.test",
        "asset": "k",
        "seconds": 12,
    }
    pageview = pageview_from_record(raw, fields, require_email=True)
    assert pageview is not None
    assert pageview.cursor_at == datetime(2026, 1, 5, 8, 30, tzinfo=UTC)
    assert fields.cursor_field() == "updated_at"
    assert record_mark(raw, fields) == ("x9", datetime(2026, 1, 5, 8, 30, tzinfo=UTC))
    assert record_mark({"pageview_id": "x9"}, fields) is None


def test_visitor_keys() -> None:
    assert visitor_key("a@example.test", "7") == "email:a@example.test"
    assert visitor_key(None, "7") == "visitor:7"
    assert visitor_key(None, None) is None


def test_records_and_pages_in_the_shapes_seen() -> None:
    assert records_of({"data": [{"id": 1}, "junk"]}) == [{"id": 1}]
    assert records_of({"count": 1, "next": None, "results": [{"id": 2}]}) == [{"id": 2}]
    assert records_of([{"id": 3}]) == [{"id": 3}]
    assert records_of({"detail": "nope"}) == []
    assert has_more({"data": [1, 2]}, 2, 2) is True
    assert has_more({"data": [1]}, 1, 2) is False
    assert has_more({"results": [1, 2], "next": None}, 2, 2) is False
    assert has_more({"results": [1, 2], "next": "https://x.example.test/?offset=2"}, 2, 2)


ALERT = Alert(
    visitor_key="email:dana.lee@example.test",
    triggered_at=datetime(2026, 1, 5, 8, 20, tzinfo=UTC),
    window_start=datetime(2026, 1, 5, 7, 30, tzinfo=UTC),
    assets=(
        AssetEngagement("101", "CI/CD Primer", 120.0),
        AssetEngagement("102", None, 200.0),
        AssetEngagement("103", "Checklist", 90.0),
    ),
    engaged_seconds=410.0,
    email="dana.lee@example.test",
    visitor_id="50001",
    account_name="Example Widgets Inc",
    account_domain="example.test",
)


def test_p5_alert_event_has_email_account_assets_time_and_a_stable_key() -> None:
    event = alert_event(ALERT, Thresholds())
    assert event.type == "pathfactory.fast_moving_buyer"
    assert event.source == "pathfactory"
    assert event.occurred_at == ALERT.triggered_at
    payload = event.payload
    assert payload["email"] == "dana.lee@example.test"
    assert payload["account_name"] == "Example Widgets Inc"
    assert payload["assets_consumed"] == 3
    assert payload["assets"][0] == {"id": "101", "title": "CI/CD Primer", "engaged_seconds": 120.0}
    assert payload["engagement_seconds"] == 410.0
    assert payload["engagement_minutes"] == 6.8
    assert payload["trigger"] == "thresholds"
    assert payload["thresholds"] == {
        "min_assets": 3,
        "min_engaged_minutes": 10.0,
        "match": "any",
        "window_hours": 24.0,
    }
    assert event.dedupe_key == alert_event(ALERT, Thresholds()).dedupe_key
    assert event.dedupe_key.endswith(":2026-01-05T08:20:00+00:00")
    assert "dana" not in event.dedupe_key  # the email is digested


def test_different_visitors_or_times_get_different_keys() -> None:
    other = Alert(**{**ALERT.__dict__, "visitor_key": "email:sam@example.test"})
    later = Alert(**{**ALERT.__dict__, "triggered_at": ALERT.triggered_at + timedelta(hours=25)})
    keys = {alert_event(a, Thresholds()).dedupe_key for a in (ALERT, other, later)}
    assert len(keys) == 3


def _hook(item: dict[str, Any], **kw: Any) -> Any:
    return webhook_event(
        item,
        activity_names=kw.pop("names", ["Fast Moving Buyer"]),
        thresholds=kw.pop("thresholds", Thresholds()),
        require_email=kw.pop("require_email", True),
        received_at=RECEIVED,
    )


def test_p5_a_named_visitor_activity_is_passed_through() -> None:
    event = _hook(
        {
            "activity_name": "fast moving BUYER",
            "activity_id": "act-1",
            "email": "Pat@Example.test",
            "assets": [{"id": "1", "engaged_seconds": 30}],
        }
    )
    assert event is not None
    assert event.payload["trigger"] == "pathfactory_activity"
    assert event.payload["activity_name"] == "fast moving BUYER"
    assert event.payload["email"] == "pat@example.test"
    assert event.payload["assets_consumed"] == 1
    assert event.dedupe_key == "pathfactory:fast_moving_buyer:activity:act-1"
    assert event.occurred_at == RECEIVED


def test_other_activities_are_ignored() -> None:
    assert _hook({"activity_name": "Viewed Pricing", "email": "pat@example.test"}) is None


def test_p5_a_session_summary_is_tested_against_the_thresholds() -> None:
    session = {
        "email": "pat@example.test",
        "session_id": "sess-9",
        "occurred_at": "2026-01-05T08:50:00Z",
        "assets": [{"id": "1"}, {"id": "2"}, {"id": "2"}, "3"],
    }
    event = _hook(session)
    assert event is not None
    assert event.payload["trigger"] == "thresholds"
    assert event.payload["assets_consumed"] == 3
    assert event.dedupe_key == "pathfactory:fast_moving_buyer:session:sess-9"
    assert _hook({**session, "assets": [{"id": "1"}, {"id": "2"}]}) is None
    long_read = {**session, "assets": [{"id": "1"}], "engagement_seconds": 601}
    assert _hook(long_read) is not None


def test_a_webhook_item_must_name_someone() -> None:
    with pytest.raises(ValueError, match="'email' is missing"):
        _hook({"activity_name": "Fast Moving Buyer", "visitor_id": "7"})
    anonymous = _hook(
        {"activity_name": "Fast Moving Buyer", "visitor_id": "7"}, require_email=False
    )
    assert anonymous is not None
    assert anonymous.payload["visitor_id"] == "7"
