"""The chat flow's console pages: live visitors, presence, performance, misroutes, experiences.

Live visitors (Q2, Q10), reps' presence (Q3), the Rep Performance
Dashboard (Q15), misroute flags and their queue (Q19), experiences and
their AI twins (Q8).

Registered by `handoff.chat.flow` (`Flow.console`); docs/console.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from handoff.api_keys import Scope
from handoff.console import ConsolePages, NavItem

if TYPE_CHECKING:
    from handoff.chat.settings import ChatSettings
    from handoff.flow import FlowContext

__all__ = ["chat_console"]

TEMPLATES = Path(__file__).parent / "templates"


def chat_console(context: FlowContext[ChatSettings]) -> Sequence[ConsolePages]:
    """The chat flow's pages, their navigation links and templates."""
    from handoff.chat.console.experiences import experience_pages  # noqa: PLC0415
    from handoff.chat.console.live import live_pages  # noqa: PLC0415 - built when serving
    from handoff.chat.console.misroutes import misroute_pages  # noqa: PLC0415
    from handoff.chat.console.performance import performance_pages  # noqa: PLC0415
    from handoff.chat.console.presence import presence_pages  # noqa: PLC0415

    return [
        ConsolePages(
            router=live_pages(context),
            nav=(NavItem("Live visitors", "/live", (Scope.REP, Scope.OPS), order=10),),
            templates=TEMPLATES,
        ),
        ConsolePages(
            router=presence_pages(context),
            nav=(NavItem("Reps and presence", "/reps", (Scope.REP, Scope.OPS), order=20),),
        ),
        ConsolePages(
            router=performance_pages(context),
            nav=(NavItem("Rep performance", "/performance", (Scope.REP, Scope.OPS), order=25),),
        ),
        ConsolePages(
            router=misroute_pages(context),
            nav=(NavItem("Misroutes", "/misroutes", (Scope.OPS,), order=45),),
            decision_parts=("chat/_misroute_form.html",),
        ),
        ConsolePages(
            router=experience_pages(context),
            nav=(NavItem("Experiences", "/experiences", (Scope.OPS,), order=60),),
        ),
    ]
