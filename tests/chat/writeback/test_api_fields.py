"""Q11 over the API: visitor details, summary and notes posted to /v1 reach the write-back.

The chat tool posts a chat request and conversation events; `load_conversation`
reads the `visitor` object and the top-level `summary`, `notes`, `source` of
what was stored, and the worker writes them to the CRM.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from handoff.chat.writeback.config import WritebackConfig
from handoff.chat.writeback.conversation import load_conversation
from handoff.chat.writeback.handler import WritebackHandler
from handoff.config import validate_table
from handoff.hub import Hub
from handoff.runtime import Worker, decisions_about
from handoff.store import EventRecord, Store
from handoff_sdk import FakeClock

from .conftest import FakeCrm

CONFIG = validate_table(
    WritebackConfig,
    {
        "crm": "fakecrm",
        "lead_fields": {
            "Email": "email",
            "FirstName": "first_name",
            "LastName": "last_name",
            "Company": "company",
            "Chat_Summary__c": "summary",
            "Chat_Notes__c": "notes",
            "LeadSource": "source",
            "UTM_Campaign__c": "utm_campaign",
        },
    },
)


async def post_ok(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> None:
    response = await client.post(path, json=body)
    assert response.status_code == 202, response.text


async def post_chat(client: httpx.AsyncClient, clock: FakeClock) -> None:
    """c-1: Sam asks to chat, tells the rep about Globex, the rep ends it with notes."""
    await post_ok(
        client,
        "/v1/chat-requests",
        {
            "id": "r-1",
            "conversation_id": "c-1",
            "visitor_id": "v-1",
            "email": "sam.rivera@globex.example",
            "visitor": {"first_name": "Sammy", "utm_campaign": "spring"},
        },
    )
    clock.advance(60)
    await post_ok(
        client,
        "/v1/conversation-events",
        {
            "id": "e-1",
            "conversation_id": "c-1",
            "kind": "message",
            "text": "We are Globex, 400 seats.",
            "visitor": {"company": "Globex", "title": "CTO"},
        },
    )
    clock.advance(60)
    await post_ok(
        client,
        "/v1/conversation-events",
        {
            "id": "e-2",
            "conversation_id": "c-1",
            "kind": "ended",
            "rep_id": "ana",
            "visitor": {"first_name": "Sam", "last_name": "Rivera", "company": None},
            "summary": "Wants SSO for 400 seats.",
            "notes": "Call back Tuesday.",
            "source": "Website Chat",
        },
    )


async def test_q11_visitor_details_posted_over_the_api_are_read_by_load_conversation(
    client: httpx.AsyncClient, store: Store, clock: FakeClock
) -> None:
    """Q11: the visitor object, summary, notes and source are read; later events win."""
    await post_chat(client, clock)
    with store.sessions() as session:
        data = load_conversation(session, "c-1")
    assert data is not None
    assert data.email == "sam.rivera@globex.example"
    assert data.first_name == "Sam"  # the 'ended' event's, not the request's 'Sammy'
    assert data.last_name == "Rivera"
    assert data.company == "Globex"  # a null later does not blank it
    assert data.title == "CTO"
    assert data.utm_campaign == "spring"
    assert data.summary == "Wants SSO for 400 seats."
    assert data.notes == "Call back Tuesday."
    assert data.source == "Website Chat"
    assert data.transcript == "Visitor: We are Globex, 400 seats."


async def test_q11_a_posted_ended_event_writes_the_visitor_details_to_the_crm(
    client: httpx.AsyncClient,
    store: Store,
    clock: FakeClock,
    crm_hub: Hub,
    fake_crm: type[FakeCrm],
) -> None:
    """Q11: the worker's write-back of a chat posted over the API carries what the visitor gave."""
    await post_chat(client, clock)
    worker = Worker(
        store, hub=crm_hub, clock=clock, events=WritebackHandler(CONFIG, store), concurrency=1
    )
    for _ in range(10):
        if not await worker.run_once():
            break
    assert fake_crm.asked == ["sam.rivera@globex.example"]
    ((key, [lead]),) = fake_crm.upserted
    assert key.startswith("writeback:c-1:lead")
    assert lead.email == "sam.rivera@globex.example"
    assert lead.fields == {
        "Email": "sam.rivera@globex.example",
        "FirstName": "Sam",
        "LastName": "Rivera",
        "Company": "Globex",
        "Chat_Summary__c": "Wants SSO for 400 seats.",
        "Chat_Notes__c": "Call back Tuesday.",
        "LeadSource": "Website Chat",
        "UTM_Campaign__c": "spring",
    }
    with store.sessions() as session:
        _, decisions = decisions_about(session, "conversation:c-1")
    (decision,) = [d for d in decisions if d.kind == "writeback"]
    assert decision.outcome["action"] == "upsert_lead"
    assert decision.explanation["fields"]["Chat_Notes__c"] == "notes"


def stored_events(store: Store) -> int:
    with store.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(EventRecord)) or 0)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/v1/conversation-events",
            {"id": "e", "conversation_id": "c", "kind": "ended", "visitor": {"email": "nope"}},
            "visitor.email",
        ),
        (
            "/v1/conversation-events",
            {"id": "e", "conversation_id": "c", "kind": "ended", "visitor": {"nickname": "Sam"}},
            "visitor.nickname",
        ),
        (
            "/v1/conversation-events",
            {"id": "e", "conversation_id": "c", "kind": "ended", "visitor": "Sam"},
            "visitor",
        ),
        (
            "/v1/conversation-events",
            {"id": "e", "conversation_id": "c", "kind": "ended", "visitor": {"first_name": ""}},
            "visitor.first_name",
        ),
        (
            "/v1/conversation-events",
            {"id": "e", "conversation_id": "c", "kind": "ended", "notes": "x" * 5001},
            "notes",
        ),
        (
            "/v1/conversation-events",
            {"id": "e", "conversation_id": "c", "kind": "ended", "summary": "a\x00b"},
            "summary",
        ),
        (
            "/v1/conversation-events",
            {"id": "e", "conversation_id": "c", "kind": "ended", "source": "Web\nChat"},
            "source",
        ),
        (
            "/v1/chat-requests",
            {
                "id": "r",
                "conversation_id": "c",
                "visitor_id": "v",
                "visitor": {"referrer": "ftp://example.test/"},
            },
            "visitor.referrer",
        ),
        (
            "/v1/chat-requests",
            {"id": "r", "conversation_id": "c", "visitor_id": "v", "summary": "no"},
            "summary",
        ),
    ],
)
async def test_q11_bad_visitor_details_are_refused_naming_the_field(
    client: httpx.AsyncClient, store: Store, path: str, body: dict[str, Any], field: str
) -> None:
    """Q11: a bad or unknown field is a 422 naming its dotted path; nothing is stored."""
    response = await client.post(path, json=body)
    assert response.status_code == 422, response.text
    answer = response.json()
    assert answer["error"] == "invalid request"
    assert [f["field"] for f in answer["fields"]] == [field]
    assert stored_events(store) == 0


async def test_q11_visitor_fields_are_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    """Q11: the chat tool can read the accepted visitor fields from /openapi.json."""
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    visitor = schemas["VisitorDetails"]
    assert visitor["additionalProperties"] is False
    assert {"email", "first_name", "last_name", "company", "phone", "title", "referrer"} <= set(
        visitor["properties"]
    )
    assert {"visitor", "summary", "notes", "source"} <= set(
        schemas["ConversationEvent"]["properties"]
    )
    assert "visitor" in schemas["ChatRequest"]["properties"]
