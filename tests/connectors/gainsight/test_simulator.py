"""P5 over a real socket: the Gainsight connector polls survey responses from its simulator."""

from __future__ import annotations

import pytest
from handoff_gainsight import GainsightConnector

from handoff_sdk import ApiError, AuthError
from handoff_sdk.testing import RateWindow
from handoff_sdk.testing.company import COMPANY

LOOKBACK = {"initial_lookback_hours": 2}


def answered() -> list[str]:
    return sorted(s.id for s in COMPANY.surveys if s.score is not None)


async def test_p5_survey_responses_become_events_with_the_crm_account(simulated) -> None:
    """P5: NPS and CSAT answers, with the Salesforce account id and the CSM from lookups."""
    sim = await simulated(GainsightConnector, config=LOOKBACK)
    result = await sim.connector.handoff_poll_events(None)
    assert sorted(e.payload["response_id"] for e in result.events) == answered()
    pat = next(
        e
        for e in result.events
        if e.payload["respondent_email"] == "pat.lee@adventure-works.example"
    )
    adventure = COMPANY.customer("adventure-works")
    assert pat.type == "gainsight.survey.csat"
    assert pat.payload["crm_account_id"] == adventure.salesforce_id
    assert pat.payload["owner_email"] == COMPANY.rep(adventure.owner).email
    assert [s.endpoint for s in sim.simulator.log] == ["query"]


async def test_p5_the_cursor_resumes_without_repeating(simulated) -> None:
    sim = await simulated(GainsightConnector, config=LOOKBACK)
    first = await sim.connector.handoff_poll_events(None)
    again = await sim.connector.handoff_poll_events(first.cursor)
    assert again.events == []


async def test_p5_small_pages_read_the_same_records(simulated) -> None:
    sim = await simulated(GainsightConnector, config={**LOOKBACK, "page_size": 1})
    result = await sim.connector.handoff_poll_events(None)
    assert sorted(e.payload["response_id"] for e in result.events) == answered()
    assert len(sim.simulator.calls("query")) == len(COMPANY.surveys) + 1


async def test_a_bad_access_key_is_an_auth_error(simulated) -> None:
    sim = await simulated(GainsightConnector, config=LOOKBACK, secrets={"access_key": "nope"})
    with pytest.raises(AuthError, match="GU_1101"):
        await sim.connector.handoff_poll_events(None)


async def test_a_field_the_object_lacks_is_gainsights_gsobj_1002(simulated) -> None:
    sim = await simulated(GainsightConnector, config={**LOOKBACK, "fields": {"score": "NpsScore"}})
    with pytest.raises(ApiError) as info:
        await sim.connector.handoff_poll_events(None)
    assert (info.value.status, info.value.code) == (400, "GSOBJ_1002")


async def test_past_the_minute_window_the_429_is_waited_out(simulated, fake_clock) -> None:
    sim = await simulated(
        GainsightConnector,
        window=RateWindow(2, 60.0, name="minute"),
        config={**LOOKBACK, "page_size": 1, "rate_limit": {"requests": 100, "per_seconds": 60}},
    )
    result = await sim.connector.handoff_poll_events(None)
    assert sorted(e.payload["response_id"] for e in result.events) == answered()
    throttled = sim.simulator.throttled()
    assert throttled
    assert {s.status for s in throttled} == {429}
    assert fake_clock.slept >= 60
