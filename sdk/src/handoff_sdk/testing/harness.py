"""Build a connector the way the hub does, but on a fake clock and a swapped transport."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from handoff_sdk._clock import FakeClock
from handoff_sdk._connector import Connector
from handoff_sdk.auth import TokenAuth
from handoff_sdk.secrets import DictSecrets, secret_env_var

from .cassettes import CassetteTransport

__all__ = ["Harness", "build_harness", "cassette_path"]


def cassette_path(cassette_dir: Path, connector: str, name: str) -> Path:
    """Where a connector's cassette lives: cassettes/<connector>/<name>.yaml."""
    return Path(cassette_dir) / connector / f"{name}.yaml"


@dataclass
class Harness:
    """A connector under test, with what a test wants to look at."""

    connector: Connector
    transport: httpx.AsyncBaseTransport
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
        """Every request that reached the transport, token requests included."""
        inner: Any = self.transport
        while not hasattr(inner, "requests") and hasattr(inner, "_inner"):
            inner = inner._inner
        return list(getattr(inner, "requests", []))

    async def aclose(self) -> None:
        """Close the client and, when recording, save the cassette."""
        await self.client.aclose()
        close = getattr(self.transport, "aclose", None)
        if close is not None:
            await close()


def build_harness(
    connector_class: type[Connector],
    *,
    transport: httpx.AsyncBaseTransport,
    config: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
    clock: FakeClock | None = None,
    secrets_from_env: bool = False,
) -> Harness:
    """Instantiate a connector with a validated config, dict secrets and a fake clock.

    With `secrets_from_env` (recording), each secret's HANDOFF_... environment
    variable overrides the synthetic value, so real credentials never sit in a test.
    """
    values = dict(secrets or {})
    if secrets_from_env:
        for spec in connector_class.secret_specs:
            env = os.environ.get(secret_env_var(connector_class.name, spec.name))
            if env:
                values[spec.name] = env
    store = DictSecrets(connector_class.name, values)
    clock = clock or FakeClock()
    client = httpx.AsyncClient(transport=transport, timeout=30.0)
    connector = connector_class(
        config=connector_class.config_model.model_validate(config or {}),
        secrets=store,
        http=client,
        clock=clock,
    )
    return Harness(connector, transport, clock, store, client)


def replay_transport(
    cassette_dir: Path, connector: str, name: str, **kwargs: Any
) -> CassetteTransport:
    """A replaying transport for one of a connector's cassettes."""
    return CassetteTransport(cassette_path(cassette_dir, connector, name), **kwargs)
