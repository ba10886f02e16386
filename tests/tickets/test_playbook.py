"""The tickets part of the GitLab playbook loads, and the seed's rules (Z1-Z6) hold on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handoff.tickets.follow_up import review_ticket
from handoff.tickets.passing import plan_pass, segment_of
from handoff.tickets.playbooks import load_playbook, playbook_path
from handoff_sdk.entities import Account, Opportunity, Ticket, User

PLAYBOOK = load_playbook("gitlab")
ADMIN = "005Hd0000000999AAA"
USERS = {
    "005Hd0000000506AAA": User(
        ids={"salesforce": "005Hd0000000506AAA"}, name="Sol Small", email="sol@example.test"
    ),
    "005Hd0000000502AAA": User(
        ids={"salesforce": "005Hd0000000502AAA"}, name="Lena Large", email="lena@example.test"
    ),
    ADMIN: User(ids={"salesforce": ADMIN}, name="SFDC Admin", email="admin@example.test"),
}


def request(kind: str, **fields: Any) -> Ticket:
    value = "renewal_quote" if kind == "renewal" else "new_business_quote"
    return Ticket(
        ids={"zendesk": "1"},
        subject="Quote",
        status="new",
        requester_email="ana@northwind.example",
        fields={"360000000101": value, **fields},
    )


def account(employees: int, country: str = "Germany") -> Account:
    return Account(
        ids={"salesforce": "001A"},
        name="Northwind",
        employee_count=employees,
        country=country,
        owner_id=ADMIN,
        owner_name="SFDC Admin",
    )


def decide(item: Ticket, kind: str, found: Account | None, opp: Opportunity | None = None):
    return plan_pass(
        item,
        kind,
        settings=PLAYBOOK,
        domain="northwind.example",
        free_mail=False,
        account=found,
        opportunity=opp,
        users=USERS,
    )


def test_the_playbook_file_ships_with_the_package() -> None:
    assert playbook_path().is_file()
    assert [s.name for s in PLAYBOOK.segments] == ["Large", "MidMarket", "Small"]


@pytest.mark.parametrize(
    ("employees", "segment"),
    [(99, "Small"), (100, "MidMarket"), (1999, "MidMarket"), (2000, "Large")],
)
def test_z1_segments_of_the_seed(employees: int, segment: str) -> None:
    assert segment_of(employees, PLAYBOOK)[0] == segment


def test_z3_a_1200_deal_paid_by_invoice_escalates_and_900_does_not() -> None:
    high = decide(
        request("new_business", **{"360000000102": "invoice", "360000000103": 1200}),
        "new_business",
        account(50),
    )
    low = decide(
        request("new_business", **{"360000000102": "invoice", "360000000103": 900}),
        "new_business",
        account(50),
    )
    assert (high.action, low.action) == ("pass", "not_escalated")


def test_z2_an_sfdc_admin_account_goes_to_the_territory_rep_and_no_account_gets_the_quote_macro() -> (
    None
):
    passed = decide(
        request("new_business", **{"360000000104": True}), "new_business", account(3000)
    )
    assert passed.rep is not None
    assert passed.rep.name == "Lena Large"
    quote = decide(request("new_business", **{"360000000104": True}), "new_business", None)
    assert (quote.action, quote.macro) == ("new_sales_quote", "New Sales Quote")


def test_z5_an_smb_refund_is_not_escalated_but_a_midmarket_one_is() -> None:
    refund = request("renewal", **{"360000000106": "refund"})
    assert decide(refund, "renewal", account(50)).action == "not_escalated"
    assert decide(refund, "renewal", account(500)).reasons == ("cancellation_or_refund",)


def test_z4_an_sfdc_admin_renewal_owner_means_segment_and_territory() -> None:
    opp = Opportunity(
        ids={"salesforce": "006A"}, name="Renewal", owner_id=ADMIN, owner_name="SFDC Admin"
    )
    result = decide(request("renewal", **{"360000000107": True}), "renewal", account(40), opp)
    assert (result.route, result.rep.name if result.rep else None) == ("territory", "Sol Small")


def test_z6_pings_go_to_the_seed_channels_and_the_second_copies_the_manager() -> None:
    now = datetime(2026, 1, 7, 14, 0, tzinfo=UTC)
    item = Ticket(
        ids={"zendesk": "1"},
        subject="Quote",
        status="open",
        priority="normal",
        assignee_email="sol@example.test",
        escalated_to_sales=True,
    )
    first, second = (
        review_ticket(
            item,
            [],
            kind=kind,
            since=now - timedelta(days=2),
            pings_so_far=pings,
            manager_email="boss@example.test",
            now=now,
            settings=PLAYBOOK,
        )
        for kind, pings in (("new_business", 0), ("renewal", 1))
    )
    assert first.notification
    assert first.notification.channel == "#sales"
    assert first.notification.mentions == ["sol@example.test"]
    assert second.notification
    assert second.notification.channel == "#account-management"
    assert second.notification.mentions == ["sol@example.test", "boss@example.test"]
