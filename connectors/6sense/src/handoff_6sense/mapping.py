"""6sense Company Identification answers, read into canonical `Firmographics` (rule Q1).

Pure functions, no I/O, so every shape 6sense is known to send can be tested
on its own. A `GET /v3/company/details` body has four parts:

- `company`: who the IP belongs to, with `company_match` saying how well:
  "Match" (an account to act on), "Non-actionable Match" (the IP belongs to
  someone there is no account to work, such as an ISP or a hosting network) or
  "No Match";
- `scores`: one entry per product line configured in 6sense, each with
  `buying_stage`, `intent_score`, `profile_fit`, `profile_score` and `is_6qa`;
- `segments`: the 6sense segments the company is in (`names`, and `list` of
  `{id, name}`);
- `confidence`: how sure 6sense is of the IP-to-company link.

The traps: numbers sometimes arrive as strings (`"employee_count": "22000"`),
missing values as empty strings, and "nothing found" takes several shapes
(see `is_match`). A 404 is also 6sense's "no data found"; the connector reads
that status before any body gets here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from handoff_sdk.entities import Firmographics

__all__ = [
    "NOT_ACTIONABLE",
    "SOURCE",
    "headline_score",
    "is_match",
    "normalise_domain",
    "product_insights",
    "segment_names",
    "to_firmographics",
]

SOURCE = "6sense"
"""The `source` every Firmographics from this connector carries."""

NOT_ACTIONABLE = frozenset({"no match", "non-actionable match"})
"""`company_match` values (lower case) that mean there is no company to act on."""


def _text(value: Any) -> str | None:
    """A non-empty, stripped string, or None: 6sense sends "" for 'unknown'."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def _number(value: Any) -> float | None:
    """A number from a number or a numeric string ("22000", "1,200"); else None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace(",", "")
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _integer(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


def normalise_domain(value: Any) -> str | None:
    """The bare web domain, lower case: CRM account matching (Q1) compares these."""
    text = _text(value)
    if text is None:
        return None
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text.lower())
    text = text.split("/", 1)[0].split("?", 1)[0].rstrip(".")
    text = text.removeprefix("www.")
    return text or None


def _company(body: Any) -> Mapping[str, Any] | None:
    if not isinstance(body, Mapping):
        return None
    company = body.get("company")
    return company if isinstance(company, Mapping) else None


def is_match(body: Any) -> bool:
    """True when the body names a company worth acting on.

    Not a match: no body or `{}`; no `company` or an empty one;
    `company_match` of "No Match" or "Non-actionable Match"; a company with
    neither a name nor a domain (nothing to match a CRM account on). A body
    without `company_match` (older API versions) counts by its content.
    """
    company = _company(body)
    if not company:
        return False
    verdict = _text(company.get("company_match"))
    if verdict is not None and verdict.lower() in NOT_ACTIONABLE:
        return False
    named = _text(company.get("name")) is not None
    return named or normalise_domain(company.get("domain")) is not None


def segment_names(segments: Any) -> list[str]:
    """Segment names, from `names` or else from `list`, each once, in 6sense's order."""
    if not isinstance(segments, Mapping):
        return []
    raw: list[Any] = []
    names = segments.get("names")
    if isinstance(names, Sequence) and not isinstance(names, str):
        raw = list(names)
    if not raw:
        items = segments.get("list")
        if isinstance(items, Sequence) and not isinstance(items, str):
            raw = [item.get("name") for item in items if isinstance(item, Mapping)]
    seen: dict[str, None] = {}
    for name in raw:
        text = _text(name)
        if text is not None:
            seen.setdefault(text, None)
    return list(seen)


def _scores(body: Any) -> list[Mapping[str, Any]]:
    scores = body.get("scores") if isinstance(body, Mapping) else None
    if not isinstance(scores, Sequence) or isinstance(scores, str):
        return []
    return [s for s in scores if isinstance(s, Mapping)]


def _insight(score: Mapping[str, Any]) -> dict[str, Any]:
    is_6qa = score.get("is_6qa")
    return {
        "product_display_name": _text(score.get("product_display_name")),
        "buying_stage": _text(score.get("buying_stage")),
        "intent_score": _number(score.get("intent_score")),
        "profile_fit": _text(score.get("profile_fit")),
        "profile_score": _number(score.get("profile_score")),
        "is_6qa": is_6qa if isinstance(is_6qa, bool) else None,
    }


def product_insights(scores: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per product line (6sense's `product` key): stage, intent, fit, profile score, 6QA."""
    insights: dict[str, dict[str, Any]] = {}
    for score in scores:
        key = _text(score.get("product")) or _text(score.get("product_display_name"))
        if key is not None and key not in insights:
            insights[key] = _insight(score)
    return insights


def headline_score(
    scores: Sequence[Mapping[str, Any]], product: str | None
) -> Mapping[str, Any] | None:
    """The score that gives the visitor's one buying stage / intent / fit.

    With `product` set (config), the score of that product line, matched on
    `product` or `product_display_name` ignoring case, or None when 6sense has
    none for it: another product's intent would mislead routing. Without it,
    the first score 6sense lists.
    """
    if product is None:
        return scores[0] if scores else None
    wanted = product.strip().lower()
    for score in scores:
        names = (_text(score.get("product")), _text(score.get("product_display_name")))
        if any(name is not None and name.lower() == wanted for name in names):
            return score
    return None


def to_firmographics(body: Any, *, product: str | None = None) -> Firmographics | None:
    """Firmographics for a Company Identification body, or None when it is not a match."""
    if not is_match(body):
        return None
    company = _company(body)
    assert company is not None  # is_match checked it
    industry = _text(company.get("industry"))
    if industry is None:
        industries = company.get("industry_v2")
        if isinstance(industries, Sequence) and not isinstance(industries, str):
            for entry in industries:
                if isinstance(entry, Mapping) and _text(entry.get("industry")):
                    industry = _text(entry.get("industry"))
                    break
    scores = _scores(body)
    headline = headline_score(scores, product)
    country_code = _text(company.get("country_iso_code"))
    return Firmographics(
        source=SOURCE,
        company_id=_text(company.get("companyId")),
        company_name=_text(company.get("name")),
        domain=normalise_domain(company.get("domain")),
        industry=industry,
        employee_count=_integer(company.get("employee_count")),
        employee_range=_text(company.get("employee_range")),
        annual_revenue=_number(company.get("annual_revenue")),
        revenue_range=_text(company.get("revenue_range")),
        country=_text(company.get("country")),
        country_code=country_code.upper() if country_code else None,
        region=_text(company.get("region")),
        state=_text(company.get("state")),
        city=_text(company.get("city")),
        segments=segment_names(body.get("segments")),
        buying_stage=_text(headline.get("buying_stage")) if headline else None,
        intent_score=_number(headline.get("intent_score")) if headline else None,
        profile_fit=_text(headline.get("profile_fit")) if headline else None,
        product_insights=product_insights(scores),
        confidence=_text(body.get("confidence")),
    )
