"""What the leads flow receives at `POST /v1/<path>`: the bodies of its events.

Each is stored durably before the 202 and decided by the worker. Every body
is about one lead (`subject` lead:<email>), so the events about a lead are
decided in the order they were stored.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from handoff.flow import IntakeRoute
from handoff.leads.kinds import (
    CRM_LEAD_EVENT,
    FORM_SUBMISSION,
    INBOUND_EMAIL,
    LEAD_ACTIVITY,
    LEAD_SUBSCRIPTION,
    LEAD_TOUCH,
)
from handoff.leads.records import lead_key
from handoff.server.models import Email, Ident, IntakeModel, SmallMap, Text, Url

__all__ = [
    "INTAKE",
    "CrmLeadEvent",
    "FormSubmission",
    "InboundEmail",
    "LeadActivity",
    "LeadSubscription",
    "LeadTouch",
    "Signup",
]

Name = Annotated[str, Field(max_length=200, pattern=r"^[^\x00-\x1f]*$")]


class _AboutALead(IntakeModel):
    """A body about one person, by email."""

    email: Email = Field(description="The person's email: the lead's id.")

    def subject(self) -> tuple[str, str]:
        """About the lead, by email."""
        return "lead", lead_key(self.email)


class FormSubmission(_AboutALead):
    """A form was submitted: a lead, a subscription, or a forward, as its source says (D1)."""

    form_id: Ident = Field(description="Which form: matched against `[[leads.sources]]`.")
    visitor_id: Ident | None = Field(default=None, description="The visitor, if known.")
    page_url: Url | None = Field(
        default=None, description="The page the form was on: a source may match its path."
    )
    fields: SmallMap = Field(
        default_factory=dict,
        description="The other fields, by name (first_name, last_name, company, title, phone, "
        "country are read as the person's).",
    )

    def related(self) -> list[tuple[str, str]]:
        """The visitor who filled it in, when known."""
        return [("visitor", self.visitor_id)] if self.visitor_id else []


class InboundEmail(_AboutALead):
    """A mail to one of the company's addresses, forwarded to the hub (D1: sales@, press@)."""

    mailbox: Email = Field(description="The address it was sent to, e.g. sales@example.com.")
    from_name: Name | None = Field(default=None, description="The sender's name, if given.")
    subject_line: Text | None = Field(default=None, description="The mail's subject.")
    text: Text | None = Field(default=None, description="The mail's text.")


class LeadTouch(_AboutALead):
    """A message sent to a lead (an attempt), a reply from them, or a hard bounce (D5)."""

    kind: Literal["attempt", "reply", "bounce"] = Field(description="What happened.")
    channel: Literal["email", "phone", "social", "other"] = Field(
        default="email", description="How."
    )
    rep: Ident | None = Field(default=None, description="Who sent it (attempts).")


class LeadActivity(_AboutALead):
    """A behavioural event the scoring model gives points for (D4)."""

    kind: Ident = Field(
        description="What the person did, as `[[leads.scoring.behaviour]]` names it: "
        "page_view, form_fill, webinar_attended, interesting_moment, content_engaged..."
    )
    detail: Text | None = Field(default=None, description="What exactly (a page, a webinar).")


class LeadSubscription(_AboutALead):
    """A change to a person's subscriptions (D7): Opt Out, a temporary opt-out, an opt-in."""

    action: Literal["opt_out", "opt_out_temporary", "opt_in"] = Field(
        description="opt_out: until they opt in; opt_out_temporary: [leads.subscriptions] "
        "temporary_days (30), then it expires by itself; opt_in: email allowed again."
    )


class CrmLeadEvent(_AboutALead):
    """What the CRM says happened to a lead: sales accepted it, or converted it (D4 SQL)."""

    kind: Literal["accepted", "converted"] = Field(description="What happened in the CRM.")
    contact_id: Ident | None = Field(default=None, description="converted: the new Contact.")
    opportunity_id: Ident | None = Field(default=None, description="converted: its Opportunity.")
    new_opportunity: bool = Field(
        default=False, description="converted: true when the Opportunity was created with it."
    )


class Signup(_AboutALead):
    """A purchase or a trial, posted signed by the company's billing or trial system (D1, D8).

    Not an open intake route: `POST /v1/signups` checks the X-Handoff-Signature first.
    """

    kind: Literal["purchase", "trial"] = Field(description="A purchase (Buy Now) or a trial.")
    first_name: Name | None = Field(default=None, description="The buyer's first name.")
    last_name: Name | None = Field(default=None, description="The buyer's last name.")
    company: Name | None = Field(default=None, description="The buyer's company.")
    plan: Ident | None = Field(default=None, description="What was bought or tried.")


INTAKE = (
    IntakeRoute("form-submissions", FormSubmission, FORM_SUBMISSION),
    IntakeRoute("inbound-emails", InboundEmail, INBOUND_EMAIL),
    IntakeRoute("lead-touches", LeadTouch, LEAD_TOUCH),
    IntakeRoute("lead-activities", LeadActivity, LEAD_ACTIVITY),
    IntakeRoute("crm-lead-events", CrmLeadEvent, CRM_LEAD_EVENT),
    IntakeRoute("lead-subscriptions", LeadSubscription, LEAD_SUBSCRIPTION),
)
"""The leads flow's intake routes."""
