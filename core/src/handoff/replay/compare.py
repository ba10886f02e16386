"""`handoff replay`: an events file through the live configuration, and a candidate beside it.

Each configuration gets its own `Simulation` (own scratch store, own
round-robin cursors, own counts and timers), fed the same lines in file
order. Without a candidate the report lists every decision; with one it
pairs each decision with the other run's (same kind, same subject, same
event) and says what changes, per flow, with the load per rep, pool and
team before and after.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from handoff.replay.format import EventLine, Line
from handoff.replay.simulation import RunDecision, RunJob, Simulation, scratch_store

if TYPE_CHECKING:
    from handoff.config import HubConfig
    from handoff.flow import Flow

__all__ = [
    "LOAD_KEYS",
    "Change",
    "ReplayReport",
    "RunSummary",
    "load_of",
    "pair_decisions",
    "replay",
]

LOAD_KEYS = ("rep", "pool", "team")
"""The outcome fields that say who or what a decision gives work to (docs/replay.md)."""


def _name(value: Any) -> Any:
    """An id, or the id of an object naming a person (`rep`, `id`, `email`, `name`)."""
    if isinstance(value, dict):
        return value.get("rep") or value.get("id") or value.get("email") or value.get("name")
    return value


def load_of(outcome: dict[str, Any]) -> dict[str, str]:
    """Who or what a decision gives work to: its outcome's `rep` (or `owner`), `pool`, `team`.

    A person may be an id or an object with a `rep`, `id`, `email` or `name`.
    Flows name these fields so, and replay counts the load under them.
    """
    found: dict[str, str] = {}
    for key in LOAD_KEYS:
        value = _name(outcome.get(key))
        if key == "rep" and not value:
            value = _name(outcome.get("owner"))
        if isinstance(value, str) and value:
            found[key] = value
    return found


def _brief(outcome: dict[str, Any]) -> str:
    """The outcome's simple fields, for one line of text."""
    parts = []
    for key, raw in outcome.items():
        value = _name(raw)
        if value is None or isinstance(value, list | dict):
            continue
        parts.append(f"{key}={value}")
    return " ".join(parts)


def _counts(value: Any) -> bool:
    """A table of values naming no one (P3's moves between tiers), or nothing."""
    return value is None or (isinstance(value, dict) and _name(value) is None)


def _differences(before: dict[str, Any], after: dict[str, Any], within: str = "") -> list[str]:
    """'rep: a -> b' for each outcome field that differs.

    A table of values naming no one is compared key by key
    ('moves[Tier 2 -> Tier 1]: 3 -> 5'), not shown whole.
    """
    out = []
    for key in dict.fromkeys([*before, *after]):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        label = f"{within}[{key}]" if within else key
        if _counts(old) and _counts(new) and (old or new):
            out += _differences(old or {}, new or {}, label)
            continue
        out.append(f"{label}: {_name(old)} -> {_name(new)}")
    return out


@dataclass
class Change:
    """A decision that differs between the runs: changed, or taken by one run only."""

    flow: str
    kind: str
    subject: str
    event: str | None
    line: int | None
    before: RunDecision | None
    after: RunDecision | None
    names: tuple[str, str] = ("current", "candidate")
    """What the two runs are called: ('current', 'candidate') or ('live', 'shadow')."""

    @property
    def what(self) -> str:
        """'changed', 'only current' or 'only candidate' (or the runs' own names)."""
        if self.before is None:
            return f"only {self.names[1]}"
        if self.after is None:
            return f"only {self.names[0]}"
        return "changed"

    def differences(self) -> list[str]:
        """The outcome fields that differ (and the rule ids)."""
        before = self.before.outcome if self.before else {}
        after = self.after.outcome if self.after else {}
        found = _differences(before, after)
        if self.before and self.after and self.before.rule_ids != self.after.rule_ids:
            found.append(
                f"rules: {','.join(self.before.rule_ids) or '-'} -> "
                f"{','.join(self.after.rule_ids) or '-'}"
            )
        return found

    def to_json(self) -> dict[str, Any]:
        """As in `handoff replay --json`."""
        return {
            "change": self.what,
            "flow": self.flow,
            "kind": self.kind,
            "subject": self.subject,
            "event": self.event,
            "line": self.line,
            self.names[0]: self.before.to_json() if self.before else None,
            self.names[1]: self.after.to_json() if self.after else None,
            "differences": self.differences(),
        }

    def text(self) -> str:
        """One line: where, what, and how it differs."""
        where = f"line {self.line}" if self.line is not None else "timer"
        head = f"  {where:<10} {self.kind} {self.subject}"
        if self.what == "changed":
            return f"{head}: {'; '.join(self.differences())}"
        side = self.after if self.before is None else self.before
        assert side is not None
        return f"{head}: {self.what} ({_brief(side.outcome)})"


