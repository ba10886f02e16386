"""P5: polling PathFactory pageviews into Fast Moving Buyer events, replayed from cassettes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from handoff_pathfactory import PathfactoryConnector
from pf_cases import CONFIG, MAIN_CURSOR, SECRETS

from handoff_sdk import ConnectorError
from handoff_sdk.testing.harness import Harness, build_harness

HarnessFactory = Callable[..., Harness]


async def test_p5_poll_emits_fast_moving_buyers_by_assets_and_by_minutes(
    connector_harness: HarnessFactory,
) -> None:
    harness = connector_harness(
        PathfactoryConnector, config=CONFIG, secrets=SECRETS, cassette="poll_pageviews"
    )
    result = await harness.connector.handoff_poll_events(cursor=MAIN_CURSOR)  # type: ignore[attr-defined]

    assert [e.payload["email"] for e in result.events] == [
        "sam.ortiz@example.test",  # 11.7 minutes on one asset
        "dana.lee@example.test",  # third distinct asset, two of them from the cursor
    ]
    sam, dana = result.events
    assert sam.type == dana.type == "pathfactory.fast_moving_buyer"
    assert sam.payload["assets_consumed"] == 1
    assert sam.payload["engagement_seconds"] == 700.0
    assert sam.occurred_at == datetime(2026, 1, 5, 8, 15, tzinfo=UTC)
    assert dana.payload["assets_consumed"] == 3
    assert [a["id"] for a in dana.payload["assets"]] == ["101", "102", "103"]
    assert dana.payload["account_name"] == "Example Widgets Inc"
    assert dana.payload["window_start"] == "2026-01-05T07:30:00+00:00"
    assert harness.api_calls == 1
    request = harness.sent()[0]
    assert request.headers["authorization"] == "Bearer synthetic-api-key"
    assert request.url.params["created_at_min"] == "2026-01-05T08:00:00+00:00"
    assert request.url.params["created_at_max"] == "2026-01-05T09:00:00+00:00"
    assert request.url.params["ordering"] == "created_at_utc"


async def test_p5_poll_cursor_carries_the_window_and_the_cooldown(
    connector_harness: HarnessFactory,
) -> None:
    harness = connector_harness(
        PathfactoryConnector, config=CONFIG, secrets=SECRETS, cassette="poll_pageviews"
    )
    result = await harness.connector.handoff_poll_events(cursor=MAIN_CURSOR)  # type: ignore[attr-defined]
    cursor = json.loads(result.cursor)
    # The last records read were anonymous or below the thresholds; the
    # cursor still moves past them.
    assert cursor["since"] == "2026-01-05T08:40:00+00:00"
    assert cursor["seen"] == ["pv-1011"]
    visitors = cursor["visitors"]
    assert set(visitors) == {
        "email:dana.lee@example.test",
        "email:sam.ortiz@example.test",
        "email:lee.park@example.test",
    }
    assert visitors["email:dana.lee@example.test"]["until"] == "2026-01-06T08:20:00+00:00"
    assert visitors["email:lee.park@example.test"]["until"] is None
    assert len(visitors["email:dana.lee@example.test"]["views"]) == 4  # 08:40 view counted


async def test_pages_are_read_with_limit_and_offset(connector_harness: HarnessFactory) -> None:
    harness = connector_harness(
        PathfactoryConnector,
        config={**CONFIG, "page_size": 3},
        secrets=SECRETS,
        cassette="poll_paged",
    )
    result = await harness.connector.handoff_poll_events(cursor="2026-01-05T08:00:00Z")  # type: ignore[attr-defined]
    assert harness.api_calls == 4
    assert [r.url.params["offset"] for r in harness.sent()] == ["0", "3", "6", "9"]
    # A bare timestamp means "alert from then on", with the window before it as context.
    assert harness.sent()[0].url.params["created_at_min"] == "2026-01-04T08:00:00+00:00"
    assert [e.payload["email"] for e in result.events] == ["sam.ortiz@example.test"]


async def test_the_first_poll_starts_from_now_and_only_remembers(
    connector_harness: HarnessFactory,
) -> None:
    harness = connector_harness(
        PathfactoryConnector, config=CONFIG, secrets=SECRETS, cassette="poll_first"
    )
    result = await harness.connector.handoff_poll_events(cursor=None)  # type: ignore[attr-defined]
    assert result.events == []  # Sam crossed the thresholds before "now"
    assert harness.sent()[0].url.params["created_at_min"] == "2026-01-04T09:00:00+00:00"
    cursor = json.loads(result.cursor)
    assert "email:sam.ortiz@example.test" in cursor["visitors"]
    assert cursor["emit_from"] is None


def _mock(handler: Callable[[httpx.Request], httpx.Response], **config: Any) -> Harness:
    return build_harness(
        PathfactoryConnector,
        transport=httpx.MockTransport(handler),
        config={**CONFIG, **config},
        secrets=SECRETS,
    )


async def test_a_drf_next_null_ends_paging_and_headers_and_params_are_configurable() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"count": 2, "next": None, "results": [{}, {}]})

    harness = _mock(
        handler,
        page_size=2,
        auth_header="access_token",
        auth_prefix="",
        order_param=None,
        since_param="updated_at_min",
        extra_params={"_format": "json"},
        fields={"updated_at": "updated_at_utc"},
    )
    await harness.connector.handoff_poll_events(cursor="2026-01-05T08:00:00Z")  # type: ignore[attr-defined]
    assert len(seen) == 1
    assert seen[0].headers["access_token"] == "synthetic-api-key"
    assert "authorization" not in seen[0].headers
    assert "ordering" not in seen[0].url.params
    assert seen[0].url.params["updated_at_min"] == "2026-01-04T08:00:00+00:00"
    assert seen[0].url.params["_format"] == "json"


async def test_a_capped_poll_stops_at_max_pages() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        return httpx.Response(
            200,
            json={
                "data": [
                    {
                        "id": f"pv-{offset + i}",
                        "created_at_utc": f"2026-01-05T08:{offset + i:02d}:00",
                        "email": "a@example.test",
                        "content_asset_id": "1",
                        "engagement_time_seconds": 1,
                    }
                    for i in range(2)
                ]
            },
        )

    harness = _mock(handler, page_size=2, max_pages_per_poll=3)
    result = await harness.connector.handoff_poll_events(cursor="2026-01-05T08:00:00Z")  # type: ignore[attr-defined]
    assert harness.api_calls == 3
    assert json.loads(result.cursor)["since"] == "2026-01-05T08:05:00+00:00"


@pytest.mark.parametrize("cursor", ["yesterday", '{"v": 9}', '{"v": 1, "since": 5}'])
async def test_an_unreadable_cursor_is_a_clear_error(cursor: str) -> None:
    harness = _mock(lambda r: httpx.Response(500))
    with pytest.raises(ConnectorError, match="pathfactory: unreadable poll cursor"):
        await harness.connector.handoff_poll_events(cursor=cursor)  # type: ignore[attr-defined]
    assert harness.api_calls == 0


def test_p5_thresholds_are_configuration() -> None:
    model = PathfactoryConnector.config_model
    config: Any = model.model_validate(
        {
            "fast_moving_buyer": {
                "min_assets": 5,
                "min_engaged_minutes": None,
                "window_hours": 72,
                "cooldown_hours": 168,
            }
        }
    )
    thresholds = config.fast_moving_buyer.thresholds()
    assert thresholds.min_assets == 5
    assert thresholds.min_seconds is None
    assert thresholds.window.total_seconds() == 72 * 3600
    assert thresholds.cooldown.total_seconds() == 168 * 3600
    with pytest.raises(ValueError, match="min_assets or min_engaged_minutes"):
        model.model_validate(
            {"fast_moving_buyer": {"min_assets": None, "min_engaged_minutes": None}}
        )
    with pytest.raises(ValueError, match="https"):
        model.model_validate({"base_url": "http://pathfactory.example.test"})


def test_the_default_budget_is_conservative_and_documented() -> None:
    limit = PathfactoryConnector.default_rate_limit
    assert limit.requests / limit.per_seconds <= 0.5
    assert limit.concurrency == 1


def test_toml_has_no_null_so_zero_or_empty_switches_things_off() -> None:
    config: Any = PathfactoryConnector.config_model.model_validate(
        {
            "order_param": "",
            "fields": {"session_id": "", "updated_at": ""},
            "fast_moving_buyer": {"min_engaged_minutes": 0, "cooldown_hours": 0},
        }
    )
    assert config.order_param is None
    assert config.fields.session_id is None
    assert config.fields.cursor_field() == "created_at_utc"
    thresholds = config.fast_moving_buyer.thresholds()
    assert thresholds.min_seconds is None
    assert thresholds.min_assets == 3
    assert thresholds.cooldown == thresholds.window
