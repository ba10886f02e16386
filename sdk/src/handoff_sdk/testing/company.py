"""The synthetic company every vendor simulator is seeded with: one world, seen by each vendor.

`handoff sandbox` serves every installed connector's simulator at once, so
what one vendor knows must agree with what the others know: the companies
6sense identifies by IP are the Salesforce accounts with the same domains,
the people Outreach sequences are the CRM's contacts and leads, the tickets'
requesters are those contacts, the reps who own the accounts have Google
calendars, Zoom users, Slack users and Outreach mailboxes. This module is
that world, written once; each simulator reads the part its vendor holds and
renders it in the vendor's own shapes and ids.

Everything here is synthetic: domains under `.example` (customers) and
`example.test` (the seller, whose reps are the GitLab playbook's, so the
sandbox's routing rules find them), IPs from the documentation ranges
(RFC 5737). Times are offsets from "now", read on the simulator's clock when
it seeds, so a sandbox started today has meetings today and a contract test
on a `FakeClock` gets the same shapes at its own now.

Tests may read this module to build cases that exist in a simulator (it is
public data, not a simulator's internals): `COMPANY.person("ana.lima@...")`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

__all__ = [
    "COMPANY",
    "CalendarEvent",
    "Company",
    "Customer",
    "OutreachSequence",
    "PageView",
    "Person",
    "SellerRep",
    "SlackChannel",
    "SurveyAnswer",
    "Ticket",
    "VisitorSample",
]


@dataclass(frozen=True)
class CalendarEvent:
    """A busy block on a rep's calendar, `starts_in` from now, lasting `minutes`."""

    title: str
    starts_in: timedelta
    minutes: int

    def start(self, now: datetime) -> datetime:
        """When it starts, on the clock of the simulator that seeds it (whole minutes)."""
        return (now + self.starts_in).replace(second=0, microsecond=0)

    def end(self, now: datetime) -> datetime:
        """When it ends."""
        return self.start(now) + timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class SellerRep:
    """One of the seller's reps: who they are in every tool (the GitLab playbook's reps)."""

    id: str
    """The hub's rep id, as in the playbook's `[[routing.reps]]`."""
    first_name: str
    last_name: str
    email: str
    title: str
    timezone: str
    salesforce_id: str
    outreach_id: int
    slack_id: str
    zoom_id: str
    calendar: tuple[CalendarEvent, ...] = ()

    @property
    def name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Customer:
    """A company the seller sells to: a Salesforce account, a 6sense company, a Zendesk org."""

    key: str
    name: str
    domain: str
    industry: str
    employees: int
    annual_revenue: int
    country: str
    country_code: str
    region: str
    state: str
    city: str
    geo: str
    account_type: str
    """Prospect or Customer."""
    status: str
    """Working status (Q3c), e.g. 'Actively Working'."""
    owner: str
    """Rep id of the account owner."""
    salesforce_id: str
    sixsense_id: str
    ips: tuple[str, ...]
    """Visitor IPs 6sense resolves to this company."""
    buying_stage: str
    intent_score: int
    profile_fit: str
    profile_score: int
    segments: tuple[str, ...]
    bdr: str | None = None
    """Rep id of the account's 'BDR Assigned' (Q3b, Q3c)."""
    sector: str | None = None
    tier: str | None = None
    carr: float | None = None
    zendesk_org_id: int | None = None
    gainsight_id: str | None = None

    @property
    def website(self) -> str:
        """The website as the CRM holds it."""
        return f"https://www.{self.domain}"


@dataclass(frozen=True)
class OutreachSequence:
    """An Outreach sequence the reps run."""

    id: int
    name: str


