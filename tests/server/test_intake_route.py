"""The intake's own route class (handoff.server.intake_route) answers every request exactly as
FastAPI's generic handler does: each request below goes to the hub's app and to the same app
built with plain `APIRoute`s, each on its own fresh store, and the answers must be identical
(status, body, the refusal headers). The fast path only skips work; it decides nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from handoff.api_keys import create_key
from handoff.server import app as app_module
from handoff.server import create_app
from handoff.server.intake_route import IntakeRoute
from handoff.store import Store, upgrade
from handoff_sdk import FakeClock

GOOD = {"id": "pv-1", "visitor_id": "v-1", "url": "https://www.example.test/pricing"}

# (name, content type or None, body bytes, which key: "ingest", "ops", "unknown", "basic", None)
CASES: list[tuple[str, str | None, bytes, str | None]] = [
    ("accepted", "application/json", json.dumps(GOOD).encode(), "ingest"),
    (
        "accepted with a charset",
        "application/json; charset=utf-8",
        json.dumps(GOOD).encode(),
        "ingest",
    ),
    ("accepted as +json", "application/vnd.hub+json", json.dumps(GOOD).encode(), "ingest"),
    ("text/plain", "text/plain", json.dumps(GOOD).encode(), "ingest"),
    ("no content type", None, json.dumps(GOOD).encode(), "ingest"),
    ("not JSON, no key", "application/json", b'{"id": "pv-1",', None),
    ("not JSON", "application/json", b'{"id": "pv-1",', "ingest"),
    ("not UTF-8", "application/json", b'{"id": "\xff\xfe"}', "ingest"),
    ("empty body", "application/json", b"", "ingest"),
    ("empty body, no key", "application/json", b"", None),
    ("bad field, no key", "application/json", json.dumps({**GOOD, "url": 5}).encode(), None),
    ("bad field", "application/json", json.dumps({**GOOD, "url": 5}).encode(), "ingest"),
    ("unknown field", "application/json", json.dumps({**GOOD, "x": 1}).encode(), "ingest"),
    ("a list", "application/json", b"[1, 2]", "ingest"),
    ("null", "application/json", b"null", "ingest"),
    (
        "time as a number",
        "application/json",
        json.dumps({**GOOD, "occurred_at": 0}).encode(),
        "ingest",
    ),
    ("no key", "application/json", json.dumps(GOOD).encode(), None),
    ("unknown key", "application/json", json.dumps(GOOD).encode(), "unknown"),
    ("basic auth", "application/json", json.dumps(GOOD).encode(), "basic"),
    ("wrong scope", "application/json", json.dumps(GOOD).encode(), "ops"),
]


_TOKENS: dict[str, dict[str, str]] = {}
"""The keys made on each test store (by its URL: a fresh folder per test), by scope."""


def _auth(store: Store, which: str | None) -> dict[str, str]:
    if which in ("ingest", "ops"):  # named alike on both stores: a 403 names the key
        tokens = _TOKENS.setdefault(store.url, {})
        if which not in tokens:
            made = create_key(store, f"{which}-key", (which,), now=FakeClock().now(), actor="test")
            tokens[which] = made.token
        return {"Authorization": f"Bearer {tokens[which]}"}
    if which == "unknown":
        return {"Authorization": "Bearer hk_nothere_0123456789abcdef0123456789abcdef"}
    if which == "basic":
        return {"Authorization": "Basic dXNlcjpwYXNz"}
    return {}


def _fresh_store(folder: Path) -> Store:
    folder.mkdir()
    store = Store(f"sqlite:///{folder / 'handoff.db'}")
    upgrade(store)
    return store


async def _answer(
    app: FastAPI, store: Store, case: tuple[str, str | None, bytes, str | None]
) -> Any:
    _name, content_type, body, key = case
    headers = {**_auth(store, key), **({"Content-Type": content_type} if content_type else {})}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        answer = await client.post("/v1/page-views", content=body, headers=headers)
    refusal = {k: answer.headers.get(k) for k in ("www-authenticate", "content-type")}
    return answer.status_code, answer.json(), refusal


@pytest.fixture
async def pair(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[tuple[FastAPI, Store], tuple[FastAPI, Store]]]:
    """The hub's app, and the same app whose intake routes are FastAPI's plain APIRoute."""
    fast_store, plain_store = _fresh_store(tmp_path / "fast"), _fresh_store(tmp_path / "plain")
    fast = create_app(fast_store, clock=clock)
    monkeypatch.setattr(app_module, "IntakeRoute", APIRoute)
    plain = create_app(plain_store, clock=clock)
    yield (fast, fast_store), (plain, plain_store)
    for app, store in ((fast, fast_store), (plain, plain_store)):
        await app.state.intake.aclose()
        store.dispose()


def test_the_intake_routes_use_the_intake_route_class(app: FastAPI) -> None:
    intake = [r for r in app.routes if isinstance(r, APIRoute) and r.path.startswith("/v1/")]
    page_views = next(r for r in intake if r.path == "/v1/page-views")
    assert isinstance(page_views, IntakeRoute)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
async def test_every_answer_is_fastapis_own(
    pair: tuple[tuple[FastAPI, Store], tuple[FastAPI, Store]],
    case: tuple[str, str | None, bytes, str | None],
) -> None:
    (fast, fast_store), (plain, plain_store) = pair
    assert await _answer(fast, fast_store, case) == await _answer(plain, plain_store, case)


async def test_a_repeated_event_is_a_duplicate_on_both(
    pair: tuple[tuple[FastAPI, Store], tuple[FastAPI, Store]],
) -> None:
    (fast, fast_store), (plain, plain_store) = pair
    case = CASES[0]
    answers = [
        [await _answer(app, store, case) for _ in range(2)]
        for app, store in ((fast, fast_store), (plain, plain_store))
    ]
    assert answers[0] == answers[1]
    assert [a[1]["duplicate"] for a in answers[0]] == [False, True]


async def test_a_route_class_without_an_intake_model_or_scopes_is_refused() -> None:
    async def receive(body: Any) -> Any:
        return body

    receive.__annotations__["body"] = dict
    with pytest.raises(TypeError, match="body: IntakeModel"):
        IntakeRoute("/v1/x", receive, methods=["POST"])
