"""Connector health (ops, /console/connectors): calls, errors, throttles, retries and latency
per connector and outcome, read from the hub's own series: the figures /metrics exports."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from console_kit import sign_in  # type: ignore[import-not-found]
from fastapi import FastAPI
from keyed import admin_for  # type: ignore[import-not-found]
from prometheus_client.parser import text_string_to_metric_families

from handoff.config import ConnectorSettings, HubConfig
from handoff.connector_metrics import ConnectorMetrics, Latency
from handoff.console.users import UserInfo
from handoff.hub import Hub
from handoff.plugins import Discovery
from handoff.server import create_app
from handoff.store import Store
from handoff_sdk import Connector, FakeClock, RequestRecord
from handoff_sdk.errors import ApiError
from handoff_sdk.secrets import DictSecrets

NONE = "\u2013"
"""What the page says for a latency nothing was measured for (an en dash)."""


class Vendor:
    """The echo connector's API: answers in turn from `script`, each answer taking 0.2 s."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.script: list[int] = []
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        self.clock.advance(0.2)
        status = self.script.pop(0) if self.script else 200
        if status == 429:
            return httpx.Response(429, headers={"Retry-After": "1"})
        if status != 200:
            return httpx.Response(status, json={"error": "down"})
        return httpx.Response(200, json={"name": "Acme", "id": "a-1"})


@pytest.fixture
def vendor(clock: FakeClock) -> Vendor:
    """The echo connector's API."""
    return Vendor(clock)


@pytest.fixture
async def hub(
    clock: FakeClock, vendor: Vendor, echo_classes: dict[str, type[Connector]]
) -> AsyncIterator[Hub]:
    """A hub whose echo connector talks to `vendor` (no network)."""
    built = Hub(
        HubConfig(connectors={"echo": ConnectorSettings()}),
        secrets=lambda name: DictSecrets(name, {"api_key": "k"}),
        discovery=Discovery(connectors={"echo": echo_classes["echo"]}, packages={"echo": "tests"}),
        clock=clock,
        transport=lambda name: httpx.MockTransport(vendor),
    )
    yield built
    await built.aclose()


@pytest.fixture
async def app(store: Store, clock: FakeClock, hub: Hub) -> AsyncIterator[FastAPI]:
    """The hub's app over that hub (the console client's app)."""
    built = create_app(store, hub=hub, clock=clock)
    yield built
    await built.state.intake.aclose()


def cells(page: str, table: str) -> list[list[str]]:
    """The rows of the table `table` (its id), each cell's text."""
    found = re.search(rf'<table[^>]*id="{table}".*?<tbody>(.*?)</tbody>', page, re.S)
    assert found, table
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S)
    ]


async def test_connector_health_shows_the_hubs_own_series_per_connector_and_outcome(
    app: FastAPI,
    hub: Hub,
    vendor: Vendor,
    console_client: httpx.AsyncClient,
    console_user: Callable[..., UserInfo],
) -> None:
    """A throttled try retried, a call failing on 500s, a clean call: the page counts each as
    /metrics does (calls by hook and outcome, tries and retries by outcome, latency)."""
    vendor.script = [429]  # throttled once, then answered
    assert await hub.match_account("echo", email_domain="acme.test", website=None)
    vendor.script = [500] * 20  # a server error on every try: the call fails
    with pytest.raises(ApiError):
        await hub.match_account("echo", email_domain="acme.test", website=None)
    failed_tries = vendor.calls - 2
    assert failed_tries >= 1
    vendor.script = []
    assert await hub.match_account("echo", email_domain="acme.test", website=None)

    console_user("olga", "ops")
    await sign_in(console_client, "olga")
    page = await console_client.get("/console/connectors")
    assert page.status_code == 200, page.text
    [summary] = cells(page.text, "connector-summary")
    tries = vendor.calls  # 1 throttled + 1 answered, failed_tries 500s, 1 answered
    assert tries == failed_tries + 3
    # Retried: the throttled try, and every 500 but the last (the call gave up after it).
    retried = 1 + failed_tries - 1
    # Every try took 0.2 s: the mean says so; p95 is histogram_quantile's estimate in the
    # (0.1, 0.25] bucket: 0.1 + 0.15 * 0.95.
    assert summary == [
        "echo errors",
        "3",
        "1",
        "33.3 %",
        str(tries),
        "1",
        str(retried),
        "200 ms",
        "242 ms",
    ]
    hooks = {row[0]: row[1:] for row in cells(page.text, "calls-echo")}
    assert hooks["handoff_match_account"][:2] == ["2", "1"]
    assert hooks["handoff_enrich_visitor"] == ["0", "0", NONE, NONE, NONE]  # implemented, unused
    by_outcome = {row[0]: row[1:] for row in cells(page.text, "tries-echo")}
    assert by_outcome["ok"] == ["2", "0"]
    assert by_outcome["throttled"] == ["1", "1"]
    assert by_outcome["server error"] == [str(failed_tries), str(failed_tries - 1)]
    assert by_outcome["network error"] == ["0", "0"]
    # The same figures as the hub's /metrics.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://hub.test",
        headers=admin_for(app),
    ) as api:
        text = (await api.get("/metrics")).text
    exported = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    requests = "handoff_connector_requests_total"
    assert exported[(requests, (("connector", "echo"), ("outcome", "throttled")))] == 1
    assert (
        exported[(requests, (("connector", "echo"), ("outcome", "server_error")))] == failed_tries
    )


