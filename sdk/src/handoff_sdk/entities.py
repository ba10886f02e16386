"""Canonical entities: the one shape of each thing, whatever system it came from.

Every entity that exists in outside systems carries `ids`, a map from system
name to that system's id, so one Lead can be the Salesforce lead, the Marketo
lead and the Outreach prospect at once. Every field is documented through
`Field(description=...)`; `docs/entities.md` is generated from these and a test
keeps it in step.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Account",
    "AccountCriterion",
    "AccountPage",
    "AccountUpdate",
    "BusySlot",
    "Case",
    "Contact",
    "Conversation",
    "CrmActivity",
    "Entity",
    "Event",
    "Experience",
    "ExperienceMode",
    "Firmographics",
    "Lead",
    "Meeting",
    "ModelReply",
    "Notification",
    "Opportunity",
    "PollResult",
    "Program",
    "Rep",
    "RepStatus",
    "ReplyPassage",
    "ReplyPrompt",
    "ReplyTurn",
    "SequenceState",
    "Team",
    "Ticket",
    "TicketComment",
    "TicketUpdate",
    "TokenUsage",
    "User",
    "Visitor",
    "WebhookRequest",
    "WriteError",
    "WriteResult",
]


class Entity(BaseModel):
    """Base of every canonical entity: strict about unknown fields, ids per system."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    ids: dict[str, str] = Field(
        default_factory=dict,
        description="This entity's id in each outside system, keyed by system name "
        "(e.g. {'salesforce': '00Q...', 'marketo': '1042'}).",
    )

    def id_in(self, system: str) -> str | None:
        """The id in one system, or None when this entity is not known there."""
        return self.ids.get(system)


