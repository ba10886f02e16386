"""Starting the sandbox: every simulator up, the files written, then serve until stopped."""

from __future__ import annotations

import os
import signal
import threading
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from types import FrameType

from handoff.errors import HandoffError
from handoff.plugins import PluginWarning, discover

from .files import KEY_NAME, STATE_NAME, read_state, write_sandbox
from .simulators import RunningSimulator, simulated_connectors, start_simulator

__all__ = ["run_sandbox"]

Echo = Callable[[str], None]
Step = Callable[[str], AbstractContextManager[None]]


def _no_step(_message: str) -> AbstractContextManager[None]:
    return nullcontext()


def _shown(path: Path) -> str:
    """A path as the user would type it from here: relative when below the current folder."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _wait_for_stop(stop: threading.Event) -> None:
    """Block until Ctrl-C or SIGTERM (signals reach only the main thread; elsewhere, `stop`)."""
    if threading.current_thread() is not threading.main_thread():
        stop.wait()
        return

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_sandbox(
    folder: Path,
    *,
    port: int = 0,
    latency: float = 0.0,
    echo: Echo = print,
    stop: threading.Event | None = None,
    warn: Echo = print,
    step: Step = _no_step,
) -> None:
    """Serve every installed connector's simulator and write a handoff.toml pointing at them.

    Blocks until Ctrl-C or SIGTERM (or `stop` is set), then stops every
    simulator. `port` is the first port (the others follow); 0 takes free
    ones. `latency` is added to every HTTP simulator's answers. `warn` says
    what did not stop it (a package that failed to load); `step` shows each
    simulator starting.
    """
    folder = folder.expanduser().resolve()
    previous = read_state(folder)
    if previous is not None and previous.running and previous.pid != os.getpid():
        raise HandoffError(
            f"a sandbox is already running in {_shown(folder)} (process {previous.pid}); "
            "stop it first (Ctrl-C where it runs), or use another --dir"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)
        found = discover()
    connectors, problems = simulated_connectors(found)
    for problem in [*found.problems, *problems]:
        warn(problem)
    if not connectors:
        raise HandoffError("no installed connector names a simulator: nothing to start")
    echo(f"handoff sandbox: starting {len(connectors)} simulators in {_shown(folder)}/")
    running: list[RunningSimulator] = []
    stop = stop or threading.Event()
    try:
        for n, (name, cls) in enumerate(connectors.items()):
            with step(f"starting the {name} simulator ({n + 1} of {len(connectors)})"):
                started = start_simulator(
                    cls, folder, port=port + n if port else 0, latency=latency
                )
            running.append(started)
            echo(f"  {name:<16} {started.url:<28} ready in {started.seconds:.1f} s")
        config = write_sandbox(folder, running, connectors)
        echo(
            f"wrote {_shown(config)} (no secrets in it), the secrets in "
            f"{_shown(folder / 'secrets.cfg')}, the database {_shown(folder / 'handoff.db')}"
        )
        echo("")
        echo("Run the hub against the sandbox, in another terminal:")
        echo(f"  handoff serve --with-worker --config {_shown(config)}")
        echo("Then send sample traffic (page views, chats, a write-back, a booking):")
        echo(f"  handoff sandbox traffic --dir {_shown(folder)}")
        echo(
            f"The hub's API wants a key: an admin one is in {_shown(folder / KEY_NAME)} "
            f'(curl -H "Authorization: Bearer $(cat {_shown(folder / KEY_NAME)})" ...).'
        )
        echo("")
        echo("Simulators running; Ctrl-C stops them.")
        _wait_for_stop(stop)
    finally:
        for item in reversed(running):
            item.stop()
        state = read_state(folder)
        if state is not None and state.pid == os.getpid():
            (folder / STATE_NAME).unlink(missing_ok=True)
        if running:
            echo(f"stopped {len(running)} simulators")
