"""Split writes to the API's maximum and keep one result per input record."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import TypeVar

from .entities import WriteError, WriteResult
from .errors import ApiError

__all__ = ["chunk_key", "chunked", "write_in_batches"]

T = TypeVar("T")


def chunked(items: Sequence[T], size: int) -> Iterator[tuple[int, Sequence[T]]]:
    """Yield (offset, chunk) with chunks of at most `size`."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    for start in range(0, len(items), size):
        yield start, items[start : start + size]


def chunk_key(idempotency_key: str, offset: int) -> str:
    """The idempotency key of one chunk: stable, so a retried batch sends the same keys."""
    return f"{idempotency_key}:{offset}"


async def write_in_batches(
    items: Sequence[T],
    size: int,
    send: Callable[[Sequence[T], str], Awaitable[list[WriteResult]]],
    idempotency_key: str,
) -> list[WriteResult]:
    """Send `items` in chunks of `size`; return one WriteResult per item, in input order.

    `send` gets a chunk and its idempotency key and returns results indexed
    within the chunk. A chunk the API refuses as a whole (ApiError) marks each
    of its records failed with that error, so one bad chunk does not hide the
    others' outcomes.
    """
    results: list[WriteResult] = []
    for offset, chunk in chunked(items, size):
        try:
            chunk_results = await send(chunk, chunk_key(idempotency_key, offset))
        except ApiError as exc:
            error = WriteError(code=exc.code, message=exc.message)
            chunk_results = [
                WriteResult(index=i, ok=False, errors=[error]) for i in range(len(chunk))
            ]
        if len(chunk_results) != len(chunk):
            raise ValueError(
                f"a batch of {len(chunk)} returned {len(chunk_results)} results; "
                "a connector must return one per record"
            )
        results.extend(r.model_copy(update={"index": offset + r.index}) for r in chunk_results)
    return results