class Firmographics(BaseModel):
    """What a reverse-IP or domain lookup says about a company (rule Q1)."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(description="The connector that supplied this, e.g. '6sense'.")
    company_id: str | None = Field(default=None, description="The source's own company id.")
    company_name: str | None = Field(default=None, description="Company name.")
    domain: str | None = Field(default=None, description="Company web domain, lower case.")
    industry: str | None = Field(default=None, description="Industry as the source names it.")
    employee_count: int | None = Field(default=None, description="Number of employees.")
    employee_range: str | None = Field(default=None, description="Employee band, e.g. '500 - 999'.")
    annual_revenue: float | None = Field(default=None, description="Annual revenue in USD.")
    revenue_range: str | None = Field(default=None, description="Revenue band, e.g. '$10M - $25M'.")
    country: str | None = Field(default=None, description="Country name.")
    country_code: str | None = Field(default=None, description="ISO 3166-1 alpha-2 code.")
    region: str | None = Field(default=None, description="Region, e.g. 'Northern America'.")
    state: str | None = Field(default=None, description="State or province.")
    city: str | None = Field(default=None, description="City.")
    segments: list[str] = Field(default_factory=list, description="Segments the company is in.")
    buying_stage: str | None = Field(
        default=None, description="Intent buying stage where the source has one (e.g. 'Decision')."
    )
    intent_score: float | None = Field(default=None, description="Intent score, 0-100.")
    profile_fit: str | None = Field(default=None, description="Profile fit, e.g. 'Strong'.")
    product_insights: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Per product line: buying stage, intent and fit scores, as the source gives.",
    )
    confidence: str | None = Field(
        default=None, description="How sure the match is (the source's own wording)."
    )


class Visitor(Entity):
    """A person on the website, known or anonymous (Q1)."""

    id: str = Field(description="The hub's id for this visitor (e.g. the chat tool's visitor id).")
    ip: str | None = Field(default=None, description="IPv4 or IPv6 address seen by the website.")
    page_url: str | None = Field(default=None, description="The page being viewed.")
    referrer: str | None = Field(default=None, description="The referring URL.")
    email: str | None = Field(default=None, description="Email, when the visitor has given one.")
    cookie_id: str | None = Field(default=None, description="First-party cookie id.")
    language: str | None = Field(
        default=None, description="Language code of the experience (en, fr, de, ja), from the path."
    )
    country: str | None = Field(default=None, description="Visitor's country, from IP or form.")
    firmographics: Firmographics | None = Field(
        default=None, description="Enrichment result (6sense), when one was found."
    )
    account_id: str | None = Field(default=None, description="Hub id of the matched Account.")
    person_id: str | None = Field(
        default=None, description="Hub id of the matched Lead or Contact."
    )


class Account(Entity):
    """A company in the CRM (Q1, Q3, P1-P4, Z2)."""

    name: str = Field(description="Account name.")
    website: str | None = Field(default=None, description="Website as entered in the CRM.")
    domain: str | None = Field(
        default=None, description="Normalised web domain (no scheme, no 'www.'), lower case."
    )
    industry: str | None = Field(default=None, description="Industry.")
    employee_count: int | None = Field(default=None, description="Total employees (Z1 segment).")
    country: str | None = Field(default=None, description="Billing country.")
    state: str | None = Field(default=None, description="Billing state or province.")
    geo: str | None = Field(default=None, description="Sales geo, e.g. AMER, EMEA, APAC.")
    sector: str | None = Field(default=None, description="Sector, e.g. 'US Public Sector' (Q3b).")
    account_type: str | None = Field(default=None, description="Prospect, Customer, ...")
    status: str | None = Field(
        default=None, description="Working status, e.g. 'Actively Working' (Q3c)."
    )
    owner_id: str | None = Field(default=None, description="CRM user id of the account owner.")
    owner_name: str | None = Field(default=None, description="Name of the account owner.")
    owner_email: str | None = Field(
        default=None, description="Email of the account owner (P5 post-churn @mention)."
    )
    segment: str | None = Field(default=None, description="Sales segment, e.g. 'SMB' (P1 pool).")
    modified_by: str | None = Field(
        default=None,
        description="Who last changed the account in the CRM, as the CRM names them (P3: who "
        "made a manual rank change).",
    )
    modified_at: datetime | None = Field(
        default=None, description="When the account was last changed in the CRM."
    )
    bdr_assigned_id: str | None = Field(
        default=None, description="CRM user id of the account's 'BDR Assigned' (Q3b, Q3c)."
    )
    carr: float | None = Field(default=None, description="Customer ARR in USD (P1, P2).")
    total_funding: float | None = Field(default=None, description="Total funding in USD (P2).")
    lam_dev_count: int | None = Field(
        default=None, description="Developer count of the landed addressable market (P2)."
    )
    tier: str | None = Field(default=None, description="Pooled rank, e.g. 'Tier 1' (P2, P3).")
    fields: dict[str, Any] = Field(
        default_factory=dict, description="Other CRM fields, by their API name."
    )


class AccountCriterion(BaseModel):
    """One condition of an account query: field, operator, value (P1 pool, P3 re-rank).

    Every criterion of a query must hold. A text value compares the way the
    system compares text (Salesforce: without regard to case).
    """

    model_config = ConfigDict(extra="forbid")

    field: str = Field(
        description="A canonical Account attribute ('id', 'owner_id', 'segment', 'carr', "
        "'total_funding', 'lam_dev_count', 'industry', 'tier', ...) or 'fields.<API name>'."
    )
    op: Literal["eq", "ne", "lt", "le", "gt", "ge", "in"] = Field(
        description="eq, ne, lt (<), le (<=), gt (>), ge (>=), or in (one of a list)."
    )
    value: str | int | float | bool | list[str] | None = Field(
        description="What the field is compared with; a list for 'in'; null only with eq/ne."
    )


class AccountPage(BaseModel):
    """One page of an account query, and where the next page starts (P1, P3)."""

    model_config = ConfigDict(extra="forbid")

    accounts: list[Account] = Field(default_factory=list, description="The accounts, in order.")
    cursor: str | None = Field(
        default=None, description="Opaque position of the next page; None on the last page."
    )
    total: int | None = Field(
        default=None, description="How many accounts the query matches in all, if known."
    )


class AccountUpdate(BaseModel):
    """A change to one existing account: P3 rank changes, Q14 signals."""

    model_config = ConfigDict(extra="forbid")

    account_id: str = Field(description="The account's id in the target system.")
    tier: str | None = Field(default=None, description="New pooled rank, when it changes.")
    status: str | None = Field(default=None, description="New working status, when it changes.")
    fields: dict[str, Any] = Field(
        default_factory=dict, description="Other fields to set, by the system's API name."
    )


class Lead(Entity):
    """A person not yet converted to a Contact (D1-D5, Q11)."""

    email: str = Field(description="Email address; the key used to find the lead.")
    first_name: str | None = Field(default=None, description="First name.")
    last_name: str | None = Field(default=None, description="Last name.")
    company: str | None = Field(default=None, description="Company as the person gave it.")
    title: str | None = Field(default=None, description="Job title.")
    phone: str | None = Field(default=None, description="Phone number.")
    country: str | None = Field(default=None, description="Country.")
    status: str | None = Field(default=None, description="Lead status (D5), e.g. 'Open'.")
    score: float | None = Field(default=None, description="Lead score (D4).")
    source: str | None = Field(default=None, description="Lead source (D1).")
    owner_id: str | None = Field(default=None, description="CRM user id of the owner.")
    account_id: str | None = Field(default=None, description="CRM id of a matched account.")
    fields: dict[str, Any] = Field(
        default_factory=dict, description="Other fields, by the system's API name."
    )


class Contact(Entity):
    """A person attached to an Account (Q1, Q11, P5)."""

    email: str = Field(description="Email address.")
    first_name: str | None = Field(default=None, description="First name.")
    last_name: str | None = Field(default=None, description="Last name.")
    title: str | None = Field(default=None, description="Job title.")
    phone: str | None = Field(default=None, description="Phone number.")
    account_id: str | None = Field(default=None, description="CRM id of the contact's account.")
    owner_id: str | None = Field(default=None, description="CRM user id of the owner.")
    fields: dict[str, Any] = Field(
        default_factory=dict, description="Other fields, by the system's API name."
    )


class RepStatus(StrEnum):
    """A rep's chat presence (Q3 availability)."""

    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


