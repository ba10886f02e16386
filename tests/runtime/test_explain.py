"""`handoff explain <the sender's id>` finds what the API stored under that id (docs/runtime.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from handoff.cli import cli
from handoff.server import create_app
from handoff.store import Store, upgrade
from handoff_sdk import FakeClock

from .conftest import Loopback


async def test_explain_finds_an_event_by_the_id_its_sender_gave(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, loopback: Loopback
) -> None:
    url = f"sqlite:///{isolated_home / 'hub.db'}"
    monkeypatch.setenv("HANDOFF_DATABASE_URL", url)
    store = Store(url)
    upgrade(store)
    app = create_app(store, clock=FakeClock())
    view = {"id": "pv-77", "visitor_id": "v-1", "url": "https://www.example.test/pricing"}
    chat = {"id": "pv-77", "conversation_id": "c-1", "visitor_id": "v-1"}
    async with loopback(app) as client:
        assert (await client.post("/v1/page-views", json=view)).status_code == 202
        assert (await client.post("/v1/chat-requests", json=chat)).status_code == 202
    store.dispose()

    result = CliRunner().invoke(cli, ["explain", "pv-77", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    events = json.loads(result.output)["events"]
    assert [(e["type"], e["dedupe_key"]) for e in events] == [
        ("hub.page_view", "hub.page_view:pv-77"),
        ("hub.chat_request", "hub.chat_request:pv-77"),
    ]
    text = CliRunner().invoke(cli, ["explain", "pv-77"], catch_exceptions=False).output
    assert "hub.page_view from hub (hub.page_view:pv-77)" in text
    nothing = CliRunner().invoke(cli, ["explain", "pv-78"])
    assert nothing.exit_code != 0
    assert "nothing is recorded about 'pv-78'" in str(nothing.exception)


def test_explain_lists_the_reps_a_decision_skipped_once_and_why() -> None:
    from handoff.runtime.explain import render_text, why_of  # noqa: PLC0415

    explanation = {
        "skipped": [{"rep": "ben", "reason": "away", "target": "team:sales"}, "cy"],
        "geo": "EMEA",
    }
    why = why_of(explanation, {"rep": "ana"})
    assert why["skipped"] == ["ben: away (team:sales)", "cy"]
    assert why_of({"pick": {"skipped": [{"rep": "dee", "reason": "offline"}]}}, {})["skipped"] == [
        "dee: offline"
    ]
    report = {
        "events": [],
        "decisions": [
            {
                "id": 1,
                "kind": "routing",
                "subject": "conversation:c-1",
                "event_id": None,
                "decided_at": "2026-01-05T12:00:00+00:00",
                "rule_ids": ["Q3"],
                "outcome": {"rep": "ana"},
                "why": why,
                "explanation": explanation,
                "jobs": [],
            }
        ],
    }
    text = render_text(report)
    assert "  skipped  ben: away (team:sales)" in text
    assert "because  skipped" not in text  # printed once, not again as a reason
    assert "because  geo: EMEA" in text
