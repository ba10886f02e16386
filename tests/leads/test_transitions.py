"""Status transitions through the API, over a real socket (D5), and from another flow (Q16)."""

from __future__ import annotations

from harness import Served, count, new_lead  # type: ignore[import-not-found]
from sqlalchemy import select

from handoff.leads.kinds import LEAD_TRANSITION, STATUS_DECISION
from handoff.leads.status import DEFAULT_TRANSITIONS
from handoff.runtime import record_events
from handoff.store import Decision, EventRecord
from handoff_sdk.entities import Event

KIM = "Kim@Acme.example"


async def test_d5_a_transition_is_stored_with_who_and_why(served: Served) -> None:
    async with served() as hub:
        await new_lead(hub, KIM)
        assert hub.lead(KIM)["status"] == "Raw"
        response = await hub.post(
            f"/v1/leads/{KIM}/transition",
            {"to": "Open", "reason": "looked at it", "actor": "bdr-bea"},
        )
        assert response.status_code == 200, response.text
        lead = response.json()["lead"]
        assert lead["status"] == "Open"
        actor = lead["history"][-1]["actor"]
        assert actor.startswith("bdr-bea via key:test-"), "who, and the key that said so"
        assert lead["history"][-1] | {"at": None, "decision_id": None} == {
            "from": "Raw",
            "to": "Open",
            "actor": actor,
            "reason": "looked at it",
            "rule_ids": ["D5"],
            "decision_id": None,
            "at": None,
        }
        got = await hub.client.get(f"/v1/leads/{KIM.lower()}")  # type: ignore[union-attr]
        assert got.json()["status"] == "Open"


async def test_d5_a_refused_transition_changes_nothing(served: Served) -> None:
    async with served() as hub:
        await new_lead(hub, KIM)
        events, decisions = count(hub, EventRecord), count(hub, Decision)
        before = hub.lead(KIM)
        response = await hub.post(
            f"/v1/leads/{KIM}/transition", {"to": "Attempt 3", "reason": "skipping ahead"}
        )
        assert response.status_code == 409
        body = response.json()
        assert body["current_status"] == "Raw"
        assert body["allowed_next"] == DEFAULT_TRANSITIONS["Raw"]
        assert "is 'Raw'" in body["error"]
        assert "Attempt 3" in body["error"]
        assert body["fields"][0]["field"] == "to"
        assert hub.lead(KIM) == before
        assert (count(hub, EventRecord), count(hub, Decision)) == (events, decisions)


async def test_d5_unknown_lead_and_bad_bodies_are_named(served: Served) -> None:
    async with served() as hub:
        missing = await hub.post(
            "/v1/leads/nobody@acme.example/transition", {"to": "Open", "reason": "x"}
        )
        assert missing.status_code == 404
        assert missing.json()["fields"][0]["field"] == "lead_id"
        bad = await hub.post(f"/v1/leads/{KIM}/transition", {"to": "", "why": "x"})
        assert bad.status_code == 422
        assert {f["field"] for f in bad.json()["fields"]} == {"to", "reason", "why"}


async def test_d5_the_same_request_id_moves_once(served: Served) -> None:
    async with served() as hub:
        await new_lead(hub, KIM)
        body = {"to": "Open", "reason": "first look", "id": "req-1"}
        first = await hub.post(f"/v1/leads/{KIM}/transition", body)
        again = await hub.post(f"/v1/leads/{KIM}/transition", body)
        assert first.json()["duplicate"] is False
        assert again.json()["duplicate"] is True
        history = hub.lead(KIM)["history"]
        assert [(t["from"], t["to"]) for t in history] == [(None, "Raw"), ("Raw", "Open")]


async def test_q16_another_flow_moves_a_lead_to_accepted_then_recycle(served: Served) -> None:
    """The AI rep's email went out (Accepted), then the outcome (Recycle): events the flow decides."""
    async with served() as hub:
        await new_lead(hub, KIM)
        now = hub.clock.now()

        def ask(to: str, key: str) -> None:
            with hub.store.transaction() as session:
                record_events(
                    session,
                    [
                        Event(
                            type=LEAD_TRANSITION,
                            source="ai",
                            dedupe_key=key,
                            payload={
                                "lead": KIM.lower(),
                                "to": to,
                                "reason": f"AI follow-up: {to}",
                                "actor": "ai",
                                "subject": {"type": "lead", "id": KIM.lower()},
                            },
                        )
                    ],
                    now=now,
                )

        ask("Accepted", "ai-1")
        await hub.drain()
        ask("Qualified", "ai-2")  # not allowed from Accepted: refused, stored, nothing changes
        await hub.drain()
        ask("Recycle", "ai-3")
        await hub.drain()
        lead = hub.lead(KIM)
        assert [(t["from"], t["to"], t["actor"]) for t in lead["history"]] == [
            (None, "Raw", "hub"),
            ("Raw", "Accepted", "ai"),
            ("Accepted", "Recycle", "ai"),
        ]
        assert lead["history"][1]["rule_ids"] == ["D5", "Q16"]
        with hub.store.sessions() as session:
            refused = session.scalars(
                select(Decision).where(Decision.kind == STATUS_DECISION)
            ).all()
        refusals = [d for d in refused if d.outcome.get("refused")]
        assert len(refusals) == 1
        assert refusals[0].explanation["allowed_next"] == ["Recycle", "Qualifying"]
