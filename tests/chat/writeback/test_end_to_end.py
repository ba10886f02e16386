"""Q11 on the runtime: a conversation ends, the worker writes it back to Salesforce.

The chat is stored as the hub stores it (a chat request, conversation events);
the worker runs the WritebackHandler on the `ended` event (find_person through
the real Salesforce connector, over a cassette), stores the decision with its
job, then runs the job: a Contact update, or a Lead upsert.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from handoff_salesforce import SalesforceConnector
from sqlalchemy import select

from handoff.chat.conversations import record_conversation_event
from handoff.chat.intake import ChatRequest
from handoff.chat.kinds import WRITEBACK_CONTACT_JOB
from handoff.chat.writeback.config import WritebackConfig
from handoff.chat.writeback.conversation import load_conversation
from handoff.chat.writeback.handler import WritebackHandler
from handoff.chat.writeback.plan import record_writeback
from handoff.chat.writeback.runner import contact_update_runner
from handoff.config import ConnectorSettings, HubConfig, validate_table
from handoff.hub import Hub
from handoff.plugins import Discovery
from handoff.runtime import Worker, decisions_about, jobs_of, record_events
from handoff.store import Job, JobState, Store
from handoff_sdk import FakeClock
from handoff_sdk.entities import Contact, Event, Rep
from handoff_sdk.secrets import DictSecrets
from handoff_sdk.testing.cassettes import CassetteTransport

CASSETTES = Path(__file__).resolve().parents[3] / "cassettes" / "salesforce"
SF_CONFIG = {
    "auth": "refresh_token",
    "instance_url": "https://handoff-test.my.salesforce.com",
    "login_url": "https://login.salesforce.com",
    "client_id": "handoff-test-client",
    "api_version": "v61.0",
}
SF_SECRETS = {"client_secret": "synthetic", "refresh_token": "synthetic"}
NOON = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
RILEY = Rep(
    id="riley",
    name="Riley Rep",
    email="riley@example.test",
    ids={"salesforce": "005Hd0000000021AAA"},
)
EXPERIENCES = [{"id": "pricing", "name": "Pricing"}]

CONFIG = validate_table(
    WritebackConfig,
    {
        "lead_fields": {
            "Email": "email",
            "FirstName": "first_name",
            "LastName": "last_name",
            "Company": "company",
            "Chat_Transcript__c": "transcript",
            "UTM_Source__c": "utm_source",
            "UTM_Campaign__c": "utm_campaign",
        },
        "lead_static": {"LeadSource": "Website Chat"},
        "contact_fields": {
            "Title": "title",
            "Chat_Summary__c": "summary",
            "Last_Chat_Rep__c": "rep_crm_id",
        },
    },
)


def make_hub(transport: httpx.AsyncBaseTransport, clock: FakeClock) -> Hub:
    return Hub(
        HubConfig(connectors={"salesforce": ConnectorSettings(settings=SF_CONFIG)}),
        secrets=lambda name: DictSecrets(name, SF_SECRETS),
        transport=lambda name: transport,
        discovery=Discovery(
            connectors={"salesforce": SalesforceConnector},
            packages={"salesforce": "handoff-salesforce"},
        ),
        clock=clock,
    )


def store_chat(
    store: Store,
    conversation_id: str,
    email: str,
    *,
    page_url: str,
    messages: list[tuple[str | None, str]],
    ended: dict[str, Any],
) -> None:
    """A chat as the hub stores it: the request, the rep joining, the messages, the end."""
    request = ChatRequest(
        id=f"req-{conversation_id}",
        conversation_id=conversation_id,
        visitor_id=f"v-{conversation_id}",
        experience_id="pricing",
        page_url=page_url,
        email=email,
        occurred_at=NOON,
    )
    with store.transaction() as session:
        record_events(
            session,
            [
                Event(
                    type="hub.chat_request",
                    source="hub",
                    dedupe_key=request.id,
                    occurred_at=NOON,
                    payload=request.to_payload(),
                )
            ],
            now=NOON,
        )
        record_conversation_event(session, conversation_id, "rep_joined", now=NOON, rep_id="riley")
        for n, (rep, text) in enumerate(messages):
            record_conversation_event(
                session,
                conversation_id,
                "message",
                now=NOON.replace(minute=n + 1),
                rep_id=rep,
                key=f"{conversation_id}:m{n}",
                details={"text": text},
            )
        record_conversation_event(
            session, conversation_id, "ended", now=NOON.replace(minute=30), details=ended
        )


def worker_for(store: Store, hub: Hub, clock: FakeClock, config: WritebackConfig) -> Worker:
    return Worker(
        store,
        hub=hub,
        clock=clock,
        events=WritebackHandler(config, store, reps=[RILEY], experiences=EXPERIENCES),
        handlers={WRITEBACK_CONTACT_JOB: contact_update_runner(lambda: hub)},
    )


def recorded_records(cassette: str) -> list[dict[str, Any]]:
    """The records of the cassette's PATCH: what Salesforce was recorded receiving."""
    data = yaml.safe_load((CASSETTES / f"{cassette}.yaml").read_text(encoding="utf-8"))
    (patch,) = [i for i in data["interactions"] if i["request"]["method"] == "PATCH"]
    records: list[dict[str, Any]] = json.loads(patch["request"]["body"])["records"]
    return records


