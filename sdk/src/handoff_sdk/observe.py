"""What a connector's request path tells whoever watches it: one record per HTTP try.

`Connector.request` sends every API call of every connector, so it is the one
place that sees each try, its outcome (answered, throttled, refused, a network
error), how long it took and whether another try follows. It hands a
`RequestRecord` to the `RequestSink` the connector was built with: the hub
gives each connector one that feeds its Prometheus metrics, the tests one that
keeps the records. A connector built without a sink reports to nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

__all__ = ["REQUEST_OUTCOMES", "RequestOutcome", "RequestRecord", "RequestSink"]

RequestOutcome = Literal[
    "ok", "throttled", "server_error", "refused", "auth_refused", "network_error"
]
"""How one HTTP try ended:

- `ok`: a usable answer;
- `throttled`: the API said too many requests (429, or its own way of saying it);
- `server_error`: a retryable failure of the API (5xx, a timeout it reported);
- `refused`: a refusal retrying cannot fix (400, 404, 402 out of credits, ...);
- `auth_refused`: credentials refused (401/403 and the like);
- `network_error`: no answer at all (connection refused or reset, DNS, timeout).
"""

REQUEST_OUTCOMES: tuple[RequestOutcome, ...] = (
    "ok",
    "throttled",
    "server_error",
    "refused",
    "auth_refused",
    "network_error",
)
"""Every `RequestOutcome`, in the order they are documented."""


@dataclass(frozen=True)
class RequestRecord:
    """One HTTP try of one connector, as its request path saw it."""

    connector: str
    """The connector's name."""
    method: str
    """The HTTP method."""
    outcome: RequestOutcome
    """How the try ended."""
    status: int | None
    """The HTTP status, None when no answer came (a network error)."""
    seconds: float
    """From sending to the whole answer read, on the connector's clock."""
    retried: bool
    """Whether the request path tries again after this (a backoff, a token refresh)."""


class RequestSink(Protocol):
    """Receives a record of every HTTP try a connector makes (the hub's metrics)."""

    def record(self, request: RequestRecord) -> None:
        """Take one record; called in the request path, so it must be quick and never raise."""
