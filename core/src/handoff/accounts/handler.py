"""The accounts flow's EventHandler: ranks (P2, P3), cases (P4-P6) and signals (Q14).

Each part decides its own event types; they are combined under their names
so a recorded context lines up when a part is switched off.
"""

from __future__ import annotations

from handoff.accounts.cases_handler import CasesHandler
from handoff.accounts.kinds import (
    CASE_REQUEST,
    HAND_OFF,
    RANK_OVERRIDE,
    RERANK_DONE,
    RERANK_PAGE,
    SIGNAL,
    SIGNAL_EVENT_TYPES,
)
from handoff.accounts.rank_handler import RankHandler
from handoff.accounts.settings import AccountsSettings
from handoff.accounts.signals import SignalsHandler
from handoff.runtime import CompositeHandler, EventHandler

__all__ = ["accounts_handler"]


def accounts_handler(settings: AccountsSettings) -> EventHandler | None:
    """The parts the configuration turns on; None when neither table is there."""
    handlers: dict[str, EventHandler] = {}
    types: dict[str, tuple[str, ...]] = {}
    if settings.accounts is not None:
        handlers["ranks"] = RankHandler(settings.accounts)
        types["ranks"] = (RERANK_PAGE, RERANK_DONE, RANK_OVERRIDE)
        handlers["signals"] = SignalsHandler()
        types["signals"] = (SIGNAL,)
    if settings.cases is not None:
        handlers["cases"] = CasesHandler(settings.cases, settings.accounts)
        types["cases"] = (*SIGNAL_EVENT_TYPES, CASE_REQUEST, HAND_OFF)
    if not handlers:
        return None
    return CompositeHandler(handlers, event_types=types)
