"""OAuth2 client credentials at the identity endpoint; the token in a Bearer header, reused."""

from __future__ import annotations

import httpx
import pytest

from handoff_sdk import AuthError, FakeClock, OAuth2ClientCredentials
from handoff_sdk.entities import Lead

OK_UPSERT = {"requestId": "1#1", "success": True, "result": [{"id": 1, "status": "updated"}]}
LEAD = [Lead(email="ada@example.test")]


async def test_token_comes_from_the_identity_endpoint_with_client_credentials(
    marketo, fake_marketo
) -> None:
    fake_marketo.answer("/rest/v1/leads.json", OK_UPSERT)
    harness = marketo()
    assert isinstance(harness.connector.auth, OAuth2ClientCredentials)

    await harness.connector.handoff_upsert_leads(LEAD, "k")

    [token_request] = fake_marketo.token_requests
    assert token_request.method == "GET"
    assert str(token_request.url).startswith("https://marketo.example.test/identity/oauth/token?")
    assert token_request.url.params["grant_type"] == "client_credentials"
    assert token_request.url.params["client_id"] == "synthetic-client-id"
    assert token_request.url.params["client_secret"] == "synthetic-secret"


async def test_token_travels_in_the_bearer_header_never_the_query(marketo, fake_marketo) -> None:
    fake_marketo.answer("/rest/v1/leads.json", OK_UPSERT)
    harness = marketo()

    await harness.connector.handoff_upsert_leads(LEAD, "k")

    [call] = fake_marketo.api_requests
    assert call.headers["Authorization"] == "Bearer tok-1"
    assert "access_token" not in call.url.params
    assert "tok-1" not in str(call.url)
    assert b"tok-1" not in call.content


async def test_token_is_reused_until_it_expires(
    marketo, fake_marketo, fake_clock: FakeClock
) -> None:
    fake_marketo.answer("/rest/v1/leads.json", OK_UPSERT)
    harness = marketo()

    for _ in range(3):
        await harness.connector.handoff_upsert_leads(LEAD, "k")
        fake_clock.advance(600)  # 30 minutes in all: still within the hour
    assert harness.token_requests == 1
    assert len(fake_marketo.token_requests) == 1

    fake_clock.advance(3599)  # now past expires_in
    await harness.connector.handoff_upsert_leads(LEAD, "k")
    assert len(fake_marketo.token_requests) == 2
    assert fake_marketo.api_requests[-1].headers["Authorization"] == "Bearer tok-2"


async def test_refused_client_credentials_are_an_auth_error_naming_marketo(
    marketo, fake_marketo
) -> None:
    def refuse(request):
        fake_marketo.requests.append(request)
        return httpx.Response(
            401, json={"error": "unauthorized", "error_description": "Bad client credentials"}
        )

    fake_marketo.handler = refuse  # type: ignore[method-assign]
    harness = marketo()

    with pytest.raises(AuthError) as info:
        await harness.connector.handoff_upsert_leads(LEAD, "k")
    assert "marketo" in str(info.value)
    assert "synthetic-secret" not in str(info.value)
    assert harness.api_calls == 1
    assert fake_marketo.api_requests == []
