"""The flow registration: a flow plugs its tables, intake, handler, jobs, timers and routes in once.

A small flow made here ("tally") stands for any future one: the frameworks
must serve it without knowing its name.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from keyed import admin_for  # type: ignore[import-not-found]
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.config import HubConfig, load_config
from handoff.errors import ConfigFileError, HandoffError
from handoff.flow import Flow, FlowCommand, FlowContext, IntakeRoute, Periodic
from handoff.flows import FlowSet, flow_commands, flow_metadata, flow_tables, install_periodic
from handoff.runtime import ClaimedJob, DecisionSpec, EventHandler, JobSpec, Worker, record_decision
from handoff.runtime.worker import JobRunner
from handoff.server import create_app
from handoff.server.access import require_scope
from handoff.server.models import IntakeModel
from handoff.store import Base, Decision, EventRecord, Store, Timer
from handoff_sdk import FakeClock

TALLY_EVENT = "hub.tally"
TALLY_DECISION = "tally.counted"
TALLY_JOB = "tally.report"


class TallyTable(BaseModel):
    """The `[tally]` table of the test flow."""

    model_config = ConfigDict(extra="forbid")

    threshold: int = Field(default=3, ge=1)


class TallySettings(BaseModel):
    """The test flow's tables: one, `[tally]`."""

    model_config = ConfigDict(extra="forbid")

    tally: TallyTable = Field(default_factory=TallyTable)


class TallyBody(IntakeModel):
    """One thing to count."""

    item: str

    def subject(self) -> tuple[str, str]:
        return "item", self.item


class TallyHandler(EventHandler):
    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.seen: list[str] = []

    async def enrich(self, hub: Any, event: EventRecord) -> dict[str, Any]:
        self.seen.append(event.type)
        return {"item": event.payload["item"]}

    def decide(
        self, session: Session, event: EventRecord, context: dict[str, Any], now: datetime
    ) -> None:
        record_decision(
            session,
            DecisionSpec(
                kind=TALLY_DECISION,
                subject_type="item",
                subject_id=context["item"],
                outcome={"threshold": self.threshold},
                event_id=event.id,
            ),
            now=now,
        )


HANDLERS: list[TallyHandler] = []
REPORTS: list[str] = []


def _handler(context: FlowContext[TallySettings]) -> EventHandler:
    handler = TallyHandler(context.settings.tally.threshold)
    HANDLERS.append(handler)
    return handler


def _runners(context: FlowContext[TallySettings]) -> Mapping[str, JobRunner]:
    async def report(job: ClaimedJob) -> dict[str, Any]:
        REPORTS.append(job.idempotency_key)
        return {"reported": True}

    return {TALLY_JOB: report}


def _routers(context: FlowContext[TallySettings]) -> Sequence[APIRouter]:
    router = APIRouter(prefix="/v1")

    @router.get("/tally", dependencies=[require_scope("ops")])
    async def threshold() -> dict[str, int]:
        return {"threshold": context.settings.tally.threshold}

    return [router]


def _periodic(context: FlowContext[TallySettings]) -> Sequence[Periodic]:
    return [Periodic("tally-daily", "@daily", JobSpec(kind=TALLY_JOB, idempotency_key="tally"))]


TALLY: Flow[TallySettings] = Flow(
    name="tally",
    summary="Counts things (a test flow).",
    settings=lambda: TallySettings,
    event_types=(TALLY_EVENT,),
    decision_kinds=(TALLY_DECISION,),
    intake=lambda: [IntakeRoute("tallies", TallyBody, TALLY_EVENT)],
    handler=_handler,
    job_runners=_runners,
    periodic=_periodic,
    routers=_routers,
    commands=(FlowCommand("tally", "click:Command", "Count things."),),
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "handoff.toml"
    path.write_text(text)
    return path


def test_a_flows_table_is_validated_at_load_naming_file_table_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, "[tally]\nthreshold = 0\n")
    with pytest.raises(ConfigFileError) as caught:
        load_config(path, flows=[TALLY])
    assert str(caught.value).startswith(f"{path}: tally.threshold: Input should be greater")
    good = load_config(write(tmp_path, "[tally]\nthreshold = 5\n"), flows=[TALLY])
    assert TALLY.settings_of(good).tally.threshold == 5


