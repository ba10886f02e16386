"""The connectors' Prometheus series: every capability call and every HTTP try, by outcome.

The Hub owns one `ConnectorMetrics`. Its capability calls (`Hub.call`, so
enrichment, webhooks and the worker's hook jobs alike) are counted by hook
and outcome with their latency; each connector's request path reports every
HTTP try to it as the SDK's `RequestSink` (`handoff_sdk.observe`), so
throttles, retries and network errors show per connector even when the call
that made them succeeded in the end. `handoff serve` exposes the series at
/metrics with its own.
"""

from __future__ import annotations

from collections import deque
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

from handoff_sdk import REQUEST_OUTCOMES, RequestRecord

__all__ = ["CALL_OUTCOMES", "ConnectorMetrics", "parse_listen_address"]

CALL_OUTCOMES = ("ok", "error")
"""How a capability call ended: answered, or raised (after the SDK's own retries)."""


class ConnectorMetrics:
    """The series of one hub's connectors, in a registry of their own (apps in tests differ)."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[tuple[float, str]]] = {}
        self.registry = CollectorRegistry()
        self.calls = Counter(
            "handoff_connector_calls",
            "Capability calls (hooks) of each connector, by hook and outcome (ok, error).",
            ["connector", "hook", "outcome"],
            registry=self.registry,
        )
        self.call_seconds = Histogram(
            "handoff_connector_call_seconds",
            "Duration of a capability call, its retries included.",
            ["connector", "hook"],
            registry=self.registry,
        )
        self.requests = Counter(
            "handoff_connector_requests",
            "HTTP tries of each connector, by outcome: ok, throttled, server_error, refused, "
            "auth_refused, network_error.",
            ["connector", "outcome"],
            registry=self.registry,
        )
        self.retries = Counter(
            "handoff_connector_retries",
            "HTTP tries followed by another (a backoff or a token refresh), by what failed.",
            ["connector", "outcome"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "handoff_connector_request_seconds",
            "Duration of one HTTP try of a connector.",
            ["connector"],
            registry=self.registry,
        )

    def prepare(self, connector: str, hooks: list[str]) -> None:
        """Create a connector's series at 0, so a rate over them exists before the first call."""
        for hook in hooks:
            for outcome in CALL_OUTCOMES:
                self.calls.labels(connector, hook, outcome)
        for request_outcome in REQUEST_OUTCOMES:
            self.requests.labels(connector, request_outcome)

    def call_done(
        self,
        connector: str,
        hook: str,
        *,
        ok: bool,
        seconds: float,
        at: float = 0.0,
        error: str = "",
    ) -> None:
        """Count one capability call and its duration; a failure is kept (at `at`) for alerts."""
        self.calls.labels(connector, hook, "ok" if ok else "error").inc()
        self.call_seconds.labels(connector, hook).observe(seconds)
        if not ok:
            kept = self._failures.setdefault(connector, deque(maxlen=1000))
            kept.append((at, f"{hook}: {error}" if error else hook))

    def failing(self, *, now: float, window: float, threshold: int) -> dict[str, list[str]]:
        """Connectors with at least `threshold` failed calls in the `window` seconds before `now`.

        Each with its recent failures' descriptions, newest last. `now` is
        the hub clock's monotonic reading (what `at` was given as).
        """
        found: dict[str, list[str]] = {}
        for connector, kept in self._failures.items():
            while kept and kept[0][0] < now - window:
                kept.popleft()
            if len(kept) >= threshold:
                found[connector] = [text for _, text in kept]
        return found

    def record(self, request: RequestRecord) -> None:
        """The SDK's RequestSink: count one HTTP try, its retry, its duration."""
        self.requests.labels(request.connector, request.outcome).inc()
        if request.retried:
            self.retries.labels(request.connector, request.outcome).inc()
        self.request_seconds.labels(request.connector).observe(request.seconds)

    def serve(self, host: str, port: int) -> WSGIServer:
        """Serve these series at http://HOST:PORT/metrics in a thread (`worker --metrics`).

        A worker process has no API of its own; this listener is how its
        connectors' calls reach Prometheus. Stop it with `.shutdown()`.
        """
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        return server


def parse_listen_address(text: str) -> tuple[str, int]:
    """'HOST:PORT' (or ':PORT', meaning 127.0.0.1) as (host, port); ValueError saying why not."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"'{text}' is not HOST:PORT (e.g. 127.0.0.1:9464)")
    return host.strip("[]") or "127.0.0.1", int(port)
