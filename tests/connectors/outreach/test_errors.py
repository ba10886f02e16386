"""How the Outreach connector reads Outreach's answers, in their real shapes (values synthetic).

Outreach answers errors with a JSON:API document `{"errors": [{"id", "title",
"detail"}]}`; a refused token came back as a bare text 401 ("Invalid access
token") from the proxy in front of the API; a spent hourly limit is a 429
whose detail says when to try again, with X-RateLimit-* headers.
"""

from __future__ import annotations

import httpx
import pytest
from handoff_outreach import OutreachConfig, OutreachConnector
from outreach_cases import CONFIG, SECRETS

from handoff_sdk import FakeClock, Verdict
from handoff_sdk.secrets import DictSecrets

JSON_API = {"Content-Type": "application/vnd.api+json; charset=utf-8"}
NOW_EPOCH = 1767603600  # FakeClock's start, 2026-01-05 09:00 UTC


@pytest.fixture
def outreach() -> OutreachConnector:
    return OutreachConnector(
        config=OutreachConfig.model_validate(CONFIG),
        secrets=DictSecrets("outreach", SECRETS),
        http=httpx.AsyncClient(),
        clock=FakeClock(),
    )


def errors(*items: dict[str, str]) -> dict[str, list[dict[str, str]]]:
    return {"errors": list(items)}


def test_text_401_refreshes_the_token(outreach: OutreachConnector) -> None:
    outcome = outreach.classify(
        httpx.Response(401, headers={"Content-Type": "text/plain"}, text="Invalid access token")
    )
    assert outcome.verdict is Verdict.REFRESH_AUTH
    assert outcome.message == "Invalid access token"


def test_json_api_401_refreshes_the_token_with_its_id(outreach: OutreachConnector) -> None:
    outcome = outreach.classify(
        httpx.Response(
            401,
            headers=JSON_API,
            json=errors(
                {
                    "id": "unauthorized",
                    "title": "Unauthorized",
                    "detail": "The access token is invalid or has expired.",
                }
            ),
        )
    )
    assert outcome.verdict is Verdict.REFRESH_AUTH
    assert outcome.code == "unauthorized"
    assert outcome.message == "Unauthorized: The access token is invalid or has expired."


def test_validation_error_422_fails_with_its_id_and_pointer(outreach: OutreachConnector) -> None:
    outcome = outreach.classify(
        httpx.Response(
            422,
            headers=JSON_API,
            json={
                "errors": [
                    {
                        "id": "validationError",
                        "title": "Validation Error",
                        "detail": "Filter 'emailz' is not a filterable attribute.",
                        "source": {"pointer": "/filter/emailz"},
                    }
                ]
            },
        )
    )
    assert outcome.verdict is Verdict.FAIL
    assert outcome.code == "validationError"
    assert outcome.message == (
        "Validation Error: Filter 'emailz' is not a filterable attribute. (/filter/emailz)"
    )


def test_not_found_404_fails(outreach: OutreachConnector) -> None:
    outcome = outreach.classify(
        httpx.Response(
            404,
            headers=JSON_API,
            json=errors(
                {
                    "id": "resourceNotFound",
                    "title": "Resource Not Found",
                    "detail": "Could not find 'sequenceState' with ID '999'.",
                }
            ),
        )
    )
    assert outcome.verdict is Verdict.FAIL
    assert outcome.code == "resourceNotFound"


def test_403_fails_and_names_the_scopes(outreach: OutreachConnector) -> None:
    outcome = outreach.classify(
        httpx.Response(
            403,
            headers=JSON_API,
            json=errors(
                {
                    "id": "unauthorizedOauthScope",
                    "title": "Unauthorized OAuth Scope",
                    "detail": "Your token does not include the required scope 'mailboxes.read'.",
                }
            ),
        )
    )
    assert outcome.verdict is Verdict.FAIL
    assert outcome.code == "unauthorizedOauthScope"
    assert outcome.message is not None
    assert "check the scopes the refresh token was granted" in outcome.message


def test_429_waits_for_retry_after_first(outreach: OutreachConnector) -> None:
    outcome = outreach.classify(
        httpx.Response(
            429,
            headers={"Retry-After": "7", "X-RateLimit-Reset": str(NOW_EPOCH + 30)},
            json=errors({"id": "rateLimitExceeded", "title": "Rate Limit Exceeded"}),
        )
    )
    assert (outcome.verdict, outcome.rate_limited, outcome.retry_after) == (Verdict.RETRY, True, 7)


def test_429_then_x_ratelimit_reset(outreach: OutreachConnector) -> None:
    outcome = outreach.classify(
        httpx.Response(
            429,
            headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(NOW_EPOCH + 30)},
            json=errors({"id": "rateLimitExceeded", "title": "Rate Limit Exceeded"}),
        )
    )
    assert (outcome.verdict, outcome.code, outcome.retry_after) == (
        Verdict.RETRY,
        "rateLimitExceeded",
        30,
    )


def test_429_then_the_try_again_time_in_the_detail(outreach: OutreachConnector) -> None:
    outcome = outreach.classify(
        httpx.Response(
            429,
            headers=JSON_API,
            json=errors(
                {
                    "id": "rateLimitExceeded",
                    "title": "Rate Limit Exceeded",
                    "detail": "You have exceeded your permitted rate limit of 10,000; "
                    "please try again at 2026-01-05T09:00:45.",
                }
            ),
        )
    )
    assert outcome.rate_limited
    assert outcome.retry_after == 45


def test_older_x_rate_limit_header_spelling_is_read(outreach: OutreachConnector) -> None:
    outreach.observe(
        httpx.Response(
            200, headers={"x-rate-limit-limit": "10000", "x-rate-limit-remaining": "120"}
        )
    )
    assert outreach.rate_status is not None
    assert (outreach.rate_status.limit, outreach.rate_status.remaining) == (10000, 120)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried(outreach: OutreachConnector, status: int) -> None:
    outcome = outreach.classify(
        httpx.Response(status, headers={"Content-Type": "text/html"}, text="<html>down</html>")
    )
    assert outcome.verdict is Verdict.RETRY
    assert not outcome.rate_limited


def test_errors_inside_a_200_fail(outreach: OutreachConnector) -> None:
    outcome = outreach.classify(
        httpx.Response(
            200,
            headers=JSON_API,
            json=errors({"id": "internalError", "title": "Internal Error", "detail": "Try later."}),
        )
    )
    assert outcome.verdict is Verdict.FAIL
    assert outcome.code == "internalError"


def test_a_normal_200_is_ok(outreach: OutreachConnector) -> None:
    outcome = outreach.classify(httpx.Response(200, headers=JSON_API, json={"data": []}))
    assert outcome.verdict is Verdict.OK
