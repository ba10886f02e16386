"""SOQL text built from untrusted values, and the queries the connector runs.

Visitor emails and domains come from web forms, so every value that enters a
query goes through `quote` (or `like_pattern`): SOQL string literals end at an
unescaped single quote, and a backslash starts an escape, so both are escaped
along with the other characters SOQL defines escapes for. Field names come
from validated config, never from visitors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "ACCOUNT_LIST_FIELDS",
    "ACCOUNT_STANDARD_FIELDS",
    "CONTACT_FIELDS",
    "LEAD_FIELDS",
    "OPPORTUNITY_FIELDS",
    "USER_FIELDS",
    "account_list_query",
    "account_match_query",
    "condition",
    "contact_by_email_query",
    "escape",
    "lead_by_email_query",
    "like_pattern",
    "quote",
    "renewal_opportunity_query",
    "users_query",
]

# SOQL's escape sequences (Quoted String Escape Sequences in the SOQL reference).
_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}

ACCOUNT_STANDARD_FIELDS: tuple[str, ...] = (
    "Id",
    "Name",
    "Website",
    "Industry",
    "NumberOfEmployees",
    "BillingCountry",
    "BillingState",
    "Type",
    "OwnerId",
    "Owner.Name",
)
"""Account fields every org has; the custom ones come from config."""

ACCOUNT_LIST_FIELDS: tuple[str, ...] = (
    *ACCOUNT_STANDARD_FIELDS,
    "Owner.Email",
    "LastModifiedBy.Name",
    "LastModifiedDate",
)
"""Account fields an account listing reads: the standard ones, the owner's email, who changed it."""

CONTACT_FIELDS: tuple[str, ...] = (
    "Id",
    "Email",
    "FirstName",
    "LastName",
    "Title",
    "Phone",
    "AccountId",
    "OwnerId",
)
"""Contact fields read by find_person."""

LEAD_FIELDS: tuple[str, ...] = (
    "Id",
    "Email",
    "FirstName",
    "LastName",
    "Company",
    "Title",
    "Phone",
    "Country",
    "Status",
    "LeadSource",
    "OwnerId",
)
"""Lead fields read by find_person (the score field is added when configured)."""

OPPORTUNITY_FIELDS: tuple[str, ...] = (
    "Id",
    "Name",
    "AccountId",
    "Type",
    "StageName",
    "CloseDate",
    "Amount",
    "IsClosed",
    "OwnerId",
    "Owner.Name",
)
"""Opportunity fields read for the upcoming renewal (Z4)."""

USER_FIELDS: tuple[str, ...] = (
    "Id",
    "Name",
    "Email",
    "IsActive",
    "Title",
    "UserRole.Name",
    "Profile.Name",
    "ManagerId",
    "Manager.Name",
    "Manager.Email",
)
"""User fields read by find_users: who a user is and who manages them (Z2, Z4, Z6)."""


def escape(value: str) -> str:
    """The value with every character SOQL treats specially inside quotes escaped."""
    return "".join(_ESCAPES.get(ch, ch) for ch in value)


def quote(value: str) -> str:
    """A SOQL string literal holding exactly `value`, whatever it contains."""
    return f"'{escape(value)}'"


def like_pattern(value: str) -> str:
    """A LIKE literal matching `value` anywhere: its own % and _ match only themselves."""
    inner = escape(value).replace("%", "\\%").replace("_", "\\_")
    return f"'%{inner}%'"


