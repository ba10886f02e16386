"""PathFactory's error shapes (modelled: the v3 API looks like Django REST Framework).

The public API paths end in a slash and page with limit/offset, as DRF APIs
do; DRF answers errors as `{"detail": "..."}` and, when throttling, says
"Expected available in N seconds." with or without a Retry-After header.
No recorded PathFactory error is public, so these shapes are modelled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from handoff_pathfactory import PathfactoryConnector

from handoff_sdk import ApiError, AuthError, Verdict
from handoff_sdk.testing.harness import Harness, build_harness

API_KEY = "synthetic-api-key"
URL = "https://pathfactory.example.test/public/v3/pageviews/"


def _harness(handler: Callable[[httpx.Request], httpx.Response]) -> Harness:
    return build_harness(
        PathfactoryConnector,
        transport=httpx.MockTransport(handler),
        config={"base_url": "https://pathfactory.example.test"},
        secrets={"api_key": API_KEY},
    )


def _classify(response: httpx.Response) -> Any:
    response.request = httpx.Request("GET", URL)
    return _harness(lambda r: response).connector.classify(response)


def test_a_refused_key_asks_for_credentials() -> None:
    outcome = _classify(httpx.Response(401, json={"detail": "Invalid token."}))
    assert outcome.verdict is Verdict.REFRESH_AUTH
    assert outcome.message == "Invalid token."


def test_a_role_without_access_fails_and_says_so() -> None:
    outcome = _classify(
        httpx.Response(403, json={"detail": "You do not have permission to perform this action."})
    )
    assert outcome.verdict is Verdict.FAIL
    assert outcome.code == "forbidden"
    assert "role may not read /public/v3/pageviews/" in outcome.message
    assert "do not have permission" in outcome.message


def test_a_throttle_without_retry_after_reads_the_wait_from_the_text() -> None:
    outcome = _classify(
        httpx.Response(
            429, json={"detail": "Request was throttled. Expected available in 56 seconds."}
        )
    )
    assert outcome.verdict is Verdict.RETRY
    assert outcome.rate_limited
    assert outcome.retry_after == 56


def test_a_throttle_with_retry_after_uses_the_header() -> None:
    outcome = _classify(
        httpx.Response(
            429, headers={"Retry-After": "12"}, json={"detail": "Request was throttled."}
        )
    )
    assert outcome.retry_after == 12
    assert outcome.rate_limited


def test_server_errors_are_retried() -> None:
    assert _classify(httpx.Response(503, text="upstream down")).verdict is Verdict.RETRY


def test_an_error_inside_http_200_fails() -> None:
    outcome = _classify(httpx.Response(200, json={"error": "invalid date for created_at_min"}))
    assert outcome.verdict is Verdict.FAIL
    assert outcome.message == "invalid date for created_at_min"
    assert _classify(httpx.Response(200, json={"data": []})).verdict is Verdict.OK


def test_a_validation_error_list_is_read() -> None:
    outcome = _classify(
        httpx.Response(400, json={"errors": [{"field": "limit", "message": "must be <= 1000"}]})
    )
    assert outcome.verdict is Verdict.FAIL
    assert outcome.message == "must be <= 1000"


def test_html_with_http_200_is_a_wrong_base_url() -> None:
    outcome = _classify(httpx.Response(200, text="<html></html>"))
    assert outcome.verdict is Verdict.FAIL
    assert outcome.code == "not_json"


async def test_a_refused_key_is_an_auth_error_after_one_call() -> None:
    harness = _harness(lambda r: httpx.Response(401, json={"detail": "Invalid token."}))
    with pytest.raises(
        AuthError, match=r"pathfactory: credentials refused \(HTTP 401\): Invalid token"
    ):
        await harness.connector.handoff_poll_events(cursor="2026-01-05T08:00:00Z")  # type: ignore[attr-defined]
    assert harness.api_calls == 1


async def test_a_throttle_is_waited_out_on_the_clock() -> None:
    answers = iter(
        [
            httpx.Response(
                429, json={"detail": "Request was throttled. Expected available in 9 seconds."}
            ),
            httpx.Response(200, json={"data": []}),
        ]
    )
    harness = _harness(lambda r: next(answers))
    result = await harness.connector.handoff_poll_events(cursor="2026-01-05T08:00:00Z")  # type: ignore[attr-defined]
    assert result.events == []
    assert harness.clock.slept >= 9
    assert harness.api_calls == 2


async def test_an_api_error_names_the_connector_never_the_key() -> None:
    harness = _harness(lambda r: httpx.Response(400, json={"detail": "Unknown filter 'ordering'."}))
    with pytest.raises(ApiError) as info:
        await harness.connector.handoff_poll_events(cursor="2026-01-05T08:00:00Z")  # type: ignore[attr-defined]
    assert str(info.value) == "pathfactory: HTTP 400: Unknown filter 'ordering'."
    assert API_KEY not in str(info.value)
