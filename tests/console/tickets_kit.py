"""Sample tickets for the console's escalated-tickets pages (`from tickets_kit import ...`),
decided by the tickets flow itself over the tickets tests' stand-in help desk and CRM
(tests/tickets/tickets_helpers.py):

- 5001 "Quote for 40 seats": new business with a PO (Z3), passed to its account's owner
  Olga Owner (Z2, MidMarket x EMEA: Z1), then pinged once by the next day's review (Z6).
- 5002 "Pricing question": new business with no reason to escalate: support keeps it
  (not_escalated; listed only with ?all=true).
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tickets"))

from tickets_helpers import (  # type: ignore[import-not-found]
    PO_FIELD,
    REQUEST_FIELD,
    TABLE,
    FakeHub,
    deliver,
    drain,
    new_business,
    ticket,
    webhook,
    worker,
)

from handoff.config import HubConfig
from handoff.flows import install_periodic
from handoff.store import Job, Store
from handoff_sdk import FakeClock

TICKETS = TABLE
"""The `[tickets]` table of the samples (the tickets tests')."""
MACRO_ERROR = "zendesk: 422 Unprocessable Entity: macro 'Pass to Sales' not found"


def tickets_config(**tables: object) -> HubConfig:
    """The hub's configuration with the tickets tests' `[tickets]` (and any other tables)."""
    return HubConfig(tickets=TABLE, **tables)


async def seed_tickets(store: Store, clock: FakeClock, *, dead_macro: bool = False) -> None:
    """Ticket 5001 passed and pinged, 5002 not escalated; the pass's macro job dead if asked."""
    hub = FakeHub(new_business(**{PO_FIELD: True}))
    other = ticket({REQUEST_FIELD: "new_business"}, tid="5002")
    hub.tickets["5002"] = other.model_copy(update={"subject": "Pricing question"})
    runner, flows = worker(store, clock, hub)
    install_periodic(store, flows.periodic(), now=clock.now())
    deliver(store, clock, webhook("a", "5001"), webhook("b", "5002"))
    await drain(runner)
    clock.advance(timedelta(days=1).total_seconds())
    await drain(runner)
    if dead_macro:
        with store.transaction() as session:
            session.execute(
                update(Job)
                .where(
                    Job.hook == "handoff_apply_macro", Job.idempotency_key.like("tickets:5001:%")
                )
                .values(state="dead", attempts=8, last_error=MACRO_ERROR)
            )