def _unique(names: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for name in names:
        seen.setdefault(name, None)
    return list(seen)


def account_match_query(
    domains: Sequence[str], fields: Iterable[str], domain_field: str | None = None
) -> str:
    """Accounts that may have one of these web domains, oldest first.

    Website is free text ('https://www.acme.example/en'), so the query casts a
    wide net with LIKE and the caller keeps only exact domain matches. With a
    dedicated domain field the match is exact in the query itself.
    """
    if not domains:
        raise ValueError("account_match_query needs at least one domain")
    select = ", ".join(_unique([*ACCOUNT_STANDARD_FIELDS, *fields]))
    if domain_field:
        where = f"{domain_field} IN ({', '.join(quote(d) for d in domains)})"
    else:
        where = " OR ".join(f"Website LIKE {like_pattern(d)}" for d in domains)
    # Values are quote()d; field names are validated config, not visitor input.
    return f"SELECT {select} FROM Account WHERE {where} ORDER BY CreatedDate ASC, Id ASC"  # noqa: S608


def contact_by_email_query(email: str, extra: Iterable[str] = ()) -> str:
    """The most recently changed Contact with this email (SOQL compares case-insensitively).

    `extra` adds configured fields (contact_extra_fields) to the SELECT.
    """
    fields = _unique([*CONTACT_FIELDS, *extra])
    return (
        f"SELECT {', '.join(fields)} FROM Contact WHERE Email = {quote(email)} "  # noqa: S608
        "ORDER BY LastModifiedDate DESC LIMIT 1"
    )


def lead_by_email_query(
    email: str, score_field: str | None = None, extra: Iterable[str] = ()
) -> str:
    """The most recently changed unconverted Lead with this email.

    A converted Lead lives on as a Contact, so it is never the answer.
    `extra` adds configured fields (lead_extra_fields) to the SELECT.
    """
    fields = _unique([*LEAD_FIELDS, *([score_field] if score_field else []), *extra])
    return (
        f"SELECT {', '.join(fields)} FROM Lead WHERE Email = {quote(email)} "  # noqa: S608
        "AND IsConverted = false ORDER BY LastModifiedDate DESC LIMIT 1"
    )


_OPERATORS = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def literal(value: object) -> str:
    """A SOQL literal: strings quoted and escaped, numbers as numbers, true/false, null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return quote(str(value))


def condition(field: str, op: str, value: object) -> str:
    """One WHERE condition on a validated field name: `Carr__c < 1000`, `Segment__c IN ('SMB')`.

    Raises ValueError for an operator SOQL has no form of, or a value that
    does not fit it (IN takes a list; null only with = and !=).
    """
    if op == "in":
        if not isinstance(value, list | tuple) or not value:
            raise ValueError(f"'in' on {field} needs a non-empty list")
        return f"{field} IN ({', '.join(literal(v) for v in value)})"
    if op not in _OPERATORS:
        raise ValueError(f"unknown operator {op!r}")
    if isinstance(value, list | tuple):
        raise ValueError(f"'{op}' on {field} takes one value, not a list")
    if value is None and op not in ("eq", "ne"):
        raise ValueError(f"'{op}' on {field} cannot compare with null")
    return f"{field} {_OPERATORS[op]} {literal(value)}"


def account_list_query(conditions: Sequence[str], fields: Iterable[str]) -> str:
    """Accounts meeting every condition, in Id order (stable across the pages of one listing)."""
    select = ", ".join(_unique([*ACCOUNT_LIST_FIELDS, *fields]))
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    # Values go through literal()/quote(); field names are validated config.
    return f"SELECT {select} FROM Account{where} ORDER BY Id ASC"  # noqa: S608


def renewal_opportunity_query(account_id: str, renewal_type: str) -> str:
    """The account's open opportunity of the renewal type that closes first (Z4)."""
    return (
        f"SELECT {', '.join(OPPORTUNITY_FIELDS)} FROM Opportunity "  # noqa: S608
        f"WHERE AccountId = {quote(account_id)} AND IsClosed = false "
        f"AND Type = {quote(renewal_type)} ORDER BY CloseDate ASC, Id ASC LIMIT 1"
    )


def users_query(user_ids: Sequence[str], emails: Sequence[str]) -> str:
    """Users with any of these ids or emails (SOQL compares emails case-insensitively)."""
    where = [
        f"{field} IN ({', '.join(quote(v) for v in values)})"
        for field, values in (("Id", user_ids), ("Email", emails))
        if values
    ]
    if not where:
        raise ValueError("users_query needs at least one id or email")
    return (
        f"SELECT {', '.join(USER_FIELDS)} FROM User WHERE {' OR '.join(where)} "  # noqa: S608
        "ORDER BY Id ASC"
    )
