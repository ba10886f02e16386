"""/metrics: an ops key on the API's listener, or no key on `--metrics-address`'s own."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from handoff.server import create_app, metrics_app
from handoff.store import Store
from handoff_sdk import FakeClock

HANDOFF = str(Path(sys.executable).parent / "handoff")
START_S = 180
"""Only against a hang: start-up takes seconds, a minute or more on a loaded machine."""


@pytest.fixture
async def app(store: Store, clock: FakeClock) -> AsyncIterator[FastAPI]:
    built = create_app(store, clock=clock)
    yield built
    await built.state.intake.aclose()


async def test_the_metrics_app_serves_the_same_page_without_a_key(app: FastAPI) -> None:
    alone = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=metrics_app(app)), base_url="http://m"
    )
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a")
    async with alone, api:
        assert (await api.get("/metrics")).status_code == 401
        page = await alone.get("/metrics")
        assert page.status_code == 200
        assert "handoff_requests_rejected_total" in page.text
        assert 'reason="unauthorized"' in page.text
        assert (await alone.get("/v1/tickets/queue")).status_code == 404
        assert (await alone.get("/openapi.json")).status_code == 404


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def silent_connection_answer(port: int) -> bytes:
    """What the server says to a connection that sends nothing, up to its close."""
    with socket.create_connection(("127.0.0.1", port), timeout=START_S) as sock:
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    return answer


def test_serve_closes_a_connection_whose_headers_do_not_arrive(tmp_path: Path) -> None:
    """`handoff serve --header-timeout`: a connection that sends nothing is answered 408."""
    database = f"sqlite:///{tmp_path / 'h.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOFF_")}
    subprocess.run([HANDOFF, "db", "upgrade", "--database", database], check=True, env=env)
    port = _free_port()
    served = subprocess.Popen(
        [HANDOFF, "serve", "--database", database, "--port", str(port), "--header-timeout", "0.5"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + START_S
        while True:
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=2).is_success
                break
            except httpx.TransportError:
                assert served.poll() is None, served.stderr.read() if served.stderr else ""
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert silent_connection_answer(port).startswith(b"HTTP/1.1 408 ")
    finally:
        served.send_signal(signal.SIGINT)
        served.wait(timeout=START_S)
    assert served.stderr is not None
    assert "headers did not arrive within 0.5 s" in served.stderr.read()


def test_serve_with_a_metrics_address_answers_there_without_a_key(tmp_path: Path) -> None:
    """`handoff serve --metrics-address`: two listeners; Ctrl-C stops both."""
    database = f"sqlite:///{tmp_path / 'h.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOFF_")}
    subprocess.run([HANDOFF, "db", "upgrade", "--database", database], check=True, env=env)
    api_port, metrics_port = _free_port(), _free_port()
    served = subprocess.Popen(
        [
            HANDOFF,
            "serve",
            "--database",
            database,
            "--port",
            str(api_port),
            "--metrics-address",
            f"127.0.0.1:{metrics_port}",
            "--header-timeout",
            "0.5",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + START_S
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=2)
                break
            except httpx.TransportError:
                assert served.poll() is None, served.stderr.read() if served.stderr else ""
                assert time.monotonic() < deadline, "the metrics listener did not start"
                time.sleep(0.2)
        assert page.status_code == 200
        assert "handoff_jobs" in page.text
        assert httpx.get(f"http://127.0.0.1:{api_port}/metrics", timeout=5).status_code == 401
        for port in (api_port, metrics_port):  # both listeners keep --header-timeout
            assert silent_connection_answer(port).startswith(b"HTTP/1.1 408 "), port
    finally:
        served.send_signal(signal.SIGINT)
        served.wait(timeout=START_S)
    assert served.returncode is not None
