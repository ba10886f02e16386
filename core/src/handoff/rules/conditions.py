"""The condition language of every flow's rules: data, not code (no eval).

A condition is a TOML table of one of these shapes:

    { field = "account.sector", equals = "US Public Sector" }
    { field = "account.geo", in = ["AMER", "LATAM"] }
    { field = "account.domain", in_list = "fortune_500" }   # a named list (see below)
    { field = "sequence.owner_email", exists = true }
    { field = "account.employees", at_least = 2000 }       # a number >= 2000
    { field = "account.carr", below = 1500 }                # a number < 1500
    { field = "deal.amount", above = 1000 }                 # a number > 1000 ("more than")
    { field = "lead.title", contains = ["VP", "Director"] } # a substring of the text
    { not = { field = "language", equals = "en" } }
    { all = [ {...}, {...} ] }          # every one matches
    { any = [ {...}, {...} ] }          # at least one matches

`field` is a dotted path into the context the flow decides on (chat: the
visitor, account, person, sequence, experience; leads: the lead, its account
and enrichment). Strings compare without regard to case or surrounding
spaces; other values compare exactly. A missing field equals nothing, is in
nothing, is no number and contains nothing. `at_least` and `below` compare
numbers, `above` too, strictly (a numeric string such as "2000" counts;
anything else does not match). `in_list` names a list the flow's config defines (which companies
are Fortune 500 is data, not code): `parse_condition(..., lists=...)` is
given those lists, and a name it does not know is an error at load. Each
evaluation returns why it came out as it did, for the decision's
explanation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["MISSING", "Condition", "lookup", "matches", "parse_condition"]

OPERATORS = ("equals", "in", "in_list", "exists", "at_least", "below", "above", "contains")
"""The operators a `field` condition may use (one per condition)."""


class _Missing:
    def __repr__(self) -> str:
        return "missing"


MISSING: Any = _Missing()
"""The value of a path that is not in the context."""


def lookup(context: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path, or MISSING (None counts as missing too)."""
    if type(context) is dict and "." not in path:  # the common case, without the ABC check
        found = context.get(path)
        return MISSING if found is None else found
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


def matches(condition: Condition, context: Mapping[str, Any]) -> bool:
    """Whether the condition holds, without the reason in words: `check`'s verdict, cheaper.

    For loops over many contexts (P3 ranks 100,000 accounts on a table of
    criteria) whose reasons are read for a few: the conditions here skip
    formatting them. Any other object with `check` is asked through it.
    """
    fast = getattr(condition, "matches", None)
    if fast is not None:
        return bool(fast(context))
    return condition.check(context)[0]


@dataclass(frozen=True)
class Equals:
    """field equals value."""

    field: str
    value: Any

    def matches(self, context: Mapping[str, Any]) -> bool:
        """`check`'s verdict alone."""
        got = lookup(context, self.field)
        return got is not MISSING and _norm(got) == _norm(self.value)

    def check(self, context: Mapping[str, Any]) -> tuple[bool, str]:
        """Match when the field's value equals `value`."""
        got = lookup(context, self.field)
        if got is not MISSING and _norm(got) == _norm(self.value):
            return True, f"{self.field} is {self.value!r}"
        return False, f"{self.field} is {_show(got)}, not {self.value!r}"


@dataclass(frozen=True)
class In:
    """field is one of values: given inline (`in`) or a named list of the config (`in_list`)."""

    field: str
    values: tuple[Any, ...]
    list_name: str | None = None

    def matches(self, context: Mapping[str, Any]) -> bool:
        """`check`'s verdict alone."""
        got = lookup(context, self.field)
        return got is not MISSING and _norm(got) in self._normalized()

    def check(self, context: Mapping[str, Any]) -> tuple[bool, str]:
        """Match when the field's value is one of `values`."""
        got = lookup(context, self.field)
        found = got is not MISSING and _norm(got) in self._normalized()
        where = f"in list {self.list_name!r}" if self.list_name else f"one of {list(self.values)!r}"
        if found:
            return True, f"{self.field} is {got!r}, {where}"
        return False, f"{self.field} is {_show(got)}, not {where}"

    def _normalized(self) -> frozenset[Any]:
        cached: frozenset[Any] | None = self.__dict__.get("_set")
        if cached is None:
            cached = frozenset(_norm(v) for v in self.values)
            object.__setattr__(self, "_set", cached)
        return cached


@dataclass(frozen=True)
class Exists:
    """field is present (and not empty) - or absent when `expected` is False."""

    field: str
    expected: bool

    def matches(self, context: Mapping[str, Any]) -> bool:
        """`check`'s verdict alone."""
        got = lookup(context, self.field)
        return (got is not MISSING and got not in ("", [], {})) == self.expected

    def check(self, context: Mapping[str, Any]) -> tuple[bool, str]:
        """Match on presence (an empty string or list counts as absent)."""
        got = lookup(context, self.field)
        present = got is not MISSING and got not in ("", [], {})
        if present == self.expected:
            return True, f"{self.field} is {'present' if present else 'absent'}"
        return False, f"{self.field} is {'present' if present else 'absent'}"


