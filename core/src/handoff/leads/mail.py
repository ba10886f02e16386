"""Subscriptions and the email the hub sends (D7): opt-outs, 30-day opt-outs, one-click unsubscribe.

- Opt Out: no more non-operational email, until the person opts in again.
- A temporary opt-out (30 days, configurable) expires by itself: a timer
  clears it on the day (`handoff leads show` says until when).
- One-click unsubscribe (RFC 8058): every non-operational email the hub
  sends carries `List-Unsubscribe: <https://HUB/v1/unsubscribe/TOKEN>` and
  `List-Unsubscribe-Post: List-Unsubscribe=One-Click`; a POST to that URL
  opts the person out at once. The token is the address signed with the
  hub's secret (HMAC-SHA256, `HANDOFF_LEADS_UNSUBSCRIBE_SECRET`), so nobody
  can unsubscribe somebody else by guessing.
- Operational mail (a receipt, a licence key, a security notice) is sent
  whatever the opt-out.

An email is a decision (sent or held back, and why) and, when sent, a job;
the job checks the opt-out again when it runs, so an opt-out that arrives in
between still wins.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from handoff.errors import HandoffError
from handoff.leads.kinds import EMAIL_DECISION, EMAIL_JOB, SUBSCRIPTION_DECISION
from handoff.leads.lifecycle import timer_job, timer_key
from handoff.leads.records import get_lead, lead_key, new_lead
from handoff.leads.settings import LeadsConfig
from handoff.leads.store import LeadRow
from handoff.runtime import (
    DecisionSpec,
    JobSpec,
    cancel_timer,
    record_decision,
    record_events,
    schedule_timer,
)
from handoff_sdk.entities import Event

__all__ = [
    "OPT_OUT_TIMER",
    "SUBSCRIPTION_ACTIONS",
    "BadTokenError",
    "decide_email",
    "opted_out",
    "read_token",
    "report_email",
    "subscription",
    "unsubscribe_headers",
    "unsubscribe_token",
]

OPT_OUT_TIMER = "opt_out_expiry"
"""The timer that ends a temporary opt-out (D7)."""

SUBSCRIPTION_ACTIONS = ("opt_out", "opt_out_temporary", "opt_in", "unsubscribe", "expire")
"""What a subscription event may do (expire: the timer's own)."""

SECRET_NAME = "unsubscribe_secret"  # noqa: S105 - the secret's name, not its value
"""The hub's secret for unsubscribe tokens: `HANDOFF_LEADS_UNSUBSCRIBE_SECRET` (or the backend)."""


class BadTokenError(HandoffError):
    """An unsubscribe token that was not made by this hub (or was altered)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def unsubscribe_token(secret: str, email: str) -> str:
    """The token of an unsubscribe link: the address and its HMAC-SHA256 under the hub's secret."""
    address = lead_key(email).encode()
    mac = hmac.new(secret.encode(), b"unsubscribe:" + address, hashlib.sha256).digest()
    return f"{_b64(address)}.{_b64(mac[:20])}"


def read_token(secret: str, token: str) -> str:
    """The address a token names; BadTokenError when the signature does not match."""
    encoded, _, signature = token.partition(".")
    try:
        address = _unb64(encoded).decode()
    except (ValueError, UnicodeDecodeError):
        raise BadTokenError("the unsubscribe link is not valid") from None
    if not signature or not hmac.compare_digest(unsubscribe_token(secret, address), token):
        raise BadTokenError("the unsubscribe link is not valid")
    return address


def unsubscribe_headers(config: LeadsConfig, secret: str | None, email: str) -> dict[str, str]:
    """RFC 8058 headers for a non-operational email to `email` (none when nothing is set up)."""
    targets: list[str] = []
    subs = config.subscriptions
    if subs.public_url and secret:
        url = f"{subs.public_url.rstrip('/')}/v1/unsubscribe/{unsubscribe_token(secret, email)}"
        targets.append(f"<{url}>")
    if subs.unsubscribe_mailto:
        targets.append(f"<mailto:{subs.unsubscribe_mailto}?subject=unsubscribe>")
    if not targets:
        return {}
    headers = {"List-Unsubscribe": ", ".join(targets)}
    if subs.public_url and secret:
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


def opted_out(lead: LeadRow | None, now: datetime) -> str | None:
    """Why the person gets no non-operational email now, or None."""
    if lead is None:
        return None
    if lead.opt_out:
        return "opted out"
    if lead.opt_out_until is not None and lead.opt_out_until > now:
        return f"opted out until {lead.opt_out_until.date().isoformat()}"
    return None


def report_email(
    session: Session,
    report: dict[str, Any] | None,
    *,
    key: str,
    sent: bool,
    why: str,
    now: datetime,
) -> None:
    """Tell the flow that asked for an email whether it went out: the event it named (Q16).

    `report` is the request's `{"type": ..., "payload": {...}}`; the event is
    stored once per email (its key) with `sent` and `why` added.
    """
    if not report or not isinstance(report.get("type"), str):
        return
    payload = dict(report.get("payload") or {})
    record_events(
        session,
        [
            Event(
                type=str(report["type"]),
                source="leads",
                dedupe_key=f"email-report:{key}",
                occurred_at=now,
                payload={**payload, "sent": sent, "why": why},
            )
        ],
        now=now,
    )


def decide_email(
    session: Session,
    config: LeadsConfig,
    *,
    to: str,
    subject: str,
    text: str,
    operational: bool,
    key: str,
    now: datetime,
    event_id: int | None,
    rule_ids: tuple[str, ...] = ("D7",),
    sender: str | None = None,
    reply_to: str | None = None,
    report: dict[str, Any] | None = None,
) -> int:
    """Send an email through the mailer, or hold it back for an opt-out; the decision id.

    `reply_to`: the address replies go to (the rep an AI email speaks for, Q16).
    `report`: the event to store once the email went out or was held back.
    """
    lead = get_lead(session, to, lock=False)
    reason = None if operational else opted_out(lead, now)
    jobs: list[JobSpec] = []
    if reason is not None:
        why = f"held back: {to} {reason} (non-operational mail)"
    elif not config.mailer:
        why = "not sent: no [leads] mailer connector"
    else:
        why = (
            "operational: sent whatever the opt-out"
            if operational
            else "sent with one-click unsubscribe (List-Unsubscribe, List-Unsubscribe-Post)"
        )
        jobs.append(
            JobSpec(
                kind=EMAIL_JOB,
                idempotency_key=f"email:{key}",
                payload={
                    "to": lead_key(to),
                    "subject": subject,
                    "text": text,
                    "operational": operational,
                    "sender": sender,
                    "reply_to": reply_to,
                    "report": report,
                },
            )
        )
    if not jobs:
        report_email(session, report, key=key, sent=False, why=why, now=now)
    return record_decision(
        session,
        DecisionSpec(
            kind=EMAIL_DECISION,
            subject_type="lead",
            subject_id=lead_key(to),
            outcome={
                "to": lead_key(to),
                "subject": subject,
                "operational": operational,
                "sent": bool(jobs),
            },
            explanation={"why": why},
            rule_ids=rule_ids if "D7" in rule_ids else (*rule_ids, "D7"),
            event_id=event_id,
        ),
        now=now,
        jobs=jobs,
    )


def subscription(
    session: Session,
    config: LeadsConfig,
    email: str,
    action: str,
    *,
    now: datetime,
    event_id: int | None,
    actor: str,
) -> int | None:
    """Apply an opt-out, a temporary one, an opt-in, an unsubscribe or an expiry (D7)."""
    lead = get_lead(session, email)
    if lead is None:
        if action in ("opt_in", "expire"):
            return None
        lead = new_lead(session, email, now=now, status=None, source="subscription")
    key = timer_key(OPT_OUT_TIMER, lead.id)
    outcome: dict[str, Any] = {"lead": lead.id, "action": action}
    if action in ("opt_out", "unsubscribe"):
        lead.opt_out, lead.opt_out_until = True, None
        cancel_timer(session, key)
        why = (
            "one-click unsubscribe (RFC 8058): opted out of non-operational email"
            if action == "unsubscribe"
            else "Opt Out: no non-operational email until they opt in"
        )
    elif action == "opt_out_temporary":
        days = config.subscriptions.temporary_days
        until = now + timedelta(days=days)
        lead.opt_out_until = until
        schedule_timer(session, key, timer_job(OPT_OUT_TIMER, lead.id), now=now, at=until)
        outcome["until"] = until.isoformat()
        why = f"opted out for {days:g} days: expires by itself on {until.date().isoformat()}"
    elif action == "opt_in":
        lead.opt_out, lead.opt_out_until = False, None
        cancel_timer(session, key)
        why = "opted in: email allowed again"
    elif action == "expire":
        if lead.opt_out_until is None or lead.opt_out_until > now:
            return None
        why = (
            f"the temporary opt-out ended on {lead.opt_out_until.date().isoformat()}: "
            "email allowed again" + (" (a permanent Opt Out still holds)" if lead.opt_out else "")
        )
        lead.opt_out_until = None
    else:
        raise ValueError(
            f"action: expected one of {', '.join(SUBSCRIPTION_ACTIONS)}, got {action!r}"
        )
    lead.updated_at = now
    outcome["opt_out"] = lead.opt_out
    outcome["actor"] = actor
    return record_decision(
        session,
        DecisionSpec(
            kind=SUBSCRIPTION_DECISION,
            subject_type="lead",
            subject_id=lead.id,
            outcome=outcome,
            explanation={"why": why},
            rule_ids=("D7",),
            event_id=event_id,
        ),
        now=now,
    )
