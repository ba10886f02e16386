"""The Marketo connector against its simulator, over a real loopback socket (TLS).

The first test would have caught `httpx.ResponseNotRead` (the identity call
answered as a stream); the others drive Marketo's errors inside HTTP 200
(601/602, 606, 615, 1003) through the connector's real request path.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from handoff_marketo import MarketoConnector

from handoff_sdk import FakeClock
from handoff_sdk.entities import Lead
from handoff_sdk.testing import (
    Limits,
    RateWindow,
    Refusal,
)

BULK = [Lead(email=f"lead{i:04d}@example.test", first_name=f"Lead{i}") for i in range(1000)]


@pytest.fixture
async def marketo(simulated: Any) -> Any:
    return await simulated(MarketoConnector)


async def test_identity_login_and_a_lead_sync_over_a_real_socket(marketo: Any) -> None:
    """Would have failed with ResponseNotRead: the identity answer is a stream."""
    harness = marketo.harness()
    results = await harness.connector.handoff_upsert_leads(
        [Lead(email="new@example.test", last_name="New"), Lead(email="dup@example.test")], "s-1"
    )
    await harness.aclose()
    assert [r.ok for r in results] == [True, False]
    assert results[0].created is True
    assert results[1].errors[0].code == "1007"
    [login] = marketo.simulator.calls("identity")
    assert login.status == 200
    [sync] = marketo.simulator.calls("sync_leads")
    assert sync.headers["idempotency-key"] == "s-1:0"


async def test_1000_leads_in_four_calls_side_by_side_and_nothing_throttled(
    marketo: Any,
) -> None:
    marketo.simulator.latency = 0.05
    harness = marketo.harness()
    results = await harness.connector.handoff_upsert_leads(BULK, "bulk-1")
    await harness.aclose()
    assert [r.index for r in results] == list(range(1000))
    assert all(r.ok for r in results)
    assert len(marketo.simulator.calls("sync_leads")) == 4
    assert 1 < marketo.simulator.peak_concurrency() <= 10, "side by side, within the 10 allowed"
    assert not marketo.simulator.throttled()


async def test_an_expired_token_602_in_http_200_is_refreshed_once(marketo: Any) -> None:
    harness = marketo.harness()
    await harness.connector.handoff_list_programs()
    marketo.simulator.tokens.expire_all()
    programs = await harness.connector.handoff_list_programs()
    await harness.aclose()
    assert programs
    assert harness.token_requests == 2
    expired = [s for s in marketo.simulator.log if s.refusal == "token_expired"]
    assert [s.status for s in expired] == [200], "Marketo refuses inside HTTP 200"


async def test_a_budget_over_the_20_second_window_meets_606_and_waits(
    marketo: Any, fake_clock: FakeClock
) -> None:
    # A window of 10 stands in for Marketo's 100 (same answer, fewer calls to make).
    marketo.simulator.limits = Limits(windows=(RateWindow(10, 20.0, name="20_seconds"),))
    harness = marketo.harness(rate_limit={"requests": 15, "per_seconds": 20, "concurrency": 1})
    for n in range(11):
        await harness.connector.handoff_upsert_leads([Lead(email=f"p{n}@example.test")], f"k{n}")
    await harness.aclose()
    throttled = marketo.simulator.throttled()
    assert [s.refusal for s in throttled] == ["rate_limited"], "one 606, then the connector waits"
    assert 20.0 in fake_clock.sleeps
    assert len(marketo.simulator.calls("sync_leads")) == 12


async def test_615_too_many_at_once_in_http_200_is_retried(marketo: Any) -> None:
    marketo.simulator.refuse_next(Refusal("too_many_concurrent", "over 10 at once"), times=2)
    harness = marketo.harness()
    results = await harness.connector.handoff_upsert_leads(BULK, "bulk-2")
    await harness.aclose()
    assert all(r.ok for r in results), "615 is retried until the calls get through"
    refused = marketo.simulator.throttled()
    assert [(s.refusal, s.status) for s in refused] == [("too_many_concurrent", 200)] * 2
    assert len(marketo.simulator.calls("sync_leads")) == 6


async def test_more_than_300_records_is_refused_with_1003(marketo: Any) -> None:
    harness = marketo.harness()
    await harness.connector.handoff_list_programs()  # logs in
    token = harness.connector.auth.token.value  # type: ignore[union-attr]
    await harness.aclose()
    async with httpx.AsyncClient(verify=marketo.server.verify) as client:
        answer = await client.post(
            f"{marketo.server.url}/rest/v1/leads.json",
            json={"input": [{"email": f"x{i}@example.test"} for i in range(301)]},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 200
    assert answer.json()["success"] is False
    assert answer.json()["errors"][0]["code"] == "1003"


async def test_bad_client_credentials_are_a_401_from_identity(marketo: Any) -> None:
    async with httpx.AsyncClient(verify=marketo.server.verify) as client:
        answer = await client.get(
            f"{marketo.server.url}/identity/oauth/token",
            params={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"},
        )
    assert answer.status_code == 401
    assert answer.json() == {"error": "unauthorized", "error_description": "Bad client credentials"}
