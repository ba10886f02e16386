"""`make demo`: the main job on one machine, replayed from recordings.

The hub starts the way `handoff serve --with-worker` does, on a SQLite file,
with the GitLab playbook (rules Q3, Q4, Q8, Q9) as its routing. Reps set
their presence through the API; sample visitors are posted as page views,
and the worker identifies each (Q1: 6sense enrichment, Salesforce account
match); then each visitor asks for a human in the chat box live on their
page, and the worker routes the chat request (Q3/Q4). Every decision is
stored with its explanation and printed. Every API answer is replayed from
cassettes/<connector>/demo.yaml: no credentials, no network. The clock is
frozen at DEMO_NOW, so working hours give the same answers on every run.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import func, select

from handoff.chat.experiences import ExperienceCatalog, experience_states
from handoff.chat.identify import IdentifyVisitors
from handoff.chat.playbooks import load_playbook
from handoff.chat.routing.config import RoutingConfig, routing_of
from handoff.chat.routing.engine import RoutingDecision
from handoff.chat.routing.handler import CompositeHandler, RoutingHandler
from handoff.config import WorkerSettings, load_config
from handoff.errors import HandoffError
from handoff.handlers import job_runners_for
from handoff.hub import Hub
from handoff.server.app import create_app
from handoff.store import Store
from handoff.store.migrate import upgrade
from handoff.store.models import Decision, EventRecord
from handoff_sdk import ConnectorError
from handoff_sdk.entities import Experience, ExperienceMode, RepStatus, Visitor
from handoff_sdk.secrets import DictSecrets
from handoff_sdk.testing.cassettes import CassetteMiss, CassetteTransport

__all__ = ["DEMO_NOW", "DEMO_PRESENCE", "DEMO_SECRETS", "FrozenClock", "demo_visitors", "run_demo"]

DEMO_SECRETS: dict[str, dict[str, str]] = {
    "6sense": {"api_key": "synthetic-demo-key"},
    "salesforce": {"client_secret": "synthetic-demo-secret", "refresh_token": "synthetic-refresh"},
}
"""Synthetic credentials: the cassettes hold REDACTED where real ones would be."""

DEMO_NOW = datetime(2026, 1, 6, 15, 0, tzinfo=UTC)
"""The demo's frozen time: a Tuesday, 10:00 in New York, 16:00 in Berlin, midnight in Tokyo."""

DEMO_PRESENCE: dict[str, RepStatus] = {
    "bdr-avery": RepStatus.ONLINE,
    "bdr-jonas": RepStatus.ONLINE,
    "pubsec-morgan": RepStatus.ONLINE,
    "pubsec-riley": RepStatus.OFFLINE,
    "sdr-taylor": RepStatus.ONLINE,
    "sdr-jordan": RepStatus.ONLINE,  # online, but 07:00 in Los Angeles: before their hours
    "sdr-camille": RepStatus.ONLINE,
    "sdr-lukas": RepStatus.ONLINE,
    "sdr-amelie": RepStatus.AWAY,
    "sdr-haruto": RepStatus.ONLINE,  # left online overnight in Tokyo
    "sdr-olivia": RepStatus.AWAY,
}
"""What the GitLab playbook's human reps set through `PUT /v1/reps/{id}/status` (Q3)."""

Echo = Callable[[str], None]


class FrozenClock:
    """A clock whose `now` stays at one instant while waits are real.

    Working hours and daily counts depend on `now`, so a fixed one makes the
    demo's routing the same on every run; `FakeClock` would not do here, as
    its `sleep` returns at once and the worker would spin instead of waiting.
    """

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        """The frozen instant."""
        return self._now

    def monotonic(self) -> float:
        """The process's monotonic clock (rate-limit windows still move)."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Really wait."""
        if seconds > 0:
            await asyncio.sleep(seconds)


def _data(name: str) -> str:
    return resources.files("handoff.chat").joinpath("demo_data", name).read_text(encoding="utf-8")


def demo_visitors() -> list[Visitor]:
    """The sample visitors shipped with handoff."""
    lines = _data("visitors.jsonl").splitlines()
    return [Visitor.model_validate(json.loads(line)) for line in lines if line.strip()]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _hub(
    cassettes: Path, clock: FrozenClock
) -> tuple[Hub, RoutingConfig, dict[str, CassetteTransport]]:
    config_path = Path(str(resources.files("handoff.chat").joinpath("demo_data", "handoff.toml")))
    config = load_config(config_path, required=True)
    transports: dict[str, CassetteTransport] = {}

    def transport(name: str) -> httpx.AsyncBaseTransport:
        path = cassettes / name / "demo.yaml"
        try:
            transports[name] = CassetteTransport(path)
        except CassetteMiss:
            raise HandoffError(
                f"the demo replays {path}, which is missing; run `make demo` from the "
                "repository root, or pass --cassettes DIR"
            ) from None
        return transports[name]

    hub = Hub(
        config,
        secrets=lambda name: DictSecrets(name, DEMO_SECRETS.get(name, {})),
        clock=clock,
        transport=transport,
    )
    return hub, routing_of(config), transports


