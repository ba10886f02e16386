"""AI Studio's API (Q7), scope `ops`: content, Scorecard and Inbox managed by the hub's operators.

- `GET /v1/ai/content`: each source (configured, added or indexed) with its pages and passages;
- `POST /v1/ai/content/sources`: add a folder or sitemap source (stored beside handoff.toml's);
- `POST /v1/ai/content/index`: index one source, or every one; the reports;
- `GET /v1/ai/content/search?q=`: the passages that best answer a question, ranked;
- `GET /v1/ai/scorecard`, `POST /v1/ai/scorecard`, `PATCH` and `DELETE /v1/ai/scorecard/{entry_id}`;
- `GET /v1/ai/inbox`: visitor questions grouped, most asked first;
- `POST /v1/ai/inbox/{group_id}/promote`: a group's question to the Scorecard, in one step.

Every change (an index run, the Scorecard's) is audited with the key that
made it (`handoff.ai.studio.changes`). Without an `[ai]` table each route
answers 409 (the flow is off).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from handoff.ai.settings import AiSettings
from handoff.ai.studio.changes import (
    add_content_source,
    add_scorecard_entry,
    edit_scorecard_entry,
    index_content_source,
    promote_inbox_group,
    remove_scorecard_entry,
)
from handoff.ai.studio.config import ContentSource
from handoff.ai.studio.content import ContentError, content_stats, passages
from handoff.ai.studio.inbox import InboxError, list_groups
from handoff.ai.studio.scorecard import (
    ScorecardConflictError,
    ScorecardError,
    get_entry,
    list_entries,
)
from handoff.ai.studio.sources import SourceError, content_sources, find_source
from handoff.api_keys import Scope
from handoff.flow import FlowContext
from handoff.server.access import Caller, require_scope
from handoff.server.models import Refused
from handoff.server.responses import refused

__all__ = ["studio_routes"]

_OFF = "no [ai] table in handoff.toml: the AI flow is off"
_R409: dict[int | str, dict[str, Any]] = {
    409: {"model": Refused, "description": "No [ai] table: the flow is off."}
}

Question = Annotated[str, Field(min_length=1, max_length=2000, pattern=r"^[^\x00]*$")]
Answer = Annotated[str, Field(min_length=1, max_length=4000, pattern=r"^[^\x00]*$")]
Link = Annotated[str, Field(min_length=1, max_length=2000, pattern=r"^(https?://|/)[^\s\x00]*$")]


class IndexRequest(BaseModel):
    """Which source to index; none: every configured source, in order."""

    model_config = ConfigDict(extra="forbid")

    source: str | None = Field(
        default=None, max_length=100, description="A source's name from [[ai.content.sources]]."
    )


class IndexReportModel(BaseModel):
    """What indexing one source did."""

    source: str
    added: int
    changed: int
    unchanged: int
    removed: int
    passages: int = Field(description="Passages written, of the pages added or changed.")
    skipped: int = Field(description="Pages over max_pages, left out.")
    failed: list[dict[str, str]] = Field(
        description="Pages not read this time ({url, why}): their old passages are kept."
    )


class SourceModel(BaseModel):
    """A content source: configured, indexed, or both."""

    source: str
    kind: Literal["folder", "sitemap"] | None = Field(description="None: no longer configured.")
    pages: int
    passages: int
    indexed_at: str | None


class PassageModel(BaseModel):
    """A retrieved passage: its link, title, text and score (higher is better)."""

    source: str
    title: str
    text: str
    score: float


class NewEntry(BaseModel):
    """A curated question and its answer."""

    model_config = ConfigDict(extra="forbid")

    question: Question = Field(description="The question as a visitor would ask it.")
    answer: Answer = Field(description="The answer sent whenever a visitor's question matches.")
    kind: Literal["accepted", "edited", "dictated"] = Field(
        default="dictated",
        description="accepted (the AI's answer as is), edited (the AI's, changed), dictated.",
    )
    link: Link | None = Field(default=None, description="A page the answer points to.")


class NewSource(BaseModel):
    """A content source to add: the fields of an `[[ai.content.sources]]` entry.

    Checked as handoff.toml's are (`ContentSource`: a folder or a sitemap,
    never both) when it is added, so the document says the fields only.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    folder: str | None = Field(
        default=None, max_length=2000, description="Relative to handoff.toml's folder."
    )
    sitemap: str | None = Field(default=None, max_length=2000, description="An http(s) URL.")
    base_url: str | None = Field(
        default=None, max_length=2000, description="The site address of a folder's pages."
    )
    max_pages: int | None = Field(default=None, ge=1, le=100_000)
    requests_per_minute: int | None = Field(default=None, ge=1, le=6000)