def sent_patch(transport: CassetteTransport) -> httpx.Request:
    (request,) = [r for r in transport.requests if r.method == "PATCH"]
    return request


async def run_until_idle(worker: Worker, ticks: int = 20) -> None:
    """Tick until nothing is due (a conversation's events are decided one per tick, in order)."""
    for _ in range(ticks):
        if not await worker.run_once():
            return


async def test_q11_a_contacts_conversation_updates_the_contact(store: Store) -> None:
    clock = FakeClock(NOON.replace(minute=31))
    store_chat(
        store,
        "conv-pat",
        "pat.lee@acme.example",
        page_url="https://www.example.test/pricing",
        messages=[(None, "We need SSO for 400 seats."), ("riley", "Happy to set up a demo.")],
        ended={
            "summary": "Wants SSO for 400 seats; asked for a demo next week.",
            "visitor": {"title": "VP of IT"},
        },
    )
    transport = CassetteTransport(CASSETTES / "writeback_contact.yaml")
    async with make_hub(transport, clock) as hub:
        await run_until_idle(worker_for(store, hub, clock, CONFIG))
    request = sent_patch(transport)
    assert request.url.path == "/services/data/v61.0/composite/sobjects"
    assert json.loads(request.content)["records"] == recorded_records("writeback_contact")
    assert request.headers["X-Handoff-Idempotency-Key"] == "writeback:conv-pat:contact:0"
    with store.sessions() as session:
        _, decisions = decisions_about(session, "conversation:conv-pat")
        (decision,) = [d for d in decisions if d.kind == "writeback"]
        assert decision.rule_ids == ["Q11"]
        assert decision.outcome == {
            "action": "update_contact",
            "crm": "salesforce",
            "person": {"type": "contact", "id": "003Hd0000000030AAA"},
        }
        assert decision.explanation["fields"]["Last_Chat_Rep__c"] == "rep_crm_id"
        (job,) = jobs_of(session, decision.id)
        assert job.state == JobState.DONE.value
        assert job.result == {"updated": ["003Hd0000000030AAA"]}


async def test_q11_a_new_visitors_conversation_creates_the_lead(store: Store) -> None:
    clock = FakeClock(NOON.replace(minute=31))
    store_chat(
        store,
        "conv-jamie",
        "jamie.ortiz@wayne.example",
        page_url="https://www.example.test/pricing?utm_source=google&utm_campaign=sso-2026",
        messages=[(None, "Do you support SAML?"), ("riley", "Yes, on every plan.")],
        ended={"visitor": {"first_name": "Jamie", "company": "Wayne Enterprises"}},
    )
    transport = CassetteTransport(CASSETTES / "writeback_lead.yaml")
    async with make_hub(transport, clock) as hub:
        await run_until_idle(worker_for(store, hub, clock, CONFIG))
    request = sent_patch(transport)
    assert request.url.path == "/services/data/v61.0/composite/sobjects/Lead/Email"
    records = json.loads(request.content)["records"]
    assert records == recorded_records("writeback_lead")
    assert records[0]["LastName"] == "[not provided]", "Salesforce requires it on a new lead"
    with store.sessions() as session:
        (job,) = session.scalars(select(Job).where(Job.hook == "handoff_upsert_leads")).all()
        assert job.idempotency_key == "writeback:conv-jamie:lead"
        assert job.state == JobState.DONE.value
        assert job.result is not None
        assert job.result["value"][0]["created"] is True