def _page_view(visitor: Visitor) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": f"pv-{visitor.id}",
        "visitor_id": visitor.id,
        "url": visitor.page_url,
    }
    for key in ("ip", "email", "language"):
        if getattr(visitor, key):
            body[key] = getattr(visitor, key)
    return body


def _chat_request(visitor: Visitor, experience: Experience | None) -> dict[str, Any]:
    """The visitor asks the chat box on their page for a human (the live boxes are AI-first)."""
    body: dict[str, Any] = {
        "id": f"chat-{visitor.id}",
        "conversation_id": f"c-{visitor.id}",
        "visitor_id": visitor.id,
        "page_url": visitor.page_url,
        "human_requested": True,
    }
    if experience is not None:
        body["experience_id"] = experience.id
        body["language"] = experience.language
    if visitor.email:
        body["email"] = visitor.email
    return body


async def _wait_processed(store: Store, count: int, limit_seconds: float = 60.0) -> None:
    def processed() -> int:
        with store.sessions() as session:
            done = select(func.count()).where(EventRecord.processed_at.is_not(None))
            return int(session.scalar(done) or 0)

    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_seconds
    while await asyncio.to_thread(processed) < count:
        if loop.time() > deadline:
            raise HandoffError("the demo's worker did not process the events in time")
        await asyncio.sleep(0.05)


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> int:
    response = await client.post(path, json=body)
    if response.status_code != 202:
        raise HandoffError(f"the hub refused {path}: {response.text}")
    return int(response.json()["event_id"])


def _stored_routing(decision: Decision) -> RoutingDecision:
    """A stored routing decision as the engine's object, printed as `handoff route` does."""
    outcome = decision.outcome
    return RoutingDecision(
        rep_id=outcome.get("rep"),
        rep_name=outcome.get("rep_name"),
        is_ai=bool(outcome.get("ai")),
        mode=ExperienceMode(outcome.get("mode", ExperienceMode.HUMAN_FIRST.value)),
        rule=outcome.get("rule"),
        rule_ids=list(decision.rule_ids),
        target=outcome.get("target"),
        ai_takeover_seconds=outcome.get("ai_takeover_seconds"),
        explanation=decision.explanation,
    )


def _print_identify(decision: Decision, echo: Echo) -> None:
    outcome = decision.outcome
    echo(f"  Q1 identify (decision {decision.id})")
    for step in decision.explanation.get("steps", []):
        echo(f"    - {step}")
    extra = [outcome.get("account_status"), outcome.get("account_sector")]
    if outcome.get("account"):
        tags = ", ".join(t for t in extra if t)
        echo(f"    => account {outcome['account']}" + (f" ({tags})" if tags else ""))
    elif outcome.get("company"):
        echo(f"    => {outcome['company']}: not in the CRM yet, a new prospect")
    else:
        echo("    => anonymous visitor")


def _print_routing(decision: Decision, echo: Echo) -> None:
    routed = _stored_routing(decision)
    echo(f"  Q3/Q4 route {decision.subject_id} (decision {decision.id})")
    for step in decision.explanation.get("steps", []):
        echo(f"    - {step}")
    for line in routed.lines():
        echo(f"    {line}")


def _report(store: Store, visitors: list[Visitor], echo: Echo) -> dict[str, int]:
    summary = {"visitors": 0, "enriched": 0, "matched": 0, "routed": 0, "unrouted": 0}
    with store.sessions() as session:
        decisions = session.scalars(select(Decision).order_by(Decision.id)).all()
    by_subject = {(d.kind, d.subject_id): d for d in decisions}
    for visitor in visitors:
        identify = by_subject.get(("identify", visitor.id))
        routing = by_subject.get(("routing", f"c-{visitor.id}"))
        echo(f"\nvisitor {visitor.id}  {visitor.page_url}")
        if identify is not None:
            summary["visitors"] += 1
            summary["enriched"] += bool(identify.outcome.get("company"))
            summary["matched"] += bool(identify.outcome.get("account"))
            _print_identify(identify, echo)
        if routing is not None:
            summary["routed" if routing.outcome.get("rep") else "unrouted"] += 1
            _print_routing(routing, echo)
    return summary


