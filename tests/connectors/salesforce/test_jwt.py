"""JWT bearer login: the assertion Salesforce receives, signed with the configured key."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from handoff_salesforce import SalesforceConnector
from sf_cases import CONFIG

from handoff_sdk import AuthError, FakeClock
from handoff_sdk.testing.harness import build_harness

JWT_CONFIG = {
    **CONFIG,
    "auth": "jwt",
    "username": "integration@handoff-test.example",
    "login_url": "https://test.salesforce.com",
}


def _key_pair() -> tuple[str, rsa.RSAPublicKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return pem, key.public_key()


async def test_jwt_assertion_claims_and_grant() -> None:
    pem, public_key = _key_pair()
    token_forms: list[dict[str, list[str]]] = []
    api: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/services/oauth2/token":
            assert str(request.url) == "https://test.salesforce.com/services/oauth2/token"
            token_forms.append(parse_qs(request.content.decode()))
            return httpx.Response(
                200,
                json={
                    "access_token": "jwt-session",
                    "instance_url": CONFIG["instance_url"],
                    "token_type": "Bearer",
                },
            )
        api.append(request)
        return httpx.Response(200, json={"totalSize": 0, "done": True, "records": []})

    clock = FakeClock(datetime(2026, 3, 2, 14, 30, tzinfo=UTC))
    harness = build_harness(
        SalesforceConnector,
        transport=httpx.MockTransport(handler),
        config=JWT_CONFIG,
        secrets={"private_key": pem},
        clock=clock,
    )
    assert await harness.connector.handoff_find_person(email="pat@acme.example") is None  # type: ignore[attr-defined]

    (form,) = token_forms
    assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    assert set(form) == {"grant_type", "assertion"}, "no client secret in the JWT flow"
    claims = jwt.decode(
        form["assertion"][0],
        public_key,
        algorithms=["RS256"],
        audience="https://test.salesforce.com",
        options={"verify_exp": False},
    )
    now = int(clock.now().timestamp())
    assert claims["iss"] == "handoff-test-client"
    assert claims["sub"] == "integration@handoff-test.example"
    assert claims["aud"] == "https://test.salesforce.com"
    assert claims["exp"] == now + 180, "Salesforce accepts at most 3 minutes"
    assert claims["exp"] > now
    assert jwt.get_unverified_header(form["assertion"][0])["alg"] == "RS256"
    assert len(api) == 2
    assert all(r.headers["Authorization"] == "Bearer jwt-session" for r in api)
    await harness.aclose()


async def test_jwt_audience_can_be_set_apart_from_a_my_domain_login_url() -> None:
    pem, public_key = _key_pair()
    assertions: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/services/oauth2/token":
            assertions.append(parse_qs(request.content.decode())["assertion"][0])
            return httpx.Response(200, json={"access_token": "s"})
        return httpx.Response(200, json={"totalSize": 0, "done": True, "records": []})

    harness = build_harness(
        SalesforceConnector,
        transport=httpx.MockTransport(handler),
        config={
            **JWT_CONFIG,
            "login_url": "https://handoff-test.my.salesforce.com",
            "jwt_audience": "https://login.salesforce.com",
        },
        secrets={"private_key": pem},
    )
    await harness.connector.handoff_match_account(email_domain="acme.example", website=None)  # type: ignore[attr-defined]
    (assertion,) = assertions
    claims = jwt.decode(
        assertion,
        public_key,
        algorithms=["RS256"],
        audience="https://login.salesforce.com",
        options={"verify_exp": False},  # dated by the fake clock, not today
    )
    assert claims["aud"] == "https://login.salesforce.com"
    await harness.aclose()


async def test_a_private_key_that_is_not_pem_is_a_clear_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing should be sent")

    harness = build_harness(
        SalesforceConnector,
        transport=httpx.MockTransport(handler),
        config=JWT_CONFIG,
        secrets={"private_key": "not a key"},
    )
    with pytest.raises(AuthError, match="private_key") as info:
        await harness.connector.handoff_find_person(email="pat@acme.example")  # type: ignore[attr-defined]
    assert "not a key" not in str(info.value)
    await harness.aclose()
