"""Connector health in headless Chromium over a loopback socket: ops open Connectors from
the navigation and read a throttled, retried call and a failed one as /metrics counts them."""

from __future__ import annotations

import pytest
from console_kit import SignedIn  # type: ignore[import-not-found]
from fastapi import FastAPI
from playwright.async_api import expect
from test_connectors_page import Vendor, app, hub, vendor  # type: ignore[import-not-found]

from handoff.hub import Hub
from handoff_sdk.errors import AuthError

__all__ = ["app", "hub", "vendor"]  # the fixtures: the app over a hub with the echo connector


async def test_ops_read_each_connectors_calls_throttles_and_retries_in_the_browser(
    app: FastAPI,
    hub: Hub,
    vendor: Vendor,
    signed_in: SignedIn,
) -> None:
    """A throttled try retried then answered, and a call failing on a 401: the page says so."""
    vendor.script = [429]
    assert await hub.match_account("echo", email_domain="acme.test", website=None)
    vendor.script = [401]  # refused credentials: not retried, the call fails
    with pytest.raises(AuthError):
        await hub.match_account("echo", email_domain="acme.test", website=None)
    async with signed_in(app, "olga", "ops", "/console") as page:
        nav = page.get_by_role("navigation", name="Console pages")
        await nav.get_by_role("link", name="Connectors").click()
        await expect(page.get_by_role("heading", name="Connectors", level=1)).to_be_visible()
        # 2 calls, 1 failed; 3 HTTP tries (throttled, ok, auth refused), 1 throttled, 1 retried.
        summary = page.locator("#connector-echo")
        await expect(summary).to_contain_text("echo errors 2 1 50.0 % 3 1 1")
        tries = page.locator("#tries-echo")
        for outcome, counts in (("throttled", "1 1"), ("ok", "1 0"), ("auth refused", "1 0")):
            await expect(tries.get_by_role("row", name=f"{outcome} {counts}")).to_be_visible()
    assert vendor.calls == 3
