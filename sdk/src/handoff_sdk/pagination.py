"""Follow the three pagination styles vendor APIs use, with loop protection.

Each helper takes a `fetch` coroutine (one page) and small functions that read
the page, and yields pages until the API says it is done. A cursor seen twice
or more than `max_pages` pages raises PaginationError instead of looping.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from .errors import PaginationError

__all__ = ["follow_cursor", "follow_next_url", "follow_page_token"]

Page = TypeVar("Page")


async def follow_next_url(
    fetch: Callable[[str], Awaitable[Page]],
    first_url: str,
    next_url: Callable[[Page], str | None],
    *,
    connector: str,
    max_pages: int = 10_000,
) -> AsyncIterator[Page]:
    """Pages linked by a next URL (Salesforce nextRecordsUrl, Zendesk links.next)."""
    url: str | None = first_url
    seen: set[str] = set()
    while url is not None:
        if url in seen or len(seen) >= max_pages:
            raise PaginationError(connector, f"pagination did not end (at {url!r})")
        seen.add(url)
        page = await fetch(url)
        yield page
        url = next_url(page)


async def follow_cursor(
    fetch: Callable[[str | None], Awaitable[Page]],
    next_cursor: Callable[[Page], str | None],
    has_more: Callable[[Page], bool],
    *,
    connector: str,
    max_pages: int = 10_000,
) -> AsyncIterator[Page]:
    """Pages by cursor where `has_more` decides the end (Zendesk, Slack).

    `has_more` is what ends it: some APIs keep a next cursor on the last page.
    """
    cursor: str | None = None
    seen: set[str] = set()
    pages = 0
    while True:
        page = await fetch(cursor)
        pages += 1
        yield page
        if not has_more(page):
            return
        cursor = next_cursor(page)
        if cursor is None or cursor in seen or pages >= max_pages:
            raise PaginationError(
                connector, f"has_more is set but the cursor {cursor!r} is missing or repeats"
            )
        seen.add(cursor)


async def follow_page_token(
    fetch: Callable[[str | None], Awaitable[Page]],
    next_token: Callable[[Page], str | None],
    *,
    connector: str,
    max_pages: int = 10_000,
) -> AsyncIterator[Page]:
    """Pages by token where a missing token is the end (Google nextPageToken, Marketo)."""
    token: str | None = None
    seen: set[str] = set()
    pages = 0
    while True:
        page = await fetch(token)
        pages += 1
        yield page
        token = next_token(page)
        if not token:
            return
        if token in seen or pages >= max_pages:
            raise PaginationError(connector, f"the page token {token!r} repeats")
        seen.add(token)
