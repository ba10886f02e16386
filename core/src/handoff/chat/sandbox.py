"""The chat flow's part of `handoff sandbox`: its tables, and the traffic a website sends it.

Tables: `[routing]` is the GitLab playbook (its reps are the synthetic
company's, `handoff_sdk.testing.COMPANY`); `[writeback]` writes ended chats to
Salesforce and `[meetings]` books on Google Calendar with a Zoom link, when
those connectors are in the sandbox.

Traffic, for the synthetic company's sample visitors:

1. every rep sets their presence to online (`PUT /v1/reps/{id}/status`);
2. each visitor views a page (`POST /v1/page-views`): identified (Q1);
3. each asks the chat box for a human (`POST /v1/chat-requests`): routed (Q3, Q4);
4. those who gave a name and email end their chat (`POST
   /v1/conversation-events`, `ended`): written back to the CRM (Q11);
5. the first of them books a meeting (`POST /v1/meetings`): Zoom and the
   rep's calendar (Q12).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from handoff.chat.kinds import ROUTING_DECISION
from handoff.chat.playbooks import playbook_path
from handoff.sandbox.traffic import TrafficContext
from handoff_sdk.testing import COMPANY, VisitorSample

__all__ = ["chat_traffic", "sandbox_tables"]


def sandbox_tables(connectors: Collection[str]) -> dict[str, Any]:
    """Routing by the GitLab playbook; write-back and booking when their connectors are served."""
    tables: dict[str, Any] = {"routing": {"include": str(playbook_path("gitlab"))}}
    if "salesforce" in connectors:
        tables["writeback"] = {"crm": "salesforce", "lead_static": {"LeadSource": "Website Chat"}}
    if "google-calendar" in connectors:
        tables["meetings"] = {
            "calendar": "google-calendar",
            "video": "zoom" if "zoom" in connectors else "personal",
        }
    return tables


def _page_view(visitor: VisitorSample, stamp: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": f"pv-{visitor.id}-{stamp}",
        "visitor_id": visitor.id,
        "url": visitor.page_url,
        "ip": visitor.ip,
    }
    if visitor.email:
        body["email"] = visitor.email
    if visitor.language:
        body["language"] = visitor.language
    return body


def _chat_request(visitor: VisitorSample, stamp: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": f"chat-{visitor.id}-{stamp}",
        "conversation_id": f"c-{visitor.id}-{stamp}",
        "visitor_id": visitor.id,
        "page_url": visitor.page_url,
        "human_requested": True,
    }
    if visitor.email:
        body["email"] = visitor.email
    if visitor.language:
        body["language"] = visitor.language
    return body


def _ended(visitor: VisitorSample, stamp: str, rep_id: str | None) -> dict[str, Any]:
    first, _, last = (visitor.name or "").partition(" ")
    domain = (visitor.email or "").partition("@")[2]
    known = COMPANY.customer_by_domain(domain)
    body: dict[str, Any] = {
        "id": f"end-{visitor.id}-{stamp}",
        "conversation_id": f"c-{visitor.id}-{stamp}",
        "kind": "ended",
        "visitor": {
            "email": visitor.email,
            "first_name": first,
            "last_name": last,
            "company": known.name if known else domain.split(".")[0].title(),
        },
        "summary": f"Asked about pricing on {visitor.page_url}; wants a demo next week.",
    }
    person = COMPANY.person_by_email(visitor.email or "")
    if person is not None:  # a Contact's new title is what the CRM is told (Q11)
        body["visitor"]["title"] = f"Senior {person.title}"
    if rep_id:
        body["rep_id"] = rep_id
    return body


async def _routed_to(context: TrafficContext, visitor: VisitorSample) -> str | None:
    decision = await context.decision(ROUTING_DECISION, f"c-{visitor.id}-{context.stamp}")
    rep = decision.outcome.get("rep") if decision is not None else None
    return str(rep) if rep else None


async def chat_traffic(context: TrafficContext) -> None:
    """Presence, page views, chat requests, ended chats and one booking (see the docstring)."""
    echo, stamp = context.echo, context.stamp
    for rep in COMPANY.reps:
        await context.send("PUT", f"/v1/reps/{rep.id}/status", {"status": "online"})
    echo(f"PUT /v1/reps/{{id}}/status: {len(COMPANY.reps)} reps online")
    for visitor in COMPANY.visitors:
        answer = await context.send("POST", "/v1/page-views", _page_view(visitor, stamp))
        echo(f"POST /v1/page-views {visitor.id} ({visitor.ip}) -> event {answer['event_id']}")
    await context.settle()
    for visitor in COMPANY.visitors:
        answer = await context.send("POST", "/v1/chat-requests", _chat_request(visitor, stamp))
        echo(f"POST /v1/chat-requests {visitor.id} -> event {answer['event_id']}")
    await context.settle()
    talkers = [v for v in COMPANY.visitors if v.email and v.name]
    for visitor in talkers:
        rep_id = await _routed_to(context, visitor)
        answer = await context.send(
            "POST", "/v1/conversation-events", _ended(visitor, stamp, rep_id)
        )
        echo(f"POST /v1/conversation-events c-{visitor.id}-{stamp} ended ({visitor.email})")
    if not talkers:
        return
    first = talkers[0]
    rep_id = await _routed_to(context, first)
    if rep_id not in {r.id for r in COMPANY.reps}:  # the AI rep has no calendar
        known = COMPANY.customer_by_domain((first.email or "").partition("@")[2])
        rep_id = known.owner if known else COMPANY.reps[0].id
    start = (datetime.now(UTC) + timedelta(days=1)).replace(
        hour=15, minute=0, second=0, microsecond=0
    )
    await context.send(
        "POST",
        "/v1/meetings",
        {
            "id": f"meet-{first.id}-{stamp}",
            "rep_id": rep_id,
            "attendee_email": first.email,
            "start": start.isoformat(),
            "duration_minutes": 30,
        },
    )
    echo(f"POST /v1/meetings {first.email} with {rep_id} at {start:%Y-%m-%d %H:%M} UTC")
