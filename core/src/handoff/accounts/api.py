"""The accounts flow's API under /v1 (P1-P6, Q14).

- `GET /v1/accounts/tiers`: how many pooled accounts hold each tier.
- `GET /v1/accounts/{id}/rank`: its tier, auto rank, override and why.
- `POST /v1/accounts/{id}/rank`: an AE sets the rank (`{"tier", "by", "why"}`),
  or clears the override (`{"tier": null, ...}`); stored as an event, 202.
- `GET /v1/accounts/{id}/history`: every rank change (P3).
- `GET /v1/accounts/{id}/signals`: its signals over time (Q14).
- `GET /v1/cases`: the latest cases and hand-offs, with why (P4-P6).
- `POST /v1/hand-offs`: a pooled customer asking for sales help (P4); the
  answer carries the self-service landing page to point them to.
  `POST /v1/cases`, `/v1/survey-responses`, `/v1/hand-raises` and
  `/v1/account-signals` are the flow's intake.

Without the table a route needs, it answers 409 naming it.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from handoff.accounts.intake import HandOff
from handoff.accounts.kinds import HAND_OFF, RANK_OVERRIDE
from handoff.accounts.overrides import override_event
from handoff.accounts.queries import case_rows, history_rows, rank_of, signal_rows, tier_counts
from handoff.accounts.settings import AccountsSettings
from handoff.api_keys import Scope
from handoff.flow import FlowContext
from handoff.runtime import record_events
from handoff.server.access import Caller, require_scope
from handoff.server.models import Accepted, Refused, Text
from handoff.server.responses import refused
from handoff_sdk.entities import Event

__all__ = ["HandOffAccepted", "account_routes", "case_routes"]

AccountPath = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9]{1,100}$", description="The CRM's id of the account.")
]
_NO_ACCOUNTS = "no [accounts] table in handoff.toml: pooled accounts are off"
_NO_CASES = "no [cases] table in handoff.toml: cases are off"
_R409: dict[int | str, dict[str, Any]] = {409: {"model": Refused, "description": "Flow part off."}}


class RankChange(BaseModel):
    """An AE's manual rank (P3): it holds until cleared (`tier` null clears it)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    id: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        description="The sender's id of this change: the same id is applied once."
    )
    tier: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        description="The tier to hold, one of the tier table's; null clears the override."
    )
    by: Annotated[str, Field(min_length=1, max_length=200)] = Field(description="The AE.")
    why: Text | None = Field(default=None, description="Why (kept in the history).")


