"""Q3 and Q12 over a real socket: Google Calendar logs in (JWT bearer or refresh token) and books."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from handoff_google_calendar import GoogleCalendarConnector

from handoff_sdk import ApiError, AuthError
from handoff_sdk.entities import Meeting, Rep
from handoff_sdk.testing import RateWindow, Refusal
from handoff_sdk.testing.company import COMPANY

TAYLOR = COMPANY.rep("sdr-taylor")
AVERY = COMPANY.rep("bdr-avery")


def rep(seller) -> Rep:
    return Rep(id=seller.id, name=seller.name, email=seller.email, timezone=seller.timezone)


def meeting(now: datetime, key_hours: float = 5) -> Meeting:
    start = (now + timedelta(hours=key_hours)).replace(minute=0, second=0, microsecond=0)
    return Meeting(
        rep_id=TAYLOR.id,
        attendee_email=COMPANY.person("ana-lima").email,
        start=start,
        end=start + timedelta(minutes=30),
        title="Adventure Works x Ana Lima",
        join_url="https://sim.zoom.example/j/81000000001",
    )


async def test_q3_busy_periods_come_from_the_reps_calendar(simulated, fake_clock) -> None:
    """Q3: a delegated JWT-bearer login acting as the rep, then freeBusy; the seeded meetings."""
    sim = await simulated(GoogleCalendarConnector)
    now = fake_clock.now()
    busy = await sim.connector.handoff_rep_busy(rep(TAYLOR), now, now + timedelta(days=2))
    expected = [(e.start(now), e.end(now)) for e in TAYLOR.calendar]
    assert [(b.start, b.end) for b in busy] == expected
    assert [s.endpoint for s in sim.simulator.log] == ["token", "free_busy"]
    await sim.connector.handoff_rep_busy(rep(AVERY), now, now + timedelta(days=2))
    assert sim.simulator.tokens.issued == 2, "one token per rep acted as"


async def test_q12_booking_is_on_the_calendar_once_per_key(simulated, fake_clock) -> None:
    """Q12: events.insert with an id from the key; a retry meets 409 duplicate and gets it back."""
    sim = await simulated(GoogleCalendarConnector)
    wanted = meeting(fake_clock.now())
    first = await sim.connector.handoff_book_meeting(wanted, "book-1")
    again = await sim.connector.handoff_book_meeting(wanted, "book-1")
    assert first.ids["google-calendar"] == again.ids["google-calendar"]
    statuses = [(s.endpoint, s.status) for s in sim.simulator.log if s.endpoint != "token"]
    assert statuses == [("insert_event", 200), ("insert_event", 409), ("get_event", 200)]
    booked = await sim.connector.list_booked_meetings(
        rep(TAYLOR), wanted.start - timedelta(hours=1), wanted.end + timedelta(hours=1)
    )
    assert [m.ids["google-calendar"] for m in booked] == [first.ids["google-calendar"]]
    busy = await sim.connector.handoff_rep_busy(rep(TAYLOR), wanted.start, wanted.end)
    assert [(b.start, b.end) for b in busy] == [(wanted.start, wanted.end)]


async def test_q12_oauth_mode_books_through_the_shared_calendar(simulated, fake_clock) -> None:
    sim = await simulated(GoogleCalendarConnector, config={"auth": "oauth"})
    booked = await sim.connector.handoff_book_meeting(meeting(fake_clock.now()), "book-2")
    assert booked.ids["google-calendar"]
    [token] = sim.simulator.calls("token")
    assert token.status == 200
    events = sim.simulator.account.data["calendars"][TAYLOR.email]
    assert booked.ids["google-calendar"] in events


async def test_a_key_google_does_not_know_is_an_invalid_signature(simulated) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    sim = await simulated(GoogleCalendarConnector, secrets={"private_key": pem})
    now = datetime(2026, 1, 5, 9, tzinfo=UTC)
    with pytest.raises(AuthError, match="Invalid JWT Signature"):
        await sim.connector.handoff_rep_busy(rep(TAYLOR), now, now + timedelta(hours=8))


async def test_a_scope_not_delegated_is_unauthorized_client(simulated, fake_clock) -> None:
    sim = await simulated(
        GoogleCalendarConnector, config={"scopes": ["https://www.googleapis.com/auth/calendar"]}
    )
    now = fake_clock.now()
    with pytest.raises(AuthError, match="not authorized for any of the scopes"):
        await sim.connector.handoff_rep_busy(rep(TAYLOR), now, now + timedelta(hours=8))


async def test_a_rep_outside_the_workspace_cannot_be_acted_as(simulated, fake_clock) -> None:
    sim = await simulated(GoogleCalendarConnector)
    now = fake_clock.now()
    ghost = Rep(id="ghost", name="Ghost", email="ghost@example.test")
    with pytest.raises(AuthError, match="Invalid email or User ID"):
        await sim.connector.handoff_rep_busy(ghost, now, now + timedelta(hours=8))


async def test_an_unreadable_calendar_inside_a_200_is_a_failure_not_free_time(
    simulated, fake_clock
) -> None:
    """freeBusy says it could not read a calendar inside HTTP 200: never taken as free."""
    sim = await simulated(GoogleCalendarConnector, config={"auth": "oauth"})
    now = fake_clock.now()
    ghost = Rep(id="ghost", name="Ghost", email="ghost@example.test")
    with pytest.raises(ApiError) as info:
        await sim.connector.handoff_rep_busy(ghost, now, now + timedelta(hours=8))
    assert info.value.code == "notFound"
    assert [s.status for s in sim.simulator.calls("free_busy")] == [200]


async def test_a_403_rate_limit_is_retried(simulated, fake_clock) -> None:
    """Google rate-limits with 403 userRateLimitExceeded: retried like a 429."""
    sim = await simulated(GoogleCalendarConnector)
    sim.simulator.refuse_next(Refusal("rate_limited", "per-user limit"), endpoint="free_busy")
    now = fake_clock.now()
    busy = await sim.connector.handoff_rep_busy(rep(TAYLOR), now, now + timedelta(days=2))
    assert len(busy) == len(TAYLOR.calendar)
    statuses = [s.status for s in sim.simulator.calls("free_busy")]
    assert statuses == [403, 200]
    assert fake_clock.slept > 0


async def test_past_the_per_user_window_google_answers_403(simulated, fake_clock) -> None:
    sim = await simulated(
        GoogleCalendarConnector,
        window=RateWindow(1, 600.0, name="user"),
        config={"rate_limit": {"requests": 100, "per_seconds": 1, "concurrency": 1}},
    )
    now = fake_clock.now()
    await sim.connector.handoff_rep_busy(rep(TAYLOR), now, now + timedelta(hours=8))
    with pytest.raises(ApiError) as info:
        await sim.connector.handoff_rep_busy(rep(TAYLOR), now, now + timedelta(hours=9))
    assert (info.value.status, info.value.code) == (403, "userRateLimitExceeded")
    assert {s.status for s in sim.simulator.throttled()} == {403}
