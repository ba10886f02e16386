"""Q16 (1): a visitor offered a meeting who did not book gets one email on behalf of the rep.

The steps, each decided in the worker's transaction and stored as an
`ai.follow_up` decision about the conversation:

1. `hub.meeting_offered` (a conversation's Book a Meeting goal, a smart
   form's slots, or `POST /v1/ai/meeting-offers`): the follow-up is
   scheduled `delay_hours` later (a durable timer), and the offer is scored
   as a `meeting_offered` lead activity, so the lead MQLs as usual (D4).
2. A booking in that conversation (`meeting_booked`) before then: no email.
3. The timer fires: the campaign is on and nobody booked, so the email is
   asked of the leads flow (`hub.email_request`, D7 applies) from the rep,
   with the rep as Reply-To; it reports back when the email went out.
4. It went out: the lead moves to Accepted (`hub.lead_transition`, actor
   `ai`) and the no-response timer starts (`recycle_after_days`).
5. A reply (`hub.lead_touch` kind `reply`) or a booking: Qualifying; the
   timer fires with neither: Recycle.

The follow-up's state is one entity per conversation (`ai_follow_up`), found
by email through a second (`ai_follow_up_email`), so a reply that names
only the person finds it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from handoff.ai.campaigns import campaign_on
from handoff.ai.email import AiEmailConfig, FollowUpCampaign, render
from handoff.ai.kinds import AI_TIMER_JOB, EMAIL_OUTCOME, FOLLOW_UP_DECISION, MEETING_OFFERED
from handoff.leads.kinds import EMAIL_REQUEST, LEAD_ACTIVITY, LEAD_TRANSITION
from handoff.runtime import (
    DecisionSpec,
    JobSpec,
    cancel_timer,
    record_decision,
    record_events,
    schedule_timer,
    upsert_entity,
)
from handoff.store import EntityRecord, EventRecord
from handoff_sdk.entities import Event

__all__ = [
    "BY_EMAIL_KIND",
    "FOLLOW_UP_KIND",
    "follow_up_of",
    "follow_up_outcome",
    "follow_up_response",
    "follow_up_timer",
    "meeting_offered",
    "meeting_offered_event",
]

FOLLOW_UP_KIND = "ai_follow_up"
"""The entity type of a follow-up's state, by conversation id."""
BY_EMAIL_KIND = "ai_follow_up_email"
"""The entity type that finds a person's latest follow-up by their email."""

SEND, RECYCLE = "send", "recycle"


def _key(email: str) -> str:
    return email.strip().lower()


def timer_key(conversation_id: str, step: str) -> str:
    """The timer of one step of a follow-up (same key: rescheduled)."""
    return f"ai:follow-up:{step}:{conversation_id}"


def _timer_job(state: dict[str, Any], step: str) -> JobSpec:
    conversation = str(state["conversation_id"])
    return JobSpec(
        kind=AI_TIMER_JOB,
        idempotency_key=timer_key(conversation, step),
        payload={"follow_up": conversation, "email": state["email"], "step": step},
    )


def follow_up_of(session: Session, conversation_id: str) -> dict[str, Any] | None:
    """The stored state of a conversation's follow-up, or None."""
    row = session.get(EntityRecord, (FOLLOW_UP_KIND, conversation_id))
    return dict(row.data) if row is not None else None


def _by_email(session: Session, email: str) -> dict[str, Any] | None:
    row = session.get(EntityRecord, (BY_EMAIL_KIND, _key(email)))
    if row is None:
        return None
    return follow_up_of(session, str(row.data.get("conversation_id")))


def _save(session: Session, state: dict[str, Any], now: datetime) -> None:
    upsert_entity(session, FOLLOW_UP_KIND, str(state["conversation_id"]), state, now=now)


def _decide(  # noqa: PLR0917 - a step, its why, and where it came from
    session: Session,
    state: dict[str, Any],
    step: str,
    why: str,
    now: datetime,
    event_id: int | None,
    **outcome: Any,
) -> int:
    return record_decision(
        session,
        DecisionSpec(
            kind=FOLLOW_UP_DECISION,
            subject_type="conversation",
            subject_id=str(state["conversation_id"]),
            outcome={
                "campaign": state.get("campaign"),
                "step": step,
                "lead": state.get("email"),
                "rep": (state.get("rep") or {}).get("id"),
                "state": state.get("state"),
                **outcome,
            },
            explanation={"why": why},
            rule_ids=("Q16",),
            event_id=event_id,
        ),
        now=now,
    )


def _subjects(state: dict[str, Any]) -> dict[str, Any]:
    return {
        "subject": {"type": "lead", "id": _key(str(state["email"]))},
        "related": [{"type": "conversation", "id": str(state["conversation_id"])}],
    }


