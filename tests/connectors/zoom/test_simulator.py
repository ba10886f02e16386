"""Q12 over a real socket: the Zoom connector logs in (Server-to-Server OAuth) and books."""

from __future__ import annotations

import pytest
from handoff_zoom import ZoomConnector
from handoff_zoom.simulator import DAILY_CREATES, ZoomSimulator
from zoom_cases import SIM_MEETING

from handoff_sdk import ApiError, AuthError, RateLimitedError
from handoff_sdk.testing import RateWindow
from handoff_sdk.testing.company import COMPANY

TAYLOR = COMPANY.rep("sdr-taylor")
MEETING = SIM_MEETING


async def test_q12_login_and_book_a_meeting_hosted_by_the_rep(simulated) -> None:
    """Q12: account_credentials login, the day's meetings listed, the meeting created (201)."""
    sim = await simulated(ZoomConnector)
    booked = await sim.connector.handoff_book_meeting(MEETING, "book-1")
    assert booked.ids["zoom"]
    assert booked.join_url is not None
    assert booked.join_url.startswith("https://sim.zoom.example/j/")
    assert (booked.start, booked.end) == (MEETING.start, MEETING.end)
    assert [(s.endpoint, s.status) for s in sim.simulator.log] == [
        ("token", 200),
        ("list_meetings", 200),
        ("create_meeting", 201),
    ]
    [created] = sim.simulator.account.data["meetings"].values()
    assert created["host_email"] == TAYLOR.email
    assert created["agenda"].endswith(MEETING.attendee_email)


async def test_q12_a_retried_booking_finds_the_first_meeting(simulated) -> None:
    """Zoom has no idempotency key: the second call finds the meeting instead of making another."""
    sim = await simulated(ZoomConnector)
    first = await sim.connector.handoff_book_meeting(MEETING, "book-1")
    again = await sim.connector.handoff_book_meeting(MEETING, "book-1")
    assert again.ids == first.ids
    assert len(sim.simulator.account.data["meetings"]) == 1
    assert sim.simulator.tokens.issued == 1, "the hour-long token is reused"


async def test_wrong_client_credentials_say_zooms_reason(simulated) -> None:
    sim = await simulated(ZoomConnector, secrets={"client_secret": "wrong"})
    with pytest.raises(AuthError, match="Invalid client_id or client_secret"):
        await sim.connector.handoff_book_meeting(MEETING, "book-1")


async def test_a_wrong_account_id_is_refused_at_login(simulated) -> None:
    sim = await simulated(ZoomConnector, config={"account_id": "SomeoneElse"})
    with pytest.raises(AuthError, match="Invalid account_id"):
        await sim.connector.handoff_book_meeting(MEETING, "book-1")


async def test_an_expired_token_is_fetched_again_once(simulated) -> None:
    sim = await simulated(ZoomConnector)
    await sim.connector.handoff_book_meeting(MEETING, "book-1")
    sim.simulator.tokens.expire_all()
    later = MEETING.model_copy(update={"title": "Follow-up"})
    await sim.connector.handoff_book_meeting(later, "book-2")
    assert sim.simulator.tokens.issued == 2
    expired = [s for s in sim.simulator.log if s.refusal == "token_expired"]
    assert [s.status for s in expired] == [401]


async def test_a_rep_without_a_zoom_user_is_zooms_1001(simulated) -> None:
    sim = await simulated(ZoomConnector, config={"rep_emails": {"ghost": "ghost@example.test"}})
    with pytest.raises(ApiError) as info:
        await sim.connector.handoff_book_meeting(
            MEETING.model_copy(update={"rep_id": "ghost"}), "k"
        )
    assert (info.value.status, info.value.code) == (404, "1001")


async def test_the_per_second_limit_is_waited_out(simulated, fake_clock) -> None:
    sim = await simulated(
        ZoomConnector,
        window=RateWindow(2, 1.0, name="qps"),
        config={"rate_limit": {"requests": 50, "per_seconds": 1}, "reuse_existing": False},
    )
    for n in range(3):
        await sim.connector.handoff_book_meeting(
            MEETING.model_copy(update={"title": f"Meeting {n}"}), f"k-{n}"
        )
    throttled = sim.simulator.throttled()
    assert throttled, "the third creation within a second is refused"
    assert {s.status for s in throttled} == {429}
    assert len(sim.simulator.account.data["meetings"]) == 3, (
        "each refusal was retried until it passed"
    )


async def test_the_daily_creation_limit_fails_fast(simulated, fake_clock) -> None:
    """100 creations a day per user: the 101st is refused until midnight UTC, not retried."""
    simulator = ZoomSimulator(clock=fake_clock)
    day = fake_clock.now().date().isoformat()
    simulator.account.data["created"][(TAYLOR.zoom_id, day)] = DAILY_CREATES
    sim = await simulated(ZoomConnector, simulator=simulator, config={"reuse_existing": False})
    with pytest.raises(RateLimitedError):
        await sim.connector.handoff_book_meeting(MEETING, "book-1")
    assert [s.status for s in simulator.calls("create_meeting")] == [429]
    assert fake_clock.slept == 0
