"""The pure decisions of rules Z1-Z5: segment, escalation reasons, who gets the ticket."""

from __future__ import annotations

from typing import Any

import pytest
from tickets_helpers import (
    ADMIN,
    AMOUNT_FIELD,
    CHANGE_FIELD,
    CREDIT_FIELD,
    LARGE_EMEA,
    MM_ANY,
    OWNER,
    PAPER_FIELD,
    PAYMENT_FIELD,
    PO_FIELD,
    QUOTE_FIRST_FIELD,
    RENEWAL_OWNER,
    REQUEST_FIELD,
    SMB_AMER,
    SMB_EMEA,
    USERS,
    account,
    new_business,
    renewal,
    settings,
    ticket,
)

from handoff.tickets.conditions import request_kind
from handoff.tickets.passing import PassPlan, plan_pass, segment_of
from handoff_sdk.entities import Account, Opportunity, Ticket

CONFIG = settings()


def plan(
    item: Ticket,
    kind: str = "new_business",
    *,
    found: Account | None = None,
    opportunity: Opportunity | None = None,
    free_mail: bool = False,
    users: dict[str, Any] | None = None,
) -> PassPlan:
    return plan_pass(
        item,
        kind,
        settings=CONFIG,
        domain="northwind.example",
        free_mail=free_mail,
        account=found,
        opportunity=opportunity,
        users=USERS if users is None else users,
    )


# -- Z1: segment by employees --------------------------------------------------------------


@pytest.mark.parametrize(
    ("employees", "segment"),
    [(0, "Small"), (99, "Small"), (100, "MidMarket"), (1999, "MidMarket"), (2000, "Large")],
)
def test_z1_segment_boundaries_99_100_1999_2000(employees: int, segment: str) -> None:
    assert segment_of(employees, CONFIG)[0] == segment


def test_z1_boundaries_are_configuration() -> None:
    custom = settings(
        segments=[
            {"name": "Enterprise", "min_employees": 5000},
            {"name": "Commercial", "min_employees": 0},
        ],
        segment_when_unknown=None,
        territories=[],
        renewal_reasons=[],
    )
    assert segment_of(4999, custom)[0] == "Commercial"
    assert segment_of(5000, custom)[0] == "Enterprise"


def test_z1_unknown_employees_use_the_configured_fallback_or_none() -> None:
    assert segment_of(None, CONFIG)[0] == "Small"
    assert segment_of(None, settings(segment_when_unknown=None))[0] is None


@pytest.mark.parametrize(
    ("employees", "rep"), [(99, SMB_EMEA), (100, MM_ANY), (1999, MM_ANY), (2000, LARGE_EMEA)]
)
def test_z1_the_segment_picks_the_territory_rep_at_each_boundary(employees: int, rep: str) -> None:
    result = plan(
        new_business(**{PO_FIELD: True}), found=account(employees, owner=None, owner_name=None)
    )
    assert result.action == "pass"
    assert result.rep is not None
    assert result.rep.id == rep
    assert "Z1" in result.rule_ids


# -- request kind ----------------------------------------------------------------------------


def test_request_kind_comes_from_the_configured_field_or_tag() -> None:
    assert request_kind(CONFIG.request_types, ticket({REQUEST_FIELD: "Renewal"}))[0] == "renewal"
    assert request_kind(CONFIG.request_types, ticket(tags=["sales_quote"]))[0] == "new_business"
    kind, why = request_kind(CONFIG.request_types, ticket({REQUEST_FIELD: "how_to"}))
    assert kind is None
    assert any(line.startswith("renewal: not: fields.360000000101") for line in why)


# -- Z3: escalation reasons of new business ------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({PAYMENT_FIELD: "wire_transfer", AMOUNT_FIELD: 1200}, "non_card_over_1000"),
        ({PO_FIELD: True}, "purchase_order"),
        ({QUOTE_FIRST_FIELD: True}, "quote_before_purchase"),
    ],
)
def test_z3_each_new_business_reason_escalates(fields: dict[str, Any], reason: str) -> None:
    result = plan(new_business(**fields), found=account())
    assert result.reasons == (reason,)
    assert result.action == "pass"
    assert "Z3" in result.rule_ids


