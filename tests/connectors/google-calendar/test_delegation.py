"""Domain-wide delegation: one token per rep, cached, and booking idempotent against a fake Google.

`FakeGoogle` checks what the real token endpoint and Calendar API check that
matter here: the assertion is signed by the service account's key, names the
scopes and the user to act as; each access token works for that user's
calendar only; a client-chosen event id is refused the second time (409).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from urllib.parse import parse_qs, unquote

import httpx
import jwt
import pytest
from gcal_cases import (
    CONFIG,
    KEY,
    MEETING,
    PEM,
    REP,
    SERVICE_ACCOUNT,
    TOKEN_URL,
    WINDOW_END,
    WINDOW_START,
)
from handoff_google_calendar import SUBJECT_HEADER, DelegatedServiceAccount, GoogleCalendarConnector
from handoff_google_calendar.connector import DEFAULT_SCOPES

from handoff_sdk import AuthError, FakeClock
from handoff_sdk.entities import Rep
from handoff_sdk.testing.harness import Harness, build_harness

BEN = Rep(id="rep-ben", name="Ben Rep", email="ben.rep@example.com")


class FakeGoogle:
    """Token endpoint plus the freeBusy and events endpoints, with Google's duplicate-id rule."""

    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}  # access token -> user it acts as
        self.issued: Counter[str] = Counter()
        self.events: dict[tuple[str, str], dict[str, Any]] = {}
        self.saw_subject_header = False

    def revoke(self, user: str) -> None:
        for token, who in list(self.tokens.items()):
            if who == user:
                del self.tokens[token]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if SUBJECT_HEADER.lower() in {k.lower() for k in request.headers}:
            self.saw_subject_header = True
        if str(request.url) == TOKEN_URL:
            return self._token(request)
        user = self.tokens.get(request.headers.get("Authorization", "").removeprefix("Bearer "))
        if user is None:
            return httpx.Response(
                401,
                json={
                    "error": {
                        "code": 401,
                        "message": "Invalid Credentials",
                        "errors": [{"reason": "authError"}],
                    }
                },
            )
        if request.url.path == "/calendar/v3/freeBusy":
            calendar = json.loads(request.content)["items"][0]["id"]
            assert calendar == user, "each rep's calendar is read with that rep's token"
            return httpx.Response(
                200, json={"kind": "calendar#freeBusy", "calendars": {calendar: {"busy": []}}}
            )
        parts = request.url.raw_path.split(b"?")[0].decode().split("/")
        calendar = unquote(parts[4])
        assert calendar == user, "events go on the calendar of the user acted as"
        if request.method == "POST":
            event = json.loads(request.content)
            key = (calendar, event["id"])
            if key in self.events:
                return httpx.Response(
                    409,
                    json={
                        "error": {
                            "code": 409,
                            "message": "The requested identifier already exists.",
                            "errors": [{"domain": "global", "reason": "duplicate"}],
                        }
                    },
                )
            self.events[key] = {
                **event,
                "status": "confirmed",
                "organizer": {"email": calendar, "self": True},
            }
            return httpx.Response(200, json=self.events[key])
        return httpx.Response(200, json=self.events[(calendar, parts[6])])

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
        claims = jwt.decode(
            form["assertion"][0],
            KEY.public_key(),
            algorithms=["RS256"],
            audience=TOKEN_URL,
            options={"verify_exp": False},
        )
        assert claims["iss"] == SERVICE_ACCOUNT
        assert claims["scope"] == " ".join(DEFAULT_SCOPES)
        user = claims["sub"]
        self.issued[user] += 1
        token = f"ya29.synthetic-{user}-{self.issued[user]}"
        self.tokens[token] = user
        return httpx.Response(
            200, json={"access_token": token, "expires_in": 3599, "token_type": "Bearer"}
        )


def harness(google: FakeGoogle, config: dict[str, Any] | None = None, key: str = PEM) -> Harness:
    return build_harness(
        GoogleCalendarConnector,
        transport=httpx.MockTransport(google),
        config={
            **CONFIG,
            "rep_emails": {"rep-ana": "ana.rep@example.com", "rep-ben": BEN.email},
            **(config or {}),
        },
        secrets={"private_key": key},
        clock=FakeClock(),
    )


def connector(h: Harness) -> GoogleCalendarConnector:
    assert isinstance(h.connector, GoogleCalendarConnector)
    return h.connector


