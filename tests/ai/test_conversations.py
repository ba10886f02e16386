"""Q5 (with Q4, Q6): the AI rep's conversations through the API over a real socket.

The hub runs with [routing] (an AI rep, a BDR, an AMER SDR pool; Q3c and
Q3e rules), an AI-first experience with its traditional twin, a fake
calendar connector that books, and a scripted responder standing in for
the model: what it drafts is checked by the Q6 guard before it is sent.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from keyed import key_headers  # type: ignore[import-not-found]
from sqlalchemy import select

from handoff.ai import conversation_api
from handoff.ai.conversation_cli import conversation
from handoff.ai.conversations import offered_not_booked
from handoff.ai.kinds import (
    CONVERSATION_DECISION,
    EMAIL_DECISION,
    GOAL_DECISION,
    TURN_DECISION,
)
from handoff.ai.responder import Draft, ReplyRequest
from handoff.ai.studio.inbox import list_groups
from handoff.chat.identify import IdentifyVisitors
from handoff.cli import main
from handoff.config import HubConfig, load_config
from handoff.hub import Hub
from handoff.plugins import Discovery
from handoff.server import create_app
from handoff.store import Decision, EventRecord, Store
from handoff_sdk import Connector, FakeClock, hookimpl
from handoff_sdk.entities import BusySlot, Meeting, Rep
from handoff_sdk.secrets import DictSecrets

Serve = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]

TOML = """
[connectors.google-calendar]
enabled = true

[ai]
company = "Acme"
support_url = "https://support.acme.example/"
forbidden_urls = ["https://acme.example/demo", "https://acme.example/contact-us"]
competitors = ["Globex"]

[ai.conversations]
slots_offered = 3

[meetings]
calendar = "google-calendar"
video = "personal"

[routing]
ai_rep = "ai-rep"
geo_from = ["account.geo", "visitor.geo"]

[[routing.reps]]
id = "ai-rep"
name = "Acme AI Rep"
is_ai = true

[[routing.reps]]
id = "bdr-avery"
name = "Avery Stone"
email = "avery@acme.example"
ids = { salesforce = "005AVERY" }
timezone = "America/New_York"
working_hours = { "mon-fri" = "09:00-17:00" }
zoom_link = "https://acme.zoom.us/j/1000000001"

[[routing.reps]]
id = "sdr-taylor"
name = "Taylor Brooks"
teams = ["sdr-amer"]
timezone = "America/New_York"
working_hours = { "mon-sun" = "00:00-24:00" }
zoom_link = "https://acme.zoom.us/j/1000000002"

[[routing.teams]]
name = "sdr-amer"
geo = "AMER"

[[routing.rules]]
id = "actively-working"
rule_ids = ["Q3c"]
when = { field = "account.status", equals = "Actively Working" }
target = "field:account.bdr_assigned_id"
fallbacks = ["geo_pool"]

[[routing.rules]]
id = "everyone-else"
rule_ids = ["Q3e"]
target = "geo_pool"
fallbacks = ["team:sdr-amer"]

[[experiences]]
id = "site"
name = "Site"
twin = "site-ai"

