"""`simulated`: a built-in connector talking to its vendor simulator over a real socket.

The simulator is served by uvicorn on 127.0.0.1 (an ephemeral port, TLS with a
throwaway certificate) on the test's `fake_clock`, so its rate windows and token
lifetimes move with the connector's waits and no test sleeps. The connector is
built as the hub builds it (`connector_http_client`), pointed at the simulator
by the simulator's own `connector_config`, with its `connector_secrets` unless
the test gives others. `Simulated.harness(**config)` builds a further
connector (a `Harness`) on the same simulator, e.g. with another budget: the
one way every connector's simulator tests get a simulator.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest_asyncio

from handoff_sdk import Connector, DictSecrets, FakeClock, connector_http_client
from handoff_sdk.testing import (
    Harness,
    Limits,
    RateWindow,
    Simulator,
    SimulatorServer,
    build_harness,
)


@dataclass
class Simulated:
    """A connector, the simulator it talks to, and what a test reads."""

    connector: Any
    simulator: Any
    server: SimulatorServer
    secrets: DictSecrets
    clock: FakeClock

    def harness(self, **config: Any) -> Harness:
        """Another connector of the same class on this simulator; `config` over its own."""
        return build_harness(
            type(self.connector),
            transport=None,
            config={**self.simulator.connector_config(self.server.url), **config},
            secrets=self.simulator.connector_secrets(),
            clock=self.clock,
            verify=self.server.verify,
        )

    def api_calls(self, endpoint: str | None = None) -> int:
        """Requests the simulator answered (of one endpoint when given)."""
        return len(self.simulator.calls(endpoint))


SimulatedFactory = Callable[..., Awaitable[Simulated]]


@pytest_asyncio.fixture
async def simulated(fake_clock: FakeClock) -> AsyncIterator[SimulatedFactory]:
    """Factory: `sim = await simulated(ZoomConnector, config={...}, secrets=None, account=None)`.

    `config` is laid over the simulator's `connector_config` (the test's keys win);
    `secrets` replaces the simulator's `connector_secrets(account)` when given;
    `simulator` is an instance to serve instead of a fresh one of the
    connector's own class; `window` gives a fresh one that single rate window
    instead of its vendor's limits. Everything is closed after the test.
    """
    opened: list[tuple[SimulatorServer, Any]] = []

    async def make(
        connector_class: type[Connector],
        *,
        config: dict[str, Any] | None = None,
        secrets: dict[str, str] | None = None,
        account: str | None = None,
        simulator: Simulator | None = None,
        window: RateWindow | None = None,
    ) -> Simulated:
        if simulator is None:
            simulator_class = connector_class.load_simulator()
            assert simulator_class is not None, f"{connector_class.__name__} has no simulator"
            limits = Limits(windows=(window,)) if window is not None else None
            simulator = simulator_class(clock=fake_clock, limits=limits)
        server = SimulatorServer(simulator, tls=True)
        await server.__aenter__()
        settings = {**simulator.connector_config(server.url), **(config or {})}
        validated = connector_class.config_model.model_validate(settings)
        chosen = simulator.accounts[account] if account else None
        store = DictSecrets(
            connector_class.name,
            secrets if secrets is not None else simulator.connector_secrets(chosen),
        )
        client = connector_http_client(connector_class, validated, verify=server.verify)
        connector = connector_class(config=validated, secrets=store, http=client, clock=fake_clock)
        opened.append((server, client))
        return Simulated(connector, simulator, server, store, fake_clock)

    yield make
    for server, client in opened:
        await client.aclose()
        await server.__aexit__(None, None, None)
