"""An AE's rank set or cleared through the hub (P3): the event the API, CLI and console store.

The override is an event (`RANK_OVERRIDE`) decided by the worker
(`rank_handler`), which records it in the Account Rank Notes History and
writes it to the CRM; this module builds that event (stored with
`record_events`), so `POST /v1/accounts/{id}/rank`, `handoff accounts
set-rank|clear-override` and the console's account page store the same
thing. The sender's `request_id` is the dedupe key: the same request is
applied once.
"""

from __future__ import annotations

from datetime import datetime

from handoff.accounts.kinds import ACCOUNT, RANK_OVERRIDE
from handoff_sdk.entities import Event

__all__ = ["override_event"]


def override_event(
    account_id: str,
    tier: str | None,
    *,
    by: str,
    why: str | None,
    request_id: str,
    now: datetime,
    key: str | None = None,
) -> Event:
    """The event setting `tier` on the account until cleared (`tier` None clears it).

    `by` is who the history names; `key`, when given, the credential that
    sent it (the API key's or console user's actor).
    """
    payload: dict[str, object] = {"account_id": account_id, "tier": tier, "by": by}
    if key is not None:
        payload["key"] = key
    payload["why"] = why
    payload["subject"] = {"type": ACCOUNT, "id": account_id}
    return Event(
        type=RANK_OVERRIDE,
        source="hub",
        dedupe_key=f"{RANK_OVERRIDE}:{request_id}",
        occurred_at=now,
        payload=payload,
    )
