"""Scorecard (Q7): the curated answers, paged; add, edit and remove them.

The list is `list_entries` and `count_entries`; adding, editing and
removing are `add_scorecard_entry`, `edit_scorecard_entry` and
`remove_scorecard_entry` (handoff.ai.studio.changes: the functions of the
API and the CLI), audited as `console:<name>`. A field the Scorecard
refuses re-shows the form with the error under that field (400); a question
another entry already answers names that entry (409). Ops only.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from handoff.ai.console.forms import Paging, form_text, paging
from handoff.ai.settings import AiSettings
from handoff.ai.studio.changes import (
    SCORECARD_SUBJECT,
    add_scorecard_entry,
    edit_scorecard_entry,
    remove_scorecard_entry,
)
from handoff.ai.studio.scorecard import (
    KINDS,
    ScorecardConflictError,
    ScorecardEntry,
    ScorecardError,
    count_entries,
    get_entry,
    list_entries,
)
from handoff.api_keys import Scope
from handoff.console import PREFIX, ConsoleError, Viewer, render, require_role
from handoff.flow import FlowContext
from handoff.runtime import audit_trail

__all__ = ["SCORECARD_ACTIONS", "Problem", "entry_fields", "scorecard_pages"]

SCORECARD_ACTIONS = (
    "ai.scorecard.add",
    "ai.scorecard.edit",
    "ai.scorecard.remove",
    "ai.inbox.promote",
)
"""The audit actions the page lists (written by handoff.ai.studio.changes)."""
_FIELDS = ("question", "answer", "kind", "link")
_LIMITS = {"question": 2000, "answer": 4000, "link": 2000}


class Problem:
    """A refused form: the field at fault and the message naming it, shown under that field."""

    def __init__(self, field: str, message: str, status: int = 400) -> None:
        self.field = field
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message

    @classmethod
    def of(cls, exc: ScorecardError) -> Problem:
        """The Scorecard's refusal ("field: why") as a form's problem."""
        field, _, _ = str(exc).partition(":")
        status = 409 if isinstance(exc, ScorecardConflictError) else 400
        return cls(field if field in _FIELDS else "question", str(exc), status)


def entry_fields(form: dict[str, str]) -> dict[str, Any]:
    """A form's question, answer, kind and link as the Scorecard takes them; Problem when too long.

    An empty link is none; lengths are the API's (question 2,000, answer
    4,000, link 2,000 characters); the rest is the Scorecard's own checks.
    """
    for field, limit in _LIMITS.items():
        if len(form.get(field, "")) > limit:
            raise ScorecardError(f"{field}: at most {limit} characters, got {len(form[field])}")
    link = form.get("link", "").strip()
    return {
        "question": form.get("question", ""),
        "answer": form.get("answer", ""),
        "kind": form.get("kind", "") or "dictated",
        "link": link or None,
    }


def scorecard_pages(context: FlowContext[AiSettings]) -> APIRouter:
    """The Scorecard page, an entry's edit page, and the add, edit and remove forms."""
    router = APIRouter()
    store, clock = context.store, context.clock

    async def show(
        request: Request,
        pages: Paging,
        *,
        form: dict[str, str] | None = None,
        problem: Problem | None = None,
        notice: str | None = None,
    ) -> Response:
        def read() -> dict[str, Any]:
            with store.sessions() as session:
                return {
                    "entries": list_entries(session, limit=pages.size, offset=pages.offset),
                    "total": count_entries(session),
                    "trail": audit_trail(
                        session, actions=SCORECARD_ACTIONS, subject_type=SCORECARD_SUBJECT
                    ),
                }

        found = await asyncio.to_thread(read)
        return render(
            request,
            "ai/scorecard.html",
            {
                **found,
                "paging": pages.of(found["total"]),
                "kinds": KINDS,
                "form": form or {"kind": "dictated"},
                "problem": problem,
                "notice": notice,
            },
            status=problem.status if problem is not None else 200,
        )

    def edit_page(
        request: Request, entry: ScorecardEntry, form: dict[str, str], problem: Problem | None
    ) -> Response:
        return render(
            request,
            "ai/scorecard_entry.html",
            {"entry": entry, "form": form, "kinds": KINDS, "problem": problem},
            status=problem.status if problem is not None else 200,
        )

    def entry_or_404(entry_id: int) -> ScorecardEntry:
        with store.sessions() as session:
            entry = get_entry(session, entry_id)
        if entry is None:
            raise ConsoleError(404, f"entry_id: Scorecard entry {entry_id} does not exist")
        return entry

    @router.get("/ai/scorecard")
    async def scorecard_page(
        request: Request, _viewer: Annotated[Viewer, require_role(Scope.OPS)]
    ) -> Response:
        """The entries, newest first and paged; the add form; who changed what."""
        done = request.query_params.get("done")
        entry = request.query_params.get("entry", "")
        said = {"add": "added", "edit": "saved", "remove": "removed"}.get(done or "")
        notice = f"Scorecard entry {entry} {said}." if said and entry.isdigit() else None
        return await show(request, paging(request), notice=notice)

    @router.post("/ai/scorecard")
    async def add(request: Request, viewer: Annotated[Viewer, require_role(Scope.OPS)]) -> Response:
        """Put a curated answer on the Scorecard; a refused field re-shows the form naming it."""
        form = await form_text(request, *_FIELDS)

        def write() -> ScorecardEntry:
            with store.transaction() as session:
                return add_scorecard_entry(
                    session, **entry_fields(form), actor=viewer.actor, now=clock.now()
                )

        try:
            entry = await asyncio.to_thread(write)
        except ScorecardError as exc:
            return await show(request, Paging(1), form=form, problem=Problem.of(exc))
        return RedirectResponse(f"{PREFIX}/ai/scorecard?done=add&entry={entry.id}", status_code=303)

    @router.get("/ai/scorecard/{entry_id}")
    async def entry_page(
        request: Request, entry_id: int, _viewer: Annotated[Viewer, require_role(Scope.OPS)]
    ) -> Response:
        """An entry's edit form."""
        entry = await asyncio.to_thread(entry_or_404, entry_id)
        form = {
            "question": entry.question,
            "answer": entry.answer,
            "kind": entry.kind,
            "link": entry.link or "",
        }
        return edit_page(request, entry, form, None)

    @router.post("/ai/scorecard/{entry_id}")
    async def edit(
        request: Request, entry_id: int, viewer: Annotated[Viewer, require_role(Scope.OPS)]
    ) -> Response:
        """Save an entry's new question, answer, kind or link; audited with what it was."""
        form = await form_text(request, *_FIELDS)
        entry = await asyncio.to_thread(entry_or_404, entry_id)

        def write() -> ScorecardEntry | None:
            with store.transaction() as session:
                return edit_scorecard_entry(
                    session, entry_id, **entry_fields(form), actor=viewer.actor, now=clock.now()
                )

        try:
            saved = await asyncio.to_thread(write)
        except ScorecardError as exc:
            return edit_page(request, entry, form, Problem.of(exc))
        if saved is None:
            raise ConsoleError(404, f"entry_id: Scorecard entry {entry_id} does not exist")
        return RedirectResponse(
            f"{PREFIX}/ai/scorecard?done=edit&entry={entry_id}", status_code=303
        )

    @router.post("/ai/scorecard/{entry_id}/remove")
    async def remove(entry_id: int, viewer: Annotated[Viewer, require_role(Scope.OPS)]) -> Response:
        """Take an entry off the Scorecard; audited."""

        def write() -> ScorecardEntry | None:
            with store.transaction() as session:
                return remove_scorecard_entry(
                    session, entry_id, actor=viewer.actor, now=clock.now()
                )

        if await asyncio.to_thread(write) is None:
            raise ConsoleError(404, f"entry_id: Scorecard entry {entry_id} does not exist")
        return RedirectResponse(
            f"{PREFIX}/ai/scorecard?done=remove&entry={entry_id}", status_code=303
        )

    return router
