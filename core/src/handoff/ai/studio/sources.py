"""Content sources (Q7): handoff.toml's `[[ai.content.sources]]`, and those added from the console.

The configured sources come first, in their order; a source added from the
console (`add_source`, stored in `ai_content_sources`) follows, and is
indexed, re-indexed and listed exactly like a configured one. Names are
unique across both (a source is re-indexed by its name).

A folder added from the console stays inside handoff.toml's folder: a
relative path without `..` (a person at a web form cannot have the hub read
any folder of the server). Sitemaps are fetched as configured ones are
(that host only, within the source's budget).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handoff.ai.studio.config import ContentConfig, ContentSource
from handoff.ai.studio.tables import ContentSourceRow
from handoff.errors import HandoffError

__all__ = ["SourceError", "add_source", "content_sources", "find_source"]


class SourceError(HandoffError):
    """A source cannot be added as given; the message starts with the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def _stored(session: Session) -> list[ContentSource]:
    rows = session.scalars(select(ContentSourceRow).order_by(ContentSourceRow.id))
    return [ContentSource.model_validate(row.spec) for row in rows]


def content_sources(session: Session, config: ContentConfig) -> list[ContentSource]:
    """Every source to index: the configured ones in order, then those added from the console."""
    configured = {s.name for s in config.sources}
    return [*config.sources, *(s for s in _stored(session) if s.name not in configured)]


def find_source(session: Session, config: ContentConfig, name: str) -> ContentSource | None:
    """The source of that name, configured or added; None when there is none."""
    return config.source(name) or next((s for s in _stored(session) if s.name == name), None)


def _problem(error: ValidationError) -> SourceError:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "source"
    message = str(first["msg"]).removeprefix("Value error, ")
    if field == "source":  # the model's own checks: which field they are about
        field = "base_url" if "base_url" in message else "location"
    return SourceError(field, message)


def _checked_folder(folder: str) -> None:
    path = PurePosixPath(folder.replace("\\", "/"))
    if path.is_absolute() or folder.startswith("~") or ".." in path.parts or ":" in folder:
        raise SourceError(
            "folder",
            f"{folder!r}: a folder added here is relative to handoff.toml's folder, "
            "without '..' (configure any other in handoff.toml)",
        )


def add_source(
    session: Session,
    fields: dict[str, Any],
    *,
    config: ContentConfig,
    created_by: str,
    now: datetime,
) -> ContentSource:
    """Add a folder or sitemap source (the fields of a `[[ai.content.sources]]` entry).

    Raises SourceError naming the field: a bad value, a folder outside
    handoff.toml's folder, or a name already used by a configured or added source.
    """
    try:
        source = ContentSource.model_validate(fields)
    except ValidationError as exc:
        raise _problem(exc) from None
    if source.folder is not None:
        _checked_folder(source.folder)
    if find_source(session, config, source.name) is not None:
        raise SourceError("name", f"a source named {source.name!r} exists already")
    row = ContentSourceRow(
        name=source.name,
        spec=source.model_dump(exclude_defaults=True),
        created_by=created_by[:200],
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise SourceError("name", f"a source named {source.name!r} exists already") from None
    return source
