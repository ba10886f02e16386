"""The built-in flows, and what the frameworks build from them: one handler, runners, routes.

`built_in_flows` is the one list a new flow is added to (its `flow.py`
defines the `Flow`). Everything else here takes a sequence of flows and
knows none of them by name: `handoff serve`, `handoff worker`, the demo and
the tests all assemble the hub from it the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from handoff.errors import HandoffError
from handoff.flow import Flow, FlowCommand, IntakeRoute, Periodic, Services

if TYPE_CHECKING:
    from fastapi import APIRouter, FastAPI
    from sqlalchemy import MetaData

    from handoff.config import HubConfig, WorkerSettings
    from handoff.console import ConsolePages
    from handoff.hub import Hub
    from handoff.runtime.events import EventHandler, EventObserver
    from handoff.runtime.worker import JobRunner
    from handoff.store import Store
    from handoff_sdk import Clock

__all__ = [
    "FlowSet",
    "built_in_flows",
    "flow_commands",
    "flow_metadata",
    "flow_tables",
    "install_periodic",
]


def built_in_flows() -> tuple[Flow[Any], ...]:
    """The flows handoff ships, in the order their handlers see each event."""
    from handoff.accounts.flow import ACCOUNTS  # noqa: PLC0415 - the one place flows are named
    from handoff.ai.flow import AI  # noqa: PLC0415
    from handoff.alerts.flow import ALERTS  # noqa: PLC0415
    from handoff.chat.flow import CHAT  # noqa: PLC0415
    from handoff.leads.flow import LEADS  # noqa: PLC0415
    from handoff.tickets.flow import TICKETS  # noqa: PLC0415

    return (CHAT, LEADS, TICKETS, ACCOUNTS, AI, ALERTS)


def flow_metadata(flows: Sequence[Flow[Any]] | None = None) -> MetaData:
    """The hub's schema: the frameworks' tables and every flow's own (its `models` module).

    Alembic and the schema tests compare the database with this; importing a
    flow's models module is what puts its tables on the shared `Base`.
    """
    import importlib  # noqa: PLC0415 - only migrations and schema checks need it

    from handoff.store import Base  # noqa: PLC0415 - SQLAlchemy

    for flow in flows if flows is not None else built_in_flows():
        if flow.models:
            importlib.import_module(flow.models)
    return Base.metadata


def flow_tables(flows: Sequence[Flow[Any]]) -> dict[str, Flow[Any]]:
    """Each handoff.toml table a flow owns -> that flow; two flows owning one table is a bug."""
    owners: dict[str, Flow[Any]] = {}
    for flow in flows:
        for table in flow.tables():
            if table in owners:
                raise HandoffError(
                    f"flows '{owners[table].name}' and '{flow.name}' both claim the [{table}] table"
                )
            owners[table] = flow
    return owners


def flow_commands(flows: Sequence[Flow[Any]]) -> dict[str, FlowCommand]:
    """Each flow's CLI commands by name; two flows adding one name is a bug."""
    commands: dict[str, FlowCommand] = {}
    owner: dict[str, str] = {}
    for flow in flows:
        for command in flow.commands:
            if command.name in commands:
                raise HandoffError(
                    f"flows '{owner[command.name]}' and '{flow.name}' both add "
                    f"`handoff {command.name}`"
                )
            commands[command.name] = command
            owner[command.name] = flow.name
    return commands


