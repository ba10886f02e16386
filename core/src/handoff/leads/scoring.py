"""The lead score (D4): behavioural points per event kind, demographic points, MQL at the threshold.

    [leads.scoring]
    threshold = 20                     # MQL: the score first reaches this (once)

    [[leads.scoring.behaviour]]
    kind = "page_view"                 # POST /v1/lead-activities kind, or an event mapped below
    points = 1
    cap = 10                           # at most this many points from this kind (none: no cap)
    half_life_days = 30                # optional decay: the kind's points halve every 30 days

    [[leads.scoring.demographic]]      # conditions of the shared rules engine
    id = "senior-title"
    when = { field = "lead.title", contains = ["VP", "Director", "Head"] }
    points = 10

    [leads.scoring.event_kinds]        # other events that score, by event type
    "marketo.activity.interesting_moment" = "interesting_moment"

The breakdown is stored with the score: each kind's points and events, the
demographic rules that matched. Everything here is pure; decay is computed
at each event from the kind's last points and time (O(1) per event).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from handoff.rules import Rule, check_rule

__all__ = [
    "BehaviourPoints",
    "DemographicPoints",
    "ScoreChange",
    "ScoringConfig",
    "add_behaviour",
    "rescore_demographic",
]


class BehaviourPoints(BaseModel):
    """Points for one kind of behavioural event."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(min_length=1, max_length=100, description="The event kind.")
    points: float = Field(description="Points per event (negative: takes points away).")
    cap: float | None = Field(default=None, gt=0, description="Most points this kind gives.")
    half_life_days: float | None = Field(
        default=None, gt=0, description="Optional decay: the kind's points halve in this time."
    )


class DemographicPoints(Rule):
    """Points when a condition over the lead and its account holds (title, size, industry...)."""

    points: float = Field(description="Points while the condition holds.")


class ScoringConfig(BaseModel):
    """The `[leads.scoring]` table (D4)."""

    model_config = ConfigDict(extra="forbid")

    threshold: float = Field(default=20, gt=0, description="MQL when the score first reaches it.")
    behaviour: list[BehaviourPoints] = Field(
        default_factory=list, description="Points per behavioural event kind."
    )
    demographic: list[DemographicPoints] = Field(
        default_factory=list, description="Points per condition over the lead and its account."
    )
    event_kinds: dict[str, str] = Field(
        default_factory=dict,
        description="Event type -> behaviour kind: events of other sources that score.",
    )

    @model_validator(mode="after")
    def _unique(self) -> ScoringConfig:
        seen: set[str] = set()
        for i, item in enumerate(self.behaviour):
            if item.kind in seen:
                raise ValueError(f"behaviour[{i}].kind: '{item.kind}' is listed twice")
            seen.add(item.kind)
        return self

    def points_for(self, kind: str) -> BehaviourPoints | None:
        """The behaviour entry of a kind, or None (the kind scores nothing)."""
        return next((b for b in self.behaviour if b.kind == kind), None)


@dataclass(frozen=True)
class ScoreChange:
    """A new score with its breakdown, the points this change added, and why."""

    detail: dict[str, Any]
    score: int
    delta: float
    why: str


def _total(detail: Mapping[str, Any]) -> float:
    behaviour = sum(float(k["points"]) for k in (detail.get("behaviour") or {}).values())
    return behaviour + float((detail.get("demographic") or {}).get("points", 0))


def _decayed(entry: Mapping[str, Any], half_life: float | None, at: datetime) -> float:
    points = float(entry.get("points", 0))
    if not half_life or not entry.get("at"):
        return points
    days = (at - datetime.fromisoformat(str(entry["at"]))).total_seconds() / 86_400
    return float(points * 0.5 ** (max(days, 0) / half_life))


def add_behaviour(
    config: ScoringConfig, detail: Mapping[str, Any], kind: str, at: datetime
) -> ScoreChange:
    """One behavioural event of `kind` at `at`: its points, capped, after decay."""
    rule = config.points_for(kind)
    behaviour = dict(detail.get("behaviour") or {})
    if rule is None:
        new = {**detail, "behaviour": behaviour}
        return ScoreChange(new, round(_total(new)), 0, f"'{kind}' scores nothing")
    entry = behaviour.get(kind) or {"points": 0, "events": 0}
    before = _decayed(entry, rule.half_life_days, at)
    after = before + rule.points
    capped = ""
    if rule.cap is not None and after > rule.cap:
        after = rule.cap
        capped = f" (capped at {rule.cap:g})"
    behaviour[kind] = {
        "points": round(after, 3),
        "events": int(entry.get("events", 0)) + 1,
        "at": at.isoformat(),
    }
    new = {**detail, "behaviour": behaviour}
    delta = round(after - float(entry.get("points", 0)), 3)
    why = f"{kind}: {rule.points:+g}{capped}, {kind} now {after:g}"
    return ScoreChange(new, round(_total(new)), delta, why)


def rescore_demographic(
    config: ScoringConfig, detail: Mapping[str, Any], context: Mapping[str, Any]
) -> ScoreChange:
    """The demographic points the lead's current details give (replacing the previous ones)."""
    matched: list[dict[str, Any]] = []
    points = 0.0
    for rule in config.demographic:
        check = check_rule(rule, context)
        if check.matched:
            points += rule.points
            matched.append({"rule": rule.id, "points": rule.points, "why": check.why})
    previous = float((detail.get("demographic") or {}).get("points", 0))
    new = {**detail, "demographic": {"points": points, "matched": matched}}
    names = ", ".join(f"{m['rule']} {m['points']:+g}" for m in matched) or "none"
    return ScoreChange(new, round(_total(new)), points - previous, f"demographic: {names}")
