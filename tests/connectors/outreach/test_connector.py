"""The Outreach connector against recorded (synthetic) API traffic, on a fake clock (rule Q3a)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pydantic
import pytest
from handoff_outreach import OutreachConfig, OutreachConnector
from outreach_cases import ANA, CONFIG, SECRETS, signed, state_created

from handoff_sdk import (
    ApiError,
    AuthError,
    MissingSecretError,
    RateLimitedError,
    WebhookSignatureError,
)
from handoff_sdk.entities import SequenceState
from handoff_sdk.testing.harness import Harness, build_harness

Make = Callable[..., Harness]


@pytest.fixture
def outreach(connector_harness: Make) -> Make:
    def make(cassette: str, config: dict[str, Any] | None = None, **kw: Any) -> Harness:
        return connector_harness(
            OutreachConnector,
            config={**CONFIG, **(config or {})},
            secrets=kw.pop("secrets", dict(SECRETS)),
            cassette=cassette,
            **kw,
        )

    return make


def conn(h: Harness) -> OutreachConnector:
    assert isinstance(h.connector, OutreachConnector)
    return h.connector


def query(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(urlsplit(str(request.url)).query)


def api_requests(h: Harness) -> list[httpx.Request]:
    return [r for r in h.sent() if "/oauth/token" not in r.url.path]


# -- handoff_sequence_state ----------------------------------------------------------------


async def test_q3a_sequenced_person_costs_two_calls_and_names_the_rep(outreach: Make) -> None:
    """Q3a: prospect by email, then its states with sequence/mailbox/creator side-loaded."""
    h = outreach("sequence_state")
    state = await conn(h).handoff_sequence_state(ANA)
    assert state == SequenceState(
        ids={"outreach": "5001"},
        email=ANA,
        sequence_name="Q1 Enterprise Outbound",
        state="active",
        active=True,
        owner_email="sam.rivera@acme.example",
        owner_id="7",
    )
    assert h.api_calls == 2
    assert h.token_requests == 1
    prospects, states = api_requests(h)
    assert query(prospects)["filter[emails]"] == [ANA]
    assert query(states)["filter[prospect][id]"] == ["101"]
    assert query(states)["include"] == ["sequence,mailbox,creator"]
    for request in (prospects, states):
        assert request.headers["Accept"] == "application/vnd.api+json"
        assert request.headers["Authorization"].startswith("Bearer ")


async def test_q3a_email_is_trimmed_and_lower_cased_before_the_lookup(outreach: Make) -> None:
    h = outreach("sequence_state")
    state = await conn(h).handoff_sequence_state("  Ana.Lima@Adventure-Works.EXAMPLE ")
    assert state is not None
    assert state.email == ANA
    assert state.active


async def test_q3a_unknown_email_is_none_after_one_call(outreach: Make) -> None:
    h = outreach("sequence_state_unknown")
    assert await conn(h).handoff_sequence_state("nobody@unknown.example") is None
    assert h.api_calls == 1


async def test_q3a_not_an_email_is_none_without_a_call() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"unexpected call {request.url}")

    h = build_harness(
        OutreachConnector,
        transport=httpx.MockTransport(refuse),
        config=CONFIG,
        secrets=SECRETS,
    )
    try:
        assert await conn(h).handoff_sequence_state("not an email") is None
        assert h.api_calls == 0
        assert h.token_requests == 0
    finally:
        await h.aclose()


async def test_q3a_only_stopped_sequences_give_the_latest_as_inactive(outreach: Make) -> None:
    """Q3a: finished and disabled are not 'actively sequenced'; the latest is still reported."""
    h = outreach("sequence_state_stopped")
    state = await conn(h).handoff_sequence_state(ANA)
    assert state is not None
    assert (state.state, state.active) == ("disabled", False)
    assert state.ids == {"outreach": "4991"}
    assert state.sequence_name == "Closed-Lost Re-engage"
    # The mailbox's user was side-loaded: the user's email wins over the mailbox address.
    assert (state.owner_id, state.owner_email) == ("8", "lee.chen@acme.example")


async def test_q3a_never_sequenced_prospect_is_none(outreach: Make) -> None:
    h = outreach("sequence_state_none")
    assert await conn(h).handoff_sequence_state(ANA) is None
    assert h.api_calls == 2


async def test_q3a_states_of_duplicate_prospects_are_read_across_pages(outreach: Make) -> None:
    """Both prospects carrying the email are asked about; links.next is followed."""
    h = outreach("sequence_state_pages")
    state = await conn(h).handoff_sequence_state(ANA)
    assert state is not None
    # pending (5003) beats paused (5002) in the default order active, pending, paused;
    # its sequence and rep were side-loaded on the second page only.
    assert (state.ids, state.state, state.active) == ({"outreach": "5003"}, "pending", True)
    assert state.sequence_name == "Q1 Enterprise Outbound"
    assert (state.owner_id, state.owner_email) == ("7", "sam.rivera@acme.example")
    assert h.api_calls == 3
    first_page = api_requests(h)[1]
    # Prospect 103 was listed but does not carry the email: it is not asked about.
    assert query(first_page)["filter[prospect][id]"] == ["101,102"]
    assert "page[after]" in query(api_requests(h)[2])


async def test_q3a_the_order_of_active_states_is_configuration(outreach: Make) -> None:
    h = outreach("sequence_state_pages", config={"active_states": ["Active", "paused", "pending"]})
    state = await conn(h).handoff_sequence_state(ANA)
    assert state is not None
    assert (state.ids, state.state, state.active) == ({"outreach": "5002"}, "paused", True)
    # Lee's user record was not side-loaded: the sending mailbox's address is the email.
    assert (state.owner_id, state.owner_email) == ("8", "lee@mail.acme.example")


async def test_q3a_a_state_left_out_of_active_states_is_not_active(outreach: Make) -> None:
    h = outreach("sequence_state_pages", config={"active_states": ["active"]})
    state = await conn(h).handoff_sequence_state(ANA)
    assert state is not None
    # Nothing is 'active': the most recently changed state (pending, 07:00 today) is reported.
    assert (state.ids, state.state, state.active) == ({"outreach": "5003"}, "pending", False)


async def test_q3a_owner_falls_back_to_the_creator_without_a_mailbox(outreach: Make) -> None:
    h = outreach("sequence_state_creator")
    state = await conn(h).handoff_sequence_state(ANA)
    assert state is not None
    assert state.active
    assert (state.owner_id, state.owner_email) == ("9", "jo.park@acme.example")


async def test_q3a_owner_sources_are_configuration(outreach: Make) -> None:
    h = outreach("sequence_state_creator", config={"owner_sources": ["mailbox"]})
    state = await conn(h).handoff_sequence_state(ANA)
    assert state is not None
    assert (state.owner_id, state.owner_email) == (None, None)


def test_config_refuses_unknown_owner_sources_and_empty_states() -> None:
    with pytest.raises(pydantic.ValidationError, match="owner_sources"):
        OutreachConfig.model_validate({**CONFIG, "owner_sources": ["sequence_owner"]})
    with pytest.raises(pydantic.ValidationError, match="active_states"):
        OutreachConfig.model_validate({**CONFIG, "active_states": []})
    with pytest.raises(pydantic.ValidationError, match="base_url"):
        OutreachConfig.model_validate({**CONFIG, "base_url": "https://proxy.example.test/v2/"})
    assert OutreachConfig.model_validate(CONFIG).active_states == ("active", "pending", "paused")


# -- auth -------------------------------------------------------------------------------------


async def test_expired_token_is_refreshed_once_on_outreachs_text_401(outreach: Make) -> None:
    h = outreach("expired_token")
    state = await conn(h).handoff_sequence_state(ANA)
    assert state is not None
    assert state.owner_email == "sam.rivera@acme.example"
    assert h.token_requests == 2
    assert h.api_calls == 3


def _token_server(rotations: list[str]) -> tuple[list[dict[str, list[str]]], httpx.MockTransport]:
    forms: list[dict[str, list[str]]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            forms.append(parse_qs(request.content.decode()))
            return httpx.Response(
                200,
                json={
                    "access_token": f"synthetic-access-{len(forms)}",
                    "token_type": "bearer",
                    "expires_in": 7200,
                    "refresh_token": rotations[len(forms) - 1],
                    "created_at": 1767603600,
                },
            )
        if request.headers["Authorization"] == "Bearer synthetic-access-1":
            return httpx.Response(401, text="Invalid access token")
        return httpx.Response(200, json={"data": [], "meta": {"count": 0}})

    return forms, httpx.MockTransport(handle)


async def test_rotated_refresh_token_is_written_back_and_used_next() -> None:
    """Outreach rotates the refresh token on every refresh; the old one stops working."""
    forms, transport = _token_server(["synthetic-rotated-1", "synthetic-rotated-2"])
    h = build_harness(OutreachConnector, transport=transport, config=CONFIG, secrets=SECRETS)
    try:
        assert await conn(h).handoff_sequence_state(ANA) is None
    finally:
        await h.aclose()
    assert h.secrets.writes == [
        ("refresh_token", "synthetic-rotated-1"),
        ("refresh_token", "synthetic-rotated-2"),
    ]
    first, second = forms
    assert first == {
        "grant_type": ["refresh_token"],
        "refresh_token": ["synthetic-refresh-token"],
        "client_id": ["synthetic-outreach-app"],
        "client_secret": ["synthetic-client-secret"],
        "redirect_uri": ["https://handoff.example.test/oauth/outreach"],
    }
    assert second["refresh_token"] == ["synthetic-rotated-1"]


async def test_redirect_uri_is_left_out_when_not_configured() -> None:
    forms, transport = _token_server(["synthetic-rotated-1", "synthetic-rotated-2"])
    config = {"client_id": "synthetic-outreach-app"}
    h = build_harness(OutreachConnector, transport=transport, config=config, secrets=SECRETS)
    try:
        await conn(h).handoff_sequence_state(ANA)
    finally:
        await h.aclose()
    assert "redirect_uri" not in forms[0]
    assert forms[0]["client_id"] == ["synthetic-outreach-app"]


async def test_a_refused_refresh_token_is_an_auth_error_without_secrets(outreach: Make) -> None:
    h = outreach("token_refused")
    with pytest.raises(AuthError) as info:
        await conn(h).handoff_sequence_state(ANA)
    message = str(info.value)
    assert message.startswith("outreach: ")
    assert "HTTP 400" in message
    assert "grant is invalid" in message
    for secret in SECRETS.values():
        assert secret not in message
    assert h.api_calls == 1  # the call that needed the token; it never reached the API


async def test_without_the_refresh_token_the_error_names_it(outreach: Make) -> None:
    secrets = {k: v for k, v in SECRETS.items() if k != "refresh_token"}
    h = outreach("sequence_state", secrets=secrets)
    with pytest.raises(
        MissingSecretError, match=r"'refresh_token'.*HANDOFF_OUTREACH_REFRESH_TOKEN"
    ):
        await conn(h).handoff_sequence_state(ANA)


def test_only_the_oauth_secrets_are_required() -> None:
    config = OutreachConfig.model_validate(CONFIG)
    assert OutreachConnector.required_secrets(config) == ["client_secret", "refresh_token"]
    assert {s.name for s in OutreachConnector.secret_specs} == {
        "client_secret",
        "refresh_token",
        "webhook_secret",
    }


# -- rate limits and errors -------------------------------------------------------------


async def test_429_waits_until_x_ratelimit_reset_then_succeeds(outreach: Make) -> None:
    h = outreach("rate_limited")
    state = await conn(h).handoff_sequence_state(ANA)
    assert state is not None
    assert state.active
    assert 12 <= h.clock.slept < 13  # X-RateLimit-Reset was 12 s ahead; no Retry-After
    assert h.api_calls == 3
    status = conn(h).rate_status
    assert status is not None
    assert status.remaining == 9986


async def test_429_with_the_reset_an_hour_away_fails_fast(outreach: Make) -> None:
    """A spent hourly limit must not hold a routing decision for 40 minutes."""
    h = outreach("rate_limited_for_long")
    with pytest.raises(RateLimitedError) as info:
        await conn(h).handoff_sequence_state(ANA)
    assert info.value.status == 429
    assert info.value.code == "rateLimitExceeded"
    assert info.value.retryable
    assert "try again at 2026-01-05T09:40:00" in str(info.value)
    assert h.api_calls == 1
    assert h.clock.slept == 0


async def test_a_spent_budget_pauses_calls_until_the_reset() -> None:
    h = build_harness(
        OutreachConnector,
        transport=httpx.MockTransport(lambda r: httpx.Response(500)),
        config=CONFIG,
        secrets=SECRETS,
    )
    connector = conn(h)
    now = int(h.clock.now().timestamp())
    try:
        far = {"X-RateLimit-Limit": "10000", "X-RateLimit-Remaining": "0"}
        connector.observe(
            httpx.Response(200, headers={**far, "X-RateLimit-Reset": str(now + 2400)})
        )
        async with connector.budget.slot():
            pass
        assert h.clock.slept == 0  # an hour-away reset is left to the API's 429
        connector.observe(httpx.Response(200, headers={**far, "X-RateLimit-Reset": str(now + 20)}))
        assert connector.rate_status is not None
        assert connector.rate_status.remaining == 0
        assert connector.rate_status.reset_in_seconds == 20
        async with connector.budget.slot():
            pass
        assert h.clock.slept == 20
    finally:
        await h.aclose()


async def test_a_missing_scope_names_the_scopes_needed(outreach: Make) -> None:
    h = outreach("forbidden_scope")
    with pytest.raises(ApiError) as info:
        await conn(h).handoff_sequence_state(ANA)
    assert info.value.status == 403
    assert info.value.code == "unauthorizedOauthScope"
    assert "'prospects.read'" in str(info.value)
    assert "sequenceStates.read" in str(info.value)
    assert h.api_calls == 1


# -- handoff_parse_webhook ---------------------------------------------------------------


async def test_webhook_is_verified_and_read(outreach: Make) -> None:
    h = outreach("webhook")
    [event] = await conn(h).handoff_parse_webhook(signed(state_created()))
    assert event.type == "outreach.sequence_state.changed"
    assert event.source == "outreach"
    assert event.payload["prospect_id"] == "101"
    assert event.payload["active"] is True
    assert h.api_calls == 0


async def test_webhook_signed_with_another_secret_is_refused(outreach: Make) -> None:
    h = outreach("webhook")
    with pytest.raises(WebhookSignatureError) as info:
        await conn(h).handoff_parse_webhook(signed(state_created(), secret="not-the-secret"))
    assert info.value.reason == "mismatch"
    assert SECRETS["webhook_secret"] not in str(info.value)


async def test_webhook_with_a_changed_body_is_refused(outreach: Make) -> None:
    h = outreach("webhook")
    request = signed(state_created())
    tampered = request.model_copy(update={"body": request.body.replace(b"101", b"102")})
    with pytest.raises(WebhookSignatureError, match="does not match"):
        await conn(h).handoff_parse_webhook(tampered)


async def test_webhook_delivered_too_long_ago_is_refused(outreach: Make) -> None:
    h = outreach("webhook", config={"webhook_replay_window_seconds": 60})
    old = signed(state_created(delivered_at="2026-01-05T08:58:00.000Z"))  # 120 s ago
    with pytest.raises(WebhookSignatureError) as info:
        await conn(h).handoff_parse_webhook(old)
    assert info.value.reason == "stale"
    # The default window (300 s) accepts the same delivery.
    assert await conn(outreach("webhook")).handoff_parse_webhook(old)


async def test_webhook_without_the_secret_names_it(outreach: Make) -> None:
    h = outreach("webhook", secrets={k: v for k, v in SECRETS.items() if k != "webhook_secret"})
    with pytest.raises(MissingSecretError, match="'webhook_secret'"):
        await conn(h).handoff_parse_webhook(signed(state_created()))


async def test_a_token_refused_twice_is_an_auth_error_after_one_refresh() -> None:
    tokens = 0

    def handle(request: httpx.Request) -> httpx.Response:
        nonlocal tokens
        if request.url.path == "/oauth/token":
            tokens += 1
            return httpx.Response(
                200, json={"access_token": f"synthetic-access-{tokens}", "expires_in": 7200}
            )
        return httpx.Response(401, text="Invalid access token")

    h = build_harness(
        OutreachConnector, transport=httpx.MockTransport(handle), config=CONFIG, secrets=SECRETS
    )
    try:
        with pytest.raises(AuthError, match=r"^outreach: credentials refused \(HTTP 401\)"):
            await conn(h).handoff_sequence_state(ANA)
    finally:
        await h.aclose()
    assert (tokens, h.api_calls) == (2, 2)
