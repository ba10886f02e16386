"""The console's main pages: server time of each, p50 and p99, over a store of realistic size.

    nice -n 10 .venv/bin/python benchmarks/bench_console_pages.py [--database postgres] \
        [--decisions 100000 --jobs 10000 --reps 50 --requests 20] [--only live,jobs]

One store is seeded once, in bulk (Core inserts into the store's own
tables, thousands of rows a statement, so seeding takes seconds, not the
run): `--decisions` decisions (Q1 identify decisions about visitors,
routing decisions about conversations, lead, account and ticket decisions,
each rep's share round robin), `--jobs` outbox jobs in every state (done,
queued, failing = queued after an error, running, dead), `--reps` reps in
[routing] with their presence, `--views` page views in the last 15 minutes
plus `--old-views` older ones (the site's traffic the live page filters),
misroute flags and audit lines. SQLite in a scratch folder by default;
`--database postgres` uses a private schema (dropped after) on the server
at $HANDOFF_TEST_POSTGRES_URL (default the tests' server).

The real app is served by uvicorn on 127.0.0.1 in this process (as the
tests do). Each row of PAGES is fetched `--requests` times one after the
other, signed in as its role (ops: user `olga`; rep: `ana`, bound to rep
r0): the time from sending the request to the whole page received, over
the loopback socket, p50 and p99 in milliseconds. Every answer must be a
200 (the script stops otherwise), but a page answering 404 (its flow is
not configured here: leads, accounts and AI Studio read their own tables
and settings, which this script does not seed) is listed as not served,
and one with no answer within `--timeout` seconds as over it.

Adding a page is one line in PAGES: a name, the role, the path (with
`{visitor}`, `{conv}` (a conversation), `{lead}`, `{account}`, `{ticket}`,
`{decision}`, `{rep}` taken from the seeded store). Progress goes to
stderr, the table to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import uvicorn
from bench_console import PASSWORD, quantiles, sign_in  # type: ignore[import-not-found]
from sqlalchemy import Table, insert
from sqlalchemy.engine import make_url

from handoff.chat.kinds import IDENTIFY_DECISION, MISROUTE_FLAG, PAGE_VIEW, ROUTING_DECISION
from handoff.chat.routing.availability import REP_STATUS_KIND
from handoff.config import HubConfig
from handoff.console.users import add_user
from handoff.server import create_app
from handoff.store import (
    Audit,
    Decision,
    EntityRecord,
    EventRecord,
    Job,
    JobSubject,
    Store,
    upgrade,
)
from handoff_sdk import SystemClock

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CHUNK = 5000


@dataclass(frozen=True)
class Page:
    """One page to time: its name in the table, who opens it, its path (placeholders allowed)."""

    name: str
    role: str
    """'ops' or 'rep' (rep r0)."""
    path: str


PAGES = [
    Page("home", "ops", "/console"),
    Page("home", "rep", "/console"),
    Page("live visitors (rep r0)", "ops", "/console/live?rep={rep}"),
    Page("live visitors", "rep", "/console/live"),
    Page("decisions (no search)", "ops", "/console/decisions"),
    Page("decisions: visitor", "ops", "/console/decisions?kind=visitor&id={visitor}"),
    Page("decisions: visitor", "rep", "/console/decisions?kind=visitor&id={visitor}"),
    Page("decisions: lead", "ops", "/console/decisions?kind=lead&id={lead}"),
    Page("decisions: lead", "rep", "/console/decisions?kind=lead&id={lead}"),
    Page("decisions: account", "ops", "/console/decisions?kind=account&id={account}"),
    Page("decisions: ticket", "ops", "/console/decisions?kind=ticket&id={ticket}"),
    Page("decisions: conversation", "ops", "/console/decisions?kind=conversation&id={conv}"),
    Page("decisions: conversation", "rep", "/console/decisions?kind=conversation&id={conv}"),
    Page("decisions: any id", "ops", "/console/decisions?id={conv}"),
    Page("decisions: any id", "rep", "/console/decisions?id={conv}"),
    Page("a decision", "ops", "/console/decisions/{decision}"),
    Page("a decision", "rep", "/console/decisions/{decision}"),
    Page("misroutes queue", "ops", "/console/misroutes"),
    Page("jobs (default states)", "ops", "/console/jobs"),
    Page("jobs: queued", "ops", "/console/jobs?state=queued"),
    Page("jobs: failing", "ops", "/console/jobs?state=failing"),
    Page("jobs: running", "ops", "/console/jobs?state=running"),
    Page("jobs: dead", "ops", "/console/jobs?state=dead"),
    Page("jobs: done", "ops", "/console/jobs?state=done"),
    Page("reps and presence", "ops", "/console/reps"),
    Page("reps and presence", "rep", "/console/reps"),
    Page("experiences", "ops", "/console/experiences"),
    Page("rules", "ops", "/console/rules"),
    Page("rep performance (Q15), 7 days", "ops", "/console/performance"),
    Page("rep performance (Q15), 7 days", "rep", "/console/performance"),
    Page("connectors", "ops", "/console/connectors"),
    Page("leads", "ops", "/console/leads"),
    Page("leads", "rep", "/console/leads"),
    Page("account tiers", "ops", "/console/accounts"),
    Page("account tiers", "rep", "/console/accounts"),
    Page("cases", "ops", "/console/cases"),
    Page("escalated tickets", "ops", "/console/tickets"),
    Page("AI content", "ops", "/console/ai/content"),
    Page("AI scorecard", "ops", "/console/ai/scorecard"),
    Page("AI inbox", "ops", "/console/ai/inbox"),
]
"""The pages timed, in order: add a page with one line."""

Figure = tuple[Page, tuple[float, float] | str]
"""A page and its p50 and p99 in ms, or why it has none ('not served', 'over 60 s')."""

EXPERIENCES: list[dict[str, Any]] = [
    {"id": "home", "name": "Home", "pages": ["/"], "twin": "home-ai", "enabled": False},
    {"id": "home-ai", "name": "Home - AI", "mode": "ai_first", "pages": ["/"]},
    {"id": "pricing", "name": "Pricing", "pages": ["/pricing"]},
]


def progress(message: str) -> None:
    """A line on stderr (the figures go to stdout)."""
    print(message, file=sys.stderr, flush=True)


def _explanation(i: int, rep: str) -> dict[str, Any]:
    """An explanation of the size flows store: a summary, rules checked, reps skipped."""
    return {
        "summary": f"Sent to {rep}: the account's owner is working",
        "rules": [
            {"rule": "owner", "matched": True, "rule_ids": ["Q3"], "why": f"owner {rep}"},
            {"rule": "named-account", "matched": False, "why": "not a named account"},
        ],
        "skipped": [{"rep": f"r{(i + 7) % 50}", "reason": "away"}] if i % 3 == 0 else [],
        "firmographics": {"intent_score": i % 100, "buying_stage": "consideration"},
    }


@dataclass
class Seeded:
    """What the pages' placeholders are filled with (all about rep r0)."""

    facts: dict[str, str]
    rows: dict[str, int]


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def seed(store: Store, args: argparse.Namespace, now: datetime) -> Seeded:
    """Bulk-insert the store's rows: decisions, events, jobs, presence, audit."""
    reps = args.reps
    total = args.decisions
    counts: dict[str, int] = {}

    def put(table: Any, rows: list[dict[str, Any]]) -> None:
        target: Table = table.__table__
        keys = {k for row in rows for k in row}
        rows = [{k: row.get(k) for k in keys} for row in rows]  # one shape per statement
        with store.transaction() as session:
            connection = session.connection()
            for chunk in _chunks(rows):
                connection.execute(insert(target), chunk)
        counts[target.name] = counts.get(target.name, 0) + len(rows)
        progress(f"seeded {len(rows):,} rows into {target.name}")

    # Decisions: 30 % identify (visitors), 30 % routing (conversations), 20 % leads
    # (two per lead), 10 % accounts, 10 % tickets (two per subject).
    visitors = total * 3 // 10
    conversations = total * 3 // 10
    decisions: list[dict[str, Any]] = []
    for i in range(visitors):
        rep = f"r{i % reps}"
        decisions.append(
            {
                "kind": IDENTIFY_DECISION,
                "subject_type": "visitor",
                "subject_id": f"v{i}",
                "outcome": {
                    "account": f"Account {i % 5000}",
                    "account_ids": {"salesforce": f"001{i % 5000:07d}"},
                    "account_status": "Actively Working" if i % 4 else "Prospect",
                    "bdr_assigned_id": rep,
                },
                "explanation": {"steps": [], "firmographics": {"intent_score": i % 100}},
                "rule_ids": ["Q1"],
                "decided_at": now - timedelta(seconds=total - len(decisions)),
            }
        )
    for i in range(conversations):
        rep = f"r{i % reps}"
        decisions.append(
            {
                "kind": ROUTING_DECISION,
                "subject_type": "conversation",
                "subject_id": f"c{i}",
                "outcome": {"rep": rep, "rule": "owner", "target": "owner"},
                "explanation": _explanation(i, rep),
                "rule_ids": ["Q3"],
                "decided_at": now - timedelta(seconds=total - len(decisions)),
            }
        )
    rest = total - visitors - conversations
    for kind, subject, share in (("lead_assignment", "lead", 2), ("tier", "account", 1)):
        for i in range(rest * share // 4):
            rep = f"r{(i // 2) % reps}"
            decisions.append(
                {
                    "kind": kind,
                    "subject_type": subject,
                    "subject_id": f"{subject[0]}{i // 2}",
                    "outcome": {"rep": rep} if i % 2 else {"score": i % 100},
                    "explanation": _explanation(i, rep),
                    "rule_ids": ["Q12"],
                    "decided_at": now - timedelta(seconds=total - len(decisions)),
                }
            )
    while len(decisions) < total:
        i = len(decisions)
        rep = f"r{(i // 2) % reps}"
        decisions.append(
            {
                "kind": "ticket_routing",
                "subject_type": "ticket",
                "subject_id": f"t{(i // 2) % 5000}",
                "outcome": {"rep": rep} if i % 2 else {"priority": "p2"},
                "explanation": _explanation(i, rep),
                "rule_ids": ["Z2"],
                "decided_at": now - timedelta(seconds=total - len(decisions)),
            }
        )
    put(Decision, decisions)
    first_id = 1 if args.database == "sqlite" else _first_id(store)

    # Page views: `--views` in the last 15 minutes, `--old-views` over the week before.
    events: list[dict[str, Any]] = []
    for j in range(args.views + args.old_views):
        recent = j < args.views
        visitor = f"v{(j * 7919) % visitors}" if j % 10 else f"anon{j}"
        if recent and j < 40:
            visitor = f"v{j * reps}"  # r0's visitors are surely on the site now
        when = (
            now - timedelta(seconds=j % 900)
            if recent
            else now - timedelta(minutes=20 + (j % (7 * 24 * 60)))
        )
        events.append(
            {
                "source": "hub",
                "dedupe_key": f"page_view:pv{j}",
                "type": PAGE_VIEW,
                "occurred_at": when,
                "received_at": when,
                "payload": {"visitor_id": visitor, "url": f"https://site.test/p{j % 40}"},
                "subject_type": "visitor",
                "subject_id": visitor,
                "processed_at": when,
            }
        )
    for f in range(args.flags):
        decision = first_id + visitors + f * 37  # routing decisions
        rep = f"r{(f * 37) % reps}"
        events.append(
            {
                "source": "hub",
                "dedupe_key": f"misroute:{decision}:{rep}",
                "type": MISROUTE_FLAG,
                "occurred_at": now - timedelta(minutes=f),
                "received_at": now - timedelta(minutes=f),
                "payload": {
                    "decision_id": decision,
                    "rep": rep,
                    "reason": "the account is another team's",
                    "subject": {"type": "conversation", "id": f"c{f * 37}"},
                },
                "subject_type": "conversation",
                "subject_id": f"c{f * 37}",
            }
        )
    put(EventRecord, events)

    # Jobs: 60 % done, 10 % queued, 5 % failing, 5 % running, 20 % dead.
    jobs: list[dict[str, Any]] = []
    subjects: list[dict[str, Any]] = []
    for k in range(args.jobs):
        slot = k % 20
        state = (
            "done" if slot < 12 else "queued" if slot < 15 else "running" if slot < 16 else "dead"
        )
        failing = slot == 14
        jobs.append(
            {
                "kind": "connector",
                "connector": "salesforce",
                "hook": "update_record",
                "payload": {"record": f"003{k:07d}", "fields": {"Owner": f"r{k % reps}"}},
                "idempotency_key": f"bench:{k}",
                "state": state,
                "attempts": 8 if state == "dead" else 2 if failing else 1,
                "max_attempts": 8,
                "run_after": now + timedelta(minutes=5) if failing else now,
                "lease_until": now + timedelta(minutes=1) if state == "running" else None,
                "last_error": "HTTP 503 from salesforce: try again"
                if failing or state == "dead"
                else None,
                "decision_id": first_id + visitors + (k % conversations),
                "created_at": now - timedelta(seconds=args.jobs - k),
                "updated_at": now,
                "finished_at": now if state == "done" else None,
            }
        )
    put(Job, jobs)
    first_job = 1 if args.database == "sqlite" else _first_job(store)
    for k, job in enumerate(jobs):
        if job["state"] != "done":
            subjects.append({"subject": f"record:003{k:07d}", "job_id": first_job + k})
    put(JobSubject, subjects)

    put(
        EntityRecord,
        [
            {
                "type": REP_STATUS_KIND,
                "id": f"r{i}",
                "data": {
                    "status": ("available", "away", "offline")[i % 3],
                    "since": now.isoformat(),
                },
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(reps)
        ],
    )
    actions = ("jobs.retry", "jobs.discard", "console.signed_in", "experiences.rollback_ai")
    put(
        Audit,
        [
            {
                "at": now - timedelta(minutes=a),
                "actor": "console:olga",
                "action": actions[a % 4],
                "subject_type": "experiences" if a % 4 == 3 else "job",
                "subject_id": str(a),
                "details": {},
            }
            for a in range(args.audit)
        ],
    )
    facts = {
        "rep": "r0",
        "visitor": "v0",
        "conv": "c0",
        "lead": "l0",
        "account": "a0",
        "ticket": "t0",
        "decision": str(first_id + visitors),  # routing decision of c0, given to r0
    }
    return Seeded(facts=facts, rows=counts)


def _first_id(store: Store) -> int:
    with store.sessions() as session:
        return int(session.query(Decision.id).order_by(Decision.id).limit(1).scalar() or 1)


def _first_job(store: Store) -> int:
    with store.sessions() as session:
        return int(session.query(Job.id).order_by(Job.id).limit(1).scalar() or 1)


def open_store(kind: str, folder: Path) -> tuple[Store, Callable[[], None]]:
    """A migrated empty store: SQLite in `folder`, or a private PostgreSQL schema."""
    if kind == "sqlite":
        store = Store(f"sqlite:///{folder / 'bench.db'}")
        upgrade(store)
        return store, store.dispose
    url = os.environ.get("HANDOFF_TEST_POSTGRES_URL", PG_DEFAULT)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    dsn = make_url(url).set(drivername="postgresql", query={}).render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    private = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    store = Store(private.render_as_string(hide_password=False))
    upgrade(store)

    def drop() -> None:
        store.dispose()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

    return store, drop


async def measure(args: argparse.Namespace) -> tuple[Seeded, list[Figure]]:
    """Seed, serve, fetch every page; the figures."""
    clock = SystemClock()
    with tempfile.TemporaryDirectory() as scratch:
        store, close = open_store(args.database, Path(scratch))
        try:
            started = time.perf_counter()
            seeded = seed(store, args, clock.now())
            if args.database == "postgres":
                with store.transaction() as session:
                    session.connection().exec_driver_sql("ANALYZE")
            progress(f"seeded in {time.perf_counter() - started:.1f} s")
            add_user(store, "olga", PASSWORD, "ops", now=clock.now(), actor="bench")
            add_user(store, "ana", PASSWORD, "rep", rep_id="r0", now=clock.now(), actor="bench")
            routing = {
                "reps": [{"id": f"r{i}", "name": f"Rep {i}"} for i in range(args.reps)],
                "teams": [{"name": "all", "members": [f"r{i}" for i in range(args.reps)]}],
            }
            app = create_app(
                store, config=HubConfig(routing=routing, experiences=EXPERIENCES), clock=clock
            )
            figures = await serve_and_fetch(app, args, seeded)
            await app.state.intake.aclose()
        finally:
            close()
    return seeded, figures


async def serve_and_fetch(app: Any, args: argparse.Namespace, seeded: Seeded) -> list[Figure]:
    """Serve `app` on a loopback port; fetch each chosen page `--requests` times."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    chosen = [p for p in PAGES if not args.only or any(w in p.name for w in args.only)]
    figures: list[Figure] = []
    try:
        async with (
            httpx.AsyncClient(base_url=base, timeout=args.timeout) as ops,
            httpx.AsyncClient(base_url=base, timeout=args.timeout) as rep,
        ):
            await sign_in(ops, "olga")
            await sign_in(rep, "ana")
            for page in chosen:
                client = ops if page.role == "ops" else rep
                path = page.path.format(**seeded.facts)
                try:
                    warm = await client.get(path)  # also warms the page up
                except httpx.TimeoutException:
                    figures.append((page, f"over {args.timeout:g} s"))
                    progress(f"{page.name} ({page.role}): no answer in {args.timeout:g} s")
                    continue
                if warm.status_code == 404:
                    figures.append((page, "not served"))
                    progress(f"{page.name} ({page.role}): not served (its flow is not configured)")
                    continue
                times = []
                for _ in range(args.requests):
                    t0 = time.perf_counter()
                    answer = await client.get(path)
                    times.append(time.perf_counter() - t0)
                    if answer.status_code != 200:
                        raise SystemExit(f"{path} as {page.role}: {answer.status_code}")
                p50, p99 = quantiles(times)
                figures.append((page, (p50, p99)))
                progress(f"{page.name} ({page.role}): p50 {p50:,.1f} ms, p99 {p99:,.1f} ms")
    finally:
        server.should_exit = True
        await task
    return figures


def main() -> None:
    """Parse the options, run, print the table."""
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        epilog="\n".join((__doc__ or "").splitlines()[5:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--views", type=int, default=20_000, help="page views, last 15 minutes")
    parser.add_argument("--old-views", type=int, default=80_000, help="page views before that")
    parser.add_argument("--flags", type=int, default=200, help="misroute flags")
    parser.add_argument("--audit", type=int, default=2_000, help="audit lines")
    parser.add_argument("--requests", type=int, default=20, help="requests per page")
    parser.add_argument(
        "--timeout",
        type=float,
        default=60,
        help="seconds a page may take (a page past it is listed so, not timed)",
    )
    parser.add_argument(
        "--only",
        type=lambda text: [w.strip() for w in text.split(",") if w.strip()],
        default=[],
        help="comma-separated words: time only the pages whose name holds one",
    )
    args = parser.parse_args()
    seeded, figures = asyncio.run(measure(args))
    print(
        f"{args.database}: "
        + ", ".join(f"{n:,} {t}" for t, n in seeded.rows.items())
        + f"; {args.requests} requests a page; load average "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    print("| page | signed in as | p50 | p99 |")
    print("| --- | --- | --- | --- |")
    for page, timed in figures:
        shown = (
            (f"{timed[0]:,.1f} ms", f"{timed[1]:,.1f} ms")
            if isinstance(timed, tuple)
            else (timed, timed)
        )
        print(f"| {page.name} | {page.role} | {shown[0]} | {shown[1]} |")


if __name__ == "__main__":
    main()