class EntryChange(BaseModel):
    """What changes in a Scorecard entry; a field left out keeps its value."""

    model_config = ConfigDict(extra="forbid")

    question: Question | None = Field(default=None, description="The question's new wording.")
    answer: Answer | None = Field(default=None, description="The new answer.")
    kind: Literal["accepted", "edited", "dictated"] | None = Field(
        default=None, description="accepted, edited or dictated."
    )
    link: Link | Literal[""] | None = Field(
        default=None, description="A page the answer points to; '' removes the link."
    )


class EntryModel(BaseModel):
    """A Scorecard entry."""

    id: int
    question: str
    answer: str
    kind: str
    link: str | None
    created_by: str
    created_at: str
    updated_at: str


class Promotion(BaseModel):
    """How an Inbox group goes to the Scorecard: its latest answer accepted, or another."""

    model_config = ConfigDict(extra="forbid")

    answer: Answer | None = Field(
        default=None, description="The answer; none: the latest drafted answer, accepted."
    )
    kind: Literal["accepted", "edited", "dictated"] | None = Field(
        default=None, description="Default: accepted without `answer`, dictated with one."
    )
    question: Question | None = Field(
        default=None, description="Another wording of the question; none: the group's."
    )
    link: Link | None = Field(default=None, description="A page the answer points to.")


class GroupModel(BaseModel):
    """Visitor questions that say the same thing, counted."""

    id: int
    question: str
    count: int
    first_at: str
    last_at: str
    answered_by: str | None
    answer: str | None
    scorecard_id: int | None
    examples: list[str]


