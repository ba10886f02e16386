"""Q3a over a real socket: the Outreach connector logs in and reads sequence state from its simulator."""

from __future__ import annotations

import httpx
import pytest
from handoff_outreach import OutreachConnector
from handoff_outreach.simulator import OutreachSimulator

from handoff_sdk import ApiError, AuthError, RateLimitedError
from handoff_sdk.testing import RateWindow, SimulatorServer
from handoff_sdk.testing.company import COMPANY

ANA = COMPANY.person("ana-lima")  # in "Customer expansion", run by sdr-taylor
CASEY = COMPANY.person("casey-brown")  # paused, pubsec-morgan
TAYLOR = COMPANY.rep("sdr-taylor")


async def test_q3a_login_then_sequence_state_with_the_rep_running_it(simulated) -> None:
    """Q3a: the OAuth login (refresh grant) and two JSON:API reads over a real socket."""
    sim = await simulated(OutreachConnector)
    first_refresh = sim.secrets.values["refresh_token"]
    state = await sim.connector.handoff_sequence_state(ANA.email.upper())
    assert state is not None
    assert (state.state, state.active, state.sequence_name) == (
        "active",
        True,
        "Customer expansion",
    )
    assert (state.owner_email, state.owner_id) == (TAYLOR.email, str(TAYLOR.outreach_id))
    assert [s.endpoint for s in sim.simulator.log] == ["token", "prospects", "sequence_states"]
    rotated = sim.secrets.values["refresh_token"]
    assert rotated != first_refresh, "Outreach rotates the refresh token on every refresh"
    assert sim.simulator.account.secrets["refresh_token"] == rotated


async def test_a_rotated_refresh_token_keeps_working_and_the_old_one_does_not(simulated) -> None:
    sim = await simulated(OutreachConnector)
    old = sim.secrets.values["refresh_token"]
    await sim.connector.handoff_sequence_state(ANA.email)
    sim.simulator.tokens.expire_all()
    paused = await sim.connector.handoff_sequence_state(CASEY.email)
    assert paused is not None
    assert (paused.state, paused.active) == ("paused", True)
    assert sim.simulator.tokens.issued == 2
    assert [s.status for s in sim.simulator.calls("token")] == [200, 200]
    # The first refresh token was used once; the simulator no longer accepts it.
    async with httpx.AsyncClient(verify=sim.server.verify) as client:
        settings = sim.simulator.connector_config(sim.server.url)
        answer = await client.post(
            settings["token_url"],
            data={
                "grant_type": "refresh_token",
                "refresh_token": old,
                "client_id": settings["client_id"],
                "client_secret": sim.secrets.values["client_secret"],
            },
        )
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant")


async def test_someone_outreach_does_not_know_is_no_sequence(simulated) -> None:
    sim = await simulated(OutreachConnector)
    assert await sim.connector.handoff_sequence_state("nobody@newco.example") is None
    assert [s.endpoint for s in sim.simulator.log] == ["token", "prospects"]


async def test_a_wrong_client_secret_is_an_auth_error(simulated) -> None:
    sim = await simulated(OutreachConnector)
    sim.secrets.values["client_secret"] = "not-the-apps-secret"
    with pytest.raises(AuthError, match="unknown client"):
        await sim.connector.handoff_sequence_state(ANA.email)


async def test_a_token_without_the_sequence_scope_is_a_clear_403(simulated, fake_clock) -> None:
    simulator = OutreachSimulator(clock=fake_clock)
    narrow = simulator.accounts["narrow-scope"]
    sim = await simulated(
        OutreachConnector,
        simulator=simulator,
        config={"client_id": narrow.settings["client_id"]},
        account="narrow-scope",
    )
    with pytest.raises(ApiError) as info:
        await sim.connector.handoff_sequence_state(ANA.email)
    assert info.value.status == 403
    assert info.value.code == "unauthorizedOauthScope"
    assert "check the scopes" in info.value.message


async def test_a_spent_budget_reported_in_headers_pauses_before_a_429(
    simulated, fake_clock
) -> None:
    """X-RateLimit-Remaining 0 with a near reset: the connector waits instead of being refused."""
    sim = await simulated(OutreachConnector, window=RateWindow(2, 30.0, name="hour"))
    await sim.connector.handoff_sequence_state(ANA.email)
    await sim.connector.handoff_sequence_state(CASEY.email)
    assert sim.simulator.throttled() == []
    assert fake_clock.slept >= 29


async def test_a_spent_hourly_limit_fails_fast_as_rate_limited(simulated, fake_clock) -> None:
    sim = await simulated(OutreachConnector, window=RateWindow(1, 3600.0, name="hour"))
    with pytest.raises(RateLimitedError):
        await sim.connector.handoff_sequence_state(ANA.email)
    [refused] = sim.simulator.throttled()
    assert refused.status == 429
    assert fake_clock.slept < 60, "an hour's wait is not held by a routing decision"


async def test_listings_page_on_links_next(fake_clock) -> None:
    simulator = OutreachSimulator(clock=fake_clock)
    async with SimulatorServer(simulator) as server, httpx.AsyncClient() as client:
        settings = simulator.connector_config(server.url)
        secrets = simulator.connector_secrets()
        token = (
            await client.post(
                settings["token_url"],
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": secrets["refresh_token"],
                    "client_id": settings["client_id"],
                    "client_secret": secrets["client_secret"],
                    "redirect_uri": settings["redirect_uri"],
                },
            )
        ).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        url: str | None = f"{settings['base_url']}/prospects?page%5Bsize%5D=4"
        seen: list[int] = []
        while url:
            page = (await client.get(url, headers=headers)).json()
            seen += [r["id"] for r in page["data"]]
            url = page["links"].get("next")
        too_big = await client.get(
            f"{settings['base_url']}/prospects", params={"page[size]": 5000}, headers=headers
        )
    assert seen == sorted(p.outreach_id for p in COMPANY.people)
    assert too_big.status_code == 400
    assert too_big.json()["errors"][0]["id"] == "validationError"
    assert too_big.headers["content-type"].startswith("application/vnd.api+json")
