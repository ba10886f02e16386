"""The chat pages in headless Chromium: a visitor appears live, Engage, presence (Q2, Q3, Q10).

The app is served on a loopback port; events arrive through the API while
the page is open, and the page shows them without a reload (server-sent
events). Nothing but 127.0.0.1 is reachable from the browser.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from console_kit import OpenBrowser, SignedIn, sign_in_as  # type: ignore[import-not-found]
from fastapi import FastAPI
from keyed import key_headers  # type: ignore[import-not-found]
from playwright.async_api import Page, expect
from test_chat_pages import ROUTING, identify  # type: ignore[import-not-found]

from handoff.config import HubConfig
from handoff.console.users import UserInfo
from handoff.server import create_app
from handoff.store import Store
from handoff_sdk import FakeClock


@pytest.fixture
async def app(store: Store, clock: FakeClock) -> AsyncIterator[FastAPI]:
    """The hub's app with two reps in [routing]; live parts re-rendered every 0.1 s."""
    built = create_app(store, config=HubConfig(routing=ROUTING), clock=clock)
    built.state.console.live_interval = 0.1
    yield built
    await built.state.intake.aclose()


async def test_q10_a_visitor_appears_live_and_the_rep_engages(
    app: FastAPI,
    store: Store,
    clock: FakeClock,
    console_browser: OpenBrowser,
    console_user: Callable[..., UserInfo],
) -> None:
    identify(store, clock, "v-1001", account_status="Actively Working", bdr_assigned_id="ana")
    identify(store, clock, "v-2002", account_status="Actively Working", bdr_assigned_id="bo")
    console_user("ana", "rep", rep="ana")
    async with console_browser(app) as browser:
        page: Page = browser.page  # type: ignore[assignment]
        await sign_in_as(page, "ana", "/console/live")
        await expect(page.get_by_role("heading", name="Live visitors")).to_be_visible()
        visitors = page.locator("#visitors")
        await expect(visitors).to_contain_text("No visitor from ana")
        # The website posts page views through the API while the page is open.
        async with httpx.AsyncClient(
            base_url=browser.base_url, headers=key_headers(store, "ingest")
        ) as api:
            for visitor in ("v-2002", "v-1001"):
                answer = await api.post(
                    "/v1/page-views",
                    json={
                        "id": f"pv-{visitor}",
                        "visitor_id": visitor,
                        "url": "https://site.test/",
                    },
                )
                assert answer.status_code == 202
        # It shows up without a reload; another rep's visitor does not.
        card = page.locator("#visitor-v-1001")
        await expect(card).to_contain_text("Account of v-1001")
        await expect(card).to_contain_text("Enterprise DevOps")
        await expect(page.locator("#visitor-v-2002")).to_have_count(0)
        await card.get_by_role("button", name="Engage the visitor from Account of v-1001").click()
        await expect(page.locator("#engaged")).to_contain_text(
            "Conversation started with visitor v-1001"
        )
        await expect(page.locator("#engaged")).to_contain_text("pounce:")


async def test_q3_a_rep_sets_presence_and_ops_see_it_change_live(
    app: FastAPI,
    store: Store,
    console_browser: OpenBrowser,
    console_user: Callable[..., UserInfo],
) -> None:
    console_user("ana", "rep", rep="ana")
    console_user("olga", "ops")
    async with console_browser(app) as browser:
        page: Page = browser.page  # type: ignore[assignment]
        await sign_in_as(page, "ana", "/console/reps")
        await page.get_by_label("Away").check()
        await page.get_by_role("button", name="Set status").click()
        await expect(page.get_by_role("status")).to_contain_text("Your status is now away")
        await page.get_by_role("button", name="Sign out").click()
        await sign_in_as(page, "olga", "/console/reps")
        ana = page.locator("#rep-ana")
        await expect(ana).to_contain_text("away")
        await expect(ana).to_contain_text("Europe/Paris")
        # Ana goes online from her phone (the API) while ops look: the table follows.
        async with httpx.AsyncClient(
            base_url=browser.base_url, headers=key_headers(store, "rep", rep="ana")
        ) as api:
            answer = await api.put("/v1/reps/ana/status", json={"status": "online"})
            assert answer.status_code == 200, answer.text
        await expect(page.locator("#rep-ana")).to_contain_text("online")


async def test_the_pages_fit_a_phone_without_scrolling_sideways(
    app: FastAPI,
    store: Store,
    clock: FakeClock,
    signed_in: SignedIn,
) -> None:
    identify(store, clock, "v-1001", account_status="Actively Working", bdr_assigned_id="ana")
    async with signed_in(
        app, "olga", "ops", "/console/reps", viewport={"width": 390, "height": 844}
    ) as page:
        for path in ("/console/reps", "/console/live?rep=ana", "/console"):
            await page.goto(path)
            await expect(page.get_by_role("navigation", name="Console pages")).to_be_visible()
            overflow = await page.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 0, f"{path} is {overflow}px wider than a phone"