[[experiences]]
id = "site-ai"
name = "Site - AI"
mode = "ai_first"
twin = "site"
"""

NORTHWIND = {
    "name": "Northwind Traders",
    "ids": {"salesforce": "001NORTH"},
    "status": "Actively Working",
    "geo": "AMER",
    "bdr_assigned_id": "005AVERY",
}


class FakeCalendar(Connector):
    """A calendar in memory: Avery is busy Monday 14:00-15:00 New York; bookings recorded."""

    name = "google-calendar"
    title = "Fake calendar"
    booked: ClassVar[list[Meeting]] = []

    @hookimpl
    async def handoff_rep_busy(self, rep: Rep, start: datetime, end: datetime) -> list[BusySlot]:
        del start, end
        if rep.id != "bdr-avery":
            return []
        return [
            BusySlot(
                start=datetime.fromisoformat("2026-01-05T14:00:00-05:00"),
                end=datetime.fromisoformat("2026-01-05T15:00:00-05:00"),
            )
        ]

    @hookimpl
    async def handoff_book_meeting(self, meeting: Meeting, idempotency_key: str) -> Meeting:
        del idempotency_key
        type(self).booked.append(meeting)
        return meeting.model_copy(update={"ids": {**meeting.ids, "google-calendar": "ev-1"}})


class ScriptedModel:
    """The test responder: answers each message from a script, records every request."""

    def __init__(self) -> None:
        self.requests: list[ReplyRequest] = []
        self.script: dict[str, str] = {
            "how does ci work?": "Acme CI runs your pipelines on every push: see /docs/ci.",
            "any discount for us?": "Sure, 30% off if you sign this week!",
        }

    async def draft(self, request: ReplyRequest) -> Draft:
        self.requests.append(request)
        asked = request.turns[-1].text.strip().lower()
        return Draft(text=self.script.get(asked, "Happy to help."), backend="model:scripted")


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch) -> ScriptedModel:
    scripted = ScriptedModel()
    monkeypatch.setattr(conversation_api, "choose_responder", lambda services, config: scripted)
    return scripted


@pytest.fixture
def hub_config(tmp_path: Path) -> HubConfig:
    path = tmp_path / "handoff.toml"
    path.write_text(TOML)
    return load_config(path)


@pytest.fixture
async def hub(clock: FakeClock, hub_config: HubConfig) -> AsyncIterator[Hub]:
    FakeCalendar.booked = []
    connectors: dict[str, type[Connector]] = {"google-calendar": FakeCalendar}
    async with Hub(
        hub_config,
        secrets=lambda name: DictSecrets(name, {}),
        discovery=Discovery(connectors=connectors, packages=dict.fromkeys(connectors, "test")),
        clock=clock,
    ) as built:
        yield built


@pytest.fixture
async def ai_app(
    store: Store, clock: FakeClock, hub_config: HubConfig, hub: Hub, model: ScriptedModel
) -> AsyncIterator[FastAPI]:
    del model
    built = create_app(store, config=hub_config, hub=hub, clock=clock)
    yield built
    await built.state.intake.aclose()


@pytest.fixture
def ingest(store: Store) -> dict[str, str]:
    return key_headers(store, "ingest")


@pytest.fixture
def everyone_online(store: Store, clock: FakeClock) -> None:
    from handoff.chat.routing.availability import set_rep_status  # noqa: PLC0415
    from handoff_sdk.entities import RepStatus  # noqa: PLC0415

    with store.transaction() as session:
        for rep in ("bdr-avery", "sdr-taylor"):
            set_rep_status(session, rep, RepStatus.ONLINE, now=clock.now())


def identified(store: Store, clock: FakeClock, visitor_id: str, account: dict[str, Any]) -> None:
    """The Q1 decision a page view of the visitor would have stored."""
    with store.transaction() as session:
        IdentifyVisitors().decide(
            session,
            EventRecord(type="hub.page_view", payload={}),
            {
                "visitor": {"id": visitor_id},
                "firmographics": {"company_name": account["name"], "region": "N. America"},
                "account": account,
                "steps": [],
            },
            clock.now(),
        )


async def start(client: httpx.AsyncClient, cid: str, entry: str, visitor: str = "v-1") -> Any:
    answer = await client.post(
        "/v1/ai/conversations",
        json={"id": cid, "experience_id": "site-ai", "entry": entry, "visitor_id": visitor},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def say(client: httpx.AsyncClient, cid: str, text: str = "", **extra: Any) -> Any:
    answer = await client.post(f"/v1/ai/conversations/{cid}/messages", json={"text": text, **extra})
    assert answer.status_code == 200, answer.text
    return answer.json()


def kinds(store: Store, cid: str) -> list[str]:
    with store.sessions() as session:
        return list(
            session.scalars(
                select(Decision.kind)
                .where(Decision.subject_type == "conversation", Decision.subject_id == cid)
                .order_by(Decision.id)
            )
        )


async def test_q5_connect_with_us_needs_a_business_email_before_the_ai_converses(
    ai_app: FastAPI, store: Store, loopback: Serve, ingest: dict[str, str], model: ScriptedModel
) -> None:
    """Q5 "Connect with us": nothing is discussed before a business email; free-mail and
    disposable addresses are refused with a clear message naming the domain."""
    async with loopback(ai_app, ingest) as client:
        opened = await start(client, "c-connect", "connect")
        assert opened["needs_email"] is True
        assert opened["status"] == "awaiting_email"
        assert "business email" in opened["reply"]

        before = await say(client, "c-connect", "How does CI work?")
        assert before["needs_email"] is True
        assert "business email" in before["reply"]
        assert model.requests == []  # the responder is not asked before the email

        free = await client.post(
            "/v1/ai/conversations/c-connect/email", json={"email": "kim@gmail.com"}
        )
        assert free.status_code == 422
        assert free.json() == {
            "error": "gmail.com is a free email provider, not a business address.",
            "fields": [
                {
                    "field": "email",
                    "problem": "gmail.com is a free email provider, not a business address.",
                }
            ],
        }
        throwaway = await client.post(
            "/v1/ai/conversations/c-connect/email", json={"email": "kim@mailinator.com"}
        )
        assert throwaway.status_code == 422
        assert "mailinator.com is a disposable email service" in throwaway.json()["error"]
        bad = await client.post("/v1/ai/conversations/c-connect/email", json={"email": "kim"})
        assert bad.status_code == 422
        assert "not an email address" in bad.json()["error"]

        taken = await client.post(
            "/v1/ai/conversations/c-connect/email", json={"email": "Kim@Northwind.example"}
        )
        assert taken.status_code == 200, taken.text
        assert taken.json()["email"] == "Kim@northwind.example"
        assert taken.json()["status"] == "open"
        assert taken.json()["needs_email"] is False

        answered = await say(client, "c-connect", "How does CI work?")
        assert answered["reply"].startswith("Acme CI runs your pipelines")
        assert answered["guard"] == {"allowed": True, "rule": None, "broken": []}
        assert [t.text for t in model.requests[0].turns][-1] == "How does CI work?"

        view = (await client.get("/v1/ai/conversations/c-connect")).json()
    emails = [d for d in view["decisions"] if d["kind"] == EMAIL_DECISION]
    assert [(d["outcome"]["action"], d["outcome"]["kind"]) for d in emails] == [
        ("refused", "free_mail"),
        ("refused", "disposable"),
        ("refused", "invalid"),
        ("accepted", "business"),
    ]
    assert view["decisions"][0]["kind"] == CONVERSATION_DECISION
    assert "business email is required" in view["decisions"][0]["why"]["summary"]


async def test_q5_q6_i_have_a_question_converses_at_once_and_every_reply_is_guarded(
    ai_app: FastAPI, store: Store, loopback: Serve, ingest: dict[str, str]
) -> None:
    """Q5 "I have a question": no email asked to converse; Q6: a draft offering a discount is
    replaced, never sent, and the replacement is recorded with its rule."""
    async with loopback(ai_app, ingest) as client:
        opened = await start(client, "c-q", "question")
        assert opened["needs_email"] is False
        assert opened["status"] == "open"
        answered = await say(client, "c-q", "How does CI work?")
        assert answered["reply"].startswith("Acme CI")
        pricing = await say(client, "c-q", "Any discount for us?")
    assert pricing["guard"]["allowed"] is False
    assert pricing["guard"]["rule"] == "Q6.pricing"
    assert "30%" not in pricing["reply"]
    with store.sessions() as session:
        turns = session.scalars(
            select(Decision).where(Decision.kind == TURN_DECISION, Decision.subject_id == "c-q")
        ).all()
    replaced = [t for t in turns if t.outcome["action"] == "replaced"]
    assert len(replaced) == 1
    assert replaced[0].outcome["rule"] == "Q6.pricing"
    assert replaced[0].explanation["candidate"] == "Sure, 30% off if you sign this week!"
    assert replaced[0].outcome["backend"] == "model:scripted"
    assert replaced[0].rule_ids == ["Q5", "Q6"]
    # Q7: every visitor question goes to AI Studio's Inbox, with what answered it.
    with store.sessions() as session:
        inbox = {g.question: g for g in list_groups(session)}
    assert set(inbox) == {"How does CI work?", "Any discount for us?"}
    assert inbox["How does CI work?"].answered_by == "model:scripted"


async def test_q5_book_a_meeting_collects_the_email_then_offers_the_assigned_bdr_and_books(  # noqa: PLR0917
    ai_app: FastAPI,
    store: Store,
    clock: FakeClock,
    loopback: Serve,
    ingest: dict[str, str],
    everyone_online: None,
) -> None:
    """Q5 Book a Meeting (with Q4's AI-first routing, Q12): an Actively Working account's
    visitor asks for a meeting; the email is collected first; the assigned BDR's free slots
    (around their calendar's busy hour) are offered; the chosen one is booked."""
    identified(store, clock, "v-north", NORTHWIND)
    async with loopback(ai_app, ingest) as client:
        await start(client, "c-book", "question", visitor="v-north")
        asked = await say(client, "c-book", "Can we schedule a call next week?")
        assert asked["goal"] == {"goal": "book_meeting", "action": "email_requested"}
        assert asked["needs_email"] is True
        assert "business email" in asked["reply"]
        assert kinds(store, "c-book").count("routing") == 0  # nothing acts before the email

        given = await client.post(
            "/v1/ai/conversations/c-book/email", json={"email": "dana@northwind.example"}
        )
        assert given.status_code == 200, given.text
        offer = given.json()
        assert offer["status"] == "awaiting_slot"
        goal = offer["goal"]
        assert (goal["action"], goal["rep_id"]) == ("slots_offered", "bdr-avery")
        assert (
            "the assigned rep: the account Northwind Traders (Actively Working)" in goal["chosen"]
        )
        starts = [s["start"] for s in goal["slots"]]
        # Monday 2026-01-05, New York: 09:00 onwards, 14:00-15:00 busy on the calendar.
        assert starts == [
            "2026-01-05T09:00:00-05:00",
            "2026-01-05T09:30:00-05:00",
            "2026-01-05T10:00:00-05:00",
        ]
        assert "Avery Stone" in offer["reply"]

        wrong = await client.post(
            "/v1/ai/conversations/c-book/slot", json={"start": "2026-01-05T14:00:00-05:00"}
        )
        assert wrong.status_code == 422
        assert wrong.json()["fields"][0]["field"] == "start"

        with store.sessions() as session:
            pending = offered_not_booked(session, offered_before=clock.now())
        assert [(o.conversation_id, o.rep_id, o.email) for o in pending] == [
            ("c-book", "bdr-avery", "dana@northwind.example")
        ]

        booked = await client.post(
            "/v1/ai/conversations/c-book/slot", json={"start": "2026-01-05T09:30:00-05:00"}
        )
        assert booked.status_code == 200, booked.text
        done = booked.json()
        view = (await client.get("/v1/ai/conversations/c-book")).json()
    assert done["status"] == "booked"
    assert done["goal"]["action"] == "meeting_booked"
    assert done["goal"]["meeting_id"] == "c-book-meeting"
    assert "dana@northwind.example" in done["reply"]
    with store.sessions() as session:
        meeting = session.get(Decision, done["goal"]["meeting_decision_id"])
        assert meeting is not None
        assert meeting.kind == "meeting"
        assert meeting.outcome["rep_id"] == "bdr-avery"
        assert meeting.outcome["conversation_id"] == "c-book"
        assert offered_not_booked(session, offered_before=clock.now()) == []
    steps = [d["outcome"]["action"] for d in view["decisions"] if d["kind"] == GOAL_DECISION]
    assert steps == ["triggered", "email_requested", "slots_offered", "meeting_booked"]
    # The assigned BDR is out of hours now (04:00 in New York): a meeting is still theirs,
    # and the chat is not handed to anyone for it.
    assert [d for d in view["decisions"] if d["kind"] == "routing"] == []


async def test_q5_q4_route_to_a_rep_hands_the_conversation_to_the_geo_sdr_pool(
    ai_app: FastAPI, store: Store, loopback: Serve, ingest: dict[str, str], everyone_online: None
) -> None:
    """Q5 Route to a Rep by its button, Q4 AI-first hand-off: a visitor of no Actively Working
    account goes to the SDR pool (not the AI rep); the email comes first."""
    async with loopback(ai_app, ingest) as client:
        await start(client, "c-route", "question", visitor="v-anon")
        asked = await say(client, "c-route", button="route_to_rep")
        assert asked["goal"]["action"] == "email_requested"
        given = await client.post(
            "/v1/ai/conversations/c-route/email", json={"email": "lee@initrode.example"}
        )
    assert given.status_code == 200, given.text
    answer = given.json()
    assert answer["status"] == "handed_off"
    assert (answer["goal"]["action"], answer["goal"]["rep_id"]) == ("routed", "sdr-taylor")
    assert answer["goal"]["rule"] == "everyone-else"
    assert "Taylor Brooks" in answer["reply"]
    with store.sessions() as session:
        routing = session.scalars(
            select(Decision).where(Decision.kind == "routing", Decision.subject_id == "c-route")
        ).one()
    assert routing.outcome["ai"] is False
    async with loopback(ai_app, ingest) as client:
        after = await client.post("/v1/ai/conversations/c-route/messages", json={"text": "hi"})
    assert after.status_code == 409
    assert "handed to Taylor Brooks (sdr-taylor)" in after.json()["error"]
    assert routing.outcome["mode"] == "ai_first"
    assert routing.rule_ids == ["Q3e", "Q4"]


async def test_q5_q6_support_sends_the_support_url_after_the_email(  # noqa: PLR0917
    ai_app: FastAPI,
    loopback: Serve,
    ingest: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Q5 Support (triggered by a support term of [ai]); `handoff explain` shows every step."""
    async with loopback(ai_app, ingest) as client:
        await start(client, "c-help", "question")
        asked = await say(client, "c-help", "My pipeline is not working since today")
        assert asked["goal"]["action"] == "email_requested"
        given = await client.post(
            "/v1/ai/conversations/c-help/email", json={"email": "ops@initech.example"}
        )
    answer = given.json()
    assert answer["goal"] == {
        "goal": "support",
        "action": "support_link",
        "support_url": "https://support.acme.example/",
    }
    assert "https://support.acme.example/" in answer["reply"]
    monkeypatch.setattr(
        sys,
        "argv",
        ["handoff", "explain", "conversation:c-help", "--database", store.url, "--json"],
    )
    code = 0
    try:
        main()
    except SystemExit as exc:  # click may exit after a command
        code = int(exc.code or 0)
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    shown = [(d["kind"], d["outcome"].get("action")) for d in report["decisions"]]
    assert shown == [
        (CONVERSATION_DECISION, None),
        (TURN_DECISION, "sent"),
        (GOAL_DECISION, "triggered"),
        (GOAL_DECISION, "email_requested"),
        (TURN_DECISION, "sent"),
        (EMAIL_DECISION, "accepted"),
        (GOAL_DECISION, "support_link"),
        (TURN_DECISION, "sent"),
    ]
    triggered = report["decisions"][2]
    assert "not working" in triggered["why"]["summary"]
    shown_cli = CliRunner().invoke(conversation, ["c-help", "--database", store.url])
    assert shown_cli.exit_code == 0, shown_cli.output
    assert (
        'conversation c-help: "I have a question" on site-ai, visitor v-1, open' in shown_cli.output
    )
    assert "visitor: My pipeline is not working since today" in shown_cli.output
    assert "ai.goal support_link" in shown_cli.output
    missing = CliRunner().invoke(conversation, ["c-nope", "--database", store.url])
    assert missing.exit_code != 0
    assert "no AI conversation 'c-nope'" in str(missing.exception)


async def test_q5_refusals_name_the_field(
    ai_app: FastAPI, store: Store, loopback: Serve, ingest: dict[str, str]
) -> None:
    """Unknown experience, unknown conversation, a slot never offered, a second start."""
    async with loopback(ai_app, ingest) as client:
        unknown = await client.post(
            "/v1/ai/conversations",
            json={"id": "c-x", "experience_id": "nope", "entry": "question", "visitor_id": "v"},
        )
        assert unknown.status_code == 422
        assert unknown.json()["fields"][0]["field"] == "experience_id"
        bad_entry = await client.post(
            "/v1/ai/conversations",
            json={"id": "c-x", "experience_id": "site-ai", "entry": "chat", "visitor_id": "v"},
        )
        assert bad_entry.status_code == 422
        missing = await client.post("/v1/ai/conversations/c-none/messages", json={"text": "hi"})
        assert missing.status_code == 404
        await start(client, "c-once", "question")
        again = await client.post(
            "/v1/ai/conversations",
            json={
                "id": "c-once",
                "experience_id": "site-ai",
                "entry": "question",
                "visitor_id": "v",
            },
        )
        assert again.status_code == 409
        no_offer = await client.post(
            "/v1/ai/conversations/c-once/slot", json={"start": "2026-01-06T10:00:00Z"}
        )
        assert no_offer.status_code == 409
        empty = await client.post("/v1/ai/conversations/c-once/messages", json={"text": " "})
        assert empty.status_code == 422
        assert empty.json()["fields"][0]["field"] == "text"
        ops = await client.get(
            "/v1/ai/conversations/c-once", headers=key_headers(store, "rep", rep="bdr-avery")
        )
        assert ops.status_code == 403


async def test_q5_two_messages_at_once_lose_no_turn(
    ai_app: FastAPI, store: Store, model: ScriptedModel, ingest: dict[str, str]
) -> None:
    """A message answered while another changed the conversation is refused (409), not lost."""
    import asyncio  # noqa: PLC0415

    gate, waiting = asyncio.Event(), asyncio.Event()
    drafted = model.draft

    async def slow(request: ReplyRequest) -> Draft:
        waiting.set()
        await gate.wait()
        return await drafted(request)

    model.draft = slow  # type: ignore[method-assign]
    transport = httpx.ASGITransport(app=ai_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test", headers=ingest
    ) as client:
        await start(client, "c-race", "question")
        first = asyncio.create_task(say_raw(client, "c-race", "How does CI work?"))
        await waiting.wait()  # the first is waiting on the responder
        second = await say(client, "c-race", button="support")
        gate.set()
        late = await first
    assert second["goal"]["action"] == "email_requested"
    assert late.status_code == 409
    assert "changed while this request was answered" in late.json()["error"]
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test", headers=ingest
    ) as client:
        view = (await client.get("/v1/ai/conversations/c-race")).json()
    assert [t["text"] for t in view["turns"] if t["speaker"] == "visitor"] == ["Get support"]


async def say_raw(client: httpx.AsyncClient, cid: str, text: str) -> httpx.Response:
    return await client.post(f"/v1/ai/conversations/{cid}/messages", json={"text": text})


async def test_q16_slots_offered_in_a_conversation_start_the_ai_follow_up(  # noqa: PLR0917
    ai_app: FastAPI,
    store: Store,
    clock: FakeClock,
    loopback: Serve,
    ingest: dict[str, str],
    everyone_online: None,
) -> None:
    """Q16: a Book a Meeting goal that offers slots stores `hub.meeting_offered`, naming the rep
    whose calendar was shown and their address (the follow-up's Reply-To); tests/ai/
    test_email_over_http.py follows the same event to the email and the lead's statuses."""
    identified(store, clock, "v-q16", NORTHWIND)
    async with loopback(ai_app, ingest) as client:
        await start(client, "c-q16", "question", visitor="v-q16")
        await say(client, "c-q16", "Can we schedule a call next week?")
        given = await client.post(
            "/v1/ai/conversations/c-q16/email", json={"email": "Dana@northwind.example"}
        )
    assert given.json()["goal"]["action"] == "slots_offered"
    with store.sessions() as session:
        [event] = session.scalars(
            select(EventRecord).where(EventRecord.type == "hub.meeting_offered")
        ).all()
    assert event.payload["rep"] == {
        "id": "bdr-avery",
        "name": "Avery Stone",
        "email": "avery@acme.example",
    }
    assert (event.payload["email"], event.subject_id) == ("dana@northwind.example", "c-q16")
