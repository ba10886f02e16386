"""The `[smart_forms]` table (Q18): which forms and buttons qualify on the spot, and against what.

    [smart_forms]
    forms = ["contact-sales", "pricing-cta"]   # form and button ids; empty: every id
    fit = "route"                   # route: a rep live (meeting slots when nobody is free)
                                    # meeting: always meeting slots
    unknown = "fallback"            # enrichment failed and the profile could not be judged:
                                    # fallback | meeting | route
    meeting_days = 5                # slots over today and the next days
    meeting_minutes = 30
    icp = { all = [
      { field = "firmographics.employee_count", at_least = 500 },
      { field = "account.geo", in = ["AMER", "EMEA"] },
    ] }

    [smart_forms.fallback]          # what a visitor who does not fit gets
    message = "Thanks! We'll be in touch shortly."
    url = "https://acme.example/thanks"

The profile is a condition of the shared rules engine (docs/rules.md) over
what the hub knows of the visitor in that request: `firmographics.*`
(enrichment: 6sense), `account.*` (the CRM account matched), `person.*` (the
CRM lead or contact), `visitor.*` and `form.*` (the submitted fields).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from handoff.rules.conditions import parse_condition

__all__ = ["SmartFallback", "SmartFormsConfig"]


class SmartFallback(BaseModel):
    """What a visitor who does not fit the profile is shown instead (the form's usual path)."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(
        default="Thanks! We'll be in touch shortly.",
        min_length=1,
        max_length=2000,
        description="Shown to a visitor who does not fit the profile.",
    )
    url: str | None = Field(
        default=None, max_length=2000, description="Where to send them next (a thank-you page)."
    )

    @field_validator("url")
    @classmethod
    def _web_url(cls, value: str | None) -> str | None:
        """A page the visitor's browser can open."""
        if value is not None and not value.startswith(("https://", "http://", "/")):
            raise ValueError(f"expected an http(s) URL or a site path, got {value!r}")
        return value


class SmartFormsConfig(BaseModel):
    """The whole `[smart_forms]` table; its presence turns smart forms on."""

    model_config = ConfigDict(extra="forbid")

    forms: list[str] = Field(
        default_factory=list,
        max_length=500,
        description="The form and button ids qualified on the spot; empty: every id.",
    )
    icp: Any = Field(
        description="The ideal customer profile: a condition (docs/rules.md) over firmographics, "
        "account, person, visitor and form fields."
    )
    fit: Literal["route", "meeting"] = Field(
        default="route",
        description="What a fit visitor gets: 'route' a rep live (meeting slots with the rep "
        "the rules picked when nobody is free), or 'meeting' slots at once.",
    )
    unknown: Literal["fallback", "meeting", "route"] = Field(
        default="fallback",
        description="What a visitor gets when enrichment failed and the profile could not be "
        "judged (never counted as 'not fit': the decision says unknown and why).",
    )
    meeting_days: int = Field(default=5, ge=1, le=14, description="Days of slots offered.")
    meeting_minutes: int = Field(default=30, ge=15, le=120, description="Length of a meeting.")
    fallback: SmartFallback = Field(
        default_factory=SmartFallback, description="What a visitor who does not fit gets."
    )

    @field_validator("icp")
    @classmethod
    def _icp(cls, value: Any) -> Any:
        """A malformed profile is refused at load, naming the part at fault."""
        parse_condition(value, "icp")
        return value

    @field_validator("forms")
    @classmethod
    def _forms(cls, value: list[str]) -> list[str]:
        """Ids are matched as given: a blank one would never match."""
        for index, form in enumerate(value):
            if not form.strip():
                raise ValueError(f"[{index}]: expected a form or button id, got {form!r}")
        return value

    def qualifies(self, form_id: str) -> bool:
        """True when submissions of this form or button are qualified on the spot."""
        return not self.forms or form_id in self.forms
