"""What the worker runs for a configuration: its event handler and its job runners, in one place.

`handoff worker`, `handoff serve --with-worker` and the demo all take these, so
enabling `[routing]` or `[writeback]` in handoff.toml changes what every one
of them does, the same way.
"""

from __future__ import annotations

from handoff.chat.meetings import MEETING_BOOK_KIND, booking_runner
from handoff.chat.routing.config import routing_of
from handoff.chat.routing.handler import (
    AI_TAKEOVER_KIND,
    CompositeHandler,
    ai_takeover_runner,
    default_event_handler,
)
from handoff.chat.writeback import (
    WRITEBACK_CONTACT_KIND,
    WritebackHandler,
    contact_update_runner,
    writeback_of,
)
from handoff.config import HubConfig
from handoff.hub import Hub
from handoff.runtime import EventHandler
from handoff.runtime.worker import JobRunner
from handoff.store import Store
from handoff_sdk import Clock

__all__ = ["event_handler_for", "job_runners_for"]


def event_handler_for(config: HubConfig, store: Store) -> EventHandler:
    """Q1 identify; Q3/Q4 routing when [routing] is set; Q11 write-back when [writeback] is."""
    base = default_event_handler(config)
    writeback = writeback_of(config)
    if writeback is None:
        return base
    reps = [r.entity() for r in routing_of(config).reps] if config.routing else []
    return CompositeHandler(
        [base, WritebackHandler(writeback, store, reps=reps, experiences=config.experiences)]
    )


def job_runners_for(store: Store, hub: Hub | None, clock: Clock) -> dict[str, JobRunner]:
    """The job kinds beyond hook calls: Q4 AI takeover, Q11 contact update, Q12 booking.

    Always registered with a hub: a booking job on a worker without a calendar
    connector then fails with the runner's own message naming what is missing.
    """
    runners: dict[str, JobRunner] = {AI_TAKEOVER_KIND: ai_takeover_runner(store, clock)}
    if hub is not None:
        runners[WRITEBACK_CONTACT_KIND] = contact_update_runner(hub)
        runners[MEETING_BOOK_KIND] = booking_runner(store, hub, clock)
    return runners
