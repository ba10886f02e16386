"""The lead lifecycle through the hub's API and worker: D1 sources, D2 assignment and claims,
D3 Soft-BANT, D4 scoring and MQL/SQL, D6 follow-up, D7 subscriptions, Q13 activity.

Each test posts what the outside world posts, over a loopback port, and runs
the worker on a FakeClock; nothing sleeps.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from harness import LeadsHub, Served, count, new_lead  # type: ignore[import-not-found]
from sqlalchemy import select

from handoff.config import HubConfig
from handoff.leads.assignment import assign, assignment_context
from handoff.leads.kinds import (
    ACTIVITY_DECISION,
    ASSIGNMENT_DECISION,
    CLAIM_DECISION,
    EMAIL_DECISION,
    EMAIL_REQUEST,
    FOLLOW_UP_DECISION,
    HUB_ACTIVITY,
    INTAKE_DECISION,
    MQL_DECISION,
    SQL_DECISION,
    WRITEBACK_JOB,
)
from handoff.leads.records import get_lead, remember_id
from handoff.leads.settings import LeadsConfig
from handoff.leads.store import LeadRow, LeadSyncRow
from handoff.rules import MemoryRotation
from handoff.runtime import HOOK_KIND, record_events
from handoff.store import Decision, Job
from handoff_sdk.entities import Event

REPS = [
    {"id": "bea", "name": "Bea Lund", "email": "bea@hub.example", "manager": "max@hub.example"},
    {"id": "ben", "name": "Ben Ode", "email": "ben@hub.example"},
    {"id": "aki", "name": "Aki Sato", "email": "aki@hub.example"},
    {"id": "ana", "name": "Ana Lim", "email": "ana@hub.example"},
    {"id": "nia", "name": "Nia Ford", "email": "nia@hub.example"},
    {"id": "ent", "name": "Eve Enterprise", "email": "eve@hub.example"},
    {"id": "sam", "name": "Sam Senior", "email": "sam@hub.example"},
]

CONFIG: dict[str, Any] = {
    "crm": None,
    "marketing": None,
    "notify": "slack",
    "mailer": "email",
    "sources": [
        {"id": "contact-sales", "forms": ["contact-sales"], "lead_source": "Contact Sales"},
        {
            "id": "newsletter",
            "forms": ["newsletter"],
            "handling": "subscription",
            "lists": ["news"],
        },
        {
            "id": "press",
            "mailboxes": ["press@corp.example"],
            "handling": "forward",
            "forward_to": "pr@corp.example",
        },
    ],
    "assignment": {
        "reps": REPS,
        "teams": [
            {"name": "bdr-emea", "members": ["bea", "ben"], "channel": "#bdr-emea"},
            {"name": "bdr-apac", "members": ["aki", "ana"], "channel": "#bdr-apac"},
            {"name": "bdr-na", "members": ["nia"]},
            {"name": "enterprise", "members": ["ent"]},
            {"name": "senior-am", "members": ["sam"]},
        ],
        "lists": {"fortune_500": ["bigretail.example"], "enterprise": ["brand.example"]},
        "regions": {"EMEA": ["Germany", "France"], "APAC": ["Japan", "Australia"]},
        "claim_fallback_minutes": 30,
        "rules": [
            {
                "id": "fortune-500",
                "when": {"field": "lead.domain", "in_list": "fortune_500"},
                "assign": "team:senior-am",
            },
            {
                "id": "enterprise",
                "when": {
                    "all": [
                        {"not": {"field": "lead.region", "equals": "EMEA"}},
                        {"field": "lead.domain", "in_list": "enterprise"},
                    ]
                },
                "assign": "team:enterprise",
                "alert_account_owner": True,
            },
            {
                "id": "account-owner",
                "when": {"field": "account.owner_id", "exists": True},
                "assign": "account_owner",
            },
            {
                "id": "emea",
                "when": {"field": "lead.region", "equals": "EMEA"},
                "assign": "team:bdr-emea",
            },
            {
                "id": "apac",
                "when": {"field": "lead.region", "equals": "APAC"},
                "assign": "claim:bdr-apac",
            },
            {"id": "na", "assign": "team:bdr-na"},
        ],
    },
    "scoring": {
        "threshold": 20,
        "behaviour": [
            {"kind": "page_view", "points": 1, "cap": 5},
            {"kind": "webinar_attended", "points": 10},
            {"kind": "form_fill", "points": 5},
        ],
        "demographic": [
            {"id": "senior", "when": {"field": "lead.title", "contains": ["VP"]}, "points": 4}
        ],
    },
    "follow_up": {"remind_after_days": 2, "escalate_after_days": 1},
    "subscriptions": {"public_url": "https://hub.example", "temporary_days": 30},
    "activities": [
        {
            "action": "form_qualified",
            "subject": "Form qualified",
            "campaign": "701X",
            "campaign_status": "Responded",
        }
    ],
}


@pytest.fixture
def leads_config() -> dict[str, Any]:
    return CONFIG


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDOFF_LEADS_UNSUBSCRIBE_SECRET", "unsub-test-secret")
    monkeypatch.setenv("HANDOFF_LEADS_SIGNUP_SECRET", "signup-test-secret")


def decisions(hub: LeadsHub, kind: str, lead: str | None = None) -> list[Decision]:
    with hub.store.sessions() as session:
        query = select(Decision).where(Decision.kind == kind).order_by(Decision.id)
        if lead:
            query = query.where(Decision.subject_id == lead)
        return list(session.scalars(query))


def jobs(hub: LeadsHub, hook: str | None = None, kind: str | None = None) -> list[Job]:
    with hub.store.sessions() as session:
        query = select(Job).order_by(Job.id)
        if hook:
            query = query.where(Job.hook == hook)
        if kind:
            query = query.where(Job.kind == kind)
        return list(session.scalars(query))


# -- D1 ---------------------------------------------------------------------------------


async def test_d1_sources_lead_subscription_forward_and_unconfigured(served: Served) -> None:
    async with served() as hub:
        await new_lead(hub, "lea@acme.example", form="contact-sales", country="Germany")
        lead = hub.lead("lea@acme.example")
        assert lead["source"] == "Contact Sales"
        assert lead["owner"]["rep"] in ("bea", "ben")  # BDR qualification: assigned (D2)

        await new_lead(hub, "sub@acme.example", form="newsletter")
        sub = hub.lead("sub@acme.example")
        assert sub["status"] is None
        assert sub["lists"] == ["news"]
        assert sub["owner"]["rep"] is None  # subscription only: no BDR

        mail = await hub.post(
            "/v1/inbound-emails",
            {
                "id": "mail-1",
                "email": "journalist@news.example",
                "mailbox": "press@corp.example",
                "subject_line": "Interview?",
                "text": "Can we talk?",
            },
        )
        assert mail.status_code == 202
        await hub.drain()
        with hub.store.sessions() as session:
            assert session.get(LeadRow, "journalist@news.example") is None  # never to sales
        forwarded = [
            j for j in jobs(hub, hook="handoff_send_notification") if j.connector == "email"
        ]
        assert forwarded[-1].payload["notification"]["recipients"] == ["pr@corp.example"]

        await new_lead(hub, "odd@acme.example", form="whitepaper-x")
        odd = hub.lead("odd@acme.example")
        assert odd["status"] in ("Raw", "Open")
        [intake] = decisions(hub, INTAKE_DECISION, "odd@acme.example")
        assert "goes to BDR qualification" in intake.explanation["why"]


# -- D2 ---------------------------------------------------------------------------------


async def test_d2_regions_round_robin_enterprise_fortune_500_and_account_owner(
    served: Served,
) -> None:
    async with served() as hub:
        for n in range(4):
            await new_lead(hub, f"e{n}@eu{n}.example", country="France")
        owners = [hub.lead(f"e{n}@eu{n}.example")["owner"]["rep"] for n in range(4)]
        assert owners == ["bea", "ben", "bea", "ben"]  # the team's durable round robin
        assert hub.lead("e0@eu0.example")["status"] == "Open"

        await new_lead(hub, "x@us.example", country="United States")
        assert hub.lead("x@us.example")["owner"]["rep"] == "nia"

        await new_lead(hub, "cfo@bigretail.example", country="Germany")
        assert hub.lead("cfo@bigretail.example")["owner"]["rep"] == "sam"

        await new_lead(hub, "vp@brand.example", country="United States")
        assert hub.lead("vp@brand.example")["owner"]["rep"] == "ent"
        await new_lead(hub, "vp2@brand.example", country="France")  # EMEA: not Enterprise
        assert hub.lead("vp2@brand.example")["owner"]["rep"] in ("bea", "ben")

        [decision] = decisions(hub, ASSIGNMENT_DECISION, "x@us.example")
        assert decision.outcome["rule"] == "na"
        rules = [c["rule"] for c in decision.explanation["rules"]]
        assert rules == ["fortune-500", "enterprise", "account-owner", "emea", "apac", "na"]


async def test_d2_an_account_in_the_crm_goes_to_its_owner_and_enterprise_alerts_it() -> None:

    config = LeadsConfig.model_validate(CONFIG)
    account = {"owner_id": "005A", "owner_name": "Olga Owner", "owner_email": "olga@hub.example"}
    known = assign(
        config.assignment,
        assignment_context(config.assignment, {"email": "a@known.example"}, account),
        MemoryRotation(),
        crm="salesforce",
    )
    assert known.owner == {
        "id": "005A",
        "rep": None,
        "name": "Olga Owner",
        "email": "olga@hub.example",
    }
    enterprise = assign(
        config.assignment,
        assignment_context(
            config.assignment, {"email": "a@brand.example", "country": "Japan"}, account
        ),
        MemoryRotation(),
        crm="salesforce",
    )
    assert enterprise.team == "enterprise"
    assert enterprise.alert == ["olga@hub.example"]


async def test_d2_apac_claim_race_between_two_reps_one_wins(served: Served) -> None:
    lead = "kenji@jp.example"
    async with served() as hub:
        await new_lead(hub, lead, country="Japan")
        offered = hub.lead(lead)
        assert offered["claim"] == {"team": "bdr-apac"}
        assert offered["owner"]["rep"] is None
        notices = [j for j in jobs(hub, hook="handoff_send_notification") if j.connector == "slack"]
        assert notices[-1].payload["notification"]["channel"] == "#bdr-apac"

        first, second = await asyncio.gather(
            hub.post(f"/v1/leads/{lead}/claim", {"rep": "aki"}),
            hub.post(f"/v1/leads/{lead}/claim", {"rep": "ana"}),
        )
        answers = sorted([first, second], key=lambda r: r.status_code)
        assert [r.status_code for r in answers] == [200, 409]
        winner = answers[0].json()["lead"]["owner"]["rep"]
        assert "already taken by" in answers[1].json()["error"]
        assert hub.lead(lead)["owner"]["rep"] == winner
        assert hub.lead(lead)["status"] == "Open"
        assert (
            len([d for d in decisions(hub, CLAIM_DECISION, lead) if not d.outcome.get("refused")])
            == 1
        )
        hub.clock.advance(3600)
        await hub.drain()
        assert hub.lead(lead)["owner"]["rep"] == winner  # the fall-back timer was cancelled


async def test_d2_nobody_claims_the_fallback_timer_gives_it_to_the_round_robin(
    served: Served,
) -> None:
    lead = "mia@au.example"
    async with served() as hub:
        await new_lead(hub, lead, country="Australia")
        hub.clock.advance(29 * 60)
        await hub.drain()
        assert hub.lead(lead)["owner"]["rep"] is None
        hub.clock.advance(60)
        await hub.drain()
        assert hub.lead(lead)["owner"]["rep"] == "aki"
        [decision] = decisions(hub, CLAIM_DECISION, lead)
        assert decision.outcome["by"] == "fallback"
        late = await hub.post(f"/v1/leads/{lead}/claim", {"rep": "ana"})
        assert late.status_code == 409


# -- D4 ---------------------------------------------------------------------------------


async def activity(hub: LeadsHub, email: str, kind: str, n: int) -> None:
    response = await hub.post(
        "/v1/lead-activities", {"id": f"act-{email}-{kind}-{n}", "email": email, "kind": kind}
    )
    assert response.status_code == 202, response.text
    await hub.drain()


async def test_d4_score_19_then_plus_1_is_one_mql_at_20(served: Served) -> None:
    lead = "sky@us.example"
    async with served() as hub:
        await new_lead(hub, lead, country="United States")
        await activity(hub, lead, "webinar_attended", 1)
        await activity(hub, lead, "form_fill", 1)
        for n in range(4):
            await activity(hub, lead, "page_view", n)
        assert hub.lead(lead)["score"] == 19
        assert decisions(hub, MQL_DECISION, lead) == []
        await activity(hub, lead, "page_view", 4)
        shown = hub.lead(lead)
        assert shown["score"] == 20
        assert shown["mql_at"] is not None
        for n in range(5, 9):
            await activity(hub, lead, "page_view", n)  # capped at 5: no more points
        await activity(hub, lead, "webinar_attended", 2)
        [mql] = decisions(hub, MQL_DECISION, lead)
        assert mql.outcome["score"] == 20
        assert mql.explanation["last_change"]["cause"] == "page_view"
        breakdown = hub.lead(lead)["score_breakdown"]["behaviour"]
        assert breakdown["page_view"]["points"] == 5
        assert breakdown["page_view"]["events"] == 9
        assert hub.lead(lead)["score"] == 30


async def test_d4_demographic_points_and_sql_from_crm_events(served: Served) -> None:
    lead = "vp@us.example"
    async with served() as hub:
        await new_lead(hub, lead, country="United States", title="VP Engineering")
        assert hub.lead(lead)["score_breakdown"]["demographic"]["points"] == 4
        convert = {
            "email": lead,
            "kind": "converted",
            "contact_id": "003A",
            "opportunity_id": "006A",
            "new_opportunity": True,
        }
        early = await hub.post("/v1/crm-lead-events", {"id": "c1", **convert})
        assert early.status_code == 202
        await hub.drain()
        assert hub.lead(lead)["sql_at"] is None  # not accepted yet
        await hub.post("/v1/crm-lead-events", {"id": "a1", "email": lead, "kind": "accepted"})
        await hub.post("/v1/crm-lead-events", {"id": "c2", **convert})
        await hub.drain()
        assert hub.lead(lead)["sql_at"] is not None
        [sql] = decisions(hub, SQL_DECISION, lead)
        assert "SQL" in sql.explanation["why"]


# -- D3, D6, Q13 ------------------------------------------------------------------------


async def test_d3_two_of_four_qualifies_passes_introduces_and_records_q13(served: Served) -> None:
    lead = "pat@eu.example"
    async with served() as hub:
        await new_lead(hub, lead, country="Germany", first_name="Pat")
        one = await hub.post(f"/v1/leads/{lead}/bant", {"budget": True, "actor": "bea"})
        assert one.status_code == 200, one.text
        assert one.json()["lead"]["status"] == "Progressing"  # 1 of 4: [leads.bant] below
        two = await hub.post(f"/v1/leads/{lead}/bant", {"need": True, "actor": "bea"})
        shown = two.json()["lead"]
        assert shown["status"] == "Qualified"
        assert shown["bant"]["met"] == ["budget", "need"]
        assert shown["passed_at"] is not None
        [email] = decisions(hub, EMAIL_DECISION, lead)
        assert email.outcome["sent"] is True
        assert email.outcome["subject"] == "Introducing Bea Lund"
        assert jobs(hub, hook="handoff_record_activities") == []  # no CRM here: see Q13 below
    assert count(hub, LeadRow) == 1


async def test_d3_none_met_is_unqualified_and_a_refused_move_changes_nothing(
    served: Served,
) -> None:
    lead = "zed@eu.example"
    async with served() as hub:
        await new_lead(hub, lead, country="Germany")
        none = await hub.post(
            f"/v1/leads/{lead}/bant", {"budget": False, "authority": False, "id": "b1"}
        )
        assert none.json()["lead"]["status"] == "Unqualified"
        assert none.json()["lead"]["bant"]["met"] == []


async def test_d6_follow_up_reminder_then_escalation_to_the_manager(served: Served) -> None:
    lead = "lou@eu.example"
    async with served() as hub:
        await new_lead(hub, lead, country="Germany")  # bea (manager max@) gets it first
        assert hub.lead(lead)["owner"]["rep"] == "bea"
        await hub.post(f"/v1/leads/{lead}/bant", {"budget": True, "timeline": True})
        assert hub.lead(lead)["status"] == "Qualified"
        hub.clock.advance(2 * 86_400 - 60)
        await hub.drain()
        assert decisions(hub, FOLLOW_UP_DECISION, lead) == []
        hub.clock.advance(60)
        await hub.drain()
        [remind] = decisions(hub, FOLLOW_UP_DECISION, lead)
        assert remind.outcome == {"lead": lead, "step": "remind", "to": "bea@hub.example"}
        hub.clock.advance(86_400)
        await hub.drain()
        steps = [d.outcome for d in decisions(hub, FOLLOW_UP_DECISION, lead)]
        assert steps[-1] == {"lead": lead, "step": "escalate", "to": "max@hub.example"}
        told = [
            j.payload["notification"]["recipients"]
            for j in jobs(hub, hook="handoff_send_notification")
        ]
        assert ["bea@hub.example"] in told
        assert ["max@hub.example"] in told


async def test_d6_an_attempt_by_the_owner_stops_the_follow_up(served: Served) -> None:
    lead = "kai@eu.example"
    async with served() as hub:
        await new_lead(hub, lead, country="Germany")
        owner = hub.lead(lead)["owner"]["rep"]
        await hub.post(f"/v1/leads/{lead}/bant", {"budget": True, "need": True})
        await hub.post(
            "/v1/lead-touches", {"id": "t1", "email": lead, "kind": "attempt", "rep": owner}
        )
        await hub.drain()
        hub.clock.advance(10 * 86_400)
        await hub.drain()
        assert decisions(hub, FOLLOW_UP_DECISION, lead) == []


# -- D7 ---------------------------------------------------------------------------------


async def test_d7_a_30_day_opt_out_expires_by_itself(served: Served) -> None:
    lead = "opt@us.example"
    async with served() as hub:
        await new_lead(hub, lead, country="United States")
        response = await hub.post(
            "/v1/lead-subscriptions", {"id": "s1", "email": lead, "action": "opt_out_temporary"}
        )
        assert response.status_code == 202
        await hub.drain()
        assert hub.lead(lead)["opt_out_until"] is not None
        hub.clock.advance(29 * 86_400)
        await hub.drain()
        assert hub.lead(lead)["opt_out_until"] is not None
        hub.clock.advance(86_400)
        await hub.drain()
        assert hub.lead(lead)["opt_out_until"] is None
        assert hub.lead(lead)["opt_out"] is False


async def test_d7_opted_out_marketing_mail_is_held_operational_mail_is_not(
    served: Served,
) -> None:

    lead = "no@us.example"
    async with served() as hub:
        await new_lead(hub, lead, country="United States")
        await hub.post("/v1/lead-subscriptions", {"id": "s1", "email": lead, "action": "opt_out"})
        await hub.drain()
        with hub.store.transaction() as session:
            record_events(
                session,
                [
                    Event(
                        type=EMAIL_REQUEST,
                        source="ai",
                        dedupe_key=f"mail-{n}",
                        payload={
                            "to": lead,
                            "email_subject": subject,
                            "text": "...",
                            "operational": operational,
                            "subject": {"type": "lead", "id": lead},
                        },
                    )
                    for n, (subject, operational) in enumerate(
                        [("Webinar invite", False), ("Your licence key", True)]
                    )
                ],
                now=hub.clock.now(),
            )
        await hub.drain()
        sent = {
            d.outcome["subject"]: d.outcome["sent"] for d in decisions(hub, EMAIL_DECISION, lead)
        }
        assert sent == {"Webinar invite": False, "Your licence key": True}


async def test_q13_an_ai_goal_reached_is_recorded_as_crm_activity_and_campaign(
    served: Served, leads_hub: LeadsHub
) -> None:

    leads_hub.config = HubConfig(
        leads={
            **CONFIG,
            "crm": "salesforce",
            "activities": [
                {"action": "ai_goal_reached", "subject": "AI goal reached", "campaign": "701Q"}
            ],
        }
    )
    async with served() as hub:
        with hub.store.transaction() as session:
            record_events(
                session,
                [
                    Event(
                        type=HUB_ACTIVITY,
                        source="ai",
                        dedupe_key="goal-1",
                        payload={
                            "action": "ai_goal_reached",
                            "email": "kim@acme.example",
                            "subject": {"type": "lead", "id": "kim@acme.example"},
                        },
                    )
                ],
                now=hub.clock.now(),
            )
        await hub.drain()
        [decision] = decisions(hub, ACTIVITY_DECISION, "kim@acme.example")
        assert decision.rule_ids == ["Q13"]
        [job] = [j for j in jobs(hub) if j.hook == "handoff_record_activities"]
        assert job.kind == HOOK_KIND
        [activity] = job.payload["activities"]
        assert (activity["campaign_id"], activity["campaign_status"]) == ("701Q", "Responded")


async def test_d4_marketo_interesting_moments_score_by_the_lead_s_marketo_id(
    served: Served, leads_hub: LeadsHub
) -> None:
    leads_hub.config = HubConfig(
        leads={
            **CONFIG,
            "scoring": {
                **CONFIG["scoring"],
                "event_kinds": {"marketo.activity.interesting_moment": "webinar_attended"},
            },
        }
    )
    lead = "im@us.example"
    async with served() as hub:
        await new_lead(hub, lead, country="United States")
        with hub.store.transaction() as session:
            row = get_lead(session, lead)
            assert row is not None
            remember_id(session, row, "marketo", "4711")
        with hub.store.transaction() as session:
            record_events(
                session,
                [
                    Event(
                        type="marketo.activity.interesting_moment",
                        source="marketo",
                        dedupe_key=f"marketo:activity:{n}",
                        payload={"lead_id": "4711", "subject": {"type": "lead", "id": lead}},
                    )
                    for n in range(2)
                ],
                now=hub.clock.now(),
            )
        await hub.drain()
        assert hub.lead(lead)["score"] == 20
        [mql] = decisions(hub, MQL_DECISION, lead)
        assert mql.explanation["last_change"]["cause"] == "webinar_attended"


async def test_write_back_waits_for_a_crm_not_enabled_without_dead_jobs(
    served: Served, leads_hub: LeadsHub
) -> None:
    leads_hub.config = HubConfig(leads={**CONFIG, "crm": "salesforce"})
    async with served() as hub:
        await new_lead(hub, "wait@us.example", country="United States")
        hub.clock.advance(120)
        await hub.drain()
        [flush] = jobs(hub, kind=WRITEBACK_JOB)
        assert flush.state == "done"
        assert flush.result == {"salesforce": {"written": 0, "waiting": 1}}
        assert count(hub, LeadSyncRow) == 1  # still marked: written once salesforce is enabled