@dataclass(frozen=True)
class Person:
    """Someone at a customer: a Salesforce contact or lead, a Marketo lead, an Outreach prospect."""

    key: str
    first_name: str
    last_name: str
    email: str
    title: str
    customer: str
    """Key of their company."""
    kind: str
    """'contact' (converted, on an account) or 'lead'."""
    salesforce_id: str
    marketo_id: int
    outreach_id: int
    phone: str = ""
    lead_status: str | None = None
    lead_source: str | None = None
    sequence: tuple[int, str, str] | None = None
    """(sequence id, Outreach state, rep id running it) when sequenced."""
    zendesk_id: int | None = None

    @property
    def name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Ticket:
    """A Zendesk ticket raised by a contact."""

    id: int
    subject: str
    description: str
    requester: str
    """Key of the person who raised it."""
    status: str
    priority: str
    tags: tuple[str, ...]
    age: timedelta
    """How long ago it was opened."""


@dataclass(frozen=True)
class SurveyAnswer:
    """A Gainsight survey response (P5)."""

    id: str
    person: str
    survey: str
    score: int | None
    comment: str | None
    age: timedelta


@dataclass(frozen=True)
class PageView:
    """A PathFactory content view (P5: Fast Moving Buyer)."""

    id: str
    person: str
    asset_id: str
    asset_title: str
    engaged_seconds: int
    age: timedelta


@dataclass(frozen=True)
class SlackChannel:
    """A Slack channel the bot is in (or, with `member=False`, is not)."""

    id: str
    name: str
    member: bool = True
    archived: bool = False


@dataclass(frozen=True)
class VisitorSample:
    """A website visitor for sample traffic: an IP 6sense knows (or not), a page, maybe an email."""

    id: str
    ip: str
    page_url: str
    email: str | None = None
    language: str | None = None
    name: str | None = None
    """The visitor's name as they give it in the chat (for the write-back)."""


T = TypeVar("T")


def _hours(value: float) -> timedelta:
    return timedelta(hours=value)


@dataclass(frozen=True)
class Company:
    """The whole synthetic world; see the module's docstring."""

    name: str
    domain: str
    reps: tuple[SellerRep, ...]
    customers: tuple[Customer, ...]
    people: tuple[Person, ...]
    sequences: tuple[OutreachSequence, ...]
    tickets: tuple[Ticket, ...]
    surveys: tuple[SurveyAnswer, ...]
    pageviews: tuple[PageView, ...]
    channels: tuple[SlackChannel, ...]
    visitors: tuple[VisitorSample, ...]
    non_actionable_ips: tuple[str, ...]
    """IPs 6sense resolves to an ISP or a hosting network: "Non-actionable Match"."""

    def rep(self, rep_id: str) -> SellerRep:
        """The rep with this hub id."""
        return _one(self.reps, lambda r: r.id == rep_id, f"rep {rep_id}")

    def rep_by_email(self, email: str) -> SellerRep | None:
        """The rep with this email (any case), if any."""
        wanted = email.strip().lower()
        return next((r for r in self.reps if r.email == wanted), None)

    def customer(self, key: str) -> Customer:
        """The customer with this key."""
        return _one(self.customers, lambda c: c.key == key, f"customer {key}")

    def customer_by_domain(self, domain: str) -> Customer | None:
        """The customer whose web domain this is, if any."""
        wanted = domain.strip().lower().removeprefix("www.")
        return next((c for c in self.customers if c.domain == wanted), None)

    def customer_by_ip(self, ip: str) -> Customer | None:
        """The customer 6sense resolves this IP to, if any."""
        return next((c for c in self.customers if ip in c.ips), None)

    def person(self, key_or_email: str) -> Person:
        """The person with this key or email."""
        wanted = key_or_email.strip().lower()
        return _one(self.people, lambda p: wanted in (p.key, p.email), f"person {key_or_email}")

    def person_by_email(self, email: str) -> Person | None:
        """The person with this email (any case), if any."""
        wanted = email.strip().lower()
        return next((p for p in self.people if p.email == wanted), None)

    def people_at(self, customer: str) -> list[Person]:
        """The people at one customer."""
        return [p for p in self.people if p.customer == customer]

    def sequence(self, sequence_id: int) -> OutreachSequence:
        """The sequence with this Outreach id."""
        return _one(self.sequences, lambda s: s.id == sequence_id, f"sequence {sequence_id}")


