"""How the Zendesk connector reads Zendesk's error responses, in their real shapes.

The bodies below copy the structure Zendesk sends (values synthetic): the
RecordInvalid record error, the `{"error": {"title", "message"}}` access
error, the one-sentence 401, RecordNotFound, TooManyValues from a bulk call,
the plain-text 429, the safe-update conflict, and a maintenance 503.
"""

from __future__ import annotations

import httpx
import pytest
from handoff_zendesk import ZendeskConfig, ZendeskConnector

from handoff_sdk import AuthError, FakeClock, Verdict
from handoff_sdk.secrets import DictSecrets
from handoff_sdk.testing.harness import build_harness

CONFIG = {
    "subdomain": "acme",
    "base_url": "https://acme.zendesk.example.test",
    "email": "agent@example.com",
}
SECRETS = {"api_token": "synthetic-api-token"}


@pytest.fixture
def zd() -> ZendeskConnector:
    return ZendeskConnector(
        config=ZendeskConfig.model_validate(CONFIG),
        secrets=DictSecrets("zendesk", SECRETS),
        http=httpx.AsyncClient(),
        clock=FakeClock(),
    )


def test_record_invalid_422_fails_with_code_and_field_details(zd: ZendeskConnector) -> None:
    outcome = zd.classify(
        httpx.Response(
            422,
            json={
                "error": "RecordInvalid",
                "description": "Record validation errors",
                "details": {"email": [{"description": "Email: badmail is not properly formatted"}]},
            },
        )
    )
    assert outcome.verdict is Verdict.FAIL
    assert outcome.code == "RecordInvalid"
    assert outcome.message == (
        "Record validation errors (email: Email: badmail is not properly formatted)"
    )


def test_error_object_403_fails_with_title_and_message(zd: ZendeskConnector) -> None:
    outcome = zd.classify(
        httpx.Response(
            403,
            json={
                "error": {
                    "title": "Forbidden",
                    "message": "You do not have access to this page. Please contact the "
                    "account owner of this help desk for further help.",
                }
            },
        )
    )
    assert outcome.verdict is Verdict.FAIL
    assert outcome.code == "Forbidden"
    assert outcome.message is not None
    assert outcome.message.startswith("You do not have access to this page.")


def test_401_sentence_asks_for_fresh_credentials(zd: ZendeskConnector) -> None:
    outcome = zd.classify(httpx.Response(401, json={"error": "Couldn't authenticate you"}))
    assert outcome.verdict is Verdict.REFRESH_AUTH
    assert outcome.code is None
    assert outcome.message == "Couldn't authenticate you"


def test_record_not_found_and_too_many_values_fail(zd: ZendeskConnector) -> None:
    missing = zd.classify(
        httpx.Response(404, json={"error": "RecordNotFound", "description": "Not found"})
    )
    assert (missing.verdict, missing.code, missing.message) == (
        Verdict.FAIL,
        "RecordNotFound",
        "Not found",
    )
    too_many = zd.classify(
        httpx.Response(
            400,
            json={
                "error": "TooManyValues",
                "description": "Parameter  cannot specify more than 100 values",
                "max_count": 100,
            },
        )
    )
    assert (too_many.verdict, too_many.code) == (Verdict.FAIL, "TooManyValues")


def test_plain_text_429_is_retried_after_retry_after(zd: ZendeskConnector) -> None:
    outcome = zd.classify(
        httpx.Response(
            429,
            headers={"Retry-After": "27", "Content-Type": "text/plain; charset=UTF-8"},
            text="You have exceeded the rate limit for updating a single unique user.",
        )
    )
    assert outcome.verdict is Verdict.RETRY
    assert outcome.rate_limited
    assert outcome.retry_after == 27
    assert outcome.message == "You have exceeded the rate limit for updating a single unique user."


def test_safe_update_conflict_fails_but_other_conflicts_retry(zd: ZendeskConnector) -> None:
    conflict = zd.classify(
        httpx.Response(
            409,
            json={
                "error": "UpdateConflict",
                "description": "Safe Update prevented the update due to outdated ticket data.",
            },
        )
    )
    assert (conflict.verdict, conflict.code) == (Verdict.FAIL, "UpdateConflict")
    busy = zd.classify(httpx.Response(409, json={"error": "Conflict", "description": "Busy"}))
    assert busy.verdict is Verdict.RETRY


def test_maintenance_503_is_retried_with_its_retry_after(zd: ZendeskConnector) -> None:
    outcome = zd.classify(
        httpx.Response(503, headers={"Retry-After": "120"}, text="Service Unavailable")
    )
    assert (outcome.verdict, outcome.retry_after) == (Verdict.RETRY, 120)


def test_success_is_ok(zd: ZendeskConnector) -> None:
    assert zd.classify(httpx.Response(200, json={"tickets": []})).verdict is Verdict.OK


async def test_a_refused_api_token_is_an_auth_error_after_one_call_without_the_token() -> None:
    def api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "Couldn't authenticate you"})

    h = build_harness(
        ZendeskConnector, transport=httpx.MockTransport(api), config=CONFIG, secrets=SECRETS
    )
    try:
        with pytest.raises(AuthError) as info:
            await h.connector.request_json(
                "GET", "https://acme.zendesk.example.test/api/v2/users/me.json"
            )
    finally:
        await h.aclose()
    assert h.api_calls == 1  # a static token is not retried
    assert "Couldn't authenticate you" in str(info.value)
    assert str(info.value).startswith("zendesk: ")
    assert "synthetic-api-token" not in str(info.value)