@dataclass
class RunSummary:
    """One run's totals: decisions per flow, jobs captured and run, errors."""

    decisions: list[RunDecision]
    loose_jobs: list[RunJob]
    errors: list[str]
    regenerated: int

    def per_flow(self) -> Counter[str]:
        """How many decisions each flow took."""
        return Counter(d.flow for d in self.decisions)

    def jobs(self) -> list[RunJob]:
        """Every job written: by the decisions, then by timers."""
        return [job for d in self.decisions for job in d.jobs] + self.loose_jobs

    def load(self) -> dict[str, Counter[str]]:
        """Decisions per rep, pool and team."""
        load: dict[str, Counter[str]] = {key: Counter() for key in LOAD_KEYS}
        for decision in self.decisions:
            for key, value in load_of(decision.outcome).items():
                load[key][value] += 1
        return load

    def to_json(self) -> dict[str, Any]:
        """Totals as in `handoff replay --json`."""
        jobs = self.jobs()
        return {
            "decisions": len(self.decisions),
            "per_flow": dict(sorted(self.per_flow().items())),
            "jobs_captured": sum(1 for job in jobs if job.captured),
            "jobs_run": sum(1 for job in jobs if not job.captured),
            "errors": self.errors,
        }


@dataclass
class ReplayReport:
    """What a replay found: each run's decisions and, with a candidate, what changes."""

    lines: int = 0
    events: int = 0
    flows: list[str] = field(default_factory=list)
    current: RunSummary | None = None
    candidate: RunSummary | None = None
    changes: list[Change] = field(default_factory=list)
    names: tuple[str, str] = ("current", "candidate")
    """What the two runs are called, in the text and the JSON."""
    heading: str = ""
    """The report's first line; default: what was replayed."""

    def load(self) -> dict[str, dict[str, dict[str, int]]]:
        """Per rep, pool and team: decisions before (current) and after (candidate)."""
        assert self.current is not None
        before = self.current.load()
        after = self.candidate.load() if self.candidate else before
        out: dict[str, dict[str, dict[str, int]]] = {}
        for key in LOAD_KEYS:
            names = sorted(set(before[key]) | set(after[key]))
            out[key] = {n: {"before": before[key][n], "after": after[key][n]} for n in names}
        return out

    def changes_per_flow(self) -> dict[str, list[Change]]:
        """The changes, grouped by flow (flows in the hub's order)."""
        grouped: dict[str, list[Change]] = {}
        for change in self.changes:
            grouped.setdefault(change.flow, []).append(change)
        order = {name: i for i, name in enumerate(self.flows)}
        return dict(sorted(grouped.items(), key=lambda item: order.get(item[0], len(order))))

    def to_json(self) -> dict[str, Any]:
        """The report as one JSON object (`handoff replay --json`)."""
        assert self.current is not None
        out: dict[str, Any] = {
            "lines": self.lines,
            "events": self.events,
            "regenerated": self.current.regenerated,
            "flows": self.flows,
            self.names[0]: self.current.to_json(),
            "load": self.load(),
        }
        if self.candidate is None:
            out["decisions"] = [d.to_json() for d in self.current.decisions]
            return out
        out[self.names[1]] = self.candidate.to_json()
        out["changes"] = {
            flow: [c.to_json() for c in changes]
            for flow, changes in self.changes_per_flow().items()
        }
        return out

    def text_lines(self) -> list[str]:
        """The report in words."""
        assert self.current is not None
        out = [
            self.heading
            or f"{self.events} events replayed ({self.lines} lines) through "
            f"{', '.join(self.flows) or 'no flow'}"
        ]
        if self.current.regenerated:
            out.append(
                f"{self.current.regenerated} events the hub's own timers stored were made "
                "again by the simulated clock"
            )
        runs = [(self.names[0], self.current)]
        if self.candidate is not None:
            runs.append((self.names[1], self.candidate))
        for name, run in runs:
            totals = run.to_json()
            flows = ", ".join(f"{k} {v}" for k, v in totals["per_flow"].items()) or "none"
            out.append(
                f"{name + ':':<11} {totals['decisions']} decisions ({flows}); "
                f"{totals['jobs_captured']} jobs captured, {totals['jobs_run']} run"
            )
            out += [f"  error: {error}" for error in run.errors]
        if self.candidate is None:
            out.append("decisions:")
            for d in self.current.decisions:
                where = f"line {d.line}" if d.line is not None else "timer"
                rules = ",".join(d.rule_ids) or "-"
                out.append(f"  {where:<10} {d.kind} {d.subject} [{rules}] {_brief(d.outcome)}")
        else:
            if not self.changes:
                out.append("no decision would change")
            for flow, changes in self.changes_per_flow().items():
                out.append(f"{flow}: {len(changes)} decision(s) would change")
                out += [change.text() for change in changes]
        title = " -> ".join(self.names) if self.candidate is not None else "decisions"
        for key, rows in self.load().items():
            if not rows:
                continue
            out.append(f"load per {key} ({title}):")
            for name, load in rows.items():
                if self.candidate is None:
                    out.append(f"  {name:<32} {load['before']:>5}")
                    continue
                change = load["after"] - load["before"]
                mark = f"  ({change:+d})" if change else ""
                out.append(f"  {name:<32} {load['before']:>5} -> {load['after']:<5}{mark}")
        return out


