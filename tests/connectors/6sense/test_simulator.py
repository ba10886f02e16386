"""Q1 over a real socket: the 6sense connector against its simulator (synthetic company)."""

from __future__ import annotations

import httpx
import pytest
from handoff_6sense import SixsenseConnector
from handoff_6sense.simulator import SixsenseSimulator

from handoff_sdk import ApiError, AuthError
from handoff_sdk.entities import Visitor
from handoff_sdk.testing import RateWindow, Refusal, SimulatorServer
from handoff_sdk.testing.company import COMPANY


def visitor(ip: str) -> Visitor:
    return Visitor(id="v-sim", ip=ip)


async def test_q1_a_customer_ip_is_identified_as_that_customer(simulated) -> None:
    """Q1: an IP of a seeded customer comes back as its firmographics, 6sense-shaped on the wire."""
    litware = COMPANY.customer("litware")
    sim = await simulated(SixsenseConnector)
    found = await sim.connector.handoff_enrich_visitor(visitor(litware.ips[0]))
    assert found is not None
    assert (found.domain, found.company_name) == (litware.domain, litware.name)
    assert found.buying_stage == litware.buying_stage
    assert found.country_code == litware.country_code
    assert found.segments == list(litware.segments)
    [served] = sim.simulator.calls("company_details")
    assert served.status == 200
    assert served.query == f"ip={litware.ips[0]}"
    assert "authorization" not in served.headers, "the log keeps no credential"


async def test_q1_unknown_and_isp_ips_are_no_company(simulated) -> None:
    """Q1: "No Match" and "Non-actionable Match" are answers, not errors: no company."""
    sim = await simulated(SixsenseConnector)
    assert await sim.connector.handoff_enrich_visitor(visitor("192.0.2.250")) is None
    isp = COMPANY.non_actionable_ips[0]
    assert await sim.connector.handoff_enrich_visitor(visitor(isp)) is None
    assert sim.api_calls() == 2


async def test_a_bad_token_is_an_auth_error_and_not_retried(simulated) -> None:
    sim = await simulated(SixsenseConnector, secrets={"api_key": "not-a-token-6sense-knows"})
    with pytest.raises(AuthError, match="Invalid API token"):
        await sim.connector.handoff_enrich_visitor(visitor("203.0.113.10"))
    assert [s.status for s in sim.simulator.log] == [401]


async def test_a_token_without_the_api_is_refused_with_403(simulated) -> None:
    sim = await simulated(SixsenseConnector, account="restricted")
    with pytest.raises(AuthError, match="no access to this API"):
        await sim.connector.handoff_enrich_visitor(visitor("203.0.113.10"))
    assert [s.status for s in sim.simulator.log] == [403]


async def test_spent_credits_are_402_and_not_retried(simulated) -> None:
    sim = await simulated(SixsenseConnector, account="spent")
    with pytest.raises(ApiError) as info:
        await sim.connector.handoff_enrich_visitor(visitor("203.0.113.10"))
    assert info.value.code == "quota_exhausted"
    assert [s.status for s in sim.simulator.log] == [402]
    assert sim.clock.slept == 0


async def test_every_lookup_spends_a_credit(simulated, fake_clock) -> None:
    simulator = SixsenseSimulator(clock=fake_clock)
    simulator.account.data["credits"] = 2
    sim = await simulated(SixsenseConnector, simulator=simulator)
    for ip in ("203.0.113.10", "192.0.2.250"):
        await sim.connector.handoff_enrich_visitor(visitor(ip))
    with pytest.raises(ApiError, match="quota is exhausted"):
        await sim.connector.handoff_enrich_visitor(visitor("192.0.2.33"))


async def test_past_the_minute_window_a_429_is_waited_out(simulated, fake_clock) -> None:
    """6sense answers 429 without Retry-After; the connector waits its fixed minute."""
    sim = await simulated(
        SixsenseConnector,
        window=RateWindow(2, 60.0, name="minute"),
        config={"rate_limit": {"requests": 10, "per_seconds": 60, "concurrency": 1}},
    )
    for ip in ("203.0.113.10", "192.0.2.33", "203.0.113.44"):
        assert await sim.connector.handoff_enrich_visitor(visitor(ip)) is not None
    assert len(sim.simulator.throttled()) == 1
    assert fake_clock.slept >= 60
    refused = sim.simulator.refuse(Refusal("rate_limited", "over", retry_after=12), None)
    assert (refused.status, dict(refused.headers)) == (429, {}), "6sense sends no Retry-After"


async def test_a_value_that_is_not_an_ip_is_a_400(fake_clock) -> None:
    """The connector never sends one (it checks first); the API refuses it as 6sense does."""
    simulator = SixsenseSimulator(clock=fake_clock)
    async with SimulatorServer(simulator) as server, httpx.AsyncClient() as client:
        token = simulator.connector_secrets()["api_key"]
        answer = await client.get(
            f"{server.url}/v3/company/details",
            params={"ip": "not-an-ip"},
            headers={"Authorization": f"Token {token}"},
        )
        missing = await client.get(
            f"{server.url}/v3/company/details", headers={"Authorization": f"Token {token}"}
        )
    assert (answer.status_code, answer.json()) == (
        400,
        {"status": "error", "message": "Invalid IP address."},
    )
    assert missing.status_code == 400


async def test_the_contracts_visitor_is_litware_in_both_modes(simulated) -> None:
    """The contract's IP (203.0.113.77) is Litware's on the cassette and in the simulator alike."""
    sim = await simulated(SixsenseConnector)
    found = await sim.connector.handoff_enrich_visitor(visitor("203.0.113.77"))
    assert found is not None
    assert found.company_name == "Litware Inc"
