"""The operations pages in headless Chromium: decisions and misroutes (Q19), jobs, experiences
(Q8), rules replay. The network is cut off but for 127.0.0.1, as in every browser test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from console_kit import OpenBrowser, SignedIn, sign_in_as  # type: ignore[import-not-found]
from fastapi import FastAPI
from ops_kit import ROUTING, routed  # type: ignore[import-not-found]
from playwright.async_api import Page, expect
from test_experiences_page import EXPERIENCES  # type: ignore[import-not-found]
from test_rules_page import GERMAN, day  # type: ignore[import-not-found]  # noqa: F401 - a fixture

from handoff.config import HubConfig
from handoff.console.users import UserInfo
from handoff.server import create_app
from handoff.store import Store
from handoff_sdk import FakeClock


@pytest.fixture
async def app(store: Store, clock: FakeClock) -> AsyncIterator[FastAPI]:
    """The hub's app with two reps in [routing] and an AI experience with its twin."""
    built = create_app(
        store, config=HubConfig(routing=ROUTING, experiences=EXPERIENCES), clock=clock
    )
    yield built
    await built.state.intake.aclose()


async def test_q19_a_rep_opens_an_explanation_flags_it_and_ops_see_it_queued(
    app: FastAPI,
    store: Store,
    clock: FakeClock,
    console_user: Callable[..., UserInfo],
    signed_in: SignedIn,
) -> None:
    decision = routed(store, clock, "c-1", "ana")
    console_user("olga", "ops")
    async with signed_in(app, "ana", "rep", "/console/decisions", rep="ana") as page:
        await page.get_by_label("About").select_option("conversation")
        await page.get_by_label("Id").fill("c-1")
        await page.get_by_role("button", name="Search").click()
        card = page.locator(f"#decision-{decision}")
        await expect(card).to_contain_text("owner-first (Q3): the account has an owner")
        await card.get_by_role("link", name=f"Decision {decision}").click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text(f"Decision {decision}")
        await expect(page.locator(".counterfactual")).to_contain_text("had carl been available")
        await page.get_by_text("Flag as misrouted").click()
        await page.get_by_label(f"Why did decision {decision} send it").fill("Ana is on leave")
        await page.get_by_role("button", name="Flag for ops review").click()
        await expect(page.locator(f"#misroute-{decision}")).to_contain_text(
            f"Decision {decision} flagged as misrouted"
        )
        await page.get_by_role("button", name="Sign out").click()
        await sign_in_as(page, "olga", "/console/misroutes")
        queue = page.locator("#misroutes")
        await expect(queue).to_contain_text("Ana is on leave")
        await expect(queue).to_contain_text("the account has an owner")
        await queue.get_by_role("link", name=str(decision)).click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text(f"Decision {decision}")
        await expect(page.locator("main")).to_contain_text(f"misroute:{decision}:ana")


async def test_ops_retry_a_dead_job(
    app: FastAPI,
    store: Store,
    clock: FakeClock,
    signed_in: SignedIn,
) -> None:
    routed(store, clock, "c-1", "ana", error="salesforce: 503 Service Unavailable")
    async with signed_in(app, "olga", "ops", "/console/jobs") as page:
        row = page.locator("#jobs tbody tr").first
        await expect(row).to_contain_text("salesforce: 503 Service Unavailable")
        await expect(row).to_contain_text("dead")
        await row.get_by_role("button", name="Retry").click()
        await expect(page.get_by_role("status")).to_contain_text("queued again")
        row = page.locator("#jobs tbody tr").first
        await expect(row).to_contain_text("queued")
        await expect(row.get_by_role("button", name="Retry")).to_have_count(0)
        await expect(page.locator(".trail")).to_contain_text("console:olga retried job")


async def test_q8_ops_roll_back_ai_experiences_and_restore_them(
    app: FastAPI, signed_in: SignedIn
) -> None:
    async with signed_in(app, "olga", "ops", "/console/experiences") as page:
        ai, twin = page.locator("#experience-home-ai"), page.locator("#experience-home")
        await expect(ai).to_contain_text("on")
        await page.get_by_role("button", name="Roll back AI").click()
        await expect(page.get_by_role("status")).to_contain_text("Rolled back: 2 experiences")
        await expect(ai.locator("td").first).to_have_text("off")
        await expect(twin.locator("td").first).to_have_text("on")
        await expect(page.locator(".trail")).to_contain_text("console:olga rolled back AI")
        await page.get_by_role("button", name="Restore AI").click()
        await expect(page.get_by_role("status")).to_contain_text("Restored: 2 experiences")
        await expect(ai.locator("td").first).to_have_text("on")
        await expect(twin.locator("td").first).to_have_text("off")
        await expect(page.locator(".trail li").first).to_contain_text("console:olga restored AI")


async def test_q3d_ops_run_a_replay_diff_of_an_uploaded_day(
    day: tuple[FastAPI, Path],  # noqa: F811 - the imported fixture
    console_browser: OpenBrowser,
) -> None:
    app, folder = day
    async with console_browser(app) as browser:
        page: Page = browser.page  # type: ignore[assignment]
        await sign_in_as(page, "olga", "/console/rules")
        await page.get_by_label("Upload a TOML file").set_input_files(
            str(folder / "candidate.toml")
        )
        await page.get_by_label("Upload an exported events file").set_input_files(
            str(folder / "events.jsonl")
        )
        await page.get_by_role("button", name="Replay").click()
        report = page.locator("#replay-report")
        await expect(report).to_contain_text("Replay of events.jsonl with candidate.toml")
        await expect(report).to_contain_text("pool: sales -> partners")
        partners = page.locator("#load-pool tr", has_text="partners")
        await expect(partners).to_contain_text(f"+{GERMAN}")
