"""Marketo's errors inside HTTP 200 bodies, classified and acted on.

The bodies have the documented response-level shape: HTTP 200,
`{"requestId": ..., "success": false, "errors": [{"code": "6xx", "message": ...}]}`
with the code a quoted integer.
"""

from __future__ import annotations

import httpx
import pytest
from handoff_marketo import classify_marketo

from handoff_sdk import ApiError, AuthError, FakeClock, RateLimitedError, Verdict
from handoff_sdk.entities import Lead

PROGRAMS = "/rest/asset/v1/program/byTag.json"
LEADS = "/rest/v1/leads.json"
NO_PROGRAMS = {"success": True, "errors": [], "requestId": "1#1", "warnings": []}


def body_error(code: str, message: str) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "requestId": f"{code}b#19a0c0ffee",
            "success": False,
            "errors": [{"code": code, "message": message}],
        },
    )


@pytest.mark.parametrize(
    ("code", "message", "verdict", "rate_limited"),
    [
        ("601", "Access token invalid", Verdict.REFRESH_AUTH, False),
        ("602", "Access token expired", Verdict.REFRESH_AUTH, False),
        ("606", "Max rate limit '100' exceeded with in '20' secs", Verdict.RETRY, True),
        ("615", "Concurrent access limit reached", Verdict.RETRY, True),
        ("607", "Daily quota reached", Verdict.FAIL, True),
        ("604", "Request time-out", Verdict.RETRY, False),
        ("713", "Transient Error", Verdict.RETRY, False),
        ("603", "Access denied", Verdict.FAIL, False),
        ("609", "Invalid JSON", Verdict.FAIL, False),
        ("1003", "Invalid data", Verdict.FAIL, False),
    ],
)
def test_error_codes_inside_http_200_are_classified(code, message, verdict, rate_limited) -> None:
    outcome = classify_marketo(body_error(code, message))
    assert outcome.verdict is verdict
    assert outcome.code == code
    assert message in (outcome.message or "")
    assert outcome.rate_limited is rate_limited


def test_606_waits_one_rate_window() -> None:
    outcome = classify_marketo(body_error("606", "Max rate limit '100' exceeded with in '20' secs"))
    assert outcome.retry_after == 20.0


def test_success_bodies_and_warnings_are_ok() -> None:
    assert classify_marketo(httpx.Response(200, json=NO_PROGRAMS)).verdict is Verdict.OK
    no_data = body_error("702", "No data found for a given search scenario")
    assert classify_marketo(no_data).verdict is Verdict.OK
    assert classify_marketo(httpx.Response(200, json=[])).verdict is Verdict.OK


def test_http_level_errors_keep_the_sdk_reading() -> None:
    assert (
        classify_marketo(httpx.Response(414, text="Request-URI Too Long")).verdict is Verdict.FAIL
    )
    assert classify_marketo(httpx.Response(502, text="Bad Gateway")).verdict is Verdict.RETRY
    assert classify_marketo(httpx.Response(429, headers={"Retry-After": "3"})).retry_after == 3.0


def test_success_false_without_errors_still_fails() -> None:
    outcome = classify_marketo(httpx.Response(200, json={"requestId": "x", "success": False}))
    assert outcome.verdict is Verdict.FAIL
    assert outcome.code is None


@pytest.mark.parametrize(
    ("code", "message"), [("601", "Access token invalid"), ("602", "Access token expired")]
)
async def test_601_and_602_fetch_a_new_token_and_retry_once(
    marketo, fake_marketo, code, message
) -> None:
    fake_marketo.answer(PROGRAMS, body_error(code, message), NO_PROGRAMS)
    harness = marketo()

    assert await harness.connector.handoff_list_programs() == []
    assert len(fake_marketo.token_requests) == 2
    first, second = fake_marketo.api_requests
    assert first.headers["Authorization"] == "Bearer tok-1"
    assert second.headers["Authorization"] == "Bearer tok-2"


async def test_a_new_token_refused_again_is_an_auth_error(marketo, fake_marketo) -> None:
    fake_marketo.answer(PROGRAMS, body_error("601", "Access token invalid"))
    harness = marketo()

    with pytest.raises(AuthError, match=r"marketo.*601"):
        await harness.connector.handoff_list_programs()
    assert len(fake_marketo.token_requests) == 2
    assert len(fake_marketo.api_requests) == 2


