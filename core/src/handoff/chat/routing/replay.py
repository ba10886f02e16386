"""`handoff replay`: recorded chat requests through the current and a candidate set of rules.

Each line of the events file is one routing input, exactly what `handoff
route` reads (context, `now`, `availability`; docs/routing.md). Both rule
sets see the same lines on a frozen clock (each line's own `now`), with
in-memory round-robin cursors (`MemoryRotation`) and in-memory daily counts:
nothing is written, no connector is called. The report says which visitors
would go elsewhere (from -> to, with the rule each side matched) and the load
per rep and per pool before and after.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from handoff.chat.routing.availability import AvailabilitySnapshot
from handoff.chat.routing.config import RoutingConfig, parse_target
from handoff.chat.routing.engine import RoutingDecision, normalize_context, route
from handoff.errors import HandoffError
from handoff.rules import MemoryRotation

__all__ = ["RecordedRequest", "ReplayReport", "read_events", "replay"]

UNROUTED = "(unrouted)"
"""The rep and pool name of a chat nobody took."""


@dataclass(frozen=True)
class RecordedRequest:
    """One recorded routing input: where it came from, its frozen time, its context."""

    line: int
    now: datetime
    context: dict[str, Any]
    availability: dict[str, Any]

    @property
    def visitor(self) -> str:
        """The visitor's id (or the line number when the input has none)."""
        visitor = self.context.get("visitor")
        if isinstance(visitor, Mapping) and visitor.get("id"):
            return str(visitor["id"])
        return f"line {self.line}"


