"""Serving every installed connector's vendor simulator in this process, each on its own port.

An HTTP simulator (`handoff_sdk.testing.Simulator`) is served by
`SimulatorServer` over TLS with a throwaway certificate of its own; a
simulator of another protocol (the email connector's SMTP relay) has
`start(folder, port)` and serves itself. Each runs in a thread of this
process with its own event loop, on the real clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from handoff.errors import HandoffError
from handoff.plugins import Discovery
from handoff_sdk import Connector
from handoff_sdk.testing import Simulator, SimulatorServer

__all__ = ["RunningSimulator", "simulated_connectors", "start_simulator"]


@dataclass
class RunningSimulator:
    """One connector's simulator, serving: where, and how the connector is pointed at it."""

    connector: str
    url: str
    simulator: Any
    config: dict[str, Any]
    secrets: dict[str, str]
    cert_file: Path | None
    """The certificate an HTTP simulator serves (its clients trust it); None for the others."""
    seconds: float
    """How long it took to start."""
    _stop: Callable[[], None] = field(repr=False)

    @property
    def is_http(self) -> bool:
        """Whether this is an ASGI simulator (its log is at /_simulator/log)."""
        return isinstance(self.simulator, Simulator)

    def stop(self) -> None:
        """Stop serving."""
        self._stop()


def simulated_connectors(found: Discovery) -> tuple[dict[str, type[Connector]], list[str]]:
    """The installed connectors that name a simulator, by name; and why others cannot run.

    A connector without a simulator is listed as a problem (it is left out of
    the sandbox), as is one whose simulator fails to import.
    """
    chosen: dict[str, type[Connector]] = {}
    problems: list[str] = []
    for name, cls in sorted(found.connectors.items()):
        if cls.simulator is None:
            problems.append(f"{name}: no simulator (its package names none); left out")
            continue
        try:
            cls.load_simulator()
        except ImportError as exc:
            problems.append(f"{name}: {exc}; left out")
            continue
        chosen[name] = cls
    return chosen, problems


def start_simulator(
    connector_class: type[Connector], folder: Path, *, port: int = 0, latency: float = 0.0
) -> RunningSimulator:
    """Build the connector's simulator and serve it on 127.0.0.1 (`port`, or a free one).

    Its certificate (and anything it keeps on disk) goes under
    `folder/<connector>/`. The connector's config gets `ca_file` pointing at
    that certificate, so each table in handoff.toml trusts its own simulator.
    """
    name = connector_class.name
    factory = connector_class.load_simulator()
    if factory is None:
        raise HandoffError(f"{name} names no simulator")
    started = time.monotonic()
    home = folder / name
    simulator: Any = factory(latency=latency)
    try:
        if isinstance(simulator, Simulator):
            server = SimulatorServer(simulator, tls=True, cert_dir=home / "tls", port=port).start()
            url, stop = server.url, server.stop
            cert_file = server.certificate.cert_file if server.certificate else None
            config = {**simulator.connector_config(url), "ca_file": str(cert_file)}
        else:
            url = simulator.start(home, port)
            stop = simulator.stop
            cert_file = None
            config = simulator.connector_config(url)
    except OSError as exc:
        raise HandoffError(
            f"the {name} simulator could not listen on 127.0.0.1:{port or 'a free port'} "
            f"({exc.strerror or exc})"
        ) from None
    return RunningSimulator(
        connector=name,
        url=url,
        simulator=simulator,
        config=config,
        secrets=dict(simulator.connector_secrets()),
        cert_file=cert_file,
        seconds=time.monotonic() - started,
        _stop=stop,
    )
