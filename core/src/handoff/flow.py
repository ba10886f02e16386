"""A flow: one business process the hub carries out (chat, leads, ...), described in one place.

The frameworks (config, runtime, server, CLI) know no flow. Each flow is a
package under `handoff/` (`handoff/chat/`, ...) and describes itself to them
with ONE `Flow` value in its `flow.py`; `handoff.flows.built_in_flows` lists
those values. From it the frameworks take:

- `settings`: the pydantic model whose fields are the handoff.toml tables the
  flow owns (chat: `[routing]`, `[writeback]`, `[meetings]`, `[[experiences]]`).
  `load_config` validates them with the rest of the file, so a bad table is
  an error at load naming the file, table and field, and a table no flow owns
  is refused naming the known ones.
- `intake`: the events it receives under `POST /v1/<path>`;
- `handler`: its EventHandler, given the events of `event_types`: `enrich`
  asks connectors (I/O, outside any transaction), `decide` takes and stores
  the decisions of `decision_kinds` with their jobs (one transaction, no I/O);
- `job_runners`: what the worker runs for the job kinds its decisions write;
- `periodic`: timers the worker keeps on a cron schedule;
- `internal_jobs`: the job kinds whose runner acts on the hub alone (stores
  a timer's event, a decision): replay and shadow mode run them on their
  simulated clock; every other job is captured there, never run;
- `routers`: its API routes (FastAPI routers);
- `console`: its pages in the web console (handoff.console: routes under
  /console, the navigation links they add, the folder of their templates);
- `commands`: its CLI commands, imported only when run;
- `demo`: its part of `handoff demo`;
- `models`: the module declaring its own tables (on `handoff.store.Base`),
  imported before migrations run and before the schema is compared;
- `sandbox_tables`, `sandbox_traffic`: its part of `handoff sandbox` (the
  tables that turn it on against the simulated vendors) and of `handoff
  sandbox traffic` (the sample traffic it is sent).

`decide` must depend only on the event, the context `enrich` returned, the
settings, `now` and what the transaction reads: that is what lets the same
events be decided again under another configuration (replay, shadow). The
context is JSON (dicts, lists, strings, numbers), so it can be stored and
read back.

Everything that imports a heavy library (pydantic, SQLAlchemy, FastAPI)
happens inside the callables, so `handoff --help` can read every flow's
commands without importing any of them. docs/flows.md walks a flow author
through it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    import click
    from fastapi import APIRouter
    from pydantic import BaseModel

    from handoff.config import HubConfig
    from handoff.console import ConsolePages
    from handoff.hub import Hub
    from handoff.runtime.events import EventHandler
    from handoff.runtime.jobs import JobSpec
    from handoff.runtime.worker import JobRunner
    from handoff.server.models import IntakeModel
    from handoff.store import Store
    from handoff_sdk import Clock

__all__ = [
    "Flow",
    "FlowCommand",
    "FlowContext",
    "IntakeRoute",
    "Periodic",
    "Services",
    "load_target",
]

S = TypeVar("S", bound="BaseModel")


def load_target(target: str) -> Any:
    """The object a 'package.module:attribute' string names, imported now."""
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _no_hub() -> Hub | None:
    return None


@dataclass(frozen=True)
class Services:
    """What the hub lends every flow: its config, its store, its clock, and its connectors.

    `hub()` gives the Hub once the process has built it (`handoff serve`
    builds it when the app starts), or None when no connector is enabled.
    """

    config: HubConfig
    store: Store
    clock: Clock
    hub: Callable[[], Hub | None] = _no_hub


@dataclass(frozen=True)
class FlowContext(Generic[S]):
    """What a flow's handler, job runners, routes and timers are built from."""

    settings: S
    services: Services

    @property
    def config(self) -> HubConfig:
        """The whole handoff.toml (connectors, store...), for what the settings do not hold."""
        return self.services.config

    @property
    def store(self) -> Store:
        """The hub's database."""
        return self.services.store

    @property
    def clock(self) -> Clock:
        """The hub's clock: the only source of 'now'."""
        return self.services.clock

    def hub(self) -> Hub | None:
        """The connectors, once built; None when none is enabled."""
        return self.services.hub()


@dataclass(frozen=True)
class FlowCommand:
    """A CLI command of a flow: named and described here, imported only when it runs."""

    name: str
    target: str
    """'package.module:attribute' of the click command."""
    help: str
    """The one line `handoff --help` shows."""

    def load(self) -> click.Command:
        """The click command itself (imports its module)."""
        command: click.Command = load_target(self.target)
        return command


