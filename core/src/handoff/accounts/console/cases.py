"""Cases (P4-P6): the cases opened from signals, hand-offs and by hand; a case's page; a new one.

- `/cases`: `case_rows` (the API's `GET /v1/cases`), paged, each with the
  state of its CRM case job; above them, requests stored and not decided yet.
- `/cases/{decision id}`: the decision as `handoff explain decision:<id>`
  reads it (`explain_ref`): the case, its notifications, the jobs that
  create the case and send them, and why.
- `POST /cases`: a case by hand (P6), validated by the API's own model
  (`CaseRequest`: the same errors, each naming its field) and stored as the
  API stores it (`hub.case_request`, keyed by its id): the form's id is
  made when the form is shown, so the same form sent twice is one request
  (the second answer says it was already received, as the API's
  `duplicate`). `requested_by` is the signed-in user (`console:<name>`).

Ops only: cases hold customers' emails and answers, and cases for
accounts other reps own (a hand-off refused).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from handoff.accounts.console.reads import (
    case_count,
    case_states,
    known_accounts,
    waiting_requests,
)
from handoff.accounts.console.tiers import form_request_id, request_id
from handoff.accounts.intake import CaseRequest
from handoff.accounts.kinds import CASE, CASE_DECISION, CASE_REQUEST, HAND_OFF_DECISION
from handoff.accounts.queries import case_rows
from handoff.api_keys import Scope
from handoff.console import PREFIX, ConsoleError, Viewer, console_of, render, require_role
from handoff.runtime import record_events
from handoff.runtime.explain import explain_ref
from handoff_sdk.entities import Event

__all__ = ["CASE_FIELDS", "PAGE_SIZE", "case_pages"]

PAGE_SIZE = 50
"""Cases a page of the list shows."""
CASE_FIELDS = ("email", "account_id", "subject_line", "description", "source", "priority")
"""The form's fields: `CaseRequest`'s, less `id` (the form's) and `requested_by` (the user)."""
_JOB_STATES = {"queued": "opening", "running": "opening", "done": "opened", "dead": "failed"}


def _state(row: dict[str, Any], job_state: str | None) -> str:
    """What became of the case: not opened (and why), opening, opened in the CRM, failed."""
    if row.get("action") != "open":
        return "not opened"
    return _JOB_STATES.get(job_state or "", "opened in the hub only")


def _errors(exc: ValidationError) -> dict[str, str]:
    """Each bad field and what is wrong, as the API's 422 names them.

    A rule over two fields (an email or an account id) is shown at the first.
    """
    found: dict[str, str] = {}
    for error in exc.errors():
        field = ".".join(str(p) for p in error.get("loc", ())) or "email"
        found.setdefault(field, str(error.get("msg", "")).removeprefix("Value error, "))
    return found


def case_pages() -> APIRouter:
    """The cases list with its form, a case's page, and the form's action."""
    router = APIRouter()

    async def cases_view(
        request: Request,
        *,
        number: int,
        form: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
    ) -> Response:
        store = console_of(request).store

        def read() -> dict[str, Any]:
            with store.sessions() as session:
                rows = case_rows(session, PAGE_SIZE, (number - 1) * PAGE_SIZE)
                states = case_states(session, [r["decision_id"] for r in rows])
                linked = known_accounts(session, [r["account_id"] or "" for r in rows])
                for row in rows:
                    row["state"] = _state(row, states.get(row["decision_id"]))
                    row["linked"] = row["account_id"] in linked
                    row["account_name"] = linked.get(row["account_id"] or "")
                return {
                    "cases": rows,
                    "total": case_count(session),
                    "waiting": waiting_requests(session),
                }

        found = await asyncio.to_thread(read)
        requested = request.query_params.get("requested", "")
        return render(
            request,
            "accounts/cases.html",
            {
                **found,
                "page": number,
                "pages": max(1, -(-found["total"] // PAGE_SIZE)),
                "first": (number - 1) * PAGE_SIZE + 1,
                "form": form or {"source": "Manual"},
                "errors": errors or {},
                "request_id": (form or {}).get("request_id") or request_id(),
                "requested": requested if requested.isdigit() else None,
                "duplicate": request.query_params.get("duplicate") == "1",
            },
            status=400 if errors else 200,
        )

    @router.get("/cases")
    async def cases_page(
        request: Request, _viewer: Annotated[Viewer, require_role(Scope.OPS)]
    ) -> Response:
        """The latest cases, newest first, with their state; the form to open one by hand."""
        value = request.query_params.get("page") or "1"
        if not value.isdigit() or not 1 <= int(value) <= 1_000_000:
            raise ConsoleError(400, f"page: expected a whole number from 1, got {value[:20]!r}")
        return await cases_view(request, number=int(value))

    @router.post("/cases")
    async def create_case(
        request: Request, viewer: Annotated[Viewer, require_role(Scope.OPS)]
    ) -> Response:
        """Open a case by hand for a pooled customer's hand raise (P6), as `POST /v1/cases`."""
        form = await request.form()
        values = {name: str(form.get(name) or "").strip() for name in CASE_FIELDS}
        key = form_request_id(form)
        shown = {**values, "request_id": key}
        try:
            body = CaseRequest.model_validate(
                {
                    "id": f"console-{key}",
                    "requested_by": viewer.actor,
                    **{k: v for k, v in values.items() if v},
                }
            )
        except ValidationError as exc:
            return await cases_view(request, number=1, form=shown, errors=_errors(exc))
        console = console_of(request)
        now = console.clock.now()
        event = Event(
            type=CASE_REQUEST,
            source="hub",
            dedupe_key=f"{CASE_REQUEST}:{body.id}",
            occurred_at=now,
            payload=body.to_payload(),
        )

        def write() -> tuple[int, bool]:
            with console.store.transaction() as session:
                [stored] = record_events(session, [event], now=now)
            return stored.id, not stored.created

        event_id, duplicate = await asyncio.to_thread(write)
        return RedirectResponse(
            f"{PREFIX}/cases?requested={event_id}&duplicate={int(duplicate)}", status_code=303
        )

    @router.get("/cases/{decision_id}")
    async def case_page(
        request: Request,
        decision_id: str,
        _viewer: Annotated[Viewer, require_role(Scope.OPS)],
    ) -> Response:
        """One case: what was opened and why, its notifications and their jobs."""
        if not decision_id.isdigit() or len(decision_id) > 18:
            raise ConsoleError(400, "decision_id: expected the number of a case's decision")
        store = console_of(request).store

        def read() -> dict[str, Any] | None:
            with store.sessions() as session:
                report = explain_ref(session, f"decision:{int(decision_id)}")
            found = report["decisions"]
            if not found or found[0]["kind"] not in (CASE_DECISION, HAND_OFF_DECISION):
                return None
            return {"d": found[0], "events": report["events"]}

        found = await asyncio.to_thread(read)
        if found is None:
            raise ConsoleError(404, f"No case decision {decision_id}")
        decision = found["d"]
        outcome = decision["outcome"]
        return render(
            request,
            "accounts/case.html",
            {
                **found,
                "case": outcome.get("case") or {},
                "notifications": outcome.get("notifications") or [],
                "opened": outcome.get("action") == "open",
                "ref": decision["subject"].removeprefix(f"{CASE}:"),
            },
        )

    return router
