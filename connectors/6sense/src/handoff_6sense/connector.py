"""The 6sense connector: which company is this website visitor from? (rule Q1).

6sense's Company Identification API takes an IP address and answers with
the company behind it, its segments and its per-product buying stage:

    GET https://epsilon.6sense.com/v3/company/details?ip=203.0.113.10
    Authorization: Token <api_key>
    EpsilonCookie: <6sense visitor cookie>      (optional)
    X-6s-CustomID: <caller's own identifier>    (optional)

How it answers, and what handoff does with it:

- 200 with `company.company_match` "Match": Firmographics.
- 200 with "No Match" / "Non-actionable Match", an empty company or an empty
  body; 404 (6sense's "no data found"): None, a normal answer.
- 401 (token invalid or missing) and 403 (token not entitled to this API, or
  restricted to other domains): AuthError at once; a static key does not get
  better by asking again.
- 402 (the contract's API credits are used up): ApiError, not retried; it
  lasts until someone tops the credits up.
- 429: waited out (Retry-After when sent; 6sense does not document one, so
  a full minute, its fixed window, otherwise) and retried; 5xx: retried.

The budget is 6sense's published 100 requests a minute per token, set with
`requests_per_minute` (or the SDK's generic `rate_limit`, which wins).
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any, ClassVar

import httpx
from pydantic import Field, field_validator

from handoff_sdk import (
    ApiKeyAuth,
    Connector,
    ConnectorConfig,
    Outcome,
    RateLimit,
    SecretSpec,
    Verdict,
    default_classify,
    hookimpl,
    parse_retry_after,
    response_json,
)
from handoff_sdk.entities import Firmographics, Visitor

from .mapping import to_firmographics

__all__ = ["DEFAULT_BASE_URL", "SixsenseConfig", "SixsenseConnector"]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://epsilon.6sense.com"
"""Where the Company Identification API lives."""

DETAILS_PATH = "/v3/company/details"
"""The Company Identification endpoint, version 3."""


class SixsenseConfig(ConnectorConfig):
    """`[connectors.6sense]` in handoff.toml. The API token is the secret `api_key`."""

    base_url: str = Field(
        default=DEFAULT_BASE_URL,
        description="Company Identification API host; change only for a proxy or a test server.",
    )
    requests_per_minute: int = Field(
        default=100,
        gt=0,
        description="Calls a minute this hub may make with the token (6sense allows 100). "
        "Lower it when other integrations share the token. `rate_limit`, when set, wins.",
    )
    concurrency: int = Field(
        default=10, gt=0, description="Identification calls in flight at once."
    )
    product: str | None = Field(
        default=None,
        description="6sense product line whose score gives the visitor's buying stage, intent "
        "and fit (its `product` or display name). Unset: the first product 6sense lists. "
        "Every product's scores are kept in `product_insights` either way.",
    )
    send_cookie_id: bool = Field(
        default=False,
        description="Send the visitor's cookie id as the EpsilonCookie header. Only when the "
        "cookie id the hub receives is 6sense's own visitor cookie.",
    )
    send_visitor_id: bool = Field(
        default=False,
        description="Send the hub's visitor id as the X-6s-CustomID header, so a lookup can "
        "be traced on the 6sense side.",
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("https://", "http://")):
            raise ValueError("must start with https:// (e.g. https://epsilon.6sense.com)")
        return value

    def effective_rate_limit(self, default: RateLimit) -> RateLimit:
        """The budget in force: `rate_limit` when set, else `requests_per_minute`."""
        if self.rate_limit is not None:
            return self.rate_limit
        return RateLimit(
            requests=self.requests_per_minute, per_seconds=60, concurrency=self.concurrency
        )


def usable_ip(value: str | None) -> str | None:
    """The visitor's IP in canonical form, or None when there is none worth a paid call."""
    if value is None or not value.strip():
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def _api_message(response: httpx.Response) -> str:
    """6sense's own words: `{"status": "error", "message": ...}`, or a `detail`, or the text."""
    body = response_json(response)
    if isinstance(body, dict):
        for key in ("message", "detail", "error"):
            text = body.get(key)
            if isinstance(text, str) and text.strip():
                return text.strip()
    if response.content and body is None:
        return response.text.strip()[:200] or response.reason_phrase
    return response.reason_phrase