def pair_decisions(
    before: Sequence[RunDecision],
    after: Sequence[RunDecision],
    names: tuple[str, str] = ("current", "candidate"),
) -> list[Change]:
    """Pair two runs' decisions by (kind, subject, event, n-th) and keep those that differ."""

    def keyed(decisions: Sequence[RunDecision]) -> dict[tuple[Any, ...], RunDecision]:
        seen: Counter[tuple[str, str, str]] = Counter()
        out: dict[tuple[Any, ...], RunDecision] = {}
        for decision in decisions:
            key = decision.key()
            out[(*key, seen[key])] = decision
            seen[key] += 1
        return out

    old, new = keyed(before), keyed(after)
    changes: list[Change] = []
    for key in dict.fromkeys([*old, *new]):
        a, b = old.get(key), new.get(key)
        if a is not None and b is not None and a.outcome == b.outcome:
            continue
        some = a or b
        assert some is not None
        changes.append(
            Change(
                flow=some.flow,
                kind=some.kind,
                subject=some.subject,
                event=some.event,
                line=some.line,
                before=a,
                after=b,
                names=names,
            )
        )
    changes.sort(key=lambda c: (c.line is None, c.line or 0))
    return changes


async def replay(
    lines: Sequence[Line],
    current: HubConfig,
    candidate: HubConfig | None = None,
    *,
    flows: Sequence[Flow[Any]] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ReplayReport:
    """Feed every line to a simulation of `current` (and of `candidate`), then compare.

    Each simulation has its own scratch SQLite store in a temporary folder,
    removed at the end. `progress` is called with 1 after each line. The
    contexts of the timers' events in the file are handed to both: a timer
    the simulation fires that the live hub fired too decides on what the
    live hub read then.
    """
    report = ReplayReport()
    start = lines[0].at if lines else datetime.now(UTC)
    recorded = {
        (line.source, line.dedupe_key): line.context
        for line in lines
        if isinstance(line, EventLine) and line.origin is not None and line.context is not None
    }
    with tempfile.TemporaryDirectory(prefix="handoff-replay-") as folder:
        sims: list[Simulation] = []
        for name, config in (("current", current), ("candidate", candidate)):
            if config is None:
                continue
            store = scratch_store(f"sqlite:///{Path(folder) / name}.db")
            sims.append(Simulation(config, store, start=start, flows=flows, recorded=recorded))
        report.flows = list(dict.fromkeys(name for sim in sims for name in sim.enabled))
        try:
            for line in lines:
                report.lines += 1
                report.events += isinstance(line, EventLine)
                for sim in sims:
                    await sim.feed(line)
                if progress is not None:
                    progress(1)
            runs = [
                RunSummary(sim.decisions(), sim.loose_jobs(), sim.errors, sim.regenerated)
                for sim in sims
            ]
        finally:
            for sim in sims:
                sim.store.dispose()
    report.current = runs[0]
    if len(runs) > 1:
        report.candidate = runs[1]
        report.changes = pair_decisions(runs[0].decisions, runs[1].decisions)
    return report
