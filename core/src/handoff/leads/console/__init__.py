"""The leads flow's console pages: the lead list and one lead's timeline (D1-D8, Q16).

Registered by `handoff.leads.flow` (`Flow.console`) when `[leads]` is
configured; docs/console.md "Pages".
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from handoff.api_keys import Scope
from handoff.console import ConsolePages, NavItem

if TYPE_CHECKING:
    from handoff.flow import FlowContext
    from handoff.leads.settings import LeadsSettings

__all__ = ["leads_console"]

TEMPLATES = Path(__file__).parent / "templates"


def leads_console(context: FlowContext[LeadsSettings]) -> Sequence[ConsolePages]:
    """The lead pages, their navigation link and templates; none while the flow is off."""
    config = context.settings.leads
    if config is None:
        return []
    from handoff.leads.console.timeline import lead_pages  # noqa: PLC0415 - built when serving

    return [
        ConsolePages(
            router=lead_pages(context.store, config),
            nav=(NavItem("Leads", "/leads", (Scope.REP, Scope.OPS), order=30),),
            templates=TEMPLATES,
        )
    ]
