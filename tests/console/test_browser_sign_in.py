"""The console in headless Chromium: sign in, move by keyboard, sign out; nothing remote."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from console_kit import PASSWORD, OpenBrowser  # type: ignore[import-not-found]
from fastapi import FastAPI
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, expect

from handoff.console.users import UserInfo


async def test_sign_in_by_keyboard_then_sign_out(
    app: FastAPI, console_browser: OpenBrowser, console_user: Callable[..., UserInfo]
) -> None:
    console_user("olga", "ops")
    async with console_browser(app) as browser:
        page: Page = browser.page  # type: ignore[assignment]
        await page.goto("/console")
        # Not signed in: the sign-in form, its fields found by their labels.
        await expect(page).to_have_url(browser.url("/console/sign-in?next=%2Fconsole"))
        await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        await page.get_by_label("User name").fill("olga")
        await page.get_by_label("Password").fill("not the password")
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("alert")).to_contain_text("do not match")
        # By keyboard only: the name field keeps the name, Tab to the password, Enter.
        await page.get_by_label("Password").focus()
        await page.keyboard.type(PASSWORD)
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", name="Welcome, olga")).to_be_visible()
        assert await page.get_by_role("navigation", name="Console pages").count() == 1
        assert await page.get_by_role("main").count() == 1
        # The first Tab reaches the skip link, which moves focus to the main content.
        await page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to content")
        await expect(skip).to_be_focused()
        # The htmx and SSE scripts loaded (from the hub itself).
        assert await page.evaluate("typeof htmx === 'object' && htmx.version") == "2.0.11"
        await page.get_by_role("button", name="Sign out").click()
        await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        await page.goto("/console")
        await expect(page).to_have_url(browser.url("/console/sign-in?next=%2Fconsole"))
        # The fixture's gate: a request to another host is aborted and recorded (and the
        # fixture fails the test at its end when one was attempted; cleared here, on purpose).
        with pytest.raises(PlaywrightError):
            await page.goto("https://cdn.example.test/htmx.js")
        assert browser.blocked == ["https://cdn.example.test/htmx.js"]
        browser.blocked.clear()