def _one(items: tuple[T, ...], match: Callable[[T], bool], what: str) -> T:
    found = [i for i in items if match(i)]
    if not found:
        raise KeyError(f"the synthetic company has no {what}")
    return found[0]


def _rep(  # noqa: PLR0917 - one row of the table below
    rep_id: str,
    first: str,
    last: str,
    title: str,
    timezone: str,
    salesforce_id: str,
    outreach_id: int,
    slack_id: str,
    zoom_id: str,
    calendar: tuple[CalendarEvent, ...] = (),
) -> SellerRep:
    email = f"{first.lower()}.{last.lower()}@example.test"
    return SellerRep(
        rep_id, first, last, email, title, timezone, salesforce_id, outreach_id, slack_id, zoom_id,
        calendar,
    )  # fmt: skip


def _busy(title: str, hours_from_now: float, minutes: int) -> CalendarEvent:
    return CalendarEvent(title, _hours(hours_from_now), minutes)


REPS = (
    _rep("bdr-avery", "Avery", "Stone", "BDR, AMER", "America/New_York",
         "005Hd0000000201AAA", 201, "U0SIM00201", "zu-sim-201",
         (_busy("Pipeline review", 1, 60), _busy("Litware discovery call", 26, 30))),
    _rep("bdr-jonas", "Jonas", "Weber", "BDR, EMEA", "Europe/Berlin",
         "005Hd0000000203AAA", 203, "U0SIM00203", "zu-sim-203",
         (_busy("Fabrikam follow-up", 2, 30),)),
    _rep("pubsec-morgan", "Morgan", "Lee", "PubSec BDR", "America/New_York",
         "005Hd0000000202AAA", 202, "U0SIM00202", "zu-sim-202",
         (_busy("Contoso Federal briefing", 0.5, 45), _busy("Team standup", 24, 15))),
    _rep("pubsec-riley", "Riley", "Chen", "PubSec BDR", "America/Chicago",
         "005Hd0000000204AAA", 204, "U0SIM00204", "zu-sim-204"),
    _rep("sdr-taylor", "Taylor", "Brooks", "SDR, AMER", "America/New_York",
         "005Hd0000000301AAA", 301, "U0SIM00301", "zu-sim-301",
         (_busy("1:1 with manager", 3, 30), _busy("Adventure Works demo", 27, 60))),
    _rep("sdr-jordan", "Jordan", "Diaz", "SDR, AMER", "America/Los_Angeles",
         "005Hd0000000302AAA", 302, "U0SIM00302", "zu-sim-302"),
    _rep("sdr-camille", "Camille", "Martin", "SDR, EMEA, French", "Europe/Paris",
         "005Hd0000000311AAA", 311, "U0SIM00311", "zu-sim-311",
         (_busy("Formation produit", 4, 60),)),
    _rep("sdr-lukas", "Lukas", "Fischer", "SDR, EMEA, German", "Europe/Berlin",
         "005Hd0000000312AAA", 312, "U0SIM00312", "zu-sim-312"),
    _rep("sdr-amelie", "Amelie", "Dubois", "SDR, French", "America/Toronto",
         "005Hd0000000313AAA", 313, "U0SIM00313", "zu-sim-313"),
    _rep("sdr-haruto", "Haruto", "Sato", "SDR, APAC, Japanese", "Asia/Tokyo",
         "005Hd0000000321AAA", 321, "U0SIM00321", "zu-sim-321",
         (_busy("Tailspin kickoff", 20, 60),)),
    _rep("sdr-olivia", "Olivia", "Nguyen", "SDR, APAC", "Australia/Sydney",
         "005Hd0000000322AAA", 322, "U0SIM00322", "zu-sim-322"),
)  # fmt: skip

