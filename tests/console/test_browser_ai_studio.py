"""AI Studio's pages in headless Chromium (Q7): Content, Scorecard, and an Inbox group promoted,
then answered from the Scorecard in a visitor's next conversation. The network is cut off but
for 127.0.0.1, as in every browser test."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from console_kit import OpenBrowser, SignedIn, sign_in_as  # type: ignore[import-not-found]
from fastapi import FastAPI
from keyed import key_headers  # type: ignore[import-not-found]
from playwright.async_api import Page, expect
from test_ai_studio_pages import (  # type: ignore[import-not-found]
    STARTUP,
    STARTUP_ANSWER,
    app,  # noqa: F401 - the fixture: the hub with the AI flow on
    start_and_ask,
    studio_config,  # noqa: F401 - a fixture
)

from handoff.console.users import UserInfo
from handoff.store import Store


async def test_q7_ops_add_a_source_and_reindex_it_in_the_browser(
    app: FastAPI,  # noqa: F811 - the imported fixture
    signed_in: SignedIn,
) -> None:
    async with signed_in(app, "olga", "ops", "/console/ai/content") as page:
        await page.get_by_role("link", name="AI content").click()
        await page.get_by_role("button", name="Re-index demo").click()
        await expect(page.get_by_role("status")).to_contain_text("Indexed demo")
        await expect(page.locator("#source-demo")).to_contain_text("21")
        await expect(page.locator("#documents")).to_contain_text("1 to 8 of 8 documents")

        await page.get_by_label("Name").fill("Extra")
        await page.get_by_label("Folder or sitemap URL").fill("extra")
        await page.get_by_role("button", name="Add source").click()
        name = page.get_by_label("Name")
        await expect(name).to_have_attribute("aria-invalid", "true")
        await expect(page.locator("#name-error")).to_contain_text("name: ")
        await name.fill("extra")
        await page.get_by_role("button", name="Add source").click()
        await expect(page.get_by_role("status")).to_contain_text("Source extra added")
        await page.get_by_role("button", name="Re-index extra").click()
        await expect(page.locator("#source-extra")).to_contain_text("console")
        await page.locator("#source-extra").get_by_role("link", name="extra").click()
        await expect(page.locator("#documents")).to_contain_text("1 to 1 of 1 document")
        await expect(page.locator(".trail li").first).to_contain_text(
            "console:olga indexed extra: 1 added"
        )


async def test_q7_ops_add_edit_and_remove_a_scorecard_entry_in_the_browser(
    app: FastAPI,  # noqa: F811
    signed_in: SignedIn,
) -> None:
    phone = {"width": 390, "height": 844}
    async with signed_in(app, "olga", "ops", "/console/ai/scorecard", viewport=phone) as page:
        await page.get_by_label("Question", exact=True).fill("What is it?")
        await page.get_by_label("Answer", exact=True).fill("A platform.")
        await page.get_by_role("button", name="Add to the Scorecard").click()
        await expect(page.get_by_role("alert")).to_contain_text("Not added: question: ")
        await expect(page.get_by_label("Question", exact=True)).to_have_attribute(
            "aria-invalid", "true"
        )
        await page.get_by_label("Question", exact=True).fill("Is there an on-premises version?")
        await page.get_by_role("button", name="Add to the Scorecard").click()
        await expect(page.get_by_role("status")).to_contain_text("Scorecard entry 1 added.")
        entry = page.locator("#entry-1")
        await expect(entry).to_contain_text("A platform.")
        await entry.get_by_role("link", name="Edit entry 1").click()
        await page.get_by_label("Answer", exact=True).fill(
            "Yes: self-managed, on your own servers."
        )
        await page.get_by_label("Kind", exact=True).select_option("edited")
        await page.get_by_role("button", name="Save entry 1").click()
        await expect(page.get_by_role("status")).to_contain_text("Scorecard entry 1 saved.")
        await expect(entry).to_contain_text("on your own servers")
        await expect(entry).to_contain_text("edited")
        await entry.get_by_role("button", name="Remove entry 1").click()
        await expect(page.get_by_role("status")).to_contain_text("Scorecard entry 1 removed.")
        await expect(page.locator("#entry-1")).to_have_count(0)
        await expect(page.locator(".trail li").first).to_contain_text("console:olga removed")


async def test_q7_ops_promote_an_inbox_group_and_the_next_visitor_gets_that_answer(
    app: FastAPI,  # noqa: F811
    store: Store,
    console_browser: OpenBrowser,
    console_user: Callable[..., UserInfo],
) -> None:
    """Q7: visitors ask (the public conversation API); the Inbox groups and counts them; ops
    promote the group with the answer they approve in one step; the next visitor gets it."""
    console_user("olga", "ops")
    async with console_browser(app) as browser:
        async with httpx.AsyncClient(
            base_url=browser.base_url, headers=key_headers(store, "ingest")
        ) as api:
            await start_and_ask(api, "c-1", STARTUP)
            await start_and_ask(api, "c-2", "Is there a program for startups?")
        page: Page = browser.page  # type: ignore[assignment]
        await sign_in_as(page, "olga", "/console/ai/inbox")
        group = page.locator(".group", has_text=STARTUP)
        await expect(group).to_contain_text("asked 2 times")
        await expect(group.locator(".samples")).to_contain_text("Is there a program for startups?")
        await group.get_by_label("Approved answer").fill(STARTUP_ANSWER)
        await group.get_by_role("button", name="Promote").click()
        await expect(page.get_by_role("status")).to_contain_text("promoted: Scorecard entry 1")
        await expect(page.locator(".group", has_text=STARTUP)).to_have_count(0)
        await page.get_by_role("link", name="See the Scorecard").click()
        await expect(page.locator("#entry-1")).to_contain_text(STARTUP_ANSWER)
        async with httpx.AsyncClient(
            base_url=browser.base_url, headers=key_headers(store, "ingest")
        ) as api:
            after = await start_and_ask(api, "c-3", "Any startup programs on offer?")
        assert after["reply"] == STARTUP_ANSWER
