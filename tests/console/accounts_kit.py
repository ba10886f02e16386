"""The accounts flow's console tests share (`from accounts_kit import ...`): the playbook's
[accounts] and [cases] tables, a re-rank run stored as the CRM would give it, and a worker
deciding it through the flow's own handler, over a small stand-in for the connectors."""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from handoff.accounts.kinds import RERANK_DONE, RERANK_PAGE
from handoff.accounts.playbooks import playbook_path
from handoff.accounts.store import AccountRankRow
from handoff.config import HubConfig
from handoff.flow import Services
from handoff.flows import FlowSet
from handoff.runtime import Worker, record_events
from handoff.store import Store
from handoff_sdk import FakeClock
from handoff_sdk.entities import Account, AccountPage, Contact, Event, User

OWNER = "005POOL"
"""The Pooled Sales User's CRM id."""
CRM = "salesforce"


def tables() -> dict[str, Any]:
    """The GitLab playbook's [accounts] and [cases] tables (P1-P6)."""
    data = tomllib.loads(playbook_path("gitlab").read_text())
    return {k: data[k] for k in ("accounts", "cases")}


def config() -> HubConfig:
    """A hub with the accounts flow's two tables."""
    return HubConfig(**tables())


def account(account_id: str, name: str, *, tier: str | None = None, **facts: Any) -> dict[str, Any]:
    """A pooled account as a re-rank page holds it (owned by the Pooled Sales User, SMB)."""
    return Account(
        ids={CRM: account_id},
        name=name,
        owner_id=OWNER,
        segment="SMB",
        tier=tier,
        **{"carr": 500.0, **facts},
    ).model_dump(mode="json", exclude_none=True, exclude_defaults=True)


def store_run(store: Store, now: datetime, run: str, accounts: list[dict[str, Any]]) -> None:
    """A re-rank run as `read_pool` stores it: one page of `accounts`, then its end (P3)."""
    subject = {"type": "rerank", "id": run}
    with store.transaction() as session:
        record_events(
            session,
            [
                Event(
                    type=RERANK_PAGE,
                    source="hub",
                    dedupe_key=f"{RERANK_PAGE}:{run}:0",
                    occurred_at=now,
                    payload={
                        "run": run,
                        "page": 0,
                        "owner_id": OWNER,
                        "accounts": accounts,
                        "subject": subject,
                    },
                ),
                Event(
                    type=RERANK_DONE,
                    source="hub",
                    dedupe_key=f"{RERANK_DONE}:{run}",
                    occurred_at=now,
                    payload={"run": run, "pages": 1, "accounts": len(accounts), "subject": subject},
                ),
            ],
            now=now,
        )


class Connectors:
    """What the cases and the writes ask of the CRM, email and Slack, answered in memory."""

    def __init__(self, accounts: dict[str, Account] | None = None) -> None:
        self.accounts = accounts or {}
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    async def find_person(self, _crm: str, email: str) -> Contact | None:
        """A contact of the first account, for any email."""
        first = next(iter(self.accounts.values()), None)
        if first is None:
            return None
        return Contact(
            ids={CRM: "003C"}, email=email, first_name="Pat", account_id=first.id_in(CRM)
        )

    async def list_accounts(self, _crm: str, where: Any, _fields: Any, _cursor: Any) -> AccountPage:
        """The account asked for by id."""
        wanted = str(where[0].value)
        found = self.accounts.get(wanted)
        return AccountPage(accounts=[found] if found else [])

    async def find_user(self, _crm: str, email: str) -> User | None:
        """The Pooled Sales User."""
        return User(ids={CRM: OWNER}, email=email, name="Pooled Sales User")

    async def call(self, connector: str, hook: str, **arguments: Any) -> dict[str, Any]:
        """Every write succeeds."""
        self.calls.append((connector, hook, arguments))
        return {"ok": True}

    def implementing(self, _hook: str) -> list[str]:
        """Every connector implements every hook here."""
        return [CRM, "email", "slack"]


def worker(store: Store, clock: FakeClock, connectors: Connectors | None = None) -> Worker:
    """A worker deciding with the accounts flow's own handler."""
    flows = FlowSet(Services(config(), store, clock, lambda: None))
    return Worker(
        store,
        hub=connectors or Connectors(),  # type: ignore[arg-type]
        clock=clock,
        events=flows.event_handler(),
        handlers=flows.job_runners(),
    )


