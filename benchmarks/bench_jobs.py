"""Jobs run per second by 1 or 3 worker processes, on SQLite or PostgreSQL.

    .venv/bin/python benchmarks/bench_jobs.py --database sqlite --workers 1 --jobs 20000
    .venv/bin/python benchmarks/bench_jobs.py --database postgres --workers 3 --jobs 20000

Queues `--jobs` no-op jobs, starts the worker processes, and measures from
their start until the last job is recorded done (process start-up included).
A no-op job measures the outbox itself: claim, lease, record done.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench_intake import database, drop
from sqlalchemy import func, select

from handoff.runtime import JobSpec, enqueue
from handoff.store import Job, Store, upgrade


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url, schema = database(args.database, Path(tmp))
        store = Store(url)
        upgrade(store)
        with store.transaction() as s:
            enqueue(
                s,
                [JobSpec(kind="noop", idempotency_key=f"n-{i}") for i in range(args.jobs)],
                now=datetime.now(UTC),
            )
        script = str(Path(__file__).with_name("noop_worker.py"))
        started = time.perf_counter()
        procs = [
            subprocess.Popen([sys.executable, script, url, str(args.concurrency)])  # noqa: S603
            for _ in range(args.workers)
        ]
        for proc in procs:
            proc.wait()
        elapsed = time.perf_counter() - started
        with store.sessions() as s:
            done = s.scalar(select(func.count()).where(Job.state == "done")) or 0
        store.dispose()
        drop(schema)
    print(
        f"jobs {args.database}, {args.workers} worker(s) x {args.concurrency}: {done} jobs in "
        f"{elapsed:.2f} s = {done / elapsed:,.0f} jobs/s"
    )


if __name__ == "__main__":
    main()
