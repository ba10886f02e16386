"""What AI Studio's pages share: the page number of a paged list, a form's text fields."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from handoff.console import ConsoleError

__all__ = ["PAGE_SIZE", "Paging", "form_text", "paging"]

PAGE_SIZE = 50
"""Rows on one page of a paged list."""


@dataclass(frozen=True)
class Paging:
    """Which page of a list is shown, and how many rows there are in all."""

    page: int
    total: int = 0
    size: int = PAGE_SIZE

    @property
    def offset(self) -> int:
        """Rows skipped before this page."""
        return (self.page - 1) * self.size

    @property
    def pages(self) -> int:
        """How many pages the list has (at least one)."""
        return max(1, -(-self.total // self.size))

    def of(self, total: int) -> Paging:
        """The same page, knowing the total."""
        return Paging(page=self.page, total=total, size=self.size)


def paging(request: Request) -> Paging:
    """The `page` asked for (1 by default); anything but a positive number is a 400 naming it."""
    raw = request.query_params.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
        raise ConsoleError(400, f"page: expected a page number from 1, got {raw[:20]!r}")
    return Paging(page=int(raw))


async def form_text(request: Request, *names: str, limit: int = 10_000) -> dict[str, str]:
    """The form's text fields `names` (missing ones empty); a field over `limit` is a 400."""
    form = await request.form()
    values = {}
    for name in names:
        value = form.get(name)
        text = value if isinstance(value, str) else ""
        if len(text) > limit:
            raise ConsoleError(400, f"{name}: at most {limit} characters, got {len(text)}")
        values[name] = text
    return values
