"""How the Zoom connector reads Zoom's error responses, in their real shapes.

The bodies copy the structure Zoom sends (values synthetic): `{"code",
"message"}` with `errors` for validation, code 124 for a bad token, the
per-second and the daily 429 (told apart by `X-RateLimit-Type` and the
message; the daily one's Retry-After is an ISO time), 4711 for missing scopes.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from handoff_zoom import ZoomConfig, ZoomConnector
from zoom_cases import CONFIG, SECRETS

from handoff_sdk import FakeClock, Verdict
from handoff_sdk.secrets import DictSecrets


@pytest.fixture
def zc() -> ZoomConnector:
    return ZoomConnector(
        config=ZoomConfig.model_validate(CONFIG),
        secrets=DictSecrets("zoom", SECRETS),
        http=httpx.AsyncClient(),
        clock=FakeClock(datetime(2026, 1, 5, 21, 0, tzinfo=UTC)),
    )


@pytest.mark.parametrize("status", [401, 400])
def test_code_124_refreshes_the_token_whatever_the_status(zc: ZoomConnector, status: int) -> None:
    outcome = zc.classify(
        httpx.Response(status, json={"code": 124, "message": "Invalid access token."})
    )
    assert outcome.verdict is Verdict.REFRESH_AUTH
    assert (outcome.code, outcome.message) == ("124", "Invalid access token.")


def test_per_second_429_is_retried(zc: ZoomConnector) -> None:
    outcome = zc.classify(
        httpx.Response(
            429,
            headers={"X-RateLimit-Category": "Medium", "X-RateLimit-Type": "QPS"},
            json={
                "code": 429,
                "message": "You have reached the maximum per-second rate limit for this API. Try again later.",
            },
        )
    )
    assert outcome.verdict is Verdict.RETRY
    assert outcome.rate_limited
    assert outcome.retry_after is None


def test_daily_429_fails_now_and_says_when_it_resets(zc: ZoomConnector) -> None:
    outcome = zc.classify(
        httpx.Response(
            429,
            headers={"X-RateLimit-Type": "Daily-limit", "Retry-After": "2026-01-06T00:00:00Z"},
            json={
                "code": 429,
                "message": "You have exceeded the daily rate limit (100) of Meeting Create/Update "
                "API requests permitted for this particular user. You may resume these requests at "
                "GMT 00:00:00.",
            },
        )
    )
    assert outcome.verdict is Verdict.FAIL
    assert outcome.rate_limited
    assert outcome.retry_after == 3 * 3600


def test_daily_429_without_the_header_is_told_by_its_message(zc: ZoomConnector) -> None:
    outcome = zc.classify(
        httpx.Response(
            429,
            headers={"x-ratelimit-category": "Light", "x-ratelimit-remaining": "5893"},
            json={
                "code": 429,
                "message": "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests permitted for this particular user.",
            },
        )
    )
    assert outcome.verdict is Verdict.FAIL
    assert outcome.rate_limited


def test_text_429_with_retry_after_is_retried_after_it(zc: ZoomConnector) -> None:
    outcome = zc.classify(
        httpx.Response(429, headers={"Retry-After": "7"}, text="Too Many Requests")
    )
    assert outcome.verdict is Verdict.RETRY
    assert outcome.retry_after == 7


@pytest.mark.parametrize(
    ("status", "body", "code", "message"),
    [
        (
            404,
            {"code": 1001, "message": "User does not exist: gone@example.com."},
            "1001",
            "User does not exist: gone@example.com.",
        ),
        (
            404,
            {"code": 3001, "message": "Meeting does not exist: 81234567890."},
            "3001",
            "Meeting does not exist: 81234567890.",
        ),
        (
            400,
            {
                "code": 300,
                "message": "Validation Failed.",
                "errors": [{"field": "start_time", "message": "Invalid field."}],
            },
            "300",
            "Validation Failed. (start_time: Invalid field.)",
        ),
        (400, {"code": 200, "message": "No permission."}, "200", "No permission."),
    ],
)
def test_refusals_fail_with_zooms_code_and_message(
    zc: ZoomConnector, status: int, body: dict[str, object], code: str, message: str
) -> None:
    outcome = zc.classify(httpx.Response(status, json=body))
    assert outcome.verdict is Verdict.FAIL
    assert (outcome.code, outcome.message) == (code, message)


def test_a_token_without_the_scope_fails_with_a_hint(zc: ZoomConnector) -> None:
    outcome = zc.classify(
        httpx.Response(
            400,
            json={
                "code": 4711,
                "message": "Invalid access token, does not contain scopes:[meeting:write:meeting:admin].",
            },
        )
    )
    assert outcome.verdict is Verdict.FAIL
    assert outcome.message is not None
    assert outcome.message.endswith("(add the scope to the Server-to-Server OAuth app)")


def test_server_errors_are_retried(zc: ZoomConnector) -> None:
    assert zc.classify(httpx.Response(503, text="Service Unavailable")).verdict is Verdict.RETRY
    assert zc.classify(httpx.Response(201, json={"id": 1})).verdict is Verdict.OK