async def drain(store: Store, clock: FakeClock, connectors: Connectors | None = None) -> None:
    """Decide every stored event and run every job due."""
    running = worker(store, clock, connectors)
    while await running.run_once():
        pass


async def first_run(store: Store, clock: FakeClock) -> None:
    """A first run over three pooled accounts, decided by the flow (P2): Tier 1 by funding,
    Tier 3 by a small CARR and few developers, Tier 2 otherwise."""
    store_run(
        store,
        clock.now(),
        "run-1",
        [
            account("001A", "Acme Rockets", total_funding=150_000_000, lam_dev_count=12),
            account("001B", "Bolt Bikes", lam_dev_count=10),
            account("001C", "Cobalt Labs", lam_dev_count=30),
        ],
    )
    await drain(store, clock)


SAMPLE = [  # id, name, facts
    ("0015A01", "Acme Rockets", {"total_funding": 150_000_000, "lam_dev_count": 12}),
    ("0015A02", "Bolt Bikes", {"lam_dev_count": 10}),
    ("0015A03", "Cobalt Labs", {"lam_dev_count": 30, "industry": "SaaS"}),
    ("0015A04", "Dune Analytics", {"carr": 900.0, "lam_dev_count": 48, "industry": "FinTech"}),
    ("0015A05", "Ember Health", {"industry": "Healthcare", "lam_dev_count": 22}),
    ("0015A06", "Fjord Freight", {"lam_dev_count": 26}),
    ("0015A07", "Granite Works", {"total_funding": 50_000_000, "lam_dev_count": 60}),
    ("0015A08", "Harbor Legal", {"lam_dev_count": 5}),
]


async def seed_sample(store: Store, until: datetime) -> None:
    """Sample data for the screenshots: two weekly re-rank runs (Granite Works raised funding
    in between), an override by ops, a survey answered, a hand raise and a case by hand.

    All of it before `until`, on a clock of its own: its worker runs nothing due later.
    """
    from handoff.accounts.intake import CaseRequest, HandRaise, SurveyResponse  # noqa: PLC0415
    from handoff.accounts.kinds import CASE_REQUEST, HAND_RAISE, SURVEY_RESPONSE  # noqa: PLC0415
    from handoff.accounts.overrides import override_event  # noqa: PLC0415

    clock = FakeClock(until - timedelta(days=8, hours=5))
    first = {i: dict(f) for i, _n, f in SAMPLE}
    first["0015A07"] = {"lam_dev_count": 20}
    store_run(
        store, clock.now(), "2025-12-29-weekly", [account(i, n, **first[i]) for i, n, _f in SAMPLE]
    )
    await drain(store, clock)
    clock.advance(7 * 86400)
    with store.sessions() as session:  # the CRM holds the tiers the first run wrote
        rows = session.execute(select(AccountRankRow.account_id, AccountRankRow.crm_tier))
        held: dict[str, str | None] = {row[0]: row[1] for row in rows}
    store_run(
        store,
        clock.now(),
        "2026-01-05-weekly",
        [account(i, n, tier=held.get(i), **f) for i, n, f in SAMPLE],
    )
    await drain(store, clock)
    clock.advance(3 * 3600)
    now = clock.now()
    events = [
        override_event(
            "0015A05",
            "Tier 1",
            by="console:olga",
            why="Expanding to 200 seats after the pilot",
            request_id="sample-1",
            now=now,
            key="console:olga",
        )
    ]
    bodies: list[tuple[str, Any]] = [
        (
            SURVEY_RESPONSE,
            SurveyResponse(id="nps-77", survey_id="nps", email="pat@acme.example", score=9),
        ),
        (
            HAND_RAISE,
            HandRaise(id="pql-12", email="pat@acme.example", product="CI minutes"),
        ),
        (
            CASE_REQUEST,
            CaseRequest(
                id="console-sample",
                account_id="0015A01",
                subject_line="Asked for a quote on a call",
                description="Wants 40 seats before the renewal",
                source="Phone",
                requested_by="console:olga",
            ),
        ),
    ]
    events += [
        Event(
            type=kind,
            source="hub",
            dedupe_key=f"{kind}:{body.id}",
            occurred_at=now,
            payload=body.to_payload(),
        )
        for kind, body in bodies
    ]
    with store.transaction() as session:
        record_events(session, events, now=now)
    accounts = {
        i: Account(ids={CRM: i}, name=n, owner_id=OWNER, owner_email="pooled.sales@example.test")
        for i, n, _f in SAMPLE
    }
    await drain(store, clock, Connectors(accounts))
