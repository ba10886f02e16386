"""The demo's site: synthetic pages of a fictional company, Example, for the built-in responder.

`make demo` and `handoff sandbox` index `DEMO_SITE` (Markdown and HTML under
`demo_site/`) as the source `demo_source()`, so the AI rep's demo
conversation has something to quote with no model and no network.
`DEMO_QUESTIONS` are questions a visitor might ask, each with the page that
answers it; the tests check the built-in responder answers each from that
page and that every answer passes the rules of engagement.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from handoff.ai.studio.config import ContentSource

if TYPE_CHECKING:
    from handoff.ai.studio.content import IndexReport
    from handoff.store import Store

__all__ = [
    "DEMO_BASE_URL",
    "DEMO_QUESTIONS",
    "DEMO_SITE",
    "DEMO_UNANSWERED",
    "demo_content_table",
    "demo_source",
    "index_demo_site",
]

DEMO_SITE = Path(__file__).parent / "demo_site"
"""The demo site's folder, shipped with handoff."""

DEMO_BASE_URL = "https://www.example.test/"
"""Where the demo site's pages are said to live (the synthetic company's domain)."""

DEMO_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("Does Example support SAML single sign-on?", "security#single-sign-on"),
    ("How much does the Premium plan cost per user?", "pricing"),
    ("Can I install it on my own Kubernetes cluster with Helm?", "docs/self-managed"),
    ("Do you integrate with Jira?", "docs/integrations"),
    ("How do I define a CI pipeline with stages?", "docs/ci-cd"),
    ("Are you SOC 2 certified?", "security#certifications"),
    ("Can we try Ultimate before buying?", "pricing"),
    ("Where is the company based? Is it remote?", "about"),
)
"""(question, page under DEMO_BASE_URL that answers it)."""

DEMO_UNANSWERED = (
    "What's the weather like in Lisbon today?",
    "Who won the football match last night?",
)
"""Questions the demo site does not answer: the responder offers a human."""


def demo_source(name: str = "demo") -> ContentSource:
    """The demo site as an `[[ai.content.sources]]` entry (an absolute folder)."""
    return ContentSource(name=name, folder=str(DEMO_SITE), base_url=DEMO_BASE_URL)


def demo_content_table() -> dict[str, Any]:
    """The `[ai.content]` table the demo's and the sandbox's handoff.toml take: the demo site."""
    return {"sources": [{"name": "demo", "folder": str(DEMO_SITE), "base_url": DEMO_BASE_URL}]}


async def index_demo_site(store: Store, now: datetime) -> IndexReport:
    """Index the demo site into `store` (what the demo does before its AI conversation)."""
    from handoff.ai.studio.content import index_source  # noqa: PLC0415 - lxml, on use

    return await index_source(store, demo_source(), now=now)
