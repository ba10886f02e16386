"""Serving a simulator on a loopback port: in a thread of the test process, or a process.

`SimulatorServer` runs uvicorn on 127.0.0.1 in a background thread with its
own event loop, on an ephemeral port unless told otherwise, optionally over
TLS with a throwaway certificate (`tls=True`; give the client `verify`). The
connector under test talks to it through a real socket, as it would to the
vendor. `SimulatorProcess` starts `python -m handoff_sdk.testing.simulator`
instead, for a simulator that must outlive the test process (a sandbox) or
run beside a hub in another process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import uvicorn
from starlette.types import ASGIApp

from handoff_sdk.testing.tls import TestCertificate, make_test_certificate

__all__ = ["SimulatorProcess", "SimulatorServer"]

_START_TIMEOUT = 10.0
"""Seconds a server thread may take to start serving."""
_PROCESS_START_TIMEOUT = 60.0
"""Seconds a simulator process may take: a new interpreter importing its modules, on a busy box."""


class SimulatorServer:
    """An ASGI app (a `Simulator`) on a loopback port, served from a background thread.

    Use as a context manager, sync or async:

        with SimulatorServer(SalesforceSimulator(), tls=True) as server:
            client = httpx.AsyncClient(verify=server.verify)
            ... server.url ...

    `port=0` (the default) takes a free ephemeral port. With `tls=True` a
    certificate for 127.0.0.1 and localhost is made in `cert_dir` (a
    temporary folder by default); `verify` is then an SSL context trusting
    it, and `certificate.cert_file` the CA bundle for clients that want a
    file (requests, SSL_CERT_FILE).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = False,
        cert_dir: Path | None = None,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.tls = tls
        self._cert_dir = cert_dir
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.certificate: TestCertificate | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The server's root URL, e.g. `https://127.0.0.1:54321` (no trailing slash)."""
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """What an httpx client passes as `verify` to trust this server."""
        return self.certificate.ssl_context() if self.certificate is not None else True

    def start(self) -> SimulatorServer:
        """Bind the port, start serving, and return once requests are answered."""
        if self._thread is not None:
            raise RuntimeError("the simulator server is already running")
        # IPPROTO_TCP said outright: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose
        # proto is IPPROTO_TCP, and the accepted ones inherit this one's. With proto 0 each answer
        # waited out the client's delayed ACK: about 40 ms a request.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        options: dict[str, Any] = {}
        if self.tls:
            folder = self._cert_dir
            if folder is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="handoff-sim-tls-")
                folder = Path(self._tmp.name)
            self.certificate = make_test_certificate(folder, (self.host, "localhost"))
            options = {
                "ssl_certfile": str(self.certificate.cert_file),
                "ssl_keyfile": str(self.certificate.key_file),
            }
        logging.getLogger("uvicorn.error").addFilter(_quiet_drops)
        config = uvicorn.Config(
            self.app,
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,
            **options,
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[sock])),
            name=f"simulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the simulator did not start on {self.url}")
            time.sleep(0.002)
        return self

    def stop(self) -> None:
        """Stop serving (open connections are closed) and wait for the thread."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> SimulatorServer:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)


class SimulatorProcess:
    """A simulator in a process of its own: `python -m handoff_sdk.testing.simulator TARGET`.

    `target` is `module:attribute`, a Simulator class or a function returning
    a Simulator (e.g. `handoff_salesforce.simulator:SalesforceSimulator`).
    The process prints one JSON line when it serves (`{"url": ..., "ca_file":
    ...}`); `url` and `ca_file` are read from it. It serves until stopped.
    """

    def __init__(
        self,
        target: str,
        *,
        port: int = 0,
        tls: bool = False,
        latency: float = 0.0,
        cert_dir: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.target = target
        self._args = [sys.executable, "-m", "handoff_sdk.testing.simulator", target]
        self._args += ["--port", str(port), "--latency", str(latency)]
        if tls:
            self._args.append("--tls")
        if cert_dir is not None:
            self._args += ["--cert-dir", str(cert_dir)]
        self._env = {**os.environ, **(env or {})}
        self._process: subprocess.Popen[str] | None = None
        self.url = ""
        self.ca_file: Path | None = None

    def start(self) -> SimulatorProcess:
        """Start the process and wait for its ready line."""
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            self._args,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self._env,
        )
        self._process = process
        line = _read_line(process.stdout, _PROCESS_START_TIMEOUT)
        if not line:
            self.stop()
            raise RuntimeError(f"simulator {self.target} did not start: {self._stderr()}")
        ready = json.loads(line)
        self.url = ready["url"]
        self.ca_file = Path(ready["ca_file"]) if ready.get("ca_file") else None
        return self

    def _stderr(self) -> str:
        if self._process is None or self._process.stderr is None:
            return ""
        with contextlib.suppress(Exception):
            return self._process.stderr.read()[-2000:]
        return ""

    def stop(self) -> None:
        """Terminate the process and wait for it."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
        self._process = None

    def __enter__(self) -> SimulatorProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _read_line(stream: IO[str] | None, timeout: float) -> str:
    """The first line of `stream`, or "" after `timeout` seconds."""
    if stream is None:
        return ""
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0].strip() if result else ""


def _quiet_drops(record: logging.LogRecord) -> bool:
    """Hide uvicorn's complaint about a connection a simulator dropped on purpose."""
    return "returned without starting response" not in record.getMessage()