CUSTOMERS = (
    Customer(
        key="litware", name="Litware Inc", domain="litware.example", industry="Software",
        employees=2500, annual_revenue=420_000_000, country="United States",
        country_code="US", region="Northern America", state="California", city="San Jose",
        geo="AMER", account_type="Prospect", status="Actively Working", owner="sdr-taylor",
        bdr="bdr-avery", salesforce_id="001Hd000SIM0001AAA", sixsense_id="6s-sim-0001",
        ips=("203.0.113.10", "203.0.113.11", "203.0.113.77"), buying_stage="Decision",
        intent_score=82,
        profile_fit="Strong", profile_score=91, segments=("Enterprise Software", "Target 2026"),
        tier="Tier 1", zendesk_org_id=None, gainsight_id=None,
    ),
    Customer(
        key="adventure-works", name="Adventure Works", domain="adventure-works.example",
        industry="Manufacturing", employees=12000, annual_revenue=2_100_000_000,
        country="United States", country_code="US", region="Northern America", state="Ohio",
        city="Columbus", geo="AMER", account_type="Customer", status="Customer",
        owner="sdr-taylor", salesforce_id="001Hd000SIM0002AAA", sixsense_id="6s-sim-0002",
        ips=("203.0.113.20",), buying_stage="Purchase", intent_score=64, profile_fit="Strong",
        profile_score=88, segments=("Manufacturing", "Expansion"), tier="Tier 1",
        carr=480_000.0, zendesk_org_id=360000000002, gainsight_id="1P03SIM0000000000000000002",
    ),
    Customer(
        key="contoso-federal", name="Contoso Federal", domain="contoso-federal.example",
        industry="Government Administration", employees=5400, annual_revenue=0,
        country="United States", country_code="US", region="Northern America",
        state="Virginia", city="Arlington", geo="AMER", account_type="Prospect",
        status="Actively Working", owner="pubsec-morgan", bdr="pubsec-morgan",
        sector="US Public Sector", salesforce_id="001Hd000SIM0003AAA",
        sixsense_id="6s-sim-0003", ips=("198.51.100.22",), buying_stage="Consideration",
        intent_score=57, profile_fit="Moderate", profile_score=70,
        segments=("Public Sector",), tier="Tier 2",
    ),
    Customer(
        key="fabrikam", name="Fabrikam GmbH", domain="fabrikam.example", industry="Automotive",
        employees=8300, annual_revenue=1_400_000_000, country="Germany", country_code="DE",
        region="Western Europe", state="Bavaria", city="Munich", geo="EMEA",
        account_type="Customer", status="Customer", owner="bdr-jonas", bdr="bdr-jonas",
        salesforce_id="001Hd000SIM0004AAA", sixsense_id="6s-sim-0004",
        ips=("192.0.2.33",), buying_stage="Awareness", intent_score=31, profile_fit="Moderate",
        profile_score=62, segments=("DACH", "Automotive"), tier="Tier 2", carr=150_000.0,
        zendesk_org_id=360000000004, gainsight_id="1P03SIM0000000000000000004",
    ),
    Customer(
        key="northwind", name="Northwind Traders", domain="northwind.example",
        industry="Retail", employees=900, annual_revenue=95_000_000, country="France",
        country_code="FR", region="Western Europe", state="Ile-de-France", city="Paris",
        geo="EMEA", account_type="Customer", status="Customer", owner="sdr-camille",
        salesforce_id="001Hd000SIM0005AAA", sixsense_id="6s-sim-0005",
        ips=("192.0.2.50",), buying_stage="Consideration", intent_score=48,
        profile_fit="Moderate", profile_score=58, segments=("Retail",), tier="Tier 3",
        carr=36_000.0, zendesk_org_id=360000000005, gainsight_id="1P03SIM0000000000000000005",
    ),
    Customer(
        key="tailspin", name="Tailspin Toys KK", domain="tailspin.example",
        industry="Consumer Goods", employees=1800, annual_revenue=260_000_000,
        country="Japan", country_code="JP",
        region="Eastern Asia", state="Tokyo", city="Tokyo", geo="APAC", account_type="Prospect",
        status="Actively Working", owner="sdr-haruto", salesforce_id="001Hd000SIM0006AAA",
        sixsense_id="6s-sim-0006", ips=("203.0.113.44",), buying_stage="Awareness",
        intent_score=22, profile_fit="Weak", profile_score=35, segments=("APAC Growth",),
    ),
)  # fmt: skip

