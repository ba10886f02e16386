"""How the Google Calendar connector reads Google's error responses, in their real shapes.

The bodies copy the structure Calendar API v3 sends (values synthetic):
`{"error": {"code", "message", "errors": [{"domain", "reason", "message"}]}}`
for refusals, and `calendars[id].errors` inside an HTTP 200 freeBusy answer.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from gcal_cases import CONFIG, SECRETS
from handoff_google_calendar import GoogleCalendarConfig, GoogleCalendarConnector

from handoff_sdk import FakeClock, Verdict
from handoff_sdk.secrets import DictSecrets


@pytest.fixture
def gc() -> GoogleCalendarConnector:
    return GoogleCalendarConnector(
        config=GoogleCalendarConfig.model_validate(CONFIG),
        secrets=DictSecrets("google-calendar", SECRETS),
        http=httpx.AsyncClient(),
        clock=FakeClock(),
    )


def google_error(code: int, reason: str, message: str, domain: str = "global") -> dict[str, Any]:
    return {
        "error": {
            "errors": [{"domain": domain, "reason": reason, "message": message}],
            "code": code,
            "message": message,
        }
    }


def test_401_auth_error_refreshes_the_token(gc: GoogleCalendarConnector) -> None:
    outcome = gc.classify(
        httpx.Response(401, json=google_error(401, "authError", "Invalid Credentials"))
    )
    assert outcome.verdict is Verdict.REFRESH_AUTH
    assert outcome.code == "authError"
    assert outcome.message == "Invalid Credentials"


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("rateLimitExceeded", "Rate Limit Exceeded"),
        ("userRateLimitExceeded", "User Rate Limit Exceeded"),
    ],
)
def test_403_rate_limits_are_retried_as_rate_limited(
    gc: GoogleCalendarConnector, reason: str, message: str
) -> None:
    outcome = gc.classify(
        httpx.Response(403, json=google_error(403, reason, message, "usageLimits"))
    )
    assert outcome.verdict is Verdict.RETRY
    assert outcome.rate_limited
    assert outcome.code == reason


def test_429_rate_limit_is_retried_honouring_retry_after(gc: GoogleCalendarConnector) -> None:
    outcome = gc.classify(
        httpx.Response(
            429,
            headers={"Retry-After": "12"},
            json=google_error(429, "rateLimitExceeded", "Rate Limit Exceeded", "usageLimits"),
        )
    )
    assert outcome.verdict is Verdict.RETRY
    assert outcome.rate_limited
    assert outcome.retry_after == 12


def test_plain_text_429_is_still_a_rate_limit(gc: GoogleCalendarConnector) -> None:
    outcome = gc.classify(httpx.Response(429, text="Too Many Requests"))
    assert outcome.verdict is Verdict.RETRY
    assert outcome.rate_limited
    assert outcome.message == "Too Many Requests"


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("quotaExceeded", "Calendar usage limits exceeded."),
        ("dailyLimitExceeded", "Daily Limit Exceeded"),
    ],
)
def test_usage_and_daily_limits_fail_at_once(
    gc: GoogleCalendarConnector, reason: str, message: str
) -> None:
    outcome = gc.classify(
        httpx.Response(403, json=google_error(403, reason, message, "usageLimits"))
    )
    assert outcome.verdict is Verdict.FAIL
    assert outcome.rate_limited
    assert outcome.message == message


@pytest.mark.parametrize(
    ("status", "reason", "message"),
    [
        (403, "requiredAccessLevel", "You need to have writer access to this calendar."),
        (
            403,
            "forbiddenForNonOrganizer",
            "Shared properties can only be changed by the organizer of the event.",
        ),
        (404, "notFound", "Not Found"),
        (409, "duplicate", "The requested identifier already exists."),
        (410, "deleted", "Resource has been deleted"),
        (400, "timeRangeEmpty", "The specified time range is empty."),
    ],
)
def test_refusals_fail_with_googles_reason_and_message(
    gc: GoogleCalendarConnector, status: int, reason: str, message: str
) -> None:
    outcome = gc.classify(httpx.Response(status, json=google_error(status, reason, message)))
    assert outcome.verdict is Verdict.FAIL
    assert not outcome.rate_limited
    assert (outcome.code, outcome.message) == (reason, message)


@pytest.mark.parametrize("status", [500, 503])
def test_backend_errors_are_retried(gc: GoogleCalendarConnector, status: int) -> None:
    outcome = gc.classify(
        httpx.Response(status, json=google_error(status, "backendError", "Backend Error"))
    )
    assert outcome.verdict is Verdict.RETRY
    assert outcome.code == "backendError"


def _freebusy(errors: list[dict[str, str]]) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "kind": "calendar#freeBusy",
            "timeMin": "2026-01-05T09:00:00.000Z",
            "timeMax": "2026-01-05T17:00:00.000Z",
            "calendars": {"gone.rep@example.com": {"errors": errors, "busy": []}},
        },
    )


def test_q3_freebusy_not_found_inside_http_200_fails_instead_of_reading_free(
    gc: GoogleCalendarConnector,
) -> None:
    outcome = gc.classify(_freebusy([{"domain": "global", "reason": "notFound"}]))
    assert outcome.verdict is Verdict.FAIL
    assert outcome.code == "notFound"
    assert outcome.message is not None
    assert "gone.rep@example.com" in outcome.message
    assert "not shared" in outcome.message


@pytest.mark.parametrize("reason", ["internalError", "backendError"])
def test_q3_freebusy_transient_calendar_errors_are_retried(
    gc: GoogleCalendarConnector, reason: str
) -> None:
    outcome = gc.classify(_freebusy([{"domain": "global", "reason": reason}]))
    assert outcome.verdict is Verdict.RETRY
    assert outcome.code == reason


@pytest.mark.parametrize("reason", ["groupTooBig", "tooManyCalendarsRequested"])
def test_q3_freebusy_request_errors_fail(gc: GoogleCalendarConnector, reason: str) -> None:
    assert (
        gc.classify(_freebusy([{"domain": "calendar", "reason": reason}])).verdict is Verdict.FAIL
    )


def test_a_clean_freebusy_and_an_event_are_ok(gc: GoogleCalendarConnector) -> None:
    assert gc.classify(_freebusy([])).verdict is Verdict.OK
    assert (
        gc.classify(httpx.Response(200, json={"kind": "calendar#event", "id": "x"})).verdict
        is Verdict.OK
    )
    assert gc.classify(httpx.Response(204)).verdict is Verdict.OK
