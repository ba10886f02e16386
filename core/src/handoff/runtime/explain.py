"""`handoff explain`: the events and decisions about an entity or event, and why."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from handoff.runtime.decisions import decisions_about, jobs_of

__all__ = ["explain_ref", "render_text"]


def explain_ref(session: Session, ref: str) -> dict[str, Any]:
    """A JSON-able report: the events, then each decision with its explanation and jobs."""
    events, decisions = decisions_about(session, ref)
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
                "explanation": d.explanation,
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
        for key, value in d["explanation"].items():
            lines.append(
                f"  because  {key}: {value if isinstance(value, str) else _compact(value)}"
            )
        for j in d["jobs"]:
            error = f" - {j['last_error']}" if j["last_error"] else ""
            tries = f"after {j['attempts']} attempt(s)"
            lines.append(f"  job {j['id']}  {j['target']} {j['state']} {tries}{error}")
    return "\n".join(lines)
