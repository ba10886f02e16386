"""A worker process for the kill test: `python effect_worker.py URL (survivor|victim) CONCURRENCY`.

Its one connector applies each notification as a row in `effects`, keyed by
the idempotency key the way a vendor API honours one: the first delivery
inserts, a repeat only counts itself in `deliveries`. The victim, on its
300th delivery, prints READY and hangs with its batch in hand, so the test
can SIGKILL it at a known point: some effects applied, their jobs not yet
marked done.

Each process prints STARTED once imported and connected, then waits for a line
on its standard input: the test starts all three together, so a process slow
to start on a loaded machine does not find the work already done. The lease
(20 s) and job timeout (15 s) are far above what an insert takes even on a
starved machine, so only the victim's jobs are ever taken again.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta

import psycopg

from handoff.config import ConnectorSettings, HubConfig
from handoff.hub import Hub
from handoff.plugins import Discovery
from handoff.runtime import Worker
from handoff.store import Store
from handoff_sdk import Connector, hookimpl
from handoff_sdk.entities import Notification, WriteResult
from handoff_sdk.secrets import DictSecrets

URL, ROLE, CONCURRENCY = sys.argv[1], sys.argv[2], int(sys.argv[3])
SCHEMA = URL.rsplit("search_path%3D", 1)[-1]
HANG_AFTER = 300
LEASE_S = 20.0


class EffectConnector(Connector):
    """Applies each notification once per idempotency key, counting repeats."""

    name = "effects"
    delivered = 0
    conn: psycopg.Connection[tuple[object, ...]] | None = None

    @hookimpl
    async def handoff_send_notification(
        self, notification: Notification, idempotency_key: str
    ) -> WriteResult:
        cls = type(self)
        if cls.conn is None:
            dsn = URL.split("?", 1)[0].replace("postgresql+psycopg://", "postgresql://")
            cls.conn = psycopg.connect(dsn, autocommit=True, options=f"-csearch_path={SCHEMA}")
            cls.conn.execute("SET synchronous_commit = off")
        cls.conn.execute(
            "INSERT INTO effects (idempotency_key, text, pid, deliveries) VALUES (%s, %s, %s, 1) "
            "ON CONFLICT (idempotency_key) DO UPDATE SET deliveries = effects.deliveries + 1",
            (idempotency_key, notification.text, os.getpid()),
        )
        cls.delivered += 1
        if ROLE == "victim" and cls.delivered == HANG_AFTER:
            print("READY", flush=True)
            await asyncio.Event().wait()  # hang with the batch in hand until SIGKILL
        return WriteResult(index=0, ok=True, id=idempotency_key)


async def main() -> None:
    store = Store(URL, pool_size=2)
    hub = Hub(
        HubConfig(connectors={"effects": ConnectorSettings()}),
        secrets=lambda name: DictSecrets(name, {}),
        discovery=Discovery(connectors={"effects": EffectConnector}, packages={"effects": "t"}),
    )
    worker = Worker(
        store,
        hub=hub,
        concurrency=CONCURRENCY,
        lease=timedelta(seconds=LEASE_S),
        job_timeout=LEASE_S * 0.75,
        poll_interval=0.2,
    )
    async with hub:
        print("STARTED", flush=True)
        await asyncio.to_thread(sys.stdin.readline)  # the test's go, to every process at once
        stats = await worker.run(until_idle=True)
    print(f"DONE {stats.done} lost={stats.lease_lost}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