@pytest.mark.parametrize(
    "fields",
    [
        {PAYMENT_FIELD: "wire_transfer", AMOUNT_FIELD: 900},  # $900: not over $1,000
        {PAYMENT_FIELD: "wire_transfer", AMOUNT_FIELD: 1000},  # exactly $1,000: not over
        {PAYMENT_FIELD: "credit_card", AMOUNT_FIELD: 1200},  # credit card
        {PAYMENT_FIELD: "wire_transfer"},  # no amount
        {PO_FIELD: False},
        {QUOTE_FIRST_FIELD: False},
        {},
    ],
)
def test_z3_without_a_reason_new_business_stays_with_support(fields: dict[str, Any]) -> None:
    result = plan(new_business(**fields), found=account())
    assert result.action == "not_escalated"
    assert result.rep is None
    assert result.macro is None
    assert len(result.explanation["not_matched"]) == 3
    assert "Z3" in result.rule_ids


def test_z3_900_against_1200_names_the_amount_in_the_explanation() -> None:
    low = plan(new_business(**{PAYMENT_FIELD: "invoice", AMOUNT_FIELD: "900"}), found=account())
    high = plan(new_business(**{PAYMENT_FIELD: "invoice", AMOUNT_FIELD: "1,200"}), found=account())
    assert low.action == "not_escalated"
    assert any("'900', not above 1000" in line for line in low.explanation["not_matched"])
    assert high.action == "pass"
    assert any("'1,200', above 1000" in line for line in high.explanation["steps"])


def test_z3_the_amount_is_configuration() -> None:
    table = settings().model_dump(by_alias=True, exclude_none=True)
    table["new_business_reasons"][0]["when"]["all"][2]["above"] = 5000
    stricter = settings(new_business_reasons=table["new_business_reasons"])
    item = new_business(**{PAYMENT_FIELD: "invoice", AMOUNT_FIELD: 1200})
    result = plan_pass(
        item,
        "new_business",
        settings=stricter,
        domain="northwind.example",
        free_mail=False,
        account=account(),
        opportunity=None,
        users=USERS,
    )
    assert result.action == "not_escalated"


# -- Z2: new business routing ----------------------------------------------------------------


def test_z2_a_prospect_owned_by_a_sales_rep_goes_to_that_owner_with_pass_to_sales() -> None:
    result = plan(new_business(**{PO_FIELD: True}), found=account())
    assert result.action == "pass"
    assert result.route == "account_owner"
    assert result.rep is not None
    assert (result.rep.id, result.rep.email) == (
        OWNER,
        "olga@example.test",
    )
    assert result.macro == "Pass to Sales"
    assert result.rule_ids[0] == "Z2"


def test_z2_an_account_without_owner_goes_to_the_territory_of_segment_and_billing_country() -> None:
    result = plan(
        new_business(**{PO_FIELD: True}),
        found=account(50, country="United States", owner=None, owner_name=None),
    )
    assert (result.route, result.segment, result.region) == ("territory", "Small", "AMER")
    assert result.rep is not None
    assert result.rep.id == SMB_AMER
    assert result.macro == "Pass to Sales"


def test_z2_an_sfdc_admin_owner_is_no_sales_rep_so_the_territory_takes_it() -> None:
    result = plan(
        new_business(**{PO_FIELD: True}),
        found=account(50, country="DEU", owner=ADMIN, owner_name="SFDC Admin"),
    )
    assert result.route == "territory"
    assert result.rep is not None
    assert result.rep.id == SMB_EMEA
    assert any("admin placeholder" in line for line in result.explanation["not_matched"])


def test_z2_no_account_replies_with_new_sales_quote_and_does_not_pass() -> None:
    result = plan(new_business(**{PO_FIELD: True}), found=None)
    assert result.action == "new_sales_quote"
    assert result.macro == "New Sales Quote"
    assert result.rep is None
    assert not result.passed


def test_z2_a_free_mail_domain_never_matches_an_account() -> None:
    result = plan(new_business(**{PO_FIELD: True}), found=None, free_mail=True)
    assert result.action == "new_sales_quote"
    assert "free-mail" in result.explanation["matched"]


def test_z2_no_territory_for_the_segment_and_region_is_left_to_a_person() -> None:
    result = plan(
        new_business(**{PO_FIELD: True}),
        found=account(5000, country="Japan", owner=None, owner_name=None),
    )
    assert result.action == "unrouted"
    assert result.rep is None
    assert any(
        "no territory for Large x unknown region" in line
        for line in result.explanation["not_matched"]
    )


def test_z2_an_inactive_owner_or_one_outside_the_sales_roles_is_no_sales_rep() -> None:
    users = dict(USERS)
    users[OWNER] = USERS[OWNER].model_copy(update={"active": False})
    inactive = plan(new_business(**{PO_FIELD: True}), found=account(50), users=users)
    assert inactive.route == "territory"
    strict = settings(sales_roles=["Account Executive"])
    result = plan_pass(
        new_business(**{PO_FIELD: True}),
        "new_business",
        settings=strict,
        domain="x.example",
        free_mail=False,
        account=account(50),
        opportunity=None,
        users=USERS,
    )
    assert result.route == "territory"


