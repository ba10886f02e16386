"""Authentication as httpx.Auth flows, so the hub's one client serves every connector.

Token flows fetch a token by yielding the token request inside the flow (the
httpx way), so a test's transport or cassette serves the token call too. A
lock makes concurrent callers share one refresh; `expire_from` is how the
request layer says "this token was refused" without racing a refresh that
another task already made.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncGenerator, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import jwt

from ._clock import Clock
from .errors import AuthError

__all__ = [
    "ApiKeyAuth",
    "BasicAuth",
    "JwtBearer",
    "OAuth2ClientCredentials",
    "OAuth2RefreshToken",
    "SecretAccess",
    "Token",
    "TokenAuth",
]


class SecretAccess(Protocol):
    """A connector's view of its own secrets; `set` writes a rotated value back."""

    def get(self, name: str) -> str:
        """The secret's value; raises MissingSecretError when it is not set."""
        ...

    def set(self, name: str, value: str) -> None:
        """Store a new value (a rotated refresh token)."""
        ...


class _SyncRefused(httpx.Auth):
    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("handoff connectors use httpx.AsyncClient only")
        yield request  # pragma: no cover


class ApiKeyAuth(_SyncRefused):
    """A static key in a header, e.g. `Authorization: Token <key>` (6sense)."""

    def __init__(
        self, secrets: SecretAccess, secret: str, *, header: str = "Authorization", prefix: str = ""
    ) -> None:
        self._secrets = secrets
        self._secret = secret
        self.header = header
        self.prefix = prefix

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Read the key each time, so a key changed with `handoff secrets set` is picked up."""
        request.headers[self.header] = f"{self.prefix}{self._secrets.get(self._secret)}"
        yield request


class BasicAuth(_SyncRefused):
    """HTTP basic auth with the password (or API token) from the secret store."""

    def __init__(self, secrets: SecretAccess, username: str, password_secret: str) -> None:
        self._secrets = secrets
        self._username = username
        self._password_secret = password_secret

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Attach the Authorization header."""
        pair = f"{self._username}:{self._secrets.get(self._password_secret)}".encode()
        request.headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        yield request


@dataclass
class Token:
    """A bearer token with its expiry (monotonic seconds) and the raw token response."""

    value: str
    expires_at: float | None
    data: dict[str, Any] = field(default_factory=dict)


