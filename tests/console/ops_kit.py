"""Decisions and jobs the console's operations tests share (`from ops_kit import routed`)."""

from __future__ import annotations

from sqlalchemy import update

from handoff.runtime import DecisionSpec, JobSpec, record_decision
from handoff.store import Job, Store
from handoff_sdk import FakeClock

ROUTING = {
    "reps": [
        {"id": "ana", "name": "Ana", "teams": ["emea"], "timezone": "Europe/Paris"},
        {"id": "bo", "name": "Bo", "teams": ["emea"]},
    ],
    "teams": [{"name": "emea", "members": ["ana", "bo"]}],
}


def routed(store: Store, clock: FakeClock, conversation: str, rep: str, *, error: str = "") -> int:
    """A routing decision giving `conversation` to `rep`, as the chat flow stores one, and its
    CRM write-back job (dead with `error` when given)."""
    with store.transaction() as session:
        decision = record_decision(
            session,
            DecisionSpec(
                kind="routing",
                subject_type="conversation",
                subject_id=conversation,
                outcome={"rep": rep, "rule": "owner-first", "target": "owner"},
                explanation={
                    "rules": [
                        {
                            "rule": "vip",
                            "rule_ids": ["Q4"],
                            "matched": False,
                            "why": "account.tier is 3, not 1",
                        },
                        {
                            "rule": "owner-first",
                            "rule_ids": ["Q3"],
                            "matched": True,
                            "why": "the account has an owner",
                        },
                    ],
                    "skipped": [{"rep": "carl", "reason": "away", "target": "owner"}],
                    "counterfactual": {"rep": "carl", "reason": "away", "target": "owner"},
                    "geo": "EMEA",
                },
                rule_ids=("Q3",),
            ),
            now=clock.now(),
            jobs=[
                JobSpec(
                    kind="test.write_back",
                    idempotency_key=f"write-back:{conversation}",
                    payload={"conversation": conversation},
                )
            ],
        )
        if error:
            session.execute(
                update(Job)
                .where(Job.decision_id == decision)
                .values(state="dead", attempts=8, last_error=error, finished_at=clock.now())
            )
    return decision
