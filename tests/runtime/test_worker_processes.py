"""Three worker processes on PostgreSQL, 10,000 jobs, one worker SIGKILLed mid-batch:
every job's effect happens exactly once (no loss, no double).

Robust on a loaded machine: nothing here is timed. The processes start together
(each says STARTED, then all are told to go), every wait is on a condition with
a generous deadline, and the assertions hold however slow the machine is.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from handoff.runtime import JobSpec, enqueue
from handoff.store import Job, JobState, Store
from handoff_sdk.entities import Notification

JOBS = 10_000
SCRIPT = Path(__file__).with_name("effect_worker.py")


def in_schema(url: str, schema: str) -> psycopg.Connection[tuple[Any, ...]]:
    return psycopg.connect(
        make_url(url).set(drivername="postgresql", query={}).render_as_string(hide_password=False),
        autocommit=True,
        options=f"-csearch_path={schema}",
    )


def spawn(url: str, role: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), url, role, "25"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def read_line(proc: subprocess.Popen[str], deadline: float) -> str:
    """The process's next line of output; fails with its stderr if it exits or the deadline passes."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
            proc.kill()
            pytest.fail(f"no line from the worker in time: {proc.communicate()[1][-3000:]}")
    line = proc.stdout.readline()
    if not line:
        pytest.fail(f"the worker exited ({proc.wait()}): {proc.communicate()[1][-3000:]}")
    return line.strip()


@pytest.mark.postgres
def test_three_workers_one_killed_every_effect_exactly_once(pg_url: str, pg_store: Store) -> None:
    schema = pg_url.rsplit("search_path%3D", 1)[-1]
    with in_schema(pg_url, schema) as conn:
        conn.execute(
            "CREATE TABLE effects (idempotency_key text PRIMARY KEY, text text, "
            "pid int, deliveries int NOT NULL)"
        )
    now = datetime.now(UTC)
    with pg_store.transaction() as s:
        enqueue(
            s,
            [
                JobSpec.call(
                    "effects",
                    "handoff_send_notification",
                    f"job-{i}",
                    notification=Notification(text=f"effect {i}"),
                )
                for i in range(JOBS)
            ],
            now=now,
        )
    started = time.monotonic()
    victim = spawn(pg_url, "victim")
    survivors = [spawn(pg_url, "survivor") for _ in range(2)]
    everyone = [victim, *survivors]
    deadline = time.monotonic() + 300  # generous: CI machines are shared
    try:
        for proc in everyone:
            assert read_line(proc, deadline) == "STARTED"
        for proc in everyone:  # go, all together
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        assert read_line(victim, deadline) == "READY"  # the victim is mid-batch
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=60)
        assert victim.returncode == -signal.SIGKILL
        for proc in survivors:
            out, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
            assert proc.returncode == 0, err[-3000:]
            assert out.startswith("DONE")
    finally:
        for proc in everyone:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    elapsed = time.monotonic() - started

    with pg_store.sessions() as s:
        states = dict(s.execute(select(Job.state, func.count()).group_by(Job.state)).all())
        retaken = s.scalar(select(func.count()).where(Job.attempts > 1))
        extra_claims = s.scalar(select(func.coalesce(func.sum(Job.attempts - 1), 0)))
    assert states == {JobState.DONE.value: JOBS}, states
    with in_schema(pg_url, schema) as conn:
        keys = {row[0] for row in conn.execute("SELECT idempotency_key FROM effects")}
        total, repeats = conn.execute(
            "SELECT count(*), coalesce(sum(deliveries - 1), 0) FROM effects"
        ).fetchone() or (0, 0)
        applied_by = {row[0] for row in conn.execute("SELECT DISTINCT pid FROM effects")}
    # No loss: one effect per job. No double: the key is the row's primary key, and a
    # repeated delivery (only the victim's unfinished batch) was absorbed by the key.
    assert keys == {f"job-{i}" for i in range(JOBS)}
    assert total == JOBS
    # Only the victim's batch (25 jobs in hand) is taken again: the lease is far longer
    # than any job, however loaded the machine.
    assert 1 <= retaken <= 25, "the victim's batch was taken again after its lease ran out"
    assert 1 <= repeats <= extra_claims, "effects applied before the kill were delivered again"
    print(
        f"{JOBS} jobs, 3 processes, 1 killed: {elapsed:.1f} s, {retaken} retaken, {repeats} repeats"
    )
    assert len(applied_by) == 3, "all three processes did work"
