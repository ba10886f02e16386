"""Auth flows: token reuse, one refresh for many waiters, rotation written back, JWT claims."""

from __future__ import annotations

import asyncio
import base64
from urllib.parse import parse_qs

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from handoff_sdk import (
    ApiKeyAuth,
    AuthError,
    BasicAuth,
    Connector,
    ConnectorConfig,
    FakeClock,
    JwtBearer,
    OAuth2ClientCredentials,
    OAuth2RefreshToken,
    SecretSpec,
)
from handoff_sdk.secrets import DictSecrets

TOKEN_URL = "https://login.example.test/oauth/token"


class FakeOAuthServer:
    """Issues access tokens; rotates the refresh token on each use; the old one dies."""

    def __init__(self) -> None:
        self.generation = 0
        self.token_calls = 0
        self.valid_refresh = "refresh-0"
        self.valid_access: set[str] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url == TOKEN_URL:
            self.token_calls += 1
            form = parse_qs(request.content.decode())
            if form["grant_type"] == ["refresh_token"] and form["refresh_token"] != [
                self.valid_refresh
            ]:
                return httpx.Response(
                    400, json={"error": "invalid_grant", "error_description": "expired"}
                )
            self.generation += 1
            access = f"access-{self.generation}"
            self.valid_access.add(access)
            self.valid_refresh = f"refresh-{self.generation}"
            return httpx.Response(
                200,
                json={
                    "access_token": access,
                    "expires_in": 3600,
                    "refresh_token": self.valid_refresh,
                },
            )
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.valid_access:
            return httpx.Response(401, json={"error": "invalid_token"})
        return httpx.Response(200, json={"ok": True, "token": "x"})

    def revoke_all(self) -> None:
        self.valid_access.clear()


class RefreshConnector(Connector):
    name = "refresher"
    secret_specs = (
        SecretSpec(name="client_secret", description="s"),
        SecretSpec(name="refresh_token", description="r"),
    )

    def build_auth(self) -> httpx.Auth:
        return OAuth2RefreshToken(
            connector=self.name,
            clock=self.clock,
            secrets=self.secret_store,
            token_url=TOKEN_URL,
            client_id="cid",
        )


def make(
    server: FakeOAuthServer, clock: FakeClock | None = None
) -> tuple[RefreshConnector, DictSecrets]:
    secrets = DictSecrets("refresher", {"client_secret": "cs", "refresh_token": "refresh-0"})
    client = httpx.AsyncClient(transport=httpx.MockTransport(server))
    conn = RefreshConnector(
        config=ConnectorConfig(), secrets=secrets, http=client, clock=clock or FakeClock()
    )
    return conn, secrets


async def test_token_is_reused_until_it_expires() -> None:
    server, clock = FakeOAuthServer(), FakeClock()
    conn, _ = make(server, clock)
    for _ in range(3):
        await conn.request("GET", "https://api.example.test/x")
    assert server.token_calls == 1
    clock.advance(3600)
    await conn.request("GET", "https://api.example.test/x")
    assert server.token_calls == 2


async def test_rotated_refresh_token_is_written_back() -> None:
    server = FakeOAuthServer()
    conn, secrets = make(server)
    await conn.request("GET", "https://api.example.test/x")
    assert secrets.values["refresh_token"] == "refresh-1"
    assert secrets.writes == [("refresh_token", "refresh-1")]


async def test_two_tasks_hitting_an_expired_token_refresh_once() -> None:
    server = FakeOAuthServer()
    conn, secrets = make(server)
    await conn.request("GET", "https://api.example.test/x")
    server.revoke_all()  # the token dies server-side before its expiry
    results = await asyncio.gather(
        *(conn.request("GET", "https://api.example.test/x") for _ in range(5))
    )
    assert all(r.status_code == 200 for r in results)
    assert server.token_calls == 2  # the first login and ONE refresh
    assert secrets.values["refresh_token"] == server.valid_refresh == "refresh-2"


