"""The accounts flow's console pages: account tiers (P2, P3) and cases (P4-P6).

Registered by `handoff.accounts.flow` (`Flow.console`), each part only when
its table is in handoff.toml (`[accounts]`, `[cases]`); docs/console.md.
Reps see the tiers (the pooled accounts are every Pooled AE's, P1); ops and
admins set and clear overrides, and see and open cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from handoff.api_keys import Scope
from handoff.console import ConsolePages, NavItem

if TYPE_CHECKING:
    from handoff.accounts.settings import AccountsSettings
    from handoff.flow import FlowContext

__all__ = ["accounts_console"]

TEMPLATES = Path(__file__).parent / "templates"


def accounts_console(context: FlowContext[AccountsSettings]) -> Sequence[ConsolePages]:
    """The pages of the parts configured, their navigation links and templates."""
    from handoff.accounts.console.cases import case_pages  # noqa: PLC0415 - built when serving
    from handoff.accounts.console.tiers import tier_pages  # noqa: PLC0415

    found: list[ConsolePages] = []
    settings = context.settings
    if settings.accounts is not None:
        found.append(
            ConsolePages(
                router=tier_pages(settings.accounts),
                nav=(NavItem("Account tiers", "/accounts", (Scope.REP, Scope.OPS), order=30),),
                templates=TEMPLATES,
            )
        )
    if settings.cases is not None:
        found.append(
            ConsolePages(
                router=case_pages(),
                nav=(NavItem("Cases", "/cases", (Scope.OPS,), order=35),),
                templates=TEMPLATES,
            )
        )
    return found
