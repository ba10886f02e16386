"""Indexing content for the AI rep (Q7): a folder's files or a sitemap's pages, re-indexable.

`index_source` takes one configured source (`[[ai.content.sources]]`) and
brings the index in step with it:

- a page seen for the first time is split into passages (`pages`) and added;
- a page whose content changed (its SHA-256 digest differs) has its
  passages replaced; an unchanged page is not parsed again;
- a page of that source no longer found (the file deleted, the URL gone
  from the sitemap, or answering 404/410) is dropped with its passages;
- a page that could not be read this time (a network error, a 5xx after
  the SDK's retries) keeps what was indexed before, and is reported.

A sitemap's pages are fetched through the SDK's request path (`SiteFetcher`,
a `handoff_sdk.Connector`): one rate budget per source
(`requests_per_minute`, 4 at once), retries that honour `Retry-After`, the
hub's User-Agent. Only pages on the sitemap's own host are fetched.

`passages(session, question)` is the query API: ranked `Passage`s (search).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import httpx
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from handoff.ai.responder import Passage
from handoff.ai.studio.config import ContentSource
from handoff.ai.studio.pages import PageText, parse_html, parse_markdown
from handoff.ai.studio.search import search_passages
from handoff.ai.studio.tables import PageRow, PassageRow
from handoff.errors import HandoffError
from handoff_sdk import (
    Clock,
    Connector,
    ConnectorConfig,
    DictSecrets,
    RateLimit,
    SystemClock,
    connector_http_client,
)
from handoff_sdk.errors import ApiError, AuthError

if TYPE_CHECKING:
    from handoff.store import Store

__all__ = [
    "FOLDER_SUFFIXES",
    "ContentError",
    "IndexReport",
    "SiteFetcher",
    "content_stats",
    "discover",
    "index_source",
    "indexed_pages",
    "passages",
]

FOLDER_SUFFIXES = (".md", ".markdown", ".html", ".htm")
"""The files of a folder source that are indexed; others are ignored."""

MAX_SITEMAPS = 50
"""Most sitemap files read for one source (an index and the sitemaps it names)."""

_GONE = (404, 410)
_BATCH = 50


class ContentError(HandoffError):
    """A source cannot be indexed at all (its folder is missing, its sitemap unreadable)."""


@dataclass
class IndexReport:
    """What one indexing run of one source did, page by page."""

    source: str
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    passages: int = 0
    """Passages written (of the pages added or changed)."""
    skipped: int = 0
    """Pages over `max_pages`, left out."""
    failed: list[dict[str, str]] = field(default_factory=list)
    """Pages that could not be read this time ({'url', 'why'}): their old passages are kept."""

    def as_json(self) -> dict[str, Any]:
        """The report as the API and `--json` give it."""
        return {
            "source": self.source,
            "added": self.added,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "passages": self.passages,
            "skipped": self.skipped,
            "failed": list(self.failed),
        }


@dataclass(frozen=True)
class _Read:
    """One page as read: its URL, raw bytes' digest and text, or why it could not be read."""

    url: str
    digest: str = ""
    body: str = ""
    markdown: bool = False
    gone: bool = False
    why: str | None = None


class SiteFetcher(Connector[ConnectorConfig]):
    """The SDK's request path for fetching a site's pages: budget, retries, User-Agent.

    Not a plugin and never enabled in handoff.toml: AI Studio builds one per
    sitemap source, with that source's budget, so a re-index never floods a
    site (and a site's 429 pauses the whole run).
    """

    name = "ai-content"
    title = "AI Studio content fetcher"
    default_rate_limit = RateLimit(requests=120, per_seconds=60, concurrency=4)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _parse(read: _Read) -> PageText:
    fallback = urlsplit(read.url).path.rstrip("/").rsplit("/", 1)[-1] or read.url
    if read.markdown:
        return parse_markdown(read.body, fallback_title=fallback)
    return parse_html(read.body, fallback_title=fallback)


# -- folders ----------------------------------------------------------------------------------


def _folder_files(source: ContentSource, config_file: Path | None) -> list[tuple[str, Path]]:
    folder = source.folder_path(config_file)
    if not folder.is_dir():
        raise ContentError(
            f"ai.content.sources '{source.name}': folder {folder} does not exist "
            "(a relative folder is read from handoff.toml's folder)"
        )
    found = [
        path
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.suffix.lower() in FOLDER_SUFFIXES
    ]
    return [(source.page_url(p.relative_to(folder).as_posix()), p) for p in found]


def _read_file(url: str, path: Path) -> _Read:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _Read(url=url, why=f"cannot be read: {exc.strerror}")
    markdown = path.suffix.lower() in (".md", ".markdown")
    return _Read(
        url=url,
        digest=_digest(data),
        body=data.decode("utf-8", errors="replace"),
        markdown=markdown,
    )


