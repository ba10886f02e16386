"""Helpers the console's tests import (`from console_kit import ...`; conftest.py puts this
folder on the path): the test password, signing a client or a browser page in, the browser
page type and the types of the browser fixtures (`OpenBrowser`, `SignedIn`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

import httpx
from playwright.async_api import Page, expect

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

Loopback = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


async def sign_in(client: httpx.AsyncClient, name: str, password: str = PASSWORD) -> str:
    """Sign `client` in through the form; the session's CSRF token (from the next page)."""
    form = await client.get("/console/sign-in")
    token = CSRF.search(form.text)
    assert token, form.text
    answer = await client.post(
        "/console/sign-in",
        data={"name": name, "password": password, "csrf_token": token.group(1), "next": "/console"},
    )
    assert answer.status_code == 303, answer.text
    home = await client.get("/console")
    assert home.status_code == 200, home.text
    found = CSRF.search(home.text)
    assert found
    return found.group(1)


async def sign_in_as(page: Page, name: str, path: str, password: str = PASSWORD) -> None:
    """Open `path`, be sent to sign-in, sign in by the form's labels, land back on `path`."""
    await page.goto(path)
    await page.get_by_label("User name").fill(name)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", level=1)).to_be_visible()


@dataclass
class BrowserPage:
    """A browser page on the served console, and every non-loopback request it attempted."""

    page: object  # playwright.async_api.Page (typed loosely: tests annotate what they use)
    base_url: str
    blocked: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        """The absolute URL of a console path."""
        return self.base_url + path


OpenBrowser = Callable[..., AbstractAsyncContextManager[BrowserPage]]
"""The `console_browser` fixture: `async with console_browser(app) as browser:`."""
SignedIn = Callable[..., AbstractAsyncContextManager[Page]]
"""The `signed_in` fixture: `async with signed_in(app, name, role, path) as page:`."""
