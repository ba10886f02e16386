"""The Rep Performance Dashboard (Q15) in headless Chromium, over a loopback socket.

Ops sign in, open the dashboard, see both charts (accessible images with their data
tables), change the range by a preset and by typing one, and are told which field is
wrong; on a phone's width the charts fit the screen.
"""

from __future__ import annotations

from console_kit import SignedIn  # type: ignore[import-not-found]
from fastapi import FastAPI
from playwright.async_api import expect
from test_performance_page import app, seed_activity  # type: ignore[import-not-found]

from handoff.store import Store
from handoff_sdk import FakeClock

__all__ = ["app"]  # the fixture: the hub's app with three reps in [routing]


async def test_q15_ops_open_the_dashboard_change_the_range_and_see_the_charts(
    app: FastAPI,
    store: Store,
    clock: FakeClock,
    signed_in: SignedIn,
) -> None:
    """Q15: sign in, open Rep performance from the navigation, charts and figures; a preset,
    a typed range (figures follow it), a wrong range named."""
    await seed_activity(app, store, clock)
    async with signed_in(app, "olga", "ops", "/console") as page:
        nav = page.get_by_role("navigation", name="Console pages")
        await nav.get_by_role("link", name="Rep performance").click()
        await expect(page.get_by_role("heading", name="Rep performance", level=1)).to_be_visible()
        await expect(page.locator("#period")).to_contain_text("last 7 days")
        timeline = page.get_by_role("img", name="Availability through the day, per rep (UTC)")
        await expect(timeline).to_be_visible()
        await expect(timeline.locator("rect.bar")).to_have_count(
            5
        )  # ana 09, 10; bo 09; team 09, 10
        waited = page.get_by_role(
            "img", name="Sessions where the visitor waited for a rep, per rep"
        )
        await expect(waited).to_be_visible()
        await expect(waited.locator("rect.with")).to_have_count(2)  # ana and bo had one each
        await expect(page.get_by_role("row", name="Team 2 3 5")).to_be_visible()
        await expect(page.locator("#rep-ana")).to_contain_text("1 h 30 min")

        await page.get_by_role("link", name="Today").click()
        await expect(page.locator("#period")).to_contain_text("today")
        await expect(page.get_by_role("link", name="Today")).to_have_attribute(
            "aria-current", "true"
        )
        await expect(page.locator("#summary [data-metric=waited_sessions]")).to_have_text("5")

        # A typed range before any activity: every figure is 0, the charts are still drawn.
        await page.get_by_label("Since").fill("2026-01-04")
        await page.get_by_label("Until").fill("2026-01-05T08:00:00Z")
        await page.get_by_role("button", name="Show").click()
        await expect(page.locator("#period")).to_contain_text(
            "2026-01-04 00:00 to 2026-01-05 08:00"
        )
        await expect(page.locator("#summary [data-metric=waited_sessions]")).to_have_text("0")
        await expect(page.get_by_label("Since")).to_have_value("2026-01-04")
        await expect(timeline.locator("rect.bar")).to_have_count(0)
        await expect(page.locator("#availability-table")).to_contain_text("Nobody was online")

        # One that cannot be read: the form again, the field named and marked.
        await page.get_by_label("Since").fill("last tuesday")
        await page.get_by_role("button", name="Show").click()
        alert = page.get_by_role("alert")
        await expect(alert).to_contain_text("since: 'last tuesday' is neither ISO 8601")
        await expect(page.get_by_label("Since")).to_have_attribute("aria-invalid", "true")
        await expect(page.locator("#rep-figures")).to_have_count(0)


async def test_q15_a_rep_sees_their_own_charts_on_a_phone(
    app: FastAPI,
    store: Store,
    clock: FakeClock,
    signed_in: SignedIn,
) -> None:
    """Q15: on a 390 px wide phone a rep sees their own figures; the charts fit the screen."""
    await seed_activity(app, store, clock)
    async with signed_in(
        app,
        "ana",
        "rep",
        "/console/performance?range=today",
        rep="ana",
        viewport={"width": 390, "height": 844},
    ) as page:
        timeline = page.get_by_role("img", name="Availability through the day, per rep")
        await expect(timeline).to_be_visible()
        await expect(page.locator("#rep-bo")).to_have_count(0)
        for chart in (timeline, page.locator("#waited-chart")):
            box = await chart.bounding_box()
            assert box is not None
            assert box["x"] >= 0
            assert box["x"] + box["width"] <= 390
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
