"""JwtBearer's extra_claims: a Google service account asks for a `scope` claim in the assertion."""

from __future__ import annotations

from urllib.parse import parse_qs

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from handoff_sdk import FakeClock, JwtBearer
from handoff_sdk.secrets import DictSecrets

TOKEN_URL = "https://oauth2.example.test/token"
SCOPE = "https://www.googleapis.com/auth/calendar.events https://www.googleapis.com/auth/calendar.freebusy"


def _key() -> tuple[str, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, key


def _bearer(pem: str, clock: FakeClock, **kw: object) -> JwtBearer:
    return JwtBearer(
        connector="google-calendar",
        clock=clock,
        secrets=DictSecrets("google-calendar", {"private_key": pem}),
        token_url=TOKEN_URL,
        issuer="handoff@project.iam.example.test",
        subject="rep@example.com",
        audience=TOKEN_URL,
        **kw,  # type: ignore[arg-type]
    )


async def test_extra_claims_are_signed_into_the_assertion_next_to_the_registered_ones() -> None:
    pem, key = _key()
    clock = FakeClock()
    assertions: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        if request.url == TOKEN_URL:
            assertions.append(parse_qs(request.content.decode())["assertion"][0])
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3599})
        return httpx.Response(200)

    auth = _bearer(pem, clock, extra_claims={"scope": SCOPE}, lifetime_seconds=3600)
    async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as client:
        await client.get("https://api.example.test/x", auth=auth)
    claims = jwt.decode(
        assertions[0],
        key.public_key(),
        algorithms=["RS256"],
        audience=TOKEN_URL,
        options={"verify_exp": False},
    )
    now = int(clock.now().timestamp())
    assert claims == {
        "scope": SCOPE,
        "iss": "handoff@project.iam.example.test",
        "sub": "rep@example.com",
        "aud": TOKEN_URL,
        "iat": now,
        "exp": now + 3600,
    }


def test_without_extra_claims_the_assertion_is_unchanged() -> None:
    pem, key = _key()
    token = _bearer(pem, FakeClock()).assertion()
    claims = jwt.decode(
        token,
        key.public_key(),
        algorithms=["RS256"],
        audience=TOKEN_URL,
        options={"verify_exp": False},
    )
    assert set(claims) == {"iss", "sub", "aud", "iat", "exp"}


@pytest.mark.parametrize("claim", ["iss", "sub", "aud", "iat", "exp"])
def test_extra_claims_cannot_replace_a_registered_claim(claim: str) -> None:
    with pytest.raises(ValueError, match=f"google-calendar: extra_claims may not set {claim}"):
        _bearer("unused", FakeClock(), extra_claims={claim: "x"})