def account_routes(context: FlowContext[AccountsSettings]) -> APIRouter:
    """The /v1/accounts router over the hub's store."""
    router = APIRouter(
        prefix="/v1/accounts", tags=["accounts"], dependencies=[require_scope(Scope.OPS)]
    )
    store, clock, settings = context.store, context.clock, context.settings.accounts

    @router.get("/tiers", responses=_R409)
    async def get_tiers() -> Any:
        """How many pooled accounts hold each tier now (P2)."""
        if settings is None:
            return refused(409, _NO_ACCOUNTS)

        def read() -> dict[str, int]:
            with store.sessions() as session:
                return tier_counts(session)

        return {"tiers": await asyncio.to_thread(read)}

    @router.get("/{account_id}/rank", responses={**_R409, 404: {"model": Refused}})
    async def get_rank(account_id: AccountPath) -> Any:
        """The tier, the auto rank, an override, and the ranking criterion by criterion (P2, P3)."""
        if settings is None:
            return refused(409, _NO_ACCOUNTS)

        def read() -> dict[str, Any] | None:
            with store.sessions() as session:
                return rank_of(session, account_id)

        found = await asyncio.to_thread(read)
        if found is None:
            return refused(
                404, f"account {account_id} has not been ranked", "account_id", "unknown"
            )
        return found

    @router.post(
        "/{account_id}/rank",
        status_code=202,
        response_model=Accepted,
        responses={**_R409, 422: {"model": Refused}},
    )
    async def post_rank(
        account_id: AccountPath,
        body: RankChange,
        caller: Annotated[Caller, require_scope(Scope.OPS)],
    ) -> Any:
        """An AE sets the rank (it holds until cleared) or clears the override (P3).

        The stored change names the key that made it (`key`) beside the AE (`by`).
        """
        if settings is None:
            return refused(409, _NO_ACCOUNTS)
        tiers = settings.tier_names()
        if body.tier is not None and body.tier not in tiers:
            return refused(422, "unknown tier", "tier", f"expected one of {tiers}")
        event = override_event(
            account_id,
            body.tier,
            by=body.by,
            why=body.why,
            request_id=body.id,
            now=clock.now(),
            key=caller.actor,
        )

        def write() -> Accepted:
            with store.transaction() as session:
                [stored] = record_events(session, [event], now=clock.now())
            return Accepted(event_id=stored.id, type=RANK_OVERRIDE, duplicate=not stored.created)

        return await asyncio.to_thread(write)

    @router.get("/{account_id}/history", responses=_R409)
    async def get_history(account_id: AccountPath) -> Any:
        """The Account Rank Notes History as the hub keeps it: who, when, from, to, why (P3)."""
        if settings is None:
            return refused(409, _NO_ACCOUNTS)

        def read() -> list[dict[str, Any]]:
            with store.sessions() as session:
                return history_rows(session, account_id)

        return {"account_id": account_id, "history": await asyncio.to_thread(read)}

    @router.get("/{account_id}/signals", responses=_R409)
    async def get_signals(
        account_id: AccountPath, limit: Annotated[int, Query(ge=1, le=5000)] = 500
    ) -> Any:
        """The account's engagement and intent readings, newest first (Q14)."""
        if settings is None:
            return refused(409, _NO_ACCOUNTS)

        def read() -> list[dict[str, Any]]:
            with store.sessions() as session:
                return signal_rows(session, account_id, limit)

        return {"account_id": account_id, "signals": await asyncio.to_thread(read)}

    return router


class HandOffAccepted(Accepted):
    """A hand-off stored (P4): the worker checks the pool and opens the case."""

    landing_page: str | None = Field(
        description="The self-service landing page to point the customer to next time."
    )
    message: str = Field(description="What to tell the customer.")


def case_routes(context: FlowContext[AccountsSettings]) -> APIRouter:
    """The cases router: the latest cases, with why, and hand-offs (P4-P6)."""
    router = APIRouter(prefix="/v1", tags=["cases"])
    store, clock, settings = context.store, context.clock, context.settings.cases
    accounts = context.settings.accounts
    landing = accounts.landing_page if accounts else None

    @router.get("/cases", responses=_R409, dependencies=[require_scope(Scope.OPS)])
    async def list_cases(limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Any:
        """The latest cases opened (or not) and hand-offs, newest first (P4-P6)."""
        if settings is None:
            return refused(409, _NO_CASES)

        def read() -> list[dict[str, Any]]:
            with store.sessions() as session:
                return case_rows(session, limit)

        return {"cases": await asyncio.to_thread(read)}

    @router.post(
        "/hand-offs",
        status_code=202,
        response_model=HandOffAccepted,
        responses={**_R409, 422: {"model": Refused, "description": "Invalid body."}},
        dependencies=[require_scope(Scope.INGEST)],
    )
    async def hand_off(body: HandOff) -> Any:
        """A pooled customer asked for sales help (P4); answered with the landing page.

        Stored before the answer; the worker checks the account is owned by
        the Pooled Sales User and opens a case for the Pooled AE team.
        """
        if settings is None:
            return refused(409, _NO_CASES)
        now = clock.now()
        event = Event(
            type=HAND_OFF,
            source="hub",
            dedupe_key=f"{HAND_OFF}:{body.id}",
            occurred_at=body.occurred_at or now,
            payload=body.to_payload(),
        )

        def write() -> HandOffAccepted:
            with store.transaction() as session:
                [stored] = record_events(session, [event], now=now)
            tell = (
                f"Next time you need sales help, use {landing}"
                if landing
                else "A Pooled AE will be in touch."
            )
            return HandOffAccepted(
                event_id=stored.id,
                type=HAND_OFF,
                duplicate=not stored.created,
                landing_page=landing,
                message=tell,
            )

        return await asyncio.to_thread(write)

    return router
