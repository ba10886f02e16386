"""One place to decide what a response means: fine, retry, refresh the token, or fail."""

from __future__ import annotations

import email.utils
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import httpx

__all__ = ["Outcome", "Verdict", "default_classify", "parse_retry_after", "response_json"]


class Verdict(Enum):
    """What the request layer does next."""

    OK = "ok"
    RETRY = "retry"
    REFRESH_AUTH = "refresh_auth"
    FAIL = "fail"


@dataclass(frozen=True)
class Outcome:
    """A classified response. `retry_after` is in seconds; `code` is the API's error code."""

    verdict: Verdict
    code: str | None = None
    message: str | None = None
    retry_after: float | None = None
    rate_limited: bool = False

    @classmethod
    def ok(cls) -> Outcome:
        """The response is usable."""
        return cls(Verdict.OK)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def response_json(response: httpx.Response) -> Any:
    """The body as JSON, or None when it is not JSON (a text 429, an HTML error page)."""
    try:
        return json.loads(response.content) if response.content else None
    except (ValueError, UnicodeDecodeError):
        return None


def _message(response: httpx.Response) -> tuple[str | None, str]:
    body = response_json(response)
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]
    if isinstance(body, dict):
        code = body.get("errorCode") or body.get("error") or body.get("code")
        msg = body.get("message") or body.get("error_description") or body.get("description")
        return (str(code) if code is not None else None, str(msg or response.reason_phrase))
    text = response.text.strip()[:200] if response.content else ""
    return None, text or response.reason_phrase


def default_classify(response: httpx.Response, now: datetime | None = None) -> Outcome:
    """The HTTP-status reading every connector starts from; connectors refine it.

    401 means the token expired (refresh once); 429 and 5xx are retried,
    honouring Retry-After; any other 4xx fails at once with the API's message.
    """
    status = response.status_code
    if status < 400:
        return Outcome.ok()
    code, message = _message(response)
    retry_after = parse_retry_after(response.headers.get("retry-after"), now)
    if status == 401:
        return Outcome(Verdict.REFRESH_AUTH, code, message)
    if status == 429:
        return Outcome(Verdict.RETRY, code, message, retry_after, rate_limited=True)
    if status in (408, 425) or status >= 500:
        return Outcome(Verdict.RETRY, code, message, retry_after)
    return Outcome(Verdict.FAIL, code, message)