class FlowSet:
    """The flows bound to one process's services: what its worker and its app run."""

    def __init__(self, services: Services, flows: Sequence[Flow[Any]] | None = None) -> None:
        self.services = services
        self.flows = tuple(flows if flows is not None else built_in_flows())

    @classmethod
    def of(
        cls,
        store: Store,
        clock: Clock,
        *,
        hub: Hub | None = None,
        config: HubConfig | None = None,
        flows: Sequence[Flow[Any]] | None = None,
    ) -> FlowSet:
        """A FlowSet over a hub built already (or none): the short form for workers and tests."""
        from handoff.config import HubConfig  # noqa: PLC0415 - pydantic, only when assembling

        return cls(
            Services(config if config is not None else HubConfig(), store, clock, lambda: hub),
            flows,
        )

    def handlers(self) -> dict[str, EventHandler]:
        """The handler of each flow its settings turn on, by flow name."""
        handlers: dict[str, EventHandler] = {}
        for flow in self.flows:
            handler = flow.handler(flow.context(self.services))
            if handler is not None:
                handlers[flow.name] = handler
        return handlers

    def event_handler(self) -> EventHandler:
        """Every flow's handler under its name, each given only the event types it declares."""
        from handoff.runtime.events import CompositeHandler  # noqa: PLC0415 - SQLAlchemy

        handlers = self.handlers()
        event_types = {flow.name: flow.event_types for flow in self.flows if flow.event_types}
        return CompositeHandler(handlers, event_types=event_types)

    def job_runners(self) -> dict[str, JobRunner]:
        """Every flow's job runners by job kind; two flows running one kind is a bug."""
        runners: dict[str, JobRunner] = {}
        owner: dict[str, str] = {}
        for flow in self.flows:
            for kind, runner in flow.job_runners(flow.context(self.services)).items():
                if kind in runners:
                    raise HandoffError(
                        f"flows '{owner[kind]}' and '{flow.name}' both run jobs of kind '{kind}'"
                    )
                runners[kind] = runner
                owner[kind] = flow.name
        return runners

    def routers(self) -> list[APIRouter]:
        """Every flow's API routers, in flow order."""
        return [
            router for flow in self.flows for router in flow.routers(flow.context(self.services))
        ]

    def console_pages(self) -> list[ConsolePages]:
        """Every flow's console pages, in flow order (the console adds its own first)."""
        return [page for flow in self.flows for page in flow.console(flow.context(self.services))]

    def intake(self) -> list[IntakeRoute]:
        """Every flow's intake routes; two flows receiving at one path is a bug."""
        found: dict[str, IntakeRoute] = {}
        for flow in self.flows:
            for route in flow.intake():
                if route.path in found:
                    raise HandoffError(f"two flows receive events at POST /v1/{route.path}")
                found[route.path] = route
        return list(found.values())

    def app(
        self, *, with_worker: bool = False, worker_settings: WorkerSettings | None = None
    ) -> FastAPI:
        """The hub's HTTP app over these flows, as `handoff serve` builds it.

        Their intake and routes, and the web console with their pages under
        /console; with `with_worker`, a worker in the app's event loop running
        their handler, job runners and periodic timers (and telling the
        shadow of each event, when `[shadow]` is on). The one assembly
        serve, the demo and the end-to-end tests share.
        """
        from handoff.server import create_app  # noqa: PLC0415 - FastAPI, only when serving

        return create_app(
            self.services.store,
            config=self.services.config,
            hub=self.services.hub(),
            clock=self.services.clock,
            with_worker=with_worker,
            worker_settings=worker_settings,
            events=self.event_handler(),
            handlers=self.job_runners(),
            periodic=self.periodic(),
            flows=self.flows,
            observers=self.observers() if with_worker else (),
        )

    def observers(self) -> list[EventObserver]:
        """What the worker tells of each event it decided: the shadow, when `[shadow]` is on.

        The shadow's candidate is loaded and its database migrated now, so a
        bad candidate stops the worker at start, naming the file and field.
        """
        settings = self.services.config.shadow
        if settings is None or not settings.enabled:
            return []
        from handoff.replay.shadow import Shadow  # noqa: PLC0415 - only with a [shadow]

        return [
            Shadow.open(
                self.services.config,
                now=self.services.clock.now(),
                hub=self.services.hub(),
                live_url=self.services.store.url,
                flows=self.flows,
            )
        ]

    def periodic(self) -> list[Periodic]:
        """Every flow's periodic jobs."""
        return [p for flow in self.flows for p in flow.periodic(flow.context(self.services))]


def install_periodic(store: Store, periodic: Sequence[Periodic], *, now: datetime) -> int:
    """Create or update the timers of the flows' periodic jobs; returns how many changed.

    A timer already pending on the same schedule keeps its due time, so a
    restart neither skips nor repeats a tick.
    """
    from sqlalchemy import select  # noqa: PLC0415 - only the worker's start needs it

    from handoff.runtime.timers import schedule_periodic  # noqa: PLC0415
    from handoff.store import Timer, TimerState  # noqa: PLC0415

    changed = 0
    with store.transaction() as session:
        for item in periodic:
            timer = session.scalar(select(Timer).where(Timer.key == item.key))
            same = (
                timer is not None
                and timer.state == TimerState.PENDING.value
                and (timer.schedule, timer.timezone, timer.kind)
                == (
                    item.schedule,
                    item.timezone,
                    item.job.kind,
                )
                and timer.payload == item.job.payload
            )
            if not same:
                schedule_periodic(
                    session, item.key, item.schedule, item.job, now=now, timezone=item.timezone
                )
                changed += 1
    return changed
