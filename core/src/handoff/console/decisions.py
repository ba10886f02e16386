"""Decisions: find the decisions about a visitor, lead, account, ticket or conversation, and why.

Each decision is shown as `handoff explain` shows it (`explain_ref`,
`why_of`, `details_of`): what was decided, the rule that matched and the
ones that did not, the reps skipped and why, the counterfactual, the other
reasons the flow stored, and the jobs it caused. Flows add their actions on
a decision (the chat flow's misroute flag) with `ConsolePages.decision_parts`.

A rep user sees the decisions about their own rep's work only
(`rep_owned`): a decision whose outcome gave the work to the rep
(`outcome.rep`, as routing, lead assignment and claims store it), and every
other decision about the same subject (the conversation routed to them, the
lead assigned to them). Another decision is refused (403), by search and by
URL alike.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.api_keys import Scope
from handoff.console.web import (
    ConsoleError,
    ConsolePages,
    NavItem,
    Viewer,
    console_of,
    render,
    require_role,
)
from handoff.runtime.explain import details_of, explain_ref
from handoff.store import Decision

__all__ = ["SEARCH_KINDS", "decision_pages", "parse_ref", "rep_owned", "shown_decisions"]

SEARCH_KINDS = ("any", "visitor", "lead", "account", "ticket", "conversation", "decision", "event")
"""What the search form looks for: a subject's type, a decision or event id, or any id."""
SHOWN = 100
"""At most this many decisions on a page (the newest)."""


def parse_ref(kind: str | None, ident: str | None) -> str | None:
    """The `handoff explain` reference the search form asks for; None when it is empty.

    Raises ConsoleError (400) naming the field: an unknown kind, an id over
    200 characters or with control characters, a decision or event id that
    is not a number.
    """
    ident = (ident or "").strip()
    kind = kind or "any"
    if kind not in SEARCH_KINDS:
        raise ConsoleError(400, f"kind: expected one of {', '.join(SEARCH_KINDS)}, got {kind!r}")
    if not ident:
        return None
    if len(ident) > 200 or any(ord(c) < 32 for c in ident):
        raise ConsoleError(400, "id: expected 1-200 printable characters")
    if kind in ("decision", "event") and not ident.isdigit():
        raise ConsoleError(400, f"id: a {kind} id is a number, got {ident!r}")
    return ident if kind == "any" else f"{kind}:{ident}"


def _split(subject: str) -> tuple[str, str]:
    kind, _, ident = subject.partition(":")
    return kind, ident


def _rep_of(outcome: dict[str, Any]) -> object:
    """The rep a decision gave its subject to: `rep`, or `owner.rep` (a lead's assignment)."""
    owner = outcome.get("owner")
    return outcome.get("rep") or (owner.get("rep") if isinstance(owner, dict) else None)


def rep_owned(session: Session, rep: str, decisions: Sequence[dict[str, Any]]) -> set[int]:
    """The ids of `decisions` (explain_ref's) about `rep`'s work.

    A decision is the rep's when its outcome's `rep` is them (or its
    `owner.rep`, as a lead's assignment stores it), or when a decision about
    the same subject gave that subject to them (so a rep sees the whole of
    the conversation or lead they were given).
    """
    owned = {d["id"] for d in decisions if _rep_of(d["outcome"]) == rep}
    theirs = {d["subject"] for d in decisions if d["id"] in owned}
    rest = {d["subject"] for d in decisions} - theirs
    by_type: dict[str, set[str]] = {}
    for subject in rest:
        kind, ident = _split(subject)
        by_type.setdefault(kind, set()).add(ident)
    for kind, idents in sorted(by_type.items()):
        # Each subject type's ids on the (subject_type, subject_id) index, never a scan.
        rows = session.execute(
            select(Decision.subject_id, Decision.outcome).where(
                Decision.subject_type == kind, Decision.subject_id.in_(sorted(idents))
            )
        )
        theirs |= {
            f"{kind}:{i}"
            for i, outcome in rows
            if isinstance(outcome, dict) and _rep_of(outcome) == rep
        }
    return owned | {d["id"] for d in decisions if d["subject"] in theirs}


def shown_decisions(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's decisions, newest first, each with its details and outcome as text.

    What the `_decision.html` part shows; a flow's page showing decisions
    with that part (the escalated tickets') prepares them here too.
    """
    return [
        {
            **d,
            "details": details_of(d["explanation"]),
            "outcome_text": json.dumps(d["outcome"], sort_keys=True, default=str),
        }
        for d in reversed(report["decisions"])
    ]


def decision_pages() -> ConsolePages:
    """The Decisions page: the search and one decision with its explanation and jobs."""
    router = APIRouter()

    async def explained(request: Request, ref: str, viewer: Viewer) -> tuple[dict[str, Any], int]:
        """explain_ref's report, kept to the viewer's decisions; how many were left out."""
        store = console_of(request).store

        def query() -> tuple[dict[str, Any], int]:
            with store.sessions() as session:
                report = explain_ref(session, ref)
                if viewer.role is not Scope.REP:
                    return report, 0
                mine = rep_owned(session, viewer.user.rep_id or "", report["decisions"])
                kept = [d for d in report["decisions"] if d["id"] in mine]
                return {**report, "decisions": kept}, len(report["decisions"]) - len(kept)

        return await asyncio.to_thread(query)

    @router.get("/decisions")
    async def decisions_page(
        request: Request,
        viewer: Annotated[Viewer, require_role(Scope.REP, Scope.OPS)],
        kind: str | None = None,
        id: str | None = None,
    ) -> Response:
        """Search the decisions about a subject; each with its explanation and jobs."""
        ref = parse_ref(kind, id)
        context: dict[str, Any] = {
            "kinds": SEARCH_KINDS,
            "kind": kind or "any",
            "ident": (id or "").strip(),
            "ref": ref,
            "decisions": [],
            "events": [],
            "hidden": 0,
            "total": 0,
        }
        if ref is not None:
            report, hidden = await explained(request, ref, viewer)
            shown = shown_decisions(report)
            context.update(
                decisions=shown[:SHOWN],
                total=len(shown),
                events=report["events"] if viewer.role is not Scope.REP else [],
                hidden=hidden,
                parts=console_of(request).decision_parts,
            )
        return render(request, "decisions.html", context)

    @router.get("/decisions/{decision_id}")
    async def decision_page(
        request: Request,
        decision_id: str,
        viewer: Annotated[Viewer, require_role(Scope.REP, Scope.OPS)],
    ) -> Response:
        """One decision, as `handoff explain decision:ID` shows it, with its jobs and flags."""
        if not decision_id.isdigit() or len(decision_id) > 18:
            raise ConsoleError(404, f"No decision '{decision_id[:50]}': a decision id is a number")
        report, hidden = await explained(request, f"decision:{int(decision_id)}", viewer)
        if hidden:
            raise ConsoleError(
                403,
                f"Decision {int(decision_id)} is not about your work (rep "
                f"'{viewer.user.rep_id}'): it is another rep's",
            )
        if not report["decisions"]:
            raise ConsoleError(404, f"No decision {int(decision_id)}")
        return render(
            request,
            "decision.html",
            {
                "d": shown_decisions(report)[0],
                "events": report["events"],
                "parts": console_of(request).decision_parts,
            },
        )

    return ConsolePages(
        router=router,
        nav=(NavItem("Decisions", "/decisions", (Scope.REP, Scope.OPS), order=40),),
    )
