"""Q18 smart forms and buttons end to end over real sockets: the hub's app with the 6sense and
Salesforce simulators (TLS, loopback ports), qualified in the request that submits them.

The routing is the GitLab playbook (its reps are the synthetic company's); the profile
is a company of 1,000 employees or more. Litware (2,500 employees, Actively Working,
BDR Avery) fits; Northwind (900) does not.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from handoff_6sense.simulator import SixsenseSimulator
from handoff_salesforce.simulator import SalesforceSimulator
from pydantic import ValidationError

from handoff.chat.playbooks import playbook_path
from handoff.chat.settings import ChatSettings
from handoff.cli import cli
from handoff.config import HubConfig
from handoff.flow import Services
from handoff.flows import FlowSet
from handoff.hub import Hub
from handoff.server import create_app
from handoff.store import Store
from handoff_sdk import DictSecrets, FakeClock
from handoff_sdk.testing import SimulatorServer
from handoff_sdk.testing.company import COMPANY

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
LITWARE, NORTHWIND = COMPANY.customer("litware"), COMPANY.customer("northwind")
AVERY = COMPANY.rep("bdr-avery")

SMART_FORMS: dict[str, Any] = {
    "forms": ["contact-sales", "pricing-cta"],
    "icp": {"field": "firmographics.employee_count", "at_least": 1000},
    "fallback": {"message": "Thanks! We'll be in touch.", "url": "https://acme.example/thanks"},
}


@dataclass
class World:
    store: Store
    app: FastAPI
    clock: FakeClock
    sixsense: SixsenseSimulator
    database: str


def build(
    store: Store, clock: FakeClock, servers: dict[str, Any], sims: dict[str, Any], forms: Any
) -> tuple[FastAPI, Hub]:
    connectors = {
        name: {"settings": sims[name].connector_config(servers[name].url)} for name in servers
    }
    config = HubConfig.model_validate(
        {
            "connectors": connectors,
            "routing": {"include": str(playbook_path("gitlab"))},
            "smart_forms": forms,
        }
    )
    hub = Hub(
        config,
        secrets=lambda name: DictSecrets(name, sims[name].connector_secrets()),
        clock=clock,
        transport=lambda name: httpx.AsyncHTTPTransport(verify=servers[name].verify),
    )
    flows = FlowSet(Services(config, store, clock, lambda: hub))
    app = create_app(
        store,
        config=config,
        hub=hub,
        clock=clock,
        events=flows.event_handler(),
        handlers=flows.job_runners(),
    )
    return app, hub


@pytest.fixture
async def world(store: Store, clock: FakeClock, tmp_path: Path) -> AsyncIterator[World]:
    clock.advance(6 * 3600)  # Monday 15:00 UTC: 10:00 in New York, Avery's working hours
    sims: dict[str, Any] = {
        "6sense": SixsenseSimulator(clock=clock),
        "salesforce": SalesforceSimulator(clock=clock),
    }
    async with AsyncExitStack() as stack:
        servers = {
            name: await stack.enter_async_context(SimulatorServer(sim, tls=True))
            for name, sim in sims.items()
        }
        app, hub = build(store, clock, servers, sims, SMART_FORMS)
        stack.push_async_callback(hub.aclose)
        yield World(store, app, clock, sims["6sense"], str(store.engine.url))


def submission(ident: str, customer: Any, **extra: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "form_id": "contact-sales",
        "visitor_id": f"v-{ident}",
        "ip": customer.ips[0],
        "email": f"kim@{customer.domain}",
        "page_url": "https://www.example.test/sales",
        **extra,
    }


def explain(world: World, ref: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["explain", ref, "--database", world.database, "--json"])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.output)
    return report


async def test_q18_a_fit_visitor_is_routed_live_to_the_rep_in_the_same_request(
    world: World, loopback: Serve
) -> None:
    """Q18: Litware fits the profile; its BDR Avery is online: routed live, in the answer."""
    async with loopback(world.app) as client:
        online = await client.put(f"/v1/reps/{AVERY.id}/status", json={"status": "online"})
        assert online.status_code == 200, online.text
        answer = await client.post("/v1/smart-forms/submissions", json=submission("s-1", LITWARE))
        again = await client.post("/v1/smart-forms/submissions", json=submission("s-1", LITWARE))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["verdict"], body["action"]) == ("fit", "routed")
    assert body["rep"]["id"] == AVERY.id
    assert body["conversation_id"] == "form-s-1"
    assert "employee_count" in body["why"]
    assert again.json() == {**body, "duplicate": True}  # the same id: the stored answer
    report = explain(world, "submission:s-1")
    [decision] = [d for d in report["decisions"] if d["kind"] == "smart_form"]
    assert decision["rule_ids"] == ["Q18"]
    assert decision["explanation"]["icp"]["verdict"] == "fit"
    assert decision["explanation"]["known"]["firmographics"]["company_name"] == LITWARE.name
    routing = explain(world, "conversation:form-s-1")
    assert [d["outcome"]["rep"] for d in routing["decisions"]] == [AVERY.id]


async def test_q18_a_fit_visitor_nobody_can_take_now_is_offered_the_reps_meeting_slots(
    world: World, loopback: Serve
) -> None:
    """Q18: nobody is online: Litware's visitor is offered Avery's free slots (the rules' first
    choice), working hours only since no calendar connector is enabled (a note says so)."""
    async with loopback(world.app) as client:
        answer = await client.post(
            "/v1/smart-forms/submissions",
            json=submission("s-2", LITWARE, kind="button", form_id="pricing-cta"),
        )
    body = answer.json()
    assert (body["verdict"], body["action"]) == ("fit", "meeting"), body
    assert body["rep"]["id"] == AVERY.id
    assert body["timezone"] == "America/New_York"
    assert body["slots"], body
    starts = [datetime.fromisoformat(s["start"]) for s in body["slots"]]
    assert all(start > world.clock.now() for start in starts)
    assert any("no calendar connector" in n for n in body["notes"])


async def test_q18_a_visitor_outside_the_profile_gets_the_fallback_and_the_reason(
    world: World, loopback: Serve
) -> None:
    """Q18: Northwind (900 employees) does not fit: the configured fallback, explained."""
    async with loopback(world.app) as client:
        answer = await client.post("/v1/smart-forms/submissions", json=submission("s-3", NORTHWIND))
        unknown_form = await client.post(
            "/v1/smart-forms/submissions", json=submission("s-4", NORTHWIND, form_id="newsletter")
        )
    body = answer.json()
    assert (body["verdict"], body["action"]) == ("not_fit", "fallback")
    assert (body["message"], body["url"]) == (
        "Thanks! We'll be in touch.",
        "https://acme.example/thanks",
    )
    assert body["rep"] is None
    assert "900" in body["why"]
    assert unknown_form.status_code == 404
    assert unknown_form.json()["fields"][0]["field"] == "form_id"


async def test_q18_enrichment_down_is_unknown_and_explained_never_silently_not_fit(
    world: World, loopback: Serve
) -> None:
    """Q18: 6sense answers 503: the verdict is 'unknown', naming 6sense, not 'not_fit'."""
    world.sixsense.fail_next(503, body={"status": "error"}, times=1000)
    async with loopback(world.app) as client:
        answer = await client.post("/v1/smart-forms/submissions", json=submission("s-5", LITWARE))
    body = answer.json()
    assert (body["verdict"], body["action"]) == ("unknown", "fallback"), body
    assert "6sense could not be asked" in body["why"]
    [decision] = [
        d for d in explain(world, "submission:s-5")["decisions"] if d["kind"] == "smart_form"
    ]
    assert decision["explanation"]["icp"]["enrichment_failed"] == ["6sense"]
    assert any("6sense: enrichment failed" in s for s in decision["explanation"]["steps"])


def test_q18_the_table_is_checked_at_load_naming_the_field() -> None:
    """Q18: a malformed profile, or smart forms without reps, is refused when loaded."""
    with pytest.raises(ValidationError, match=r"icp"):
        ChatSettings.model_validate(
            {"routing": {"include": str(playbook_path("gitlab"))}, "smart_forms": {"icp": 5}}
        )
    with pytest.raises(ValidationError, match=r"needs a \[routing\] table"):
        ChatSettings.model_validate({"smart_forms": SMART_FORMS})


async def test_q18_off_without_the_table(app: FastAPI, client: httpx.AsyncClient) -> None:
    """Q18: no [smart_forms] table: 409, nothing stored."""
    answer = await client.post("/v1/smart-forms/submissions", json=submission("s-6", LITWARE))
    assert answer.status_code == 409
