"""The HTTP client a connector is given: built here so the hub and the tests build the same one."""

from __future__ import annotations

import ssl

import httpx

from ._connector import Connector, ConnectorConfig

__all__ = ["USER_AGENT", "connector_http_client"]

USER_AGENT = "handoff/0.1 (+https://github.com/handoff-hub/handoff)"
"""What every connector's requests say they are; vendors' logs show it."""


def connector_http_client(
    connector_class: type[Connector],
    config: ConnectorConfig,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = 30.0,
    verify: ssl.SSLContext | bool = True,
) -> httpx.AsyncClient:
    """The `httpx.AsyncClient` the hub gives one connector; the tests' harness uses it too.

    One client per connector, its connection pool sized to the connector's
    concurrency budget (twice it, so a slow close never starves a call), a
    timeout per call and handoff's User-Agent. `transport` replaces the
    network (a cassette); without one, connection limits apply as in
    production. `verify` is the CA trust: True (the system's bundle) in
    production, a simulator's SSL context in tests.
    """
    budget = config.effective_rate_limit(connector_class.default_rate_limit)
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(max_connections=budget.concurrency * 2),
        headers={"User-Agent": USER_AGENT},
        verify=verify,
    )
