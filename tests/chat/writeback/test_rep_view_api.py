"""Q11 rep view over the API: GET /v1/conversations/{id}/rep-view.

The conversation's email comes from the stored events, the person from the
CRM (`handoff_find_person` on the fake CRM), the lines from `[writeback]`'s
shown fields, in configured order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from keyed import admin_for  # type: ignore[import-not-found]

from handoff.config import HubConfig, load_config
from handoff.errors import ConfigFileError
from handoff.hub import Hub
from handoff.server import create_app
from handoff.store import Store
from handoff_sdk import ApiError, FakeClock
from handoff_sdk.entities import Contact, Lead

from .conftest import FakeCrm

WRITEBACK: dict[str, Any] = {
    "crm": "fakecrm",
    "shown_lead_fields": [
        {"label": "Rating", "field": "Rating"},
        {"label": "Company", "field": "company"},
        {"label": "Name", "field": "name"},
        {"label": "Phone", "field": "phone"},
        {"label": "Score", "field": "score"},
    ],
    "shown_contact_fields": [
        {"label": "Title", "field": "title"},
        {"label": "Who", "field": "name"},
        {"label": "Tier", "field": "Tier__c"},
    ],
}
SAM = Lead(
    ids={"fakecrm": "00Q1"},
    email="sam.rivera@globex.example",
    first_name="Sam",
    last_name="Rivera",
    company="Globex",
    title="CTO",
    score=87.0,
    fields={"Rating": "Hot"},
)
PAT = Contact(
    ids={"fakecrm": "0031"},
    email="pat.lee@acme.example",
    first_name="Pat",
    last_name="Lee",
    title="Director of IT",
    fields={"Tier__c": "Gold"},
)

AppFactory = Callable[..., FastAPI]


@pytest.fixture
async def make_app(store: Store, clock: FakeClock, crm_hub: Hub) -> AsyncIterator[AppFactory]:
    """Apps over the store: `[writeback]` = `writeback` (None: no table), hub = `hub`."""
    built: list[FastAPI] = []

    def make(writeback: dict[str, Any] | None = WRITEBACK, hub: Hub | None = crm_hub) -> FastAPI:
        config = HubConfig(writeback=writeback or {})
        app = create_app(store, config=config, hub=hub, clock=clock)
        built.append(app)
        return app

    yield make
    for app in built:
        await app.state.intake.aclose()


async def rep_view(app: FastAPI, conversation_id: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test", headers=admin_for(app)
    ) as client:
        return await client.get(f"/v1/conversations/{conversation_id}/rep-view")


async def chat(app: FastAPI, conversation_id: str, **extra: Any) -> None:
    """A chat request for the conversation, posted as the chat tool does."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test", headers=admin_for(app)
    ) as client:
        body = {"id": f"r-{conversation_id}", "conversation_id": conversation_id}
        response = await client.post("/v1/chat-requests", json={"visitor_id": "v", **body, **extra})
        assert response.status_code == 202, response.text


async def event(app: FastAPI, conversation_id: str, ident: str, **extra: Any) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test", headers=admin_for(app)
    ) as client:
        body = {"id": ident, "conversation_id": conversation_id, "kind": "message", **extra}
        response = await client.post("/v1/conversation-events", json=body)
        assert response.status_code == 202, response.text


async def test_q11_a_lead_gets_the_lead_fields_in_config_order(
    make_app: AppFactory, fake_crm: type[FakeCrm]
) -> None:
    """Q11: a Lead is shown with shown_lead_fields, in order, CRM fields included."""
    fake_crm.people = {"sam.rivera@globex.example": SAM}
    app = make_app()
    await chat(app, "c-sam", email="Sam.Rivera@Globex.example")
    response = await rep_view(app, "c-sam")
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["conversation_id"] == "c-sam"
    assert view["email"] == "Sam.Rivera@Globex.example"
    assert view["crm"] == "fakecrm"
    assert view["person"] == {"type": "lead", "id": "00Q1"}
    assert view["fields"] == [
        {"label": "Rating", "value": "Hot"},
        {"label": "Company", "value": "Globex"},
        {"label": "Name", "value": "Sam Rivera"},
        {"label": "Score", "value": "87"},
    ]
    assert "Lead 00Q1" in view["why"]
    assert fake_crm.asked == ["Sam.Rivera@Globex.example"]


