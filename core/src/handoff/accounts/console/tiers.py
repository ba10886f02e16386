"""Account tiers (P2, P3): the pooled accounts by tier, one account's ranking, history, override.

- `/accounts`: the pool, filtered by tier and searched by name or id, paged
  in SQL (`reads.account_page`); the tier counts (`tier_counts`) and the last
  re-rank runs' moves between tiers (`reads.rerank_runs`).
- `/accounts/{id}`: `rank_of` (the tier, the auto rank, the override, and the
  ranking worded criterion by criterion from its stored table, as `handoff
  accounts show` words it), the Account Rank Notes History (`history_rows`),
  and overrides stored but not applied yet.
- `POST /accounts/{id}/override` and `/clear`: the override event of the API
  and CLI (`overrides.override_event`), by the signed-in user
  (`console:<name>`), keyed by the form's request id so a form sent twice is
  applied once. The worker records it in the history and writes it.

Reps see the pages (pooled accounts are every Pooled AE's, P1); ops act.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from handoff.accounts.config import AccountsConfig
from handoff.accounts.console.reads import (
    NO_TIER,
    account_page,
    rerank_runs,
    waiting_overrides,
)
from handoff.accounts.overrides import override_event
from handoff.accounts.queries import history_rows, rank_of, tier_counts
from handoff.accounts.store import AccountRankRow
from handoff.api_keys import Scope
from handoff.console import (
    PREFIX,
    ConsoleError,
    Viewer,
    console_of,
    fragment,
    render,
    require_role,
)
from handoff.console.web import SECURITY_HEADERS
from handoff.runtime import record_events

__all__ = ["PAGE_SIZE", "REASON_MAX", "form_request_id", "request_id", "tier_pages"]

PAGE_SIZE = 50
"""Accounts a page of the list shows."""
REASON_MAX = 5000
"""A reason's longest length, as the API's `why` (free text)."""
SEARCH_MAX = 200
_ACCOUNT_ID = re.compile(r"^[A-Za-z0-9]{1,100}$")
"""An account id as the API's path takes it."""
_REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


def request_id() -> str:
    """A fresh id for a form: the form sent twice is stored once (the API's `id`)."""
    return uuid.uuid4().hex


def _account_id(value: str) -> str:
    if not _ACCOUNT_ID.match(value):
        raise ConsoleError(400, "account_id: expected 1-100 letters and digits (the CRM's id)")
    return value


def _page_number(value: str | None) -> int:
    if value in (None, ""):
        return 1
    if not value.isdigit() or not 1 <= int(value) <= 1_000_000:
        raise ConsoleError(400, f"page: expected a whole number from 1, got {value[:20]!r}")
    return int(value)


def _reason(form: Any, field: str = "why") -> str:
    reason = str(form.get(field) or "").strip()
    if not reason:
        raise ConsoleError(400, f"{field}: say why (it is kept in the Account Rank Notes History)")
    if len(reason) > REASON_MAX or "\x00" in reason:
        raise ConsoleError(400, f"{field}: expected up to {REASON_MAX} characters of text")
    return reason


def form_request_id(form: Any) -> str:
    """The form's id sent back (`request_id`), checked: a forged or missing one is a 400."""
    value = str(form.get("request_id") or "")
    if not _REQUEST_ID.match(value):
        raise ConsoleError(400, "request_id: the form's id is missing or wrong: reload the page")
    return value


