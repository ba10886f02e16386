"""Take the console's screenshots for docs/console/ (`make screenshots`).

Serves the real app on a loopback port, over a scratch SQLite store seeded
with sample reps, identified visitors and presence, on a frozen clock
(Tuesday 2026-01-06 15:00 UTC), and saves PNGs taken by headless Chromium
(Debian's /usr/bin/chromium): the sign-in page, a rep's live visitors, the
ops' presence table, the live visitors on a phone, a routing decision's
explanation, the jobs page, and the accounts flow's pooled accounts by tier, an
account's ranking and history, and its cases (seeded by the flow itself:
accounts_kit.seed_sample); AI Studio's pages (ai_screens.py); Rep performance (Q15) as
ops see it and as a rep sees it on a phone, and the connectors' health
(performance_kit); the leads and a lead's timeline, and the escalated tickets and a
ticket (decided by their flows: leads_kit, tickets_kit). tests/console runs it
too (test_screenshots.py), so it cannot rot.

    .venv/bin/python tests/console/screenshots.py [OUT_DIR]   # default docs/console
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn
from accounts_kit import seed_sample, tables  # type: ignore[import-not-found]
from ai_screens import SHOTS, ai_table, seed_studio  # type: ignore[import-not-found]
from leads_kit import LEADS, seed_leads  # type: ignore[import-not-found]
from performance_kit import (  # type: ignore[import-not-found]
    sample_connector_metrics,
    seed_performance,
)
from tickets_kit import TICKETS, seed_tickets  # type: ignore[import-not-found]

from handoff.api_keys import create_key
from handoff.config import HubConfig
from handoff.console.users import add_user
from handoff.runtime import DecisionSpec, JobSpec, record_decision
from handoff.server import create_app
from handoff.store import Job, Store, upgrade
from handoff_sdk import FakeClock

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"
NOW = datetime(2026, 1, 6, 15, 0, tzinfo=UTC)
PERFORMANCE = "/console/performance?range=today"
ROUTING = {
    "reps": [
        {
            "id": "ana",
            "name": "Ana Ruiz",
            "teams": ["emea"],
            "timezone": "Europe/Madrid",
            "working_hours": {"mon-fri": "09:00-18:00"},
        },
        {
            "id": "bo",
            "name": "Bo Lind",
            "teams": ["emea"],
            "timezone": "Europe/Stockholm",
            "working_hours": {"mon-thu": "08:00-16:00"},
        },
        {
            "id": "cy",
            "name": "Cy Park",
            "teams": ["amer"],
            "timezone": "America/New_York",
            "working_hours": {"mon-fri": "09:00-17:00"},
        },
        {
            "id": "dee",
            "name": "Dee Okafor",
            "teams": ["amer"],
            "timezone": "America/Chicago",
            "working_hours": {"mon-fri": "08:00-16:30"},
        },
    ],
    "teams": [
        {"name": "emea", "members": ["ana", "bo"]},
        {"name": "amer", "members": ["cy", "dee"]},
    ],
}
VISITORS = [
    (
        "v-1001",
        "Northwind Traders",
        "Decision",
        86,
        ["Enterprise DevOps", "Security"],
        "https://example.com/pricing",
    ),
    ("v-1002", "Globex", "Consideration", 64, ["CI/CD"], "https://example.com/solutions/ci"),
    ("v-1003", "Initech", "Awareness", 41, [], "https://example.com/blog/devsecops"),
]


def seed(store: Store, clock: FakeClock) -> None:
    """Sample identify decisions (Q1) for ana's accounts, users, and presence."""
    with store.transaction() as session:
        for visitor, account, stage, score, segments, _page in VISITORS:
            record_decision(
                session,
                DecisionSpec(
                    kind="identify",
                    subject_type="visitor",
                    subject_id=visitor,
                    outcome={
                        "account": account,
                        "account_ids": {"salesforce": f"001{visitor[-4:]}"},
                        "account_status": "Actively Working",
                        "bdr_assigned_id": "ana",
                    },
                    explanation={
                        "steps": [],
                        "firmographics": {
                            "buying_stage": stage,
                            "intent_score": score,
                            "segments": segments,
                        },
                    },
                    rule_ids=("Q1",),
                ),
                now=clock.now(),
            )
    seed_routing(store, clock)
    add_user(store, "ana", PASSWORD, "rep", rep_id="ana", now=clock.now(), actor="screenshots")
    add_user(store, "olga", PASSWORD, "ops", now=clock.now(), actor="screenshots")


ROUTED = [  # conversation, rep, the state of its CRM write-back job, its last error
    ("c-2041", "ana", "dead", "salesforce: 503 Service Unavailable (after 8 attempts)"),
    ("c-2042", "cy", "queued", "salesforce: 429 Too Many Requests, retry in 40 s"),
    ("c-2043", "ana", "done", None),
]