async def test_q11_a_contact_gets_the_contact_fields(
    make_app: AppFactory, fake_crm: type[FakeCrm]
) -> None:
    """Q11: a Contact is shown with shown_contact_fields, not the lead ones."""
    fake_crm.people = {"pat.lee@acme.example": PAT}
    app = make_app()
    await chat(app, "c-pat")
    await event(app, "c-pat", "e-1", text="Hi", visitor={"email": "pat.lee@acme.example"})
    view = (await rep_view(app, "c-pat")).json()
    assert view["email"] == "pat.lee@acme.example"  # from the event's visitor object
    assert view["person"] == {"type": "contact", "id": "0031"}
    assert view["fields"] == [
        {"label": "Title", "value": "Director of IT"},
        {"label": "Who", "value": "Pat Lee"},
        {"label": "Tier", "value": "Gold"},
    ]


async def test_q11_show_empty_lists_every_configured_line(
    make_app: AppFactory, fake_crm: type[FakeCrm]
) -> None:
    """Q11: with show_empty, a field without a value is listed as ''."""
    fake_crm.people = {"sam.rivera@globex.example": SAM}
    app = make_app({**WRITEBACK, "show_empty": True})
    await chat(app, "c-sam", email="sam.rivera@globex.example")
    fields = (await rep_view(app, "c-sam")).json()["fields"]
    assert [f["label"] for f in fields] == ["Rating", "Company", "Name", "Phone", "Score"]
    assert fields[3] == {"label": "Phone", "value": ""}


async def test_q11_nobody_found_shows_no_person_and_no_fields(
    make_app: AppFactory, fake_crm: type[FakeCrm]
) -> None:
    """Q11: an email the CRM does not know: person null, fields []."""
    app = make_app()
    await chat(app, "c-new", email="new@example.test")
    response = await rep_view(app, "c-new")
    assert response.status_code == 200
    view = response.json()
    assert view["person"] is None
    assert view["fields"] == []
    assert view["why"] == "new@example.test is not in fakecrm: nobody to show"
    assert fake_crm.asked == ["new@example.test"]


async def test_q11_a_conversation_without_email_asks_nobody(
    make_app: AppFactory, fake_crm: type[FakeCrm]
) -> None:
    """Q11: no email yet -> 200, no fields, and the CRM is not asked."""
    app = make_app()
    await chat(app, "c-anon")
    response = await rep_view(app, "c-anon")
    assert response.status_code == 200
    assert response.json() == {
        "conversation_id": "c-anon",
        "email": None,
        "crm": "fakecrm",
        "person": None,
        "fields": [],
        "why": "no email yet",
    }
    assert fake_crm.asked == []


async def test_q11_an_unknown_conversation_is_404(
    make_app: AppFactory, fake_crm: type[FakeCrm]
) -> None:
    """Q11: nothing stored about the conversation -> 404 naming it."""
    response = await rep_view(make_app(), "c-missing")
    assert response.status_code == 404
    assert response.json() == {
        "error": "no conversation 'c-missing'",
        "fields": [{"field": "conversation_id", "problem": "not found"}],
    }
    assert fake_crm.asked == []


@pytest.mark.parametrize(
    ("writeback", "with_hub", "error"),
    [
        (None, True, "write-back is not configured (no [writeback] table in handoff.toml)"),
        (
            {**WRITEBACK, "crm": "salesforce"},
            True,
            "[writeback] crm 'salesforce' is not an enabled connector that can find people "
            "(handoff_find_person)",
        ),
        (
            WRITEBACK,
            False,
            "[writeback] crm 'fakecrm' is not an enabled connector that can find people "
            "(handoff_find_person)",
        ),
    ],
)
async def test_q11_without_writeback_or_its_crm_the_rep_view_is_409(
    make_app: AppFactory,
    crm_hub: Hub,
    writeback: dict[str, Any] | None,
    with_hub: bool,
    error: str,
) -> None:
    """Q11: the rep view needs [writeback] and its crm connector enabled; else 409, why."""
    app = make_app(writeback, crm_hub if with_hub else None)
    await chat(app, "c-1", email="sam.rivera@globex.example")
    response = await rep_view(app, "c-1")
    assert response.status_code == 409
    assert response.json() == {"error": error, "fields": []}


