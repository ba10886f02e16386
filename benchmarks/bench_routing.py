"""Routing decisions per second and their latency, with the GitLab playbook (Q3, Q4).

    .venv/bin/python benchmarks/bench_routing.py --accounts 100000 --decisions 5000

A fresh SQLite store (WAL, synchronous=FULL, the hub's settings) gets
`--accounts` CRM accounts (entities of type `account`: geos, sectors,
statuses, BDR Assigned spread over the playbook's reps) and every human rep's
presence. Then, per decision, one transaction does what the worker's
`decide` does: read the visitor's account from the store, load presence and
today's counts, run the rules, advance the durable round-robin cursor
(`StoredRotation`, with its ledger row), store the decision with its explanation, and count the
rep's routed chat - then commits. The clock is frozen on a Monday at 16:00
UTC (the Americas and EMEA at work, APAC not), so every branch is exercised.

Also reported: the pure rule evaluation (`route` with an in-memory cursor),
to separate the engine from the store, and the floor any durable decision
pays on this disk: one UPSERT and its commit through the sqlite3 module alone
(no SQLAlchemy), same WAL and synchronous=FULL settings.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from handoff.chat.playbooks import load_playbook
from handoff.chat.routing.availability import (
    AvailabilitySnapshot,
    routed_counter_name,
    set_rep_status,
)
from handoff.chat.routing.config import RoutingConfig
from handoff.chat.routing.engine import route
from handoff.chat.routing.handler import store_routing_decision
from handoff.rules import MemoryRotation
from handoff.store import EntityRecord, Store, upgrade
from handoff_sdk.entities import RepStatus

NOW = datetime(2026, 1, 5, 16, 0, tzinfo=UTC)
GEOS = ("AMER", "EMEA", "APAC")
PAGES = ("/pricing/", "/", "/fr-fr/", "/de-de/pricing/", "/ja-jp/", "/solutions/")


def account(i: int, rng: random.Random, bdrs: list[str]) -> dict[str, Any]:
    """A synthetic CRM account: 10% Actively Working, 5% US Public Sector."""
    roll = rng.random()
    data: dict[str, Any] = {
        "name": f"Account {i}",
        "domain": f"acct{i}.example",
        "geo": GEOS[i % 3],
        "owner_id": f"005OWNER{i % 500:05d}",
    }
    if roll < 0.05:
        data.update(sector="US Public Sector", geo="AMER")
        if rng.random() < 0.7:
            data["bdr_assigned_id"] = "005Hd0000000202AAA"
    elif roll < 0.15:
        data.update(status="Actively Working", bdr_assigned_id=rng.choice(bdrs))
    return data


def seed(store: Store, accounts: int, rng: random.Random, bdrs: list[str]) -> None:
    """Bulk-insert the accounts (batches of 5,000)."""
    batch: list[dict[str, Any]] = []
    with store.transaction() as session:
        for i in range(accounts):
            batch.append(
                {
                    "type": "account",
                    "id": f"001ACCT{i:08d}",
                    "data": account(i, rng, bdrs),
                    "version": 1,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
            if len(batch) == 5000:
                session.execute(insert(EntityRecord), batch)
                batch.clear()
        if batch:
            session.execute(insert(EntityRecord), batch)


def requests(count: int, accounts: int, rng: random.Random) -> list[dict[str, Any]]:
    """Chat requests: 80% from a known account, 5% actively sequenced, all asking for a human."""
    out = []
    for n in range(count):
        req: dict[str, Any] = {
            "conversation_id": f"c-{n}",
            "visitor": {
                "id": f"v-{n}",
                "page_url": "https://about.example.test" + rng.choice(PAGES),
                "geo": rng.choice(GEOS),
            },
            "request": {"human": True},
            "account_id": f"001ACCT{rng.randrange(accounts):08d}" if rng.random() < 0.8 else None,
        }
        if rng.random() < 0.05:
            req["person"] = {"type": "lead", "email": f"p{n}@acct.example"}
            req["sequence"] = {"active": True, "owner_email": "jordan.diaz@example.test"}
        out.append(req)
    return out


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of sorted values, nearest rank."""
    return values[min(len(values) - 1, int(q * len(values)))]


