"""Interesting moments and other activities, polled through Marketo's paging tokens."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from handoff_marketo import MarketoConnector

from handoff_sdk import PaginationError

CONFIG = {
    "base_url": "https://marketo.example.test",
    "client_id": "synthetic-client-id",
    "activity_type_ids": [46, 2],
}
SECRETS = {"client_secret": "synthetic-secret"}
TOKEN_A = "GIYDAOBNGEYS2MBWKQYDAORQGA5DAMBOGAYDAKZQGAYDALBQ"
TOKEN_B = "WQV2VQVPPCKHC6AQYVK7JDSA3I3LCWXH3Y6IIZ7YSGQLXHCPVE5Q===="
TOKEN_C = "WQV2VQVPPCKHC6AQYVK7JDSA3J62DUSJ3EXJGDPTKPEBFW3SAVUA===="


def api_requests(harness):
    return [r for r in harness.sent() if "/identity/" not in r.url.path]


async def test_first_poll_starts_from_now_and_follows_more_result(connector_harness) -> None:
    harness = connector_harness(
        MarketoConnector, config=CONFIG, secrets=SECRETS, cassette="poll_events"
    )

    poll = await harness.connector.handoff_poll_events(None)

    token_call, page1, page2 = api_requests(harness)
    assert token_call.url.path == "/rest/v1/activities/pagingtoken.json"
    assert token_call.url.params["sinceDatetime"] == "2026-01-05T09:00:00Z"  # the clock's now
    assert page1.url.path == "/rest/v1/activities.json"
    assert page1.url.params["nextPageToken"] == TOKEN_A
    assert page1.url.params["activityTypeIds"] == "46,2"
    assert page2.url.params["nextPageToken"] == TOKEN_B
    assert poll.cursor == TOKEN_C  # the last nextPageToken

    assert [e.type for e in poll.events] == [
        "marketo.activity.interesting_moment",
        "marketo.activity.fill_out_form",
        "marketo.activity.interesting_moment",
    ]
    moment = poll.events[0]
    assert moment.source == "marketo"
    assert moment.dedupe_key == "marketo:activity:700001"
    assert moment.occurred_at == datetime(2026, 1, 5, 9, 1, tzinfo=UTC)
    assert moment.payload["lead_id"] == "50101"
    assert moment.payload["attributes"]["Description"] == "Visited the pricing page"
    assert poll.events[2].occurred_at == datetime(2026, 1, 5, 9, 7, 45, tzinfo=UTC)  # "+0000" form


async def test_poll_from_a_cursor_skips_the_date_token(connector_harness) -> None:
    harness = connector_harness(
        MarketoConnector, config=CONFIG, secrets=SECRETS, cassette="poll_events_from_cursor"
    )

    poll = await harness.connector.handoff_poll_events(TOKEN_C)

    [call] = api_requests(harness)
    assert call.url.path == "/rest/v1/activities.json"
    assert call.url.params["nextPageToken"] == TOKEN_C
    assert poll.events == []
    assert poll.cursor == TOKEN_C


async def test_a_poll_stops_at_the_page_cap_and_resumes_from_its_cursor(connector_harness) -> None:
    harness = connector_harness(
        MarketoConnector,
        config={**CONFIG, "max_activity_pages": 1},
        secrets=SECRETS,
        cassette="poll_events",
    )

    poll = await harness.connector.handoff_poll_events(None)

    assert harness.api_calls == 2  # the date token and one page
    assert len(poll.events) == 2
    assert poll.cursor == TOKEN_B  # the next poll reads page 2


async def test_default_activity_type_is_interesting_moment(marketo, fake_marketo) -> None:
    fake_marketo.answer(
        "/rest/v1/activities.json",
        {"requestId": "1#1", "success": True, "nextPageToken": "NEXT", "moreResult": False},
    )
    harness = marketo()

    poll = await harness.connector.handoff_poll_events("START")

    [call] = fake_marketo.api_requests
    assert call.url.params["activityTypeIds"] == "46"
    assert poll.cursor == "NEXT"


async def test_a_repeated_token_with_more_result_is_a_pagination_error(
    marketo, fake_marketo
) -> None:
    fake_marketo.answer(
        "/rest/v1/activities.json",
        {"requestId": "1#1", "success": True, "nextPageToken": "SAME", "moreResult": True},
    )
    harness = marketo()

    with pytest.raises(PaginationError, match="marketo"):
        await harness.connector.handoff_poll_events("SAME")
