"""Pagination ends where the API says, never loops; batches keep one result per record."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from handoff_sdk import (
    ApiError,
    FakeClock,
    PaginationError,
    chunked,
    follow_cursor,
    follow_next_url,
    follow_page_token,
    write_in_batches,
    write_in_jobs,
)
from handoff_sdk.entities import WriteError, WriteResult


async def test_cursor_stops_on_has_more_even_with_a_next_link() -> None:
    pages = {
        None: {"items": [1, 2], "meta": {"has_more": True, "after": "c1"}},
        "c1": {"items": [3], "meta": {"has_more": False, "after": "c2"}, "links": {"next": "x"}},
    }
    fetched: list[str | None] = []

    async def fetch(cursor: str | None) -> dict[str, Any]:
        fetched.append(cursor)
        return pages[cursor]

    items = [
        i
        async for p in follow_cursor(
            fetch, lambda p: p["meta"]["after"], lambda p: p["meta"]["has_more"], connector="z"
        )
        for i in p["items"]
    ]
    assert items == [1, 2, 3]
    assert fetched == [None, "c1"]


async def test_repeating_cursor_is_an_error_not_a_loop() -> None:
    async def fetch(cursor: str | None) -> dict[str, Any]:
        return {"more": True, "next": "same"}

    with pytest.raises(PaginationError, match="repeats"):
        async for _ in follow_cursor(
            fetch, lambda p: p["next"], lambda p: p["more"], connector="z"
        ):
            pass


async def test_next_url_until_done() -> None:
    pages = {"/q": {"records": [1], "nextRecordsUrl": "/q-2"}, "/q-2": {"records": [2]}}

    async def fetch(url: str) -> dict[str, Any]:
        return pages[url]

    got = [
        r
        async for p in follow_next_url(
            fetch, "/q", lambda p: p.get("nextRecordsUrl"), connector="sf"
        )
        for r in p["records"]
    ]
    assert got == [1, 2]


async def test_page_token_until_missing() -> None:
    pages = {None: {"n": 1, "nextPageToken": "t"}, "t": {"n": 2}}

    async def fetch(token: str | None) -> dict[str, Any]:
        return pages[token]

    got = [
        p["n"]
        async for p in follow_page_token(fetch, lambda p: p.get("nextPageToken"), connector="g")
    ]
    assert got == [1, 2]


def test_chunked_respects_the_maximum() -> None:
    sizes = [len(c) for _, c in chunked(list(range(1000)), 300)]
    assert sizes == [300, 300, 300, 100]
    with pytest.raises(ValueError, match="at least 1"):
        list(chunked([1], 0))


async def test_write_in_batches_reindexes_and_isolates_a_refused_chunk() -> None:
    keys: list[str] = []

    async def send(chunk: Sequence[int], key: str) -> list[WriteResult]:
        keys.append(key)
        if 7 in chunk:
            raise ApiError("x", 400, "BAD_CHUNK", "refused")
        return [
            WriteResult(
                index=i, ok=v % 2 == 0, errors=[] if v % 2 == 0 else [WriteError(message="odd")]
            )
            for i, v in enumerate(chunk)
        ]

    results = await write_in_batches(list(range(10)), 4, send, "job-1")
    assert [r.index for r in results] == list(range(10))
    assert keys == ["job-1:0", "job-1:4", "job-1:8"]
    assert [r.ok for r in results[:4]] == [True, False, True, False]
    assert all(not r.ok and r.errors[0].code == "BAD_CHUNK" for r in results[4:8])
    assert results[8].ok


async def test_write_in_batches_sends_chunks_side_by_side_within_the_concurrency() -> None:
    in_flight = 0
    peak = 0

    async def send(chunk: Sequence[int], key: str) -> list[WriteResult]:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01 if chunk[0] % 20 else 0.03)  # the first chunk answers last
        in_flight -= 1
        return [WriteResult(index=i, ok=True, id=f"{key}/{x}") for i, x in enumerate(chunk)]

    results = await write_in_batches(list(range(100)), 10, send, "k", concurrency=3)
    assert peak == 3
    assert [r.index for r in results] == list(range(100))
    assert results[25].id == "k:20/25", "each result stays with its record"


async def test_write_in_jobs_keeps_under_the_queue_limit_and_polls_all_pending_at_once() -> None:
    clock = FakeClock()
    started: list[str] = []
    finished: set[str] = set()
    polls: list[list[str]] = []
    peak_pending = 0

    async def start(chunk: Sequence[int], key: str) -> tuple[str, int]:
        started.append(key)
        return key, len(chunk)

    async def poll(jobs: Sequence[tuple[str, int]]) -> list[list[WriteResult] | None]:
        nonlocal peak_pending
        peak_pending = max(peak_pending, len(jobs))
        polls.append([key for key, _n in jobs])
        answers: list[list[WriteResult] | None] = []
        for n, (key, size) in enumerate(jobs):
            if key in finished or n == 0:  # the oldest job finishes at each poll
                finished.add(key)
                answers.append([WriteResult(index=i, ok=True, id=key) for i in range(size)])
            else:
                answers.append(None)
        return answers

    results = await write_in_jobs(
        list(range(50)), 10, start, poll, "job", clock=clock, max_pending=2
    )
    assert len(started) == 5
    assert peak_pending == 2, "never more jobs queued than the API allows"
    assert polls[0] == ["job:0", "job:10"], "one poll asks about every pending job"
    assert [r.index for r in results] == list(range(50))
    assert clock.sleeps == [0.1], "a finished job frees room at once; only the last is waited on"


async def test_write_in_jobs_waits_longer_between_polls_and_gives_up_in_the_end() -> None:
    clock = FakeClock()

    async def start(chunk: Sequence[int], key: str) -> str:
        return key

    async def poll(jobs: Sequence[str]) -> list[list[WriteResult] | None]:
        return [None for _ in jobs]

    results = await write_in_jobs(
        list(range(3)),
        10,
        start,
        poll,
        "k",
        clock=clock,
        first_interval=0.1,
        max_interval=1.0,
        give_up_after=5.0,
        timed_out=lambda job: WriteError(code="JobTimeout", message=f"{job} still running"),
    )
    assert clock.sleeps[:4] == pytest.approx([0.1, 0.15, 0.225, 0.3375])
    assert max(clock.sleeps) == 1.0
    assert all(not r.ok and r.errors[0].message == "k:0 still running" for r in results)
