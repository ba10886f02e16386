"""AI Studio's part of `make screenshots` (screenshots.py imports it): sample content, Scorecard
and Inbox on the frozen clock, and the pages to take (Content, Scorecard, Inbox, and the Inbox
on a phone)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from handoff.ai.builtin_responder import BuiltinResponder
from handoff.ai.studio.changes import add_scorecard_entry, index_content_source
from handoff.ai.studio.config import ContentSource
from handoff.ai.studio.demo import DEMO_BASE_URL, DEMO_SITE
from handoff.ai.studio.inbox import record_visitor_question
from handoff.store import Store
from handoff_sdk import FakeClock

SHOTS: tuple[tuple[str, str, str, dict[str, int]], ...] = (
    ("ai-content", "olga", "/console/ai/content", {"width": 1280, "height": 900}),
    ("ai-scorecard", "olga", "/console/ai/scorecard", {"width": 1280, "height": 900}),
    ("ai-inbox", "olga", "/console/ai/inbox", {"width": 1280, "height": 900}),
    ("ai-inbox-phone", "olga", "/console/ai/inbox", {"width": 390, "height": 844}),
)
"""(file name, user, page, viewport) of each screenshot, after the console's own."""

SCORECARD = (
    ("Is there a free trial of Ultimate?", "Yes: 30 days of Ultimate, no card needed.", "dictated"),
    ("Do you have a startup program?", "Yes: startups get Ultimate free for a year.", "edited"),
)
VISITORS = (  # (conversation, question): the Inbox groups them
    ("c-3101", "How much does the Premium plan cost per user?"),
    ("c-3102", "What does Premium cost per user?"),
    ("c-3103", "Premium plan price per user?"),
    ("c-3104", "Do you integrate with Jira?"),
    ("c-3105", "Jira integration?"),
    ("c-3106", "Can I pay by invoice in euros?"),
)


def ai_table(folder: Path) -> dict[str, Any]:
    """The `[ai]` table of the screenshots' hub: the demo site copied to `folder`/site."""
    shutil.copytree(DEMO_SITE, folder / "site")
    source = {"name": "www", "folder": "site", "base_url": DEMO_BASE_URL}
    return {
        "company": "Example",
        "support_url": "https://support.example.test/",
        "content": {"sources": [source]},
    }


async def seed_studio(store: Store, clock: FakeClock, config: dict[str, Any], root: Path) -> None:
    """The demo site indexed, two Scorecard entries, visitors' questions in the Inbox."""
    source = ContentSource.model_validate(config["content"]["sources"][0])
    await index_content_source(
        store, source, actor="console:olga", now=clock.now(), config_file=root / "handoff.toml"
    )
    with store.transaction() as session:
        for question, answer, kind in SCORECARD:
            add_scorecard_entry(
                session,
                question=question,
                answer=answer,
                kind=kind,
                link="/pricing",
                actor="console:olga",
                now=clock.now(),
            )
    responder = BuiltinResponder(store)
    for conversation, question in VISITORS:
        draft = responder.draft_now(question)
        with store.transaction() as session:
            record_visitor_question(
                session,
                conversation_id=conversation,
                question=question,
                asked_at=clock.now(),
                draft=draft,
            )
