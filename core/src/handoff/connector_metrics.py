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

import math
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

from handoff_sdk import REQUEST_OUTCOMES, RequestRecord

__all__ = [
    "CALL_OUTCOMES",
    "ConnectorHealth",
    "ConnectorMetrics",
    "HookHealth",
    "Latency",
    "parse_listen_address",
]

CALL_OUTCOMES = ("ok", "error")
"""How a capability call ended: answered, or raised (after the SDK's own retries)."""


@dataclass(frozen=True)
class Latency:
    """A duration histogram read back: how many, their mean, and p50/p95 estimated from buckets.

    The estimates interpolate inside a bucket as Prometheus'
    `histogram_quantile` does; past the last finite bucket they say that
    bound (a lower bound of the truth).
    """

    count: int
    mean: float | None
    p50: float | None
    p95: float | None


@dataclass(frozen=True)
class HookHealth:
    """One hook of one connector: its capability calls by outcome and their latency."""

    hook: str
    ok: int
    errors: int
    latency: Latency

    @property
    def calls(self) -> int:
        """Every call, answered or not."""
        return self.ok + self.errors


@dataclass(frozen=True)
class ConnectorHealth:
    """One connector's series read back: calls per hook, HTTP tries and retries per outcome."""

    connector: str
    hooks: tuple[HookHealth, ...]
    requests: dict[str, int] = field(default_factory=dict)
    """HTTP tries by outcome (ok, throttled, server_error, refused, auth_refused, network_error)."""
    retries: dict[str, int] = field(default_factory=dict)
    """Tries followed by another, by what failed."""
    request_latency: Latency = Latency(0, None, None, None)

    @property
    def calls(self) -> int:
        """Capability calls, every hook and outcome."""
        return sum(h.calls for h in self.hooks)

    @property
    def errors(self) -> int:
        """Capability calls that raised (after the SDK's own retries)."""
        return sum(h.errors for h in self.hooks)

    @property
    def throttled(self) -> int:
        """HTTP tries the vendor answered with a throttle (429, or its own rate-limit signal)."""
        return self.requests.get("throttled", 0)


def _quantile(q: float, buckets: list[tuple[float, float]]) -> float | None:
    """histogram_quantile over cumulative (upper bound, count) buckets sorted by bound."""
    total = buckets[-1][1] if buckets else 0.0
    if not total:
        return None
    rank = q * total
    lower, below = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return lower
            inside = count - below
            return lower + (bound - lower) * ((rank - below) / inside if inside else 0.0)
        lower, below = bound, count
    return lower


def _latency(count: float, total: float, buckets: list[tuple[float, float]]) -> Latency:
    ordered = sorted(buckets)
    return Latency(
        count=int(count),
        mean=total / count if count else None,
        p50=_quantile(0.5, ordered),
        p95=_quantile(0.95, ordered),
    )


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

    def health(self) -> list[ConnectorHealth]:
        """Every connector's series as they stand, by connector name (the console's health page).

        Read from the same counters and histograms /metrics exports, so the
        page and Prometheus never disagree: counts since this process
        started.
        """
        calls: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
        hist: dict[tuple[str, ...], dict[str, Any]] = defaultdict(
            lambda: {"count": 0.0, "sum": 0.0, "buckets": []}
        )
        requests: dict[str, dict[str, int]] = defaultdict(dict)
        retries: dict[str, dict[str, int]] = defaultdict(dict)
        seen: set[str] = set()
        for family in self.registry.collect():
            for sample in family.samples:
                labels = sample.labels
                connector = labels.get("connector", "")
                if sample.name == "handoff_connector_calls_total":
                    calls[connector][labels["hook"]][labels["outcome"]] = sample.value
                elif sample.name == "handoff_connector_requests_total":
                    requests[connector][labels["outcome"]] = int(sample.value)
                elif sample.name == "handoff_connector_retries_total":
                    retries[connector][labels["outcome"]] = int(sample.value)
                elif sample.name.startswith(
                    ("handoff_connector_call_seconds_", "handoff_connector_request_seconds_")
                ):
                    key = (family.name, connector, labels.get("hook", ""))
                    suffix = sample.name.rsplit("_", 1)[1]
                    if suffix == "bucket":
                        hist[key]["buckets"].append((float(labels["le"]), sample.value))
                    elif suffix in ("count", "sum"):
                        hist[key][suffix] = sample.value
                else:
                    continue
                seen.add(connector)

        def latency(*key: str) -> Latency:
            found = hist.get(key)
            if found is None:
                return Latency(0, None, None, None)
            return _latency(found["count"], found["sum"], found["buckets"])

        names = sorted(seen)
        return [
            ConnectorHealth(
                connector=name,
                hooks=tuple(
                    HookHealth(
                        hook=hook,
                        ok=int(outcomes.get("ok", 0)),
                        errors=int(outcomes.get("error", 0)),
                        latency=latency("handoff_connector_call_seconds", name, hook),
                    )
                    for hook, outcomes in sorted(calls[name].items())
                ),
                requests=dict(requests[name]),
                retries=dict(retries[name]),
                request_latency=latency("handoff_connector_request_seconds", name, ""),
            )
            for name in names
        ]

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
