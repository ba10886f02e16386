"""Inbox (Q7): visitor questions grouped, with counts and samples; promote a group in one step.

The groups are `list_groups` (most asked first); Promote is
`promote_inbox_group` (handoff.ai.studio.changes: the function of `POST
/v1/ai/inbox/{id}/promote` and `handoff ai inbox promote`), audited as
`console:<name>`. The form holds the group's latest drafted answer: sent
unchanged it is accepted as is (kind `accepted`); changed, it is `edited`
(or `dictated` when there was no draft). The group then leaves the list and
the Scorecard answers its question from the next visitor turn. Ops only.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from handoff.ai.console.forms import Paging, form_text, paging
from handoff.ai.console.scorecard import Problem, entry_fields
from handoff.ai.settings import AiSettings
from handoff.ai.studio.changes import promote_inbox_group
from handoff.ai.studio.inbox import (
    UNANSWERED,
    InboxError,
    InboxGroup,
    count_groups,
    list_groups,
)
from handoff.ai.studio.scorecard import ScorecardEntry, ScorecardError
from handoff.ai.studio.tables import InboxGroupRow
from handoff.api_keys import Scope
from handoff.console import PREFIX, ConsoleError, Viewer, render, require_role
from handoff.flow import FlowContext

__all__ = ["inbox_pages", "promotion"]


def promotion(group: InboxGroupRow, form: dict[str, str]) -> dict[str, Any]:
    """What the promote form asks for, as `promote_group` takes it.

    The answer as drafted (and the question as grouped): the draft accepted
    as is. Changed: `edited` when there was a draft, else `dictated` (the
    built-in responder's "no answer, shall I connect you" is no draft).
    """
    fields = entry_fields({**form, "kind": "dictated"})
    answer = fields["answer"]
    drafted = group.answer if group.answered_by != UNANSWERED else None
    same = drafted is not None and answer.strip() == drafted.strip()
    question = fields["question"].strip()
    return {
        "answer": None if same else answer,
        "kind": None if same else ("edited" if drafted else "dictated"),
        "question": question if question and question != group.question else None,
        "link": fields["link"],
    }


def inbox_pages(context: FlowContext[AiSettings]) -> APIRouter:
    """The Inbox page and its Promote form."""
    router = APIRouter()
    store, clock = context.store, context.clock

    async def show(
        request: Request,
        *,
        notice: str | None = None,
        problem: Problem | None = None,
        failed: int | None = None,
        form: dict[str, str] | None = None,
    ) -> Response:
        pages = paging(request) if problem is None else Paging(1)

        def read() -> tuple[int, list[InboxGroup]]:
            with store.sessions() as session:
                return count_groups(session), list_groups(
                    session, limit=pages.size, offset=pages.offset
                )

        total, groups = await asyncio.to_thread(read)
        return render(
            request,
            "ai/inbox.html",
            {
                "groups": groups,
                "total": total,
                "paging": pages.of(total),
                "notice": notice,
                "problem": problem,
                "failed": failed,
                "form": form or {},
            },
            status=problem.status if problem is not None else 200,
        )

    @router.get("/ai/inbox")
    async def inbox_page(
        request: Request, _viewer: Annotated[Viewer, require_role(Scope.OPS)]
    ) -> Response:
        """The groups not yet promoted, most asked first, each with samples and a Promote form."""
        group = request.query_params.get("group", "")
        entry = request.query_params.get("entry", "")
        notice = (
            f"Group {group} promoted: Scorecard entry {entry} answers its question from now."
            if group.isdigit() and entry.isdigit()
            else None
        )
        return await show(request, notice=notice)

    @router.post("/ai/inbox/{group_id}/promote")
    async def promote(
        request: Request, group_id: int, viewer: Annotated[Viewer, require_role(Scope.OPS)]
    ) -> Response:
        """Put the group's question on the Scorecard with the answer approved, in one step."""
        form = await form_text(request, "question", "answer", "link")

        def write() -> ScorecardEntry:
            with store.transaction() as session:
                group = session.get(InboxGroupRow, group_id)
                if group is None:
                    raise InboxError(f"group_id: Inbox group {group_id} does not exist", 404)
                return promote_inbox_group(
                    session,
                    group_id,
                    actor=viewer.actor,
                    now=clock.now(),
                    **promotion(group, form),
                )

        try:
            entry = await asyncio.to_thread(write)
        except InboxError as exc:
            if exc.status != 422:
                raise ConsoleError(exc.status, str(exc)) from None
            problem = Problem("answer", str(exc))
        except ScorecardError as exc:
            problem = Problem.of(exc)
        else:
            return RedirectResponse(
                f"{PREFIX}/ai/inbox?group={group_id}&entry={entry.id}", status_code=303
            )
        return await show(request, problem=problem, failed=group_id, form=form)

    return router
