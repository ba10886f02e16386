"""What a simulator is made of: accounts, limits, refusals, answers and the log it keeps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from starlette.datastructures import Headers

    from ._endpoint import Endpoint

__all__ = [
    "THROTTLES",
    "Call",
    "Limits",
    "RateWindow",
    "Refusal",
    "RefusalKind",
    "Reply",
    "Served",
    "SimAccount",
    "WebhookDelivery",
]

RefusalKind = Literal[
    "bad_request",
    "unauthorized",
    "token_expired",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "unsupported_media_type",
    "batch_too_large",
    "rate_limited",
    "too_many_concurrent",
    "conflict",
    "server_error",
]
"""Why a simulated API says no. The simulator's `refuse` turns each into the vendor's answer."""

THROTTLES: frozenset[RefusalKind] = frozenset({"rate_limited", "too_many_concurrent"})
"""The refusals that mean "you asked too fast": what a well-behaved connector never provokes."""

DEFAULT_STATUS: Mapping[RefusalKind, int] = {
    "bad_request": 400,
    "unauthorized": 401,
    "token_expired": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "unsupported_media_type": 415,
    "batch_too_large": 413,
    "rate_limited": 429,
    "too_many_concurrent": 429,
    "conflict": 409,
    "server_error": 500,
}
"""The HTTP status of each refusal when the vendor's `refuse` does not say otherwise."""


class Refusal(Exception):
    """The simulated API refuses a request; raise it from a handler, or the framework does.

    `kind` says why in the framework's words; the simulator's `refuse` method
    renders it in the vendor's own shape (Salesforce's error list, Marketo's
    error code inside HTTP 200, Zendesk's 429 with Retry-After). `code` is the
    vendor's code when the handler knows it (e.g. "INVALID_EMAIL_ADDRESS"),
    `field` the offending field, `limit` the name of the rate window that was
    exceeded, `retry_after` the seconds until it frees up. `endpoint` names
    the endpoint refused (filled in by the framework once it is routed), so
    `refuse` can answer as that endpoint would, even for an injected fault.
    """

    def __init__(
        self,
        kind: RefusalKind,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        limit: str | None = None,
        retry_after: float | None = None,
        status: int | None = None,
        endpoint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind: RefusalKind = kind
        self.message = message
        self.code = code
        self.field = field
        self.limit = limit
        self.retry_after = retry_after
        self.status = status if status is not None else DEFAULT_STATUS[kind]
        self.endpoint = endpoint

    def again(self) -> Refusal:
        """A fresh copy, so a fault used several times raises a new exception each time."""
        return Refusal(
            self.kind,
            self.message,
            code=self.code,
            field=self.field,
            limit=self.limit,
            retry_after=self.retry_after,
            status=self.status,
            endpoint=self.endpoint,
        )


@dataclass
class Reply:
    """An answer from a handler or `refuse`: a JSON-able body (or text), a status, headers.

    A handler may also return a plain dict or list, which is answered as JSON
    with status 200.
    """

    body: Any = None
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = None


@dataclass(frozen=True)
class RateWindow:
    """At most `requests` calls per account in any `per_seconds` (a sliding window).

    `name` tells the vendor's `refuse` which limit was hit (Marketo answers
    606 for its 20-second window but 607 for its daily quota).
    """

    requests: int
    per_seconds: float
    name: str = "rate"


@dataclass(frozen=True)
class Limits:
    """What one account may do: rate windows, and requests in flight at once (None: no cap)."""

    windows: tuple[RateWindow, ...] = ()
    concurrency: int | None = None


@dataclass
class SimAccount:
    """One simulated customer of the vendor: how to log in, and the records it holds.

    `settings` are the non-secret identifiers a connector's config names
    (client id, agent email); `secrets` what its secret store holds (client
    secret, refresh token, API token). A rotated refresh token replaces the
    one in `secrets`, as the vendor's database would. `data` holds the
    records, one list or dict per collection, in the vendor's shapes.
    """

    id: str
    settings: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Call:
    """One request as a handler sees it, validated against its endpoint's declaration."""

    endpoint: Endpoint
    method: str
    path: str
    base_url: str
    """Where the simulator is served, e.g. `https://127.0.0.1:54321` (for URLs in answers)."""
    path_params: dict[str, Any]
    headers: Headers
    query: dict[str, Any]
    body: Any
    raw_body: bytes
    account: SimAccount | None = None

    @property
    def data(self) -> dict[str, Any]:
        """The records of the caller's account (the endpoint must require auth)."""
        if self.account is None:
            raise RuntimeError(f"{self.endpoint.name} has no account: declare it with auth=True")
        return self.account.data


@dataclass
class Served:
    """One request the simulator answered, as its log keeps it.

    Times are on the simulator's real monotonic clock. `in_flight` is how
    many requests of the same account were being answered when this one
    arrived, itself included. `refusal` is the framework's reason when the
    answer was a refusal (a handler's or a limit's), `fault` the injected
    fault that answered instead, if any. `body` is the request's body as its
    endpoint read it (JSON decoded, a form as a dict), once it was read.
    """

    seq: int
    method: str
    path: str
    query: str
    endpoint: str | None
    account: str | None
    headers: dict[str, str]
    started: float
    finished: float = 0.0
    status: int = 0
    refusal: RefusalKind | None = None
    fault: str | None = None
    in_flight: int = 0
    body: Any = None

    @property
    def throttled(self) -> bool:
        """True when the answer said "too fast" (a rate window or the concurrency cap)."""
        return self.refusal in THROTTLES


@dataclass(frozen=True)
class WebhookDelivery:
    """One webhook a vendor would send the hub: its body and headers (auth included).

    `Simulator.webhook_deliveries` gives them; `handoff sandbox traffic` posts
    them to the hub's `/webhooks/<connector>` as the vendor would.
    """

    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    description: str = ""
    """What it carries, for a person reading a report ("3 survey responses")."""
