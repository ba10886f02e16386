"""The `[cases]` table (P4-P6).

Which signals open a case and whom they notify (P5), the hand-off to
the Pooled AE team (P4), and cases by hand (P6).

Each `[[cases.signals]]` row names its source and trigger (as the seed's
table does), the events it takes (with an optional condition of the rules
engine on the event's payload) and its notifications. Addresses, channels
and names are values here, never code.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from handoff.rules.conditions import Condition, parse_condition

__all__ = ["CaseSignal", "CasesConfig", "NotifyRule"]


class NotifyRule(BaseModel):
    """One notification of a case: an email, or a Slack post (with an @mention)."""

    model_config = ConfigDict(extra="forbid")

    email: Literal["contact_owner"] | None = Field(
        default=None,
        description="'contact_owner': an email to the contact's owner, i.e. the `[cases] "
        "contact_owner_inbox` (every pooled contact is owned by the Pooled Sales User).",
    )
    slack: str | None = Field(
        default=None,
        min_length=2,
        description="A Slack channel to post to, e.g. '#cs_programs_survey_results'.",
    )
    mention: Literal["account_owner"] | None = Field(
        default=None,
        description="'account_owner': @mention the account's owner in the Slack post, found "
        "by the owner's email.",
    )

    @model_validator(mode="after")
    def _one(self) -> NotifyRule:
        if (self.email is None) == (self.slack is None):
            raise ValueError("give one of 'email' or 'slack'")
        if self.mention and not self.slack:
            raise ValueError("'mention' goes with a 'slack' post")
        return self

    def label(self) -> str:
        """How the notification is named in explanations and job keys."""
        return f"email:{self.email}" if self.email else f"slack:{self.slack}"


class CaseSignal(BaseModel):
    """A signal that opens a case (P5): its source, trigger, events and notifications."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        min_length=1, max_length=50, pattern=r"^[a-z0-9_]+$", description="e.g. 'contact_us'."
    )
    source: str = Field(min_length=1, description="The case's source, e.g. 'Contact Us Form'.")
    trigger: str = Field(min_length=1, description="What triggers it, e.g. 'Survey completion'.")
    events: list[str] = Field(
        min_length=1, description="The event types it takes, e.g. ['gainsight.survey.nps']."
    )
    when: Any = Field(
        default=None,
        description="A condition of the rules engine on the event's payload (e.g. { field = "
        "'form_id', in = ['contact-us'] }); none: every event of those types.",
    )
    notify: list[NotifyRule] = Field(default_factory=list, description="Its notifications.")
    priority: str | None = Field(default=None, description="The case's priority, e.g. 'Medium'.")
    pooled_only: bool | None = Field(
        default=None,
        description="Open cases only for pooled accounts; none: the table's `pooled_only` "
        "(a post-churn survey may come from an account that left the pool).",
    )

    _condition: Condition | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _parse(self) -> CaseSignal:
        if self.when is not None:
            self._condition = parse_condition(self.when, "when")
        return self

    def condition(self) -> Condition | None:
        """The parsed condition (None: always)."""
        return self._condition


class CasesConfig(BaseModel):
    """The `[cases]` table (P4-P6)."""

    model_config = ConfigDict(extra="forbid")

    crm: str = Field(default="salesforce", description="Where cases are opened and people found.")
    email: str | None = Field(
        default="email", description="The connector that sends email notifications."
    )
    chat: str | None = Field(default="slack", description="The connector that posts to Slack.")
    contact_owner_inbox: str = Field(
        min_length=3,
        description="Where emails to a pooled contact's owner go: the Pooled Sales User's alerts "
        "reach the self-service team's address (e.g. 'selfserviceteam@example.com').",
    )
    case_owner_id: str | None = Field(
        default=None,
        description="CRM id of the Pooled AE team's queue, the owner of the cases opened (P4-P6).",
    )
    team: str = Field(default="Pooled AE", description="The team cases go to, as people name it.")
    record_url: str = Field(
        default="https://example.my.salesforce.com/{id}",
        description="Link to a CRM record in notifications; '{id}' is replaced by the record id.",
    )
    pooled_only: bool = Field(
        default=True,
        description="Open cases from signals only for pooled accounts (owned by the pool owner "
        "of `[accounts.pool]`); false: for any known account.",
    )
    signals: list[CaseSignal] = Field(
        default_factory=list, description="The signals that open cases (P5), first match wins."
    )

    @field_validator("record_url")
    @classmethod
    def _record_url(cls, value: str) -> str:
        if "{id}" not in value or not value.startswith(("https://", "http://")):
            raise ValueError(
                "expected an http(s) URL with '{id}', e.g. https://x.my.salesforce.com/{id}"
            )
        return value

    @model_validator(mode="after")
    def _unique(self) -> CasesConfig:
        ids = [s.id for s in self.signals]
        for i, name in enumerate(ids):
            if name in ids[:i]:
                raise ValueError(f"signals[{i}].id: {name!r} is used twice")
        for i, signal in enumerate(self.signals):
            for rule in signal.notify:
                if rule.email and not self.email:
                    raise ValueError(f"signals[{i}].notify: an email needs `[cases] email`")
                if rule.slack and not self.chat:
                    raise ValueError(f"signals[{i}].notify: a Slack post needs `[cases] chat`")
        return self

    def link(self, record_id: str | None) -> str | None:
        """The CRM link of a record (None without an id)."""
        return self.record_url.replace("{id}", record_id) if record_id else None
