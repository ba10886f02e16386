"""The Rules page over HTTP: a day of chat traffic replayed against a candidate (Q3d), uploaded
or picked; bad files named, never a traceback; ops only; CSRF.

The day is the replay tests' (tests/replay/chat_day.py): lived by the hub
over a socket, exported with `handoff events export`. The candidate sends
German chats to the partner desk: exactly those move, Cy's load goes up by
their number.
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from console_kit import PASSWORD, sign_in  # type: ignore[import-not-found]
from fastapi import FastAPI

from handoff.cli import cli
from handoff.config import load_config
from handoff.console.users import add_user
from handoff.server import create_app
from handoff.store import Store
from handoff_sdk import FakeClock

sys.path.insert(0, str(Path(__file__).parents[1] / "replay"))

from chat_day import CHATS, MORNING, live_day, write_configs  # type: ignore[import-not-found]

GERMAN = sum(1 for _, language, _ in CHATS if language == "de")


def text_of(answer: httpx.Response) -> str:
    """The page's main part as text: no tags, unescaped, spaces squeezed."""
    return " ".join(
        html.unescape(re.sub(r"<[^>]+>", " ", answer.text.split("<main", 1)[-1])).split()
    )


@pytest.fixture
async def day(tmp_path: Path, loopback: Any) -> AsyncIterator[tuple[FastAPI, Path]]:
    """The app over the day's store and handoff.toml, with events.jsonl exported beside it."""
    live, _candidate = write_configs(tmp_path)
    store = await live_day(live, loopback)
    exported = CliRunner().invoke(
        cli,
        [
            *("events", "export", "--config", str(live), "--since", "2026-01-05"),
            *("--until", "2026-01-06", "--output", str(tmp_path / "events.jsonl")),
        ],
        catch_exceptions=False,
    )
    assert exported.exit_code == 0, exported.output
    clock = FakeClock(MORNING)
    for name, role in (("olga", "ops"), ("ana", "rep")):
        add_user(
            store,
            name,
            PASSWORD,
            role,
            rep_id="ana" if role == "rep" else None,
            now=clock.now(),
            actor="test",
        )
    app = create_app(store, config=load_config(live), clock=clock)
    yield app, tmp_path
    await app.state.intake.aclose()
    store.dispose()


@pytest.fixture
async def ops(day: tuple[FastAPI, Path]) -> AsyncIterator[tuple[httpx.AsyncClient, str, Path]]:
    """A client signed in as ops on the day's app, its CSRF token, and the day's folder."""
    app, folder = day
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hub.test"
    ) as client:
        yield client, await sign_in(client, "olga"), folder


def assert_german_chats_moved(page: str) -> None:
    """The report: routing changes, Cy's and the partner pool's load up by the German chats."""
    assert "would change" in page
    assert "pool: sales -> partners" in page
    assert f"partners 0 {GERMAN} +{GERMAN}" in page  # load per pool: before, after, change
    assert "Load per rep" in page


async def test_q3d_ops_replay_an_uploaded_day_against_an_uploaded_candidate(
    ops: tuple[httpx.AsyncClient, str, Path],
) -> None:
    client, csrf, folder = ops
    page = await client.get("/console/rules")
    assert page.status_code == 200
    assert "candidate.toml" in page.text  # offered to pick: the files beside handoff.toml
    answer = await client.post(
        "/console/rules/replay",
        data={"csrf_token": csrf},
        files={
            "candidate": ("partners.toml", (folder / "candidate.toml").read_bytes()),
            "traffic": ("monday.jsonl", (folder / "events.jsonl").read_bytes()),
        },
    )
    assert answer.status_code == 200, answer.text
    page_text = text_of(answer)
    assert "Replay of monday.jsonl with partners.toml" in page_text
    assert_german_chats_moved(page_text)
    picked = await client.post(
        "/console/rules/replay",
        data={
            "csrf_token": csrf,
            "candidate_pick": "candidate.toml",
            "traffic_pick": "events.jsonl",
        },
    )
    assert picked.status_code == 200, picked.text
    assert_german_chats_moved(text_of(picked))
    # Only the files beside handoff.toml can be picked.
    sneaky = await client.post(
        "/console/rules/replay",
        data={"csrf_token": csrf, "candidate_pick": "../hub.db", "traffic_pick": "events.jsonl"},
    )
    assert sneaky.status_code == 400
    assert "candidate: no file '../hub.db' to pick" in text_of(sneaky)