SEQUENCES = (
    OutreachSequence(3001, "Inbound pricing follow-up"),
    OutreachSequence(3002, "Public sector outreach"),
    OutreachSequence(3003, "Customer expansion"),
)

PEOPLE = (
    Person("jamie-ortiz", "Jamie", "Ortiz", "jamie.ortiz@litware.example", "VP Engineering",
           "litware", "contact", "003Hd000SIM0001AAA", 5001, 1001, "+1 408 555 0101",
           sequence=(3001, "active", "bdr-avery")),
    Person("priya-shah", "Priya", "Shah", "priya.shah@litware.example", "DevOps Lead",
           "litware", "lead", "00QHd000SIM0001AAA", 5002, 1002, "+1 408 555 0102",
           lead_status="Working", lead_source="Web"),
    Person("ana-lima", "Ana", "Lima", "ana.lima@adventure-works.example", "Director of IT",
           "adventure-works", "contact", "003Hd000SIM0002AAA", 5003, 1003, "+1 614 555 0103",
           sequence=(3003, "active", "sdr-taylor"), zendesk_id=381000000003),
    Person("pat-lee", "Pat", "Lee", "pat.lee@adventure-works.example", "Platform Engineer",
           "adventure-works", "contact", "003Hd000SIM0003AAA", 5004, 1004, "+1 614 555 0104",
           zendesk_id=381000000004),
    Person("casey-brown", "Casey", "Brown", "casey.brown@contoso-federal.example",
           "Program Manager", "contoso-federal", "lead", "00QHd000SIM0002AAA", 5005, 1005,
           "+1 703 555 0105", lead_status="Open", lead_source="Event",
           sequence=(3002, "paused", "pubsec-morgan")),
    Person("lena-koch", "Lena", "Koch", "lena.koch@fabrikam.example", "Head of Platform",
           "fabrikam", "contact", "003Hd000SIM0004AAA", 5006, 1006, "+49 89 5550106",
           sequence=(3003, "finished", "bdr-jonas"), zendesk_id=381000000006),
    Person("max-bauer", "Max", "Bauer", "max.bauer@fabrikam.example", "Release Manager",
           "fabrikam", "contact", "003Hd000SIM0005AAA", 5007, 1007, "+49 89 5550107",
           zendesk_id=381000000007),
    Person("chloe-durand", "Chloe", "Durand", "chloe.durand@northwind.example", "CTO",
           "northwind", "contact", "003Hd000SIM0006AAA", 5008, 1008, "+33 1 55 50 01 08",
           zendesk_id=381000000008),
    Person("yuki-tanaka", "Yuki", "Tanaka", "yuki.tanaka@tailspin.example", "Engineering Manager",
           "tailspin", "lead", "00QHd000SIM0003AAA", 5009, 1009, "+81 3 5550 0109",
           lead_status="Open", lead_source="Web", sequence=(3001, "active", "sdr-haruto")),
)  # fmt: skip

