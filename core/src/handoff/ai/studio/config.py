"""The `[ai.content]` table: what AI Studio indexes, and how sure the built-in responder must be.

    [ai.content]
    answer_coverage = 0.5

    [[ai.content.sources]]
    name = "docs"
    folder = "site/docs"                    # Markdown and HTML files, under handoff.toml's folder
    base_url = "https://acme.example/docs/"

    [[ai.content.sources]]
    name = "www"
    sitemap = "https://acme.example/sitemap.xml"
    max_pages = 500
    requests_per_minute = 120

Each source is indexed on its own (`handoff ai content index [NAME]`, or
`POST /v1/ai/content/index`): its changed pages are replaced, its pages no
longer found are dropped, the other sources are left as they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["ContentConfig", "ContentSource"]


def _web_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class ContentSource(BaseModel):
    """One place content comes from: a folder of files, or a sitemap's pages."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="The source's name ('docs', 'www'): lower-case letters, digits, '-' and '_'. "
        "Renaming it re-indexes its pages as new ones.",
    )
    folder: str | None = Field(
        default=None,
        max_length=2000,
        description="A folder of Markdown (.md, .markdown) and HTML (.html, .htm) files, read "
        "recursively; relative to handoff.toml's folder.",
    )
    base_url: str | None = Field(
        default=None,
        max_length=2000,
        description="The site address of `folder`'s pages: 'guide/sso.md' becomes "
        "'<base_url>guide/sso'. Without it, links are site paths ('/guide/sso').",
    )
    sitemap: str | None = Field(
        default=None,
        max_length=2000,
        description="A sitemap's URL (http or https); its pages are fetched (and nested "
        "sitemaps followed) on that host only, through the SDK's request path.",
    )
    max_pages: int = Field(
        default=1000,
        ge=1,
        le=100_000,
        description="Most pages taken from the source; the rest are left out and reported.",
    )
    requests_per_minute: int = Field(
        default=120,
        ge=1,
        le=6000,
        description="The sitemap fetch's budget: requests per minute to the site (4 at once).",
    )

    @field_validator("base_url", "sitemap")
    @classmethod
    def _is_web_url(cls, value: str | None) -> str | None:
        """Pages are linked to visitors and sitemaps fetched: each must be an http(s) URL."""
        if value is not None and not _web_url(value):
            raise ValueError(f"expected an http(s) URL, got {value!r}")
        return value

    @model_validator(mode="after")
    def _one_place(self) -> Self:
        """A source is a folder or a sitemap, never both nor neither."""
        if (self.folder is None) == (self.sitemap is None):
            raise ValueError("set exactly one of 'folder' or 'sitemap'")
        if self.base_url is not None and self.folder is None:
            raise ValueError("'base_url' is for a 'folder' source (a sitemap's pages have URLs)")
        return self

    def folder_path(self, config_file: Path | None) -> Path:
        """The folder, absolute: relative to the config file's folder (else the working one)."""
        assert self.folder is not None
        path = Path(self.folder).expanduser()
        if not path.is_absolute() and config_file is not None:
            path = config_file.parent / path
        return path

    def page_url(self, relative: str) -> str:
        """The link of a folder's file: its path without the suffix, 'index' as the folder."""
        path = relative.replace("\\", "/")
        for suffix in (".markdown", ".md", ".html", ".htm"):
            if path.lower().endswith(suffix):
                path = path[: -len(suffix)]
                break
        if path == "index" or path.endswith("/index"):
            path = path[: -len("index")]
        if self.base_url is not None:
            base = self.base_url if self.base_url.endswith("/") else f"{self.base_url}/"
            return f"{base}{path}"
        return f"/{path}"


class ContentConfig(BaseModel):
    """What AI Studio indexes (Q7), and how sure the built-in responder must be to quote it."""

    model_config = ConfigDict(extra="forbid")

    sources: list[ContentSource] = Field(
        default_factory=list,
        max_length=100,
        description="The folders and sitemaps indexed; each by its own name.",
    )
    answer_coverage: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="The share of a question's words (stems) the best passage must hold for "
        "the built-in responder to quote it; below it, the responder offers a human.",
    )

    @field_validator("sources")
    @classmethod
    def _names_unique(cls, value: list[ContentSource]) -> list[ContentSource]:
        """A source is re-indexed by its name: two of one name would drop each other's pages."""
        seen: set[str] = set()
        for index, source in enumerate(value):
            if source.name in seen:
                raise ValueError(f"[{index}].name: {source.name!r} is used twice")
            seen.add(source.name)
        return value

    def source(self, name: str) -> ContentSource | None:
        """The source of that name, if configured."""
        return next((s for s in self.sources if s.name == name), None)
