"""Helpers the console's tests import (`from console_kit import ...`; conftest.py puts this
folder on the path): the test password, signing a client in, the browser page type."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

import httpx

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


@dataclass
class BrowserPage:
    """A browser page on the served console, and every non-loopback request it attempted."""

    page: object  # playwright.async_api.Page (typed loosely: tests annotate what they use)
    base_url: str
    blocked: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        """The absolute URL of a console path."""
        return self.base_url + path
