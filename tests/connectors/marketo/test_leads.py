"""Sync Leads (createOrUpdate, 300 per call) and D8 signup forwarding, replayed from cassettes."""

from __future__ import annotations

import json
import math

import pytest
from handoff_marketo import MarketoConnector, SignupPayloadError

from handoff_sdk.entities import Lead

CONFIG = {"base_url": "https://marketo.example.test", "client_id": "synthetic-client-id"}
SECRETS = {"client_secret": "synthetic-secret"}


def sent_bodies(harness) -> list[dict]:
    return [
        json.loads(r.content)
        for r in harness.sent()
        if r.method == "POST" and r.url.path == "/rest/v1/leads.json"
    ]


async def test_upsert_sends_create_or_update_on_email_and_reads_each_status(
    connector_harness,
) -> None:
    harness = connector_harness(
        MarketoConnector, config=CONFIG, secrets=SECRETS, cassette="upsert_leads"
    )
    leads = [
        Lead(email="ada@example.test", first_name="Ada", last_name="Byron", company="Acme"),
        Lead(email="grace@example.test", first_name="Grace", source="Free Trial"),
        Lead(email="dup@example.test", last_name="Twin"),
    ]

    results = await harness.connector.handoff_upsert_leads(leads, "upsert-1")

    [body] = sent_bodies(harness)
    assert body["action"] == "createOrUpdate"
    assert body["lookupField"] == "email"
    assert body["input"][0] == {
        "email": "ada@example.test",
        "firstName": "Ada",
        "lastName": "Byron",
        "company": "Acme",
    }
    assert body["input"][1]["leadSource"] == "Free Trial"
    assert "partitionName" not in body

    created, updated, skipped = results
    assert (created.ok, created.created, created.id) == (True, True, "50101")
    assert (updated.ok, updated.created, updated.id) == (True, False, "50102")
    assert not skipped.ok
    assert skipped.errors[0].code == "1007"
    assert "Multiple leads" in skipped.errors[0].message
    assert [r.index for r in results] == [0, 1, 2]


async def test_1000_leads_cost_4_calls_of_at_most_300(connector_harness) -> None:
    """1,000 leads = ceil(1000 / 300) = 4 Sync Leads calls, counted."""
    harness = connector_harness(
        MarketoConnector, config=CONFIG, secrets=SECRETS, cassette="upsert_leads_1000"
    )
    leads = [Lead(email=f"lead{i:04d}@example.test", first_name=f"Lead{i}") for i in range(1000)]

    results = await harness.connector.handoff_upsert_leads(leads, "bulk-1")

    assert MarketoConnector.batch_limits["handoff_upsert_leads"] == 300
    assert harness.api_calls == 4 == math.ceil(1000 / 300)
    bodies = sent_bodies(harness)
    assert [len(b["input"]) for b in bodies] == [300, 300, 300, 100]
    assert [b["input"][0]["email"] for b in bodies] == [
        "lead0000@example.test",
        "lead0300@example.test",
        "lead0600@example.test",
        "lead0900@example.test",
    ]
    assert harness.token_requests == 1
    assert len(results) == 1000
    assert [r.index for r in results] == list(range(1000))
    failed = [r.index for r in results if not r.ok]
    assert failed == [249, 499, 749, 999]
    assert results[3].created is False  # every 3rd was an update
    assert results[1].created is True
    assert results[1].id == "60001"


async def test_each_batch_carries_its_own_idempotency_key(connector_harness) -> None:
    harness = connector_harness(
        MarketoConnector, config=CONFIG, secrets=SECRETS, cassette="upsert_leads_1000"
    )
    leads = [Lead(email=f"lead{i:04d}@example.test") for i in range(1000)]

    await harness.connector.handoff_upsert_leads(leads, "bulk-1")

    keys = [r.headers["Idempotency-Key"] for r in harness.sent() if r.method == "POST"]
    assert keys == ["bulk-1:0", "bulk-1:300", "bulk-1:600", "bulk-1:900"]


async def test_lookup_field_and_partition_are_configurable(marketo, fake_marketo) -> None:
    fake_marketo.answer(
        "/rest/v1/leads.json",
        {"requestId": "1#1", "success": True, "result": [{"id": 42, "status": "updated"}]},
    )
    harness = marketo(lookup_field="id", partition_name="EMEA")

    [result] = await harness.connector.handoff_upsert_leads(
        [Lead(email="ada@example.test", ids={"marketo": "42", "salesforce": "00Q1"})], "k"
    )

    body = json.loads(fake_marketo.api_requests[0].content)
    assert body["lookupField"] == "id"
    assert body["partitionName"] == "EMEA"
    assert body["input"] == [{"email": "ada@example.test", "id": 42}]
    assert result.ok
    assert result.id == "42"


async def test_no_leads_no_call(marketo, fake_marketo) -> None:
    harness = marketo()
    assert await harness.connector.handoff_upsert_leads([], "k") == []
    assert fake_marketo.requests == []


async def test_d8_forward_signup_upserts_the_webhook_person(connector_harness) -> None:
    """Rule D8: a trial webhook (first name, last name, email, company) becomes a Marketo lead."""
    harness = connector_harness(
        MarketoConnector, config=CONFIG, secrets=SECRETS, cassette="forward_signup"
    )
    payload = {
        "event": "trial.started",
        "account": {
            "first_name": "Trial",
            "last_name": "User",
            "email": " trial.user@example.test ",
            "company_name": "Example Widgets",
        },
    }

    result = await harness.connector.forward_signup(payload, "d8-1", source="Free Trial")

    assert result.ok
    assert result.created is True
    assert result.id == "50200"
    [body] = sent_bodies(harness)
    assert body["action"] == "createOrUpdate"
    assert body["input"] == [
        {
            "email": "trial.user@example.test",
            "firstName": "Trial",
            "lastName": "User",
            "company": "Example Widgets",
            "leadSource": "Free Trial",
        }
    ]
    [post] = [r for r in harness.sent() if r.method == "POST"]
    assert post.headers["Idempotency-Key"].startswith("d8-1")


async def test_d8_payload_without_an_email_is_refused_before_any_call(
    marketo, fake_marketo
) -> None:
    harness = marketo()

    with pytest.raises(SignupPayloadError) as info:
        await harness.connector.forward_signup({"first_name": "No", "last_name": "Mail"}, "d8-2")

    assert info.value.field == "email"
    assert "marketo" in str(info.value)
    assert fake_marketo.requests == []
