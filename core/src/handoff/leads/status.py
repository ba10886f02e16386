"""The lead status machine (D5, with Q16's Accepted, Recycle and Qualifying): configuration.

    [leads.status]
    initial = "Raw"                 # a lead new from the marketing system
    assigned = "Open"               # given an owner, not yet contacted
    attempts = ["Attempt 1", "Attempt 2", "Attempt 3", "Attempt 4"]
    replied = "Progressing"         # a reply to an attempt: two-way, BANT undetermined
    nurture = "Nurture"             # where an attempt with no reply goes by itself
    nurture_after_days = 21         # ... this long after the LAST attempt
    bad_data = "Bad Data"           # only when the lead has no valid channel at all
    qualified = "Qualified"         # Soft-BANT met: passed to sales (D3)
    unqualified = "Unqualified"     # Soft-BANT not met

    [leads.status.transitions]      # status -> the statuses it may move to
    "Raw" = ["Open", "Attempt 1", ...]

A transition the machine does not list is refused (`TransitionRefused`,
naming the current status and the allowed next ones) and nothing changes.
Moving to the status a lead already has is no transition. The functions
here are pure: the store and the decisions are in `lifecycle`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, model_validator

from handoff.errors import HandoffError

__all__ = [
    "DEFAULT_TRANSITIONS",
    "Channels",
    "StatusConfig",
    "TransitionRefused",
    "channels_of",
]

_ATTEMPTS = ["Attempt 1", "Attempt 2", "Attempt 3", "Attempt 4"]
_WORKING = ["Progressing", "Qualified", "Unqualified", "Bad Data", "Nurture", "Accepted"]

DEFAULT_TRANSITIONS: dict[str, list[str]] = {
    "Raw": ["Open", "Attempt 1", *_WORKING],
    "Open": ["Attempt 1", *_WORKING],
    "Attempt 1": ["Attempt 2", *_WORKING],
    "Attempt 2": ["Attempt 3", *_WORKING],
    "Attempt 3": ["Attempt 4", *_WORKING],
    "Attempt 4": _WORKING,
    "Progressing": ["Qualified", "Unqualified", "Bad Data", "Nurture", "Accepted"],
    "Qualified": ["Progressing", "Unqualified", "Nurture", "Recycle"],
    "Unqualified": ["Progressing", "Qualified", "Nurture", "Accepted"],
    "Bad Data": ["Open"],
    "Nurture": ["Open", "Attempt 1", "Progressing", "Qualified", "Unqualified", "Accepted"],
    "Accepted": ["Recycle", "Qualifying"],
    "Recycle": ["Open", "Nurture", "Accepted"],
    "Qualifying": ["Qualified", "Unqualified", "Progressing", "Recycle"],
}
"""D5's statuses and Q16's (Accepted, Recycle, Qualifying), and where each may go."""


class TransitionRefused(HandoffError):
    """A status change the machine does not allow; nothing was changed."""

    def __init__(self, lead: str, current: str | None, to: str, allowed: Sequence[str], why: str):
        self.lead = lead
        self.current = current
        self.to = to
        self.allowed = list(allowed)
        self.why = why
        shown = ", ".join(self.allowed) or "none"
        now = f"'{current}'" if current else "without a status (a subscriber only)"
        super().__init__(
            f"lead {lead} is {now}: it cannot move to '{to}' ({why}); allowed next: {shown}"
        )


class StatusConfig(BaseModel):
    """The `[leads.status]` table: the statuses, the transitions, and the named roles."""

    model_config = ConfigDict(extra="forbid")

    initial: str = Field(default="Raw", description="The status of a new lead.")
    assigned: str | None = Field(
        default="Open",
        description="Where a new lead goes once it has an owner (none: it stays `initial`).",
    )
    attempts: list[str] = Field(
        default_factory=lambda: list(_ATTEMPTS),
        min_length=1,
        description="Attempt N: N messages sent without a reply; the last one repeats.",
    )
    replied: str = Field(
        default="Progressing", description="Where a reply moves a lead that was being attempted."
    )
    nurture: str = Field(
        default="Nurture", description="Where an attempted lead goes when nobody replies."
    )
    nurture_after_days: float = Field(
        default=21,
        gt=0,
        le=365,
        description="Days after the LAST attempt without a reply before the lead is nurtured.",
    )
    bad_data: str = Field(
        default="Bad Data", description="Only for a lead with no valid channel at all."
    )
    qualified: str = Field(default="Qualified", description="Soft-BANT met: passed to sales.")
    unqualified: str = Field(default="Unqualified", description="Soft-BANT not met.")
    transitions: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_TRANSITIONS.items()},
        description="Each status and the statuses it may move to: the whole machine.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> StatusConfig:
        """Every named status exists, every target is a status, the timer's moves are allowed."""
        known = set(self.transitions)
        if not known:
            raise ValueError("transitions: expected at least one status")
        for status, targets in self.transitions.items():
            for target in targets:
                if target not in known:
                    raise ValueError(
                        f"transitions.{status}: '{target}' is not a status "
                        f"(statuses: {', '.join(self.transitions)})"
                    )
        roles = {
            "initial": self.initial,
            "replied": self.replied,
            "nurture": self.nurture,
            "bad_data": self.bad_data,
            "qualified": self.qualified,
            "unqualified": self.unqualified,
        }
        if self.assigned is not None:
            roles["assigned"] = self.assigned
        roles.update({f"attempts[{i}]": a for i, a in enumerate(self.attempts)})
        for role, status in roles.items():
            if status not in known:
                raise ValueError(f"{role}: '{status}' is not a status in transitions")
        for attempt in self.attempts:
            for target, role in ((self.nurture, "nurture"), (self.replied, "replied")):
                if target not in self.transitions[attempt]:
                    raise ValueError(
                        f"transitions.{attempt}: must allow '{target}' ({role}: the timer and "
                        "replies move attempted leads there)"
                    )
        for first, second in zip(self.attempts, self.attempts[1:], strict=False):
            if second not in self.transitions[first]:
                raise ValueError(f"transitions.{first}: must allow the next attempt '{second}'")
        return self

    def statuses(self) -> list[str]:
        """Every status, in the order the table lists them."""
        return list(self.transitions)

    def allowed_next(self, current: str | None) -> list[str]:
        """Where a lead in `current` may go (a subscriber only: the initial status)."""
        if current is None:
            return [self.initial]
        return list(self.transitions.get(current, []))

    def check(self, lead: str, current: str | None, to: str) -> None:
        """Refuse a move the machine does not allow (TransitionRefused names what is)."""
        if to not in self.transitions:
            raise TransitionRefused(
                lead,
                current,
                to,
                self.allowed_next(current),
                f"'{to}' is not a status; statuses: {', '.join(self.transitions)}",
            )
        if to != current and to not in self.allowed_next(current):
            raise TransitionRefused(
                lead, current, to, self.allowed_next(current), "not a transition of the machine"
            )

    def attempt_status(self, attempts: int) -> str:
        """The status after `attempts` messages without a reply (the last one repeats)."""
        return self.attempts[min(max(attempts, 1), len(self.attempts)) - 1]

    def is_attempt(self, status: str | None) -> bool:
        """Whether the status counts messages without a reply (the no-reply timer watches it)."""
        return status in self.attempts

    def nurture_due(self, last_attempt: datetime) -> datetime:
        """When an attempted lead with no reply moves to nurture: counted from the LAST attempt."""
        return last_attempt + timedelta(days=self.nurture_after_days)


@dataclass(frozen=True)
class Channels:
    """How the hub can reach a lead: each valid channel, and why the others are not (D5)."""

    valid: tuple[str, ...]
    invalid: tuple[str, ...]

    @property
    def any(self) -> bool:
        """True when at least one channel works: the lead is not Bad Data."""
        return bool(self.valid)


def channels_of(email: str | None, phone: str | None, bounced: bool) -> Channels:
    """Which of the lead's channels are valid: the email (syntax, not bounced) and the phone.

    A made-up name ("Spam Spamson") is no reason: only the channels count.
    The email is checked by email-validator (syntax and domain form, no DNS:
    a decision does no I/O); a hard bounce makes it invalid.
    """
    valid: list[str] = []
    invalid: list[str] = []
    if email:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError as exc:
            invalid.append(f"email {email!r} is not valid ({exc})")
        else:
            if bounced:
                invalid.append(f"email {email!r} bounced")
            else:
                valid.append(f"email {email}")
    else:
        invalid.append("no email")
    digits = sum(c.isdigit() for c in phone or "")
    if digits >= 7:
        valid.append(f"phone {phone}")
    else:
        invalid.append("no phone" if not phone else f"phone {phone!r} has too few digits")
    return Channels(tuple(valid), tuple(invalid))