def _move_lead(
    session: Session, state: dict[str, Any], to: str, reason: str, now: datetime
) -> None:
    """Ask the leads flow to move the lead (its status machine decides; a refusal is stored)."""
    record_events(
        session,
        [
            Event(
                type=LEAD_TRANSITION,
                source="ai",
                dedupe_key=f"ai-follow-up:{state['conversation_id']}:{to}",
                occurred_at=now,
                payload={
                    "lead": _key(str(state["email"])),
                    "to": to,
                    "reason": reason,
                    "actor": "ai",
                    **_subjects(state),
                },
            )
        ],
        now=now,
    )


def meeting_offered_event(
    conversation_id: str,
    email: str,
    rep: dict[str, Any],
    *,
    first_name: str | None = None,
    source: str = "ai",
) -> Event:
    """The `hub.meeting_offered` event that starts a follow-up (the conversations' Book a Meeting).

    `rep` is `{"id", "name", "email"}`: the rep whose calendar was shown.
    """
    return Event(
        type=MEETING_OFFERED,
        source=source,
        dedupe_key=f"meeting-offered:{conversation_id}",
        payload={
            "id": f"offer-{conversation_id}",
            "conversation_id": conversation_id,
            "email": _key(email),
            "first_name": first_name,
            "rep": {k: rep.get(k) for k in ("id", "name", "email")},
            "subject": {"type": "conversation", "id": conversation_id},
            "related": [{"type": "lead", "id": _key(email)}],
        },
    )


def meeting_offered(
    session: Session, config: AiEmailConfig | None, event: EventRecord, now: datetime
) -> int | None:
    """A meeting was offered: schedule the follow-up (or say why there is none)."""
    payload = event.payload
    conversation = str(payload.get("conversation_id") or "")
    campaign = config.follow_up if config is not None else None
    if campaign is None or not conversation:
        return None
    rep = dict(payload.get("rep") or {})
    state: dict[str, Any] = {
        "conversation_id": conversation,
        "campaign": campaign.id,
        "email": _key(str(payload.get("email") or "")),
        "first_name": payload.get("first_name"),
        "rep": {k: rep.get(k) for k in ("id", "name", "email")},
        "offered_at": now.isoformat(),
        "state": "waiting",
    }
    if follow_up_of(session, conversation) is not None:
        return None  # one follow-up per conversation: a second offer changes nothing
    if not state["email"]:
        state["state"] = "no_email"
        return _decide(
            session, state, "offered", "no email for the visitor: no follow-up", now, event.id
        )
    if not rep.get("email"):
        state["state"] = "no_rep_email"
        return _decide(
            session,
            state,
            "offered",
            f"the rep {rep.get('id')!r} has no email to reply to: no follow-up on their behalf",
            now,
            event.id,
        )
    if not campaign_on(session, config, campaign.id):
        state["state"] = "off"
        _save(session, state, now)
        return _decide(
            session,
            state,
            "offered",
            f"campaign '{campaign.id}' is switched off: no follow-up",
            now,
            event.id,
        )
    _save(session, state, now)
    upsert_entity(
        session, BY_EMAIL_KIND, state["email"], {"conversation_id": conversation}, now=now
    )
    due = now + timedelta(hours=campaign.delay_hours)
    schedule_timer(session, timer_key(conversation, SEND), _timer_job(state, SEND), now=now, at=due)
    record_events(
        session,
        [
            Event(
                type=LEAD_ACTIVITY,
                source="ai",
                dedupe_key=f"ai-meeting-offered:{conversation}",
                occurred_at=now,
                payload={
                    "id": f"meeting-offered-{conversation}",
                    "email": state["email"],
                    "kind": "meeting_offered",
                    "detail": f"offered {rep.get('name') or rep.get('id')}'s meeting slots",
                    "subject": {"type": "lead", "id": state["email"]},
                },
            )
        ],
        now=now,
    )
    return _decide(
        session,
        state,
        "offered",
        f"offered {rep.get('name') or rep.get('id')}'s slots: the follow-up email goes on "
        f"{due.isoformat()} unless they book",
        now,
        event.id,
        due=due.isoformat(),
    )


def _email_values(state: dict[str, Any], company: str) -> dict[str, str]:
    rep = state.get("rep") or {}
    first = state.get("first_name") or str(state["email"]).split("@", 1)[0].split(".")[0].title()
    return {
        "first_name": str(first),
        "rep_name": str(rep.get("name") or rep.get("id") or ""),
        "rep_email": str(rep.get("email") or ""),
        "company": company,
    }


