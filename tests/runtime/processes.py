"""Real `handoff serve` and `handoff worker` processes for the tests that need several.

Each process is the installed command, started with the test's database URL and
handoff.toml, its output kept in a file (a pipe nobody reads could fill and
block it). Every wait is on a condition with a generous deadline, never a
timed assertion: a loaded machine only makes these tests slower.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

HANDOFF = str(Path(sys.executable).with_name("handoff"))
DEADLINE_S = 180.0
"""How long any one condition may take to come true on a loaded machine before the test fails."""


def free_port() -> int:
    """A TCP port nobody listens on now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(
    condition: Callable[[], Any],
    what: str,
    *,
    deadline_s: float = DEADLINE_S,
    every: float = 0.1,
    detail: Callable[[], str] = str,
) -> Any:
    """Poll until `condition()` is truthy, and return it; fail naming `what` after the deadline
    (with `detail()`, e.g. the processes' output)."""
    until = time.monotonic() + deadline_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > until:
            pytest.fail(f"not within {deadline_s:g} s: {what}\n{detail()}")
        time.sleep(every)


@dataclass
class Process:
    """One running handoff command, its output going to `log`."""

    name: str
    args: list[str]
    log: Path
    popen: subprocess.Popen[bytes]
    port: int | None = None

    @property
    def base_url(self) -> str:
        """The server's address (serve only)."""
        assert self.port is not None
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        """What the process wrote so far (stdout and stderr)."""
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        """True while the process runs."""
        return self.popen.poll() is None

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM (jobs in hand finish first), SIGKILL if it outlives `timeout`; the exit code."""
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode


@dataclass
class Fleet:
    """The processes a test started; all stopped at the end, whatever happens."""

    folder: Path
    env: dict[str, str]
    processes: list[Process] = field(default_factory=list)

    def start(self, name: str, *args: str) -> Process:
        """Start `handoff ARGS...` with the fleet's environment."""
        log = self.folder / f"{name}.log"
        handle = log.open("wb")
        popen = subprocess.Popen(
            [HANDOFF, *args],
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=self.folder,
        )
        handle.close()
        process = Process(name, list(args), log, popen)
        self.processes.append(process)
        return process

    def serve(self, name: str, *args: str, wait: bool = True) -> Process:
        """A `handoff serve` on a free port; returned once /health/live answers, unless not `wait`
        (start several, then `wait_live` for them all: they start in parallel)."""
        port = free_port()
        process = self.start(name, "serve", "--port", str(port), *args)
        process.port = port
        if wait:
            self.wait_live(process)
        return process

    def wait_live(self, *servers: Process) -> None:
        """Until each server answers /health/live; fails with its output if one exits."""
        for process in servers:

            def live(process: Process = process) -> bool:
                if not process.alive():
                    pytest.fail(
                        f"{process.name} exited ({process.popen.returncode}):\n{process.output()}"
                    )
                try:
                    return (
                        httpx.get(f"{process.base_url}/health/live", timeout=5).status_code == 200
                    )
                except httpx.TransportError:
                    return False

            wait_for(live, f"{process.name} answers /health/live")

    def worker(self, name: str, *args: str) -> Process:
        """A `handoff worker`."""
        return self.start(name, "worker", *args)

    def stop_all(self) -> None:
        """Stop every process still running (SIGTERM, then SIGKILL)."""
        for process in self.processes:
            process.stop()

    def outputs(self) -> str:
        """Every process's output, each under its name: for a failing assertion's message."""
        return "\n".join(f"--- {p.name} ---\n{p.output()[-4000:]}" for p in self.processes)


@contextmanager
def fleet(folder: Path, env: Mapping[str, str]) -> Iterator[Fleet]:
    """Processes started in `folder` with `env` added to this environment; stopped after."""
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("HANDOFF_") or key == "HANDOFF_TEST_POSTGRES_URL"
    }
    running = Fleet(folder, {**base, "PYTHONUNBUFFERED": "1", **env})
    try:
        yield running
    finally:
        running.stop_all()


def handoff(env: Mapping[str, str], *args: str, cwd: Path | None = None) -> str:
    """Run a short handoff command to its end; its output, or the test fails with it."""
    done = subprocess.run(
        [HANDOFF, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
        cwd=cwd,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"handoff {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return done.stdout


def toml_value(value: object) -> str:
    """A TOML value for the small configs these tests write (JSON's strings and lists are TOML)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f'"{k}" = {toml_value(v)}' for k, v in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(value)


def round_robin_config(reps: list[str], **connectors: dict[str, Any]) -> str:
    """handoff.toml text: one team of `reps`, one rule sending every chat to it by round robin."""
    lines = ["[routing]"]
    for rep in reps:
        lines += ["[[routing.reps]]", f'id = "{rep}"', f'name = "{rep.title()}"']
    lines += ["[[routing.teams]]", 'name = "everyone"', f"members = {toml_value(reps)}"]
    lines += ["[[routing.rules]]", 'id = "all"', 'target = "team:everyone"']
    for name, table in connectors.items():
        lines.append(f"[connectors.{name}]")
        lines += [f"{key} = {toml_value(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"