# -- Z5: escalation reasons of renewals -----------------------------------------------------

MID = account(500, owner=ADMIN, owner_name="SFDC Admin")
SMALL = account(50, owner=ADMIN, owner_name="SFDC Admin")


def renew(**fields: Any) -> Ticket:
    return ticket({REQUEST_FIELD: "renewal", **fields})


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({CREDIT_FIELD: True}, "complaint_credit"),
        ({PAPER_FIELD: True, AMOUNT_FIELD: 1200}, "paper_quote_over_1000"),
        ({CHANGE_FIELD: "tier_downgrade"}, "tier_downgrade"),
        ({CHANGE_FIELD: "saas_to_self_managed"}, "saas_self_managed_move"),
        ({CHANGE_FIELD: "self_managed_to_saas"}, "saas_self_managed_move"),
        ({CHANGE_FIELD: "fewer_users"}, "fewer_users"),
        ({CHANGE_FIELD: "cancellation"}, "cancellation_or_refund"),
        ({CHANGE_FIELD: "refund"}, "cancellation_or_refund"),
    ],
)
def test_z5_each_renewal_reason_escalates(fields: dict[str, Any], reason: str) -> None:
    result = plan(renew(**fields), "renewal", found=MID, opportunity=renewal())
    assert result.reasons == (reason,)
    assert result.action == "pass"
    assert "Z5" in result.rule_ids


@pytest.mark.parametrize(
    "fields",
    [
        {CREDIT_FIELD: False},
        {PAPER_FIELD: True, AMOUNT_FIELD: 900},
        {PAPER_FIELD: False, AMOUNT_FIELD: 1200},
        {CHANGE_FIELD: "tier_upgrade"},
        {CHANGE_FIELD: "more_users"},
        {},
    ],
)
def test_z5_without_a_reason_the_renewal_stays_with_support(fields: dict[str, Any]) -> None:
    result = plan(renew(**fields), "renewal", found=MID, opportunity=renewal())
    assert result.action == "not_escalated"


@pytest.mark.parametrize("change", ["cancellation", "refund"])
def test_z5_smb_cancellations_and_refunds_are_not_escalated(change: str) -> None:
    result = plan(renew(**{CHANGE_FIELD: change}), "renewal", found=SMALL, opportunity=renewal())
    assert result.action == "not_escalated"
    assert any("not (segment is 'Small')" in line for line in result.explanation["not_matched"])


# -- Z4: renewal routing --------------------------------------------------------------------


def test_z4_the_renewal_goes_to_the_owner_of_the_upcoming_renewal_opportunity() -> None:
    result = plan(
        renew(**{CREDIT_FIELD: True}), "renewal", found=account(500), opportunity=renewal()
    )
    assert (result.route, result.rep.id if result.rep else None) == ("renewal_owner", RENEWAL_OWNER)
    assert result.rule_ids[0] == "Z4"


def test_z4_sfdc_admin_owning_renewal_and_account_sends_it_to_the_territory() -> None:
    result = plan(
        renew(**{CREDIT_FIELD: True}),
        "renewal",
        found=account(50, country="Portugal", owner=ADMIN, owner_name="SFDC Admin"),
        opportunity=renewal(ADMIN, "SFDC Admin"),
    )
    assert result.route == "territory"
    assert result.rep is not None
    assert result.rep.id == SMB_EMEA
    assert sum("admin placeholder" in line for line in result.explanation["not_matched"]) == 2


def test_z4_an_sfdc_admin_renewal_owner_falls_back_to_a_sales_account_owner() -> None:
    result = plan(
        renew(**{CREDIT_FIELD: True}),
        "renewal",
        found=account(500),
        opportunity=renewal(ADMIN, "SFDC Admin"),
    )
    assert (result.route, result.rep.id if result.rep else None) == ("account_owner", OWNER)


def test_z4_a_renewal_without_an_account_is_left_to_a_person() -> None:
    result = plan(renew(**{CREDIT_FIELD: True}), "renewal", found=None)
    assert result.action == "unrouted"
    assert result.rule_ids[0] == "Z4"


def test_the_note_carries_the_explanation_and_the_rule_ids() -> None:
    result = plan(new_business(**{PO_FIELD: True}), found=account())
    note = result.note()
    assert note.startswith("handoff: passed to Olga Owner (account owner)")
    assert "Z3 reason purchase_order" in note
    assert note.endswith("Rules: Z2, Z3, Z1")