def test_health_reads_counts_and_latency_estimates_from_the_series() -> None:
    """ConnectorMetrics.health: the counters as they stand, p50/p95 as histogram_quantile."""
    metrics = ConnectorMetrics()
    metrics.prepare("crm", ["handoff_update_contacts"])
    for seconds in (0.02, 0.02, 0.3, 0.3, 4.0):
        metrics.call_done("crm", "handoff_update_contacts", ok=seconds < 1, seconds=seconds)
    for outcome, retried in (("ok", False), ("throttled", True), ("network_error", True)):
        metrics.record(
            RequestRecord(
                connector="crm",
                method="POST",
                outcome=outcome,
                status=None,
                seconds=0.05,
                retried=retried,
            )
        )
    [crm] = metrics.health()
    assert (crm.connector, crm.calls, crm.errors, crm.throttled) == ("crm", 5, 1, 1)
    [hook] = crm.hooks
    assert (hook.hook, hook.ok, hook.errors) == ("handoff_update_contacts", 4, 1)
    assert hook.latency.count == 5
    assert hook.latency.mean == pytest.approx(4.64 / 5)
    # Ranks 2.5 and 4.75 of 5: in (0.25, 0.5] (2 to 4 observed), and in (2.5, 5] (4 to 5).
    assert hook.latency.p50 == pytest.approx(0.25 + 0.25 * (2.5 - 2) / 2)
    assert hook.latency.p95 == pytest.approx(2.5 + 2.5 * (4.75 - 4) / 1)
    assert crm.requests == {
        "ok": 1,
        "throttled": 1,
        "server_error": 0,
        "refused": 0,
        "auth_refused": 0,
        "network_error": 1,
    }
    assert crm.retries == {"throttled": 1, "network_error": 1}
    assert crm.request_latency.count == 3
    assert ConnectorMetrics().health() == []
    idle = ConnectorMetrics()
    idle.prepare("quiet", ["handoff_enrich_visitor"])
    [quiet] = idle.health()
    assert quiet.hooks[0].latency == Latency(0, None, None, None)
    assert quiet.request_latency == Latency(0, None, None, None)


async def test_connector_health_is_for_ops_and_says_when_no_connector_is_enabled(
    store: Store, clock: FakeClock, console_user: Callable[..., UserInfo]
) -> None:
    """A rep is refused (403); a hub without connectors says so instead of an empty table."""
    bare = create_app(store, clock=clock)
    console_user("ana", "rep", rep="ana")
    console_user("olga", "ops")
    for name, status in (("ana", 403), ("olga", 200)):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=bare), base_url="http://hub.test"
        ) as client:
            await sign_in(client, name)
            page = await client.get("/console/connectors")
            assert page.status_code == status, name
    assert "No connector is enabled on this hub" in page.text
    await bare.state.intake.aclose()
