"""Shadow mode: a candidate decided beside the live configuration, never acting.

The same day of chat traffic is lived twice over a real socket: by a hub
without a shadow and by one whose handoff.toml names a candidate in
`[shadow]` (German chats to the partner desk, Q3d). The live hub with the
shadow decides, writes and rotates exactly as the one without: the same
decisions, the same jobs, the same round-robin cursors and counts. The
shadow's decisions are in its own database, its jobs captured, and
`handoff shadow report` shows where it would differ.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from chat_day import CHATS, ROUTING, live_day
from click.testing import CliRunner
from sqlalchemy import select

from handoff.cli import cli
from handoff.config import load_config
from handoff.replay.shadow import shadow_store
from handoff.replay.simulation import CAPTURED
from handoff.runtime import EVENT_KIND
from handoff.store import Cursor, Decision, Job, Store


def write_hub(folder: Path, *, shadow: bool) -> Path:
    folder.mkdir()
    live = folder / "handoff.toml"
    table = '[shadow]\nconfig = "candidate.toml"\n\n' if shadow else ""
    live.write_text(
        f'[store]\nurl = "sqlite:///{folder / "hub.db"}"\n\n{table}'
        + ROUTING.replace("{german}", "team:sales")
    )
    (folder / "candidate.toml").write_text(ROUTING.replace("{german}", "team:partners"))
    return live


def state(store: Store) -> dict[str, Any]:
    """What the live hub did: its decisions, its jobs, its cursors."""
    with store.sessions() as session:
        return {
            "decisions": [
                (d.kind, d.subject_id, d.outcome, d.rule_ids)
                for d in session.scalars(select(Decision).order_by(Decision.id))
            ],
            "jobs": [
                (j.kind, j.idempotency_key, j.state)
                for j in session.scalars(select(Job).order_by(Job.id))
            ],
            "cursors": {c.name: c.position for c in session.scalars(select(Cursor))},
        }


@pytest.fixture
async def hubs(tmp_path: Path, loopback: Any) -> tuple[Path, Store, Store]:
    plain = await live_day(write_hub(tmp_path / "plain", shadow=False), loopback)
    config = write_hub(tmp_path / "shadowed", shadow=True)
    shadowed = await live_day(config, loopback)
    return config, plain, shadowed


def test_q3_shadow_decisions_never_create_live_jobs_nor_move_live_cursors(
    hubs: tuple[Path, Store, Store],
) -> None:
    config, plain, shadowed = hubs
    without, with_shadow = state(plain), state(shadowed)
    assert with_shadow == without  # decisions, jobs, cursors and counts: all the same
    assert not any(name.startswith("rr:partners") for name in with_shadow["cursors"])
    assert with_shadow["cursors"]["rr:sales"] > 0

    shadow = shadow_store(load_config(config), live_url=shadowed.url)
    with shadow.sessions() as session:
        decisions = list(session.scalars(select(Decision).order_by(Decision.id)))
        jobs = list(session.scalars(select(Job).where(Job.kind != EVENT_KIND)))
        cursors = {c.name: c.position for c in session.scalars(select(Cursor))}
    shadow.dispose()
    routed = {d.subject_id: d.outcome for d in decisions if d.kind == "routing"}
    assert len(routed) == len(CHATS)
    for number, (_, language, _) in enumerate(CHATS):
        expected = "partners" if language == "de" else "sales"
        assert routed[f"c-{number}"]["pool"] == expected
    assert "rr:partners" in cursors  # the shadow rotates its own cursors
    # The shadow's own timers fired on the live clock: its AI takeovers are its decisions.
    assert sum(1 for d in decisions if d.kind == "routing.ai_takeover") == sum(
        1 for *_, joins in CHATS if not joins
    )
    # Every job the shadow wrote was captured or was the hub's own (the takeover): none acted.
    for job in jobs:
        assert job.kind == "routing.ai_takeover" or (job.result or {}).get(CAPTURED)


def test_shadow_report_shows_where_the_candidate_differs(
    hubs: tuple[Path, Store, Store],
) -> None:
    config, _plain, _shadowed = hubs
    args = ["shadow", "report", "--config", str(config), "--since", "2026-01-05"]
    result = CliRunner().invoke(cli, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    routing = [c for c in report["changes"]["chat"] if c["kind"] == "routing"]
    moved = {c["subject"] for c in routing if c["shadow"]["outcome"]["pool"] == "partners"}
    german = {f"conversation:c-{n}" for n, (_, lang, _) in enumerate(CHATS) if lang == "de"}
    assert moved == german
    assert report["load"]["pool"]["partners"] == {"before": 0, "after": len(german)}
    assert report["live"]["jobs_captured"] == 0
    assert report["shadow"]["decisions"] == report["live"]["decisions"]
    text = CliRunner().invoke(cli, args, catch_exceptions=False).stdout
    assert "decided by the live hub and the shadow (candidate.toml)" in text
    assert "load per pool (live -> shadow):" in text
    assert "pool: sales -> partners" in text


def test_a_shadow_naming_the_live_database_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "hub"
    config = write_hub(folder, shadow=False)
    text = config.read_text().replace(
        "\n\n[routing]",
        f'\n\n[shadow]\nconfig = "candidate.toml"\ndatabase = "sqlite:///{folder / "hub.db"}"'
        "\n\n[routing]",
        1,
    )
    config.write_text(text)
    loaded = load_config(config)
    with pytest.raises(Exception, match="it is the live database"):
        shadow_store(loaded, live_url=str(loaded.store.url))
