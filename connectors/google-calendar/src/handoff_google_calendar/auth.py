"""Google service-account auth with domain-wide delegation: one token per impersonated user.

A service account that a Workspace admin has granted domain-wide delegation
signs a JWT whose `sub` is the user it acts as, and trades it at
https://oauth2.googleapis.com/token for an access token valid for that user
only. Reading a rep's free/busy and putting an invite on their calendar as
them therefore needs one token per rep. `DelegatedServiceAccount` keeps one
SDK `JwtBearer` per rep (each caches its own token until it expires, with
its own lock), created on first use and evicted least-recently-used past
`max_subjects`.

The connector says which rep a request is for with the `SUBJECT_HEADER`
request header; the flow reads it and removes it before the request leaves,
so Google never sees it.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import AsyncGenerator, Sequence

import httpx

from handoff_sdk import AuthError, Clock, JwtBearer, SecretAccess, TokenAuth

__all__ = ["SUBJECT_HEADER", "DelegatedServiceAccount", "KeyFileSecrets"]

SUBJECT_HEADER = "X-Handoff-Delegate-Subject"
"""Request header naming the user to act as; read and removed by the auth flow."""


class KeyFileSecrets:
    """The connector's secrets, where `private_key` may also hold the whole JSON key file.

    Google hands out a service account key as a JSON file whose
    `private_key` field is the PEM key. Ops can store either the PEM or the
    file as it was downloaded; the PEM is what the JWT is signed with.
    """

    def __init__(self, inner: SecretAccess, key_secret: str = "private_key") -> None:  # noqa: S107 - a name
        self._inner = inner
        self._key_secret = key_secret

    def get(self, name: str) -> str:
        """The secret; the PEM inside a JSON key file for the key secret."""
        value = self._inner.get(name)
        if name != self._key_secret or not value.lstrip().startswith("{"):
            return value
        try:
            data = json.loads(value)
        except ValueError:
            return value  # not JSON after all: let the signer say it is no PEM key
        pem = data.get("private_key") if isinstance(data, dict) else None
        return pem if isinstance(pem, str) else value

    def set(self, name: str, value: str) -> None:
        """Write through to the store."""
        self._inner.set(name, value)


class DelegatedServiceAccount(TokenAuth):
    """A service account acting as each rep in turn: one cached JwtBearer per subject."""

    def __init__(
        self,
        *,
        connector: str,
        clock: Clock,
        secrets: SecretAccess,
        token_url: str,
        service_account_email: str,
        scopes: Sequence[str],
        private_key: str = "private_key",
        max_subjects: int = 500,
    ) -> None:
        super().__init__(connector=connector, clock=clock)
        self._secrets = KeyFileSecrets(secrets, private_key)
        self._token_url = token_url
        self._issuer = service_account_email
        self._scope = " ".join(scopes)
        self._private_key = private_key
        self._max_subjects = max(1, max_subjects)
        self._by_subject: OrderedDict[str, JwtBearer] = OrderedDict()

    @property
    def subjects(self) -> list[str]:
        """The users a token is cached for, least recently used first."""
        return list(self._by_subject)

    def for_subject(self, subject: str) -> JwtBearer:
        """The JWT bearer flow acting as `subject`, made on first use, then reused."""
        key = subject.strip().lower()
        bearer = self._by_subject.get(key)
        if bearer is not None:
            self._by_subject.move_to_end(key)
            return bearer
        bearer = JwtBearer(
            connector=self.connector,
            clock=self._clock,
            secrets=self._secrets,
            token_url=self._token_url,
            issuer=self._issuer,
            subject=key,
            audience=self._token_url,
            private_key=self._private_key,
            lifetime_seconds=600,
            extra_claims={"scope": self._scope},
        )
        self._by_subject[key] = bearer
        while len(self._by_subject) > self._max_subjects:
            self._by_subject.popitem(last=False)
        return bearer

    def build_token_request(self) -> httpx.Request:
        """The token endpoint; each subject's flow builds its own signed request."""
        return httpx.Request("POST", self._token_url)

    def expire_from(self, request: httpx.Request) -> None:
        """Drop the token the refused request carried, whichever subject it was for."""
        for bearer in self._by_subject.values():
            bearer.expire_from(request)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Act as the request's subject: its cached token, or a new one fetched first."""
        subject = request.headers.get(SUBJECT_HEADER, "").strip()
        if not subject:
            raise AuthError(
                self.connector,
                f"no user to act as: a delegated request needs the {SUBJECT_HEADER} header",
            )
        del request.headers[SUBJECT_HEADER]
        bearer = self.for_subject(subject)
        before = bearer.token_requests
        flow = bearer.async_auth_flow(request)
        try:
            outgoing = await flow.__anext__()
            while True:
                response = yield outgoing
                outgoing = await flow.asend(response)
        except StopAsyncIteration:
            return
        except AuthError as exc:
            raise AuthError(self.connector, f"acting as {subject}: {exc.message}") from None
        finally:
            self.token_requests += bearer.token_requests - before