class Rep(Entity):
    """A person who takes conversations or owns records: SDR, BDR, AE, or the AI rep."""

    id: str = Field(description="The hub's id for this rep.")
    name: str = Field(description="Display name.")
    email: str | None = Field(default=None, description="Work email.")
    teams: list[str] = Field(default_factory=list, description="Names of the teams the rep is in.")
    languages: list[str] = Field(
        default_factory=lambda: ["en"], description="Languages the rep chats in (Q3d)."
    )
    timezone: str = Field(default="UTC", description="IANA time zone of the working hours.")
    status: RepStatus = Field(default=RepStatus.OFFLINE, description="Current chat presence.")
    manager_id: str | None = Field(default=None, description="Hub id of the rep's manager (Z6).")
    is_ai: bool = Field(default=False, description="True for the AI rep (Q4).")
    zoom_link: str | None = Field(default=None, description="Personal Zoom meeting link (Q12).")


class Team(BaseModel):
    """A named group of reps, e.g. a geo's SDR pool or a language team (Q3)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Team name, as rules refer to it.")
    members: list[str] = Field(default_factory=list, description="Hub ids of the members.")
    geo: str | None = Field(default=None, description="Geo the team serves, if any.")
    language: str | None = Field(default=None, description="Language the team serves, if any.")


class Case(Entity):
    """A request for sales or support attention (P4-P6, Z2)."""

    subject: str = Field(description="One-line summary.")
    description: str | None = Field(default=None, description="Details for the person working it.")
    account_id: str | None = Field(default=None, description="CRM id of the account.")
    contact_id: str | None = Field(default=None, description="CRM id of the contact.")
    owner_id: str | None = Field(default=None, description="CRM id of the owning user or queue.")
    source: str | None = Field(default=None, description="Where the signal came from (P5).")
    trigger: str | None = Field(default=None, description="What triggered it (P5).")
    priority: str | None = Field(default=None, description="Priority, e.g. 'High'.")
    status: str | None = Field(default=None, description="Status, e.g. 'New'.")
    fields: dict[str, Any] = Field(
        default_factory=dict, description="Other fields, by the system's API name."
    )


class Ticket(Entity):
    """A help-desk ticket, e.g. a Zendesk request for a quote (Z2-Z6)."""

    subject: str = Field(default="", description="The ticket's subject line.")
    status: str | None = Field(
        default=None, description="new, open, pending, hold, solved or closed."
    )
    priority: str | None = Field(default=None, description="low, normal, high or urgent.")
    requester_email: str | None = Field(default=None, description="Email of who asked, lower case.")
    requester_name: str | None = Field(default=None, description="Name of who asked.")
    assignee_id: str | None = Field(
        default=None, description="The help desk's id of the agent it is assigned to."
    )
    assignee_email: str | None = Field(
        default=None, description="Email of the agent it is assigned to, lower case."
    )
    group_id: str | None = Field(default=None, description="The help desk's id of its group.")
    form_id: str | None = Field(default=None, description="The id of the form it was filed with.")
    tags: list[str] = Field(default_factory=list, description="Its tags.")
    fields: dict[str, Any] = Field(
        default_factory=dict,
        description="Custom field values by the help desk's field id ('360000000042': true).",
    )
    escalated_to_sales: bool | None = Field(
        default=None, description="The 'Escalated to Sales' checkbox, where one is configured (Z6)."
    )
    created_at: datetime | None = Field(default=None, description="When it was opened.")
    updated_at: datetime | None = Field(default=None, description="When it last changed.")
    url: str | None = Field(default=None, description="Where an agent opens it.")


class TicketComment(BaseModel):
    """One comment on a ticket: a public reply or an internal note (Z6)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="The help desk's id of the comment.")
    author_id: str | None = Field(default=None, description="The help desk's id of its author.")
    author_email: str | None = Field(default=None, description="Its author's email, lower case.")
    public: bool = Field(default=True, description="False for an internal note.")
    body: str = Field(default="", description="Its text.")
    created_at: datetime | None = Field(default=None, description="When it was written.")


