"""Shadow mode: a candidate configuration decided beside the live one on every real event.

`[shadow] config = "candidate.toml"` in handoff.toml: each worker keeps a
`Simulation` of the candidate on a database of its own (`[shadow]
database`, by default a SQLite file beside the candidate) and is told of
every event it decides (`Worker(observers=...)`). The shadow decides the
same event on the same context, after the live decision is committed:

- its decisions, cursors, counts and timers live in the shadow database:
  nothing it does moves the live state;
- its jobs are captured, never run (the hub's own internal jobs run on the
  shadow database: a shadow timer makes its own events);
- its timers fire on the live clock, when the worker decides the next
  event; an event a shadow timer makes is enriched by the live hub (reads
  only), or decided on the live context when the live timer made it too;
- a failure of the shadow is logged and never touches the live event.

`handoff shadow report --since ...` pairs the live decisions with the
shadow's (same kind, subject and event) and shows where they differ.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from handoff.errors import HandoffError
from handoff.replay.compare import ReplayReport, RunSummary, pair_decisions
from handoff.replay.format import EventLine
from handoff.replay.simulation import Simulation, stored_decisions
from handoff.store import EventRecord, Store, upgrade

if TYPE_CHECKING:
    from handoff.config import HubConfig, ShadowSettings
    from handoff.flow import Flow
    from handoff.hub import Hub

__all__ = ["Shadow", "shadow_report", "shadow_store"]

log = logging.getLogger(__name__)


def _paths(config: HubConfig, settings: ShadowSettings) -> tuple[Path, str]:
    base = config.path.parent if config.path is not None else Path.cwd()
    candidate = settings.config if settings.config.is_absolute() else base / settings.config
    url = settings.database or f"sqlite:///{candidate.with_suffix('.shadow.db')}"
    return candidate, url


def shadow_store(config: HubConfig, *, live_url: str | None = None) -> Store:
    """The shadow's database, migrated; refused when it is the live one."""
    if config.shadow is None:
        raise HandoffError("handoff.toml has no [shadow] table: no shadow is decided")
    _candidate, url = _paths(config, config.shadow)
    if live_url is not None and url == live_url:
        raise HandoffError(
            "shadow.database: it is the live database; the shadow needs one of its own"
        )
    store = Store(url)
    upgrade(store)
    return store


class Shadow:
    """The candidate beside the live hub: told of each decided event, it decides it too."""

    def __init__(self, simulation: Simulation) -> None:
        self.simulation = simulation
        self._lock = asyncio.Lock()

    @classmethod
    def open(
        cls,
        config: HubConfig,
        *,
        now: datetime,
        hub: Hub | None = None,
        live_url: str | None = None,
        flows: Sequence[Flow[Any]] | None = None,
    ) -> Shadow:
        """The shadow `[shadow]` names: its candidate loaded, its database migrated."""
        from handoff.config import load_candidate  # noqa: PLC0415 - cycle: config -> flows

        if config.shadow is None:
            raise HandoffError("handoff.toml has no [shadow] table: no shadow is decided")
        path, _url = _paths(config, config.shadow)
        candidate = load_candidate(config, path, flows=flows)
        store = shadow_store(config, live_url=live_url)
        return cls(Simulation(candidate, store, start=now, flows=flows, hub=hub))

    async def observe(self, event: EventRecord, context: dict[str, Any], now: datetime) -> None:
        """Decide the event the live hub just decided, on the same context, in the shadow."""
        line = EventLine(
            line=0,
            at=now,
            source=event.source,
            type=event.type,
            dedupe_key=event.dedupe_key,
            payload=event.payload,
            occurred_at=event.occurred_at,
            context=context,
            origin=event.origin,
            id=event.id,
        )
        async with self._lock:
            if event.origin is not None:
                self.simulation.recorded[(event.source, event.dedupe_key)] = context
            errors = len(self.simulation.errors)
            await self.simulation.feed(line)
            for problem in self.simulation.errors[errors:]:
                log.warning("shadow: %s", problem)

    def close(self) -> None:
        """Close the shadow database's connections."""
        self.simulation.store.dispose()


def shadow_report(
    config: HubConfig,
    live: Store,
    *,
    since: datetime,
    until: datetime | None = None,
    flows: Sequence[Flow[Any]] | None = None,
) -> ReplayReport:
    """Where the shadow decided otherwise than the live hub, per flow, with the load.

    Only the time the shadow was running counts: the period starts at the
    later of `since` and the first event the shadow decided.
    """
    from handoff.flows import built_in_flows  # noqa: PLC0415 - cycle: flows -> replay

    known = list(flows) if flows is not None else list(built_in_flows())
    kinds = {kind: flow.name for flow in known for kind in flow.decision_kinds}
    names = ("live", "shadow")
    shadow = shadow_store(config, live_url=live.url)
    try:
        with shadow.sessions() as session:
            first = session.scalar(select(func.min(EventRecord.received_at)))
            begin = max(since, first) if first is not None else since
            query = select(func.count()).select_from(EventRecord)
            query = query.where(EventRecord.received_at >= begin)
            if until is not None:
                query = query.where(EventRecord.received_at < until)
            seen = int(session.scalar(query) or 0)
        before = stored_decisions(live, kinds, since=begin, until=until)
        after = stored_decisions(shadow, kinds, since=begin, until=until)
    finally:
        shadow.dispose()
    assert config.shadow is not None
    report = ReplayReport(
        events=seen,
        lines=seen,
        names=names,
        heading=(
            f"{seen} events decided by the live hub and the shadow ({config.shadow.config}) "
            f"since {begin.isoformat()}"
        ),
    )
    order = [flow.name for flow in known]
    used = {d.flow for d in [*before, *after]}
    report.flows = [name for name in order if name in used]
    report.current = RunSummary(before, [], [], 0)
    report.candidate = RunSummary(after, [], [], 0)
    report.changes = pair_decisions(before, after, names)
    return report