class StubbornServer(FakeOAuthServer):
    """Issues tokens but refuses every one of them."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url == TOKEN_URL:
            return super().__call__(request)
        return httpx.Response(401, json={"error": "invalid_token"})


async def test_a_token_refused_after_refresh_is_an_auth_error() -> None:
    server = StubbornServer()
    conn, _ = make(server)
    with pytest.raises(AuthError, match="refresher: credentials refused"):
        await conn.request("GET", "https://api.example.test/x")
    assert server.token_calls == 2  # the login and exactly one refresh, no storm


async def test_refused_refresh_token_is_a_clear_error_without_the_secret() -> None:
    server = FakeOAuthServer()
    server.valid_refresh = "something-else"
    conn, _ = make(server)
    with pytest.raises(AuthError, match=r"token request was refused \(HTTP 400\): expired") as info:
        await conn.request("GET", "https://api.example.test/x")
    assert "refresh-0" not in str(info.value)


async def test_client_credentials_placements() -> None:
    seen: list[httpx.Request] = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"access_token": "t", "expires_in": 60})

    secrets = DictSecrets("mk", {"client_secret": "sec"})
    for where in ("body", "basic", "query"):
        auth = OAuth2ClientCredentials(
            connector="mk",
            clock=FakeClock(),
            secrets=secrets,
            token_url=TOKEN_URL,
            client_id="cid",
            credentials_in=where,
        )
        async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as client:
            response = await client.get("https://api.example.test/y", auth=auth)
        assert response.request.headers["Authorization"] == "Bearer t"
        assert "access_token" not in str(response.request.url)
    body, basic, query = seen[0], seen[2], seen[4]
    assert parse_qs(body.content.decode())["client_secret"] == ["sec"]
    assert basic.headers["Authorization"] == "Basic " + base64.b64encode(b"cid:sec").decode()
    assert query.method == "GET"
    assert query.url.params["client_secret"] == "sec"


async def test_jwt_bearer_assertion_is_signed_and_dated_by_the_clock() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    clock = FakeClock()
    captured: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        if request.url != TOKEN_URL:
            return httpx.Response(200)
        form = parse_qs(request.content.decode())
        captured.append(form["assertion"][0])
        assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
        return httpx.Response(200, json={"access_token": "t"})

    auth = JwtBearer(
        connector="sf",
        clock=clock,
        secrets=DictSecrets("sf", {"private_key": pem}),
        token_url=TOKEN_URL,
        issuer="consumer-key",
        subject="ops@example.test",
        audience="https://login.example.test",
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as client:
        await client.get("https://api.example.test/z", auth=auth)
    claims = jwt.decode(
        captured[0],
        key.public_key(),
        algorithms=["RS256"],
        audience="https://login.example.test",
        options={"verify_exp": False},
    )
    assert claims["iss"] == "consumer-key"
    assert claims["sub"] == "ops@example.test"
    assert claims["exp"] == int(clock.now().timestamp()) + 180


def test_jwt_bearer_with_a_bad_key_says_which_secret() -> None:
    auth = JwtBearer(
        connector="sf",
        clock=FakeClock(),
        secrets=DictSecrets("sf", {"private_key": "nope"}),
        token_url=TOKEN_URL,
        issuer="i",
        subject="s",
        audience="a",
    )
    with pytest.raises(AuthError, match="secret 'private_key' is not a usable RSA private key"):
        auth.assertion()


async def test_api_key_and_basic_read_the_current_secret() -> None:
    secrets = DictSecrets("k", {"key": "one", "pw": "p"})
    seen: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(200))
    async with httpx.AsyncClient(transport=transport) as client:
        await client.get("https://a.example.test", auth=ApiKeyAuth(secrets, "key", prefix="Token "))
        secrets.values["key"] = "two"
        await client.get("https://a.example.test", auth=ApiKeyAuth(secrets, "key", prefix="Token "))
        await client.get(
            "https://a.example.test", auth=BasicAuth(secrets, "me@example.test/token", "pw")
        )
    assert [r.headers["Authorization"] for r in seen[:2]] == ["Token one", "Token two"]
    assert seen[2].headers["Authorization"].startswith("Basic ")