class TicketUpdate(BaseModel):
    """Changes to one ticket: who works it, the sales flag, an internal note (Z2, Z4)."""

    model_config = ConfigDict(extra="forbid")

    ticket_id: str = Field(description="The help desk's id of the ticket.")
    assignee_email: str | None = Field(
        default=None, description="Assign it to the agent with this email; None: keep."
    )
    escalated_to_sales: bool | None = Field(
        default=None, description="Tick (True) or untick the 'Escalated to Sales' box; None: keep."
    )
    note: str | None = Field(
        default=None, description="An internal note (never shown to the requester); None: none."
    )
    tags: list[str] = Field(default_factory=list, description="Tags to add (others are kept).")


class Opportunity(Entity):
    """A deal in the CRM: here, the upcoming renewal whose owner takes a renewal ticket (Z4)."""

    name: str = Field(description="Opportunity name.")
    account_id: str | None = Field(default=None, description="CRM id of its account.")
    type: str | None = Field(default=None, description="Its type, e.g. 'Renewal'.")
    stage: str | None = Field(default=None, description="Its stage, e.g. 'Negotiating'.")
    close_date: date | None = Field(default=None, description="Expected close date.")
    amount: float | None = Field(default=None, description="Amount in the org's currency.")
    is_closed: bool = Field(default=False, description="True once won or lost.")
    owner_id: str | None = Field(default=None, description="CRM user id of its owner.")
    owner_name: str | None = Field(default=None, description="Name of its owner.")


