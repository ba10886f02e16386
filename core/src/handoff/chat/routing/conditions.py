"""The condition language of routing rules: data, not code (no eval).

A condition is a TOML table of one of these shapes:

    { field = "account.sector", equals = "US Public Sector" }
    { field = "account.geo", in = ["AMER", "LATAM"] }
    { field = "sequence.owner_email", exists = true }
    { not = { field = "language", equals = "en" } }
    { all = [ {...}, {...} ] }          # every one matches
    { any = [ {...}, {...} ] }          # at least one matches

`field` is a dotted path into the routing context (visitor, account, person,
sequence, experience, and the derived `geo` and `language`). Strings compare
without regard to case or surrounding spaces; other values compare exactly.
A missing field equals nothing and is in nothing. Each evaluation returns
why it came out as it did, for the decision's explanation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["MISSING", "Condition", "lookup", "parse_condition"]


class _Missing:
    def __repr__(self) -> str:
        return "missing"


MISSING: Any = _Missing()
"""The value of a path that is not in the context."""


def lookup(context: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path, or MISSING (None counts as missing too)."""
    value: Any = context
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return MISSING
        value = value[part]
    return MISSING if value is None else value


def _norm(value: Any) -> Any:
    return value.strip().casefold() if isinstance(value, str) else value


def _show(value: Any) -> str:
    return "missing" if value is MISSING else repr(value)


class Condition(Protocol):
    """A parsed condition: `check` says whether it matches and why."""

    def check(self, context: Mapping[str, Any]) -> tuple[bool, str]:
        """(matched, reason in words)."""
        ...


@dataclass(frozen=True)
class Equals:
    """field equals value."""

    field: str
    value: Any

    def check(self, context: Mapping[str, Any]) -> tuple[bool, str]:
        """Match when the field's value equals `value`."""
        got = lookup(context, self.field)
        if got is not MISSING and _norm(got) == _norm(self.value):
            return True, f"{self.field} is {self.value!r}"
        return False, f"{self.field} is {_show(got)}, not {self.value!r}"


@dataclass(frozen=True)
class In:
    """field is one of values."""

    field: str
    values: tuple[Any, ...]

    def check(self, context: Mapping[str, Any]) -> tuple[bool, str]:
        """Match when the field's value is one of `values`."""
        got = lookup(context, self.field)
        if got is not MISSING and _norm(got) in {_norm(v) for v in self.values}:
            return True, f"{self.field} is {got!r}, one of {list(self.values)!r}"
        return False, f"{self.field} is {_show(got)}, not one of {list(self.values)!r}"


@dataclass(frozen=True)
class Exists:
    """field is present (and not empty) - or absent when `expected` is False."""

    field: str
    expected: bool

    def check(self, context: Mapping[str, Any]) -> tuple[bool, str]:
        """Match on presence (an empty string or list counts as absent)."""
        got = lookup(context, self.field)
        present = got is not MISSING and got not in ("", [], {})
        if present == self.expected:
            return True, f"{self.field} is {'present' if present else 'absent'}"
        return False, f"{self.field} is {'present' if present else 'absent'}"


@dataclass(frozen=True)
class Not:
    """The inner condition does not match."""

    inner: Condition

    def check(self, context: Mapping[str, Any]) -> tuple[bool, str]:
        """Match when the inner condition does not."""
        matched, why = self.inner.check(context)
        return (not matched), f"not ({why})"


@dataclass(frozen=True)
class All:
    """Every condition matches; the reason names the first that did not."""

    items: tuple[Condition, ...]

    def check(self, context: Mapping[str, Any]) -> tuple[bool, str]:
        """Match when every item matches."""
        reasons = []
        for item in self.items:
            matched, why = item.check(context)
            if not matched:
                return False, why
            reasons.append(why)
        return True, " and ".join(reasons)


@dataclass(frozen=True)
class Any_:
    """At least one condition matches; the reason lists why none did."""

    items: tuple[Condition, ...]

    def check(self, context: Mapping[str, Any]) -> tuple[bool, str]:
        """Match when some item matches."""
        reasons = []
        for item in self.items:
            matched, why = item.check(context)
            if matched:
                return True, why
            reasons.append(why)
        return False, " and ".join(reasons)


_SCALAR = (str, int, float, bool)


def parse_condition(raw: Any, where: str = "when") -> Condition:
    """A condition from its TOML table; a ValueError names the part at fault."""
    if not isinstance(raw, Mapping):
        if hasattr(raw, "check"):
            return raw  # type: ignore[no-any-return]
        raise ValueError(f"{where}: expected a table such as {{ field = ..., equals = ... }}")
    keys = set(raw)
    if keys in ({"all"}, {"any"}):
        (key,) = keys
        items = raw[key]
        if not isinstance(items, list) or not items:
            raise ValueError(f"{where}.{key}: expected a non-empty list of conditions")
        parsed = tuple(parse_condition(x, f"{where}.{key}[{i}]") for i, x in enumerate(items))
        return All(parsed) if key == "all" else Any_(parsed)
    if keys == {"not"}:
        return Not(parse_condition(raw["not"], f"{where}.not"))
    field = raw.get("field")
    if not isinstance(field, str) or not field or keys - {"field"} == set():
        raise ValueError(
            f"{where}: expected 'field' with one of equals/in/exists, or all/any/not; "
            f"got keys {sorted(keys)}"
        )
    ops = keys - {"field"}
    if len(ops) != 1:
        raise ValueError(f"{where}: one of equals/in/exists per condition, got {sorted(ops)}")
    (op,) = ops
    value = raw[op]
    if op == "equals":
        if not isinstance(value, _SCALAR):
            raise ValueError(f"{where}.equals: expected a string, number or boolean")
        return Equals(field, value)
    if op == "in":
        if not isinstance(value, list) or not all(isinstance(v, _SCALAR) for v in value):
            raise ValueError(f"{where}.in: expected a list of strings, numbers or booleans")
        return In(field, tuple(value))
    if op == "exists":
        if not isinstance(value, bool):
            raise ValueError(f"{where}.exists: expected true or false")
        return Exists(field, value)
    raise ValueError(f"{where}: unknown operator {op!r} (use equals, in, exists, all, any, not)")
