"""Build a connector the way the hub does, on a fake clock, over a cassette or a real socket."""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from handoff_sdk import (
    Connector,
    DictSecrets,
    FakeClock,
    TokenAuth,
    connector_http_client,
    secret_env_var,
)

from .cassettes import CassetteTransport

__all__ = ["Harness", "build_harness", "cassette_path"]


def cassette_path(cassette_dir: Path, connector: str, name: str) -> Path:
    """Where a connector's cassette lives: cassettes/<connector>/<name>.yaml."""
    return Path(cassette_dir) / connector / f"{name}.yaml"


@dataclass
class Harness:
    """A connector under test, with what a test wants to look at."""

    connector: Connector
    transport: httpx.AsyncBaseTransport | None
    """What replaces the network (a cassette); None over a real socket."""
    clock: FakeClock
    secrets: DictSecrets
    client: httpx.AsyncClient
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def api_calls(self) -> int:
        """API calls the connector made (token requests not included)."""
        return self.connector.calls

    @property
    def token_requests(self) -> int:
        """Tokens fetched so far (0 for connectors without a token flow)."""
        auth = self.connector.auth
        return auth.token_requests if isinstance(auth, TokenAuth) else 0

    def sent(self) -> list[httpx.Request]:
        """Every request that reached the transport, token requests included ([] over a socket)."""
        inner: Any = self.transport
        while not hasattr(inner, "requests") and hasattr(inner, "_inner"):
            inner = inner._inner
        return list(getattr(inner, "requests", []))

    async def aclose(self, *, keep: bool = True) -> None:
        """Close the client and, when recording, save the cassette (unless `keep` is False)."""
        await self.client.aclose()
        if isinstance(self.transport, CassetteTransport):
            await self.transport.aclose(keep=keep)
            return
        close = getattr(self.transport, "aclose", None)
        if close is not None:
            await close()


def build_harness(
    connector_class: type[Connector],
    *,
    transport: httpx.AsyncBaseTransport | None,
    config: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
    clock: FakeClock | None = None,
    secrets_from_env: bool = False,
    verify: ssl.SSLContext | bool = True,
) -> Harness:
    """Instantiate a connector with a validated config, dict secrets and a fake clock.

    The HTTP client is the hub's (`connector_http_client`): over `transport`
    (a cassette), or over the network when it is None (a simulator; `verify`
    trusts its certificate). With `secrets_from_env` (recording), each
    secret's HANDOFF_... environment variable overrides the synthetic value,
    so real credentials never sit in a test.
    """
    values = dict(secrets or {})
    if secrets_from_env:
        for spec in connector_class.secret_specs:
            env = os.environ.get(secret_env_var(connector_class.name, spec.name))
            if env:
                values[spec.name] = env
    store = DictSecrets(connector_class.name, values)
    clock = clock or FakeClock()
    validated = connector_class.config_model.model_validate(config or {})
    client = connector_http_client(connector_class, validated, transport=transport, verify=verify)
    connector = connector_class(config=validated, secrets=store, http=client, clock=clock)
    return Harness(connector, transport, clock, store, client)


def replay_transport(
    cassette_dir: Path, connector: str, name: str, **kwargs: Any
) -> CassetteTransport:
    """A replaying transport for one of a connector's cassettes."""
    return CassetteTransport(cassette_path(cassette_dir, connector, name), **kwargs)
