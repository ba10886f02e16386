"""The Hub: builds the enabled connectors and is the ONE place capabilities are awaited.

Core code never calls pluggy directly; it asks the Hub. `call` awaits one named
connector's capability (write to Salesforce); `call_all` awaits every enabled
connector that implements a hook (enrich from everyone), isolating failures so
one connector's outage does not hide another's answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pluggy

from handoff.config import HubConfig, validate_connector_config
from handoff.errors import HandoffError, UnknownConnectorError
from handoff.plugins import Discovery, discover, new_plugin_manager
from handoff.secret_store import SecretStore
from handoff_sdk import (
    Clock,
    Connector,
    ConnectorError,
    SecretAccess,
    SystemClock,
    connector_http_client,
)
from handoff_sdk.hookspecs import CAPABILITY_HOOKS, implemented_capabilities

__all__ = ["HookOutcome", "Hub", "TransportFactory"]

TransportFactory = Callable[[str], httpx.AsyncBaseTransport | None]
SecretsFactory = Callable[[str], SecretAccess]


@dataclass(frozen=True)
class HookOutcome:
    """One connector's answer to a hook: its value, or the error it raised."""

    connector: str
    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        """True when the connector answered without raising."""
        return self.error is None


class Hub:
    """The enabled connectors, each with its config, secrets and an HTTP client the hub owns."""

    def __init__(
        self,
        config: HubConfig,
        *,
        secrets: SecretStore | SecretsFactory | None = None,
        clock: Clock | None = None,
        transport: TransportFactory | None = None,
        discovery: Discovery | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        self.discovery = discovery or discover()
        self._pm: pluggy.PluginManager = new_plugin_manager()
        self.connectors: dict[str, Connector] = {}
        self._clients: list[httpx.AsyncClient] = []
        store = secrets if secrets is not None else SecretStore(config.secrets)
        secrets_for: SecretsFactory = (
            store.for_connector if isinstance(store, SecretStore) else store
        )
        for name in config.enabled():
            settings = config.connectors[name]
            conn_config = validate_connector_config(
                name, settings, self.discovery.connectors, config.path
            )
            cls = self.discovery.connectors[name]
            client = connector_http_client(
                cls,
                conn_config,
                transport=transport(name) if transport is not None else None,
                timeout=timeout,
            )
            self._clients.append(client)
            instance = cls(
                config=conn_config, secrets=secrets_for(name), http=client, clock=self.clock
            )
            self.connectors[name] = instance
            self._pm.register(instance, name=name)
        self._pm.check_pending()

    def implementing(self, hook: str) -> list[str]:
        """Enabled connectors that implement `hook`, in config order."""
        self._check_hook(hook)
        return [n for n, c in self.connectors.items() if hook in implemented_capabilities(type(c))]

    @staticmethod
    def _check_hook(hook: str) -> None:
        if hook not in CAPABILITY_HOOKS:
            raise HandoffError(f"no such capability hook: {hook}")

    def _impl(self, hook: str, connector: str) -> Callable[..., Any]:
        for impl in getattr(self._pm.hook, hook).get_hookimpls():
            if impl.plugin_name == connector:
                return impl.function  # type: ignore[no-any-return]
        if connector not in self.connectors:
            raise UnknownConnectorError(connector, list(self.connectors), "enabled: ")
        raise HandoffError(f"connector '{connector}' does not implement {hook}")

    async def call(self, hook: str, connector: str, **kwargs: Any) -> Any:
        """Await one connector's capability; its errors propagate to the caller."""
        self._check_hook(hook)
        return await self._impl(hook, connector)(**kwargs)

    async def call_all(self, hook: str, **kwargs: Any) -> list[HookOutcome]:
        """Await every implementing connector concurrently; failures are returned, not raised."""
        names = self.implementing(hook)

        async def one(name: str) -> HookOutcome:
            try:
                return HookOutcome(name, await self._impl(hook, name)(**kwargs))
            except (ConnectorError, httpx.HTTPError, ValueError) as exc:
                return HookOutcome(name, error=exc)

        return list(await asyncio.gather(*(one(n) for n in names)))

    async def aclose(self) -> None:
        """Close every HTTP client the hub opened."""
        for client in self._clients:
            await client.aclose()

    async def __aenter__(self) -> Hub:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
