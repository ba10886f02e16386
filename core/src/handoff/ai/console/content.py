"""Content (Q7): the sources and their indexed documents, paged; add a source, re-index.

The sources are `content_sources` (handoff.toml's, then those added here)
with `content_stats`; the documents `indexed_pages`. Adding a source is
`add_content_source`, re-indexing `index_content_source`: the functions of
`POST /v1/ai/content/index` and `handoff ai content index`, audited as
`console:<name>`. The page lists the latest of those changes. Ops only.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from handoff.ai.config import AiConfig
from handoff.ai.console.forms import Paging, form_text, paging
from handoff.ai.settings import AiSettings
from handoff.ai.studio.changes import SOURCE_SUBJECT, add_content_source, index_content_source
from handoff.ai.studio.config import ContentSource
from handoff.ai.studio.content import ContentError, content_stats, indexed_pages
from handoff.ai.studio.sources import SourceError, content_sources, find_source
from handoff.api_keys import Scope
from handoff.console import PREFIX, ConsoleError, Viewer, render, require_role
from handoff.flow import FlowContext
from handoff.runtime import audit_trail

__all__ = ["CONTENT_ACTIONS", "content_pages"]

CONTENT_ACTIONS = ("ai.content.index", "ai.content.source_add")
"""The audit actions the page lists (written by handoff.ai.studio.changes)."""
_SOURCE_FIELDS = ("name", "kind", "location", "base_url", "max_pages")


def _source_fields(form: dict[str, str]) -> dict[str, Any]:
    """The form's fields as a `[[ai.content.sources]]` entry's (blank ones left out)."""
    kind = form["kind"]
    if kind not in ("folder", "sitemap"):
        raise SourceError("kind", f"expected folder or sitemap, got {kind[:20]!r}")
    fields: dict[str, Any] = {"name": form["name"].strip(), kind: form["location"].strip()}
    if not fields[kind]:
        raise SourceError(
            "location", f"expected the {kind}'s {'path' if kind == 'folder' else 'URL'}"
        )
    if form["base_url"].strip():
        fields["base_url"] = form["base_url"].strip()
    if form["max_pages"].strip():
        if not form["max_pages"].strip().isdigit():
            raise SourceError("max_pages", f"expected a whole number, got {form['max_pages']!r}")
        fields["max_pages"] = int(form["max_pages"])
    return fields


def content_pages(context: FlowContext[AiSettings], config: AiConfig) -> APIRouter:
    """The Content page, its add-source form and its re-index buttons."""
    router = APIRouter()
    store, clock = context.store, context.clock

    async def show(
        request: Request,
        *,
        source: str | None,
        pages: Paging,
        form: dict[str, str] | None = None,
        problem: SourceError | None = None,
        notice: str | None = None,
    ) -> Response:
        def read() -> dict[str, Any]:
            with store.sessions() as session:
                sources = content_sources(session, config.content)
                stats = {row["source"]: row for row in content_stats(session)}
                configured = {s.name for s in config.content.sources}
                rows = [
                    {
                        "name": s.name,
                        "kind": "folder" if s.folder is not None else "sitemap",
                        "location": s.folder or s.sitemap,
                        "origin": "handoff.toml" if s.name in configured else "console",
                        **stats.pop(s.name, {"pages": 0, "passages": 0, "indexed_at": None}),
                    }
                    for s in sources
                ]
                rows.extend(
                    {**row, "name": name, "kind": None, "location": None, "origin": "gone"}
                    for name, row in stats.items()
                )
                if source is not None and source not in {r["name"] for r in rows}:
                    raise ConsoleError(400, f"source: no content source {source[:100]!r}")
                total, documents = indexed_pages(
                    session, source=source, limit=pages.size, offset=pages.offset
                )
                trail = audit_trail(session, actions=CONTENT_ACTIONS, subject_type=SOURCE_SUBJECT)
                return {"sources": rows, "documents": documents, "total": total, "trail": trail}

        found = await asyncio.to_thread(read)
        return render(
            request,
            "ai/content.html",
            {
                **found,
                "source": source,
                "paging": pages.of(found["total"]),
                "form": form or {"kind": "folder"},
                "problem": problem,
                "notice": notice,
            },
            status=400 if problem is not None else 200,
        )

    @router.get("/ai/content")
    async def content_page(
        request: Request, _viewer: Annotated[Viewer, require_role(Scope.OPS)]
    ) -> Response:
        """The sources with their pages and passages, the indexed documents paged, the history."""
        source = request.query_params.get("source") or None
        done = request.query_params.get("done")
        name = request.query_params.get("name", "")[:100]
        notice = {
            "index": f"Indexed {name or 'every source'}: the report is in the history below.",
            "added": f"Source {name} added: re-index it to read its pages.",
        }.get(done or "")
        return await show(request, source=source, pages=paging(request), notice=notice)

    @router.post("/ai/content/sources")
    async def add(request: Request, viewer: Annotated[Viewer, require_role(Scope.OPS)]) -> Response:
        """Add a folder or sitemap source; a bad field re-shows the form naming it (400)."""
        form = await form_text(request, *_SOURCE_FIELDS, limit=2000)

        def write() -> ContentSource:
            with store.transaction() as session:
                return add_content_source(
                    session,
                    _source_fields(form),
                    config=config.content,
                    actor=viewer.actor,
                    now=clock.now(),
                )

        try:
            added = await asyncio.to_thread(write)
        except SourceError as exc:
            return await show(request, source=None, pages=Paging(1), form=form, problem=exc)
        return RedirectResponse(
            f"{PREFIX}/ai/content?done=added&name={quote(added.name)}", status_code=303
        )

    @router.post("/ai/content/index")
    async def reindex(
        request: Request, viewer: Annotated[Viewer, require_role(Scope.OPS)]
    ) -> Response:
        """Re-index one source (`source`), or every one (none given); audited with its report."""
        name = (await form_text(request, "source", limit=100))["source"]

        def chosen() -> list[ContentSource]:
            with store.sessions() as session:
                if not name:
                    return content_sources(session, config.content)
                found = find_source(session, config.content, name)
                if found is None:
                    raise ConsoleError(404, f"source: no content source {name!r}")
                return [found]

        for source in await asyncio.to_thread(chosen):
            try:
                await index_content_source(
                    store,
                    source,
                    actor=viewer.actor,
                    now=clock.now(),
                    config_file=context.config.path,
                    clock=clock,
                )
            except ContentError as exc:
                raise ConsoleError(422, str(exc), title="Cannot index that source") from None
        return RedirectResponse(
            f"{PREFIX}/ai/content?done=index&name={quote(name)}", status_code=303
        )

    return router
