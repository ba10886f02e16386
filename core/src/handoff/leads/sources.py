"""Inbound sources and how each is handled (D1): a lead, a subscription only, or a forward.

    [[leads.sources]]
    id = "contact-sales"
    forms = ["contact-sales"]          # form ids (POST /v1/form-submissions form_id)
    pages = ["/sales/"]                # or the path of the page the form was on (prefix)
    handling = "lead"                  # lead: BDR qualification (D2 assigns it)

    [[leads.sources]]
    id = "press"
    mailboxes = ["press@example.com"]  # a mail to this address (POST /v1/inbound-emails)
    handling = "forward"
    forward_to = "pr@example.com"      # to PR, never to sales

    [[leads.sources]]
    id = "newsletter"
    forms = ["newsletter"]
    handling = "subscription"          # joins `lists`; no BDR, no status
    lists = ["newsletter"]

A source nobody configured goes to BDR qualification, as the seed says
(D1: "any other form goes to BDR qualification"). `match_source` is pure:
the handler passes it the event's type and payload.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["LeadSource", "SourceMatch", "check_sources", "match_source"]

Handling = Literal["lead", "subscription", "forward"]


class LeadSource(BaseModel):
    """One `[[leads.sources]]` entry: what it matches and how its people are handled (D1)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=100, description="Name, shown in explanations.")
    forms: list[str] = Field(default_factory=list, description="Form ids it matches.")
    pages: list[str] = Field(
        default_factory=list,
        description="Page paths it matches (a prefix of the path of the form's page_url).",
    )
    mailboxes: list[str] = Field(
        default_factory=list, description="Addresses it matches (the mailbox a mail was sent to)."
    )
    signups: list[str] = Field(
        default_factory=list,
        description="Signed purchase or trial webhooks it matches, by kind (purchase, trial).",
    )
    handling: Handling = Field(
        default="lead",
        description="lead: BDR qualification; subscription: lists only, no BDR; "
        "forward: sent on to `forward_to`, never to sales.",
    )
    lists: list[str] = Field(
        default_factory=list, description="Subscription lists the person joins (newsletter...)."
    )
    forward_to: str | None = Field(
        default=None, description="forward: the address it goes to (press@ to PR)."
    )
    lead_source: str | None = Field(
        default=None, description="The Lead Source value written to the CRM (default: the id)."
    )
    buy_now: bool = Field(
        default=False,
        description="D8: a purchase from this source creates or updates the CRM account and "
        "notifies its owner.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> LeadSource:
        if not (self.forms or self.pages or self.mailboxes or self.signups):
            raise ValueError("expected at least one of forms, pages, mailboxes, signups")
        if self.handling == "forward" and not self.forward_to:
            raise ValueError("forward_to: required when handling = 'forward'")
        if self.handling == "subscription" and not self.lists:
            raise ValueError("lists: required when handling = 'subscription'")
        bad = [p for p in self.pages if not p.startswith("/")]
        if bad:
            raise ValueError(f"pages: {bad[0]!r} is not a path (expected '/...')")
        return self


def check_sources(sources: Sequence[LeadSource]) -> None:
    """Each id, form, mailbox and signup kind named once (ValueError naming the entry)."""
    seen: dict[tuple[str, str], int] = {}
    for index, source in enumerate(sources):
        keys = [("id", source.id.casefold())]
        keys += [("form", f.casefold()) for f in source.forms]
        keys += [("mailbox", m.casefold()) for m in source.mailboxes]
        keys += [("signup", s.casefold()) for s in source.signups]
        keys += [("page", p.casefold()) for p in source.pages]
        for what, value in keys:
            if (what, value) in seen:
                raise ValueError(
                    f"[{index}].{what}s: '{value}' is already in [{seen[what, value]}]"
                    if what != "id"
                    else f"[{index}].id: '{value}' is used twice"
                )
            seen[what, value] = index


@dataclass(frozen=True)
class SourceMatch:
    """The source an inbound event came from, how it is handled, and why (D1)."""

    source: str
    handling: Handling
    why: str
    config: LeadSource | None

    @property
    def lead_source(self) -> str:
        """The Lead Source value the CRM gets."""
        if self.config is not None and self.config.lead_source:
            return self.config.lead_source
        return self.source

    def to_json(self) -> dict[str, Any]:
        """As stored in the intake decision."""
        return {"source": self.source, "handling": self.handling, "why": self.why}


def _path(url: Any) -> str | None:
    if not isinstance(url, str) or not url:
        return None
    try:
        return urlsplit(url).path or "/"
    except ValueError:
        return None


def match_source(
    sources: Sequence[LeadSource], kind: str, payload: Mapping[str, Any]
) -> SourceMatch:
    """Which configured source an inbound event matches (`kind`: form, mailbox or signup).

    A form matches by its id first, then by the longest page path that
    prefixes its page; a mail by the mailbox; a webhook by its kind. Nothing
    matched: BDR qualification, under the name of what came in.
    """
    if kind == "form":
        form = str(payload.get("form_id") or "")
        for source in sources:
            if form.casefold() in (f.casefold() for f in source.forms):
                return SourceMatch(
                    source.id, source.handling, f"form '{form}' is source '{source.id}'", source
                )
        path = _path(payload.get("page_url"))
        if path is not None:
            best: tuple[int, LeadSource] | None = None
            for source in sources:
                for page in source.pages:
                    if path.startswith(page) and (best is None or len(page) > best[0]):
                        best = (len(page), source)
            if best is not None:
                source = best[1]
                return SourceMatch(
                    source.id,
                    source.handling,
                    f"form '{form}' on page {path} is source '{source.id}'",
                    source,
                )
        name = f"form:{form}"
    elif kind == "mailbox":
        mailbox = str(payload.get("mailbox") or "").strip()
        for source in sources:
            if mailbox.casefold() in (m.casefold() for m in source.mailboxes):
                return SourceMatch(
                    source.id, source.handling, f"mail to {mailbox} is source '{source.id}'", source
                )
        name = f"mailbox:{mailbox}"
    else:
        signup = str(payload.get("kind") or "")
        for source in sources:
            if signup.casefold() in (s.casefold() for s in source.signups):
                return SourceMatch(
                    source.id, source.handling, f"{signup} webhook is source '{source.id}'", source
                )
        name = f"signup:{signup}"
    return SourceMatch(
        name,
        "lead",
        f"{name} is not in [[leads.sources]]: any source not configured goes to BDR "
        "qualification (D1)",
        None,
    )
