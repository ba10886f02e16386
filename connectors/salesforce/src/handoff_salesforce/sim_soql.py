"""The slice of SOQL the simulator answers: SELECT ... FROM ... WHERE ... ORDER BY ... LIMIT.

Enough to run every query the connector writes (soql.py) the way Salesforce
would: string comparisons that ignore case, LIKE with % and _ and their
escapes, IN lists, AND/OR/NOT with parentheses, relationship fields such as
`Owner.Name`, ORDER BY with NULLS FIRST on ascending order, and LIMIT. A
field the object does not have is `INVALID_FIELD`; anything else it cannot
read is `MALFORMED_QUERY`, as the real API answers.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Query", "SoqlError", "parse_query"]

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:\\.|[^'\\])*')|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<op><=|>=|!=|<>|=|<|>|\(|\)|,)|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))"
)
_UNESCAPE = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}

Record = Mapping[str, Any]
Resolve = Callable[[Record, str], Any]


class SoqlError(Exception):
    """A query Salesforce would refuse: `code` is its errorCode."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    return re.sub(r"\\(.)", lambda m: _UNESCAPE.get(m.group(1), m.group(1)), body)


def _like(pattern: str) -> re.Pattern[str]:
    """A LIKE pattern as a regex: % any run, _ one character, escaped ones themselves."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("^" + "".join(out) + "$", re.IGNORECASE | re.DOTALL)


@dataclass
class Query:
    """A parsed query: what to select from which object, and how to filter and order."""

    fields: list[str]
    sobject: str
    where: Callable[[Record, Resolve], bool] | None
    order: list[tuple[str, bool]]
    limit: int | None
    mentioned: set[str]


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        text = text.strip()
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                raise SoqlError("MALFORMED_QUERY", f"unexpected token at: {text[position:][:30]}")
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
        self.i = 0
        self.mentioned: set[str] = set()

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def keyword(self, *words: str) -> bool:
        token = self.peek()
        if token and token[0] == "word" and token[1].upper() in words:
            self.i += 1
            return True
        return False

    def expect(self, kind: str, value: str | None = None) -> str:
        token = self.peek()
        if token is None or token[0] != kind or (value is not None and token[1].upper() != value):
            got = token[1] if token else "end of query"
            raise SoqlError("MALFORMED_QUERY", f"expected {value or kind}, got {got}")
        self.i += 1
        return token[1]

    def field(self) -> str:
        name = self.expect("word")
        self.mentioned.add(name)
        return name

    def value(self) -> Any:
        token = self.peek()
        if token is None:
            raise SoqlError("MALFORMED_QUERY", "a value is missing at the end of the query")
        self.i += 1
        kind, text = token
        if kind == "string":
            return _unquote(text)
        if kind == "number":
            return float(text) if "." in text else int(text)
        if kind == "word" and text.lower() in {"true", "false", "null"}:
            return {"true": True, "false": False, "null": None}[text.lower()]
        raise SoqlError("MALFORMED_QUERY", f"expected a value, got {text}")

    def condition(self) -> Callable[[Record, Resolve], bool]:
        if self.keyword("NOT"):
            inner = self.condition()
            return lambda r, get: not inner(r, get)
        token = self.peek()
        if token == ("op", "("):
            self.i += 1
            inner = self.disjunction()
            self.expect("op", ")")
            return inner
        name = self.field()
        if self.keyword("LIKE"):
            pattern = _like(self.expect("string")[1:-1])
            return lambda r, get: (
                isinstance(get(r, name), str) and bool(pattern.match(get(r, name)))
            )
        if self.keyword("IN"):
            self.expect("op", "(")
            values = [self.value()]
            while self.peek() == ("op", ","):
                self.i += 1
                values.append(self.value())
            self.expect("op", ")")
            return lambda r, get: any(_equal(get(r, name), v) for v in values)
        op = self.expect("op")
        wanted = self.value()
        if op == "=":
            return lambda r, get: _equal(get(r, name), wanted)
        if op in ("!=", "<>"):
            return lambda r, get: not _equal(get(r, name), wanted)
        compare: dict[str, Callable[[Any, Any], bool]] = {
            "<": operator.lt,
            ">": operator.gt,
            "<=": operator.le,
            ">=": operator.ge,
        }
        if op not in compare:
            raise SoqlError("MALFORMED_QUERY", f"unexpected operator {op}")
        test = compare[op]
        return lambda r, get: get(r, name) is not None and test(get(r, name), wanted)

    def conjunction(self) -> Callable[[Record, Resolve], bool]:
        parts = [self.condition()]
        while self.keyword("AND"):
            parts.append(self.condition())
        return lambda r, get: all(p(r, get) for p in parts)

    def disjunction(self) -> Callable[[Record, Resolve], bool]:
        parts = [self.conjunction()]
        while self.keyword("OR"):
            parts.append(self.conjunction())
        return lambda r, get: any(p(r, get) for p in parts)

    def query(self) -> Query:
        self.expect("word", "SELECT")
        fields = [self.field()]
        while self.peek() == ("op", ","):
            self.i += 1
            fields.append(self.field())
        self.expect("word", "FROM")
        sobject = self.expect("word")
        where = self.disjunction() if self.keyword("WHERE") else None
        order: list[tuple[str, bool]] = []
        if self.keyword("ORDER"):
            self.expect("word", "BY")
            while True:
                name = self.field()
                descending = self.keyword("DESC")
                if not descending:
                    self.keyword("ASC")
                order.append((name, descending))
                if self.peek() != ("op", ","):
                    break
                self.i += 1
        limit = None
        if self.keyword("LIMIT"):
            limit = int(self.expect("number"))
        if self.peek() is not None:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: {self.peek()[1]}")  # type: ignore[index]
        return Query(fields, sobject, where, order, limit, self.mentioned)


def _equal(have: Any, wanted: Any) -> bool:
    if isinstance(have, str) and isinstance(wanted, str):
        return have.lower() == wanted.lower()
    return bool(have == wanted)


def parse_query(text: str) -> Query:
    """Parse `text`; raises SoqlError (MALFORMED_QUERY) when it is not SOQL this slice reads."""
    return _Parser(text).query()


def order_key(value: Any) -> tuple[int, Any]:
    """Sort key putting None first, strings without regard to case."""
    if value is None:
        return (0, "")
    return (1, value.lower() if isinstance(value, str) else value)