def _number(value: Any) -> float | None:
    """A number from a value (a numeric string counts); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace(",", "").strip())
        except ValueError:
            return None
    return None


def _within(number: float, op: str, bound: float) -> bool:
    if op == "at_least":
        return number >= bound
    return number < bound if op == "below" else number > bound


@dataclass(frozen=True)
class Bound:
    """field is a number >= bound (`at_least`), < bound (`below`) or > bound (`above`)."""

    field: str
    bound: float
    op: str

    def matches(self, context: Mapping[str, Any]) -> bool:
        """`check`'s verdict alone."""
        got = lookup(context, self.field)
        number = None if got is MISSING else _number(got)
        return number is not None and _within(number, self.op, self.bound)

    def check(self, context: Mapping[str, Any]) -> tuple[bool, str]:
        """Match when the field's value is a number on the right side of `bound`."""
        got = lookup(context, self.field)
        number = None if got is MISSING else _number(got)
        words = self.op.replace("_", " ")
        if number is not None and _within(number, self.op, self.bound):
            return True, f"{self.field} is {got!r}, {words} {self.bound:.15g}"
        return False, f"{self.field} is {_show(got)}, not {words} {self.bound:.15g}"


@dataclass(frozen=True)
class Contains:
    """field is a text holding one of the parts (any case)."""

    field: str
    parts: tuple[str, ...]

    def matches(self, context: Mapping[str, Any]) -> bool:
        """`check`'s verdict alone."""
        got = lookup(context, self.field)
        if not isinstance(got, str):
            return False
        text = got.casefold()
        return any(part.strip().casefold() in text for part in self.parts)

    def check(self, context: Mapping[str, Any]) -> tuple[bool, str]:
        """Match when the field's text contains one of `parts`."""
        got = lookup(context, self.field)
        if isinstance(got, str):
            text = got.casefold()
            for part in self.parts:
                if part.strip().casefold() in text:
                    return True, f"{self.field} is {got!r}, containing {part!r}"
        return False, f"{self.field} is {_show(got)}, containing none of {list(self.parts)!r}"


@dataclass(frozen=True)
class Not:
    """The inner condition does not match."""

    inner: Condition

    def matches(self, context: Mapping[str, Any]) -> bool:
        """`check`'s verdict alone."""
        return not matches(self.inner, context)

    def check(self, context: Mapping[str, Any]) -> tuple[bool, str]:
        """Match when the inner condition does not."""
        matched, why = self.inner.check(context)
        return (not matched), f"not ({why})"


@dataclass(frozen=True)
class All:
    """Every condition matches; the reason names the first that did not."""

    items: tuple[Condition, ...]

    def matches(self, context: Mapping[str, Any]) -> bool:
        """`check`'s verdict alone."""
        return all(matches(item, context) for item in self.items)

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

    def matches(self, context: Mapping[str, Any]) -> bool:
        """`check`'s verdict alone."""
        return any(matches(item, context) for item in self.items)

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


def parse_condition(
    raw: Any, where: str = "when", *, lists: Mapping[str, Sequence[Any]] | None = None
) -> Condition:
    """A condition from its TOML table; a ValueError names the part at fault.

    `lists` are the named lists `in_list` may refer to (none: `in_list` is
    refused, naming where lists are missing).
    """
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
        parsed = tuple(
            parse_condition(x, f"{where}.{key}[{i}]", lists=lists) for i, x in enumerate(items)
        )
        return All(parsed) if key == "all" else Any_(parsed)
    if keys == {"not"}:
        return Not(parse_condition(raw["not"], f"{where}.not", lists=lists))
    field = raw.get("field")
    if not isinstance(field, str) or not field or keys - {"field"} == set():
        raise ValueError(
            f"{where}: expected 'field' with one of {'/'.join(OPERATORS)}, or all/any/not; "
            f"got keys {sorted(keys)}"
        )
    ops = keys - {"field"}
    if len(ops) != 1:
        raise ValueError(f"{where}: one of {'/'.join(OPERATORS)} per condition, got {sorted(ops)}")
    (op,) = ops
    return _leaf(op, field, raw[op], where, lists)


def _leaf(
    op: str, field: str, value: Any, where: str, lists: Mapping[str, Sequence[Any]] | None
) -> Condition:
    """The condition of one operator, its value checked."""
    if op == "equals":
        if not isinstance(value, _SCALAR):
            raise ValueError(f"{where}.equals: expected a string, number or boolean")
        return Equals(field, value)
    if op == "in":
        if not isinstance(value, list) or not all(isinstance(v, _SCALAR) for v in value):
            raise ValueError(f"{where}.in: expected a list of strings, numbers or booleans")
        return In(field, tuple(value))
    if op == "in_list":
        if not isinstance(value, str):
            raise ValueError(f"{where}.in_list: expected the name of a list")
        if lists is None:
            raise ValueError(f"{where}.in_list: no named lists are defined where this rule is")
        if value not in lists:
            known = ", ".join(sorted(lists)) or "none"
            raise ValueError(f"{where}.in_list: no list named {value!r} (lists: {known})")
        return In(field, tuple(lists[value]), value)
    if op == "exists":
        if not isinstance(value, bool):
            raise ValueError(f"{where}.exists: expected true or false")
        return Exists(field, value)
    if op in ("at_least", "below", "above"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{where}.{op}: expected a number")
        return Bound(field, float(value), op)
    if op == "contains":
        parts = [value] if isinstance(value, str) else value
        if (
            not isinstance(parts, list)
            or not parts
            or not all(isinstance(p, str) and p.strip() for p in parts)
        ):
            raise ValueError(f"{where}.contains: expected a text or a list of texts")
        return Contains(field, tuple(parts))
    raise ValueError(
        f"{where}: unknown operator {op!r} (use {', '.join(OPERATORS)}, all, any, not)"
    )
