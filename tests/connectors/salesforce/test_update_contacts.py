"""Q11: Contacts changed by the conversation write-back (sObject Collections PATCH by id)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from handoff_salesforce import SalesforceConnector
from handoff_salesforce.mapping import contact_update_to_record
from sf_cases import CONFIG, CONTACT_UPDATES, SECRETS, sfid

from handoff_sdk.entities import Contact
from handoff_sdk.testing.harness import Harness, build_harness

Factory = Callable[..., Harness]


def test_q11_contact_update_record_sends_only_what_is_set() -> None:
    """Q11: id + the values given; the email (how it was found) and None values are not sent."""
    contact = Contact(
        ids={"salesforce": "003A"},
        email="pat.lee@acme.example",
        title="CTO",
        fields={"Chat_Summary__c": "wants SSO", "Phone": None},
    )
    assert contact_update_to_record(contact) == {
        "attributes": {"type": "Contact"},
        "id": "003A",
        "Title": "CTO",
        "Chat_Summary__c": "wants SSO",
    }


def test_q11_contact_update_record_sends_email_only_when_a_field_names_it() -> None:
    contact = Contact(
        ids={"salesforce": "003A"}, email="old@acme.example", fields={"Email": "new@acme.example"}
    )
    assert contact_update_to_record(contact)["Email"] == "new@acme.example"


def test_q11_contact_update_record_needs_a_salesforce_id() -> None:
    with pytest.raises(ValueError, match=r"pat@acme\.example.*no Salesforce id"):
        contact_update_to_record(Contact(ids={"hubspot": "9"}, email="pat@acme.example"))


async def test_q11_update_contacts_reports_each_contact(connector_harness: Factory) -> None:
    """One collection call for two contacts: one written, one refused by a validation rule."""
    harness = connector_harness(
        SalesforceConnector, config=CONFIG, secrets=SECRETS, cassette="update_contacts"
    )
    connector: Any = harness.connector
    results = await connector.handoff_update_contacts(
        contacts=CONTACT_UPDATES, idempotency_key="writeback:chat-1:contact"
    )
    assert [(r.index, r.ok) for r in results] == [(0, True), (1, False)]
    assert results[0].id == sfid("003", 30)
    assert results[1].errors[0].code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert results[1].errors[0].fields == ["Last_Chat_Rep__c"]
    (request,) = [r for r in harness.sent() if r.url.host != "login.salesforce.com"]
    assert (request.method, request.url.path) == (
        "PATCH",
        "/services/data/v61.0/composite/sobjects",
    )
    assert request.headers["X-Handoff-Idempotency-Key"] == "writeback:chat-1:contact:0"
    body = json.loads(request.content)
    assert body["allOrNone"] is False
    assert [r["attributes"]["type"] for r in body["records"]] == ["Contact", "Contact"]
    assert body["records"][0]["Description"].startswith("Chat 2026-01-05")


def _mock(answer: Callable[[dict[str, Any]], httpx.Response]) -> tuple[Harness, list[Any]]:
    sent: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            return httpx.Response(200, json={"access_token": "t"})
        body = json.loads(request.content)
        sent.append(body)
        return answer(body)

    harness = build_harness(
        SalesforceConnector, transport=httpx.MockTransport(handler), config=CONFIG, secrets=SECRETS
    )
    return harness, sent


async def test_q11_a_contact_without_an_id_fails_alone_without_a_call() -> None:
    harness, sent = _mock(
        lambda body: httpx.Response(
            200, json=[{"id": r["id"], "success": True, "errors": []} for r in body["records"]]
        )
    )
    contacts = [
        Contact(email="nobody@acme.example", title="CTO"),
        Contact(ids={"salesforce": "003B"}, email="b@acme.example", title="CFO"),
    ]
    connector: Any = harness.connector
    results = await connector.handoff_update_contacts(contacts=contacts, idempotency_key="k")
    assert [r.ok for r in results] == [False, True]
    assert results[0].errors[0].code == "MISSING_ID"
    assert "nobody@acme.example" in results[0].errors[0].message
    assert results[1].id == "003B"
    assert [[r["id"] for r in body["records"]] for body in sent] == [["003B"]]
    await harness.aclose()


async def test_q11_updating_201_contacts_costs_2_calls_with_one_result_each() -> None:
    harness, sent = _mock(
        lambda body: httpx.Response(
            200, json=[{"id": r["id"], "success": True, "errors": []} for r in body["records"]]
        )
    )
    contacts = [
        Contact(ids={"salesforce": f"003{i:04d}"}, email=f"c{i}@acme.example", title="Eng")
        for i in range(201)
    ]
    connector: Any = harness.connector
    results = await connector.handoff_update_contacts(contacts=contacts, idempotency_key="bulk")
    assert [len(body["records"]) for body in sent] == [200, 1]
    assert [r.id for r in results] == [f"003{i:04d}" for i in range(201)]
    assert harness.api_calls == 2
    await harness.aclose()


async def test_q11_spent_daily_limit_fails_the_contact_updates_with_its_code() -> None:
    harness, _ = _mock(
        lambda body: httpx.Response(
            403,
            json=[
                {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
            ],
        )
    )
    connector: Any = harness.connector
    contact = Contact(ids={"salesforce": "003A"}, email="a@acme.example", title="CTO")
    results = await connector.handoff_update_contacts(contacts=[contact], idempotency_key="k")
    assert results[0].ok is False
    assert results[0].errors[0].code == "REQUEST_LIMIT_EXCEEDED"
    await harness.aclose()