class User(Entity):
    """A person who logs in to a system (a CRM user who owns records), with their manager (Z6)."""

    name: str = Field(description="Full name, e.g. 'Ana Lima' or 'SFDC Admin'.")
    email: str | None = Field(default=None, description="Work email, lower case.")
    active: bool = Field(default=True, description="False for a deactivated user.")
    title: str | None = Field(default=None, description="Job title.")
    role: str | None = Field(default=None, description="Role, e.g. 'AE - EMEA SMB'.")
    profile: str | None = Field(default=None, description="Profile, e.g. 'Sales User'.")
    manager_id: str | None = Field(default=None, description="The system's id of their manager.")
    manager_name: str | None = Field(default=None, description="Their manager's name.")
    manager_email: str | None = Field(default=None, description="Their manager's email.")


class ExperienceMode(StrEnum):
    """Who answers first on a chat experience (Q4)."""

    HUMAN_FIRST = "human_first"
    AI_FIRST = "ai_first"


class Experience(BaseModel):
    """A chat experience shown on some pages (Q8, Q9)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Stable id.")
    name: str = Field(description="Name, e.g. 'Pricing' or 'Pricing - AI'.")
    language: str = Field(default="en", description="Language code.")
    mode: ExperienceMode = Field(default=ExperienceMode.HUMAN_FIRST, description="Q4 mode.")
    ai_takeover_seconds: int = Field(
        default=30, description="Human-first: seconds without an answer before the AI takes over."
    )
    enabled: bool = Field(default=True, description="Whether it is live.")
    twin_id: str | None = Field(
        default=None, description="The AI or traditional twin of this experience (Q8)."
    )


class Meeting(Entity):
    """A booked meeting (Q12)."""

    rep_id: str = Field(description="Hub id of the rep whose calendar it is on.")
    attendee_email: str = Field(description="The visitor's email.")
    start: datetime = Field(description="Start, timezone-aware.")
    end: datetime = Field(description="End, timezone-aware.")
    title: str = Field(default="Meeting", description="Calendar title.")
    join_url: str | None = Field(default=None, description="Zoom or other video link.")


class BusySlot(BaseModel):
    """A time a rep is busy, from their calendar (Q3 availability)."""

    model_config = ConfigDict(extra="forbid")

    start: datetime = Field(description="Start, timezone-aware.")
    end: datetime = Field(description="End, timezone-aware.")


class Program(Entity):
    """A marketing program (Q13)."""

    name: str = Field(description="Program name.")
    channel: str | None = Field(default=None, description="Channel, e.g. 'Webinar'.")
    tags: dict[str, str] = Field(default_factory=dict, description="Tag type -> tag value.")

    @property
    def used_with_qualified(self) -> bool:
        """Q13: shown only when tagged UsedWithQualified = True."""
        return self.tags.get("UsedWithQualified", "").strip().lower() == "true"


class Conversation(Entity):
    """A chat between a visitor and a rep or the AI rep (Q4, Q15)."""

    id: str = Field(description="The hub's id.")
    visitor_id: str = Field(description="Hub id of the visitor.")
    experience_id: str | None = Field(default=None, description="Experience it started on.")
    rep_id: str | None = Field(default=None, description="Hub id of the rep who joined.")
    status: str = Field(default="requested", description="requested, routed, active, ended.")
    started_at: datetime | None = Field(default=None, description="When it was requested.")


class SequenceState(Entity):
    """A person's sales-engagement sequence (Q3a)."""

    email: str = Field(description="The person's email.")
    sequence_name: str | None = Field(default=None, description="Sequence name.")
    state: str = Field(description="The tool's state, e.g. 'active', 'paused', 'finished'.")
    active: bool = Field(description="True while the person is being actively sequenced.")
    owner_email: str | None = Field(default=None, description="Email of the rep running it.")
    owner_id: str | None = Field(default=None, description="The tool's id of that rep.")


