"""The tickets flow's console pages: the tickets escalated to sales and why (Z1-Z6).

Registered by `handoff.tickets.flow` (`Flow.console`) when `[tickets]` is
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
    from handoff.tickets.settings import TicketsSettings

__all__ = ["tickets_console"]

TEMPLATES = Path(__file__).parent / "templates"


def tickets_console(context: FlowContext[TicketsSettings]) -> Sequence[ConsolePages]:
    """The escalated-tickets pages, their navigation link and templates; none while off."""
    if context.settings.tickets is None:
        return []
    from handoff.tickets.console.escalated import ticket_pages  # noqa: PLC0415 - when serving

    return [
        ConsolePages(
            router=ticket_pages(context.store, context.clock),
            nav=(NavItem("Escalated tickets", "/tickets", (Scope.OPS,), order=36),),
            templates=TEMPLATES,
        )
    ]
