"""The Leads pages in headless Chromium, driven as people use them (D2, D3, D5). The network
is cut off but for 127.0.0.1, as in every browser test."""

from __future__ import annotations

from console_kit import SignedIn  # type: ignore[import-not-found]
from fastapi import FastAPI
from playwright.async_api import expect
from test_lead_pages import app  # type: ignore[import-not-found]

from handoff.leads.records import transitions_of
from handoff.store import Store

__all__ = ["app"]  # the fixture: the hub with the three sample leads (leads_kit)

PHONE = {"width": 390, "height": 844}


async def test_d2_a_rep_searches_their_own_leads_on_a_phone(
    app: FastAPI, signed_in: SignedIn
) -> None:
    async with signed_in(app, "ana", "rep", "/console", rep="ana", viewport=PHONE) as page:
        await page.get_by_role("navigation").get_by_role("link", name="Leads").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Leads")
        table = page.locator("#leads")
        await expect(table).to_contain_text("kim@acme.example")
        await expect(table).to_contain_text("mia@initech.example")
        await expect(table).not_to_contain_text("lou@globex.example")  # bo's
        await expect(page.get_by_label("Owner")).to_have_count(0)
        await page.get_by_label("Email, name or company").fill("acme")
        await page.get_by_role("button", name="Search").click()
        await expect(page.get_by_role("heading", level=2)).to_have_text(
            '1 lead matching "acme" owned by ana'
        )
        await expect(table.locator("tbody tr")).to_have_count(1)
        # One column on a phone: the table stacks, nothing scrolls sideways.
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]


async def test_d5_ops_open_a_lead_and_follow_a_step_to_its_decision(
    app: FastAPI,
    store: Store,
    signed_in: SignedIn,
) -> None:
    with store.sessions() as session:
        qualified = transitions_of(session, "kim@acme.example")[-1]
    async with signed_in(app, "olga", "ops", "/console/leads") as page:
        await page.get_by_label("Status").select_option("Qualified")
        await page.get_by_role("button", name="Search").click()
        await page.get_by_role("link", name="kim@acme.example").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("kim@acme.example")
        newest = page.locator("#history tbody tr").first
        await expect(newest).to_contain_text("Progressing")
        await expect(newest).to_contain_text("Soft-BANT: 2 of 4 met (budget, need)")
        await expect(page.locator("#score")).to_contain_text("MQL threshold 20")
        await expect(page.locator("#bant")).to_contain_text("Timeline: not met")
        await newest.get_by_role("link", name=f"decision {qualified.decision_id}").click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text(
            f"Decision {qualified.decision_id}"
        )
        await expect(page.locator("main")).to_contain_text(
            "leads.status about lead:kim@acme.example"
        )