async def test_q3_each_rep_gets_their_own_token_and_reuses_it() -> None:
    google = FakeGoogle()
    h = harness(google)
    for rep in (REP, BEN, REP, BEN, REP):
        await connector(h).handoff_rep_busy(rep=rep, start=WINDOW_START, end=WINDOW_END)
    assert google.issued == {"ana.rep@example.com": 1, "ben.rep@example.com": 1}
    assert h.token_requests == 2
    assert h.api_calls == 5
    assert not google.saw_subject_header
    auth = h.connector.auth
    assert isinstance(auth, DelegatedServiceAccount)
    assert auth.subjects == ["ben.rep@example.com", "ana.rep@example.com"]
    await h.aclose()


async def test_a_reps_token_is_fetched_again_once_it_expires() -> None:
    google = FakeGoogle()
    h = harness(google)
    await connector(h).handoff_rep_busy(rep=REP, start=WINDOW_START, end=WINDOW_END)
    h.clock.advance(3599 - 30)  # inside the SDK's 60 s safety margin
    await connector(h).handoff_rep_busy(rep=REP, start=WINDOW_START, end=WINDOW_END)
    assert google.issued["ana.rep@example.com"] == 2
    await h.aclose()


async def test_a_refused_token_is_refreshed_for_that_rep_only() -> None:
    google = FakeGoogle()
    h = harness(google)
    for rep in (REP, BEN):
        await connector(h).handoff_rep_busy(rep=rep, start=WINDOW_START, end=WINDOW_END)
    google.revoke("ana.rep@example.com")
    for rep in (REP, BEN):
        await connector(h).handoff_rep_busy(rep=rep, start=WINDOW_START, end=WINDOW_END)
    assert google.issued == {"ana.rep@example.com": 2, "ben.rep@example.com": 1}
    assert h.api_calls == 5, "4 calls plus Ana's one retry after the 401"
    await h.aclose()


async def test_the_least_recently_used_rep_is_dropped_past_the_cache_size() -> None:
    google = FakeGoogle()
    h = harness(google, {"max_cached_subjects": 1})
    for rep in (REP, BEN, REP):
        await connector(h).handoff_rep_busy(rep=rep, start=WINDOW_START, end=WINDOW_END)
    assert google.issued == {"ana.rep@example.com": 2, "ben.rep@example.com": 1}
    auth = h.connector.auth
    assert isinstance(auth, DelegatedServiceAccount)
    assert auth.subjects == ["ana.rep@example.com"]
    assert h.token_requests == 3
    await h.aclose()


async def test_q12_booking_is_idempotent_against_googles_duplicate_rule() -> None:
    google = FakeGoogle()
    h = harness(google)
    results = [
        await connector(h).handoff_book_meeting(meeting=MEETING, idempotency_key="book-conv-0001")
        for _ in range(3)
    ]
    assert len(google.events) == 1, "three calls, one event"
    assert results[0] == results[1] == results[2]
    other = await connector(h).handoff_book_meeting(
        meeting=MEETING, idempotency_key="book-conv-0009"
    )
    assert len(google.events) == 2
    assert other.ids["google-calendar"] != results[0].ids["google-calendar"]
    await h.aclose()


async def test_the_json_key_file_as_downloaded_is_accepted() -> None:
    key_file = json.dumps(
        {
            "type": "service_account",
            "project_id": "acme-project",
            "private_key_id": "0123456789abcdef",
            "private_key": PEM,
            "client_email": SERVICE_ACCOUNT,
        }
    )
    google = FakeGoogle()
    h = harness(google, key=key_file)
    await connector(h).handoff_rep_busy(rep=REP, start=WINDOW_START, end=WINDOW_END)
    assert google.issued["ana.rep@example.com"] == 1
    await h.aclose()


async def test_a_key_that_is_not_a_key_is_a_clear_error_naming_the_secret() -> None:
    h = harness(FakeGoogle(), key='{"type": "service_account"}')
    with pytest.raises(
        AuthError, match="secret 'private_key' is not a usable RSA private key"
    ) as info:
        await connector(h).handoff_rep_busy(rep=REP, start=WINDOW_START, end=WINDOW_END)
    assert "google-calendar" in str(info.value)
    await h.aclose()


async def test_a_request_without_a_subject_is_refused_before_it_leaves() -> None:
    google = FakeGoogle()
    auth = DelegatedServiceAccount(
        connector="google-calendar",
        clock=FakeClock(),
        secrets=harness(google).secrets,
        token_url=TOKEN_URL,
        service_account_email=SERVICE_ACCOUNT,
        scopes=DEFAULT_SCOPES,
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(google)) as client:
        with pytest.raises(AuthError, match=f"needs the {SUBJECT_HEADER} header"):
            await client.get("https://www.googleapis.com/calendar/v3/freeBusy", auth=auth)
    assert not google.issued
