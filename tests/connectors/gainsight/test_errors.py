"""Gainsight's error shapes: its `{result, errorCode, errorDesc, requestId}` envelope.

Gainsight reports failures inside that envelope, with HTTP 4xx/5xx and also
with HTTP 200 and `"result": false`. The codes are the documented GSOBJ_*
codes of the Company/Custom Object APIs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from handoff_gainsight import GainsightConnector

from handoff_sdk import ApiError, AuthError, RateLimitedError, Verdict
from handoff_sdk.testing.harness import Harness, build_harness

ACCESS_KEY = "synthetic-access-key"
URL = "https://gainsight.example.test/v1/data/objects/query/survey_participant"


def envelope(code: str | None, desc: str | None, result: bool = False) -> dict[str, Any]:
    return {
        "result": result,
        "errorCode": code,
        "errorDesc": desc,
        "localizedErrorDesc": desc,
        "requestId": "00000000-0000-4000-8000-00000000abcd",
        "data": None,
        "message": None,
        "localizedMessage": None,
    }


def _harness(handler: Callable[[httpx.Request], httpx.Response]) -> Harness:
    return build_harness(
        GainsightConnector,
        transport=httpx.MockTransport(handler),
        config={"base_url": "https://gainsight.example.test"},
        secrets={"access_key": ACCESS_KEY},
    )


def _classify(response: httpx.Response) -> Any:
    response.request = httpx.Request("POST", URL)
    return _harness(lambda r: response).connector.classify(response)


def test_result_false_inside_http_200_fails_with_gainsights_code() -> None:
    outcome = _classify(
        httpx.Response(
            200, json=envelope("GSOBJ_1002", "Invalid field, please re-check data mapping")
        )
    )
    assert outcome.verdict is Verdict.FAIL
    assert outcome.code == "GSOBJ_1002"
    assert outcome.message == "Invalid field, please re-check data mapping"


def test_result_true_is_ok() -> None:
    outcome = _classify(httpx.Response(200, json={**envelope(None, None, True), "data": {}}))
    assert outcome.verdict is Verdict.OK


def test_a_rate_limit_inside_http_200_is_retried() -> None:
    outcome = _classify(
        httpx.Response(
            200,
            json=envelope("GS_RATE_LIMIT", "API rate limit exceeded"),
            headers={"Retry-After": "30"},
        )
    )
    assert outcome.verdict is Verdict.RETRY
    assert outcome.rate_limited
    assert outcome.retry_after == 30


def test_http_400_reads_error_desc_not_the_null_message() -> None:
    outcome = _classify(
        httpx.Response(
            400,
            json=envelope(
                "GSOBJ_1005", "Invalid dateTime format (ModifiedDate= 2026-13-45T00:00:00Z)"
            ),
        )
    )
    assert outcome.verdict is Verdict.FAIL
    assert outcome.code == "GSOBJ_1005"
    assert "Invalid dateTime format" in (outcome.message or "")


def test_http_500_database_failure_is_retried() -> None:
    outcome = _classify(httpx.Response(500, json=envelope("GSOBJ_1003", "Failed to delete data")))
    assert outcome.verdict is Verdict.RETRY
    assert outcome.code == "GSOBJ_1003"


def test_an_html_page_with_http_200_is_a_wrong_base_url() -> None:
    outcome = _classify(
        httpx.Response(200, text="<html>login</html>", headers={"content-type": "text/html"})
    )
    assert outcome.verdict is Verdict.FAIL
    assert outcome.code == "not_json"
    assert "base_url" in (outcome.message or "")


def test_http_401_asks_for_new_credentials() -> None:
    outcome = _classify(httpx.Response(401, json=envelope("GU_1101", "Invalid access key")))
    assert outcome.verdict is Verdict.REFRESH_AUTH
    assert outcome.code == "GU_1101"


async def test_a_refused_access_key_is_an_auth_error_after_one_call() -> None:
    harness = _harness(
        lambda r: httpx.Response(401, json=envelope("GU_1101", "Invalid access key"))
    )
    with pytest.raises(AuthError, match=r"gainsight: credentials refused \(HTTP 401, GU_1101\)"):
        await harness.connector.handoff_poll_events(cursor="2026-01-05T08:00:00Z")  # type: ignore[attr-defined]
    assert harness.api_calls == 1


async def test_a_query_error_names_the_connector_and_code_but_never_the_key() -> None:
    harness = _harness(
        lambda r: httpx.Response(
            200, json=envelope("GSOBJ_1002", "Invalid field, please re-check data mapping")
        )
    )
    with pytest.raises(ApiError) as info:
        await harness.connector.handoff_poll_events(cursor="2026-01-05T08:00:00Z")  # type: ignore[attr-defined]
    assert info.value.code == "GSOBJ_1002"
    assert str(info.value).startswith("gainsight: HTTP 200 GSOBJ_1002: Invalid field")
    assert ACCESS_KEY not in str(info.value)
    assert harness.api_calls == 1


async def test_a_persistent_429_ends_as_rate_limited_after_the_retry_budget() -> None:
    harness = _harness(
        lambda r: httpx.Response(429, headers={"Retry-After": "3"}, text="Too Many Requests")
    )
    with pytest.raises(RateLimitedError):
        await harness.connector.handoff_poll_events(cursor="2026-01-05T08:00:00Z")  # type: ignore[attr-defined]
    policy = GainsightConnector.retry_policy
    assert harness.api_calls == policy.attempts
    assert harness.clock.slept >= 3 * (policy.attempts - 1)


def test_the_default_budget_respects_gainsights_daily_quota() -> None:
    limit = GainsightConnector.default_rate_limit
    per_day = limit.requests * (86_400 / limit.per_seconds)
    assert per_day <= 50_000
    assert limit.requests / limit.per_seconds * 60 <= 100
