"""One worker process for bench_jobs.py: runs 'noop' jobs until none is left."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from handoff.runtime import ClaimedJob, Worker
from handoff.store import Store


async def noop(job: ClaimedJob) -> dict[str, Any] | None:
    return None


async def main() -> None:
    store = Store(sys.argv[1], pool_size=2)
    worker = Worker(
        store, concurrency=int(sys.argv[2]), poll_interval=0.05, handlers={"noop": noop}
    )
    await worker.run(until_idle=True)


if __name__ == "__main__":
    asyncio.run(main())
