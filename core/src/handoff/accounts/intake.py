"""What the accounts flow receives under POST /v1 (P4-P6, Q14).

- `survey-responses`: a survey answered (P5: NPS/CSAT; Gainsight's own
  surveys come through its connector as `gainsight.survey.*` events);
- `hand-raises`: a PQL hand raise in the product (P5);
- `cases`: a case opened by hand by self-service ops (P6);
- `account-signals`: an engagement or intent reading of an account (Q14).

Each body's `id` is the sender's: the same id is stored once, so a signal
delivered twice opens one case.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from handoff.accounts.kinds import CASE_REQUEST, HAND_RAISE, SIGNAL, SURVEY_RESPONSE
from handoff.flow import IntakeRoute
from handoff.server.models import Email, Ident, IntakeModel, SmallMap, Text

__all__ = [
    "AccountSignal",
    "CaseRequest",
    "HandOff",
    "HandRaise",
    "SurveyResponse",
    "intake_routes",
]

Short = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$")]
"""A one-line text: 1-200 characters."""


class SurveyResponse(IntakeModel):
    """A survey was answered (P5: NPS or CSAT)."""

    survey_id: Ident = Field(description="Which survey, e.g. 'nps' or 'csat'.")
    email: Email = Field(description="Who answered.")
    score: int | None = Field(
        default=None, ge=0, le=10, strict=False, description="0-10 score (NPS, CSAT)."
    )
    answers: SmallMap = Field(default_factory=dict, description="Answers, by question id.")

    def subject(self) -> tuple[str, str]:
        """About the person, by email."""
        return "person", self.email.lower()


class HandRaise(IntakeModel):
    """Someone asked for sales inside the product (P5 PQL hand raise)."""

    email: Email = Field(description="Who raised their hand.")
    product: Ident = Field(description="The product or feature.")
    account_id: Ident | None = Field(default=None, description="The product's account id.")
    message: Text | None = Field(default=None, description="What they wrote.")

    def subject(self) -> tuple[str, str]:
        """About the person, by email."""
        return "person", self.email.lower()


class _AboutACustomer(IntakeModel):
    """A request about a customer: by the person's email, or the CRM account's id."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["email"], "properties": {"email": {"type": "string"}}},
                {"required": ["account_id"], "properties": {"account_id": {"type": "string"}}},
            ]
        }
    )

    email: Email | None = Field(default=None, description="The customer's email.")
    account_id: Ident | None = Field(default=None, description="The CRM account's id.")

    @model_validator(mode="after")
    def _someone(self) -> _AboutACustomer:
        if not self.email and not self.account_id:
            raise ValueError("give the customer's email or the CRM account_id")
        return self

    def subject(self) -> tuple[str, str]:
        """About the account when known, else the person."""
        if self.account_id:
            return "account", self.account_id
        return "person", (self.email or "").lower()


class CaseRequest(_AboutACustomer):
    """Self-service ops open a case for the Pooled AE team by hand (P6)."""

    subject_line: Short = Field(description="The case's subject.")
    description: Text | None = Field(default=None, description="What the customer asked for.")
    source: Short = Field(
        default="Manual", description="How the customer raised their hand (e.g. 'Email', 'Call')."
    )
    requested_by: Short = Field(description="Who opens it (the ops person).")
    priority: Short | None = Field(default=None, description="The case's priority.")


class HandOff(_AboutACustomer):
    """A pooled customer asked someone for sales help (P4): `POST /v1/hand-offs` (api.py)."""

    message: Text | None = Field(default=None, description="What the customer asked for.")
    channel: Short = Field(default="other", description="Where they asked: email, call, ticket.")
    requested_by: Short | None = Field(default=None, description="Who is handing them off.")


class AccountSignal(IntakeModel):
    """An engagement or intent reading of an account (Q14): page views, intent, buying stage."""

    account_id: Ident = Field(description="The CRM account's id.")
    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,99}$")] = Field(
        description="The signal, e.g. 'page_views', 'intent_score', 'buying_stage'."
    )
    value: float | Short = Field(description="A number (counted or scored) or a text (a stage).")
    source: Short = Field(default="api", description="Where it comes from, e.g. '6sense'.")
    kind: Literal["count", "score", "stage"] | None = Field(
        default=None, description="Informative: counted, scored or a stage."
    )

    def subject(self) -> tuple[str, str]:
        """About the account."""
        return "account", self.account_id


def intake_routes() -> Sequence[IntakeRoute]:
    """The flow's intake (POST /v1/<path>)."""
    return (
        IntakeRoute("survey-responses", SurveyResponse, SURVEY_RESPONSE),
        IntakeRoute("hand-raises", HandRaise, HAND_RAISE),
        IntakeRoute("cases", CaseRequest, CASE_REQUEST),
        IntakeRoute("account-signals", AccountSignal, SIGNAL),
    )
