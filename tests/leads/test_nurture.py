"""Attempts, replies and the 21-day no-reply timer, through POST /v1/lead-touches (D5).

The clock is a FakeClock: the tests advance it and run the worker, which
fires the due timers; nothing sleeps.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from harness import LeadsHub, Served, new_lead  # type: ignore[import-not-found]
from sqlalchemy import select

from handoff.store import Timer

ADA = "ada@acme.example"


async def touch(hub: LeadsHub, kind: str, n: int, email: str = ADA) -> None:
    body = {
        "id": f"{kind}-{n}",
        "email": email,
        "kind": kind,
        "occurred_at": hub.clock.now().isoformat(),
    }
    response = await hub.post("/v1/lead-touches", body)
    assert response.status_code == 202, response.text
    await hub.drain()


async def on_day(hub: LeadsHub, start: datetime, day: int) -> None:
    """Advance the clock to `day` days after `start`, and let the worker fire what is due."""
    hub.clock.advance((start + timedelta(days=day) - hub.clock.now()).total_seconds())
    await hub.drain()


async def test_d5_nurture_21_days_after_the_last_of_two_attempts_not_the_first(
    served: Served,
) -> None:
    async with served() as hub:
        await new_lead(hub, ADA)
        start = hub.clock.now()
        await touch(hub, "attempt", 1)
        assert hub.lead(ADA)["status"] == "Attempt 1"
        await on_day(hub, start, 10)
        await touch(hub, "attempt", 2)
        assert hub.lead(ADA)["status"] == "Attempt 2"
        await on_day(hub, start, 21)  # 21 days after the FIRST attempt: not yet
        assert hub.lead(ADA)["status"] == "Attempt 2"
        await on_day(hub, start, 30)
        assert hub.lead(ADA)["status"] == "Attempt 2"
        await on_day(hub, start, 31)  # 21 days after the second
        lead = hub.lead(ADA)
        assert lead["status"] == "Nurture"
        last = lead["history"][-1]
        assert (last["from"], last["to"], last["actor"]) == ("Attempt 2", "Nurture", "timer")
        assert "21 days after the last attempt" in last["reason"]


async def test_d5_a_reply_on_day_20_is_never_nurtured(served: Served) -> None:
    async with served() as hub:
        await new_lead(hub, ADA)
        start = hub.clock.now()
        await touch(hub, "attempt", 1)
        await on_day(hub, start, 20)
        await touch(hub, "reply", 1)
        assert hub.lead(ADA)["status"] == "Progressing"
        for day in (21, 40, 400):
            await on_day(hub, start, day)
            assert hub.lead(ADA)["status"] == "Progressing"
        with hub.store.sessions() as session:
            timer = session.scalar(select(Timer).where(Timer.key == f"leads:nurture:{ADA}"))
        assert timer is not None
        assert timer.state == "cancelled"


async def test_d5_nurture_after_days_is_configuration(served: Served, leads_hub: LeadsHub) -> None:
    leads_hub.config = type(leads_hub.config)(leads={"status": {"nurture_after_days": 7}})
    async with served() as hub:
        await new_lead(hub, ADA)
        start = hub.clock.now()
        await touch(hub, "attempt", 1)
        await on_day(hub, start, 6)
        assert hub.lead(ADA)["status"] == "Attempt 1"
        await on_day(hub, start, 7)
        assert hub.lead(ADA)["status"] == "Nurture"


async def test_d5_spam_spamson_with_a_valid_email_is_not_bad_data(served: Served) -> None:
    spam = "spam@acme.example"
    async with served() as hub:
        await new_lead(hub, spam, first_name="Spam", last_name="Spamson")
        refused = await hub.post(
            f"/v1/leads/{spam}/transition", {"to": "Bad Data", "reason": "silly name"}
        )
        assert refused.status_code == 409
        assert "no valid channel" in refused.json()["error"]
        assert f"email {spam}" in refused.json()["error"]
        assert hub.lead(spam)["status"] == "Raw"


async def test_d5_bad_data_only_when_no_channel_is_left(served: Served) -> None:
    async with served() as hub:
        await new_lead(hub, ADA, phone="+44 20 7946 0000")
        await touch(hub, "bounce", 1)
        assert hub.lead(ADA)["status"] == "Raw"  # the phone still works
        await new_lead(hub, "gone@acme.example")
        await touch(hub, "bounce", 2, email="gone@acme.example")
        gone = hub.lead("gone@acme.example")
        assert gone["status"] == "Bad Data"
        assert "no other valid channel" in gone["history"][-1]["reason"]