async def test_q11_a_replayed_writeback_writes_no_second_job(store: Store) -> None:
    data = {"conversation_id": "conv-1", "email": "a@b.example", "first_name": "A"}
    with store.transaction() as session:
        record_writeback(session, data, None, CONFIG, now=NOON)
        record_writeback(session, {**data, "first_name": "B"}, None, CONFIG, now=NOON)
    with store.sessions() as session:
        jobs = session.scalars(select(Job)).all()
    assert [j.idempotency_key for j in jobs] == ["writeback:conv-1:lead"]


def test_q11_load_conversation_reads_what_the_events_say(store: Store) -> None:
    store_chat(
        store,
        "conv-x",
        "x@wayne.example",
        page_url="https://www.example.test/?utm_source=news&utm_medium=email",
        messages=[(None, "Hi"), ("riley", "Hello!"), ("someone-else", "Joining in")],
        ended={"notes": "Call back", "source": "Website Chat", "visitor": {"phone": "+1 555 0199"}},
    )
    with store.sessions() as session:
        data = load_conversation(session, "conv-x", reps=[RILEY], experiences=EXPERIENCES)
        assert load_conversation(session, "conv-missing") is None
    assert data is not None
    assert data.email == "x@wayne.example"
    assert (data.utm_source, data.utm_medium, data.utm_campaign) == ("news", "email", None)
    assert data.transcript == "Visitor: Hi\nRiley Rep: Hello!\nsomeone-else: Joining in"
    assert (data.rep_id, data.rep_name, data.rep_email) == ("riley", "Riley Rep", RILEY.email)
    assert data.value("rep_crm_id", "salesforce") == "005Hd0000000021AAA"
    assert data.experience_name == "Pricing"
    assert (data.notes, data.source, data.phone) == ("Call back", "Website Chat", "+1 555 0199")
    assert data.started_at == NOON
    assert data.ended_at == NOON.replace(minute=30)


def test_q11_without_a_rep_joining_the_routing_decision_names_the_rep(store: Store) -> None:
    from handoff.runtime import DecisionSpec, record_decision  # noqa: PLC0415

    with store.transaction() as session:
        record_conversation_event(session, "conv-r", "ended", now=NOON)
        record_decision(
            session,
            DecisionSpec(
                kind="routing",
                subject_type="conversation",
                subject_id="conv-r",
                outcome={"rep_id": "riley"},
            ),
            now=NOON,
        )
    with store.sessions() as session:
        data = load_conversation(session, "conv-r", reps=[RILEY])
    assert data is not None
    assert data.rep_name == "Riley Rep"


# -- the contact job's failures --------------------------------------------------------------


def _contact_job(store: Store) -> None:
    contact = Contact(ids={"salesforce": "003A"}, email="a@acme.example")
    with store.transaction() as session:
        record_writeback(
            session, {"conversation_id": "c9", "title": "CTO"}, contact, CONFIG, now=NOON
        )


def _answering(answer: Callable[[], httpx.Response]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            return httpx.Response(200, json={"access_token": "t"})
        return answer()

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    ("answer", "state", "error"),
    [
        (
            lambda: httpx.Response(
                200,
                json=[
                    {
                        "success": False,
                        "errors": [
                            {
                                "statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                                "message": "Title is locked",
                                "fields": ["Title"],
                            }
                        ],
                    }
                ],
            ),
            JobState.DEAD,
            "FIELD_CUSTOM_VALIDATION_EXCEPTION: Title is locked",
        ),
        (
            lambda: httpx.Response(
                200,
                json=[
                    {
                        "success": False,
                        "errors": [
                            {
                                "statusCode": "UNABLE_TO_LOCK_ROW",
                                "message": "unable to obtain exclusive access to this record",
                                "fields": [],
                            }
                        ],
                    }
                ],
            ),
            JobState.QUEUED,
            "UNABLE_TO_LOCK_ROW",
        ),
    ],
)
async def test_q11_a_refused_contact_update_is_dead_unless_a_retry_can_help(
    store: Store, answer: Callable[[], httpx.Response], state: JobState, error: str
) -> None:
    _contact_job(store)
    clock = FakeClock(NOON)
    async with make_hub(_answering(answer), clock) as hub:
        worker = Worker(
            store,
            hub=hub,
            clock=clock,
            handlers={WRITEBACK_CONTACT_JOB: contact_update_runner(lambda: hub)},
        )
        await worker.run_once()
    with store.sessions() as session:
        (job,) = session.scalars(select(Job)).all()
    assert job.state == state.value
    assert job.last_error is not None
    assert error in job.last_error
    assert "salesforce: contact update refused" in job.last_error


