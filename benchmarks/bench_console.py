"""The console's live visitors: the page's server time, and updates reaching open consoles.

    .venv/bin/python benchmarks/bench_console.py --reps 50 --visitors 2000 --views 20000 \
        --consoles 20 --rounds 10

A fresh SQLite store gets `--reps` reps in [routing], `--visitors`
identified visitors (Q1 decisions: each visitor's account Actively Working
and assigned to a rep, round robin) and `--views` page views received in the
last 15 minutes (the site's traffic the page filters). The real app is
served by uvicorn on 127.0.0.1 (the same process, as the tests do).

1. Page: `GET /console/live` for rep r0, signed in, `--requests` times one
   after the other: the server's time per page (client-measured over the
   loopback socket), p50 and p99.
2. Live: `--consoles` sessions of rep r0 each hold `/console/live/stream`
   open (server-sent events). Each round posts one page view of a new
   visitor of r0 through the API and measures the time until every console
   has received a visitors event naming that visitor: p50 and p99 of the
   time to the LAST console, over `--rounds` rounds. Consoles re-read the
   store every `--interval` seconds (the console's `live_interval`), so the
   figure is bounded below by the wait for the next read.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from handoff.api_keys import create_key
from handoff.config import HubConfig
from handoff.console.users import add_user
from handoff.runtime import DecisionSpec, record_decision, record_events
from handoff.server import create_app
from handoff.store import Store, upgrade
from handoff_sdk import SystemClock
from handoff_sdk.entities import Event

PASSWORD = "bench password, long enough"  # noqa: S105 - a synthetic user's, in a scratch store
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def seed(store: Store, reps: int, visitors: int, views: int, clock: SystemClock) -> None:
    """Identify decisions for every visitor and the page views of the window."""
    now = clock.now()
    with store.transaction() as session:
        for i in range(visitors):
            record_decision(
                session,
                DecisionSpec(
                    kind="identify",
                    subject_type="visitor",
                    subject_id=f"v{i}",
                    outcome={
                        "account": f"Account {i}",
                        "account_ids": {"salesforce": f"001{i:07d}"},
                        "account_status": "Actively Working",
                        "bdr_assigned_id": f"r{i % reps}",
                    },
                    explanation={"steps": [], "firmographics": {"intent_score": i % 100}},
                    rule_ids=("Q1",),
                ),
                now=now,
            )
    batch = []
    for j in range(views):
        batch.append(
            Event(
                type="hub.page_view",
                source="hub",
                dedupe_key=f"seed:{j}",
                occurred_at=now - timedelta(seconds=j % 600),
                payload={"visitor_id": f"v{j % visitors}", "url": f"https://site.test/p{j % 40}"},
            )
        )
    with store.transaction() as session:
        record_events(session, batch, now=now)


async def sign_in(client: httpx.AsyncClient, name: str) -> None:
    """Sign a client in through the form."""
    form = await client.get("/console/sign-in")
    token = CSRF.search(form.text)
    assert token
    answer = await client.post(
        "/console/sign-in", data={"name": name, "password": PASSWORD, "csrf_token": token[1]}
    )
    assert answer.status_code == 303, answer.text


def quantiles(values: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Seed, serve, measure; the figures."""
    clock = SystemClock()
    with tempfile.TemporaryDirectory() as scratch:
        store = Store(f"sqlite:///{Path(scratch) / 'bench.db'}")
        upgrade(store)
        started = time.perf_counter()
        seed(store, args.reps, args.visitors, args.views, clock)
        seeded = time.perf_counter() - started
        for c in range(args.consoles):
            add_user(store, f"ana{c}", PASSWORD, "rep", rep_id="r0", now=clock.now(), actor="b")
        key = create_key(store, "bench", ["admin"], now=clock.now(), actor="bench").token
        routing = {"reps": [{"id": f"r{i}", "name": f"Rep {i}"} for i in range(args.reps)]}
        app = create_app(store, config=HubConfig(routing=routing), clock=clock)
        app.state.console.live_interval = args.interval
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=0,
                log_level="warning",
                access_log=False,
                timeout_graceful_shutdown=2,  # open event streams do not hold the exit
            )
        )
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.05)
        base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        try:
            page_times = []
            async with httpx.AsyncClient(base_url=base, timeout=60) as rep:
                await sign_in(rep, "ana0")
                for _ in range(args.requests):
                    t0 = time.perf_counter()
                    answer = await rep.get("/console/live")
                    page_times.append(time.perf_counter() - t0)
                    assert answer.status_code == 200
                shown = answer.text.count('class="visitor"')
            print(f"page: {len(page_times)} requests", file=sys.stderr, flush=True)
            consoles = [
                httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(60, read=None))
                for _ in range(args.consoles)
            ]
            for c, client in enumerate(consoles):
                await sign_in(client, f"ana{c}")
            seen: list[dict[str, float]] = [{} for _ in consoles]
            everywhere: dict[str, asyncio.Event] = {}

            async def listen(index: int, client: httpx.AsyncClient) -> None:
                async with client.stream("GET", "/console/live/stream") as events:
                    async for line in events.aiter_lines():
                        for found in re.findall(r'id="visitor-(new\d+)"', line):
                            seen[index].setdefault(found, time.perf_counter())
                            if all(found in s for s in seen) and found in everywhere:
                                everywhere[found].set()

            listeners = [asyncio.create_task(listen(i, c)) for i, c in enumerate(consoles)]
            await asyncio.sleep(args.interval * 2)  # every console has its first list
            reach = []
            async with httpx.AsyncClient(
                base_url=base, headers={"Authorization": f"Bearer {key}"}
            ) as api:
                for r in range(args.rounds):
                    visitor = f"new{r}"
                    everywhere[visitor] = asyncio.Event()
                    with store.transaction() as session:
                        record_decision(
                            session,
                            DecisionSpec(
                                kind="identify",
                                subject_type="visitor",
                                subject_id=visitor,
                                outcome={
                                    "account": "New",
                                    "account_ids": {"salesforce": f"new{r}"},
                                    "account_status": "Actively Working",
                                    "bdr_assigned_id": "r0",
                                },
                                explanation={"steps": []},
                                rule_ids=("Q1",),
                            ),
                            now=clock.now(),
                        )
                    answer = await api.post(
                        "/v1/page-views",
                        json={
                            "id": f"pv-{visitor}",
                            "visitor_id": visitor,
                            "url": "https://site.test/",
                        },
                    )
                    posted = time.perf_counter()
                    assert answer.status_code == 202, answer.text
                    await asyncio.wait_for(everywhere[visitor].wait(), 60)
                    reach.append(max(s[visitor] for s in seen) - posted)
                    print(f"live: round {r}", file=sys.stderr, flush=True)
            for listener in listeners:
                listener.cancel()
            await asyncio.gather(*listeners, return_exceptions=True)
            for client in consoles:
                await client.aclose()
        finally:
            server.should_exit = True
            await task
            await app.state.intake.aclose()
            store.dispose()
    page_p50, page_p99 = quantiles(page_times)
    live_p50, live_p99 = quantiles(reach)
    return {
        "seed_seconds": round(seeded, 1),
        "visitors_on_page": shown,
        "page_ms_p50": round(page_p50, 1),
        "page_ms_p99": round(page_p99, 1),
        "live_ms_p50": round(live_p50, 1),
        "live_ms_p99": round(live_p99, 1),
    }


def main() -> None:
    """Parse the options, run, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--visitors", type=int, default=2000)
    parser.add_argument("--views", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--consoles", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--interval", type=float, default=2.0)
    args = parser.parse_args()
    figures = asyncio.run(run(args))
    print(
        f"reps={args.reps} visitors={args.visitors} views={args.views} "
        f"consoles={args.consoles} interval={args.interval}s"
    )
    for name, value in figures.items():
        print(f"{name:>18}: {value}")


if __name__ == "__main__":
    main()