async def test_606_rate_limit_is_waited_out_then_retried(
    marketo, fake_marketo, fake_clock: FakeClock
) -> None:
    tagged = {
        **NO_PROGRAMS,
        "result": [
            {
                "id": 7,
                "name": "Webinar",
                "tags": [{"tagType": "UsedWithQualified", "tagValue": "True"}],
            }
        ],
    }
    fake_marketo.answer(
        PROGRAMS, body_error("606", "Max rate limit '100' exceeded with in '20' secs"), tagged
    )
    harness = marketo()

    programs = await harness.connector.handoff_list_programs()

    assert [p.name for p in programs] == ["Webinar"]
    assert len(fake_marketo.api_requests) == 2
    assert fake_clock.slept >= 20


async def test_615_concurrency_limit_is_retried(
    marketo, fake_marketo, fake_clock: FakeClock
) -> None:
    fake_marketo.answer(PROGRAMS, body_error("615", "Concurrent access limit reached"), NO_PROGRAMS)
    harness = marketo()

    assert await harness.connector.handoff_list_programs() == []
    assert len(fake_marketo.api_requests) == 2
    assert fake_clock.sleeps  # backed off before the second try


async def test_606_that_never_clears_is_a_retryable_rate_limited_error(
    marketo, fake_marketo
) -> None:
    fake_marketo.answer(
        PROGRAMS, body_error("606", "Max rate limit '100' exceeded with in '20' secs")
    )
    harness = marketo()

    with pytest.raises(RateLimitedError) as info:
        await harness.connector.handoff_list_programs()
    assert info.value.code == "606"
    assert info.value.retryable
    assert len(fake_marketo.api_requests) == harness.connector.retry_policy.attempts


async def test_607_daily_quota_fails_at_once_without_retry(
    marketo, fake_marketo, fake_clock: FakeClock
) -> None:
    fake_marketo.answer(PROGRAMS, body_error("607", "Daily quota reached"))
    harness = marketo()

    with pytest.raises(RateLimitedError) as info:
        await harness.connector.handoff_list_programs()
    assert info.value.code == "607"
    assert not info.value.retryable
    assert "marketo" in str(info.value)
    assert len(fake_marketo.api_requests) == 1
    assert fake_clock.slept == 0


async def test_607_during_an_upsert_stops_the_remaining_batches(marketo, fake_marketo) -> None:
    fake_marketo.answer(LEADS, body_error("607", "Daily quota reached"))
    harness = marketo()
    leads = [Lead(email=f"q{i}@example.test") for i in range(1000)]

    results = await harness.connector.handoff_upsert_leads(leads, "quota")

    assert len(fake_marketo.api_requests) == 1  # not 4: the quota is gone for the day
    assert len(results) == 1000
    assert [r.index for r in results] == list(range(1000))
    assert all(not r.ok and r.errors[0].code == "607" for r in results)
    assert results[999].errors == results[0].errors
    assert "Daily quota reached" in results[0].errors[0].message


async def test_other_codes_fail_with_the_code_and_no_retry(marketo, fake_marketo) -> None:
    fake_marketo.answer(PROGRAMS, body_error("603", "Access denied"))
    harness = marketo()

    with pytest.raises(ApiError) as info:
        await harness.connector.handoff_list_programs()
    assert not isinstance(info.value, RateLimitedError)
    assert info.value.code == "603"
    assert "603" in str(info.value)
    assert "Access denied" in str(info.value)
    assert len(fake_marketo.api_requests) == 1


async def test_a_whole_batch_refused_marks_each_lead_failed(marketo, fake_marketo) -> None:
    fake_marketo.answer(LEADS, body_error("609", "Invalid JSON"))
    harness = marketo()

    results = await harness.connector.handoff_upsert_leads(
        [Lead(email="a@example.test"), Lead(email="b@example.test")], "k"
    )

    assert [(r.ok, r.errors[0].code) for r in results] == [(False, "609"), (False, "609")]


async def test_no_data_702_is_an_empty_listing(marketo, fake_marketo) -> None:
    fake_marketo.answer(PROGRAMS, body_error("702", "No data found for a given search scenario"))
    harness = marketo()

    assert await harness.connector.handoff_list_programs() == []
