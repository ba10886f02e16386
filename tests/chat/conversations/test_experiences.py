"""Q8 (AI rollback) and Q9 (experiences, language from the page path)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from handoff.chat.experiences import (
    experience_states,
    language_for_path,
    restore_ai,
    rollback_ai,
)
from handoff.chat.settings import load_chat_settings
from handoff.cli import cli
from handoff.errors import ConfigFileError
from handoff.store import Audit, Store
from handoff_sdk import FakeClock
from handoff_sdk.entities import ExperienceMode

TABLES: list[dict[str, Any]] = [
    {"id": "home", "name": "Home", "pages": ["/"], "twin": "home-ai", "enabled": False},
    {"id": "home-ai", "name": "Home - AI", "mode": "ai_first", "pages": ["/"]},
    {"id": "pricing", "name": "Pricing", "pages": ["/pricing"], "enabled": False},
    {
        "id": "pricing-ai",
        "name": "Pricing - AI",
        "pages": ["/pricing"],
        "twin": "pricing",
        "ai_takeover_seconds": 45,
    },
    {"id": "fr-home", "name": "[FR] Home", "language": "fr", "pages": ["/"]},
    {"id": "ja-home", "name": "[JA] Home", "language": "ja", "pages": ["/"]},
]


def test_q8_experience_model_defaults_and_twins() -> None:
    """Q8/Q4: defaults (human first, 30 s), AI twins named 'X - AI', twins paired both ways."""
    catalog = load_chat_settings({"experiences": TABLES}).catalog()
    home = catalog.experiences["home"]
    assert home.mode is ExperienceMode.HUMAN_FIRST
    assert home.ai_takeover_seconds == 30
    assert catalog.experiences["pricing-ai"].ai_takeover_seconds == 45
    assert [e.id for e in catalog.ai()] == ["home-ai", "pricing-ai"]
    # pricing names no twin, pricing-ai names it: paired both ways.
    assert catalog.experiences["pricing"].twin == "pricing-ai"
    assert catalog.experiences["home-ai"].twin == "home"


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ([{"id": "a", "name": "A", "mode": "robot"}], "experiences[0].mode"),
        (
            [{"id": "a", "name": "A", "ai_takeover_seconds": 0}],
            "experiences[0].ai_takeover_seconds",
        ),
        ([{"id": "a", "name": "A", "colour": "red"}], "experiences[0].colour: unknown key"),
        ([{"name": "A"}], "experiences[0].id"),
        ([{"id": "a", "name": "A", "language": "French"}], "experiences[0].language"),
        ([{"id": "a", "name": "A", "pages": ["pricing"]}], "experiences[0].pages"),
        ([{"id": "a", "name": "A"}, {"id": "a", "name": "B"}], "experiences[1].id"),
        ([{"id": "a", "name": "A", "twin": "zz"}], "experiences[0].twin: no experience"),
        (
            [{"id": "a", "name": "A", "twin": "b"}, {"id": "b", "name": "B"}],
            "experiences[0].twin: twins are one",
        ),
        (
            [{"id": "a", "name": "A", "twin": "b"}, {"id": "b", "name": "Other - AI"}],
            "must be named 'A - AI'",
        ),
    ],
)
def test_q8_q9_invalid_experiences_name_the_field(
    tables: list[dict[str, Any]], message: str
) -> None:
    """Q8/Q9: each invalid table is refused with the field at fault."""
    with pytest.raises(ConfigFileError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_chat_settings({"experiences": tables})


@pytest.mark.parametrize(
    ("page", "language"),
    [
        ("https://about.example.test/fr-fr/pricing/", "fr"),
        ("/de-de", "de"),
        ("/ja-jp/solutions/", "ja"),
        ("/JA-JP/solutions/", "ja"),
        ("/pricing", "en"),
        ("/fr-frx/pricing", "en"),
        ("https://about.example.test/", "en"),
    ],
)
def test_q9_language_follows_the_page_path(page: str, language: str) -> None:
    """Q9: /fr-fr, /de-de, /ja-jp choose the language; anything else is English."""
    assert language_for_path(page) == language


def test_q9_language_prefixes_are_configurable() -> None:
    """Q9: another site's prefixes (e.g. /pt-br) are configuration, not code."""
    assert language_for_path("/pt-br/x", {"/pt-br": "pt"}) == "pt"
    assert language_for_path("/fr-fr/x", {"/pt-br": "pt"}) == "en"
    settings = load_chat_settings(
        {"experiences": [{"id": "pt", "name": "PT", "language": "pt", "pages": ["/"]}]}
    )
    catalog = settings.catalog({"/pt-br": "pt"})
    live = catalog.live_for_page("/pt-br/pricing", {"pt": True})
    assert live is not None
    assert live.id == "pt"


