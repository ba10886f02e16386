"""Run a simulator in its own process: `python -m handoff_sdk.testing.simulator MODULE:ATTR`.

Prints one JSON line once it serves (`{"url": ..., "ca_file": ...}`), then
serves until interrupted. `ATTR` is a Simulator class or a function that
returns a Simulator.
"""

from __future__ import annotations

import argparse
import importlib
import json
import signal
import sys
import threading
from pathlib import Path

from ._app import Simulator
from ._server import SimulatorServer


def load_simulator(target: str, *, latency: float = 0.0) -> Simulator:
    """Build the simulator named `module:attribute` (a class or a factory)."""
    module_name, _, attribute = target.partition(":")
    if not attribute:
        raise SystemExit(f"expected MODULE:ATTRIBUTE, got {target!r}")
    factory = getattr(importlib.import_module(module_name), attribute)
    simulator = factory(latency=latency)
    if not isinstance(simulator, Simulator):
        raise SystemExit(f"{target} did not give a Simulator")
    return simulator


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, serve, and wait for SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(
        prog="python -m handoff_sdk.testing.simulator",
        description="Serve a vendor simulator on a loopback port.",
    )
    parser.add_argument("target", help="MODULE:ATTRIBUTE of a Simulator class or factory")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--tls", action="store_true", help="serve https with a throwaway cert")
    parser.add_argument("--cert-dir", type=Path, help="where to write the certificate")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per answer")
    args = parser.parse_args(argv)
    simulator = load_simulator(args.target, latency=args.latency)
    server = SimulatorServer(
        simulator, host=args.host, port=args.port, tls=args.tls, cert_dir=args.cert_dir
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with server:
        ca_file = str(server.certificate.cert_file) if server.certificate else None
        print(json.dumps({"url": server.url, "ca_file": ca_file}), flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
