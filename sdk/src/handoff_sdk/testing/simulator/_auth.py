"""Who is calling: access tokens the simulator issues, and the schemes that name an account.

A simulator's `auth` is one scheme, or `AnyOf(...)` several: each reads the
request's headers and returns the account they open, or raises a Refusal
(`unauthorized` for unknown credentials, `token_expired` for a token the
simulator issued that is no longer good). Token endpoints are ordinary
endpoints (`auth=False`) that call `TokenStore.issue` and answer in the
vendor's shape; `TokenStore.redeem` checks a refresh token and, with
rotation on, replaces it.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from handoff_sdk._clock import Clock

from ._model import Refusal, SimAccount

if TYPE_CHECKING:
    from starlette.datastructures import Headers

__all__ = [
    "AnyOf",
    "ApiKey",
    "BasicPassword",
    "BearerToken",
    "IssuedToken",
    "SimAuth",
    "TokenStore",
]


class SimAuth(Protocol):
    """A way a vendor's API is authenticated, from the vendor's side."""

    def authenticate(self, headers: Headers, accounts: Accounts) -> SimAccount:
        """The account these credentials open; raise Refusal when they open none."""
        ...


class Accounts(Protocol):
    """What an auth scheme may ask of the simulator: its accounts and its tokens."""

    tokens: TokenStore

    def find_account(self, **match: str) -> SimAccount | None:
        """The account whose settings or secrets hold all these values."""
        ...


@dataclass(frozen=True)
class IssuedToken:
    """A token the simulator handed out; `expires_in` is None for tokens without a lifetime."""

    access_token: str
    expires_in: int | None
    refresh_token: str | None = None


@dataclass
class _Live:
    account: str
    expires_at: float | None
    expired: bool = False


class TokenStore:
    """Access tokens and refresh tokens of a simulator, on its clock.

    `lifetime` is how long an access token lives (None: until `expire_all`,
    as Salesforce's sessions, which expire without saying when). With
    `rotate`, redeeming a refresh token issues a new one and the old one
    stops working, as Outreach and Salesforce (with rotation on) do.
    """

    def __init__(
        self,
        clock: Clock,
        find: Callable[[str], SimAccount | None],
        *,
        lifetime: float | None,
        rotate: bool,
    ) -> None:
        self._clock = clock
        self._find = find
        self.lifetime = lifetime
        self.rotate = rotate
        self._live: dict[str, _Live] = {}
        self.issued = 0
        """Access tokens issued so far."""

    def clear(self) -> None:
        """Forget every token (a fresh simulator)."""
        self._live.clear()
        self.issued = 0

    def issue(self, account: SimAccount, *, with_refresh: bool = False) -> IssuedToken:
        """A new access token for `account` (and a new refresh token when asked)."""
        value = f"sim-at-{secrets.token_hex(12)}"
        expires_at = None if self.lifetime is None else self._clock.monotonic() + self.lifetime
        self._live[value] = _Live(account.id, expires_at)
        self.issued += 1
        refresh = None
        if with_refresh:
            refresh = f"sim-rt-{secrets.token_hex(12)}"
            account.secrets["refresh_token"] = refresh
        lifetime = None if self.lifetime is None else int(self.lifetime)
        return IssuedToken(value, lifetime, refresh)

    def redeem(self, refresh_token: str, account: SimAccount) -> IssuedToken:
        """Trade `account`'s refresh token for an access token; rotate it when rotation is on.

        Raises Refusal(unauthorized, code "invalid_grant") for any other value,
        including a refresh token that was already rotated away.
        """
        if not refresh_token or account.secrets.get("refresh_token") != refresh_token:
            raise Refusal(
                "unauthorized",
                "expired access/refresh token",
                code="invalid_grant",
                status=400,
            )
        if self.rotate:
            return self.issue(account, with_refresh=True)
        token = self.issue(account)
        return IssuedToken(token.access_token, token.expires_in, refresh_token)

    def account_of(self, access_token: str) -> SimAccount:
        """The account of a bearer token; refuses unknown, expired and expired-by-hand tokens."""
        live = self._live.get(access_token)
        account = self._find(live.account) if live is not None else None
        if live is None or account is None:
            raise Refusal("unauthorized", "the access token is not valid")
        now = self._clock.monotonic()
        if live.expired or (live.expires_at is not None and now >= live.expires_at):
            raise Refusal("token_expired", "the access token has expired")
        return account

    def expire_all(self) -> None:
        """Every token issued so far stops working now; callers must fetch new ones."""
        for live in self._live.values():
            live.expired = True


def _header(headers: Headers, name: str, prefix: str) -> str | None:
    value = headers.get(name)
    if value is None or not value.lower().startswith(prefix.lower()):
        return None
    return value[len(prefix) :].strip()


@dataclass(frozen=True)
class BearerToken:
    """`Authorization: Bearer <token>` with a token this simulator issued."""

    header: str = "Authorization"
    prefix: str = "Bearer "

    def authenticate(self, headers: Headers, accounts: Accounts) -> SimAccount:
        """The account the token was issued to."""
        token = _header(headers, self.header, self.prefix)
        if not token:
            raise Refusal("unauthorized", f"no {self.prefix.strip()} token in {self.header}")
        return accounts.tokens.account_of(token)


@dataclass(frozen=True)
class ApiKey:
    """A static key in a header (`header: prefix + key`), matched against a secret of an account."""

    secret: str = "api_key"  # noqa: S105 - the name of the secret, not its value
    header: str = "Authorization"
    prefix: str = "Bearer "

    def authenticate(self, headers: Headers, accounts: Accounts) -> SimAccount:
        """The account whose `secret` is this key."""
        key = _header(headers, self.header, self.prefix)
        account = accounts.find_account(**{self.secret: key}) if key else None
        if account is None:
            raise Refusal("unauthorized", f"the key in {self.header} is not valid")
        return account


@dataclass(frozen=True)
class BasicPassword:
    """HTTP basic auth: `username` formatted from the account's settings, password a secret.

    Zendesk's API token login is `BasicPassword("{email}/token", "api_token")`.
    """

    username: str
    password_secret: str

    def authenticate(self, headers: Headers, accounts: Accounts) -> SimAccount:
        """The account whose username and password these are."""
        encoded = _header(headers, "Authorization", "Basic ")
        if not encoded:
            raise Refusal("unauthorized", "no Basic credentials in Authorization")
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise Refusal("unauthorized", "the Basic credentials are malformed") from None
        account = accounts.find_account(**{self.password_secret: password})
        if account is None or self.username.format(**account.settings) != user:
            raise Refusal("unauthorized", "the Basic credentials are not valid")
        return account


class AnyOf:
    """Several schemes; the first that accepts the request wins (Zendesk: basic or bearer)."""

    def __init__(self, *schemes: SimAuth) -> None:
        self.schemes: Iterable[SimAuth] = schemes

    def authenticate(self, headers: Headers, accounts: Accounts) -> SimAccount:
        """The account of the first scheme that accepts; else the first scheme's refusal."""
        first: Refusal | None = None
        for scheme in self.schemes:
            try:
                return scheme.authenticate(headers, accounts)
            except Refusal as refusal:
                if refusal.kind == "token_expired":
                    raise
                first = first or refusal
        raise first or Refusal("unauthorized", "no credentials")