TICKETS = (
    Ticket(1001, "Runners stuck in pending", "Since this morning our CI runners stay pending.",
           "ana-lima", "open", "high", ("ci", "runners"), _hours(5)),
    Ticket(1002, "SSO login loops", "Users bounce between the IdP and the login page.",
           "pat-lee", "pending", "normal", ("sso",), _hours(30)),
    Ticket(1003, "Invoice in EUR", "Please reissue the last invoice in EUR.", "lena-koch",
           "solved", "low", ("billing",), _hours(72)),
    Ticket(1004, "Upgrade path to 17.x", "Which versions must we pass through?", "max-bauer",
           "new", "normal", ("upgrade",), _hours(2)),
    Ticket(1005, "Export des tableaux de bord", "Comment exporter les tableaux de bord ?",
           "chloe-durand", "open", "normal", ("analytics", "fr"), _hours(8)),
)  # fmt: skip

SURVEYS = (
    SurveyAnswer("1P02SIM00000000000000000001", "ana-lima", "Q1 NPS Relationship Survey", 9,
                 "Pipelines got much faster after the upgrade.", _hours(0.9)),
    SurveyAnswer("1P02SIM00000000000000000002", "pat-lee", "Support CSAT Survey", 2,
                 "Two days without an answer on SSO.", _hours(0.6)),
    SurveyAnswer("1P02SIM00000000000000000003", "lena-koch", "Q1 NPS Relationship Survey", 4,
                 "Renewal is under review.", _hours(0.4)),
    SurveyAnswer("1P02SIM00000000000000000004", "chloe-durand", "Q1 NPS Relationship Survey",
                 None, None, _hours(0.3)),
)  # fmt: skip

PAGEVIEWS = (
    PageView("pv-sim-0001", "jamie-ortiz", "101", "CI/CD Primer", 240, _hours(0.8)),
    PageView("pv-sim-0002", "jamie-ortiz", "102", "DevSecOps Buyer's Guide", 310, _hours(0.6)),
    PageView("pv-sim-0003", "jamie-ortiz", "104", "Total Cost of Ownership Calculator", 380,
             _hours(0.4)),
    PageView("pv-sim-0004", "priya-shah", "101", "CI/CD Primer", 90, _hours(0.5)),
    PageView("pv-sim-0005", "yuki-tanaka", "103", "Platform Engineering Report", 150,
             _hours(0.2)),
)  # fmt: skip

CHANNELS = (
    SlackChannel("C0SIMSALES", "sales"),
    SlackChannel("C0SIMACCMGT", "account-management"),
    SlackChannel("C0SIMSUPESC", "support-escalations"),
    SlackChannel("C0SIMALERTS", "handoff-alerts"),
    SlackChannel("C0SIMCSSURV", "cs_programs_survey_results"),
    SlackChannel("C0SIMGENERL", "general", member=False),
    SlackChannel("C0SIMOLDWIN", "old-wins", archived=True),
)

VISITORS = (
    VisitorSample("sbx-v-01", "203.0.113.10", "https://about.example.test/pricing/",
                  email="jamie.ortiz@litware.example", name="Jamie Ortiz"),
    VisitorSample("sbx-v-02", "198.51.100.22",
                  "https://about.example.test/solutions/public-sector/"),
    VisitorSample("sbx-v-03", "192.0.2.33", "https://about.example.test/de-de/pricing/",
                  language="de"),
    VisitorSample("sbx-v-04", "203.0.113.44", "https://about.example.test/ja-jp/", language="ja"),
    VisitorSample("sbx-v-05", "198.51.100.200", "https://about.example.test/blog/",
                  email="sam.rivera@newco.example", name="Sam Rivera"),
    VisitorSample("sbx-v-06", "192.0.2.200", "https://about.example.test/pricing/"),
)  # fmt: skip

COMPANY = Company(
    name="Example",
    domain="example.test",
    reps=REPS,
    customers=CUSTOMERS,
    people=PEOPLE,
    sequences=SEQUENCES,
    tickets=TICKETS,
    surveys=SURVEYS,
    pageviews=PAGEVIEWS,
    channels=CHANNELS,
    visitors=VISITORS,
    non_actionable_ips=("198.51.100.200",),
)
"""The one synthetic world every simulator seeds from."""
