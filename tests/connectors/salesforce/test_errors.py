"""Salesforce's errors, in the shapes it really sends, classified and acted on.

REST errors are a JSON list: `[{"message": "...", "errorCode": "..."}]` (sometimes
with `fields`); the token endpoint answers OAuth-style `{"error", "error_description"}`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from handoff_salesforce import SalesforceConnector
from sf_cases import CONFIG, SECRETS, make_leads

from handoff_sdk import ApiError, AuthError, PaginationError, RateLimitedError, Verdict
from handoff_sdk.testing.harness import Harness, build_harness

TOKEN_PATH = "/services/oauth2/token"
JSON = {"Content-Type": "application/json;charset=UTF-8"}
SESSION_EXPIRED = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
DAILY_LIMIT = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
CONCURRENT_LIMIT = [
    {"message": "ConcurrentPerOrgLongTxn Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
]
EMPTY_PAGE = {"totalSize": 0, "done": True, "records": []}


def _harness(api: Callable[[httpx.Request], httpx.Response], **config: Any) -> Harness:
    tokens = iter(f"token-{n}" for n in range(1, 100))

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            return httpx.Response(200, json={"access_token": next(tokens), "token_type": "Bearer"})
        return api(request)

    return build_harness(
        SalesforceConnector,
        transport=httpx.MockTransport(handler),
        config={**CONFIG, **config},
        secrets=SECRETS,
    )


def _response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    content = body if isinstance(body, str) else json.dumps(body)
    return httpx.Response(
        status,
        headers=headers or JSON,
        content=content.encode(),
        request=httpx.Request("GET", "https://handoff-test.my.salesforce.com/services/data"),
    )


@pytest.mark.parametrize(
    ("status", "body", "verdict", "code", "rate_limited"),
    [
        (401, SESSION_EXPIRED, Verdict.REFRESH_AUTH, "INVALID_SESSION_ID", False),
        (403, DAILY_LIMIT, Verdict.FAIL, "REQUEST_LIMIT_EXCEEDED", True),
        (403, CONCURRENT_LIMIT, Verdict.RETRY, "REQUEST_LIMIT_EXCEEDED", True),
        (
            400,
            [{"message": "unexpected token: 'FORM'", "errorCode": "MALFORMED_QUERY"}],
            Verdict.FAIL,
            "MALFORMED_QUERY",
            False,
        ),
        (
            403,
            [
                {
                    "message": "The REST API is not enabled for this Organization.",
                    "errorCode": "API_DISABLED_FOR_ORG",
                }
            ],
            Verdict.FAIL,
            "API_DISABLED_FOR_ORG",
            False,
        ),
        (
            404,
            [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}],
            Verdict.FAIL,
            "NOT_FOUND",
            False,
        ),
        (
            503,
            [{"message": "Server temporarily unavailable", "errorCode": "SERVER_UNAVAILABLE"}],
            Verdict.RETRY,
            "SERVER_UNAVAILABLE",
            False,
        ),
        (500, "<html><body>Internal error</body></html>", Verdict.RETRY, None, False),
        (200, EMPTY_PAGE, Verdict.OK, None, False),
    ],
)
def test_classify_salesforce_errors(
    status: int, body: Any, verdict: Verdict, code: str | None, rate_limited: bool
) -> None:
    harness = _harness(lambda r: httpx.Response(200))
    outcome = harness.connector.classify(_response(status, body))
    assert outcome.verdict is verdict
    assert outcome.code == code
    assert outcome.rate_limited is rate_limited


def test_invalid_field_names_the_config_to_check() -> None:
    harness = _harness(lambda r: httpx.Response(200))
    outcome = harness.connector.classify(
        _response(
            400,
            [
                {
                    "message": "\nSELECT Id, Sector__c FROM Account\n           ^\nERROR at Row:1:Column:12\nNo such column 'Sector__c' on entity 'Account'.",
                    "errorCode": "INVALID_FIELD",
                }
            ],
        )
    )
    assert outcome.verdict is Verdict.FAIL
    assert outcome.code == "INVALID_FIELD"
    assert "Sector__c" in (outcome.message or "")
    assert "connectors.salesforce.account_fields" in (outcome.message or "")


def test_several_errors_are_all_reported() -> None:
    harness = _harness(lambda r: httpx.Response(200))
    outcome = harness.connector.classify(
        _response(
            400,
            [
                {"message": "Email: invalid email address", "errorCode": "INVALID_EMAIL_ADDRESS"},
                {
                    "message": "Required fields are missing: [LastName]",
                    "errorCode": "REQUIRED_FIELD_MISSING",
                },
            ],
        )
    )
    assert outcome.code == "INVALID_EMAIL_ADDRESS"
    assert "invalid email address" in (outcome.message or "")
    assert "[LastName]" in (outcome.message or "")


async def test_an_expired_session_is_refreshed_once_then_the_call_repeats() -> None:
    answers = iter([_response(401, SESSION_EXPIRED), httpx.Response(200, json=EMPTY_PAGE)])
    seen_tokens: list[str] = []

    def api(request: httpx.Request) -> httpx.Response:
        seen_tokens.append(request.headers["Authorization"])
        return next(answers)

    harness = _harness(api)
    result = await harness.connector.handoff_match_account(  # type: ignore[attr-defined]
        email_domain="acme.example", website=None
    )
    assert result is None
    assert seen_tokens == ["Bearer token-1", "Bearer token-2"]
    assert harness.token_requests == 2
    await harness.aclose()


async def test_a_session_refused_twice_is_an_auth_error_not_a_loop() -> None:
    calls: list[int] = []

    def api(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return _response(401, SESSION_EXPIRED)

    harness = _harness(api)
    with pytest.raises(AuthError) as info:
        await harness.connector.handoff_find_person(email="pat@acme.example")  # type: ignore[attr-defined]
    assert len(calls) == 2
    assert harness.token_requests == 2
    message = str(info.value)
    assert message.startswith("salesforce:")
    assert "INVALID_SESSION_ID" in message
    assert "token-" not in message
    assert "synthetic-refresh-token" not in message
    await harness.aclose()


async def test_a_refused_refresh_token_is_a_clear_auth_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == TOKEN_PATH
        return httpx.Response(
            400,
            json={"error": "invalid_grant", "error_description": "expired access/refresh token"},
        )

    harness = build_harness(
        SalesforceConnector,
        transport=httpx.MockTransport(handler),
        config=CONFIG,
        secrets=SECRETS,
    )
    with pytest.raises(AuthError, match="expired access/refresh token") as info:
        await harness.connector.handoff_find_person(email="pat@acme.example")  # type: ignore[attr-defined]
    assert "salesforce" in str(info.value)
    assert "synthetic-refresh-token" not in str(info.value)
    await harness.aclose()


async def test_the_daily_limit_fails_at_once_as_rate_limited() -> None:
    """REQUEST_LIMIT_EXCEEDED (TotalRequests) lasts hours: one call, no retries, no sleeping."""
    calls: list[int] = []

    def api(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return _response(403, DAILY_LIMIT, {**JSON, "Sforce-Limit-Info": "api-usage=15001/15000"})

    harness = _harness(api)
    with pytest.raises(RateLimitedError) as info:
        await harness.connector.handoff_match_account(email_domain="acme.example", website=None)  # type: ignore[attr-defined]
    assert len(calls) == 1
    assert harness.clock.slept == 0
    assert info.value.code == "REQUEST_LIMIT_EXCEEDED"
    assert info.value.retryable is False
    assert harness.connector.api_usage == (15001, 15000)  # type: ignore[attr-defined]
    await harness.aclose()


async def test_the_concurrent_limit_is_retried_a_bounded_number_of_times() -> None:
    calls: list[int] = []

    def api(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return _response(403, CONCURRENT_LIMIT)

    harness = _harness(api)
    with pytest.raises(RateLimitedError) as info:
        await harness.connector.handoff_match_account(email_domain="acme.example", website=None)  # type: ignore[attr-defined]
    attempts = SalesforceConnector.retry_policy.attempts
    assert len(calls) == attempts
    assert len(harness.clock.sleeps) == attempts - 1
    assert info.value.retryable is True
    await harness.aclose()


async def test_the_concurrent_limit_clears_and_the_call_succeeds() -> None:
    answers = iter([_response(403, CONCURRENT_LIMIT), httpx.Response(200, json=EMPTY_PAGE)])
    harness = _harness(lambda r: next(answers))
    result = await harness.connector.handoff_match_account(
        email_domain="acme.example", website=None
    )  # type: ignore[attr-defined]
    assert result is None
    assert harness.api_calls == 2
    await harness.aclose()


async def test_other_errors_fail_with_the_salesforce_code() -> None:
    def api(request: httpx.Request) -> httpx.Response:
        return _response(
            400, [{"message": "unexpected token: 'FORM'", "errorCode": "MALFORMED_QUERY"}]
        )

    harness = _harness(api)
    with pytest.raises(ApiError) as info:
        await harness.connector.handoff_find_person(email="pat@acme.example")  # type: ignore[attr-defined]
    assert info.value.code == "MALFORMED_QUERY"
    assert info.value.status == 400
    assert harness.api_calls == 1
    await harness.aclose()


async def test_a_next_records_url_to_another_host_is_refused() -> None:
    """The bearer token only ever goes to the instance."""

    def api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "totalSize": 4000,
                "done": False,
                "nextRecordsUrl": "https://evil.example/services/data/v61.0/query/01g-2000",
                "records": [],
            },
        )

    harness = _harness(api)
    with pytest.raises(PaginationError, match="not a path on the instance"):
        await harness.connector.handoff_match_account(email_domain="acme.example", website=None)  # type: ignore[attr-defined]
    assert harness.api_calls == 1
    await harness.aclose()


async def test_hitting_the_daily_limit_mid_upsert_stops_sending_and_fails_the_rest() -> None:
    """Chunk 1 is written; chunk 2 meets the daily limit; chunks 3-5 are not even sent."""
    calls: list[int] = []

    def api(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            records = json.loads(request.content)["records"]
            return httpx.Response(
                200,
                json=[
                    {"id": f"00Q{i:015d}", "success": True, "errors": [], "created": True}
                    for i in range(len(records))
                ],
            )
        return _response(403, DAILY_LIMIT)

    harness = _harness(api)
    results = await harness.connector.handoff_upsert_leads(leads=make_leads(), idempotency_key="k")  # type: ignore[attr-defined]
    assert len(calls) == 2
    assert len(results) == 1000
    assert all(r.ok for r in results[:200])
    assert all(not r.ok and r.errors[0].code == "REQUEST_LIMIT_EXCEEDED" for r in results[200:])
    await harness.aclose()


async def test_a_whole_batch_refused_fails_its_records_and_the_next_batch_goes_on() -> None:
    calls: list[int] = []

    def api(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        records = json.loads(request.content)["records"]
        if len(calls) == 1:
            return _response(
                400,
                [
                    {
                        "message": "Provided external ID field does not exist or is not accessible: Email",
                        "errorCode": "NOT_FOUND",
                    }
                ],
            )
        return httpx.Response(
            200,
            json=[{"id": "00QA", "success": True, "errors": [], "created": False}] * len(records),
        )

    harness = _harness(api)
    results = await harness.connector.handoff_upsert_leads(  # type: ignore[attr-defined]
        leads=make_leads(250), idempotency_key="k"
    )
    assert len(calls) == 2
    assert {r.errors[0].code for r in results[:200]} == {"NOT_FOUND"}
    assert all(r.ok for r in results[200:])
    await harness.aclose()


async def test_a_collection_answer_of_the_wrong_length_fails_the_batch_not_the_process() -> None:
    def api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[{"id": "00QA", "success": True, "errors": []}])

    harness = _harness(api)
    results = await harness.connector.handoff_upsert_leads(  # type: ignore[attr-defined]
        leads=make_leads(3), idempotency_key="k"
    )
    assert [r.ok for r in results] == [False, False, False]
    assert results[0].errors[0].code == "UNEXPECTED_RESPONSE"
    await harness.aclose()
