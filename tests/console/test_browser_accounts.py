"""The accounts flow's pages in headless Chromium: Account tiers (P2, P3) and Cases (P6).
The network is cut off but for 127.0.0.1, as in every browser test; the worker is run by the
test between what the user does (`drain`), as `handoff worker` would."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from accounts_kit import Connectors, config, drain, first_run  # type: ignore[import-not-found]
from console_kit import SignedIn  # type: ignore[import-not-found]
from fastapi import FastAPI
from playwright.async_api import expect

from handoff.server import create_app
from handoff.store import Store
from handoff_sdk import FakeClock
from handoff_sdk.entities import Account


@pytest.fixture
async def app(store: Store, clock: FakeClock) -> AsyncIterator[FastAPI]:
    """The hub's app with the playbook's [accounts] and [cases] tables, after a first re-rank."""
    await first_run(store, clock)
    built = create_app(store, config=config(), clock=clock)
    yield built
    await built.state.intake.aclose()


async def test_p2_p3_ops_find_an_account_read_why_and_override_its_tier_then_clear_it(
    app: FastAPI,
    store: Store,
    clock: FakeClock,
    signed_in: SignedIn,
) -> None:
    async with signed_in(app, "olga", "ops", "/console/accounts") as page:
        await page.get_by_label("Tier", exact=True).select_option("Tier 3")
        await page.get_by_role("button", name="Show").click()
        listed = page.locator("#accounts")
        await expect(listed).to_contain_text("Bolt Bikes")
        await expect(listed).not_to_contain_text("Acme Rockets")
        await expect(page).to_have_url(re.compile(r"/console/accounts\?tier=Tier%203"))
        await page.get_by_label("Tier", exact=True).select_option("")
        await page.get_by_label("Name or id").fill("bolt")
        await page.get_by_role("button", name="Show").click()
        await page.get_by_role("link", name="Bolt Bikes").click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Bolt Bikes")
        await expect(page.locator("#row-tier3_both")).to_contain_text(
            "tier3_both (both): 2 of 2 met, gives Tier 3"
        )
        await expect(page.locator("#row-tier1_any1")).to_contain_text(
            "lam_dev_count is 10, not at least 103"
        )
        await page.get_by_label("Tier to hold").select_option("Tier 1")
        await page.get_by_label("Reason", exact=True).fill("expanding to 200 seats")
        await page.get_by_role("button", name="Set override").click()
        await expect(page.get_by_role("status")).to_contain_text("Override stored")
        await expect(page.locator("#waiting")).to_contain_text("set Tier 1 by console:olga")
        await drain(store, clock)
        await page.reload()
        await expect(page.locator("#tier-held")).to_have_text("Tier 1")
        await expect(page.locator("#override")).to_contain_text("Tier 1, set by console:olga")
        newest = page.locator("#history tbody tr").first
        await expect(newest).to_contain_text("console:olga")
        await expect(newest).to_contain_text("expanding to 200 seats")
        await page.get_by_label("Reason to clear it").fill("deal lost")
        await page.get_by_role("button", name="Clear override").click()
        await expect(page.get_by_role("status")).to_contain_text("Clearing stored")
        await drain(store, clock)
        await page.reload()
        await expect(page.locator("#override")).to_contain_text("the auto rank applies")
        await expect(page.locator("#tier-held")).to_have_text("Tier 3")
        await expect(page.locator("#history tbody tr").first).to_contain_text("cleared")
        await expect(page.get_by_role("button", name="Clear override")).to_have_count(0)
        # On a phone: one column, nothing wider than the screen.
        await page.set_viewport_size({"width": 390, "height": 844})
        for path in ("/console/accounts/001B", "/console/accounts"):
            await page.goto(path)
            assert await page.evaluate("document.documentElement.scrollWidth") <= 390, path


async def test_p6_ops_open_a_case_by_hand_fix_what_is_refused_and_follow_it_on_a_phone(
    app: FastAPI,
    store: Store,
    clock: FakeClock,
    signed_in: SignedIn,
) -> None:
    async with signed_in(
        app, "olga", "ops", "/console/cases", viewport={"width": 390, "height": 844}
    ) as page:
        await page.get_by_label("Subject").fill("Asked for a quote on a call")
        await page.get_by_label("What they asked for").fill("Wants 40 seats")
        await page.get_by_role("button", name="Open case").click()
        await expect(page.get_by_role("alert")).to_contain_text(
            "email: give the customer's email or the CRM account_id"
        )
        await expect(page.get_by_label("Subject")).to_have_value("Asked for a quote on a call")
        await page.get_by_label("CRM account id").fill("001C")
        await page.get_by_label("How they raised their hand (source)").fill("Phone")
        await page.get_by_role("button", name="Open case").click()
        await expect(page.get_by_role("status")).to_contain_text("Case request stored")
        await expect(page.locator("#waiting")).to_contain_text("Asked for a quote on a call")
        cobalt = Account(ids={"salesforce": "001C"}, name="Cobalt Labs", owner_id="005POOL")
        await drain(store, clock, Connectors({"001C": cobalt}))
        await page.goto("/console/cases")
        row = page.locator("#cases tbody tr").first
        await expect(row).to_contain_text("Phone")
        await expect(row).to_contain_text("opened")
        await row.get_by_role("link", name="Asked for a quote on a call").click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text(
            "Asked for a quote on a call"
        )
        await expect(page.locator("#case-jobs")).to_contain_text("salesforce.handoff_create_case")
        # One column on a phone: nothing wider than the screen.
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