def read_events(path: Path) -> list[RecordedRequest]:
    """Parse an events file (JSON Lines); errors name the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise HandoffError(f"{path}: cannot be read: {exc.strerror}") from None
    requests: list[RecordedRequest] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise HandoffError(f"{where}: not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise HandoffError(f"{where}: expected a JSON object (one routing input per line)")
        if "now" not in data:
            raise HandoffError(f"{where}: now: required (the replay's clock is each line's own)")
        try:
            now = datetime.fromisoformat(str(data["now"]))
        except ValueError:
            raise HandoffError(f"{where}: now: not an ISO 8601 time: {data['now']!r}") from None
        if now.tzinfo is None:
            raise HandoffError(f"{where}: now: the time needs a time zone")
        availability = data.get("availability") or {}
        if not isinstance(availability, dict):
            raise HandoffError(f"{where}: availability: expected an object")
        context = {k: v for k, v in data.items() if k not in ("now", "availability")}
        requests.append(RecordedRequest(number, now, context, availability))
    return requests


@dataclass(frozen=True)
class Placement:
    """Where one rule set sent one request."""

    rep: str
    pool: str
    rule: str | None
    rule_ids: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """As in `handoff replay --json`."""
        return {
            "rep": self.rep,
            "pool": self.pool,
            "rule": self.rule,
            "rule_ids": list(self.rule_ids),
        }

    def text(self) -> str:
        """'sdr-eve (rule everyone-else Q3e, pool sdr-emea)'."""
        rule = f"rule {self.rule} {','.join(self.rule_ids)}" if self.rule else "no rule"
        return f"{self.rep} ({rule}, pool {self.pool})"


@dataclass
class ReplayReport:
    """What changes between the two rule sets."""

    requests: int = 0
    moved: list[dict[str, Any]] = field(default_factory=list)
    reps_before: Counter[str] = field(default_factory=Counter)
    reps_after: Counter[str] = field(default_factory=Counter)
    pools_before: Counter[str] = field(default_factory=Counter)
    pools_after: Counter[str] = field(default_factory=Counter)

    @staticmethod
    def _load(before: Counter[str], after: Counter[str]) -> dict[str, dict[str, int]]:
        return {
            k: {"before": before[k], "after": after[k]} for k in sorted(set(before) | set(after))
        }

    def to_json(self) -> dict[str, Any]:
        """The report as one JSON object."""
        return {
            "requests": self.requests,
            "moved": self.moved,
            "load": {
                "reps": self._load(self.reps_before, self.reps_after),
                "pools": self._load(self.pools_before, self.pools_after),
            },
        }

    def lines(self) -> list[str]:
        """The report in words."""
        out = [f"{self.requests} recorded chat requests replayed through both rule sets"]
        if not self.moved:
            out.append("no visitor would go elsewhere")
        else:
            out.append(f"{len(self.moved)} would go elsewhere:")
            for item in self.moved:
                out.append(
                    f"  line {item['line']} visitor {item['visitor']}: "
                    f"{item['from_text']} -> {item['to_text']}"
                )
        for title, before, after in (
            ("rep", self.reps_before, self.reps_after),
            ("pool", self.pools_before, self.pools_after),
        ):
            out.append(f"load per {title} (current -> candidate):")
            for name, load in self._load(before, after).items():
                change = load["after"] - load["before"]
                mark = f"  ({change:+d})" if change else ""
                out.append(f"  {name:<32} {load['before']:>5} -> {load['after']:<5}{mark}")
        return out


class _Side:
    """One rule set replaying: its own cursors and its own daily counts."""

    def __init__(self, config: RoutingConfig) -> None:
        self.config = config
        self.rotation = MemoryRotation()
        self.counts: Counter[tuple[str, str]] = Counter()

    def place(self, request: RecordedRequest) -> Placement:
        snapshot = AvailabilitySnapshot.from_json(request.availability, request.now)
        for rep in self.config.reps:
            day = self._day(rep.id, rep.timezone, request.now)
            if self.counts[day]:
                snapshot.routed_today[rep.id] = (
                    snapshot.routed_today.get(rep.id, 0) + self.counts[day]
                )
        decision = route(request.context, self.config, snapshot, self.rotation)
        chosen = self.config.rep(decision.rep_id) if decision.rep_id else None
        if chosen is not None and not chosen.is_ai:
            self.counts[self._day(chosen.id, chosen.timezone, request.now)] += 1
        return Placement(
            rep=decision.rep_id or UNROUTED,
            pool=self._pool(request.context, decision),
            rule=decision.rule,
            rule_ids=tuple(decision.rule_ids),
        )

    @staticmethod
    def _day(rep_id: str, timezone: str, now: datetime) -> tuple[str, str]:
        return rep_id, now.astimezone(ZoneInfo(timezone)).date().isoformat()

    def _pool(self, context: Mapping[str, Any], decision: RoutingDecision) -> str:
        """The team the rep was drawn from; a named rep's pool is the field; else 'ai'."""
        if decision.target is None:
            return UNROUTED
        kind, arg = parse_target(decision.target)
        if kind == "team":
            return arg
        if kind in ("field", "ai"):
            return decision.target
        ctx = normalize_context(context, self.config)
        key = "geo" if kind == "geo_pool" else "language"
        wanted = str(ctx.get(key)).casefold()
        for team in self.config.teams:
            value = getattr(team, key)
            if value is not None and str(value).casefold() == wanted:
                return team.name
        return decision.target  # pragma: no cover - the engine found a team


def replay(
    requests: Iterable[RecordedRequest], current: RoutingConfig, candidate: RoutingConfig
) -> ReplayReport:
    """Route every request with both rule sets, in file order, and compare."""
    before, after = _Side(current), _Side(candidate)
    report = ReplayReport()
    for request in requests:
        try:
            old, new = before.place(request), after.place(request)
        except ValueError as exc:
            raise HandoffError(f"line {request.line}: {exc}") from None
        report.requests += 1
        report.reps_before[old.rep] += 1
        report.reps_after[new.rep] += 1
        report.pools_before[old.pool] += 1
        report.pools_after[new.pool] += 1
        if old.rep != new.rep:
            report.moved.append(
                {
                    "line": request.line,
                    "visitor": request.visitor,
                    "from": old.to_json(),
                    "to": new.to_json(),
                    "from_text": old.text(),
                    "to_text": new.text(),
                }
            )
    return report