def test_q11_a_bad_writeback_table_is_refused_at_load_naming_the_key(tmp_path: Path) -> None:
    """Q11: a [writeback] that does not validate stops the hub at load, never a 409 later."""
    path = tmp_path / "handoff.toml"
    path.write_text('[writeback]\nshown_lead_fields = [{ label = "X", field = "compnay" }]\n')
    with pytest.raises(ConfigFileError) as caught:
        load_config(path)
    assert str(caught.value).startswith(
        f"{path}: writeback.shown_lead_fields[0].field: 'compnay' is not a Lead attribute"
    )


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            ApiError("fakecrm", 500, "SERVER_ERROR", "Authorization: Bearer abcdefghijklmnop1234"),
            "fakecrm: person lookup failed (fakecrm: HTTP 500 SERVER_ERROR: "
            "Authorization: [redacted])",
        ),
        (
            httpx.ConnectError("connection refused"),
            "fakecrm: person lookup failed (connection refused)",
        ),
    ],
)
async def test_q11_a_failed_crm_lookup_is_502_with_the_message(
    make_app: AppFactory, fake_crm: type[FakeCrm], error: Exception, expected: str
) -> None:
    """Q11: a connector error is a 502 with its message, a token in it redacted, no traceback."""
    fake_crm.error = error
    app = make_app()
    await chat(app, "c-1", email="sam.rivera@globex.example")
    response = await rep_view(app, "c-1")
    assert response.status_code == 502
    assert response.json() == {"error": expected, "fields": []}
    assert "abcdefghijklmnop1234" not in response.text
    assert "Traceback" not in response.text


async def test_q11_a_connector_bug_is_not_reported_as_the_crms_outage(
    make_app: AppFactory, fake_crm: type[FakeCrm]
) -> None:
    """Q11: only what the SDK raises for an outside system is a 502; a bug is raised."""
    fake_crm.error = RuntimeError("boom")
    app = make_app()
    await chat(app, "c-1", email="sam.rivera@globex.example")
    with pytest.raises(RuntimeError, match="boom"):
        await rep_view(app, "c-1")


async def test_q11_a_bad_conversation_id_is_422(make_app: AppFactory) -> None:
    """Q11: a control character in the id is refused, naming the field."""
    response = await rep_view(make_app(), "c%01x")
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "path.conversation_id"


async def test_q11_the_rep_view_is_in_the_openapi_document(make_app: AppFactory) -> None:
    """Q11: the chat tool finds the operation, its answer and its errors in /openapi.json."""
    app = make_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test", headers=admin_for(app)
    ) as client:
        document = (await client.get("/openapi.json")).json()
    operation = document["paths"]["/v1/conversations/{conversation_id}/rep-view"]["get"]
    assert set(operation["responses"]) == {"200", "401", "403", "404", "409", "422", "502"}
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/RepView"}
    assert set(document["components"]["schemas"]["RepView"]["properties"]) == {
        "conversation_id",
        "email",
        "crm",
        "person",
        "fields",
        "why",
    }


def test_q11_no_conversation_id_makes_a_configured_rep_view_fail(
    store: Store, clock: FakeClock, crm_hub: Hub, fake_crm: type[FakeCrm]
) -> None:
    """Q11: fuzzed ids against a configured hub (the shared fuzz test has no [writeback])."""
    fake_crm.people = {"sam.rivera@globex.example": SAM}
    app = create_app(store, config=HubConfig(writeback=WRITEBACK), hub=crm_hub, clock=clock)
    api = schemathesis.openapi.from_asgi("/openapi.json", app)
    operation = api["/v1/conversations/{conversation_id}/rep-view"]["GET"]
    admin = admin_for(app)

    @given(case=operation.as_strategy())
    @settings(
        max_examples=30,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def fuzz(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(headers=admin)

    fuzz()