def studio_routes(context: FlowContext[AiSettings]) -> APIRouter:
    """AI Studio's router over the hub's store (scope ops on every route)."""
    router = APIRouter(prefix="/v1/ai", tags=["ai studio"])
    config = context.settings.ai
    store, clock = context.store, context.clock

    @router.get("/content", response_model=list[SourceModel], responses=_R409)
    async def get_content(_caller: Annotated[Caller, require_scope(Scope.OPS)]) -> Any:
        """Each content source: configured or still indexed, its pages and passages (Q7)."""
        if config is None:
            return refused(409, _OFF)

        def read() -> tuple[list[dict[str, Any]], list[ContentSource]]:
            with store.sessions() as session:
                return content_stats(session), content_sources(session, config.content)

        stats, sources = await asyncio.to_thread(read)
        indexed = {row["source"]: row for row in stats}
        out = []
        for source in sources:
            row = indexed.pop(source.name, None) or {"pages": 0, "passages": 0, "indexed_at": None}
            kind = "folder" if source.folder is not None else "sitemap"
            out.append({**row, "source": source.name, "kind": kind})
        out.extend({**row, "kind": None} for row in indexed.values())
        return out

    @router.post(
        "/content/index",
        response_model=list[IndexReportModel],
        responses={**_R409, 404: {"model": Refused}, 422: {"model": Refused}},
    )
    async def post_index(
        body: IndexRequest, caller: Annotated[Caller, require_scope(Scope.OPS)]
    ) -> Any:
        """Index one source, or every configured one (Q7); answers when done.

        Changed pages are replaced, removed ones dropped. A source that cannot
        be read at all (missing folder, unreadable sitemap) is a 422 naming it.
        """
        if config is None:
            return refused(409, _OFF)

        def read() -> tuple[list[ContentSource], ContentSource | None]:
            with store.sessions() as session:
                every = content_sources(session, config.content)
                one = find_source(session, config.content, body.source) if body.source else None
                return every, one

        sources, found = await asyncio.to_thread(read)
        if body.source is not None:
            if found is None:
                names = ", ".join(s.name for s in sources) or "none configured"
                return refused(
                    404, f"no content source {body.source!r}", "source", f"expected one of: {names}"
                )
            sources = [found]
        reports = []
        for source in sources:
            try:
                report = await index_content_source(
                    store,
                    source,
                    actor=caller.actor,
                    now=clock.now(),
                    config_file=context.config.path,
                    clock=clock,
                )
            except ContentError as exc:
                return refused(422, str(exc), "source", source.name)
            reports.append(report.as_json())
        return reports

    @router.post(
        "/content/sources",
        status_code=201,
        response_model=SourceModel,
        responses={**_R409, 422: {"model": Refused}},
    )
    async def post_source(
        body: NewSource, caller: Annotated[Caller, require_scope(Scope.OPS)]
    ) -> Any:
        """Add a folder or sitemap source (Q7), stored beside handoff.toml's; index it next.

        A folder added here is relative to handoff.toml's folder, without
        '..' (422 naming `folder`); a name already used is a 409 naming `name`.
        """
        if config is None:
            return refused(409, _OFF)

        def write() -> ContentSource:
            with store.transaction() as session:
                return add_content_source(
                    session,
                    body.model_dump(exclude_none=True),
                    config=config.content,
                    actor=caller.actor,
                    now=clock.now(),
                )

        try:
            added = await asyncio.to_thread(write)
        except SourceError as exc:
            status = 409 if exc.field == "name" and "exists" in str(exc) else 422
            return refused(status, str(exc), exc.field)
        kind = "folder" if added.folder is not None else "sitemap"
        return {"source": added.name, "kind": kind, "pages": 0, "passages": 0, "indexed_at": None}

    @router.get("/content/search", response_model=list[PassageModel], responses=_R409)
    async def search(
        _caller: Annotated[Caller, require_scope(Scope.OPS)],
        q: Annotated[str, Query(min_length=1, max_length=2000, description="The question.")],
        limit: Annotated[int, Query(ge=1, le=50)] = 5,
    ) -> Any:
        """The passages that best answer a question, best first (what the responder reads)."""
        if config is None:
            return refused(409, _OFF)

        def read() -> list[dict[str, Any]]:
            with store.sessions() as session:
                found = passages(session, q, limit=limit)
            return [
                {"source": p.source, "title": p.title, "text": p.text, "score": p.score}
                for p in found
            ]

        return await asyncio.to_thread(read)

    @router.get("/scorecard", response_model=list[EntryModel], responses=_R409)
    async def get_scorecard(
        _caller: Annotated[Caller, require_scope(Scope.OPS)],
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> Any:
        """The Scorecard's entries, newest first."""
        if config is None:
            return refused(409, _OFF)

        def read() -> list[dict[str, Any]]:
            with store.sessions() as session:
                return [e.as_json() for e in list_entries(session, limit=limit, offset=offset)]

        return await asyncio.to_thread(read)

    @router.post(
        "/scorecard",
        status_code=201,
        response_model=EntryModel,
        responses={**_R409, 422: {"model": Refused}},
    )
    async def post_scorecard(
        body: NewEntry, caller: Annotated[Caller, require_scope(Scope.OPS)]
    ) -> Any:
        """Put a curated answer on the Scorecard; it overrides any model from now (Q7).

        409 when the same question (the same word stems) is already there, naming the entry.
        """
        if config is None:
            return refused(409, _OFF)

        def write() -> dict[str, Any]:
            with store.transaction() as session:
                entry = add_scorecard_entry(
                    session,
                    question=body.question,
                    answer=body.answer,
                    kind=body.kind,
                    link=body.link,
                    actor=caller.actor,
                    now=clock.now(),
                )
                return entry.as_json()

        try:
            return await asyncio.to_thread(write)
        except ScorecardConflictError as exc:
            return refused(409, str(exc), "question", f"entry {exc.entry_id}")
        except ScorecardError as exc:
            field, _, _ = str(exc).partition(":")
            return refused(422, str(exc), field)

    @router.patch(
        "/scorecard/{entry_id}",
        response_model=EntryModel,
        responses={**_R409, 404: {"model": Refused}, 422: {"model": Refused}},
    )
    async def patch_scorecard(
        entry_id: Annotated[int, Path(ge=1)],
        body: EntryChange,
        caller: Annotated[Caller, require_scope(Scope.OPS)],
    ) -> Any:
        """Change an entry's question, answer, kind or link (Q7); audited with what it was.

        404 for an unknown entry; 409 when the new question is another
        entry's (naming it); 422 naming a field the Scorecard refuses.
        """
        if config is None:
            return refused(409, _OFF)

        def write() -> dict[str, Any] | None:
            with store.transaction() as session:
                entry = get_entry(session, entry_id)
                if entry is None:
                    return None
                link = entry.link if body.link is None else (body.link or None)
                changed = edit_scorecard_entry(
                    session,
                    entry_id,
                    question=body.question if body.question is not None else entry.question,
                    answer=body.answer if body.answer is not None else entry.answer,
                    kind=body.kind or entry.kind,
                    link=link,
                    actor=caller.actor,
                    now=clock.now(),
                )
                return changed.as_json() if changed is not None else None

        try:
            edited = await asyncio.to_thread(write)
        except ScorecardConflictError as exc:
            return refused(409, str(exc), "question", f"entry {exc.entry_id}")
        except ScorecardError as exc:
            field, _, _ = str(exc).partition(":")
            return refused(422, str(exc), field)
        if edited is None:
            return refused(404, f"Scorecard entry {entry_id} does not exist", "entry_id")
        return edited

    @router.delete(
        "/scorecard/{entry_id}",
        response_model=EntryModel,
        responses={**_R409, 404: {"model": Refused}},
    )
    async def delete_scorecard(
        entry_id: Annotated[int, Path(ge=1)], caller: Annotated[Caller, require_scope(Scope.OPS)]
    ) -> Any:
        """Take an entry off the Scorecard; the entry removed."""
        if config is None:
            return refused(409, _OFF)

        def write() -> dict[str, Any] | None:
            with store.transaction() as session:
                entry = remove_scorecard_entry(
                    session, entry_id, actor=caller.actor, now=clock.now()
                )
                return entry.as_json() if entry is not None else None

        removed = await asyncio.to_thread(write)
        if removed is None:
            return refused(404, f"Scorecard entry {entry_id} does not exist", "entry_id")
        return removed

    @router.get("/inbox", response_model=list[GroupModel], responses=_R409)
    async def get_inbox(
        _caller: Annotated[Caller, require_scope(Scope.OPS)],
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        include_promoted: bool = False,
    ) -> Any:
        """Visitor questions grouped with similar ones, most asked first (Q7)."""
        if config is None:
            return refused(409, _OFF)

        def read() -> list[dict[str, Any]]:
            with store.sessions() as session:
                groups = list_groups(session, limit=limit, include_promoted=include_promoted)
                return [g.as_json() for g in groups]

        return await asyncio.to_thread(read)

    @router.post(
        "/inbox/{group_id}/promote",
        status_code=201,
        response_model=EntryModel,
        responses={**_R409, 404: {"model": Refused}, 422: {"model": Refused}},
    )
    async def post_promote(
        group_id: Annotated[int, Path(ge=1)],
        body: Promotion,
        caller: Annotated[Caller, require_scope(Scope.OPS)],
    ) -> Any:
        """Put an Inbox group's question on the Scorecard in one step (Q7); the new entry.

        Without `answer`, the latest drafted answer is accepted as is. 404 for
        an unknown group, 409 when it is already promoted or the Scorecard
        already answers the question, 422 when there is no answer to accept.
        """
        if config is None:
            return refused(409, _OFF)

        def write() -> dict[str, Any]:
            with store.transaction() as session:
                entry = promote_inbox_group(
                    session,
                    group_id,
                    actor=caller.actor,
                    now=clock.now(),
                    answer=body.answer,
                    kind=body.kind,
                    question=body.question,
                    link=body.link,
                )
                return entry.as_json()

        try:
            return await asyncio.to_thread(write)
        except InboxError as exc:
            return refused(exc.status, str(exc), "group_id" if exc.status != 422 else "answer")
        except ScorecardConflictError as exc:
            return refused(409, str(exc), "question", f"entry {exc.entry_id}")
        except ScorecardError as exc:
            field, _, _ = str(exc).partition(":")
            return refused(422, str(exc), field)

    return router
