"""Moments as people type them: ISO 8601, or how long ago ('30m', '24h', '7d', '2w').

Every command and route that takes a `--since`/`--until` (or `?since=`)
reads it here, so they all accept the same forms and say the same thing
about a bad one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["MOMENT_SCHEMA", "parse_moment"]

_RELATIVE = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

MOMENT_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "format": "date-time"},
        {"type": "string", "format": "date"},
        {"type": "string", "pattern": "^[0-9]{1,5}[mhdwMHDW]$"},
    ],
    "examples": ["24h", "7d", "2026-01-05", "2026-01-05T09:00:00+01:00"],
}
"""What `parse_moment` reads, as JSON Schema (a query parameter's declared type)."""


def parse_moment(text: str, now: datetime, name: str = "since") -> datetime:
    """A moment: ISO 8601 (a date or a time; UTC when no zone is given) or '7d', '24h', '30m'.

    The one reader of a period's bounds: `handoff metrics reps --since`,
    `GET /v1/metrics/reps?since=`, `handoff events export --since` accept
    the same text. Raises ValueError
    naming the option or field `name`.
    """
    value = text.strip()
    unit = _RELATIVE.get(value[-1:].lower())
    if unit and value[:-1].isdigit() and len(value) <= 6:  # 99999w: far enough
        try:
            return now - timedelta(**{unit: int(value[:-1])})
        except OverflowError:
            raise ValueError(f"{name}: '{text[:50]}' reaches too far back") from None
    try:
        moment = datetime.fromisoformat(value.upper())  # RFC 3339 allows 't' and 'z'
    except ValueError:
        raise ValueError(
            f"{name}: '{text[:50]}' is neither ISO 8601 (2026-01-05, 2026-01-05T09:00+01:00) "
            "nor relative (30m, 24h, 7d, 2w)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
