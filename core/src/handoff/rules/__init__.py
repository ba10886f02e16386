"""The rules engine every flow shares: conditions as data, ordered rules, a durable round robin.

It knows no flow. Chat routing (Q3) and lead assignment (D2) both decide
with it, so a rule reads the same in `[routing]` and `[lead_assignment]`,
and a team is rotated fairly across channels.

- `conditions`: the condition language (`{ field = ..., equals = ... }`), no eval;
- `ordered`: `Rule` (id, rule ids, `when`) and `first_match`, with why each rule did not apply;
- `rotation`: the weighted smooth round robin, in the store (`stored_rotation`) or in memory;
- `pool`: `pick_member`, the first free member named, or the next free one in rotation.
"""

from __future__ import annotations

from handoff.rules.conditions import MISSING, OPERATORS, Condition, lookup, parse_condition
from handoff.rules.ordered import Rule, RuleCheck, check_rule, first_match
from handoff.rules.pool import Pick, pick_member
from handoff.rules.rotation import (
    MemoryRotation,
    Rotation,
    Weighted,
    pool_cursor,
    stored_rotation,
    weighted_sequence,
)

__all__ = [
    "MISSING",
    "OPERATORS",
    "Condition",
    "MemoryRotation",
    "Pick",
    "Rotation",
    "Rule",
    "RuleCheck",
    "Weighted",
    "check_rule",
    "first_match",
    "lookup",
    "parse_condition",
    "pick_member",
    "pool_cursor",
    "stored_rotation",
    "weighted_sequence",
]
