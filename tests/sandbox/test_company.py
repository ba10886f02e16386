"""The synthetic company every simulator seeds from is one coherent world.

The sandbox routes with the GitLab playbook, so the company's reps must be the
playbook's (same hub ids, emails, CRM and Outreach ids); the companies 6sense
identifies must be customers with accounts; the people, tickets, surveys and
content views must point at people and companies that exist.
"""

from __future__ import annotations

import tomllib

from handoff.chat.playbooks import playbook_path
from handoff_sdk.testing import COMPANY


def test_the_companys_reps_are_the_gitlab_playbooks_human_reps() -> None:
    playbook = tomllib.loads(playbook_path("gitlab").read_text(encoding="utf-8"))
    humans = {
        r["id"]: (r["email"], r["ids"]["salesforce"], r["ids"]["outreach"])
        for r in playbook["routing"]["reps"]
        if not r.get("is_ai")
    }
    company = {r.id: (r.email, r.salesforce_id, str(r.outreach_id)) for r in COMPANY.reps}
    assert company == humans


def test_every_reference_points_at_something_that_exists() -> None:
    reps = {r.id for r in COMPANY.reps}
    customers = {c.key for c in COMPANY.customers}
    people = {p.key for p in COMPANY.people}
    sequences = {s.id for s in COMPANY.sequences}
    for customer in COMPANY.customers:
        assert customer.owner in reps
        assert customer.bdr is None or customer.bdr in reps
    for person in COMPANY.people:
        assert person.customer in customers
        assert person.email.endswith("@" + COMPANY.customer(person.customer).domain)
        if person.sequence:
            assert person.sequence[0] in sequences
            assert person.sequence[2] in reps
    assert {t.requester for t in COMPANY.tickets} <= people
    assert {s.person for s in COMPANY.surveys} <= people
    assert {v.person for v in COMPANY.pageviews} <= people
    for ticket in COMPANY.tickets:
        assert COMPANY.person(ticket.requester).kind == "contact", "tickets come from contacts"


def test_ids_and_addresses_are_unique() -> None:
    for values in (
        [r.email for r in COMPANY.reps],
        [r.salesforce_id for r in COMPANY.reps],
        [c.salesforce_id for c in COMPANY.customers],
        [c.domain for c in COMPANY.customers],
        [ip for c in COMPANY.customers for ip in c.ips] + list(COMPANY.non_actionable_ips),
        [p.email for p in COMPANY.people],
        [p.salesforce_id for p in COMPANY.people],
        [p.outreach_id for p in COMPANY.people],
        [t.id for t in COMPANY.tickets],
    ):
        assert len(values) == len(set(values)), values


def test_sample_visitors_cover_the_identification_cases() -> None:
    """Q1: known customers by IP, an ISP's IP, and an IP nobody knows."""
    kinds = set()
    for visitor in COMPANY.visitors:
        if COMPANY.customer_by_ip(visitor.ip):
            kinds.add("customer")
        elif visitor.ip in COMPANY.non_actionable_ips:
            kinds.add("isp")
        else:
            kinds.add("unknown")
    assert kinds == {"customer", "isp", "unknown"}
    assert any(v.email and COMPANY.person_by_email(v.email) for v in COMPANY.visitors)
    assert any(v.email and not COMPANY.person_by_email(v.email) for v in COMPANY.visitors)
