"""Q1: how the 6sense connector calls the API, reads 'no match', classifies errors and budgets.

Answers come from cassettes in 6sense's shapes (cassettes/6sense/no_match.yaml
and errors.yaml, one IP per scenario) or, for the budget, a mock transport.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pydantic
import pytest
from handoff_6sense import SixsenseConfig, SixsenseConnector

from handoff_sdk import ApiError, AuthError, FakeClock, RateLimit, RateLimitedError
from handoff_sdk.entities import Firmographics, Visitor
from handoff_sdk.testing.harness import Harness, build_harness

SECRETS = {"api_key": "synthetic-key-0123456789"}
MakeHarness = Callable[..., Harness]


def visitor(ip: str | None, **kw: Any) -> Visitor:
    return Visitor(id="visitor-1", ip=ip, **kw)


async def enrich(harness: Harness, who: Visitor) -> Firmographics | None:
    connector = harness.connector
    assert isinstance(connector, SixsenseConnector)
    return await connector.handoff_enrich_visitor(who)


# -- the request ---------------------------------------------------------------


async def test_q1_the_call_is_a_get_by_ip_with_a_token_header(
    connector_harness: MakeHarness,
) -> None:
    harness = connector_harness(SixsenseConnector, secrets=SECRETS, cassette="enrich_visitor")
    firm = await enrich(harness, visitor(" 203.0.113.77 "))
    assert firm is not None
    assert firm.company_name == "Litware Inc"
    [sent] = harness.sent()
    assert sent.method == "GET"
    assert sent.url.host == "epsilon.6sense.com"
    assert sent.url.path == "/v3/company/details"
    assert dict(sent.url.params) == {"ip": "203.0.113.77"}
    assert sent.headers["Authorization"] == "Token synthetic-key-0123456789"
    assert "EpsilonCookie" not in sent.headers
    assert "X-6s-CustomID" not in sent.headers


async def test_q1_litware_by_its_office_ip(connector_harness: MakeHarness) -> None:
    """Q1 on a cassette recorded from the 6sense simulator (docs/testing.md shows how)."""
    harness = connector_harness(SixsenseConnector, secrets=SECRETS, cassette="enrich_litware")
    firm = await enrich(harness, visitor("203.0.113.10"))
    assert firm is not None
    assert (firm.company_name, firm.domain, firm.country_code) == (
        "Litware Inc",
        "litware.example",
        "US",
    )
    assert firm.buying_stage == "Decision"


async def test_q1_optional_6sense_headers_are_sent_when_configured(
    connector_harness: MakeHarness,
) -> None:
    harness = connector_harness(
        SixsenseConnector,
        config={"send_cookie_id": True, "send_visitor_id": True},
        secrets=SECRETS,
        cassette="enrich_visitor",
    )
    await enrich(harness, Visitor(id="visitor-42", ip="203.0.113.77", cookie_id="gd-cookie-1"))
    [sent] = harness.sent()
    assert sent.headers["EpsilonCookie"] == "gd-cookie-1"
    assert sent.headers["X-6s-CustomID"] == "visitor-42"


@pytest.mark.parametrize("ip", [None, "", "   ", "not-an-ip", "203.0.113.999"])
async def test_q1_a_visitor_without_a_usable_ip_is_none_without_a_call(
    connector_harness: MakeHarness, ip: str | None
) -> None:
    harness = connector_harness(SixsenseConnector, secrets=SECRETS, cassette="enrich_visitor")
    assert await enrich(harness, visitor(ip)) is None
    assert harness.api_calls == 0
    assert harness.sent() == []


async def test_q1_base_url_is_configurable() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"company": {"company_match": "Match", "name": "Proxy Co"}})

    harness = build_harness(
        SixsenseConnector,
        transport=httpx.MockTransport(answer),
        config={"base_url": "https://sixsense-proxy.example.test/"},
        secrets=SECRETS,
    )
    firm = await enrich(harness, visitor("2001:DB8::1"))
    await harness.aclose()
    assert firm is not None
    assert firm.company_name == "Proxy Co"
    assert (
        str(seen[0].url)
        == "https://sixsense-proxy.example.test/v3/company/details?ip=2001%3Adb8%3A%3A1"
    )


def test_config_rejects_a_base_url_without_a_scheme_naming_the_field() -> None:
    with pytest.raises(pydantic.ValidationError, match="base_url"):
        SixsenseConfig.model_validate({"base_url": "epsilon.6sense.com"})


# -- no match is an answer, not an error ------------------------------------------

NO_MATCH_IPS = {
    "200 company_match No Match": "192.0.2.101",
    "200 company_match Non-actionable Match (ISP)": "192.0.2.102",
    "200 empty object": "192.0.2.103",
    "200 empty company": "192.0.2.104",
    "200 empty body": "192.0.2.105",
    "404 No data found": "192.0.2.106",
    "404 empty body": "192.0.2.107",
    "200 Match without name or domain": "192.0.2.108",
}


@pytest.mark.parametrize("shape", list(NO_MATCH_IPS))
async def test_q1_each_way_6sense_says_no_match_gives_none(
    connector_harness: MakeHarness, shape: str
) -> None:
    harness = connector_harness(SixsenseConnector, secrets=SECRETS, cassette="no_match")
    assert await enrich(harness, visitor(NO_MATCH_IPS[shape])) is None
    assert harness.api_calls == 1
    assert harness.clock.sleeps == []


# -- errors, on 6sense's error envelope -----------------------------------------------


@pytest.mark.parametrize(
    ("ip", "code"), [("192.0.2.201", "unauthorized"), ("192.0.2.203", "forbidden")]
)
async def test_a_refused_token_is_an_auth_error_with_no_retry(
    connector_harness: MakeHarness, ip: str, code: str
) -> None:
    harness = connector_harness(SixsenseConnector, secrets=SECRETS, cassette="errors")
    with pytest.raises(AuthError) as info:
        await enrich(harness, visitor(ip))
    message = str(info.value)
    assert message.startswith("6sense: ")
    assert code in message
    assert "api_key" in message
    assert SECRETS["api_key"] not in message
    assert harness.api_calls == 1
    assert harness.clock.sleeps == []


async def test_exhausted_credits_fail_at_once_and_say_so(connector_harness: MakeHarness) -> None:
    harness = connector_harness(SixsenseConnector, secrets=SECRETS, cassette="errors")
    with pytest.raises(ApiError) as info:
        await enrich(harness, visitor("192.0.2.202"))
    error = info.value
    assert not isinstance(error, RateLimitedError)
    assert (error.status, error.code, error.retryable) == (402, "quota_exhausted", False)
    assert "quota is exhausted" in str(error)
    assert harness.api_calls == 1


async def test_429_with_retry_after_is_waited_out_then_answered(
    connector_harness: MakeHarness,
) -> None:
    harness = connector_harness(SixsenseConnector, secrets=SECRETS, cassette="errors")
    firm = await enrich(harness, visitor("192.0.2.204"))
    assert firm is not None
    assert firm.company_name == "Litware Inc"
    assert harness.api_calls == 2
    assert harness.clock.slept == pytest.approx(12.0)


async def test_429_without_retry_after_waits_out_the_one_minute_window(
    connector_harness: MakeHarness,
) -> None:
    """6sense documents no Retry-After; its limit is a per-minute window."""
    harness = connector_harness(SixsenseConnector, secrets=SECRETS, cassette="errors")
    firm = await enrich(harness, visitor("192.0.2.205"))
    assert firm is not None
    assert harness.api_calls == 2
    assert harness.clock.slept == pytest.approx(60.0)


async def test_a_5xx_is_retried(connector_harness: MakeHarness) -> None:
    harness = connector_harness(SixsenseConnector, secrets=SECRETS, cassette="errors")
    firm = await enrich(harness, visitor("192.0.2.206"))
    assert firm is not None
    assert harness.api_calls == 2
    assert len(harness.clock.sleeps) == 1


async def test_a_5xx_that_persists_fails_as_retryable_after_every_attempt(
    connector_harness: MakeHarness,
) -> None:
    harness = connector_harness(SixsenseConnector, secrets=SECRETS, cassette="errors")
    with pytest.raises(ApiError) as info:
        await enrich(harness, visitor("192.0.2.207"))
    assert (info.value.status, info.value.retryable) == (500, True)
    assert "Something went wrong." in str(info.value)
    assert harness.api_calls == SixsenseConnector.retry_policy.attempts
    assert len(harness.clock.sleeps) == SixsenseConnector.retry_policy.attempts - 1


async def test_a_404_page_that_is_not_6sense_is_an_error_naming_base_url(
    connector_harness: MakeHarness,
) -> None:
    """A wrong base_url must not pass silently as 'no match'."""
    harness = connector_harness(SixsenseConnector, secrets=SECRETS, cassette="errors")
    with pytest.raises(ApiError) as info:
        await enrich(harness, visitor("192.0.2.208"))
    assert info.value.status == 404
    assert "base_url" in str(info.value)
    assert harness.api_calls == 1


async def test_a_400_fails_with_6senses_message_without_retry(
    connector_harness: MakeHarness,
) -> None:
    harness = connector_harness(SixsenseConnector, secrets=SECRETS, cassette="errors")
    with pytest.raises(ApiError, match="IP address is not valid"):
        await enrich(harness, visitor("192.0.2.209"))
    assert harness.api_calls == 1


# -- the rate budget --------------------------------------------------------------------


def _counting_harness(clock: FakeClock, config: dict[str, Any] | None = None) -> Harness:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"company": {"company_match": "Match", "name": "Busy Co"}})

    return build_harness(
        SixsenseConnector,
        transport=httpx.MockTransport(answer),
        config=config,
        secrets=SECRETS,
        clock=clock,
    )


async def test_the_101st_call_within_a_minute_waits_on_the_clock(fake_clock: FakeClock) -> None:
    """Default budget: 6sense's 100 requests a minute."""
    harness = _counting_harness(fake_clock)
    for n in range(100):
        assert await enrich(harness, visitor(f"198.51.100.{n}")) is not None
    assert fake_clock.sleeps == []
    await enrich(harness, visitor("203.0.113.1"))
    await harness.aclose()
    assert fake_clock.sleeps == [pytest.approx(60.0)]
    assert harness.api_calls == 101