@dataclass(frozen=True)
class IntakeRoute:
    """An event a flow receives from the outside at `POST /v1/<path>`."""

    path: str
    model: type[IntakeModel]
    event_type: str


@dataclass(frozen=True)
class Periodic:
    """A job the worker writes on a cron-like schedule ('0 6 * * mon', '@daily')."""

    key: str
    schedule: str
    job: JobSpec
    timezone: str = "UTC"


def _no_intake() -> Sequence[IntakeRoute]:
    return ()


def _no_handler(_context: FlowContext[Any]) -> EventHandler | None:
    return None


def _no_runners(_context: FlowContext[Any]) -> Mapping[str, JobRunner]:
    return {}


def _no_routers(_context: FlowContext[Any]) -> Sequence[APIRouter]:
    return ()


def _no_console(_context: FlowContext[Any]) -> Sequence[ConsolePages]:
    return ()


def _no_periodic(_context: FlowContext[Any]) -> Sequence[Periodic]:
    return ()


@dataclass(frozen=True)
class Flow(Generic[S]):
    """One flow, as the frameworks see it (see the module docstring for each part)."""

    name: str
    """Its package under handoff/ and its key in contexts and reports ('chat')."""
    summary: str
    """One line: what the flow does, for `handoff flows`."""
    settings: Callable[[], type[S]]
    """The model of its handoff.toml tables: one field per table, defaults when absent."""
    event_types: tuple[str, ...] = ()
    """The event types its handler is given; empty: every event."""
    decision_kinds: tuple[str, ...] = ()
    """The decision kinds it stores (for explain, replay and shadow reports)."""
    intake: Callable[[], Sequence[IntakeRoute]] = _no_intake
    handler: Callable[[FlowContext[S]], EventHandler | None] = _no_handler
    job_runners: Callable[[FlowContext[S]], Mapping[str, JobRunner]] = _no_runners
    periodic: Callable[[FlowContext[S]], Sequence[Periodic]] = _no_periodic
    routers: Callable[[FlowContext[S]], Sequence[APIRouter]] = _no_routers
    console: Callable[[FlowContext[S]], Sequence[ConsolePages]] = _no_console
    """Its console pages (docs/console.md "Adding a page")."""
    commands: tuple[FlowCommand, ...] = field(default_factory=tuple)
    internal_jobs: tuple[str, ...] = ()
    """Job kinds whose runner only writes to the hub's store (a timer's event, a decision).

    `handoff replay` and shadow mode run these on their simulated clock, so
    a timer's consequences are decided again; every other job (a connector
    write) is captured there and never run. A runner listed here must not
    call a connector.
    """
    explanations: str | None = None
    """'package.module:function' giving its stored explanations in full, for `handoff explain`.

    Called as `function(session, kind, explanation)` for each decision of its
    `decision_kinds`; returns the explanation as a person reads it. For a
    flow that stores an explanation compactly (the weekly re-rank names its
    tier table instead of repeating it for each of 100,000 accounts). None:
    the explanations are stored as they are shown.
    """
    checks: str | None = None
    """'package.module:function' adding its own problems to `handoff check`.

    Called as `function(config, connectors)` with the loaded HubConfig and the
    discovered connector classes by name; returns the problems, each one line
    naming the field. For what the settings' validation cannot see alone (a
    table naming a connector that is not enabled). None: nothing to add.
    """
    demo: str | None = None
    """'package.module:function' of its part of `handoff demo` (see handoff.demo)."""
    models: str | None = None
    """'package.module' declaring its tables on handoff.store's `Base`; its migration makes them."""
    sandbox_tables: str | None = None
    """'package.module:function' giving its handoff.toml tables for `handoff sandbox`.

    Called with the names of the connectors the sandbox serves; returns the
    tables (TOML-ready data) that turn the flow on against their simulators.
    """
    sandbox_traffic: str | None = None
    """'package.module:function' of its part of `handoff sandbox traffic`.

    An async function taking a `handoff.sandbox.traffic.TrafficContext`: it sends
    what the outside world would send the flow, through the hub's API.
    """

    def tables(self) -> tuple[str, ...]:
        """The handoff.toml tables it owns: the fields of its settings model."""
        return tuple(self.settings().model_fields)

    def settings_of(self, config: HubConfig) -> S:
        """Its validated settings in a loaded config (defaults when the config has none)."""
        model = self.settings()
        found = config.flows.get(self.name)
        if isinstance(found, model):
            return found
        return model.model_validate({})

    def context(self, services: Services) -> FlowContext[S]:
        """Its settings in `services.config`, with the services: what its parts are built from."""
        return FlowContext(self.settings_of(services.config), services)