class SixsenseConnector(Connector[SixsenseConfig]):
    """Identifies a website visitor's company by IP through 6sense (rule Q1)."""

    name: ClassVar[str] = "6sense"
    title: ClassVar[str] = "6sense"
    secret_specs: ClassVar[tuple[SecretSpec, ...]] = (
        SecretSpec(
            name="api_key",
            description="6sense API token (40 characters) with access to the Company "
            "Identification API: 6sense ABM platform > Settings > API Token Management.",
        ),
    )
    default_rate_limit: ClassVar[RateLimit] = RateLimit(
        requests=100, per_seconds=60, concurrency=10
    )
    simulator: ClassVar[str | None] = "handoff_6sense.simulator:SixsenseSimulator"
    rate_limit_wait_seconds: ClassVar[float] = 60.0
    """How long a 429 without Retry-After is waited out: 6sense's one-minute window."""

    def build_auth(self) -> httpx.Auth:
        """`Authorization: Token <api_key>`, read from the secret store on every call."""
        return ApiKeyAuth(self.secret_store, "api_key", header="Authorization", prefix="Token ")

    def classify(self, response: httpx.Response) -> Outcome:
        """Read 6sense's statuses; a 404 is its 'no data found', not a failure."""
        status = response.status_code
        if status == 404:
            if not response.content or response_json(response) is not None:
                return Outcome.ok()
            return Outcome(
                Verdict.FAIL,
                "not_found",
                f"{response.request.url.copy_with(query=None)} answered 404 with a page that "
                "is not 6sense's; check config field 'base_url'",
            )
        if status == 401:
            return Outcome(
                Verdict.REFRESH_AUTH,
                "unauthorized",
                f"{_api_message(response)}; check secret 'api_key' (a 6sense API token)",
            )
        if status == 403:
            return Outcome(
                Verdict.REFRESH_AUTH,
                "forbidden",
                f"{_api_message(response)}; the token in secret 'api_key' must be entitled "
                "to the Company Identification API and not restricted to other domains",
            )
        if status == 402:
            return Outcome(
                Verdict.FAIL,
                "quota_exhausted",
                f"{_api_message(response)}; the 6sense API credits are used up, ask your "
                "6sense CSM to top them up",
            )
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("retry-after"), self.clock.now())
            return Outcome(
                Verdict.RETRY,
                "rate_limited",
                _api_message(response),
                self.rate_limit_wait_seconds if retry_after is None else retry_after,
                rate_limited=True,
            )
        outcome = default_classify(response, self.clock.now())
        if outcome.verdict is Verdict.OK:
            return outcome
        return Outcome(
            outcome.verdict,
            outcome.code,
            _api_message(response),
            outcome.retry_after,
            outcome.rate_limited,
        )

    def _headers(self, visitor: Visitor) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.config.send_cookie_id and visitor.cookie_id:
            headers["EpsilonCookie"] = visitor.cookie_id
        if self.config.send_visitor_id and visitor.id:
            headers["X-6s-CustomID"] = visitor.id
        return headers

    @hookimpl
    async def handoff_enrich_visitor(self, visitor: Visitor) -> Firmographics | None:
        """Q1: the company behind the visitor's IP, or None when 6sense has no match.

        A visitor without a usable IP costs no call (6sense charges per lookup).
        """
        ip = usable_ip(visitor.ip)
        if ip is None:
            log.debug("6sense: visitor %s has no usable IP; not looked up", visitor.id)
            return None
        response = await self.request(
            "GET",
            f"{self.config.base_url}{DETAILS_PATH}",
            params={"ip": ip},
            headers=self._headers(visitor),
        )
        if response.status_code == 404:
            return None
        body: Any = response_json(response)
        return to_firmographics(body, product=self.config.product)
