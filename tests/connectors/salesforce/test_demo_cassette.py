"""The demo's Salesforce calls (Q1, Q3b, Q3c, Q3e), replayed from cassettes/salesforce/demo.yaml.

The demo's page views match five visitors' companies by domain, in this order:
  1. website "northwind.example"           -> Northwind Traders (Actively Working, BDR, AMER)
  2. website "contoso-gov.example"         -> Contoso Public Sector Agency (US Public Sector)
  3. website "fabrikam.example"            -> Fabrikam GmbH (EMEA)
  4. website "tailspin.example"            -> no account
  5. email_domain "adventure-works.example" -> Adventure Works (Customer)
Then its chat requests: only v-1006's carries an email, so the routing handler
identifies her again (6. the same match as 5) and finds her Contact (7.).
Identical calls are answered in recorded order, so the order matters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handoff_salesforce import SalesforceConnector
from sf_cases import DEMO_CONFIG as GENERATOR_DEMO_CONFIG
from sf_cases import DEMO_SECRETS, sfid

from handoff_sdk.entities import Account, Contact
from handoff_sdk.testing.harness import Harness

DEMO_CONFIG: dict[str, Any] = {
    "auth": "refresh_token",
    "instance_url": "https://handoff-demo.my.salesforce.com",
    "login_url": "https://login.salesforce.com",
    "client_id": "handoff-demo-client",
    "api_version": "v61.0",
}
"""The exact config the demo cassette answers for (refresh-token mode; any secret values)."""

DEMO_CALLS: list[dict[str, str | None]] = [
    {"email_domain": None, "website": "northwind.example"},
    {"email_domain": None, "website": "contoso-gov.example"},
    {"email_domain": None, "website": "fabrikam.example"},
    {"email_domain": None, "website": "tailspin.example"},
    {"email_domain": "adventure-works.example", "website": None},
    {"email_domain": "adventure-works.example", "website": None},
]
"""handoff_match_account keyword arguments, in the order the cassette answers them."""


def test_demo_config_is_the_one_the_cassette_was_made_with() -> None:
    assert DEMO_CONFIG == GENERATOR_DEMO_CONFIG


async def test_demo_matches_five_visitors_then_finds_the_chatting_contact(
    connector_harness: Callable[..., Harness],
) -> None:
    """Q1: each visitor's company is found by domain; Q3b/Q3c/Q3e facts come with it."""
    harness = connector_harness(
        SalesforceConnector, config=DEMO_CONFIG, secrets=DEMO_SECRETS, cassette="demo"
    )
    connector: Any = harness.connector
    results: list[Account | None] = [
        await connector.handoff_match_account(**call) for call in DEMO_CALLS
    ]
    person = await connector.handoff_find_person(email="ana@adventure-works.example")
    northwind, contoso, fabrikam, tailspin, adventure, adventure_again = results

    assert northwind is not None
    assert northwind.name == "Northwind Traders"
    assert northwind.ids == {"salesforce": sfid("001", 1001)}
    assert northwind.domain == "northwind.example"
    assert northwind.status == "Actively Working"
    assert northwind.bdr_assigned_id == sfid("005", 201)
    assert northwind.geo == "AMER"
    assert northwind.sector is None
    assert northwind.owner_name == "Morgan Reyes"

    assert contoso is not None
    assert contoso.name == "Contoso Public Sector Agency"
    assert contoso.sector == "US Public Sector"
    assert contoso.bdr_assigned_id == sfid("005", 202)
    assert contoso.status is None

    assert fabrikam is not None
    assert fabrikam.name == "Fabrikam GmbH"
    assert fabrikam.geo == "EMEA"
    assert fabrikam.country == "Germany"
    assert fabrikam.status is None
    assert fabrikam.bdr_assigned_id is None

    assert tailspin is None

    assert adventure is not None
    assert adventure.name == "Adventure Works"
    assert adventure.account_type == "Customer"
    assert adventure.domain == "adventure-works.example"

    assert adventure.geo == "AMER"
    assert adventure_again == adventure

    assert isinstance(person, Contact)
    assert person.email == "ana@adventure-works.example"
    assert person.account_id == sfid("001", 1005)

    assert harness.api_calls == 7
    assert harness.token_requests == 1
    assert connector.api_usage == (4207, 15000)
