"""The rep view under /v1 (rule Q11): what the chat tool shows the rep about the visitor.

- `GET /v1/conversations/{conversation_id}/rep-view`: the conversation's email
  (from its stored events), the CRM's Lead or Contact for it
  (`handoff_find_person`), and the `[writeback]` shown fields of that person,
  in configured order (`handoff.chat.writeback.rep_view.rep_view`).

The hub cannot answer without `[writeback]` in handoff.toml and its `crm`
connector enabled: that is a 409, not a 5xx, since it is the configuration
that is missing. A failed CRM lookup is a 502 with the connector's message.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any, Literal

import httpx
from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from handoff.api_keys import Scope
from handoff.chat.settings import ChatSettings
from handoff.chat.writeback.conversation import load_conversation
from handoff.chat.writeback.rep_view import rep_view
from handoff.flow import FlowContext
from handoff.server.access import require_scope
from handoff.server.models import Refused
from handoff.server.responses import refused
from handoff_sdk import ConnectorError
from handoff_sdk.entities import Contact
from handoff_sdk.secrets import redact_secrets

__all__ = ["PersonRef", "RepView", "ShownLine", "rep_view_routes"]

log = logging.getLogger("handoff.server")

IdPath = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$")]
FIND_PERSON = "handoff_find_person"


class PersonRef(BaseModel):
    """Who the CRM says the visitor is."""

    type: Literal["lead", "contact"] = Field(description="A Lead or a Contact.")
    id: str | None = Field(description="Its id in the CRM (ids.<crm>), when the CRM gave one.")


class ShownLine(BaseModel):
    """One line shown to the rep: a configured label and the person's value."""

    label: str = Field(description="The label from shown_lead_fields / shown_contact_fields.")
    value: str = Field(description="The value, as text ('' only with show_empty).")


class RepView(BaseModel):
    """What the rep is shown about a conversation's visitor (Q11)."""

    conversation_id: str = Field(description="The conversation.")
    email: str | None = Field(description="The visitor's email from the stored events, if any.")
    crm: str = Field(description="The CRM connector asked ([writeback] crm).")
    person: PersonRef | None = Field(description="The Lead or Contact found; null when nobody.")
    fields: list[ShownLine] = Field(description="The configured shown fields, in order.")
    why: str = Field(description="Why these fields (or none) are shown.")


_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": Refused, "description": "No events are stored about that conversation."},
    409: {
        "model": Refused,
        "description": "No [writeback] table in handoff.toml, or its crm connector is not "
        "enabled or cannot find people.",
    },
    422: {"model": Refused, "description": "Invalid conversation id."},
    502: {"model": Refused, "description": "The CRM lookup failed; the connector's message."},
}


def rep_view_routes(context: FlowContext[ChatSettings]) -> APIRouter:
    """The router over the hub's store; `context.hub()` gives the connectors once built."""
    router = APIRouter(prefix="/v1", tags=["conversations"])
    store, hub, writeback = context.store, context.hub, context.settings.writeback

    @router.get(
        "/conversations/{conversation_id}/rep-view",
        response_model=RepView,
        responses={**_RESPONSES},
        dependencies=[require_scope(Scope.REP, Scope.OPS)],
    )
    async def get_rep_view(conversation_id: IdPath) -> Any:
        """The Lead or Contact fields shown to the rep, as `[writeback]` configures them (Q11).

        The email is the conversation's (chat request, or a `visitor` object on
        its events); the person is the CRM's answer to `handoff_find_person`.
        """
        if writeback is None:
            return refused(
                409, "write-back is not configured (no [writeback] table in handoff.toml)"
            )
        crm = writeback.crm
        hub_now = hub()
        if hub_now is None or crm not in hub_now.implementing(FIND_PERSON):
            return refused(
                409,
                f"[writeback] crm '{crm}' is not an enabled connector that can find people "
                f"({FIND_PERSON})",
            )

        def read() -> tuple[bool, str | None]:
            with store.sessions() as session:
                data = load_conversation(session, conversation_id)
            return data is not None, data.email if data is not None else None

        known, email = await asyncio.to_thread(read)
        if not known:
            return refused(
                404, f"no conversation '{conversation_id}'", "conversation_id", "not found"
            )
        if not email:
            return RepView(
                conversation_id=conversation_id,
                email=None,
                crm=crm,
                person=None,
                fields=[],
                why="no email yet",
            )
        try:
            person = await hub_now.find_person(crm, email)
        except (ConnectorError, httpx.HTTPError) as exc:  # the CRM's failure: a 502
            log.warning("rep view: %s lookup failed", crm, exc_info=True)
            message = redact_secrets(str(exc)) or type(exc).__name__
            return refused(502, f"{crm}: person lookup failed ({message})")
        shown = rep_view(person, writeback)
        lines = [ShownLine(label=label, value=value) for label, value in shown]
        if person is None:
            return RepView(
                conversation_id=conversation_id,
                email=email,
                crm=crm,
                person=None,
                fields=lines,
                why=f"{email} is not in {crm}: nobody to show",
            )
        kind: Literal["lead", "contact"] = "contact" if isinstance(person, Contact) else "lead"
        person_id = person.ids.get(crm)
        return RepView(
            conversation_id=conversation_id,
            email=email,
            crm=crm,
            person=PersonRef(type=kind, id=person_id),
            fields=lines,
            why=f"{email} is {kind.title()} {person_id or '(no id)'} in {crm}: "
            f"the shown_{kind}_fields of [writeback]",
        )

    return router
