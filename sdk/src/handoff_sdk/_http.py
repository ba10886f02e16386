"""The HTTP client a connector is given: built here so the hub and the tests build the same one."""

from __future__ import annotations

import os
import ssl

import httpx

from ._connector import Connector, ConnectorConfig
from .errors import ConfigError

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
    production, a simulator's SSL context in tests. With `verify` left True, the
    config's `ca_file` is trusted besides the system's bundle.
    """
    if verify is True and config.ca_file:
        verify = _trusting(connector_class.name, config.ca_file)
    budget = config.effective_rate_limit(connector_class.default_rate_limit)
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(max_connections=budget.concurrency * 2),
        headers={"User-Agent": USER_AGENT},
        verify=verify,
    )


def _trusting(connector: str, ca_file: str) -> ssl.SSLContext:
    """The system's CA bundle plus the certificates in `ca_file` (a connector's `ca_file`).

    Raises ConfigError naming the connector and `ca_file` when the file cannot be
    read as PEM certificates.
    """
    context = ssl.create_default_context()
    path = os.path.expanduser(ca_file)
    try:
        context.load_verify_locations(cafile=path)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            connector, "ca_file", f"{path} cannot be read as PEM certificates ({exc})"
        ) from None
    return context