async def test_q11_a_connector_without_update_contacts_fails_the_job_for_good(
    store: Store,
) -> None:
    _contact_job(store)
    clock = FakeClock(NOON)
    hub = Hub(HubConfig(), discovery=Discovery(), clock=clock)
    worker = Worker(
        store,
        hub=hub,
        clock=clock,
        handlers={WRITEBACK_CONTACT_JOB: contact_update_runner(lambda: hub)},
    )
    await worker.run_once()
    with store.sessions() as session:
        (job,) = session.scalars(select(Job)).all()
    assert job.state == JobState.DEAD.value
    assert "connector 'salesforce' is not enabled" in (job.last_error or "")


# -- when the CRM cannot say who the visitor is ----------------------------------------------


def _ended_chat(store: Store) -> None:
    store_chat(
        store,
        "conv-q",
        "quinn@acme.example",
        page_url="https://www.example.test/",
        messages=[],
        ended={"visitor": {"title": "CTO"}},
    )


def _writeback_decision(store: Store, conversation: str) -> Any:
    with store.sessions() as session:
        _, decisions = decisions_about(session, f"conversation:{conversation}")
        (decision,) = [d for d in decisions if d.kind == "writeback"]
        assert jobs_of(session, decision.id) == []
        return decision


async def test_q11_a_refused_lookup_writes_nothing_and_says_why(store: Store) -> None:
    _ended_chat(store)
    clock = FakeClock(NOON.replace(minute=31))
    refused = _answering(
        lambda: httpx.Response(
            400, json=[{"message": "No such column 'Foo'", "errorCode": "INVALID_FIELD"}]
        )
    )
    async with make_hub(refused, clock) as hub:
        await run_until_idle(worker_for(store, hub, clock, CONFIG))
    decision = _writeback_decision(store, "conv-q")
    assert decision.outcome["action"] == "none"
    assert decision.explanation["why"].startswith("salesforce: person lookup failed")
    assert "duplicate Lead" in decision.explanation["why"]


async def test_q11_a_crm_that_is_not_enabled_writes_nothing_and_says_why(store: Store) -> None:
    _ended_chat(store)
    clock = FakeClock(NOON.replace(minute=31))
    other = CONFIG.model_copy(update={"crm": "hubspot"})
    async with make_hub(_answering(lambda: httpx.Response(500)), clock) as hub:
        await run_until_idle(worker_for(store, hub, clock, other))
    decision = _writeback_decision(store, "conv-q")
    assert "'hubspot' is not an enabled connector" in decision.explanation["why"]


async def test_q11_a_lookup_that_may_pass_later_retries_the_event(store: Store) -> None:
    _ended_chat(store)
    clock = FakeClock(NOON.replace(minute=31))
    down = _answering(lambda: httpx.Response(503, json=[{"errorCode": "SERVER_UNAVAILABLE"}]))
    async with make_hub(down, clock) as hub:
        worker = worker_for(store, hub, clock, CONFIG)
        await run_until_idle(worker)
    with store.sessions() as session:
        _, decisions = decisions_about(session, "conversation:conv-q")
        assert [d for d in decisions if d.kind == "writeback"] == []
        ended = session.scalars(
            select(Job).where(Job.kind == "event").order_by(Job.id.desc()).limit(1)
        ).one()
    assert ended.state == JobState.QUEUED.value, "the ended event is tried again later"
    assert worker.stats.retried == 1
