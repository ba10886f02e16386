"""AI Studio's console pages (Q7): Content, Scorecard and Inbox, for ops.

- **Content** (`/console/ai/content`): the sources (handoff.toml's and those
  added here) with their pages and passages, the indexed documents paged;
  add a source, re-index one or all;
- **Scorecard** (`/console/ai/scorecard`): the curated answers, paged; add,
  edit, remove;
- **Inbox** (`/console/ai/inbox`): visitor questions grouped, with counts and
  samples; promote a group with its approved answer in one step.

Every change goes through `handoff.ai.studio.changes`, the functions the
API and the CLI call, audited as `console:<name>`. Registered by
`handoff.ai.flow` (`Flow.console`) when handoff.toml has an `[ai]` table;
docs/console.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from handoff.api_keys import Scope
from handoff.console import ConsolePages, NavItem

if TYPE_CHECKING:
    from handoff.ai.settings import AiSettings
    from handoff.flow import FlowContext

__all__ = ["ai_console"]

TEMPLATES = Path(__file__).parent / "templates"


def ai_console(context: FlowContext[AiSettings]) -> Sequence[ConsolePages]:
    """AI Studio's pages, links and templates; none when the AI flow is off (no `[ai]`)."""
    config = context.settings.ai
    if config is None:
        return []
    from handoff.ai.console.content import content_pages  # noqa: PLC0415 - built when serving
    from handoff.ai.console.inbox import inbox_pages  # noqa: PLC0415
    from handoff.ai.console.scorecard import scorecard_pages  # noqa: PLC0415

    return [
        ConsolePages(
            router=content_pages(context, config),
            nav=(NavItem("AI content", "/ai/content", (Scope.OPS,), order=80),),
            templates=TEMPLATES,
        ),
        ConsolePages(
            router=scorecard_pages(context),
            nav=(NavItem("Scorecard", "/ai/scorecard", (Scope.OPS,), order=81),),
        ),
        ConsolePages(
            router=inbox_pages(context),
            nav=(NavItem("Inbox", "/ai/inbox", (Scope.OPS,), order=82),),
        ),
    ]
