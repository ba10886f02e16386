"""The Experiences page over HTTP (Q8): the AI twins, rollback and restore audited with the
signed-in user, the audit trail; ops only; CSRF."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from console_kit import sign_in  # type: ignore[import-not-found]
from fastapi import FastAPI
from sqlalchemy import select

from handoff.config import HubConfig
from handoff.console.users import UserInfo
from handoff.server import create_app
from handoff.store import Audit, Store
from handoff_sdk import FakeClock

EXPERIENCES: list[dict[str, Any]] = [
    {"id": "home", "name": "Home", "pages": ["/"], "twin": "home-ai", "enabled": False},
    {"id": "home-ai", "name": "Home - AI", "mode": "ai_first", "pages": ["/"]},
    {"id": "fr-home", "name": "[FR] Home", "language": "fr", "pages": ["/"]},
]


@pytest.fixture
async def app(store: Store, clock: FakeClock) -> AsyncIterator[FastAPI]:
    """The hub's app with an AI experience and its twin."""
    built = create_app(store, config=HubConfig(experiences=EXPERIENCES), clock=clock)
    yield built
    await built.state.intake.aclose()


def text_of(answer: httpx.Response) -> str:
    """The page's main part as text: no tags, unescaped."""
    return " ".join(
        html.unescape(re.sub(r"<[^>]+>", " ", answer.text.split("<main", 1)[-1])).split()
    )


def live(page: str, name: str) -> str:
    """'on' or 'off': the Live column of the experience called `name`."""
    found = re.search(rf"{re.escape(name)} \([^)]*\) (on|off)", page)
    assert found, page
    return found.group(1)


async def test_q8_ops_roll_back_and_restore_ai_audited_in_their_name(
    store: Store, console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo]
) -> None:
    console_user("olga", "ops")
    csrf = await sign_in(console_client, "olga")
    page = text_of(await console_client.get("/console/experiences"))
    assert (live(page, "Home - AI"), live(page, "Home")) == ("on", "off")
    assert "Home - AI (home-ai) on AI Home en" in page  # its kind and its twin
    forged = await console_client.post("/console/experiences/rollback")
    assert forged.status_code == 403
    assert live(text_of(await console_client.get("/console/experiences")), "Home - AI") == "on"
    rolled = await console_client.post("/console/experiences/rollback", data={"csrf_token": csrf})
    assert rolled.status_code == 303
    page = text_of(await console_client.get(rolled.headers["location"]))
    assert "Rolled back: 2 experiences switched" in page
    assert (live(page, "Home - AI"), live(page, "Home")) == ("off", "on")
    assert live(page, "[FR] Home") == "on"  # not a twin: untouched
    assert "console:olga rolled back AI: Home - AI off, Home on" in page
    again = await console_client.post("/console/experiences/rollback", data={"csrf_token": csrf})
    assert "already in that state" in text_of(await console_client.get(again.headers["location"]))
    restored = await console_client.post("/console/experiences/restore", data={"csrf_token": csrf})
    page = text_of(await console_client.get(restored.headers["location"]))
    assert (live(page, "Home - AI"), live(page, "Home")) == ("on", "off")
    assert "console:olga restored AI: Home - AI on, Home off" in page
    with store.sessions() as session:
        actions = [
            (a.actor, a.action)
            for a in session.scalars(select(Audit).where(Audit.action.like("experiences.%")))
        ]
    assert actions == [
        ("console:olga", "experiences.rollback_ai"),
        ("console:olga", "experiences.rollback_ai"),
        ("console:olga", "experiences.restore_ai"),
    ]
    assert (
        await console_client.post("/console/experiences/explode", data={"csrf_token": csrf})
    ).status_code == 404


async def test_a_rep_cannot_roll_back(
    console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo]
) -> None:
    console_user("ana", "rep", rep="ana")
    csrf = await sign_in(console_client, "ana")
    assert (await console_client.get("/console/experiences")).status_code == 403
    refused = await console_client.post("/console/experiences/rollback", data={"csrf_token": csrf})
    assert refused.status_code == 403
