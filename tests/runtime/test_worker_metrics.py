"""`handoff worker --metrics HOST:PORT`: a worker process's connector metrics, over a real socket."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from handoff.cli import cli
from handoff.store import Store, upgrade


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_worker_serves_its_connectors_metrics(isolated_home: Path) -> None:
    url = f"sqlite:///{isolated_home / 'hub.db'}"
    upgrade(Store(url))
    (isolated_home / "handoff.toml").write_text(
        '[connectors.6sense]\nbase_url = "https://api.6sense.example.test"\n'
    )
    port = free_port()
    env = {
        **os.environ,
        "HANDOFF_DATABASE_URL": url,
        "HANDOFF_CONFIG": str(isolated_home / "handoff.toml"),
        "HANDOFF_6SENSE_API_KEY": "synthetic-key",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "handoff", "worker", "--metrics", f"127.0.0.1:{port}"],
        env=env,
        cwd=isolated_home,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        page = None
        for _ in range(300):  # until the process listens (or has died)
            assert worker.poll() is None, worker.communicate()[1]
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1).text
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert page is not None, "the worker never listened"
        assert (
            'handoff_connector_calls_total{connector="6sense",hook="handoff_enrich_visitor",'
            'outcome="error"} 0.0'
        ) in page
        assert (
            'handoff_connector_requests_total{connector="6sense",outcome="throttled"} 0.0' in page
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        _out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert f"metrics at http://127.0.0.1:{port}/metrics" in err


@pytest.mark.parametrize("address", ["nowhere", "127.0.0.1:99999", "host:"])
def test_a_bad_metrics_address_is_refused_naming_the_option(
    isolated_home: Path, address: str
) -> None:
    result = CliRunner().invoke(cli, ["worker", "--metrics", address, "--until-idle"])
    assert result.exit_code != 0
    assert f"--metrics: '{address}' is not HOST:PORT" in str(result.exception)