def _send(  # noqa: PLR0917 - the campaign, the follow-up and the moment
    session: Session,
    campaign: FollowUpCampaign,
    state: dict[str, Any],
    company: str,
    event: EventRecord,
    now: datetime,
) -> int:
    values = _email_values(state, company)
    conversation = str(state["conversation_id"])
    record_events(
        session,
        [
            Event(
                type=EMAIL_REQUEST,
                source="ai",
                dedupe_key=f"ai-follow-up-email:{conversation}",
                occurred_at=now,
                payload={
                    "to": state["email"],
                    "email_subject": render(campaign.subject, values),
                    "text": render(campaign.text, values),
                    "operational": False,
                    "from_rep": (state.get("rep") or {}).get("id"),
                    "reply_to": values["rep_email"],
                    "key": f"ai-follow-up:{conversation}",
                    "report": {
                        "type": EMAIL_OUTCOME,
                        "payload": {"follow_up": conversation, **_subjects(state)},
                    },
                    **_subjects(state),
                },
            )
        ],
        now=now,
    )
    state["state"] = "requested"
    state["requested_at"] = now.isoformat()
    _save(session, state, now)
    return _decide(
        session,
        state,
        SEND,
        f"no booking since the offer: the follow-up goes to {state['email']} from "
        f"{values['rep_name']} (Reply-To {values['rep_email']}) through the leads mailer",
        now,
        event.id,
        reply_to=values["rep_email"],
    )


def follow_up_timer(
    session: Session,
    config: AiEmailConfig | None,
    company: str,
    event: EventRecord,
    now: datetime,
) -> int | None:
    """A follow-up's timer: send the email, or recycle a lead nobody heard from."""
    payload = event.payload
    state = follow_up_of(session, str(payload.get("follow_up") or ""))
    campaign = config.follow_up if config is not None else None
    if state is None or campaign is None:
        return None
    step = str(payload.get("step"))
    if step == SEND:
        if state["state"] != "waiting":
            return None  # booked meanwhile: nothing to send
        if not campaign_on(session, config, campaign.id):
            state["state"] = "off"
            _save(session, state, now)
            return _decide(
                session,
                state,
                SEND,
                f"campaign '{campaign.id}' was switched off before the email was due: not sent",
                now,
                event.id,
            )
        return _send(session, campaign, state, company, event, now)
    if step == RECYCLE and state["state"] == "sent":
        state["state"] = "recycled"
        _save(session, state, now)
        days = f"{campaign.recycle_after_days:g}"
        _move_lead(
            session,
            state,
            campaign.recycle,
            f"no reply or booking {days} days after the AI follow-up (Q16)",
            now,
        )
        return _decide(
            session,
            state,
            RECYCLE,
            f"no reply and no booking {days} days after the email: {campaign.recycle}",
            now,
            event.id,
            status=campaign.recycle,
        )
    return None


def follow_up_outcome(
    session: Session, config: AiEmailConfig | None, event: EventRecord, now: datetime
) -> int | None:
    """The leads flow says whether the email went out: Accepted and the no-response timer."""
    payload = event.payload
    state = follow_up_of(session, str(payload.get("follow_up") or ""))
    campaign = config.follow_up if config is not None else None
    if state is None or campaign is None or state["state"] != "requested":
        return None
    if not payload.get("sent"):
        state["state"] = "not_sent"
        _save(session, state, now)
        return _decide(
            session,
            state,
            "outcome",
            f"the email did not go out ({payload.get('why')}): the lead's status is unchanged",
            now,
            event.id,
        )
    state["state"] = "sent"
    state["sent_at"] = now.isoformat()
    _save(session, state, now)
    _move_lead(session, state, campaign.accepted, "the AI follow-up email went out (Q16)", now)
    due = now + timedelta(days=campaign.recycle_after_days)
    schedule_timer(
        session,
        timer_key(str(state["conversation_id"]), RECYCLE),
        _timer_job(state, RECYCLE),
        now=now,
        at=due,
    )
    return _decide(
        session,
        state,
        "sent",
        f"the email went out: {campaign.accepted}; {campaign.recycle} on {due.date().isoformat()} "
        f"without a reply or a booking, {campaign.qualifying} with one",
        now,
        event.id,
        status=campaign.accepted,
        recycle_on=due.isoformat(),
    )


def follow_up_response(
    session: Session,
    config: AiEmailConfig | None,
    *,
    conversation_id: str | None,
    email: str | None,
    how: str,
    event: EventRecord,
    now: datetime,
) -> int | None:
    """A reply or a booking: before the email, none is sent; after it, the lead is Qualifying."""
    campaign = config.follow_up if config is not None else None
    if campaign is None:
        return None
    if conversation_id:
        state = follow_up_of(session, conversation_id)
    elif email:
        state = _by_email(session, email)
    else:
        state = None
    if state is None:
        return None
    conversation = str(state["conversation_id"])
    if state["state"] == "waiting" and how == "booking":
        state["state"] = "booked"
        _save(session, state, now)
        cancel_timer(session, timer_key(conversation, SEND))
        return _decide(
            session, state, "booked", "booked before the follow-up was due: no email", now, event.id
        )
    if state["state"] != "sent":
        return None
    state["state"] = "qualifying"
    _save(session, state, now)
    cancel_timer(session, timer_key(conversation, RECYCLE))
    _move_lead(session, state, campaign.qualifying, f"a {how} after the AI follow-up (Q16)", now)
    return _decide(
        session,
        state,
        how,
        f"a {how} after the follow-up: {campaign.qualifying}",
        now,
        event.id,
        status=campaign.qualifying,
    )
