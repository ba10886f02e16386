"""The Escalated tickets pages in headless Chromium, driven as ops use them (Z2, Z6). The
network is cut off but for 127.0.0.1, as in every browser test."""

from __future__ import annotations

from console_kit import SignedIn  # type: ignore[import-not-found]
from fastapi import FastAPI
from playwright.async_api import expect
from sqlalchemy import select
from test_ticket_pages import app  # type: ignore[import-not-found]
from tickets_kit import MACRO_ERROR  # type: ignore[import-not-found]

from handoff.runtime import audit_trail
from handoff.store import Job, Store

__all__ = ["app"]  # the fixture: the hub with the two sample tickets (tickets_kit)


async def test_z2_z6_ops_read_why_a_ticket_went_to_sales_and_retry_its_dead_macro(
    app: FastAPI,
    store: Store,
    signed_in: SignedIn,
) -> None:
    async with signed_in(app, "olga", "ops", "/console") as page:
        nav = page.get_by_role("navigation")
        await nav.get_by_role("link", name="Escalated tickets").click()
        queue = page.locator("#tickets")
        await expect(queue.locator("tbody tr")).to_have_count(1)
        await expect(queue).to_contain_text("Olga Owner <olga@example.test>")
        await expect(queue).to_contain_text("passed to Olga Owner (account owner)")
        await page.get_by_label("Also the tickets that dropped out or were not passed").check()
        await page.get_by_role("button", name="Show").click()
        await expect(queue.locator("tbody tr")).to_have_count(2)
        await expect(queue).to_contain_text("Pricing question")
        await queue.get_by_role("link", name="5001").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "Ticket 5001: Quote for 40 seats"
        )
        await expect(page.locator("main")).to_contain_text("ping 1 in #sales")
        await expect(page.locator("main")).to_contain_text(MACRO_ERROR)
        await page.get_by_role("button", name="Retry job").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Jobs")
        await expect(page.locator("main")).to_contain_text("queued again")
    with store.sessions() as session:
        state = session.scalar(select(Job.state).where(Job.hook == "handoff_apply_macro"))
        (audit,) = audit_trail(session, actions=("jobs.retry",))
    assert (state, audit.actor) == ("queued", "console:olga")