def tier_pages(settings: AccountsConfig) -> APIRouter:
    """The tiers list, an account's page, and its override forms' actions."""
    router = APIRouter()
    tiers = settings.tier_names()

    @router.get("/accounts")
    async def accounts_page(
        request: Request, _viewer: Annotated[Viewer, require_role(Scope.REP, Scope.OPS)]
    ) -> Response:
        """Pooled accounts with their tier: filter by tier, search by name or id, paged (P2)."""
        tier = request.query_params.get("tier") or None
        if tier is not None and tier not in (*tiers, NO_TIER):
            raise ConsoleError(
                400, f"tier: expected one of {', '.join([*tiers, NO_TIER])}, got {tier[:50]!r}"
            )
        search = (request.query_params.get("q") or "").strip()
        if len(search) > SEARCH_MAX or "\x00" in search:
            raise ConsoleError(400, f"q: expected up to {SEARCH_MAX} characters")
        number = _page_number(request.query_params.get("page"))
        store = console_of(request).store
        # The filter or the pager, by htmx: the list alone (a history restore wants the page).
        partial = bool(request.headers.get("HX-Request")) and not request.headers.get(
            "HX-History-Restore-Request"
        )

        def read() -> dict[str, Any]:
            with store.sessions() as session:
                found = account_page(
                    session,
                    tier=tier,
                    search=search or None,
                    offset=(number - 1) * PAGE_SIZE,
                    limit=PAGE_SIZE,
                )
                if partial:
                    return {"accounts": found.rows, "total": found.total}
                return {
                    "accounts": found.rows,
                    "total": found.total,
                    "counts": tier_counts(session),
                    "runs": rerank_runs(session),
                }

        found = await asyncio.to_thread(read)
        pages = max(1, -(-found["total"] // PAGE_SIZE))
        query = urlencode([(k, v) for k, v in (("tier", tier), ("q", search)) if v])
        context = {
            **found,
            "tiers": tiers,
            "no_tier": NO_TIER,
            "tier": tier,
            "q": search,
            "page": number,
            "pages": pages,
            "page_size": PAGE_SIZE,
            "first": (number - 1) * PAGE_SIZE + 1,
            "filter_query": query,
        }
        if partial:
            return HTMLResponse(
                fragment(request, "accounts/_account_list.html", context),
                headers=SECURITY_HEADERS,
            )
        return render(request, "accounts/tiers.html", context)

    @router.get("/accounts/{account_id}")
    async def account_page_(
        request: Request,
        account_id: str,
        viewer: Annotated[Viewer, require_role(Scope.REP, Scope.OPS)],
    ) -> Response:
        """One account: its tier and why, criterion by criterion; its history; its override."""
        account_id = _account_id(account_id)
        store = console_of(request).store

        def read() -> dict[str, Any] | None:
            with store.sessions() as session:
                rank = rank_of(session, account_id)
                if rank is None:
                    return None
                return {
                    "rank": rank,
                    "history": list(reversed(history_rows(session, account_id))),
                    "waiting": waiting_overrides(session, account_id),
                }

        found = await asyncio.to_thread(read)
        if found is None:
            raise ConsoleError(404, f"No pooled account {account_id}: the hub has not ranked it")
        done = request.query_params.get("done")
        return render(
            request,
            "accounts/account.html",
            {
                **found,
                "tiers": tiers,
                "can_act": viewer.has(Scope.OPS),
                "request_id": request_id(),
                "done": done if done in ("set", "clear") else None,
                "duplicate": request.query_params.get("duplicate") == "1",
                "event": request.query_params.get("event", "")[:20],
            },
        )

    async def store_override(
        request: Request, account_id: str, viewer: Viewer, *, clear: bool
    ) -> Response:
        account_id = _account_id(account_id)
        form = await request.form()
        key = form_request_id(form)
        tier: str | None = None
        if not clear:
            tier = str(form.get("tier") or "")
            if tier not in tiers:
                raise ConsoleError(400, f"tier: expected one of {', '.join(tiers)}")
        why = _reason(form)
        console = console_of(request)
        now = console.clock.now()
        event = override_event(
            account_id,
            tier,
            by=viewer.actor,
            why=why,
            request_id=f"console:{key}",
            now=now,
            key=viewer.actor,
        )

        def write() -> tuple[int, bool]:
            with console.store.transaction() as session:
                row = session.get(AccountRankRow, account_id)
                if row is None:
                    raise ConsoleError(
                        404, f"No pooled account {account_id}: the hub has not ranked it"
                    )
                [stored] = record_events(session, [event], now=now)
                if clear and row.override_tier is None and stored.created:
                    raise ConsoleError(409, f"Account {account_id} has no override to clear")
                return stored.id, not stored.created

        event_id, duplicate = await asyncio.to_thread(write)
        return RedirectResponse(
            f"{PREFIX}/accounts/{account_id}?done={'clear' if clear else 'set'}"
            f"&event={event_id}&duplicate={int(duplicate)}",
            status_code=303,
        )

    @router.post("/accounts/{account_id}/override")
    async def set_override(
        request: Request, account_id: str, viewer: Annotated[Viewer, require_role(Scope.OPS)]
    ) -> Response:
        """Set the account's tier until cleared (P3), in the signed-in user's name."""
        return await store_override(request, account_id, viewer, clear=False)

    @router.post("/accounts/{account_id}/clear")
    async def clear_override(
        request: Request, account_id: str, viewer: Annotated[Viewer, require_role(Scope.OPS)]
    ) -> Response:
        """Clear the account's override (P3): the auto rank applies again."""
        return await store_override(request, account_id, viewer, clear=True)

    return router