def summary(name: str, samples: list[float], wall: float) -> dict[str, Any]:
    """Decisions per second and latency percentiles (ms)."""
    ordered = sorted(samples)
    return {
        "measure": name,
        "decisions": len(samples),
        "per_second": round(len(samples) / wall, 1),
        "p50_ms": round(percentile(ordered, 0.50) * 1000, 3),
        "p99_ms": round(percentile(ordered, 0.99) * 1000, 3),
        "max_ms": round(ordered[-1] * 1000, 3),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 3),
    }


def commit_floor(directory: Path, commits: int) -> list[float]:
    """One counter UPSERT committed per iteration, through sqlite3 alone (the disk's floor)."""
    db = sqlite3.connect(directory / "floor.sqlite3", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE counters (name TEXT PRIMARY KEY, position INTEGER)")
    upsert = (
        "INSERT INTO counters VALUES ('rr', 1) "
        "ON CONFLICT (name) DO UPDATE SET position = position + 1 RETURNING position"
    )
    timings = []
    for _ in range(commits):
        t0 = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.execute(upsert).fetchall()
        db.execute("COMMIT")
        timings.append(time.perf_counter() - t0)
    db.close()
    return timings


class _RawRotation:
    """The stored rotation's two statements through sqlite3: the cursor UPSERT, the ledger row."""

    def __init__(self, db: sqlite3.Connection, stamp: str) -> None:
        self.db = db
        self.stamp = stamp
        self.drawn: dict[str, tuple[int, Sequence[str]]] = {}

    def __call__(self, name: str, members: Sequence[str]) -> str:
        (position,) = self.db.execute(
            "INSERT INTO cursors (name, position, updated_at) VALUES (?, 1, ?) "
            "ON CONFLICT (name) DO UPDATE SET position = position % ? + 1 RETURNING position",
            (name, self.stamp, len(members)),
        ).fetchone()
        self.drawn[name] = (position, members)
        return members[position - 1]

    def turn(self, name: str, member: str, reason: str | None) -> None:
        position, members = self.drawn[name]
        self.db.execute(
            "INSERT INTO rotation_turns (cursor, member, reason, position, cycle, at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (name, member, reason, position, json.dumps(list(members)), self.stamp),
        )


def raw_durable(database: Path, work: list[dict[str, Any]], config: RoutingConfig) -> list[float]:
    """The durable step's statements through sqlite3 alone: what no store layer could beat.

    Same reads and writes as `store_routing_decision` (account, counters and
    presence, cursor UPSERT, decision row with its JSON explanation, routed
    count), same WAL and synchronous=FULL, no SQLAlchemy. It runs on the same
    database after the measured run, with the day's counts reset first so the
    same chats meet the same caps.
    """
    humans = [r for r in config.reps if not r.is_ai]
    names = {routed_counter_name(r.id, NOW, r.timezone): r.id for r in humans}
    counters = "SELECT name, position FROM cursors WHERE name IN ({})".format(  # noqa: S608 - only "?"s
        ",".join("?" * len(names))
    )
    stamp = NOW.replace(tzinfo=None).isoformat(" ")
    db = sqlite3.connect(database, isolation_level=None)
    db.execute("PRAGMA synchronous=FULL")
    db.execute("DELETE FROM cursors WHERE name LIKE 'routed:%'")
    timings = []
    for req in work:
        t0 = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        ctx = {k: v for k, v in req.items() if k != "account_id"}
        if req["account_id"]:
            row = db.execute(
                "SELECT data FROM entities WHERE type = 'account' AND id = ?", (req["account_id"],)
            ).fetchone()
            ctx["account"] = json.loads(row[0]) if row else None
        snapshot = AvailabilitySnapshot(
            now=NOW,
            statuses={
                ident: RepStatus(json.loads(data)["status"])
                for ident, data in db.execute(
                    "SELECT id, data FROM entities WHERE type = 'rep_status'"
                )
            },
            routed_today={names[n]: p for n, p in db.execute(counters, list(names))},
        )

        decision = route(ctx, config, snapshot, _RawRotation(db, stamp))
        db.execute(
            "INSERT INTO decisions (kind, subject_type, subject_id, outcome, explanation, "
            "rule_ids, decided_at) VALUES ('routing', 'conversation', ?, ?, ?, ?, ?)",
            (
                req["conversation_id"],
                json.dumps(decision.outcome()),
                json.dumps(decision.explanation),
                json.dumps(decision.rule_ids),
                stamp,
            ),
        )
        rep = config.rep(decision.rep_id) if decision.rep_id else None
        if rep is not None and not rep.is_ai:
            db.execute(
                "INSERT INTO cursors (name, position, updated_at) VALUES (?, 1, ?) "
                "ON CONFLICT (name) DO UPDATE SET position = position + 1",
                (routed_counter_name(rep.id, NOW, rep.timezone), stamp),
            )
        db.execute("COMMIT")
        timings.append(time.perf_counter() - t0)
    db.close()
    return timings


def main() -> int:
    """Seed, warm up, measure; print one JSON line per measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--decisions", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="cProfile the durable loop")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    playbook = load_playbook("gitlab")
    config = playbook.routing
    experiences = {e.id: e for e in playbook.experiences.experiences.values()}
    catalog = playbook.experiences
    humans = [r.id for r in config.reps if not r.is_ai]
    bdrs = [r.ids["salesforce"] for r in config.reps if r.id.startswith("bdr-")]

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        upgrade(store)
        started = time.perf_counter()
        seed(store, args.accounts, rng, bdrs)
        seeded = time.perf_counter() - started
        with store.transaction() as session:
            for rep in humans:
                set_rep_status(session, rep, RepStatus.ONLINE, now=NOW)
        work = requests(args.decisions, args.accounts, rng)
        for req in work:  # Q9: the live experience of the page, as enrich finds it
            exp = catalog.live_for_page(req["visitor"]["page_url"], {})
            assert exp is not None
            req["experience"] = {
                k: v
                for k, v in exp.model_dump(mode="json").items()
                if k in ("id", "language", "mode")
            }
        assert experiences  # every page has an experience

        # 1. The engine alone: rules, explanation, in-memory cursor.
        snapshot = AvailabilitySnapshot(now=NOW, statuses=dict.fromkeys(humans, RepStatus.ONLINE))
        rotation = MemoryRotation()
        samples: list[float] = []
        with store.sessions() as session:
            contexts = []
            for req in work:
                ctx = {k: v for k, v in req.items() if k != "account_id"}
                if req["account_id"]:
                    row = session.get(EntityRecord, ("account", req["account_id"]))
                    ctx["account"] = row.data if row else None
                contexts.append(ctx)
        wall = time.perf_counter()
        for ctx in contexts:
            t0 = time.perf_counter()
            route(ctx, config, snapshot, rotation)
            samples.append(time.perf_counter() - t0)
        engine = summary(
            "engine only (route, in-memory cursor)", samples, time.perf_counter() - wall
        )

        # 2. The durable decision: one transaction per decision, committed.
        def durable(batch: list[dict[str, Any]]) -> list[float]:
            timings = []
            for req in batch:
                t0 = time.perf_counter()
                with store.transaction() as session:
                    ctx = {k: v for k, v in req.items() if k != "account_id"}
                    if req["account_id"]:
                        row = session.get(EntityRecord, ("account", req["account_id"]))
                        ctx["account"] = row.data if row else None
                    store_routing_decision(
                        session,
                        conversation_id=req["conversation_id"],
                        context=ctx,
                        config=config,
                        now=NOW,
                    )
                timings.append(time.perf_counter() - t0)
            return timings

        durable(requests(200, args.accounts, random.Random(1)))  # warm-up (caches, pages)
        profiler = cProfile.Profile() if args.profile else None
        wall = time.perf_counter()
        if profiler:
            profiler.enable()
        timings = durable(work)
        if profiler:
            profiler.disable()
        stored = summary(
            "durable (store read + decision + rotation + record, 1 commit each)",
            timings,
            time.perf_counter() - wall,
        )
        store.dispose()
        wall = time.perf_counter()
        raw = summary(
            "durable step through sqlite3 alone (same statements, no SQLAlchemy)",
            raw_durable(Path(tmp) / "bench.sqlite3", work, config),
            time.perf_counter() - wall,
        )
        wall = time.perf_counter()
        floor = summary(
            "floor: one UPSERT + commit, sqlite3 module alone",
            commit_floor(Path(tmp), args.decisions),
            time.perf_counter() - wall,
        )

    for line in (
        {
            "accounts": args.accounts,
            "seed_seconds": round(seeded, 1),
            "sqlite": "WAL, synchronous=FULL",
        },
        engine,
        stored,
        raw,
        floor,
    ):
        print(json.dumps(line))
    if profiler:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