# -- sitemaps ---------------------------------------------------------------------------------


def _xml_locs(data: bytes) -> tuple[list[str], list[str]]:
    """(nested sitemaps, pages) named by a sitemap or sitemap index; entities never resolved."""
    from lxml import etree  # noqa: PLC0415 - only sitemaps need it

    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not a valid sitemap ({exc})") from None
    sitemaps: list[str] = []
    pages: list[str] = []
    for element in root.iter("{*}loc"):
        parent = element.getparent()
        where = etree.QName(parent).localname if parent is not None else ""
        loc = (element.text or "").strip()
        if loc:
            (sitemaps if where == "sitemap" else pages).append(loc)
    return sitemaps, pages


def _same_site(url: str, site: str) -> bool:
    a, b = urlsplit(url), urlsplit(site)
    return a.scheme in ("http", "https") and a.netloc.lower() == b.netloc.lower()


async def _sitemap_pages(fetcher: SiteFetcher, sitemap: str) -> list[str]:
    queue, seen_maps, pages = [sitemap], set[str](), dict[str, None]()
    while queue and len(seen_maps) < MAX_SITEMAPS:
        current = queue.pop(0)
        if current in seen_maps:
            continue
        seen_maps.add(current)
        try:
            response = await fetcher.request("GET", current)
        except (ApiError, AuthError) as exc:
            raise ContentError(f"sitemap {current} cannot be fetched: {exc}") from None
        try:
            nested, found = _xml_locs(response.content)
        except ValueError as exc:
            raise ContentError(f"sitemap {current}: {exc}") from None
        queue.extend(
            urljoin(current, n) for n in nested if _same_site(urljoin(current, n), sitemap)
        )
        for page in found:
            absolute = urljoin(current, page)
            if _same_site(absolute, sitemap):
                pages.setdefault(absolute.split("#", 1)[0], None)
    return list(pages)


async def _fetch_page(fetcher: SiteFetcher, url: str) -> _Read:
    try:
        response = await fetcher.request("GET", url, headers={"Accept": "text/html, text/markdown"})
    except ApiError as exc:
        if exc.status in _GONE:
            return _Read(url=url, gone=True)
        return _Read(url=url, why=str(exc))
    except AuthError as exc:
        return _Read(url=url, why=str(exc))
    kind = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    markdown = kind in ("text/markdown", "text/x-markdown") or urlsplit(url).path.endswith(".md")
    if kind and not (markdown or "html" in kind or kind == "text/plain"):
        return _Read(url=url, why=f"not a page (Content-Type {kind})")
    return _Read(url=url, digest=_digest(response.content), body=response.text, markdown=markdown)


# -- the index --------------------------------------------------------------------------------


@dataclass
class _Plan:
    """A source's pages as found: URLs in order, and how to read each."""

    urls: list[str]
    read: Callable[[Sequence[str]], Awaitable[list[_Read]]]
    skipped: int = 0
    close: Callable[[], Awaitable[None]] | None = None


