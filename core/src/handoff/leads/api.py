"""The leads API under /v1: a lead with its history and score, and what people do to it.

- `GET /v1/leads/{lead}`: the lead (by email): status, owner, score and its
  breakdown, Soft-BANT, opt-outs, and every status change with who and why.
- `POST /v1/leads/{lead}/transition`: move the lead's status (D5, Q16). A
  move the machine does not allow is a 409 naming the current status and the
  allowed next ones; nothing changes.
- `POST /v1/leads/{lead}/bant`: Soft-BANT answers (D3); 2 of 4 qualify.
- `POST /v1/leads/{lead}/claim`: a rep claims a lead offered to their team
  (D2, first notice first route); the first claim wins, a later one is a 409.
- `POST /v1/signups`: a purchase or trial webhook, signed (X-Handoff-Signature,
  D8); a bad signature is a 401 and nothing is stored.
- `POST /v1/unsubscribe/{token}`: RFC 8058 one-click unsubscribe (D7); `GET`
  shows a page with the button (a GET never unsubscribes: link scanners).
- `GET /v1/marketing/programs`: the marketing programs a rep may be shown
  beside a conversation, tagged UsedWithQualified = True (Q13).

Database work runs in a thread; every bad input is a 4xx naming the field.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from handoff.api_keys import Scope
from handoff.flow import FlowContext
from handoff.leads.handler import decide_bant, decide_claim
from handoff.leads.intake import Signup
from handoff.leads.kinds import LEAD_BANT, LEAD_CLAIM, LEAD_SUBSCRIPTION, SIGNUP
from handoff.leads.mail import BadTokenError, read_token, subscription
from handoff.leads.owners import ClaimRefused
from handoff.leads.records import get_lead, lead_json, lead_key, transitions_of
from handoff.leads.runners import hub_secret
from handoff.leads.settings import LeadsConfig, LeadsSettings
from handoff.leads.status import TransitionRefused
from handoff.leads.transitions import (
    LeadNotFoundError,
    decide_transition,
    store_and_decide,
    transition_event,
)
from handoff.runtime import record_events
from handoff.server.access import Caller, require_scope
from handoff.server.models import Ident, Refused, Text
from handoff.server.responses import refused
from handoff.store import EventRecord
from handoff_sdk.entities import Event
from handoff_sdk.webhooks import WebhookScheme, WebhookSignatureError, verify_webhook

log = logging.getLogger("handoff.leads")

__all__ = ["lead_routes", "refused_transition"]

LeadPath = Annotated[
    str,
    Path(
        min_length=3,
        max_length=320,
        pattern=r"^[^@ \x00-\x1f]+@[^@ \x00-\x1f]+$",
        description="The lead's email (its id), in any case.",
    ),
]

_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": Refused, "description": "No such lead."},
    409: {"model": Refused, "description": "The leads flow is off ([leads] is not configured)."},
    422: {"model": Refused, "description": "Invalid request; each bad field is named."},
}


class TransitionBody(BaseModel):
    """Move a lead to another status (D5, Q16)."""

    model_config = ConfigDict(extra="forbid", regex_engine="python-re", strict=True)

    to: Annotated[str, Field(min_length=1, max_length=50)] = Field(description="The new status.")
    reason: Annotated[Text, Field(min_length=1)] = Field(description="Why: kept in the history.")
    actor: Ident | None = Field(
        default=None,
        description="On whose behalf: kept beside the key's name (default: the key's name).",
    )
    id: Ident | None = Field(
        default=None, description="The sender's id of this request: same id = moved once."
    )


class BantBody(BaseModel):
    """Soft-BANT answers (D3): true met, false not met, absent unknown (kept as it was)."""

    model_config = ConfigDict(extra="forbid", regex_engine="python-re", strict=True)

    budget: bool | None = Field(default=None, description="Budget.")
    authority: bool | None = Field(default=None, description="Authority.")
    need: bool | None = Field(default=None, description="Need.")
    timeline: bool | None = Field(default=None, description="Timeline.")
    actor: Ident | None = Field(
        default=None,
        description="On whose behalf: kept beside the key's name (default: the key's name).",
    )
    id: Ident | None = Field(default=None, description="Same id = recorded once.")


class ClaimBody(BaseModel):
    """A rep claims a lead offered to their team (D2)."""

    model_config = ConfigDict(extra="forbid", regex_engine="python-re", strict=True)

    rep: Ident = Field(description="The rep's id ([[leads.assignment.reps]] id).")
    id: Ident | None = Field(default=None, description="Same id = claimed once.")


SIGNING_SECRET = "signup_secret"  # noqa: S105 - the secret's name, not its value
"""The secret purchase and trial webhooks are signed with: `HANDOFF_LEADS_SIGNUP_SECRET`."""


class TransitionRefusedOut(Refused):
    """A transition the status machine does not allow: what is allowed instead."""

    current_status: str | None = Field(
        default=None, description="The lead's status, unchanged (a refused transition)."
    )
    allowed_next: list[str] = Field(
        default_factory=list, description="The statuses it may move to (a refused transition)."
    )


def refused_transition(exc: TransitionRefused) -> JSONResponse:
    """The 409 of a refused transition: the message, the field, the current and allowed."""
    body: dict[str, Any] = {
        "error": str(exc),
        "fields": [{"field": "to", "problem": exc.why}],
        "current_status": exc.current,
        "allowed_next": exc.allowed,
    }
    return JSONResponse(status_code=409, content=body)


def off() -> JSONResponse:
    """The 409 of every leads route while `[leads]` is absent."""
    return refused(
        409, "the leads flow is off: add a [leads] table to handoff.toml (docs/leads.md)"
    )


def lead_routes(context: FlowContext[LeadsSettings]) -> APIRouter:
    """The router over the hub's store; its clock gives every stored time."""
    router = APIRouter(prefix="/v1", tags=["leads"])
    store, clock, config = context.store, context.clock, context.settings.leads

    def read(lead_id: str) -> dict[str, Any] | None:
        with store.sessions() as session:
            row = get_lead(session, lead_id, lock=False)
            return None if row is None else lead_json(row, transitions_of(session, lead_id))

    @router.get(
        "/leads/{lead_id}", responses={**_RESPONSES}, dependencies=[require_scope(Scope.OPS)]
    )
    async def get_one(lead_id: LeadPath) -> Any:
        """The lead: status, owner, score and breakdown, Soft-BANT, opt-outs, history."""
        if config is None:
            return off()
        found = await asyncio.to_thread(read, lead_id)
        if found is None:
            return refused(404, f"no lead {lead_id.lower()}", "lead_id", "not found")
        return found

    @router.post(
        "/leads/{lead_id}/transition",
        responses={
            **_RESPONSES,
            409: {
                "model": TransitionRefusedOut,
                "description": "Not a transition of the status machine (or the flow is off).",
            },
        },
    )
    async def post_transition(
        lead_id: LeadPath, body: TransitionBody, caller: Annotated[Caller, require_scope(Scope.OPS)]
    ) -> Any:
        """Move the lead's status; refused (409, nothing changes) outside the machine (D5).

        The history names the key that moved it (and `actor`, when given).
        """
        if config is None:
            return off()
        leads: LeadsConfig = config
        now = clock.now()
        event = transition_event(
            lead_id,
            body.to,
            reason=body.reason,
            actor=f"{body.actor} via {caller.actor}"[:100] if body.actor else caller.actor,
            key=body.id or uuid.uuid4().hex,
        )

        def write() -> dict[str, Any]:
            with store.transaction() as session:
                return store_and_decide(
                    session,
                    event,
                    lambda record: decide_transition(
                        session, leads.status, record, now=now, strict=True
                    ),
                    now=now,
                )

        try:
            outcome = await asyncio.to_thread(write)
        except LeadNotFoundError as exc:
            return refused(404, str(exc), "lead_id", "not found")
        except TransitionRefused as exc:
            return refused_transition(exc)
        return {**outcome, "lead": await asyncio.to_thread(read, lead_id)}

    def request(
        lead_id: str, event: Event, decide: Callable[[Session, EventRecord], int]
    ) -> dict[str, Any]:
        now = clock.now()
        with store.transaction() as session:
            return store_and_decide(session, event, lambda r: decide(session, r), now=now)

    @router.post("/leads/{lead_id}/bant", responses={**_RESPONSES})
    async def post_bant(
        lead_id: LeadPath,
        body: BantBody,
        caller: Annotated[Caller, require_scope(Scope.REP, Scope.OPS)],
    ) -> Any:
        """Record Soft-BANT (D3): 2 of 4 met -> Qualified and passed; fewer -> configured.

        Recorded under the key's name (and `actor`, when given).
        """
        if config is None:
            return off()
        leads: LeadsConfig = config
        answers = body.model_dump(include={"budget", "authority", "need", "timeline"})
        event = Event(
            type=LEAD_BANT,
            source="api",
            dedupe_key=f"bant:{body.id or uuid.uuid4().hex}",
            payload={
                "lead": lead_key(lead_id),
                "answers": {k: v for k, v in answers.items() if v is not None},
                "actor": f"{body.actor} via {caller.actor}"[:100] if body.actor else caller.actor,
                "subject": {"type": "lead", "id": lead_key(lead_id)},
            },
        )
        try:
            outcome = await asyncio.to_thread(
                request,
                lead_id,
                event,
                lambda s, r: decide_bant(s, leads, r, now=clock.now(), strict=True),
            )
        except LeadNotFoundError as exc:
            return refused(404, str(exc), "lead_id", "not found")
        except TransitionRefused as exc:
            return refused_transition(exc)
        return {**outcome, "lead": await asyncio.to_thread(read, lead_id)}

    @router.post("/leads/{lead_id}/claim", responses={**_RESPONSES})
    async def post_claim(
        lead_id: LeadPath, body: ClaimBody, caller: Annotated[Caller, require_scope(Scope.REP)]
    ) -> Any:
        """Claim a lead offered to your team (D2): the first claim wins; later ones are a 409.

        A rep key claims for its own rep only.
        """
        caller.act_for(body.rep, field="rep")
        if config is None:
            return off()
        leads: LeadsConfig = config
        event = Event(
            type=LEAD_CLAIM,
            source="api",
            dedupe_key=f"claim:{body.id or uuid.uuid4().hex}",
            payload={
                "lead": lead_key(lead_id),
                "rep": body.rep,
                "subject": {"type": "lead", "id": lead_key(lead_id)},
            },
        )
        try:
            outcome = await asyncio.to_thread(
                request,
                lead_id,
                event,
                lambda s, r: decide_claim(s, leads, r, now=clock.now(), strict=True),
            )
        except LeadNotFoundError as exc:
            return refused(404, str(exc), "lead_id", "not found")
        except ClaimRefused as exc:
            return JSONResponse(
                status_code=409,
                content={
                    "error": str(exc),
                    "fields": [{"field": "rep", "problem": exc.why}],
                    "owner": exc.owner,
                },
            )
        return {**outcome, "lead": await asyncio.to_thread(read, lead_id)}

    @router.post(
        "/signups",
        status_code=202,
        responses={
            401: {"model": Refused, "description": "Missing or wrong X-Handoff-Signature."},
            **_RESPONSES,
        },
    )
    async def post_signup(request_: Request) -> Any:
        """A purchase or trial webhook, signed (D8): forwarded, the team told, Buy Now kept."""
        if config is None:
            return off()
        secret = hub_secret(context.config, SIGNING_SECRET)
        if not secret:
            # The sender learns nothing of the hub's set-up; the log names the secret.
            log.error("signup webhook refused: HANDOFF_LEADS_SIGNUP_SECRET is not set")
            return refused(503, "signups are not set up on this hub yet; nothing was stored")
        raw = await request_.body()
        try:
            verify_webhook(
                WebhookScheme.HANDOFF,
                secret=secret,
                headers=dict(request_.headers),
                body=raw,
                clock=clock,
                connector="leads",
            )
        except WebhookSignatureError as exc:
            return refused(401, str(exc), "X-Handoff-Signature", "a valid signature")
        try:
            body = Signup.model_validate(json.loads(raw or b"null"))
        except ValueError as exc:
            problems = exc.errors() if isinstance(exc, ValidationError) else []
            fields = [
                {"field": ".".join(str(p) for p in e["loc"]) or "body", "problem": e["msg"]}
                for e in problems
            ] or [{"field": "body", "problem": "a JSON object"}]
            return JSONResponse(
                status_code=422, content={"error": "invalid signup", "fields": fields}
            )
        event = Event(
            type=SIGNUP,
            source="signup",
            dedupe_key=f"signup:{body.id}",
            occurred_at=body.occurred_at,
            payload=body.to_payload(),
        )

        def write() -> dict[str, Any]:
            with store.transaction() as session:
                [stored] = record_events(session, [event], now=clock.now())
            return {"event_id": stored.id, "type": SIGNUP, "duplicate": not stored.created}

        return JSONResponse(status_code=202, content=await asyncio.to_thread(write))

    def token_email(token: str) -> str | None:
        secret = hub_secret(context.config, "unsubscribe_secret")
        if not secret:
            return None
        try:
            return read_token(secret, token)
        except BadTokenError:
            return None

    @router.post("/unsubscribe/{token}", responses={**_RESPONSES})
    async def post_unsubscribe(token: Annotated[str, Path(max_length=600)]) -> Any:
        """RFC 8058 one-click unsubscribe (D7): the person is opted out at once."""
        if config is None:
            return off()
        leads: LeadsConfig = config
        email = token_email(token)
        if email is None:
            return refused(404, "this unsubscribe link is not valid", "token", "a link we sent")
        event = Event(
            type=LEAD_SUBSCRIPTION,
            source="unsubscribe",
            dedupe_key=f"unsubscribe:{uuid.uuid4().hex}",
            payload={
                "email": email,
                "action": "unsubscribe",
                "actor": "one-click",
                "subject": {"type": "lead", "id": email},
            },
        )

        def decide(session: Session, record: EventRecord) -> int:
            found = subscription(
                session,
                leads,
                email,
                "unsubscribe",
                now=clock.now(),
                event_id=record.id,
                actor="one-click",
            )
            return found or 0

        await asyncio.to_thread(request, email, event, decide)
        return {"unsubscribed": True, "email": email}

    @router.get(
        "/unsubscribe/{token}",
        response_class=HTMLResponse,
        responses={404: {"description": "Not a link this hub sent (an HTML page says so)."}},
    )
    async def get_unsubscribe(token: Annotated[str, Path(max_length=600)]) -> Any:
        """A page with the unsubscribe button: a GET never unsubscribes (RFC 8058)."""
        email = token_email(token) if config is not None else None
        if email is None:
            return HTMLResponse("<p>This unsubscribe link is not valid.</p>", status_code=404)
        safe = html.escape(email)
        return HTMLResponse(
            f"<form method='post'><p>Unsubscribe {safe} from our emails?</p>"
            "<input type='hidden' name='List-Unsubscribe' value='One-Click'>"
            "<button type='submit'>Unsubscribe</button></form>"
        )

    @router.get(
        "/marketing/programs",
        responses={**_RESPONSES},
        dependencies=[require_scope(Scope.REP, Scope.OPS)],
    )
    async def get_programs() -> Any:
        """Q13: the marketing programs a rep may be shown (UsedWithQualified = True only)."""
        if config is None:
            return off()
        hub = context.hub()
        marketing = config.marketing
        if hub is None or not marketing or marketing not in hub.connectors:
            return refused(409, f"no marketing connector '{marketing}' is enabled")
        programs = await hub.qualified_programs(marketing)
        return {
            "programs": [
                {
                    "id": p.ids.get(marketing),
                    "name": p.name,
                    "channel": p.channel,
                    "tags": p.tags,
                }
                for p in programs
            ]
        }

    return router