def test_a_table_no_flow_owns_is_refused_naming_the_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path, "[routing]\nai_rep = 'x'\n")
    with pytest.raises(ConfigFileError) as caught:
        load_config(path, flows=[TALLY])
    assert str(caught.value) == (
        f"{path}: routing: unknown table; the tables are: connectors, secrets, shadow, store, tally, worker"
    )


def test_two_flows_may_not_claim_one_table_command_or_job_kind(store: Store) -> None:
    twin = Flow(name="twin", summary="", settings=lambda: TallySettings, job_runners=_runners)
    with pytest.raises(HandoffError, match=r"'tally' and 'twin' both claim the \[tally\] table"):
        flow_tables([TALLY, twin])
    echo = Flow(name="echo", summary="", settings=lambda: BaseModel, commands=TALLY.commands)
    with pytest.raises(HandoffError, match="both add `handoff tally`"):
        flow_commands([TALLY, echo])
    with pytest.raises(HandoffError, match=r"both run jobs of kind 'tally\.report'"):
        FlowSet.of(store, FakeClock(), flows=[TALLY, twin]).job_runners()


async def test_a_flows_intake_handler_and_routes_serve_it_end_to_end(
    store: Store, clock: FakeClock
) -> None:
    config = HubConfig.model_validate({"tally": {"threshold": 7}}, context={"flows": [TALLY]})
    flows = FlowSet.of(store, clock, config=config, flows=[TALLY])
    app = create_app(store, config=config, clock=clock, flows=[TALLY])
    worker = Worker(store, clock=clock, events=flows.event_handler())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test", headers=admin_for(app)
    ) as client:
        answer = await client.post("/v1/tallies", json={"id": "t-1", "item": "apples"})
        assert answer.status_code == 202, answer.text
        assert answer.json()["type"] == TALLY_EVENT
        assert (await client.get("/v1/tally")).json() == {"threshold": 7}
        assert (await client.post("/v1/page-views", json={})).status_code == 404
    await app.state.intake.aclose()
    await worker.run_once()
    with store.sessions() as session:
        [decision] = session.scalars(select(Decision)).all()
    assert (decision.kind, decision.subject_id, decision.outcome) == (
        TALLY_DECISION,
        "apples",
        {"threshold": 7},
    )


async def test_a_flows_handler_is_given_only_its_event_types(
    store: Store, clock: FakeClock
) -> None:
    HANDLERS.clear()
    handler = FlowSet.of(store, clock, flows=[TALLY]).event_handler()
    other = EventRecord(id=1, type="hub.page_view", payload={}, source="hub", dedupe_key="1")
    tally = EventRecord(id=2, type=TALLY_EVENT, payload={"item": "x"}, source="hub", dedupe_key="2")
    assert await handler.enrich(None, other) == {}
    assert await handler.enrich(None, tally) == {"tally": {"item": "x"}}
    assert HANDLERS[-1].seen == [TALLY_EVENT]


async def test_a_flows_periodic_job_is_installed_once_and_run_by_the_worker(
    store: Store, clock: FakeClock
) -> None:
    REPORTS.clear()
    flows = FlowSet.of(store, clock, flows=[TALLY])
    assert install_periodic(store, flows.periodic(), now=clock.now()) == 1
    assert install_periodic(store, flows.periodic(), now=clock.now()) == 0, "kept on restart"
    with store.sessions() as session:
        [timer] = session.scalars(select(Timer)).all()
    assert timer.schedule == "@daily"
    worker = Worker(store, clock=clock, handlers=flows.job_runners())
    assert await worker.run_once() == 0
    clock.advance(timedelta(days=1).total_seconds())
    await worker.run_once()  # fires the timer
    await worker.run_once()  # runs its job
    assert len(REPORTS) == 1


def test_a_flows_own_tables_module_is_imported_for_the_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """flow_metadata imports each flow's `models` module, so migrations and checks see its tables."""
    (tmp_path / "tally_models_probe.py").write_text("IMPORTED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    flow = Flow(
        name="tally", summary="t", settings=lambda: TallySettings, models="tally_models_probe"
    )
    assert flow_metadata([flow]) is Base.metadata
    assert sys.modules["tally_models_probe"].IMPORTED is True