def test_q9_live_experience_for_a_page() -> None:
    """Q9: the enabled experience of the page's language, most specific page prefix first."""
    catalog = load_chat_settings({"experiences": TABLES}).catalog()
    states = {e.id: e.enabled for e in catalog.experiences.values()}
    chosen = catalog.live_for_page("https://about.example.test/pricing/premium", states)
    assert chosen is not None
    assert chosen.id == "pricing-ai"
    assert chosen.ai_takeover_seconds == 45
    home = catalog.live_for_page("/solutions", states)
    assert home is not None
    assert home.id == "home-ai"
    fr = catalog.live_for_page("/fr-fr/pricing", states)
    assert fr is not None
    assert fr.id == "fr-home"
    assert catalog.live_for_page("/de-de/pricing", states) is None  # no German experience
    states["pricing-ai"], states["pricing"] = False, True
    after = catalog.live_for_page("/pricing", states)
    assert after is not None
    assert after.id == "pricing"


def test_q8_rollback_and_restore_are_one_audited_step(store: Store, clock: FakeClock) -> None:
    """Q8: rollback turns every AI experience off and its twin on; restore reverses it."""
    catalog = load_chat_settings({"experiences": TABLES}).catalog()
    with store.transaction() as session:
        changes = rollback_ai(session, catalog, actor="ops@example.test", now=clock.now())
    assert {(c.experience_id, c.enabled) for c in changes} == {
        ("home-ai", False),
        ("home", True),
        ("pricing-ai", False),
        ("pricing", True),
    }
    with store.sessions() as session:
        states = experience_states(session, catalog)
        assert states == {
            "home": True,
            "home-ai": False,
            "pricing": True,
            "pricing-ai": False,
            "fr-home": True,
            "ja-home": True,
        }
        [entry] = session.scalars(select(Audit)).all()
        assert entry.actor == "ops@example.test"
        assert entry.action == "experiences.rollback_ai"
        assert entry.at == clock.now()
        assert len(entry.details["changed"]) == 4
    # Idempotent: a second rollback switches nothing.
    with store.transaction() as session:
        assert rollback_ai(session, catalog, actor="ops", now=clock.now()) == []
    clock.advance(60)
    with store.transaction() as session:
        back = restore_ai(session, catalog, actor="ops", now=clock.now())
    assert {(c.experience_id, c.enabled) for c in back} == {
        ("home-ai", True),
        ("home", False),
        ("pricing-ai", True),
        ("pricing", False),
    }
    with store.transaction() as session:
        assert restore_ai(session, catalog, actor="ops", now=clock.now()) == []
        assert experience_states(session, catalog) == {
            e.id: e.enabled for e in catalog.experiences.values()
        }


def test_q8_rollback_is_all_or_nothing(store: Store, clock: FakeClock) -> None:
    """Q8: a failure inside the transaction leaves every experience as it was."""
    catalog = load_chat_settings({"experiences": TABLES}).catalog()

    def crash() -> None:
        with store.transaction() as session:
            rollback_ai(session, catalog, actor="ops", now=clock.now())
            raise RuntimeError("crash before commit")

    with pytest.raises(RuntimeError):
        crash()
    with store.sessions() as session:
        assert experience_states(session, catalog)["home-ai"] is True
        assert session.scalars(select(Audit)).all() == []