async def _run(cassettes: Path, database: Path, echo: Echo) -> dict[str, int]:
    store = Store(f"sqlite:///{database}")
    upgrade(store)
    clock = FrozenClock(DEMO_NOW)
    hub, routing, transports = _hub(cassettes, clock)
    playbook = load_playbook("gitlab")
    catalog: ExperienceCatalog = playbook.experiences
    identify = IdentifyVisitors(crm="salesforce")
    handler = CompositeHandler(
        [
            identify,
            RoutingHandler(routing, playbook.raw_experiences, identify=identify, crm="salesforce"),
        ]
    )
    port = _free_port()
    # One job at a time, so the decisions are taken (and printed) in arrival order.
    app = create_app(
        store,
        hub=hub,
        clock=clock,
        with_worker=True,
        worker_settings=WorkerSettings(concurrency=1),
        events=handler,
        handlers=job_runners_for(store, hub, clock),
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    serving = asyncio.create_task(server.serve())
    visitors = demo_visitors()
    try:
        while not server.started:
            if serving.done():
                raise HandoffError(f"the demo's server could not start on port {port}")
            await asyncio.sleep(0.05)
        echo(
            f"hub listening on http://127.0.0.1:{port} (worker in the same process), "
            f"store {database}"
        )
        echo(
            f"routing: the GitLab playbook ({len(routing.rules)} rules, {len(routing.reps)} reps, "
            f"{len(catalog.experiences)} experiences); clock frozen at {DEMO_NOW.isoformat()} "
            f"({DEMO_NOW:%A %H:%M} UTC)"
        )
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for rep_id, status in DEMO_PRESENCE.items():
                response = await client.put(
                    f"/v1/reps/{rep_id}/status", json={"status": status.value}
                )
                if response.status_code != 200:
                    raise HandoffError(f"the hub refused a rep status: {response.text}")
            echo(
                f"PUT /v1/reps/{{id}}/status x{len(DEMO_PRESENCE)}: "
                + ", ".join(f"{r} {s.value}" for r, s in DEMO_PRESENCE.items())
            )
            for visitor in visitors:
                event = await _post(client, "/v1/page-views", _page_view(visitor))
                echo(f"POST /v1/page-views {visitor.id} -> 202, stored as event {event}")
            await _wait_processed(store, len(visitors))
            with store.sessions() as session:
                states = experience_states(session, catalog)
            for visitor in visitors:
                live = catalog.live_for_page(visitor.page_url or "/", states)
                event = await _post(client, "/v1/chat-requests", _chat_request(visitor, live))
                where = f'on "{live.name}" ({live.mode.value})' if live else "(no live experience)"
                echo(
                    f"POST /v1/chat-requests c-{visitor.id}: {visitor.id} asks for a human "
                    f"{where} -> 202, stored as event {event}"
                )
            await _wait_processed(store, 2 * len(visitors))
    finally:
        server.should_exit = True
        await serving
        await hub.aclose()
    summary = _report(store, visitors, echo)
    store.dispose()
    calls = sum(len(t.requests) for t in transports.values())
    echo(
        f"\n{summary['visitors']} visitors, {summary['enriched']} enriched by 6sense, "
        f"{summary['matched']} matched to Salesforce accounts; {summary['routed']} chats "
        f"routed to a rep, {summary['unrouted']} waiting unrouted; {calls} recorded HTTP "
        "exchanges replayed."
    )
    echo(
        f"Explore: HANDOFF_DATABASE_URL=sqlite:///{database} .venv/bin/handoff explain "
        f"visitor:{visitors[0].id}   (or conversation:c-{visitors[0].id})"
    )
    return summary


def run_demo(
    cassettes: Path, workdir: Path = Path(".handoff"), echo: Echo = print
) -> dict[str, int]:
    """Run the demo and print each visitor's decisions and why; returns the tallies.

    The SQLite store is `workdir/demo.sqlite3`, made anew each run and kept
    afterwards for `handoff explain`.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "demo.sqlite3"
    for leftover in workdir.glob("demo.sqlite3*"):
        leftover.unlink()
    echo(
        "handoff demo: replaying recorded API conversations from "
        f"{cassettes}/ (6sense, Salesforce). No credentials, no network: every answer "
        "below comes from a recording of synthetic data."
    )
    try:
        return asyncio.run(_run(cassettes, database, echo))
    except ConnectorError as exc:
        raise HandoffError(f"the demo failed: {exc}") from None
