"""`handoff explain`: the events and decisions about an entity or event, and why."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from functools import cache
from typing import Any

from sqlalchemy.orm import Session

from handoff.runtime.decisions import decisions_about, jobs_of

__all__ = ["details_of", "explain_ref", "full_explanation", "render_text", "why_of"]

Reader = Callable[[Session, str, dict[str, Any]], dict[str, Any]]
"""A flow's reader of its compact explanations (`Flow.explanations`)."""


@cache
def _readers() -> dict[str, Reader]:
    from handoff.flows import built_in_flows  # noqa: PLC0415 - flows know the frameworks

    found: dict[str, Reader] = {}
    for flow in built_in_flows():
        if flow.explanations:
            module, _, name = flow.explanations.partition(":")
            reader: Reader = getattr(importlib.import_module(module), name)
            found.update(dict.fromkeys(flow.decision_kinds, reader))
    return found


def full_explanation(session: Session, kind: str, explanation: dict[str, Any]) -> dict[str, Any]:
    """A decision's explanation as a person reads it, whichever flow stored it compactly.

    Most flows store it so; one that stores it compactly (`Flow.explanations`)
    words it again here, so `handoff explain` and the API show every
    decision criterion by criterion.
    """
    reader = _readers().get(kind)
    return explanation if reader is None else reader(session, kind, explanation)


_SHOWN = ("summary", "why", "matched", "not_matched", "counterfactual", "rules", "skipped")
"""The explanation keys `why_of` reads: printed once, in its lines, not again as 'because'."""


def _counterfactual(value: Any) -> str | None:
    """A counterfactual as a sentence, whatever shape the flow stored it in."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value.get("rep"):
        where = f" ({value['target']})" if value.get("target") else ""
        return (
            f"had {value['rep']} been available ({value.get('reason', 'unavailable')}), "
            f"it would have gone to {value['rep']}{where}"
        )
    return json.dumps(value, sort_keys=True, default=str)


def _skipped_first(explanation: dict[str, Any]) -> str | None:
    """The counterfactual of a round-robin pick: who would have had it but was skipped."""
    pick = explanation.get("pick")
    skipped = pick.get("skipped") if isinstance(pick, dict) else explanation.get("skipped")
    if isinstance(skipped, list) and skipped and isinstance(skipped[0], dict):
        first = skipped[0]
        if first.get("rep"):
            return _counterfactual({"rep": first["rep"], "reason": first.get("reason")})
    return None


def _skipped(explanation: dict[str, Any]) -> list[str]:
    """Each rep passed over and why ('bo: away (target owner)'), from `skipped` or a pick's."""
    pick = explanation.get("pick")
    found = pick.get("skipped") if isinstance(pick, dict) else explanation.get("skipped")
    if not isinstance(found, list):
        return []
    lines = []
    for item in found:
        if isinstance(item, dict) and item.get("rep"):
            where = f" ({item['target']})" if item.get("target") else ""
            lines.append(f"{item['rep']}: {item.get('reason', 'skipped')}{where}")
        elif item:
            lines.append(str(item))
    return lines


def why_of(explanation: dict[str, Any], outcome: dict[str, Any]) -> dict[str, Any]:
    """A decision's reasons in the one shape `handoff explain` shows for every flow.

    `summary` (what was decided, in words), `matched` (the rule that
    applied), `not_matched` (each rule before it that did not, and why) and
    `skipped` (each rep passed over, and why) and `counterfactual` (what
    would have changed the outcome). Flows store
    their explanations in their own words; this reads the keys they share:
    `summary` or `why`; `matched`, or the matched entry of `rules` (the
    rules engine's checks); `not_matched`, or the other entries of `rules`;
    `counterfactual`, or the first member a round robin skipped.
    """
    summary = explanation.get("summary") or explanation.get("why")
    rules = explanation.get("rules")
    checks = (
        [r for r in rules if isinstance(r, dict) and "matched" in r]
        if isinstance(rules, list)
        else []
    )
    matched = explanation.get("matched")
    if matched is None:
        hit = next((r for r in checks if r.get("matched")), None)
        if hit is not None:
            ids = ", ".join(str(i) for i in hit.get("rule_ids") or [])
            matched = (
                f"{hit.get('rule')}"
                + (f" ({ids})" if ids else "")
                + (f": {hit['why']}" if hit.get("why") else "")
            )
        elif outcome.get("rule"):
            matched = str(outcome["rule"])
    not_matched = explanation.get("not_matched")
    if not isinstance(not_matched, list):
        not_matched = [f"{r.get('rule')}: {r.get('why')}" for r in checks if not r.get("matched")]
    counterfactual = _counterfactual(explanation.get("counterfactual")) or _skipped_first(
        explanation
    )
    return {
        "summary": summary if isinstance(summary, str) else None,
        "matched": matched if matched is None or isinstance(matched, str) else str(matched),
        "not_matched": [str(item) for item in not_matched],
        "skipped": _skipped(explanation),
        "counterfactual": counterfactual,
    }