def seed_routing(store: Store, clock: FakeClock) -> None:
    """Sample routing decisions (Q3) with their explanations and write-back jobs."""
    from sqlalchemy import update  # noqa: PLC0415

    with store.transaction() as session:
        for conversation, rep, state, error in ROUTED:
            decision = record_decision(
                session,
                DecisionSpec(
                    kind="routing",
                    subject_type="conversation",
                    subject_id=conversation,
                    outcome={"rep": rep, "rule": "owner-first", "target": "owner", "pool": None},
                    explanation={
                        "rules": [
                            {
                                "rule": "vip",
                                "rule_ids": ["Q4"],
                                "matched": False,
                                "why": "account.tier is 3, not 1",
                            },
                            {
                                "rule": "owner-first",
                                "rule_ids": ["Q3"],
                                "matched": True,
                                "why": "the account has an owner who is online",
                            },
                        ],
                        "skipped": [{"rep": "bo", "reason": "away", "target": "owner"}],
                        "counterfactual": {"rep": "bo", "reason": "away", "target": "owner"},
                        "geo": "EMEA",
                        "language": "en",
                    },
                    rule_ids=("Q3",),
                ),
                now=clock.now(),
                jobs=[
                    JobSpec(
                        kind="writeback.update_contact",
                        idempotency_key=f"writeback:{conversation}",
                        connector="salesforce",
                        hook="handoff_update_contact",
                    )
                ],
            )
            attempts = {"dead": 8, "queued": 3, "done": 1}[state]
            session.execute(
                update(Job)
                .where(Job.decision_id == decision)
                .values(state=state, attempts=attempts, last_error=error)
            )


async def take(out: Path) -> list[Path]:
    """Serve the seeded app, drive Chromium through the pages, save the PNGs in `out`."""
    from playwright.async_api import async_playwright  # noqa: PLC0415 - a dev dependency

    clock = FakeClock(NOW)
    with tempfile.TemporaryDirectory() as scratch:
        store = Store(f"sqlite:///{Path(scratch) / 'console.db'}")
        upgrade(store)
        seed(store, clock)
        await seed_sample(store, NOW)
        ai = ai_table(Path(scratch))
        await seed_studio(store, clock, ai, Path(scratch))
        seed_performance(store, NOW)
        await seed_leads(store, FakeClock(NOW - timedelta(days=2)))  # after the ids above
        await seed_tickets(store, FakeClock(NOW - timedelta(days=2)))
        config = HubConfig(
            routing=ROUTING,
            ai=ai,
            path=Path(scratch) / "handoff.toml",
            leads=LEADS,
            tickets=TICKETS,
            **tables(),
        )
        app = create_app(store, config=config, clock=clock)
        app.state.console.live_interval = 0.2
        connectors = sample_connector_metrics()
        app.state.connector_metrics = lambda: connectors
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False)
        )
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.05)
        base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        saved: list[Path] = []
        try:
            ingest = create_key(store, "screens", ["admin"], now=clock.now(), actor="screenshots")
            async with httpx.AsyncClient(
                base_url=base, headers={"Authorization": f"Bearer {ingest.token}"}
            ) as api:
                for visitor, _a, _s, _i, _g, page in VISITORS:
                    await api.post(
                        "/v1/page-views",
                        json={"id": f"pv-{visitor}", "visitor_id": visitor, "url": page},
                    )
                for rep, status in (("ana", "online"), ("bo", "away"), ("cy", "online")):
                    await api.put(f"/v1/reps/{rep}/status", json={"status": status})
            async with async_playwright() as driver:
                browser = await driver.chromium.launch(executable_path=CHROMIUM, headless=True)
                for name, user, path, viewport in (
                    ("sign-in", None, "/console/sign-in", {"width": 1024, "height": 640}),
                    ("live-visitors", "ana", "/console/live", {"width": 1280, "height": 900}),
                    ("reps-presence", "olga", "/console/reps", {"width": 1280, "height": 640}),
                    ("live-visitors-phone", "ana", "/console/live", {"width": 390, "height": 844}),
                    ("decision", "olga", "/console/decisions/4", {"width": 1280, "height": 900}),
                    ("jobs", "olga", "/console/jobs", {"width": 1280, "height": 640}),
                    ("account-tiers", "olga", "/console/accounts", {"width": 1280, "height": 900}),
                    (
                        "account",
                        "olga",
                        "/console/accounts/0015A05",
                        {"width": 1280, "height": 900},
                    ),
                    ("cases", "olga", "/console/cases", {"width": 1280, "height": 900}),
                    *SHOTS,
                    ("rep-performance", "olga", PERFORMANCE, {"width": 1280, "height": 900}),
                    ("rep-performance-phone", "ana", PERFORMANCE, {"width": 390, "height": 844}),
                    ("connectors", "olga", "/console/connectors", {"width": 1280, "height": 900}),
                    ("leads", "olga", "/console/leads", {"width": 1280, "height": 640}),
                    (
                        "lead",
                        "olga",
                        "/console/leads/kim@acme.example",
                        {"width": 1280, "height": 900},
                    ),
                    (
                        "escalated-tickets",
                        "olga",
                        "/console/tickets",
                        {"width": 1280, "height": 640},
                    ),
                    ("ticket", "olga", "/console/tickets/5001", {"width": 1280, "height": 900}),
                ):
                    context = await browser.new_context(viewport=viewport, base_url=base)
                    page = await context.new_page()
                    await page.goto(path)
                    if user is not None:
                        await page.get_by_label("User name").fill(user)
                        await page.get_by_label("Password").fill(PASSWORD)
                        await page.get_by_role("button", name="Sign in").click()
                        await page.get_by_role("heading", level=1).wait_for()
                    target = out / f"{name}.png"
                    await page.screenshot(path=str(target), full_page=True)
                    saved.append(target)
                    await context.close()
                await browser.close()
        finally:
            server.should_exit = True
            await task
            await app.state.intake.aclose()
            store.dispose()
    return saved


def main() -> None:
    """`make screenshots`: the PNGs into docs/console/ (or the folder given)."""
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "console"
    out.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(take(out)):
        print(path)


if __name__ == "__main__":
    main()
