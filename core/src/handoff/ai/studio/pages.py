"""A page of HTML or Markdown split into passages the AI rep can quote (Q7). Pure: no I/O.

Markdown is rendered to HTML by markdown-it-py (CommonMark, tables on), then
both are read by lxml: what is not content (scripts, styles, navigation,
headers, footers, asides, forms) is dropped, each heading (h1-h4) starts a
section, and each block of text (paragraph, list item, table cell, quote,
code) belongs to the section above it. A section's blocks are joined into
passages of at most `PASSAGE_CHARS` characters, cut between blocks, and
inside a block only between sentences. A heading with an `id` gives its
passages a link to it (`page#id`).

A passage's title is the page's title, then " — " and its section's
heading when that differs: retrieval weighs it above the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["PASSAGE_CHARS", "PageText", "PassageText", "parse_html", "parse_markdown"]

PASSAGE_CHARS = 900
"""Longest passage, in characters: about one screen's paragraph or two, enough to quote."""

_DROPPED = ("script", "style", "nav", "header", "footer", "aside", "form", "noscript", "template")
_HEADINGS = frozenset({"h1", "h2", "h3", "h4"})
_BLOCKS = frozenset({"p", "li", "pre", "blockquote", "td", "th", "dd", "dt", "figcaption"})
_SPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class PassageText:
    """One passage of a page: its title (page and heading), its anchor, its text."""

    title: str
    anchor: str | None
    text: str


@dataclass(frozen=True)
class PageText:
    """What a page says: its title and its passages in order."""

    title: str
    passages: tuple[PassageText, ...]


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _pieces(text: str, limit: int) -> list[str]:
    """A block longer than `limit` cut between sentences (a sentence longer still, by words)."""
    if len(text) <= limit:
        return [text]
    out: list[str] = []
    current = ""
    for whole in _SENTENCE_END.split(text):
        sentence = whole
        while len(sentence) > limit:
            cut = sentence.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            if current:
                out.append(current)
                current = ""
            out.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if current and len(current) + 1 + len(sentence) > limit:
            out.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        out.append(current)
    return out


@dataclass
class _Section:
    heading: str
    anchor: str | None
    blocks: list[str]


def _inside_block(element: Any) -> bool:
    parent = element.getparent()
    while parent is not None:
        if parent.tag in _BLOCKS:
            return True
        parent = parent.getparent()
    return False


def parse_html(html: str, *, fallback_title: str = "") -> PageText:
    """Split an HTML page into passages; `fallback_title` names a page with no title or h1."""
    import lxml.html  # noqa: PLC0415 - lxml is heavy; only indexing needs it

    if not html.strip():
        return PageText(title=fallback_title, passages=())
    try:
        root = lxml.html.document_fromstring(html)
    except Exception:
        return PageText(title=fallback_title, passages=())
    for element in list(root.iter(*_DROPPED)):
        parent = element.getparent()
        if parent is not None:
            element.drop_tree()
    title_element = root.find(".//title")
    title = _clean(title_element.text_content()) if title_element is not None else ""
    if not title:
        first = next(iter(root.iter("h1")), None)
        title = _clean(first.text_content()) if first is not None else ""
    title = title or fallback_title
    sections = [_Section(heading="", anchor=None, blocks=[])]
    body = root.find(".//body")
    for element in (body if body is not None else root).iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _HEADINGS:
            anchor = element.get("id") or None
            sections.append(_Section(_clean(element.text_content()), anchor, []))
        elif tag in _BLOCKS and not _inside_block(element):
            text = _clean(element.text_content())
            if text:
                sections[-1].blocks.append(text)
    return PageText(title=title, passages=tuple(_passages(title, sections)))


def _passages(title: str, sections: list[_Section]) -> list[PassageText]:
    out: list[PassageText] = []
    for section in sections:
        heading = section.heading
        passage_title = title if not heading or heading == title else f"{title} — {heading}"
        current = ""
        for block in section.blocks:
            for piece in _pieces(block, PASSAGE_CHARS):
                if current and len(current) + 1 + len(piece) > PASSAGE_CHARS:
                    out.append(PassageText(passage_title, section.anchor, current))
                    current = piece
                else:
                    current = f"{current} {piece}".strip()
        if current:
            out.append(PassageText(passage_title, section.anchor, current))
    return out


def parse_markdown(markdown: str, *, fallback_title: str = "") -> PageText:
    """Split a Markdown page into passages: rendered by markdown-it-py, then read as HTML."""
    from markdown_it import MarkdownIt  # noqa: PLC0415 - only indexing needs it

    body = _strip_front_matter(markdown)
    html = MarkdownIt("commonmark").enable("table").render(body)
    return parse_html(f"<html><body>{html}</body></html>", fallback_title=fallback_title)


def _strip_front_matter(markdown: str) -> str:
    """A leading '---' block (YAML front matter) is metadata, not content."""
    if markdown.startswith("---\n"):
        end = markdown.find("\n---", 4)
        if end != -1:
            return markdown[end + 4 :]
    return markdown
