"""Q1 when a connector fails: retried under the job policy, counted in /metrics, never "anonymous".

Over real sockets: the 6sense simulator (TLS, a loopback port) with an
injected fault, the hub built from a handoff.toml pointing at it, `handoff
serve`'s app and the worker the chat flow configures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from handoff_6sense.simulator import SixsenseSimulator
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from handoff.config import load_config
from handoff.flow import Services
from handoff.flows import FlowSet
from handoff.hub import Hub
from handoff.runtime import Worker
from handoff.server import create_app
from handoff.store import Decision, Job, Store, upgrade
from handoff_sdk import DictSecrets, FakeClock
from handoff_sdk.testing import SimulatorServer
from handoff_sdk.testing.company import COMPANY

LITWARE = COMPANY.customer("litware")
URL = "https://www.example.test/pricing"
PLAYBOOK = Path(__file__).parent / "routing" / "playbook.toml"


@dataclass
class World:
    store: Store
    app: FastAPI
    worker: Worker
    simulator: SixsenseSimulator
    clock: FakeClock


@pytest.fixture
async def world(tmp_path: Path, clock: FakeClock) -> AsyncIterator[World]:
    simulator = SixsenseSimulator(clock=clock)
    async with SimulatorServer(simulator, tls=True) as server:
        table = simulator.connector_config(server.url)
        lines = [f'{key} = "{value}"' for key, value in table.items()]
        routing = f'[routing]\ninclude = "{PLAYBOOK}"\n'
        (tmp_path / "handoff.toml").write_text(
            routing + "[connectors.6sense]\n" + "\n".join(lines) + "\n"
        )
        config = load_config(tmp_path / "handoff.toml")
        hub = Hub(
            config,
            secrets=lambda name: DictSecrets(name, simulator.connector_secrets()),
            clock=clock,
            transport=lambda name: httpx.AsyncHTTPTransport(verify=server.verify),
        )
        store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
        upgrade(store)
        flows = FlowSet(Services(config, store, clock, lambda: hub))
        app = create_app(store, config=config, hub=hub, clock=clock)
        worker = Worker(
            store, hub=hub, clock=clock, events=flows.event_handler(), handlers=flows.job_runners()
        )
        try:
            yield World(store, app, worker, simulator, clock)
        finally:
            await hub.aclose()
            store.dispose()


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(
    page: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return page.get((name, frozenset(labels.items())), 0.0)


def identifications(store: Store) -> list[dict[str, Any]]:
    with store.sessions() as session:
        rows = session.scalars(
            select(Decision).where(Decision.kind == "identify").order_by(Decision.id)
        )
        return [d.outcome for d in rows]


def retry_job(store: Store) -> Job:
    with store.sessions() as session:
        return session.scalars(select(Job).where(Job.kind == "identify.retry")).one()


async def test_q1_6sense_down_is_enrichment_failed_retried_and_counted(
    world: World, loopback: Any
) -> None:
    """Q1: 6sense answers 503 to every try: the decision says enrichment failed, not anonymous;
    an identify.retry job asks again under the job policy; /metrics counts every try."""
    world.simulator.fail_next(503, body={"status": "error"}, times=1000)
    page_view = {"id": "pv-1", "visitor_id": "v-1", "url": URL, "ip": LITWARE.ips[0]}
    async with loopback(world.app) as client:
        assert (await client.post("/v1/page-views", json=page_view)).status_code == 202
        await world.worker.run_once()
        tries = len(world.simulator.calls())
        assert tries > 1, "the SDK retried the 503s within the call"
        [failed] = identifications(world.store)
        assert failed["enrichment"] == "failed"
        assert failed["failed"] == ["6sense"]
        assert failed["company"] is None
        job = retry_job(world.store)
        assert (job.state, job.attempts) == ("queued", 0)

        page = samples((await client.get("/metrics")).text)
        labels = {"connector": "6sense"}
        assert (
            value(page, "handoff_connector_requests_total", outcome="server_error", **labels)
            == tries
        )
        assert (
            value(page, "handoff_connector_retries_total", outcome="server_error", **labels)
            == tries - 1
        )
        hook = {"hook": "handoff_enrich_visitor", **labels}
        assert value(page, "handoff_connector_calls_total", outcome="error", **hook) == 1
        assert value(page, "handoff_connector_calls_total", outcome="ok", **hook) == 0
        assert value(page, "handoff_connector_request_seconds_count", **labels) == tries

        # Still down when the retry job runs: it fails and is queued again with a backoff.
        world.clock.advance(3600)
        await world.worker.run_once()
        job = retry_job(world.store)
        assert (job.state, job.attempts) == ("queued", 1)
        assert "enrichment failed again" in (job.last_error or "")
        assert len(identifications(world.store)) == 1

        # 6sense is back: the next try identifies the visitor in a newer decision.
        world.simulator.faults.clear()
        world.clock.advance(3600)
        await world.worker.run_once()
        assert retry_job(world.store).state == "done"
        found = identifications(world.store)[-1]
        assert (found["enrichment"], found["company"]) == ("ok", LITWARE.name)
        page = samples((await client.get("/metrics")).text)
        assert value(page, "handoff_connector_calls_total", outcome="ok", **hook) == 1
        assert value(page, "handoff_connector_requests_total", outcome="ok", **labels) == 1


async def test_q1_dropped_connections_count_as_network_errors_and_explain_the_failure(
    world: World, loopback: Any
) -> None:
    """Q1: 6sense closes every connection: network errors in /metrics, the step says why."""
    world.simulator.drop_next(times=1000)
    async with loopback(world.app) as client:
        view = {"id": "pv-2", "visitor_id": "v-2", "url": URL, "ip": LITWARE.ips[0]}
        assert (await client.post("/v1/page-views", json=view)).status_code == 202
        await world.worker.run_once()
        page = samples((await client.get("/metrics")).text)
    tries = len(world.simulator.calls())
    labels = {"connector": "6sense", "outcome": "network_error"}
    assert value(page, "handoff_connector_requests_total", **labels) == tries
    assert value(page, "handoff_connector_retries_total", **labels) == tries - 1
    with world.store.sessions() as session:
        decision = session.scalars(select(Decision).where(Decision.kind == "identify")).one()
    assert decision.outcome["enrichment"] == "failed"
    [step] = decision.explanation["steps"][:1]
    assert step.startswith("6sense: enrichment failed (6sense: HTTP 0")


async def test_q1_q3_a_chat_routed_while_6sense_is_down_says_identification_failed(
    world: World, loopback: Any
) -> None:
    """Q1/Q3: the chat is routed without waiting for 6sense, and its explanation says why the
    company is unknown (the lookup failed), not that the visitor is anonymous."""
    world.simulator.fail_next(503, body={"status": "error"}, times=1000)
    async with loopback(world.app) as client:
        view = {"id": "pv-3", "visitor_id": "v-3", "url": URL, "ip": LITWARE.ips[0]}
        assert (await client.post("/v1/page-views", json=view)).status_code == 202
        chat = {"id": "r-3", "conversation_id": "c-3", "visitor_id": "v-3"}
        assert (await client.post("/v1/chat-requests", json=chat)).status_code == 202
        await world.worker.run_once()
        await world.worker.run_once()
    with world.store.sessions() as session:
        [routing] = session.scalars(select(Decision).where(Decision.kind == "routing")).all()
        [identify] = session.scalars(select(Decision).where(Decision.kind == "identify")).all()
    assert identify.outcome["enrichment"] == "failed"
    assert (
        f"the visitor's Q1 identification (decision {identify.id}) failed (6sense could not be "
        "asked): routed on what is known, not as anonymous"
    ) in routing.explanation["steps"]
