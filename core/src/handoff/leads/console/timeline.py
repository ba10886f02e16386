"""Leads on the console: a searchable list, and one lead's timeline with why each step happened.

Everything shown is what the leads flow stored, read with its own
functions: the list is `search_leads`, a lead is `lead_json` over
`get_lead` and `transitions_of` (what `GET /v1/leads/{email}` and `handoff
leads show` give), its decisions are `explain_ref("lead:<email>")` (what
`handoff leads explain` prints), each linking to the Decisions page. The
score breakdown is the one stored with the score (D4), beside the
configured points, caps and MQL threshold; nothing is scored again here.

Ops see every lead; a rep user sees the leads their rep owns (`owner_rep`)
and no other: another's is a 403, by list and by URL alike.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from handoff.api_keys import Scope
from handoff.console import ConsoleError, Viewer, render, require_role
from handoff.console.decisions import rep_owned
from handoff.leads.bant import CRITERIA
from handoff.leads.kinds import MQL_DECISION
from handoff.leads.records import get_lead, lead_json, lead_key, search_leads, transitions_of
from handoff.leads.settings import LeadsConfig
from handoff.runtime.explain import explain_ref
from handoff.store import Store

__all__ = ["SHOWN", "lead_pages", "search_params"]

SHOWN = 100
"""At most this many leads on the list (the most recently changed)."""
TEXT_MAX = 200
"""The longest search text."""


def _printable(value: str, limit: int) -> bool:
    return len(value) <= limit and not any(ord(c) < 32 for c in value)


def search_params(
    config: LeadsConfig, viewer: Viewer, q: str | None, status: str | None, owner: str | None
) -> tuple[str, str | None, str | None]:
    """The list's search (text, status, owner rep) from the query; a bad one is a 400 naming it.

    A rep user's search is always of their own leads (asking for another
    rep's is a 403); ops may pick any rep of `[[leads.assignment.reps]]`.
    """
    text = (q or "").strip()
    if not _printable(text, TEXT_MAX):
        raise ConsoleError(400, f"q: expected up to {TEXT_MAX} printable characters")
    chosen = status or None
    statuses = config.status.statuses()
    if chosen is not None and chosen not in statuses:
        raise ConsoleError(
            400, f"status: expected one of {', '.join(statuses)}, got {chosen[:50]!r}"
        )
    rep = viewer.rep_scope((owner or "").strip() or None)
    if viewer.role is not Scope.REP and rep is not None and config.assignment.rep(rep) is None:
        raise ConsoleError(400, f"owner: no rep {rep[:50]!r} in [[leads.assignment.reps]]")
    return text, chosen, rep


def _score(config: LeadsConfig, lead: dict[str, Any]) -> dict[str, Any]:
    """The stored breakdown (D4) beside the configured points and caps of each part."""
    stored = lead["score_breakdown"] or {}
    behaviour = []
    for kind, part in sorted((stored.get("behaviour") or {}).items()):
        rule = config.scoring.points_for(kind)
        behaviour.append(
            {
                "kind": kind,
                "points": part.get("points", 0),
                "events": part.get("events", 0),
                "last": part.get("at"),
                "each": rule.points if rule else None,
                "cap": rule.cap if rule else None,
                "half_life_days": rule.half_life_days if rule else None,
            }
        )
    demographic = stored.get("demographic") or {}
    return {
        "behaviour": behaviour,
        "demographic": demographic.get("matched") or [],
        "demographic_points": demographic.get("points", 0),
        "total": lead["score"],
        "threshold": config.scoring.threshold,
    }


def _bant(config: LeadsConfig, lead: dict[str, Any]) -> dict[str, Any]:
    """Soft-BANT as recorded (D3): each criterion met, not met or unknown; who recorded it."""
    stored = lead["bant"] or {}
    return {
        "criteria": [(name, stored.get(name)) for name in CRITERIA],
        "met": stored.get("met") or [],
        "qualify_at": config.bant.qualify_at,
        "by": stored.get("by"),
        "at": stored.get("at"),
        "recorded": bool(stored),
    }


def lead_pages(store: Store, config: LeadsConfig) -> APIRouter:
    """The lead list and one lead's page."""
    router = APIRouter()

    @router.get("/leads")
    async def leads_page(
        request: Request,
        viewer: Annotated[Viewer, require_role(Scope.REP, Scope.OPS)],
        q: str | None = None,
        status: str | None = None,
        owner: str | None = None,
    ) -> Response:
        """The leads matching a search (text, status, owner), most recently changed first."""
        text, chosen, rep = search_params(config, viewer, q, status, owner)

        def read() -> tuple[list[dict[str, Any]], int]:
            with store.sessions() as session:
                rows, total = search_leads(
                    session, text=text, status=chosen, owner_rep=rep, limit=SHOWN
                )
                return [lead_json(row) for row in rows], total

        leads, total = await asyncio.to_thread(read)
        return render(
            request,
            "leads/list.html",
            {
                "leads": leads,
                "total": total,
                "q": text,
                "status": chosen or "",
                "owner": rep or "",
                "statuses": config.status.statuses(),
                "reps": config.assignment.reps,
                "threshold": config.scoring.threshold,
            },
        )

    @router.get("/leads/{lead_id}")
    async def lead_page(
        request: Request,
        lead_id: str,
        viewer: Annotated[Viewer, require_role(Scope.REP, Scope.OPS)],
    ) -> Response:
        """One lead: status history with who and why, score breakdown, Soft-BANT, its decisions."""
        if not _printable(lead_id, 320):
            raise ConsoleError(404, "No such lead: a lead's id is its email (up to 320 characters)")
        key = lead_key(lead_id)

        def read() -> tuple[dict[str, Any], list[dict[str, Any]], int] | None:
            with store.sessions() as session:
                row = get_lead(session, key, lock=False)
                if row is None:
                    return None
                if viewer.role is Scope.REP and row.owner_rep != viewer.user.rep_id:
                    raise ConsoleError(
                        403,
                        f"Lead {key} is not yours (rep '{viewer.user.rep_id}'): "
                        "a rep sees the leads they own",
                    )
                lead = lead_json(row, transitions_of(session, key))
                decisions = explain_ref(session, f"lead:{key}")["decisions"]
                if viewer.role is not Scope.REP:
                    return lead, decisions, 0
                mine = rep_owned(session, viewer.user.rep_id or "", decisions)
                kept = [d for d in decisions if d["id"] in mine]
                return lead, kept, len(decisions) - len(kept)

        found = await asyncio.to_thread(read)
        if found is None:
            raise ConsoleError(404, f"No lead {key[:320]}")
        lead, decisions, hidden = found
        shown = {d["id"] for d in decisions}
        mql = next((d for d in reversed(decisions) if d["kind"] == MQL_DECISION), None)
        return render(
            request,
            "leads/lead.html",
            {
                "lead": lead,
                "history": list(reversed(lead["history"])),
                "score": _score(config, lead),
                "bant": _bant(config, lead),
                "decisions": list(reversed(decisions)),
                "linkable": shown,
                "hidden": hidden,
                "mql": mql,
                "allowed_next": config.status.allowed_next(lead["status"]),
            },
        )

    return router