def _write_config(tmp_path: Path, db: Path) -> Path:
    lines = [f'[store]\nurl = "sqlite:///{db}"\n']
    for table in TABLES:
        lines.append("[[experiences]]")
        for key, value in table.items():
            if isinstance(value, bool):
                lines.append(f"{key} = {'true' if value else 'false'}")
            elif isinstance(value, list):
                lines.append(f"{key} = {value!r}".replace("'", '"'))
            elif isinstance(value, int):
                lines.append(f"{key} = {value}")
            else:
                lines.append(f'{key} = "{value}"')
        lines.append("")
    path = tmp_path / "handoff.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_q8_cli_rollback_survives_restarts(tmp_path: Path, isolated_home: Path) -> None:
    """Q8: `handoff experiences rollback-ai` / `restore-ai`, state read back from the store."""
    db = tmp_path / "h.db"
    config = _write_config(tmp_path, db)
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade", "--config", str(config)]).exit_code == 0
    listed = runner.invoke(cli, ["experiences", "list", "--config", str(config), "--json"])
    assert listed.exit_code == 0, listed.output
    assert '"id": "home-ai"' in listed.output
    result = runner.invoke(
        cli, ["experiences", "rollback-ai", "--config", str(config), "--actor", "ana"]
    )
    assert result.exit_code == 0, result.output
    assert "4 experience(s) switched by ana" in result.output
    again = runner.invoke(cli, ["experiences", "rollback-ai", "--config", str(config)])
    assert "Nothing to switch" in again.output
    listed = runner.invoke(cli, ["experiences", "list", "--config", str(config)])
    assert "off  Home - AI" in listed.output
    assert "on   Home " in listed.output
    restored = runner.invoke(cli, ["experiences", "restore-ai", "--config", str(config)])
    assert restored.exit_code == 0, restored.output
    listed = runner.invoke(cli, ["experiences", "list", "--config", str(config)])
    assert "on   Home - AI" in listed.output


async def test_q8_q17_the_chat_ai_switched_off_and_on_over_http_audited_with_the_key(
    store: Store, clock: FakeClock, loopback: Any, new_key: Any
) -> None:
    """Q8/Q17: the chat AI's own switch through the API (scope ops), audited with the API key;
    an ingest key is refused."""
    from handoff.config import HubConfig  # noqa: PLC0415
    from handoff.server import create_app  # noqa: PLC0415

    app = create_app(store, config=HubConfig.model_validate({"experiences": TABLES}), clock=clock)
    ops, ingest = new_key(store, "ops"), new_key(store, "ingest")
    async with loopback(app, headers=ops) as client:
        off = await client.post("/v1/experiences/rollback-ai")
        denied = await client.post("/v1/experiences/restore-ai", headers=ingest)
        again = await client.post("/v1/experiences/rollback-ai")
        on = await client.post("/v1/experiences/restore-ai")
    assert off.status_code == 200, off.text
    assert {(c["id"], c["enabled"]) for c in off.json()["changed"]} == {
        ("home-ai", False),
        ("home", True),
        ("pricing-ai", False),
        ("pricing", True),
    }
    assert denied.status_code == 403
    assert again.json()["changed"] == []
    assert {(c["id"], c["enabled"]) for c in on.json()["changed"]} >= {("home-ai", True)}
    with store.sessions() as session:
        audits = session.scalars(select(Audit).order_by(Audit.id)).all()
    switched = [a for a in audits if a.action.startswith("experiences.")]
    assert [a.action for a in switched] == [
        "experiences.rollback_ai",
        "experiences.rollback_ai",
        "experiences.restore_ai",
    ]
    assert all(a.actor == off.json()["actor"] for a in switched)
    assert off.json()["actor"].startswith("key:test-")