class TokenAuth(_SyncRefused):
    """Base of the flows that trade credentials for a bearer token, cached until expiry."""

    def __init__(self, *, connector: str, clock: Clock, margin_seconds: float = 60.0) -> None:
        self.connector = connector
        self._clock = clock
        self._margin = margin_seconds
        self._lock = asyncio.Lock()
        self.token: Token | None = None
        self.token_requests = 0

    def build_token_request(self) -> httpx.Request:
        """The request that obtains a token; each flow builds its own."""
        raise NotImplementedError

    def on_token_response(self, data: dict[str, Any]) -> None:
        """Called with every successful token response (rotation is handled here)."""

    def apply(self, request: httpx.Request, token: Token) -> None:
        """Put the token on the request; Bearer in Authorization by default."""
        request.headers["Authorization"] = f"Bearer {token.value}"

    def _usable(self) -> bool:
        if self.token is None:
            return False
        if self.token.expires_at is None:
            return True
        return self._clock.monotonic() < self.token.expires_at - self._margin

    def expire_from(self, request: httpx.Request) -> None:
        """The API refused the token this request carried: drop it unless already replaced."""
        if self.token is not None and request.headers.get("Authorization", "").endswith(
            self.token.value
        ):
            self.token = None

    def accept_token_response(self, response: httpx.Response) -> None:
        """Take the token out of a token response, or raise AuthError saying why not."""
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 400 or not isinstance(data, dict) or "access_token" not in data:
            reason = "unexpected token response"
            if isinstance(data, dict):
                reason = str(data.get("error_description") or data.get("error") or reason)
            raise AuthError(
                self.connector,
                f"the token request was refused (HTTP {response.status_code}): {reason}",
            )
        expires_in = data.get("expires_in")
        expires_at = self._clock.monotonic() + float(expires_in) if expires_in is not None else None
        self.token = Token(str(data["access_token"]), expires_at, data)
        self.token_requests += 1
        self.on_token_response(data)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Fetch a token when there is none (one fetch however many tasks wait), then send.

        A real server's token response arrives as a stream: it is read here,
        before `accept_token_response` looks at it (httpx reads a response
        body for a flow only when the flow does not override this method).
        """
        if not self._usable():
            async with self._lock:
                if not self._usable():
                    response = yield self.build_token_request()
                    await response.aread()
                    self.accept_token_response(response)
        assert self.token is not None
        self.apply(request, self.token)
        yield request


class OAuth2ClientCredentials(TokenAuth):
    """OAuth2 client-credentials grant (Marketo, Zoom server-to-server).

    `credentials_in` says where the client id and secret go: the form body,
    HTTP basic auth, or the query string of a GET (Marketo's identity endpoint).
    """

    def __init__(
        self,
        *,
        connector: str,
        clock: Clock,
        secrets: SecretAccess,
        token_url: str,
        client_id: str,
        client_secret: str = "client_secret",
        credentials_in: str = "body",
        extra: dict[str, str] | None = None,
    ) -> None:
        super().__init__(connector=connector, clock=clock)
        self._secrets = secrets
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._credentials_in = credentials_in
        self._extra = extra or {}

    def build_token_request(self) -> httpx.Request:
        """Client credentials where the API wants them."""
        form = {"grant_type": "client_credentials", **self._extra}
        secret = self._secrets.get(self._client_secret)
        if self._credentials_in == "basic":
            pair = base64.b64encode(f"{self._client_id}:{secret}".encode()).decode()
            return httpx.Request(
                "POST", self._token_url, data=form, headers={"Authorization": f"Basic {pair}"}
            )
        form |= {"client_id": self._client_id, "client_secret": secret}
        if self._credentials_in == "query":
            return httpx.Request("GET", self._token_url, params=form)
        return httpx.Request("POST", self._token_url, data=form)


class OAuth2RefreshToken(TokenAuth):
    """OAuth2 refresh-token grant; a rotated refresh token is written back to the store."""

    def __init__(
        self,
        *,
        connector: str,
        clock: Clock,
        secrets: SecretAccess,
        token_url: str,
        client_id: str,
        client_secret: str | None = "client_secret",
        refresh_token: str = "refresh_token",
    ) -> None:
        super().__init__(connector=connector, clock=clock)
        self._secrets = secrets
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token

    def build_token_request(self) -> httpx.Request:
        """Trade the stored refresh token for an access token."""
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self._secrets.get(self._refresh_token),
            "client_id": self._client_id,
        }
        if self._client_secret:
            form["client_secret"] = self._secrets.get(self._client_secret)
        return httpx.Request("POST", self._token_url, data=form)

    def on_token_response(self, data: dict[str, Any]) -> None:
        """Keep a rotated refresh token; the old one no longer works once used."""
        rotated = data.get("refresh_token")
        if rotated and rotated != self._secrets.get(self._refresh_token):
            self._secrets.set(self._refresh_token, str(rotated))


_REGISTERED_CLAIMS = frozenset({"iss", "sub", "aud", "iat", "exp"})


class JwtBearer(TokenAuth):
    """OAuth2 JWT bearer grant (RFC 7523), e.g. Salesforce server-to-server login.

    `extra_claims` adds claims an issuer asks for beyond iss/sub/aud/iat/exp,
    such as Google's `scope` for a service account; the registered claims
    themselves cannot be replaced through it.
    """

    def __init__(
        self,
        *,
        connector: str,
        clock: Clock,
        secrets: SecretAccess,
        token_url: str,
        issuer: str,
        subject: str,
        audience: str,
        private_key: str = "private_key",
        lifetime_seconds: int = 180,
        extra_claims: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(connector=connector, clock=clock)
        clash = sorted(_REGISTERED_CLAIMS & set(extra_claims or {}))
        if clash:
            raise ValueError(f"{connector}: extra_claims may not set {', '.join(clash)}")
        self._secrets = secrets
        self._token_url = token_url
        self._claims = {**(extra_claims or {}), "iss": issuer, "sub": subject, "aud": audience}
        self._private_key = private_key
        self._lifetime = lifetime_seconds

    def assertion(self) -> str:
        """A signed, short-lived assertion (RS256), dated by the injected clock."""
        now = int(self._clock.now().timestamp())
        claims = {**self._claims, "iat": now, "exp": now + self._lifetime}
        try:
            return jwt.encode(claims, self._secrets.get(self._private_key), algorithm="RS256")
        except (ValueError, TypeError, jwt.PyJWTError) as exc:
            raise AuthError(
                self.connector,
                f"secret '{self._private_key}' is not a usable RSA private key in PEM form "
                f"({type(exc).__name__})",
            ) from None

    def build_token_request(self) -> httpx.Request:
        """POST the assertion to the token endpoint."""
        form = {
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": self.assertion(),
        }
        return httpx.Request("POST", self._token_url, data=form)