async def test_calls_spread_over_more_than_a_minute_never_wait(fake_clock: FakeClock) -> None:
    harness = _counting_harness(fake_clock)
    for n in range(150):
        await enrich(harness, visitor(f"198.51.100.{n % 250}"))
        fake_clock.advance(0.61)
    await harness.aclose()
    assert fake_clock.sleeps == []


async def test_requests_per_minute_in_config_sets_the_budget(fake_clock: FakeClock) -> None:
    harness = _counting_harness(fake_clock, {"requests_per_minute": 5})
    assert harness.connector.budget.limit == RateLimit(requests=5, per_seconds=60, concurrency=10)
    for n in range(5):
        await enrich(harness, visitor(f"198.51.100.{n}"))
    assert fake_clock.sleeps == []
    fake_clock.advance(20)
    await enrich(harness, visitor("198.51.100.5"))
    await harness.aclose()
    assert fake_clock.sleeps == [pytest.approx(40.0)]


async def test_the_sdk_rate_limit_override_wins(fake_clock: FakeClock) -> None:
    harness = _counting_harness(
        fake_clock,
        {
            "requests_per_minute": 50,
            "rate_limit": {"requests": 2, "per_seconds": 10, "concurrency": 1},
        },
    )
    assert harness.connector.budget.limit == RateLimit(requests=2, per_seconds=10, concurrency=1)
    for n in range(3):
        await enrich(harness, visitor(f"198.51.100.{n}"))
    await harness.aclose()
    assert fake_clock.sleeps == [pytest.approx(10.0)]


def test_requests_per_minute_must_be_positive() -> None:
    with pytest.raises(pydantic.ValidationError, match="requests_per_minute"):
        SixsenseConfig.model_validate({"requests_per_minute": 0})
