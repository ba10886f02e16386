"""Who is pooled (P1): the pool's criteria as the CRM query, and checked on an account.

The same criteria (`[accounts.pool]`) are sent to the CRM as the re-rank's
query and evaluated here on an account the hub already holds (P4: is this
customer pooled?), so there is one definition of the pool. The owner
criterion is the Pooled Sales User's CRM id, looked up by its email.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from handoff.accounts.config import PoolConfig
from handoff_sdk.entities import Account, AccountCriterion

__all__ = ["check_criterion", "in_pool", "pool_query", "pooled"]


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


def _holds(got: Any, want: Any, op: str) -> bool:
    """Whether a value meets an operator and its value; a missing value meets none but `ne`."""
    if op in ("eq", "ne"):
        same = _norm(got) == _norm(want)
        return same if op == "eq" else not same
    if op == "in":
        values = [_norm(v) for v in want] if isinstance(want, list) else [_norm(want)]
        return got is not None and _norm(got) in values
    number, bound = _number(got), _number(want)
    if number is None or bound is None:
        return False
    return {
        "lt": number < bound,
        "le": number <= bound,
        "gt": number > bound,
        "ge": number >= bound,
    }[op]


def check_criterion(account: Account, criterion: AccountCriterion) -> tuple[bool, str]:
    """Whether the account meets one criterion, and why; a missing value meets none but `ne`."""
    got = _value(account, criterion.field)
    want = criterion.value
    op = criterion.op
    held = _holds(got, want, op)
    shown = f"{criterion.field} is {got!r}, {'' if held else 'not '}"
    if op in ("eq", "ne"):
        return held, f"{shown}{'=' if op == 'eq' else '!='} {want!r}"
    if op == "in":
        return held, f"{shown}one of {want!r}"
    signs = {"lt": "<", "le": "<=", "gt": ">", "ge": ">="}
    return held, f"{shown}{signs[op]} {want!r}"


def _stored_value(values: Mapping[str, Any], field: str) -> Any:
    if field.startswith("fields."):
        return (values.get("fields") or {}).get(field.removeprefix("fields."))
    if field == "id":
        return next(iter((values.get("ids") or {}).values()), None)
    return values.get(field)


def pooled(values: Mapping[str, Any], pool: PoolConfig, owner_id: str | None) -> bool:
    """`in_pool`'s verdict on an account as JSON (a re-rank page holds it so), without the why.

    The weekly run checks every account it reads; the reasons are worded
    only where they are shown (P4's hand-off).
    """
    if owner_id is None or values.get("owner_id") != owner_id:
        return False
    return all(_holds(_stored_value(values, c.field), c.value, c.op) for c in pool.criteria)


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
