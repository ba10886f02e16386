"""The accounts flow's console tests share (`from accounts_kit import ...`): the playbook's
[accounts] and [cases] tables, a re-rank run stored as the CRM would give it, and a worker
deciding it through the flow's own handler, over a small stand-in for the connectors."""

from __future__ import annotations

import tomllib
from datetime import datetime
from typing import Any

from handoff.accounts.kinds import RERANK_DONE, RERANK_PAGE
from handoff.accounts.playbooks import playbook_path
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
