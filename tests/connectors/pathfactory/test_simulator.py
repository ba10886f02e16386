"""P5 over a real socket: PathFactory pageviews from its simulator make a Fast Moving Buyer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from handoff_pathfactory import PathfactoryConnector

from handoff_sdk import ApiError, AuthError
from handoff_sdk.testing import RateWindow
from handoff_sdk.testing.company import COMPANY

JAMIE = COMPANY.person("jamie-ortiz")  # three assets within the hour


def an_hour_ago(clock) -> str:
    return (clock.now() - timedelta(hours=1)).isoformat()


async def test_p5_three_assets_in_the_hour_make_a_fast_moving_buyer(simulated, fake_clock) -> None:
    """P5: the pageviews of the last hour through the thresholds: one alert, for Jamie."""
    sim = await simulated(PathfactoryConnector)
    result = await sim.connector.handoff_poll_events(an_hour_ago(fake_clock))
    assert [e.payload["email"] for e in result.events] == [JAMIE.email]
    assert [s.endpoint for s in sim.simulator.log] == ["pageviews"]
    again = await sim.connector.handoff_poll_events(result.cursor)
    assert again.events == [], "the cursor remembers what was read and what alerted"


async def test_p5_small_pages_follow_next(simulated, fake_clock) -> None:
    sim = await simulated(PathfactoryConnector, config={"page_size": 2})
    result = await sim.connector.handoff_poll_events(an_hour_ago(fake_clock))
    assert [e.payload["email"] for e in result.events] == [JAMIE.email]
    assert len(sim.simulator.calls("pageviews")) == 3


async def test_a_bad_key_is_an_auth_error(simulated, fake_clock) -> None:
    sim = await simulated(PathfactoryConnector, secrets={"api_key": "nope"})
    with pytest.raises(AuthError):
        await sim.connector.handoff_poll_events(an_hour_ago(fake_clock))
    assert [s.status for s in sim.simulator.log] == [401]


async def test_a_key_whose_role_cannot_read_engagement_is_a_403(simulated, fake_clock) -> None:
    sim = await simulated(PathfactoryConnector, account="no-engagement-role")
    with pytest.raises(ApiError, match="role may not read"):
        await sim.connector.handoff_poll_events(an_hour_ago(fake_clock))


async def test_a_throttle_is_waited_out_for_its_retry_after(simulated, fake_clock) -> None:
    sim = await simulated(
        PathfactoryConnector,
        window=RateWindow(1, 30.0, name="minute"),
        config={"page_size": 2, "rate_limit": {"requests": 100, "per_seconds": 60}},
    )
    result = await sim.connector.handoff_poll_events(an_hour_ago(fake_clock))
    assert [e.payload["email"] for e in result.events] == [JAMIE.email]
    assert {s.status for s in sim.simulator.throttled()} == {429}
    assert fake_clock.slept >= 30
