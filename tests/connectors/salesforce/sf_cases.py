"""Synthetic data shared by the Salesforce tests and `make_cassettes.py`.

The cassettes answer for exactly these inputs, so the tests build their
inputs here too. Every name, id and domain is made up (.example domains).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from handoff_sdk.entities import (
    Account,
    AccountCriterion,
    AccountUpdate,
    Case,
    Contact,
    CrmActivity,
    Lead,
)

CONFIG: dict[str, Any] = {
    "auth": "refresh_token",
    "instance_url": "https://handoff-test.my.salesforce.com",
    "login_url": "https://login.salesforce.com",
    "client_id": "handoff-test-client",
    "api_version": "v61.0",
}
"""The config of every cassette except the demo's."""

SECRETS: dict[str, str] = {
    "client_secret": "synthetic-client-secret",
    "refresh_token": "synthetic-refresh-token",
}

DEMO_CONFIG: dict[str, Any] = {
    "auth": "refresh_token",
    "instance_url": "https://handoff-demo.my.salesforce.com",
    "login_url": "https://login.salesforce.com",
    "client_id": "handoff-demo-client",
    "api_version": "v61.0",
}
"""The demo cassette's config; test_demo_cassette.DEMO_CONFIG must stay equal to it."""

DEMO_SECRETS: dict[str, str] = {
    "client_secret": "demo-client-secret",
    "refresh_token": "demo-refresh-token",
}

DATA = "/services/data/v61.0"

# Upsert-of-1,000 cassette: records that Salesforce refuses, with the error it gives.
LEAD_COUNT = 1000
MISSING_LAST_NAME = frozenset({17, 333, 734})
BAD_EMAIL = frozenset({250, 901})
DUPLICATE_EMAIL = frozenset({512})
UPDATE_COUNT = 401
DELETED_ACCOUNTS = frozenset({5, 399})


def sfid(prefix: str, n: int) -> str:
    """An 18-character Salesforce-style id: key prefix + a number (001 Account, 00Q Lead...)."""
    return f"{prefix}Hd{n:010d}AAA"


def lead_email(i: int) -> str:
    """The email of lead number i (two of them are not valid addresses)."""
    if i in BAD_EMAIL:
        return f"lead{i:04d}-at-company{i % 40}.example"
    return f"lead{i:04d}@company{i % 40}.example"


def make_leads(n: int = LEAD_COUNT) -> list[Lead]:
    """The leads of the big upsert: a few lack LastName, a few have a broken email."""
    return [
        Lead(
            email=lead_email(i),
            first_name=f"First{i:04d}",
            last_name=None if i in MISSING_LAST_NAME else f"Last{i:04d}",
            company=f"Company {i % 40}",
            source="Website Chat",
        )
        for i in range(n)
    ]


def make_updates(n: int = UPDATE_COUNT) -> list[AccountUpdate]:
    """Status changes for n accounts (two of them deleted in the org)."""
    return [
        AccountUpdate(account_id=sfid("001", 5000 + i), status="Actively Working") for i in range(n)
    ]


SMALL_LEADS = [
    Lead(
        email="riley.chen@globex.example",
        first_name="Riley",
        last_name="Chen",
        company="Globex",
        title="VP Engineering",
        source="Website Chat",
        status="Open",
    ),
    Lead(
        email="sam.rivera@globex.example",
        first_name="Sam",
        last_name="Rivera",
        company="Globex",
        phone="+1 555 0100",
    ),
    Lead(email="kim@initech.example", first_name="Kim", last_name="Park", company="Initech"),
]
"""Upsert case: one created, one updated, one refused (two leads share the email)."""

SMALL_UPDATES = [
    AccountUpdate(account_id=sfid("001", 11), status="Actively Working"),
    AccountUpdate(account_id=sfid("001", 12), fields={"Rating": "Hot"}),
]
"""Update case: the second account was deleted."""

CASE = Case(
    subject="Hand raise: pricing question from Acme Corporation",
    description="Visitor asked about volume pricing.",
    account_id=sfid("001", 2),
    source="Web",
    trigger="pricing page chat",
    priority="High",
)
"""Create-case case: answered 201 with a new id."""

ACTIVITIES = [
    CrmActivity(
        email="pat.lee@acme.example",
        subject="Form qualified (handoff)",
        description="Soft-BANT: 2 of 4 met",
        occurred_at=datetime(2026, 1, 5, 9, tzinfo=UTC),
        campaign_id="701Hd000000001AAA",
        campaign_status="Responded",
        key="leads:pat.lee@acme.example:form_qualified:1",
    )
]
"""Q13: one activity on a Contact, with its campaign membership."""

BUY_NOW_ACCOUNT = Account(name="Hooli", website="https://hooli.example", account_type="Customer")
"""D8: a Buy Now purchase by a company the org does not know: the account is created."""

CONTACT_UPDATES = [
    Contact(
        ids={"salesforce": sfid("003", 30)},
        email="pat.lee@acme.example",
        title="VP of IT",
        fields={"Description": "Chat 2026-01-05: asked about SSO pricing."},
    ),
    Contact(
        ids={"salesforce": sfid("003", 31)},
        email="drew.kim@acme.example",
        phone="+1 555 0142",
        fields={"Last_Chat_Rep__c": sfid("005", 21)},
    ),
]
"""Update-contacts case (Q11): the first is written, the second refused by a validation rule."""

WRITEBACK_CONTACT = Contact(
    ids={"salesforce": sfid("003", 30)},
    email="pat.lee@acme.example",
    fields={
        "Title": "VP of IT",
        "Chat_Summary__c": "Wants SSO for 400 seats; asked for a demo next week.",
        "Last_Chat_Rep__c": sfid("005", 21),
    },
)
"""What tests/chat/writeback's end-to-end run writes for Pat Lee, a Contact (Q11)."""

WRITEBACK_LEAD = Lead(
    email="jamie.ortiz@wayne.example",
    fields={
        "Email": "jamie.ortiz@wayne.example",
        "FirstName": "Jamie",
        "Company": "Wayne Enterprises",
        "Chat_Transcript__c": "Visitor: Do you support SAML?\nRiley Rep: Yes, on every plan.",
        "UTM_Source__c": "google",
        "UTM_Campaign__c": "sso-2026",
        "LeadSource": "Website Chat",
        "LastName": "[not provided]",
    },
)
"""What tests/chat/writeback's end-to-end run writes for Jamie Ortiz, a new Lead (Q11)."""

POOL_OWNER = sfid("005", 77)
"""The Pooled Sales User of the account-listing cassettes (P1)."""

POOL_OWNER_EMAIL = "pooled.sales@example.test"
"""Its email, as find_user looks it up (P1, P4)."""

LIST_WHERE = [
    AccountCriterion(field="owner_id", op="eq", value=POOL_OWNER),
    AccountCriterion(field="account_type", op="in", value=["Customer"]),
]
"""List-accounts case: the pooled owner's customers (standard fields only)."""

LIST_FIELDS = ["Account_Rank_Notes_History__c"]
"""List-accounts case: one more field read into Account.fields."""
