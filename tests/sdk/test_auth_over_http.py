"""Every token flow logs in over a real loopback socket, not only through in-memory transports.

In-memory transports (cassettes, respx, MockTransport) hand the auth flow a
response whose body is already read; a real server's response is a stream.
These tests would have caught `httpx.ResponseNotRead` on the first token
request of every OAuth connector.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from handoff_sdk import (
    Connector,
    ConnectorConfig,
    DictSecrets,
    FakeClock,
    JwtBearer,
    OAuth2ClientCredentials,
    OAuth2RefreshToken,
    TokenAuth,
    connector_http_client,
)
from handoff_sdk.testing.simulator import (
    BearerToken,
    Call,
    Refusal,
    SimAccount,
    Simulator,
    SimulatorServer,
    endpoint,
)

PRIVATE_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE_PEM = PRIVATE_KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
PUBLIC_PEM = PRIVATE_KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


class OAuthServer(Simulator):
    """A generic OAuth2 server: the three grants, in the body, basic auth or the query."""

    name = "oauth"
    auth = BearerToken()
    rotate_refresh_tokens = True

    def seed(self) -> None:
        self.add_account(
            SimAccount(
                "acct-1",
                settings={"client_id": "cid", "subject": "svc@example.test"},
                secrets={"client_secret": "csecret", "refresh_token": "refresh-0"},
            )
        )

    def _grant(self, form: dict[str, str], basic: str | None) -> dict[str, Any]:
        if basic:
            client_id, _, secret = base64.b64decode(basic).decode().partition(":")
            form = {**form, "client_id": client_id, "client_secret": secret}
        grant = form.get("grant_type")
        account = self.account
        if grant == "client_credentials":
            if (
                self.find_account(
                    client_id=form.get("client_id", ""), client_secret=form.get("client_secret", "")
                )
                is None
            ):
                raise Refusal("unauthorized", "bad client", code="invalid_client")
            token = self.tokens.issue(account)
        elif grant == "refresh_token":
            token = self.tokens.redeem(form.get("refresh_token", ""), account)
        elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            claims = jwt.decode(
                form.get("assertion", ""),
                PUBLIC_PEM,
                algorithms=["RS256"],
                audience="aud",
                options={"verify_exp": False, "verify_iat": False},
            )
            if claims["exp"] < self.clock.now().timestamp():
                raise Refusal("unauthorized", "the assertion has expired", code="invalid_grant")
            if claims["sub"] != account.settings["subject"]:
                raise Refusal("unauthorized", "unknown subject", code="invalid_grant")
            token = self.tokens.issue(account)
        else:
            raise Refusal(
                "bad_request", f"unsupported grant {grant}", code="unsupported_grant_type"
            )
        answer: dict[str, Any] = {"access_token": token.access_token, "token_type": "bearer"}
        if token.expires_in is not None:
            answer["expires_in"] = token.expires_in
        if token.refresh_token:
            answer["refresh_token"] = token.refresh_token
        return answer

    @endpoint(
        "POST",
        "/oauth/token",
        auth=False,
        content_type="application/x-www-form-urlencoded",
        body={"grant_type": str},
    )
    async def token_post(self, call: Call) -> Any:
        """The token endpoint, credentials in the form or in basic auth."""
        basic = call.headers.get("authorization", "").removeprefix("Basic ") or None
        return self._grant(dict(call.body), basic)

    @endpoint("GET", "/oauth/token", auth=False, query={"grant_type": str})
    async def token_get(self, call: Call) -> Any:
        """The token endpoint with the credentials in the query (Marketo's identity call)."""
        return self._grant({k: str(v) for k, v in call.query.items()}, None)

    @endpoint("GET", "/api/me")
    async def me(self, call: Call) -> Any:
        """Who the token belongs to."""
        assert call.account is not None
        return {"account": call.account.id}


class Caller(Connector):
    """The connector whose HTTP client the flows run on (its own auth is not used here)."""

    name = "caller"


@pytest.fixture
async def server(fake_clock: FakeClock) -> AsyncIterator[SimulatorServer]:
    async with SimulatorServer(OAuthServer(clock=fake_clock), tls=True) as running:
        yield running


def make_flow(kind: str, url: str, secrets: DictSecrets, clock: FakeClock) -> TokenAuth:
    token_url = f"{url}/oauth/token"
    if kind == "refresh_token":
        return OAuth2RefreshToken(
            connector="caller", clock=clock, secrets=secrets, token_url=token_url, client_id="cid"
        )
    if kind == "jwt":
        return JwtBearer(
            connector="caller",
            clock=clock,
            secrets=secrets,
            token_url=token_url,
            issuer="cid",
            subject="svc@example.test",
            audience="aud",
        )
    where = kind.removeprefix("client_credentials_")
    return OAuth2ClientCredentials(
        connector="caller",
        clock=clock,
        secrets=secrets,
        token_url=token_url,
        client_id="cid",
        credentials_in=where,
    )


@pytest.mark.parametrize(
    "kind",
    [
        "client_credentials_body",
        "client_credentials_basic",
        "client_credentials_query",
        "refresh_token",
        "jwt",
    ],
)
async def test_each_token_flow_logs_in_and_calls_over_a_real_socket(
    kind: str, server: SimulatorServer, fake_clock: FakeClock
) -> None:
    clock = fake_clock
    secrets = DictSecrets(
        "caller",
        {"client_secret": "csecret", "refresh_token": "refresh-0", "private_key": PRIVATE_PEM},
    )
    flow = make_flow(kind, server.url, secrets, clock)
    async with connector_http_client(Caller, ConnectorConfig(), verify=server.verify) as client:
        first = await client.get(f"{server.url}/api/me", auth=flow)
        second = await client.get(f"{server.url}/api/me", auth=flow)
    assert first.status_code == 200, first.text
    assert first.json() == {"account": "acct-1"}
    assert second.status_code == 200
    assert flow.token_requests == 1, "the token is reused until it expires"
    simulator = server.app
    assert isinstance(simulator, OAuthServer)
    assert len(simulator.calls("me")) == 2
    if kind == "refresh_token":
        rotated = simulator.account.secrets["refresh_token"]
        assert rotated != "refresh-0"
        assert secrets.values["refresh_token"] == rotated, "the rotated token was written back"
