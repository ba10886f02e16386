"""What the console's tests share: users, signed-in HTTP clients, and a real browser.

- `console_user(name, role, rep=None)`: a console user on the test store
  (password `PASSWORD`).
- `sign_in(client, name)`: sign a client in through the form, as a browser
  does (CSRF token from the page); returns the CSRF token of the session.
- `console_browser(app)`: the app served on a loopback port (the suite's
  `loopback` helper) and a page of headless Chromium (Debian's
  /usr/bin/chromium, driven by Playwright) that can reach nothing but
  127.0.0.1: every other request is aborted and recorded, and the fixture
  fails the test if one was attempted (the console works with the network
  cut off). A missing browser FAILS the test, it does not skip.
- `signed_in(app, name, role, path, rep=None, viewport=None)`: `console_browser`
  with a new console user of that role signed in through the form, on `path`
  (the page, `async with signed_in(...) as page:`).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from handoff.console.users import UserInfo, add_user

# The tests share console_kit.py (importlib import mode puts no test folder on the path).
sys.path.insert(0, str(Path(__file__).parent))

from console_kit import (  # type: ignore[import-not-found]
    PASSWORD,
    BrowserPage,
    Loopback,
    OpenBrowser,
    SignedIn,
    sign_in_as,
)

from handoff.store import Store
from handoff_sdk import FakeClock

CHROMIUM = Path(os.environ.get("HANDOFF_TEST_CHROMIUM", "/usr/bin/chromium"))
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})


@pytest.fixture
def console_user(store: Store, clock: FakeClock) -> Callable[..., UserInfo]:
    """`console_user(name, role, rep=None)`: add a console user whose password is PASSWORD."""

    def add(name: str, role: str, rep: str | None = None) -> UserInfo:
        return add_user(store, name, PASSWORD, role, rep_id=rep, now=clock.now(), actor="test")

    return add


@pytest.fixture
async def console_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `app` in-process, with no key: the console authenticates by its cookie."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hub.test"
    ) as client:
        yield client


def _chromium_or_fail() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(
            f"the browser tests need Chromium at {CHROMIUM} (Debian's package: apt-get install "
            "chromium; .ci/run installs it as root). They must run, not skip.",
            pytrace=False,
        )
    return CHROMIUM


@pytest.fixture
def console_browser(
    loopback: Loopback,
) -> Callable[[FastAPI], AbstractAsyncContextManager[BrowserPage]]:
    """`async with console_browser(app) as bp:` the app on 127.0.0.1 and a Chromium page on it."""
    executable = _chromium_or_fail()

    @contextlib.asynccontextmanager
    async def open_page(
        app: FastAPI, *, viewport: dict[str, int] | None = None
    ) -> AsyncIterator[BrowserPage]:
        from playwright.async_api import Route, async_playwright  # noqa: PLC0415 - browser tests only

        async with loopback(app, headers={}) as client:
            base = str(client.base_url).rstrip("/")
            async with async_playwright() as driver:
                browser = await driver.chromium.launch(
                    executable_path=str(executable),
                    headless=True,
                    # No DNS, no proxy: a request to another host cannot leave the machine.
                    args=[
                        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                        "--no-proxy-server",
                        "--disable-background-networking",
                        "--disable-component-update",
                    ],
                )
                context = await browser.new_context(
                    viewport=viewport or {"width": 1280, "height": 800}, base_url=base
                )
                found = BrowserPage(page=None, base_url=base)

                async def gate(route: Route) -> None:
                    host = urlsplit(route.request.url).hostname or ""
                    if host in LOOPBACK_HOSTS:
                        await route.continue_()
                    else:
                        found.blocked.append(route.request.url)
                        await route.abort("internetdisconnected")

                await context.route("**/*", gate)
                found.page = await context.new_page()
                try:
                    yield found
                finally:
                    await context.close()
                    await browser.close()
            assert found.blocked == [], f"the console asked another host: {found.blocked}"

    return open_page


@pytest.fixture
def signed_in(console_browser: OpenBrowser, console_user: Callable[..., UserInfo]) -> SignedIn:
    """`async with signed_in(app, "olga", "ops", "/console/jobs") as page:` a new console user
    of that role (`rep=` for a rep's), signed in through the form in Chromium, on `path`."""

    @contextlib.asynccontextmanager
    async def open_as(
        app: FastAPI,
        name: str,
        role: str,
        path: str,
        *,
        rep: str | None = None,
        viewport: dict[str, int] | None = None,
    ) -> AsyncIterator[Any]:
        console_user(name, role, rep)
        async with console_browser(app, viewport=viewport) as browser:
            await sign_in_as(browser.page, name, path)
            yield browser.page

    return open_as