class Event(BaseModel):
    """Something that happened, received by webhook, API or polling."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="Dotted type, e.g. 'outreach.sequence_state.changed'.")
    source: str = Field(description="Connector or 'hub'.")
    dedupe_key: str = Field(description="Same key = same event; stored and processed once.")
    occurred_at: datetime | None = Field(default=None, description="When it happened.")
    payload: dict[str, Any] = Field(default_factory=dict, description="Event data.")


class WebhookRequest(BaseModel):
    """A webhook as received, handed to a connector to verify and parse."""

    model_config = ConfigDict(extra="forbid")

    headers: dict[str, str] = Field(description="Headers, names lower case.")
    body: bytes = Field(description="Raw body, exactly as received (signatures cover it).")
    query: dict[str, str] = Field(default_factory=dict, description="Query parameters.")
    received_at: datetime = Field(description="When it arrived (for replay windows).")


class PollResult(BaseModel):
    """What one poll returned: new events and where to continue next time."""

    model_config = ConfigDict(extra="forbid")

    events: list[Event] = Field(default_factory=list, description="New events, oldest first.")
    cursor: str | None = Field(default=None, description="Opaque position to poll from next.")


class Notification(BaseModel):
    """A message to people: Slack channel post or email (P5, Z6, D2)."""

    model_config = ConfigDict(extra="forbid")

    channel: str | None = Field(default=None, description="Slack channel, e.g. '#sales'.")
    recipients: list[str] = Field(default_factory=list, description="Email addresses.")
    mentions: list[str] = Field(default_factory=list, description="People to @mention.")
    subject: str | None = Field(default=None, description="Email subject.")
    text: str = Field(description="Body text.")
    link: str | None = Field(default=None, description="A link to the record, e.g. the CRM page.")
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="Extra email headers, e.g. List-Unsubscribe and List-Unsubscribe-Post (D7).",
    )


class CrmActivity(BaseModel):
    """Something the hub did with a person, recorded in the CRM (Q13): a task, a campaign member."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(description="The person's email: their Lead or Contact is found by it.")
    subject: str = Field(description="The activity's subject, e.g. 'Chat held (Qualified)'.")
    description: str | None = Field(default=None, description="What happened, in words.")
    occurred_at: datetime = Field(description="When it happened, timezone-aware.")
    campaign_id: str | None = Field(
        default=None, description="The campaign the person joins (none: activity only)."
    )
    campaign_status: str | None = Field(
        default=None, description="Their member status in the campaign, e.g. 'Responded'."
    )
    key: str = Field(description="Unique per activity: a retry or replay writes it once.")


class WriteError(BaseModel):
    """Why one record of a write failed, in the API's own words."""

    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(default=None, description="The API's error code.")
    message: str = Field(description="The API's message.")
    fields: list[str] = Field(default_factory=list, description="Fields at fault.")


class WriteResult(BaseModel):
    """The outcome of writing one record; a batch returns one per input, in input order."""

    model_config = ConfigDict(extra="forbid")

    index: int = Field(description="Position of the record in the caller's input.")
    ok: bool = Field(description="Whether this record was written.")
    id: str | None = Field(default=None, description="Id in the target system when written.")
    created: bool | None = Field(default=None, description="True if created, False if updated.")
    errors: list[WriteError] = Field(default_factory=list, description="Why it failed.")


# -- the AI rep's model (issue 12): what a reply-generating connector is asked and answers ------


class ReplyTurn(BaseModel):
    """One message of the conversation a model is asked to continue, by who said it."""

    model_config = ConfigDict(extra="forbid")

    speaker: Literal["visitor", "ai", "rep"] = Field(
        description="visitor: the website visitor (the model's 'user'); ai: the AI rep's own "
        "earlier reply; rep: a person from the company who wrote in the chat."
    )
    text: str = Field(description="What was said, as sent.")


