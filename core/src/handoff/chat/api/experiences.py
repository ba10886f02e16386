"""The chat AI's switch under /v1 (rule Q8): every AI experience off and its twin on, and back.

- `POST /v1/experiences/rollback-ai`: every AI experience ("X - AI") off and
  its traditional twin on, in ONE transaction, audited with the API key.
- `POST /v1/experiences/restore-ai`: the reverse.

The same switch as `handoff experiences rollback-ai|restore-ai`; idempotent.
Each AI email campaign has its own switch (`/v1/ai/campaigns`, Q17).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from handoff.api_keys import Scope
from handoff.chat.experiences import ExperienceSwitch, restore_ai, rollback_ai
from handoff.chat.settings import ChatSettings
from handoff.flow import FlowContext
from handoff.server.access import Caller, require_scope
from handoff.server.models import Refused
from handoff.server.responses import refused

__all__ = ["ExperiencesSwitched", "experience_routes"]


class SwitchedExperience(BaseModel):
    """One experience the switch turned on or off."""

    id: str
    name: str
    enabled: bool


class ExperiencesSwitched(BaseModel):
    """What the switch changed (nothing when it was in that state already)."""

    changed: list[SwitchedExperience] = Field(description="Each experience switched.")
    actor: str = Field(description="Who, as the audit names them (the API key).")


def experience_routes(context: FlowContext[ChatSettings]) -> APIRouter:
    """The router over the hub's store."""
    router = APIRouter(prefix="/v1/experiences", tags=["experiences"])
    catalog = context.settings.catalog()
    store, clock = context.store, context.clock

    def _route(restore: bool) -> None:
        name = "restore-ai" if restore else "rollback-ai"

        @router.post(
            f"/{name}",
            response_model=ExperiencesSwitched,
            responses={409: {"model": Refused, "description": "No AI experience is configured."}},
            name=name.replace("-", "_"),
        )
        async def switch(caller: Annotated[Caller, require_scope(Scope.OPS)]) -> Any:
            if not catalog.ai():
                return refused(
                    409, f"no AI experience is configured (a name ending '- AI'): nothing to {name}"
                )

            def write() -> list[ExperienceSwitch]:
                with store.transaction() as session:
                    act = restore_ai if restore else rollback_ai
                    return act(session, catalog, actor=caller.actor, now=clock.now())

            changes = await asyncio.to_thread(write)
            return ExperiencesSwitched(
                changed=[
                    SwitchedExperience(id=c.experience_id, name=c.name, enabled=c.enabled)
                    for c in changes
                ],
                actor=caller.actor,
            )

        switch.__doc__ = (
            "Q8: every AI experience back on and its twin off, audited with the API key."
            if restore
            else "Q8: every AI experience off and its traditional twin on, in one audited "
            "transaction (the chat AI's switch; idempotent)."
        )

    _route(restore=False)
    _route(restore=True)
    return router
