"""docs/api.md documents every operation of the OpenAPI document, and /docs works offline."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from handoff.config import HubConfig
from handoff.server import create_app
from handoff.store import Store
from handoff_sdk import FakeClock

API_DOC = Path(__file__).parents[2] / "docs" / "api.md"


@pytest.fixture
async def app(store: Store, clock: FakeClock) -> AsyncIterator[FastAPI]:
    """The assembled app: every built-in flow's routes."""
    built = create_app(store, config=HubConfig(), clock=clock)
    yield built
    await built.state.intake.aclose()


def test_every_operation_is_documented_with_an_example(app: FastAPI) -> None:
    """Each METHOD /path of /openapi.json has its heading in docs/api.md, with an example."""
    text = API_DOC.read_text(encoding="utf-8")
    sections = re.split(r"^#### ", text, flags=re.MULTILINE)
    headed = {section.splitlines()[0]: section for section in sections[1:]}
    missing = []
    for path, methods in app.openapi()["paths"].items():
        for method in methods:
            operation = f"{method.upper()} {path}"
            section = next((s for head, s in headed.items() if operation in head), None)
            if section is None:
                missing.append(operation)
                continue
            assert re.search(r"`[1-5]\d\d`", section), f"{operation}: no example answer"
            if method in ("post", "put"):
                assert "{" in section, f"{operation}: no example body"
    assert not missing, f"document these in docs/api.md (#### `METHOD /path`): {missing}"


async def test_docs_load_nothing_from_another_host(app: FastAPI) -> None:
    """/docs and /redoc reference only this server; their scripts and styles are served here."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        for page in ("/docs", "/redoc"):
            answer = await client.get(page)
            assert answer.status_code == 200
            html = answer.text
            assert not re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html), page
            assets = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", html)
            assert assets, page
            for asset in assets:
                assert asset.startswith("/"), asset
                fetched = await client.get(asset)
                assert fetched.status_code == 200, asset
                assert len(fetched.content) > 100, asset
        openapi = re.findall(r"""url: ?['"]([^'"]+)['"]""", (await client.get("/docs")).text)
        assert openapi == ["/openapi.json"]
