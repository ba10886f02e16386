"""Split writes to the API's maximum, send the chunks side by side, keep one result per record.

Two forms. `write_in_batches`: each chunk is one call that answers with its
results (Salesforce collections, Marketo Sync Leads). `write_in_jobs`, the
start-then-wait form: each chunk starts a background job and the results
come later (Zendesk's create_many); jobs are started within the API's limit
of queued jobs and polled together. Either way the chunks go out
concurrently, each call still drawing on the connector's rate budget, and
the results come back in input order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import TypeVar

from ._clock import Clock
from .entities import WriteError, WriteResult
from .errors import ApiError

__all__ = ["chunk_key", "chunked", "write_in_batches", "write_in_jobs"]

T = TypeVar("T")
J = TypeVar("J")


def chunked(items: Sequence[T], size: int) -> Iterator[tuple[int, Sequence[T]]]:
    """Yield (offset, chunk) with chunks of at most `size`."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    for start in range(0, len(items), size):
        yield start, items[start : start + size]


def chunk_key(idempotency_key: str, offset: int) -> str:
    """The idempotency key of one chunk: stable, so a retried batch sends the same keys."""
    return f"{idempotency_key}:{offset}"


def _refused(size: int, exc: ApiError) -> list[WriteResult]:
    """Every record of a chunk the API refused as a whole, failed with the API's words."""
    error = WriteError(code=exc.code, message=exc.message)
    return [WriteResult(index=i, ok=False, errors=[error]) for i in range(size)]


def _placed(results: Sequence[WriteResult], offset: int, size: int) -> list[WriteResult]:
    """A chunk's results moved to their positions in the caller's input."""
    if len(results) != size:
        raise ValueError(
            f"a batch of {size} returned {len(results)} results; "
            "a connector must return one per record"
        )
    if offset == 0:
        return list(results)
    return [r.model_copy(update={"index": offset + r.index}) for r in results]


async def _all(coroutines: Sequence[Awaitable[T]]) -> list[T]:
    """Run side by side; on the first error cancel the rest and raise that error as it is."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def write_in_batches(
    items: Sequence[T],
    size: int,
    send: Callable[[Sequence[T], str], Awaitable[list[WriteResult]]],
    idempotency_key: str,
    *,
    concurrency: int | None = None,
) -> list[WriteResult]:
    """Send `items` in chunks of `size`; return one WriteResult per item, in input order.

    `send` gets a chunk and its idempotency key and returns results indexed
    within the chunk. Up to `concurrency` chunks are sent at once (pass the
    connector's `self.budget.limit.concurrency`; None sends them all and lets
    the budget hold the calls back), so N chunks take about N / concurrency
    round trips instead of N. A chunk the API refuses as a whole (ApiError)
    marks each of its records failed with that error, so one bad chunk does
    not hide the others' outcomes; any other error stops the whole write.
    """
    chunks = list(chunked(items, size))
    slots = asyncio.Semaphore(concurrency or max(1, len(chunks)))

    async def one(offset: int, chunk: Sequence[T]) -> list[WriteResult]:
        async with slots:
            try:
                results = await send(chunk, chunk_key(idempotency_key, offset))
            except ApiError as exc:
                results = _refused(len(chunk), exc)
        return _placed(results, offset, len(chunk))

    parts = await _all([one(offset, chunk) for offset, chunk in chunks])
    return [result for part in parts for result in part]


async def write_in_jobs(
    items: Sequence[T],
    size: int,
    start: Callable[[Sequence[T], str], Awaitable[J]],
    poll: Callable[[Sequence[J]], Awaitable[Sequence[list[WriteResult] | None]]],
    idempotency_key: str,
    *,
    clock: Clock,
    concurrency: int | None = None,
    max_pending: int | None = None,
    first_interval: float = 0.1,
    max_interval: float = 2.0,
    give_up_after: float = 600.0,
    timed_out: Callable[[J], WriteError] | None = None,
) -> list[WriteResult]:
    """The start-then-wait form of `write_in_batches`, for APIs that answer a write with a job.

    `start(chunk, key)` starts one job and returns its handle; `poll(jobs)`
    asks about every unfinished job in one go and returns, per job, its
    results (indexed within the chunk) once it has finished, or None while
    it runs. Chunks are started `concurrency` at a time, never more than
    `max_pending` unfinished at once (the API's limit of queued jobs; more
    start as jobs finish). The first poll follows the first starts with no
    fixed wait; later polls wait `first_interval`, growing by half each time
    up to `max_interval`, all on `clock`. Jobs still running after
    `give_up_after` seconds fail their records with `timed_out(job)`. A chunk refused at
    start (ApiError) fails its records; the others go on.
    """
    chunks = list(chunked(items, size))
    done: dict[int, list[WriteResult]] = {}
    pending: list[tuple[int, int, J]] = []
    slots = asyncio.Semaphore(concurrency or max(1, len(chunks)))
    deadline = clock.monotonic() + give_up_after
    interval = first_interval
    queued = 0

    async def begin(offset: int, chunk: Sequence[T]) -> None:
        async with slots:
            try:
                job = await start(chunk, chunk_key(idempotency_key, offset))
            except ApiError as exc:
                done[offset] = _placed(_refused(len(chunk), exc), offset, len(chunk))
                return
        pending.append((offset, len(chunk), job))

    while queued < len(chunks) or pending:
        room = len(chunks) if max_pending is None else max_pending - len(pending)
        wave = chunks[queued : queued + max(0, room)]
        if wave:
            queued += len(wave)
            await _all([begin(offset, chunk) for offset, chunk in wave])
        elif pending:
            await clock.sleep(interval)
            interval = min(max_interval, interval * 1.5)
        if not pending:
            continue
        answers = await poll([job for _offset, _size, job in pending])
        running: list[tuple[int, int, J]] = []
        for (offset, n, job), answer in zip(pending, answers, strict=True):
            if answer is None:
                running.append((offset, n, job))
            else:
                done[offset] = _placed(answer, offset, n)
        pending = running
        if pending and clock.monotonic() >= deadline:
            for offset, n, job in pending:
                error = (
                    timed_out(job)
                    if timed_out
                    else WriteError(
                        code="JobTimeout", message=f"still running after {give_up_after:g} s"
                    )
                )
                done[offset] = [
                    WriteResult(index=offset + i, ok=False, errors=[error]) for i in range(n)
                ]
            pending = []
    return [result for offset in sorted(done) for result in done[offset]]