async def discover(
    source: ContentSource,
    *,
    config_file: Path | None = None,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> _Plan:
    """The pages a source has now (up to `max_pages`) and a reader for them.

    Raises ContentError when the folder is missing or the sitemap cannot be
    fetched or read. `transport` replaces the network (tests).
    """
    if source.folder is not None:
        files = dict(_folder_files(source, config_file))
        urls = list(files)

        async def read_files(batch: Sequence[str]) -> list[_Read]:
            return [_read_file(url, files[url]) for url in batch]

        return _Plan(
            urls=urls[: source.max_pages],
            read=read_files,
            skipped=max(0, len(urls) - source.max_pages),
        )
    assert source.sitemap is not None
    config = ConnectorConfig(
        rate_limit=RateLimit(requests=source.requests_per_minute, per_seconds=60, concurrency=4)
    )
    http = connector_http_client(SiteFetcher, config, transport=transport)
    fetcher = SiteFetcher(
        config=config,
        secrets=DictSecrets(SiteFetcher.name, {}),
        http=http,
        clock=clock or SystemClock(),
    )
    try:
        urls = await _sitemap_pages(fetcher, source.sitemap)
    except BaseException:
        await http.aclose()
        raise

    async def read_pages(batch: Sequence[str]) -> list[_Read]:
        return list(await asyncio.gather(*(_fetch_page(fetcher, url) for url in batch)))

    return _Plan(
        urls=urls[: source.max_pages],
        read=read_pages,
        skipped=max(0, len(urls) - source.max_pages),
        close=http.aclose,
    )


def _write_page(session: Session, source: str, read: _Read, now: datetime) -> tuple[str, int]:
    """Add or replace one page's passages; ('added'|'changed'|'unchanged', passages written)."""
    existing = session.scalars(
        select(PageRow).where(PageRow.source == source, PageRow.url == read.url)
    ).one_or_none()
    if existing is not None and existing.digest == read.digest:
        return "unchanged", 0
    page = _parse(read)
    if existing is None:
        existing = PageRow(source=source, url=read.url, title="", digest="", passages=0)
        session.add(existing)
        outcome = "added"
    else:
        session.execute(delete(PassageRow).where(PassageRow.page_id == existing.id))
        outcome = "changed"
    existing.title = page.title[:500]
    existing.digest = read.digest
    existing.passages = len(page.passages)
    existing.indexed_at = now
    session.flush()
    for position, passage in enumerate(page.passages):
        link = f"{read.url}#{passage.anchor}" if passage.anchor else read.url
        session.add(
            PassageRow(
                page_id=existing.id,
                position=position,
                url=link[:2100],
                title=passage.title[:1000],
                text=passage.text,
            )
        )
    return outcome, len(page.passages)


def _drop_missing(session: Session, source: str, found: set[str]) -> int:
    """Drop the source's pages not in `found`, passages first (the FTS triggers see each)."""
    stale = [
        page_id
        for page_id, url in session.execute(
            select(PageRow.id, PageRow.url).where(PageRow.source == source)
        )
        if url not in found
    ]
    for start in range(0, len(stale), 500):
        chunk = stale[start : start + 500]
        session.execute(delete(PassageRow).where(PassageRow.page_id.in_(chunk)))
        session.execute(delete(PageRow).where(PageRow.id.in_(chunk)))
    return len(stale)


async def index_source(
    store: Store,
    source: ContentSource,
    *,
    now: datetime,
    config_file: Path | None = None,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    plan: _Plan | None = None,
    advance: Callable[[int], None] | None = None,
) -> IndexReport:
    """Bring the index in step with one source (see the module docstring); what it did.

    `plan` is `discover`'s answer when the caller already has it (the CLI
    shows a bar over its pages); `advance(n)` is told as pages are done.
    """
    plan = plan or await discover(source, config_file=config_file, clock=clock, transport=transport)
    report = IndexReport(source=source.name, skipped=plan.skipped)
    keep: set[str] = set()
    try:
        for start in range(0, len(plan.urls), _BATCH):
            batch = plan.urls[start : start + _BATCH]
            reads = await plan.read(batch)
            with store.transaction() as session:
                for read in reads:
                    if read.gone:
                        continue
                    keep.add(read.url)
                    if read.why is not None:
                        report.failed.append({"url": read.url, "why": read.why})
                        continue
                    outcome, written = _write_page(session, source.name, read, now)
                    setattr(report, outcome, getattr(report, outcome) + 1)
                    report.passages += written
            if advance is not None:
                advance(len(batch))
    finally:
        if plan.close is not None:
            await plan.close()
    with store.transaction() as session:
        report.removed = _drop_missing(session, source.name, keep)
    return report


def passages(session: Session, question: str, *, limit: int = 5) -> list[Passage]:
    """The query API: the indexed passages that best answer `question`, best first."""
    return search_passages(session, question, limit=limit)


def content_stats(session: Session) -> list[dict[str, Any]]:
    """Per source: pages, passages and when it was last indexed (for `list` views)."""
    rows = session.execute(
        select(
            PageRow.source,
            func.count(PageRow.id),
            func.coalesce(func.sum(PageRow.passages), 0),
            func.max(PageRow.indexed_at),
        )
        .group_by(PageRow.source)
        .order_by(PageRow.source)
    )
    return [
        {
            "source": source,
            "pages": int(pages),
            "passages": int(count),
            "indexed_at": last.isoformat() if isinstance(last, datetime) else last,
        }
        for source, pages, count, last in rows
    ]


def indexed_pages(
    session: Session, *, source: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[int, list[dict[str, Any]]]:
    """A page of the indexed documents (of one source, or all), by source and URL; and their total.

    For the console's Content page: each document's source, URL, title,
    passages and when it was indexed.
    """
    where = [PageRow.source == source] if source is not None else []
    total = int(session.scalar(select(func.count(PageRow.id)).where(*where)) or 0)
    rows = session.scalars(
        select(PageRow)
        .where(*where)
        .order_by(PageRow.source, PageRow.url)
        .limit(limit)
        .offset(offset)
    )
    return total, [
        {
            "source": row.source,
            "url": row.url,
            "title": row.title,
            "passages": row.passages,
            "indexed_at": row.indexed_at,
        }
        for row in rows
    ]
