"""Who is pooled (P1): the pool's criteria as the CRM query, and checked on an account.

The same criteria (`[accounts.pool]`) are sent to the CRM as the re-rank's
query and evaluated here on an account the hub already holds (P4: is this
customer pooled?), so there is one definition of the pool. The owner
criterion is the Pooled Sales User's CRM id, looked up by its email.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handoff.accounts.config import PoolConfig
from handoff_sdk.entities import Account, AccountCriterion

__all__ = ["check_criterion", "in_pool", "pool_query"]


def pool_query(pool: PoolConfig, owner_id: str) -> list[AccountCriterion]:
    """The criteria of the CRM query that lists the pooled accounts."""
    return [*pool.criteria, AccountCriterion(field="owner_id", op="eq", value=owner_id)]


def _value(account: Account, field: str) -> Any:
    if field.startswith("fields."):
        return account.fields.get(field.removeprefix("fields."))
    if field == "id":
        return next(iter(account.ids.values()), None)
    return getattr(account, field, None)


def _norm(value: Any) -> Any:
    return value.strip().casefold() if isinstance(value, str) else value


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).replace(",", ""))
    except ValueError:
        return None


def check_criterion(account: Account, criterion: AccountCriterion) -> tuple[bool, str]:
    """Whether the account meets one criterion, and why; a missing value meets none but `ne`."""
    got = _value(account, criterion.field)
    want = criterion.value
    op = criterion.op
    shown = f"{criterion.field} is {got!r}"
    if op in ("eq", "ne"):
        same = _norm(got) == _norm(want)
        held = same if op == "eq" else not same
        return held, f"{shown}, {'' if held else 'not '}{'=' if op == 'eq' else '!='} {want!r}"
    if op == "in":
        values = [_norm(v) for v in want] if isinstance(want, list) else [_norm(want)]
        held = got is not None and _norm(got) in values
        return held, f"{shown}, {'' if held else 'not '}one of {want!r}"
    number, bound = _number(got), _number(want)
    signs = {"lt": "<", "le": "<=", "gt": ">", "ge": ">="}
    if number is None or bound is None:
        return False, f"{shown}, not {signs[op]} {want!r}"
    held = {
        "lt": number < bound,
        "le": number <= bound,
        "gt": number > bound,
        "ge": number >= bound,
    }[op]
    return held, f"{shown}, {'' if held else 'not '}{signs[op]} {want!r}"


def in_pool(account: Account, pool: PoolConfig, owner_id: str | None) -> tuple[bool, list[str]]:
    """Whether the account is pooled (P1), and why, criterion by criterion.

    `owner_id` is the Pooled Sales User's CRM id (None: not found, so nobody
    is pooled).
    """
    why: list[str] = []
    held = True
    criteria: Sequence[AccountCriterion] = pool.criteria
    if owner_id is None:
        held = False
        why.append(f"the pool owner {pool.owner_email!r} is not a CRM user")
    else:
        owned = account.owner_id == owner_id
        held = owned
        why.append(
            f"owner is {account.owner_name or account.owner_id!r}, "
            f"{'' if owned else 'not '}the pool owner {pool.owner_email!r}"
        )
    for criterion in criteria:
        met, reason = check_criterion(account, criterion)
        held = held and met
        why.append(reason)
    return held, why
