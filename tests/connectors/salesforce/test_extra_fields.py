"""Q11: find_person reads the configured extra Lead/Contact fields (what the rep is shown)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from handoff_salesforce import SalesforceConfig, SalesforceConnector
from handoff_salesforce.soql import contact_by_email_query, lead_by_email_query
from pydantic import ValidationError
from sf_cases import CONFIG, SECRETS

from handoff_sdk.entities import Contact, Lead
from handoff_sdk.testing.harness import build_harness


def test_q11_without_extra_fields_the_queries_are_unchanged() -> None:
    assert contact_by_email_query("a@b.example", []) == contact_by_email_query("a@b.example")
    assert lead_by_email_query("a@b.example", None, []) == lead_by_email_query("a@b.example")


def test_q11_extra_fields_are_selected_once() -> None:
    soql = contact_by_email_query("a@b.example", ["Department", "Email", "Owner.Name"])
    assert soql.startswith(
        "SELECT Id, Email, FirstName, LastName, Title, Phone, AccountId, OwnerId, "
        "Department, Owner.Name FROM Contact"
    )
    soql = lead_by_email_query("a@b.example", "Score__c", ["Rating", "Score__c"])
    assert ", Score__c, Rating FROM Lead" in soql


def test_q11_extra_field_names_are_checked() -> None:
    with pytest.raises(ValidationError, match="is not a field API name or relationship path"):
        SalesforceConfig.model_validate({**CONFIG, "lead_extra_fields": ["Rating; DELETE"]})
    config = SalesforceConfig.model_validate({**CONFIG, "contact_extra_fields": ["", " Tier__c "]})
    assert config.contact_extra_fields == ["Tier__c"]


def _harness(rows: dict[str, list[dict[str, Any]]], queries: list[str]) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            return httpx.Response(200, json={"access_token": "t"})
        query = request.url.params["q"]
        queries.append(query)
        found = next((r for kind, r in rows.items() if f"FROM {kind} " in query), [])
        return httpx.Response(200, json={"totalSize": len(found), "done": True, "records": found})

    return build_harness(
        SalesforceConnector,
        transport=httpx.MockTransport(handler),
        config={
            **CONFIG,
            "lead_extra_fields": ["Rating", "Owner.Name"],
            "contact_extra_fields": ["Department"],
        },
        secrets=SECRETS,
    )


async def test_q11_find_person_puts_the_extra_contact_fields_in_fields() -> None:
    queries: list[str] = []
    row = {"Id": "003A", "Email": "pat@acme.example", "LastName": "Lee", "Department": "IT"}
    harness = _harness({"Contact": [row]}, queries)
    person = await harness.connector.handoff_find_person(email="pat@acme.example")
    assert isinstance(person, Contact)
    assert person.fields == {"Department": "IT"}
    assert ", Department FROM Contact" in queries[0]
    await harness.aclose()


async def test_q11_find_person_puts_the_extra_lead_fields_in_fields() -> None:
    queries: list[str] = []
    row = {
        "Id": "00QA",
        "Email": "sam@globex.example",
        "Rating": "Hot",
        "Owner": {"attributes": {"type": "User"}, "Name": "Avery Owner"},
    }
    harness = _harness({"Contact": [], "Lead": [row]}, queries)
    person = await harness.connector.handoff_find_person(email="sam@globex.example")
    assert isinstance(person, Lead)
    assert person.fields == {"Rating": "Hot", "Owner.Name": "Avery Owner"}
    assert ", Rating, Owner.Name FROM Lead" in queries[1]
    await harness.aclose()
