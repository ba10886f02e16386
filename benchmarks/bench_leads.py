"""Lead scoring throughput and the 21-day no-reply sweep (D4, D5), with the GitLab playbook.

    .venv/bin/python benchmarks/bench_leads.py            # 1M events / 100k leads, 1M timers
    .venv/bin/python benchmarks/bench_leads.py --quick    # 100k events / 10k leads, 100k timers

Scoring, two measures:

- pure: `add_behaviour` (points, caps, decay) for `--events` behavioural
  events spread over `--leads` leads, the playbook's `[leads.scoring]`, each
  lead's breakdown kept in memory; MQL crossings counted as the flow counts
  them (the first time a lead reaches the threshold).
- stored: `--stored-events` of those events decided as the worker decides
  them, one transaction each on a SQLite store (WAL, synchronous=FULL) holding
  the `--leads` leads: read and lock the lead, add the points, store score and
  breakdown, the MQL decision when it fires, the write-back mark and its job.

The sweep: `--timers` attempted leads, each with its nurture timer due 21
days after its last attempt (the attempts spread over the 21 days before
the start), as `keep_nurture_timer` writes them, plus as many timers already
fired (history). The clock then moves one day and `fire_due_timers` fires
what is due, page by page (the worker's own call): the work is the due
timers, found through the `due_at` index, never a scan of every lead. The
same question asked as a scan of the leads table (every attempted lead whose
last attempt is 21 days old) is timed beside it.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from handoff.leads.handler import LeadsHandler
from handoff.leads.kinds import LEAD_ACTIVITY, TIMER_JOB
from handoff.leads.playbooks import load_playbook
from handoff.leads.scoring import add_behaviour
from handoff.leads.store import LeadRow
from handoff.runtime import fire_due_timers
from handoff.store import EventRecord, Store, Timer, upgrade

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def events(count: int, leads: int, kinds: list[str], rng: random.Random) -> list[tuple[int, str]]:
    """(lead number, kind) pairs: a few leads are very active, most are not (Zipf-like)."""
    weights = [1 / (i + 1) ** 0.6 for i in range(leads)]
    picks = rng.choices(range(leads), weights=weights, k=count)
    return [(lead, rng.choice(kinds)) for lead in picks]


def scoring_pure(count: int, leads: int, rng: random.Random) -> dict[str, Any]:
    config = load_playbook()
    scoring = config.scoring
    kinds = [b.kind for b in scoring.behaviour]
    stream = events(count, leads, kinds, rng)
    details: list[dict[str, Any]] = [{} for _ in range(leads)]
    mql = [False] * leads
    crossings = 0
    step = timedelta(seconds=30 * 86_400 / max(count, 1))
    at = START
    started = time.perf_counter()
    for lead, kind in stream:
        at += step
        change = add_behaviour(scoring, details[lead], kind, at)
        details[lead] = change.detail
        if not mql[lead] and change.score >= scoring.threshold:
            mql[lead] = True
            crossings += 1
    seconds = time.perf_counter() - started
    return {
        "events": count,
        "leads": leads,
        "seconds": seconds,
        "rate": count / seconds,
        "mqls": crossings,
    }


def new_store(folder: Path) -> Store:
    store = Store(f"sqlite:///{folder / 'bench.db'}")
    upgrade(store)
    return store


def seed_leads(store: Store, leads: int, *, attempted: bool = False) -> None:
    rows = []
    for i in range(leads):
        last = START - timedelta(seconds=(i * 21 * 86_400) // max(leads, 1))
        rows.append(
            {
                "id": f"lead{i}@co{i % 5000}.example",
                "email": f"lead{i}@co{i % 5000}.example",
                "status": "Attempt 1" if attempted else "Open",
                "status_since": START,
                "score": 0,
                "score_detail": {},
                "crm": {},
                "bant": {},
                "attempts": 1 if attempted else 0,
                "last_attempt_at": last if attempted else None,
                "opt_out": False,
                "lists": [],
                "context": {},
                "ids": {},
                "created_at": START,
                "updated_at": START,
            }
        )
        if len(rows) == 20_000:
            with store.transaction() as session:
                session.execute(insert(LeadRow), rows)
            rows = []
    if rows:
        with store.transaction() as session:
            session.execute(insert(LeadRow), rows)


def scoring_stored(count: int, leads: int, folder: Path, rng: random.Random) -> dict[str, Any]:
    config = load_playbook().model_copy(update={"crm": "salesforce", "marketing": "marketo"})
    handler = LeadsHandler(config)
    store = new_store(folder)
    seed_leads(store, leads)
    kinds = [b.kind for b in config.scoring.behaviour]
    stream = events(count, leads, kinds, rng)
    latencies: list[float] = []
    started = time.perf_counter()
    for n, (lead, kind) in enumerate(stream):
        now = START + timedelta(seconds=n)
        event = EventRecord(
            id=None,
            type=LEAD_ACTIVITY,
            source="bench",
            dedupe_key=f"bench:{n}",
            occurred_at=now,
            payload={"email": f"lead{lead}@co{lead % 5000}.example", "kind": kind},
        )
        began = time.perf_counter()
        with store.transaction() as session:
            handler.decide(session, event, {}, now)
        latencies.append(time.perf_counter() - began)
    seconds = time.perf_counter() - started
    latencies.sort()
    store.dispose()
    return {
        "events": count,
        "seconds": seconds,
        "rate": count / seconds,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
    }


def commit_floor(count: int, folder: Path) -> dict[str, Any]:
    """The floor of any durable per-event decision on this disk: one UPDATE and its commit
    through sqlite3 alone (WAL, synchronous=FULL, the hub's settings)."""
    path = folder / "floor.db"
    raw = sqlite3.connect(str(path), isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    raw.execute("CREATE TABLE leads (id TEXT PRIMARY KEY, score INTEGER)")
    raw.executemany("INSERT INTO leads VALUES (?, 0)", [(f"l{i}",) for i in range(1000)])
    latencies: list[float] = []
    started = time.perf_counter()
    for n in range(count):
        began = time.perf_counter()
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("UPDATE leads SET score = score + 1 WHERE id = ?", (f"l{n % 1000}",))
        raw.execute("COMMIT")
        latencies.append(time.perf_counter() - began)
    seconds = time.perf_counter() - started
    raw.close()
    latencies.sort()
    return {
        "rate": count / seconds,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
    }


def stamp(at: datetime) -> str:
    """A time as the store writes it in SQLite (UTC, no zone), for raw SQL comparisons."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


DUE_PAGE = (
    "SELECT id FROM timers WHERE state = 'pending' AND due_at <= ? ORDER BY due_at, id LIMIT 500"
)


def sweep(timers: int, folder: Path, scan: bool) -> dict[str, Any]:
    store = new_store(folder)
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        if batch:
            with store.transaction() as session:
                session.execute(insert(Timer), batch)
            batch.clear()

    for history in (True, False):
        for i in range(timers):
            last_attempt = START - timedelta(seconds=(i * 21 * 86_400) // max(timers, 1))
            due = (
                last_attempt + timedelta(days=21) - (timedelta(days=60) if history else timedelta())
            )
            batch.append(
                {
                    "key": f"leads:nurture:{'old' if history else 'lead'}{i}@example.test",
                    "due_at": due,
                    "schedule": None,
                    "timezone": "UTC",
                    "state": "fired" if history else "pending",
                    "kind": TIMER_JOB,
                    "connector": None,
                    "hook": None,
                    "payload": {"timer": "nurture", "lead": f"lead{i}@example.test"},
                    "fired_count": 1 if history else 0,
                    "last_fired_at": due if history else None,
                    "created_at": START,
                }
            )
            if len(batch) == 20_000:
                flush()
    flush()
    path = str(folder / "bench.db")
    with sqlite3.connect(path) as raw:
        at = stamp(START + timedelta(days=1))
        plan = raw.execute("EXPLAIN QUERY PLAN " + DUE_PAGE, (at,)).fetchall()
        began = time.perf_counter()
        page = raw.execute(DUE_PAGE, (at,)).fetchall()
        page_ms = (time.perf_counter() - began) * 1000
    now = START + timedelta(days=1)
    fired = 0
    pages = 0
    started = time.perf_counter()
    while True:
        done = fire_due_timers(store, now=now, limit=500)
        if not done:
            break
        fired += done
        pages += 1
    seconds = time.perf_counter() - started
    result: dict[str, Any] = {
        "timers": timers,
        "history": timers,
        "due": fired,
        "pages": pages,
        "seconds": seconds,
        "rate": fired / seconds if seconds else 0.0,
        "plan": " | ".join(str(row[-1]) for row in plan),
        "page_ms": page_ms,
        "page_rows": len(page),
    }
    store.dispose()
    if scan:
        scan_store = Store(f"sqlite:///{folder / 'scan.db'}")
        upgrade(scan_store)
        seed_leads(scan_store, timers, attempted=True)
        scan_store.dispose()
        cutoff = stamp(now - timedelta(days=21))
        with sqlite3.connect(str(folder / "scan.db")) as raw:
            began = time.perf_counter()
            found = raw.execute(
                "SELECT count(*) FROM leads WHERE status LIKE 'Attempt%' AND last_attempt_at <= ?",
                (cutoff,),
            ).fetchone()[0]
            result["scan_seconds"] = time.perf_counter() - began
            result["scan_found"] = found
            result["scan_plan"] = " | ".join(
                str(r[-1])
                for r in raw.execute(
                    "EXPLAIN QUERY PLAN SELECT count(*) FROM leads WHERE status LIKE 'Attempt%' "
                    "AND last_attempt_at <= ?",
                    (cutoff,),
                ).fetchall()
            )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000, help="Behavioural events (pure).")
    parser.add_argument("--leads", type=int, default=100_000, help="Leads the events fall on.")
    parser.add_argument(
        "--stored-events", type=int, default=20_000, help="Events decided in the store."
    )
    parser.add_argument(
        "--timers", type=int, default=1_000_000, help="Attempted leads with a timer."
    )
    parser.add_argument("--quick", action="store_true", help="A tenth of every size.")
    parser.add_argument(
        "--only", choices=("scoring", "sweep"), default=None, help="Run one part only."
    )
    parser.add_argument(
        "--no-scan", action="store_true", help="Skip the leads-table scan beside it."
    )
    args = parser.parse_args()
    if args.quick:
        args.events //= 10
        args.leads //= 10
        args.stored_events //= 10
        args.timers //= 10
    rng = random.Random(4)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    if args.only != "sweep":
        run_scoring(args, rng)
    if args.only != "scoring":
        run_sweep(args)


def run_scoring(args: argparse.Namespace, rng: random.Random) -> None:
    """The scoring part: pure, stored, and the commit floor beside it."""
    pure = scoring_pure(args.events, args.leads, rng)
    print(
        f"scoring, pure: {pure['events']:,} events over {pure['leads']:,} leads in "
        f"{pure['seconds']:.2f} s = {pure['rate']:,.0f} events/s ({pure['mqls']:,} MQLs)"
    )
    with tempfile.TemporaryDirectory(prefix="bench-leads-") as tmp:
        stored = scoring_stored(args.stored_events, args.leads, Path(tmp), rng)
    print(
        f"scoring, stored (one transaction per event, SQLite FULL): {stored['events']:,} events "
        f"in {stored['seconds']:.2f} s = {stored['rate']:,.0f} events/s, p50 "
        f"{stored['p50_ms']:.2f} ms, p99 {stored['p99_ms']:.2f} ms; 1M events: "
        f"{1_000_000 / stored['rate'] / 60:.1f} min"
    )
    with tempfile.TemporaryDirectory(prefix="bench-leads-") as tmp:
        floor = commit_floor(min(args.stored_events, 2000), Path(tmp))
    print(
        f"floor, one UPDATE + commit through sqlite3 alone: {floor['rate']:,.0f}/s, p50 "
        f"{floor['p50_ms']:.2f} ms, p99 {floor['p99_ms']:.2f} ms (stored / floor: "
        f"{stored['rate'] / floor['rate']:.2f}x)"
    )


def run_sweep(args: argparse.Namespace) -> None:
    """The sweep part: due nurture timers one day later, and the scan beside it."""
    with tempfile.TemporaryDirectory(prefix="bench-leads-") as tmp:
        swept = sweep(args.timers, Path(tmp), scan=not args.no_scan)
    print(
        f"sweep: {swept['timers']:,} pending nurture timers + {swept['history']:,} fired; one day "
        f"later {swept['due']:,} due, fired in {swept['pages']} pages in {swept['seconds']:.2f} s "
        f"= {swept['rate']:,.0f} timers/s (jobs enqueued, timers marked); finding a page of "
        f"{swept['page_rows']} due timers: {swept['page_ms']:.2f} ms; plan: {swept['plan']}"
    )
    if "scan_seconds" in swept:
        print(
            f"beside it, a scan of {swept['timers']:,} leads for the same question: "
            f"{swept['scan_seconds'] * 1000:.0f} ms for {swept['scan_found']:,} found; plan: "
            f"{swept['scan_plan']}"
        )


if __name__ == "__main__":
    main()
