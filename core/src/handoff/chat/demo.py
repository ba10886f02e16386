"""The chat flow's part of `make demo`: visitors identified and their chats routed.

The hub starts the way `handoff serve --with-worker` does (handoff.demo),
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
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select

from handoff.chat.experiences import ExperienceCatalog, experience_states
from handoff.chat.flow import CHAT
from handoff.chat.kinds import IDENTIFY_DECISION, ROUTING_DECISION
from handoff.chat.playbooks import load_playbook
from handoff.chat.routing.engine import RoutingDecision
from handoff.chat.settings import ChatSettings
from handoff.config import HubConfig, load_config
from handoff.demo import DemoHub, DemoRun, Echo, FrozenClock, post_event, wait_processed
from handoff.errors import HandoffError
from handoff.store import Store
from handoff.store.models import Decision
from handoff_sdk.entities import Experience, ExperienceMode, RepStatus, Visitor

__all__ = ["DEMO_NOW", "DEMO_PRESENCE", "DEMO_SECRETS", "chat_demo", "demo_visitors"]

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


def _data_path(name: str) -> Path:
    return Path(str(resources.files("handoff.chat").joinpath("demo_data", name)))


def _data(name: str) -> str:
    return _data_path(name).read_text(encoding="utf-8")


def demo_visitors() -> list[Visitor]:
    """The sample visitors shipped with handoff."""
    lines = _data("visitors.jsonl").splitlines()
    return [Visitor.model_validate(json.loads(line)) for line in lines if line.strip()]


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
    elif outcome.get("enrichment") == "failed":
        echo(f"    => enrichment failed ({', '.join(outcome.get('failed') or [])}); asked again")
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
        identify = by_subject.get((IDENTIFY_DECISION, visitor.id))
        routing = by_subject.get((ROUTING_DECISION, f"c-{visitor.id}"))
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


def _settings(config: HubConfig) -> tuple[HubConfig, ChatSettings]:
    """The demo config with the playbook's experiences (its routing is included already)."""
    playbook = load_playbook("gitlab")
    settings = CHAT.settings_of(config).model_copy(
        update={"experiences": playbook.settings.experiences}
    )
    return config.model_copy(update={"flows": {**config.flows, CHAT.name: settings}}), settings


async def _drive(demo: DemoHub, visitors: list[Visitor], catalog: ExperienceCatalog) -> None:
    """Presence, then the page views, then each visitor's chat request, through the API."""
    echo = demo.run.echo
    async with demo.serving() as (client, store):
        routing = CHAT.settings_of(demo.config).routing
        assert routing is not None  # the demo config includes the playbook's routing
        echo(
            f"routing: the GitLab playbook ({len(routing.rules)} rules, {len(routing.reps)} reps, "
            f"{len(catalog.experiences)} experiences); clock frozen at {DEMO_NOW.isoformat()} "
            f"({DEMO_NOW:%A %H:%M} UTC)"
        )
        for rep_id, status in DEMO_PRESENCE.items():
            response = await client.put(f"/v1/reps/{rep_id}/status", json={"status": status.value})
            if response.status_code != 200:
                raise HandoffError(f"the hub refused a rep status: {response.text}")
        echo(
            f"PUT /v1/reps/{{id}}/status x{len(DEMO_PRESENCE)}: "
            + ", ".join(f"{r} {s.value}" for r, s in DEMO_PRESENCE.items())
        )
        for visitor in visitors:
            event = await post_event(client, "/v1/page-views", _page_view(visitor))
            echo(f"POST /v1/page-views {visitor.id} -> 202, stored as event {event}")
        with demo.run.step(f"the worker is identifying {len(visitors)} visitors"):
            await wait_processed(store, len(visitors))
        with store.sessions() as session:
            states = experience_states(session, catalog)
        for visitor in visitors:
            live = catalog.live_for_page(visitor.page_url or "/", states)
            event = await post_event(client, "/v1/chat-requests", _chat_request(visitor, live))
            where = f'on "{live.name}" ({live.mode.value})' if live else "(no live experience)"
            echo(
                f"POST /v1/chat-requests c-{visitor.id}: {visitor.id} asks for a human "
                f"{where} -> 202, stored as event {event}"
            )
        with demo.run.step(f"the worker is routing {len(visitors)} chats"):
            await wait_processed(store, 2 * len(visitors))


def chat_demo(run: DemoRun) -> dict[str, int]:
    """Run the chat part of the demo and print each visitor's decisions and why; the tallies."""
    run.echo("\nchat: 6sense identifies visitors, Salesforce matches accounts, chats are routed")
    config, settings = _settings(load_config(_data_path("handoff.toml"), required=True))
    demo = DemoHub(run, config, FrozenClock(DEMO_NOW), DEMO_SECRETS)
    visitors = demo_visitors()
    asyncio.run(_drive(demo, visitors, settings.catalog()))
    store = Store(f"sqlite:///{run.database}")
    summary = _report(store, visitors, run.echo)
    store.dispose()
    run.echo(
        f"\n{summary['visitors']} visitors, {summary['enriched']} enriched by 6sense, "
        f"{summary['matched']} matched to Salesforce accounts; {summary['routed']} chats "
        f"routed to a rep, {summary['unrouted']} waiting unrouted; {demo.replayed} recorded HTTP "
        "exchanges replayed."
    )
    run.echo(
        f"Explore: HANDOFF_DATABASE_URL=sqlite:///{run.database} .venv/bin/handoff explain "
        f"visitor:{visitors[0].id}   (or conversation:c-{visitors[0].id})"
    )
    return summary