@pytest.mark.parametrize(
    ("candidate", "traffic", "message"),
    [
        ("[routing\n", None, "partners.toml: not valid TOML"),
        ('[store]\nurl = "sqlite://"\n', None, "a candidate holds flow tables only"),
        ("[routing]\nai_rep = 5\n", None, "partners.toml: routing.ai_rep"),
        (
            None,
            '{"kind": "header", "format": "handoff.events", "version": 1}\n{oops\n',
            "monday.jsonl:2: not valid JSON",
        ),
        (
            None,
            '{"kind": "event", "at": "2026-01-05T08:00:00Z", "payload": {}}\n',
            "monday.jsonl:1: source: required, a non-empty string",
        ),
        (
            None,
            '{"kind": "header", "format": "handoff.events", "version": 9}\n',
            "monday.jsonl:1: version: this handoff reads version 1",
        ),
        (None, "\n", "traffic: monday.jsonl holds no event"),
        (None, b"\xff\xfe", "traffic: monday.jsonl is not UTF-8 text"),
    ],
)
async def test_a_bad_candidate_or_traffic_file_is_named_not_a_traceback(
    tmp_path: Path,
    store: Store,
    clock: FakeClock,
    *,
    candidate: str | None,
    traffic: str | bytes | None,
    message: str,
) -> None:
    live, good = write_configs(tmp_path)
    add_user(store, "olga", PASSWORD, "ops", now=clock.now(), actor="test")
    app = create_app(store, config=load_config(live), clock=clock)
    events = '{"kind": "header", "format": "handoff.events", "version": 1}\n'
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hub.test"
    ) as client:
        csrf = await sign_in(client, "olga")
        answer = await client.post(
            "/console/rules/replay",
            data={"csrf_token": csrf},
            files={
                "candidate": (
                    "partners.toml",
                    candidate if candidate is not None else good.read_text(),
                ),
                "traffic": ("monday.jsonl", traffic if traffic is not None else events),
            },
        )
    await app.state.intake.aclose()
    assert answer.status_code == 400, answer.text
    assert message in text_of(answer)
    assert "Traceback" not in answer.text


async def test_the_rules_page_is_ops_only_and_its_form_needs_the_csrf_token(
    day: tuple[FastAPI, Path],
) -> None:
    app, _folder = day
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hub.test"
    ) as client:
        csrf = await sign_in(client, "ana")
        assert (await client.get("/console/rules")).status_code == 403
        assert (await client.get("/console/rules/shadow")).status_code == 403
        refused = await client.post(
            "/console/rules/replay",
            data={"csrf_token": csrf, "candidate_pick": "candidate.toml"},
        )
        assert refused.status_code == 403
        client.cookies.clear()
        await sign_in(client, "olga")
        forged = await client.post(
            "/console/rules/replay",
            data={"candidate_pick": "candidate.toml", "traffic_pick": "events.jsonl"},
        )
        assert forged.status_code == 403
        assert "security token" in text_of(forged)
        no_shadow = await client.get("/console/rules/shadow")
        assert no_shadow.status_code == 409
        assert "no [shadow] table" in text_of(no_shadow)


async def test_q3d_the_shadow_report_shows_where_the_shadow_decided_otherwise(
    tmp_path: Path, loopback: Any
) -> None:
    live, _candidate = write_configs(tmp_path)
    live.write_text(
        live.read_text().replace("[routing]", '[shadow]\nconfig = "candidate.toml"\n\n[routing]', 1)
    )
    store = await live_day(live, loopback)
    clock = FakeClock(MORNING)
    clock.advance(12 * 3600)
    add_user(store, "olga", PASSWORD, "ops", now=clock.now(), actor="test")
    app = create_app(store, config=load_config(live), clock=clock)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://hub.test"
        ) as client:
            await sign_in(client, "olga")
            assert "The shadow's report" in (await client.get("/console/rules")).text
            answer = await client.get("/console/rules/shadow?window=24h")
            assert answer.status_code == 200, answer.text
            page = text_of(answer)
            assert "decided by the live hub and the shadow (candidate.toml)" in page
            assert "pool: sales -> partners" in page
            assert f"partners 0 {GERMAN} +{GERMAN}" in page
            assert (await client.get("/console/rules/shadow?window=1y")).status_code == 400
    finally:
        await app.state.intake.aclose()
        store.dispose()
