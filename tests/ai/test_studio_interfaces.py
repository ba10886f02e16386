"""AI Studio (Q7) through its public interfaces: the API over a real socket, and the CLI.

Content indexed from a folder configured in handoff.toml, searched; the
Scorecard added to, listed, removed from; the Inbox listed and a group
promoted; every route refused without the ops scope.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from keyed import key_headers  # type: ignore[import-not-found]

from handoff.ai.builtin_responder import BuiltinResponder
from handoff.ai.studio.demo import DEMO_SITE
from handoff.ai.studio.inbox import record_visitor_question
from handoff.cli import main
from handoff.config import HubConfig, load_config
from handoff.server import create_app
from handoff.store import Audit, Store
from handoff_sdk import FakeClock

Serve = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "handoff.toml"
    path.write_text(
        f"""
[ai]
company = "Example"
support_url = "https://support.example.test/"

[[ai.content.sources]]
name = "demo"
folder = "{DEMO_SITE.as_posix()}"
base_url = "https://www.example.test/"

[[ai.content.sources]]
name = "missing"
folder = "no-such-folder"
"""
    )
    return path


@pytest.fixture
def hub_config(tmp_path: Path) -> HubConfig:
    return load_config(write_config(tmp_path))


@pytest.fixture
async def studio_app(
    store: Store, clock: FakeClock, hub_config: HubConfig
) -> AsyncIterator[FastAPI]:
    built = create_app(store, config=hub_config, clock=clock)
    yield built
    await built.state.intake.aclose()


async def test_q7_ai_studio_through_the_api_over_a_real_socket(
    studio_app: FastAPI, store: Store, loopback: Serve, tmp_path: Path
) -> None:
    (tmp_path / "extra").mkdir()
    (tmp_path / "extra" / "regions.md").write_text("# Regions\n\nExample Cloud runs in the EU.\n")
    async with loopback(studio_app, headers=key_headers(store, "ops")) as api:
        indexed = await api.post("/v1/ai/content/index", json={"source": "demo"})
        assert indexed.status_code == 200, indexed.text
        [report] = indexed.json()
        assert (report["source"], report["added"], report["failed"]) == ("demo", 8, [])

        sources = (await api.get("/v1/ai/content")).json()
        assert [(s["source"], s["kind"], s["pages"]) for s in sources] == [
            ("demo", "folder", 8),
            ("missing", "folder", 0),
        ]
        found = await api.get("/v1/ai/content/search", params={"q": "SAML single sign-on"})
        assert found.json()[0]["source"] == "https://www.example.test/security#single-sign-on"

        missing = await api.post("/v1/ai/content/index", json={"source": "missing"})
        assert missing.status_code == 422
        assert "'missing': folder" in missing.json()["error"]
        unknown = await api.post("/v1/ai/content/index", json={"source": "nope"})
        assert unknown.status_code == 404
        assert "expected one of: demo, missing" in unknown.text

        added = await api.post("/v1/ai/content/sources", json={"name": "extra", "folder": "extra"})
        assert added.status_code == 201, added.text
        assert added.json() == {
            "source": "extra",
            "kind": "folder",
            "pages": 0,
            "passages": 0,
            "indexed_at": None,
        }
        [report] = (await api.post("/v1/ai/content/index", json={"source": "extra"})).json()
        assert (report["added"], report["passages"]) == (1, 1)
        taken = await api.post("/v1/ai/content/sources", json={"name": "demo", "folder": "extra"})
        assert taken.status_code == 409
        assert taken.json()["error"].startswith("name: a source named 'demo' exists")
        outside = await api.post("/v1/ai/content/sources", json={"name": "etc", "folder": "/etc"})
        assert outside.status_code == 422
        assert outside.json()["error"].startswith("folder: ")
        badly = await api.post("/v1/ai/content/sources", json={"name": "x", "sitemap": "ftp://x"})
        assert badly.status_code == 422
        sources = (await api.get("/v1/ai/content")).json()
        assert [(s["source"], s["kind"], s["pages"]) for s in sources][-1] == ("extra", "folder", 1)

        added = await api.post(
            "/v1/ai/scorecard",
            json={"question": "Is there an on-premises version?", "answer": "Yes: self-managed."},
        )
        assert added.status_code == 201, added.text
        entry = added.json()
        assert entry["kind"] == "dictated"
        assert entry["created_by"].startswith("key:test-")
        again = await api.post(
            "/v1/ai/scorecard",
            json={"question": "on-premises version there?", "answer": "Other."},
        )
        assert again.status_code == 409
        assert f"entry {entry['id']}" in again.json()["error"]
        bad = await api.post("/v1/ai/scorecard", json={"question": "What is it?", "answer": "x"})
        assert bad.status_code == 422
        assert bad.json()["error"].startswith("question:")
        listed = (await api.get("/v1/ai/scorecard")).json()
        assert [e["id"] for e in listed] == [entry["id"]]
        edited = await api.patch(
            f"/v1/ai/scorecard/{entry['id']}", json={"answer": "Yes: self-managed, anywhere."}
        )
        assert edited.status_code == 200, edited.text
        assert (edited.json()["answer"], edited.json()["kind"]) == (
            "Yes: self-managed, anywhere.",
            "dictated",
        )
        refused_link = await api.patch(f"/v1/ai/scorecard/{entry['id']}", json={"link": "x"})
        assert refused_link.status_code == 422
        vague = await api.patch(f"/v1/ai/scorecard/{entry['id']}", json={"question": "What?"})
        assert vague.status_code == 422
        assert vague.json()["error"].startswith("question:")
        assert (await api.patch("/v1/ai/scorecard/999", json={})).status_code == 404

        # The responder now answers that question from the Scorecard.
        draft = BuiltinResponder(store).draft_now("is there an on premises version")
        assert draft.backend == "scorecard"

        with store.transaction() as session:
            for conversation in ("c-1", "c-2"):
                record_visitor_question(
                    session,
                    conversation_id=conversation,
                    question="Do you offer a startup program?",
                    asked_at=datetime(2026, 12, 2, 15, tzinfo=UTC),
                    draft=BuiltinResponder(store).draft_now("Do you offer a startup program?"),
                )
        groups = (await api.get("/v1/ai/inbox")).json()
        assert [(g["question"], g["count"], g["answered_by"]) for g in groups] == [
            ("Do you offer a startup program?", 2, "unanswered")
        ]
        promoted = await api.post(
            f"/v1/ai/inbox/{groups[0]['id']}/promote",
            json={"answer": "Yes: startups get Ultimate for a year."},
        )
        assert promoted.status_code == 201, promoted.text
        assert promoted.json()["kind"] == "dictated"
        twice = await api.post(f"/v1/ai/inbox/{groups[0]['id']}/promote", json={})
        assert twice.status_code == 409
        assert (await api.get("/v1/ai/inbox")).json() == []
        nowhere = await api.post("/v1/ai/inbox/999/promote", json={})
        assert nowhere.status_code == 404

        removed = await api.delete(f"/v1/ai/scorecard/{entry['id']}")
        assert removed.status_code == 200
        assert (await api.delete(f"/v1/ai/scorecard/{entry['id']}")).status_code == 404

    with store.sessions() as session:
        actions = [
            a.action for a in session.query(Audit).order_by(Audit.id) if a.action.startswith("ai.")
        ]
    assert actions == [
        "ai.content.index",
        "ai.content.source_add",
        "ai.content.index",
        "ai.scorecard.add",
        "ai.scorecard.edit",
        "ai.inbox.promote",
        "ai.scorecard.remove",
    ]


async def test_q7_ai_studio_routes_need_the_ops_scope_and_the_ai_table(
    studio_app: FastAPI, app: FastAPI, store: Store
) -> None:
    transport = httpx.ASGITransport(app=studio_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test", headers=key_headers(store, "ingest")
    ) as api:
        assert (await api.get("/v1/ai/scorecard")).status_code == 403
        assert (await api.post("/v1/ai/content/index", json={})).status_code == 403
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as anonymous:
        assert (await anonymous.get("/v1/ai/inbox")).status_code == 401
    off = httpx.ASGITransport(app=app)  # no [ai] table
    async with httpx.AsyncClient(
        transport=off, base_url="http://hub.test", headers=key_headers(store, "ops")
    ) as api:
        answer = await api.get("/v1/ai/scorecard")
        assert answer.status_code == 409
        assert "no [ai] table" in answer.json()["error"]


def run_cli(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["handoff", *args])
    try:
        main()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_q7_ai_studio_through_the_cli(
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = str(write_config(tmp_path))
    common = ("--config", config, "--database", store.url)

    assert run_cli(monkeypatch, "ai", "content", "index", "demo", *common, "--json") == 0
    [report] = json.loads(capsys.readouterr().out)
    assert (report["added"], report["passages"]) == (8, 21)
    assert run_cli(monkeypatch, "ai", "content", "index", "demo", *common) == 0
    assert "demo: 0 added, 0 changed, 8 unchanged, 0 removed" in capsys.readouterr().out

    assert (
        run_cli(monkeypatch, "ai", "content", "search", "Do you integrate with Jira?", *common) == 0
    )
    out = capsys.readouterr().out
    assert out.startswith(
        "1. Integrations — Issue trackers  https://www.example.test/docs/integrations"
    )
    assert "answer (builtin): From our site:" in out

    assert run_cli(monkeypatch, "ai", "content", "index", "nope", *common) == 1
    assert (
        "error: no content source 'nope': expected one of demo, missing" in capsys.readouterr().err
    )

    add = (
        "ai",
        "scorecard",
        "add",
        "--question",
        "Is Example remote?",
        "--answer",
        "Yes, all-remote.",
    )
    assert run_cli(monkeypatch, *add, *common, "--json") == 0
    entry = json.loads(capsys.readouterr().out)
    assert entry["created_by"].startswith("cli:")
    assert run_cli(monkeypatch, *add, *common) == 1
    assert f"already answers it (entry {entry['id']}" in capsys.readouterr().err
    assert (
        run_cli(
            monkeypatch,
            "ai",
            "scorecard",
            "add",
            "--question",
            "q",
            "--answer",
            "a",
            "--kind",
            "x",
            *common,
        )
        == 2
    )
    capsys.readouterr()
    assert run_cli(monkeypatch, "ai", "scorecard", "list", *common, "--json") == 0
    assert [e["id"] for e in json.loads(capsys.readouterr().out)] == [entry["id"]]
    edit = ("ai", "scorecard", "edit", str(entry["id"]))
    assert run_cli(monkeypatch, *edit, "--answer", "Yes: all-remote, 30 countries.", *common) == 0
    assert f"Scorecard entry {entry['id']} saved [dictated]" in capsys.readouterr().out
    assert run_cli(monkeypatch, *edit, "--link", "nowhere", *common) == 1
    assert "error: link: expected an http(s) URL" in capsys.readouterr().err
    assert run_cli(monkeypatch, "ai", "scorecard", "edit", "999", *common) == 1
    assert "entry 999 does not exist" in capsys.readouterr().err

    (tmp_path / "extra").mkdir()
    (tmp_path / "extra" / "regions.md").write_text("# Regions\n\nExample Cloud runs in the EU.\n")
    assert (
        run_cli(monkeypatch, "ai", "content", "add-source", "extra", "--folder", "extra", *common)
        == 0
    )
    assert "Source extra added" in capsys.readouterr().out
    assert run_cli(monkeypatch, "ai", "content", "add-source", "up", "--folder", "..", *common) == 1
    assert "error: folder: " in capsys.readouterr().err
    assert run_cli(monkeypatch, "ai", "content", "index", "extra", *common) == 0
    assert "extra: 1 added" in capsys.readouterr().out

    with store.transaction() as session:
        record_visitor_question(
            session,
            conversation_id="c-9",
            question="Which regions host Example Cloud?",
            asked_at=datetime(2026, 12, 2, 15, tzinfo=UTC),
            draft=BuiltinResponder(store).draft_now("Which regions host Example Cloud?"),
        )
    assert run_cli(monkeypatch, "ai", "inbox", "list", *common, "--json") == 0
    [group] = json.loads(capsys.readouterr().out)
    assert run_cli(monkeypatch, "ai", "inbox", "promote", str(group["id"]), *common) == 0
    assert "promoted: Scorecard entry" in capsys.readouterr().out
    assert run_cli(monkeypatch, "ai", "inbox", "list", *common) == 0
    assert "The Inbox is empty" in capsys.readouterr().out

    assert run_cli(monkeypatch, "ai", "scorecard", "remove", str(entry["id"]), *common) == 0
    assert run_cli(monkeypatch, "ai", "scorecard", "remove", str(entry["id"]), *common) == 1
    assert f"entry {entry['id']} does not exist" in capsys.readouterr().err
