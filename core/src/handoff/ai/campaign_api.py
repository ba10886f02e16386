"""The AI email campaigns' switches under /v1/ai/campaigns (scope `ops`; Q16, Q17).

- `GET /v1/ai/campaigns`: each configured campaign, on or off now, and who
  switched it last.
- `POST /v1/ai/campaigns/{campaign_id}/off` and `.../on`: switch ONE
  campaign, in one audited transaction naming the API key; idempotent.

Without an `[ai.email]` table there are no campaigns (an empty list; a
switch is a 404 naming the known ones).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from sqlalchemy import select

from handoff.ai.campaigns import (
    STATE_KIND,
    CampaignSwitch,
    UnknownCampaignError,
    campaign_states,
    switch_campaign,
)
from handoff.ai.settings import AiSettings
from handoff.api_keys import Scope
from handoff.flow import FlowContext
from handoff.server.access import Caller, require_scope
from handoff.server.models import Refused
from handoff.server.responses import refused
from handoff.store import EntityRecord

__all__ = ["CampaignState", "CampaignSwitched", "campaign_routes"]

CampaignId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f/]+$")]


class CampaignState(BaseModel):
    """One AI email campaign, on or off now."""

    id: str
    enabled: bool = Field(description="On now (the switch, else the configuration).")
    configured: bool = Field(description="What handoff.toml says (`enabled`).")
    changed_by: str | None = Field(default=None, description="Who switched it last.")
    changed_at: str | None = Field(default=None, description="When.")


class CampaignList(BaseModel):
    """Every configured AI email campaign."""

    campaigns: list[CampaignState]


class CampaignSwitched(BaseModel):
    """A switch, done (or found done already)."""

    campaign: str
    enabled: bool
    was: bool
    changed: bool = Field(description="False when it was already in that state.")
    actor: str = Field(description="Who, as the audit names them (the API key).")
    decision_id: int = Field(description="`handoff explain ai_campaign:<id>`.")


def _switched(switch: CampaignSwitch) -> CampaignSwitched:
    return CampaignSwitched(
        campaign=switch.campaign,
        enabled=switch.enabled,
        was=switch.was,
        changed=switch.changed,
        actor=switch.actor,
        decision_id=switch.decision_id,
    )


def campaign_routes(context: FlowContext[AiSettings]) -> APIRouter:
    """The router over the hub's store."""
    router = APIRouter(prefix="/v1/ai", tags=["ai"])
    config = context.settings.ai
    email = config.email if config is not None else None
    store, clock = context.store, context.clock

    @router.get("/campaigns", response_model=CampaignList, dependencies=[require_scope(Scope.OPS)])
    async def list_campaigns() -> Any:
        """Q17: each AI email campaign, on or off now, and who switched it last."""

        def read() -> CampaignList:
            with store.sessions() as session:
                states = campaign_states(session, email)
                rows = {
                    row.id: row.data
                    for row in session.scalars(
                        select(EntityRecord).where(EntityRecord.type == STATE_KIND)
                    )
                }
            configured = email.configured() if email is not None else {}
            return CampaignList(
                campaigns=[
                    CampaignState(
                        id=ident,
                        enabled=on,
                        configured=configured[ident],
                        changed_by=rows.get(ident, {}).get("changed_by"),
                        changed_at=rows.get(ident, {}).get("changed_at"),
                    )
                    for ident, on in states.items()
                ]
            )

        return await asyncio.to_thread(read)

    def _switch_route(enabled: bool) -> None:
        word = "on" if enabled else "off"

        @router.post(
            f"/campaigns/{{campaign_id}}/{word}",
            response_model=CampaignSwitched,
            responses={404: {"model": Refused, "description": "No campaign with that id."}},
            name=f"campaign_{word}",
        )
        async def switch(
            campaign_id: CampaignId, caller: Annotated[Caller, require_scope(Scope.OPS)]
        ) -> Any:
            def write() -> CampaignSwitch:
                with store.transaction() as session:
                    return switch_campaign(
                        session,
                        email,
                        campaign_id,
                        enabled=enabled,
                        actor=caller.actor,
                        now=clock.now(),
                    )

            try:
                return _switched(await asyncio.to_thread(write))
            except UnknownCampaignError as exc:
                return refused(
                    404, str(exc), "campaign_id", "a campaign id from GET /v1/ai/campaigns"
                )

        switch.__doc__ = (
            f"Q17: switch ONE AI email campaign {word}, audited with the API key "
            "(idempotent; the other campaigns are untouched)."
        )

    _switch_route(enabled=False)
    _switch_route(enabled=True)
    return router
