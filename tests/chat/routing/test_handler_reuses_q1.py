"""Q1 -> Q3: a chat request is routed on the visitor's stored identification.

The chat-request API carries no IP, so the account a page view was matched
to (the visitor's `identify` decision) is what the Q3 rules see; nothing is
asked of the connectors again unless the chat request brings an IP or email.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from handoff.chat.identify import IdentifyVisitors
from handoff.chat.playbooks import load_playbook
from handoff.chat.routing.availability import set_rep_status
from handoff.chat.routing.handler import RoutingHandler, reuse_identification
from handoff.config import HubConfig
from handoff.hub import HookOutcome, Hub
from handoff.plugins import Discovery
from handoff.runtime import Worker, record_events
from handoff.store import Decision, EventRecord, Store
from handoff_sdk import FakeClock
from handoff_sdk.entities import Event, RepStatus

TUESDAY = datetime(2026, 1, 6, 15, 0, tzinfo=UTC)  # 10:00 in New York
GITLAB = load_playbook("gitlab")
NORTHWIND = {
    "name": "Northwind Traders",
    "ids": {"salesforce": "001Hd0000001001AAA"},
    "status": "Actively Working",
    "geo": "AMER",
    "bdr_assigned_id": "005Hd0000000201AAA",  # bdr-avery's Salesforce user id
}


def identified(store: Store, visitor_id: str, account: dict[str, Any] | None) -> None:
    """Store the Q1 decision a page view would have produced."""
    page_view = EventRecord(type="hub.page_view", payload={})  # never stored: no event id
    with store.transaction() as session:
        IdentifyVisitors().decide(
            session,
            page_view,
            {
                "visitor": {"id": visitor_id},
                "firmographics": {"company_name": "Northwind Traders", "region": "N. America"},
                "account": account,
                "steps": ["6sense: IP 203.0.113.10 is Northwind Traders (northwind.example)"],
            },
            TUESDAY,
        )


def chat(store: Store, visitor_id: str, **extra: Any) -> None:
    payload = {
        "id": f"chat-{visitor_id}",
        "conversation_id": f"c-{visitor_id}",
        "visitor_id": visitor_id,
        "experience_id": "en-site-ai",
        "human_requested": True,
        **extra,
    }
    with store.transaction() as session:
        record_events(
            session,
            [
                Event(
                    type="hub.chat_request",
                    source="hub",
                    dedupe_key=f"c-{visitor_id}",
                    payload=payload,
                )
            ],
            now=TUESDAY,
        )
        for rep in ("bdr-avery", "sdr-taylor", "sdr-jordan"):
            set_rep_status(session, rep, RepStatus.ONLINE, now=TUESDAY)


async def routed(store: Store, hub: Any = None) -> Decision:
    worker = Worker(
        store,
        hub=hub,
        clock=FakeClock(TUESDAY),
        events=RoutingHandler(GITLAB.routing, GITLAB.raw_experiences, crm="salesforce"),
    )
    while await worker.run_once():
        pass
    with store.sessions() as session:
        return session.scalars(select(Decision).where(Decision.kind == "routing")).one()


async def test_q3c_chat_without_ip_is_routed_on_the_stored_q1_account(store: Store) -> None:
    identified(store, "v-1", NORTHWIND)
    chat(store, "v-1")
    decision = await routed(store)
    assert decision.outcome["rep"] == "bdr-avery"
    assert decision.rule_ids == ["Q3c", "Q4"]
    assert decision.explanation["steps"] == [
        "from the visitor's Q1 identification (decision 1): account Northwind Traders, "
        "company Northwind Traders"
    ]


async def test_q3c_a_q1_decision_stored_before_accounts_were_kept_whole_still_counts(
    store: Store,
) -> None:
    identified(store, "v-2", NORTHWIND)
    with store.transaction() as session:
        row = session.scalars(select(Decision)).one()
        row.explanation = {k: v for k, v in row.explanation.items() if k != "account"}
    chat(store, "v-2")
    decision = await routed(store)
    # Without the account's geo the BDR still gets it by the Q3c rule: the field names them.
    assert (decision.outcome["rep"], decision.rule_ids) == ("bdr-avery", ["Q3c", "Q4"])


async def test_q3e_without_any_identification_goes_to_the_default_pool(store: Store) -> None:
    chat(store, "v-3")
    decision = await routed(store)
    assert decision.explanation["steps"] == []
    assert decision.rule_ids == ["Q3e", "Q4"]
    assert decision.outcome["target"] == "team:sdr-amer"
    assert decision.outcome["rep"] in {"sdr-taylor", "sdr-jordan"}


def test_q1_what_the_chat_itself_found_wins(store: Store) -> None:
    identified(store, "v-4", NORTHWIND)
    own = {"name": "Contoso", "sector": "US Public Sector"}
    ctx: dict[str, Any] = {"visitor": {"id": "v-4"}, "account": own}
    with store.sessions() as session:
        steps = reuse_identification(session, ctx)
    assert ctx["account"] == own
    assert ctx["firmographics"]["company_name"] == "Northwind Traders"
    assert ctx["visitor"]["region"] == "N. America"
    assert steps == ["from the visitor's Q1 identification (decision 1): company Northwind Traders"]


class CountingHub(Hub):
    """A Hub without connectors that records which hooks the routing handler asks for."""

    def __init__(self) -> None:
        super().__init__(HubConfig(), discovery=Discovery(), clock=FakeClock(TUESDAY))
        self.calls: list[str] = []

    async def call_all(self, hook: str, **arguments: Any) -> list[HookOutcome[Any]]:
        self.calls.append(hook)
        return []

    async def call(self, connector: str, hook: str, **arguments: Any) -> Any:
        self.calls.append(hook)
        return None


async def test_q1_a_chat_without_ip_or_email_asks_no_connector_again(store: Store) -> None:
    identified(store, "v-5", NORTHWIND)
    chat(store, "v-5")
    hub = CountingHub()
    decision = await routed(store, hub)
    assert hub.calls == []
    assert decision.outcome["rep"] == "bdr-avery"


async def test_q1_a_chat_with_an_email_is_identified_again(store: Store) -> None:
    chat(store, "v-6", email="ana@adventure-works.example")
    hub = CountingHub()
    await routed(store, hub)
    assert "handoff_enrich_visitor" in hub.calls