def details_of(explanation: dict[str, Any]) -> list[tuple[str, str]]:
    """The explanation's other keys, as (key, text): what `why_of` does not read.

    `handoff explain` prints them as 'because' lines and the console's
    Decisions page as the decision's details; one function, one choice of keys.
    """
    return [
        (key, value if isinstance(value, str) else _compact(value))
        for key, value in explanation.items()
        if key not in _SHOWN
    ]


def explain_ref(session: Session, ref: str) -> dict[str, Any]:
    """A JSON-able report: the events, then each decision with its explanation and jobs."""
    events, decisions = decisions_about(session, ref)
    full = {d.id: full_explanation(session, d.kind, d.explanation) for d in decisions}
    return {
        "ref": ref,
        "events": [
            {
                "id": e.id,
                "source": e.source,
                "type": e.type,
                "dedupe_key": e.dedupe_key,
                "subject": f"{e.subject_type}:{e.subject_id}" if e.subject_type else None,
                "received_at": e.received_at.isoformat(),
                "processed_at": e.processed_at.isoformat() if e.processed_at else None,
            }
            for e in events
        ],
        "decisions": [
            {
                "id": d.id,
                "kind": d.kind,
                "subject": f"{d.subject_type}:{d.subject_id}",
                "event_id": d.event_id,
                "decided_at": d.decided_at.isoformat(),
                "rule_ids": d.rule_ids,
                "outcome": d.outcome,
                "why": why_of(full[d.id], d.outcome),
                "explanation": full[d.id],
                "jobs": [
                    {
                        "id": j.id,
                        "state": j.state,
                        "target": f"{j.connector}.{j.hook}" if j.hook else j.kind,
                        "attempts": j.attempts,
                        "idempotency_key": j.idempotency_key,
                        "last_error": j.last_error,
                    }
                    for j in jobs_of(session, d.id)
                ],
            }
            for d in decisions
        ],
    }


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def render_text(report: dict[str, Any]) -> str:
    """The report for a person: one block per event and per decision."""
    lines: list[str] = []
    for e in report["events"]:
        state = f"processed {e['processed_at']}" if e["processed_at"] else "not processed yet"
        lines.append(
            f"event {e['id']}  {e['type']} from {e['source']} ({e['dedupe_key']}), "
            f"received {e['received_at']}, {state}"
        )
    for d in report["decisions"]:
        rules = ", ".join(d["rule_ids"]) or "no rule id"
        lines.append(f"decision {d['id']}  {d['kind']} about {d['subject']}  [{rules}]")
        lines.append(
            f"  at       {d['decided_at']}"
            + (f" (event {d['event_id']})" if d["event_id"] is not None else "")
        )
        lines.append(f"  outcome  {_compact(d['outcome'])}")
        why = d.get("why") or why_of(d["explanation"], d["outcome"])
        if why["summary"]:
            lines.append(f"  why      {why['summary']}")
        if why["matched"]:
            lines.append(f"  matched  {why['matched']}")
        lines += [f"  not      {item}" for item in why["not_matched"]]
        lines += [f"  skipped  {item}" for item in why.get("skipped", [])]
        if why["counterfactual"]:
            lines.append(f"  else     {why['counterfactual']}")
        lines += [f"  because  {key}: {text}" for key, text in details_of(d["explanation"])]
        for j in d["jobs"]:
            error = f" - {j['last_error']}" if j["last_error"] else ""
            tries = f"after {j['attempts']} attempt(s)"
            lines.append(f"  job {j['id']}  {j['target']} {j['state']} {tries}{error}")
    return "\n".join(lines)