class ReplyPassage(BaseModel):
    """Approved content the reply may quote or link: a page's passage or a Scorecard answer."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(
        description="Where it comes from: a page's URL or path, or 'scorecard:<id>'."
    )
    title: str = Field(default="", description="The page's or the Scorecard question's title.")
    text: str = Field(description="The passage itself.")


class ReplyPrompt(BaseModel):
    """Everything a model is given to draft the AI rep's next reply (issue 12, Q5, Q6).

    `instructions` is the hub's own text (who the AI rep speaks for, its
    voice); `system_prompt()` adds the rules, goals and passages to it, so
    every backend puts the same words in front of its model.
    """

    model_config = ConfigDict(extra="forbid")

    instructions: str = Field(
        default="", description="The hub's instructions to the model: who it speaks for, how."
    )
    turns: list[ReplyTurn] = Field(
        min_length=1,
        description="The conversation so far, oldest first; the last is the visitor's message "
        "to answer.",
    )
    passages: list[ReplyPassage] = Field(
        default_factory=list, description="Retrieved content the reply may quote, best first."
    )
    goals: list[str] = Field(
        default_factory=list,
        description="What the conversation should reach, in words ('offer to book a meeting').",
    )
    rules: list[str] = Field(
        default_factory=list,
        description="The rules of engagement in words (Q6); the hub also enforces them on the "
        "reply, whatever the model says.",
    )
    max_tokens: int | None = Field(
        default=None, ge=1, description="Most tokens the reply may have (None: the connector's)."
    )
    temperature: float | None = Field(
        default=None, ge=0.0, le=2.0, description="Sampling temperature (None: the connector's)."
    )

    def system_prompt(self) -> str:
        """The instructions, then the rules, goals and passages as numbered sections, in words.

        One rendering for every backend: the OpenAI-compatible connector sends
        it as the `system` message, the Anthropic one as the top-level `system`.
        """
        parts = [self.instructions.strip()] if self.instructions.strip() else []
        if self.rules:
            parts.append(
                "Rules you must follow in every reply:\n"
                + "\n".join(f"{n}. {rule}" for n, rule in enumerate(self.rules, 1))
            )
        if self.goals:
            parts.append(
                "What this conversation should reach, when the visitor is ready:\n"
                + "\n".join(f"- {goal}" for goal in self.goals)
            )
        if self.passages:
            quoted = [
                f"[{n}] {p.title or p.source} ({p.source})\n{p.text.strip()}"
                for n, p in enumerate(self.passages, 1)
            ]
            parts.append(
                "Approved content: answer from it, quote it and link its source; say you do "
                "not know rather than invent:\n\n" + "\n\n".join(quoted)
            )
        return "\n\n".join(parts)


class TokenUsage(BaseModel):
    """Tokens a model call consumed, as the model's API counted them."""

    model_config = ConfigDict(extra="forbid")

    input_tokens: int = Field(default=0, ge=0, description="Tokens of the prompt.")
    output_tokens: int = Field(default=0, ge=0, description="Tokens of the reply.")


class ModelReply(BaseModel):
    """A model's draft of the AI rep's next reply: not yet checked by the rules of engagement."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="The reply's text (every text block, joined).")
    model: str = Field(description="The model that wrote it, as its API names it.")
    usage: TokenUsage = Field(default_factory=TokenUsage, description="Tokens consumed.")
    finish_reason: Literal["stop", "length", "content_filter", "other"] = Field(
        description="Why the model stopped: stop (it was done), length (max_tokens cut it "
        "short), content_filter (the vendor withheld it), other."
    )
    vendor_reason: str | None = Field(
        default=None,
        description="The API's own word for it ('end_turn', 'max_tokens', 'stop', 'length').",
    )
