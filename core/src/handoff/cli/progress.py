"""Progress on stderr for work that takes more than a second: a spinner, or a bar over items.

Built on rich. On a terminal the spinner turns while the step runs (imports
and blocking calls included: rich redraws from its own thread) and vanishes
when it ends; elsewhere (a pipe, a log, CI) the step's line is printed once,
so a log still says what was going on. Never on stdout, so `--json` output
and anything piped stays clean.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["bar", "step"]


def _console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


@contextmanager
def step(message: str) -> Iterator[None]:
    """Show `message` with a spinner on stderr while the block runs; a plain line off a terminal."""
    console = _console()
    if not console.is_terminal:
        console.print(f"{message} ...", markup=False)
        yield
        return
    with console.status(message.replace("[", r"\["), spinner="dots"):
        yield


@contextmanager
def bar(message: str, total: int) -> Iterator[Callable[[int], None]]:
    """A bar over `total` items on stderr; yields `advance(n)`. Off a terminal: one line."""
    console = _console()
    if not console.is_terminal:
        console.print(f"{message}: {total} ...", markup=False)
        yield lambda _n: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(message.replace("[", r"\["), total=total)
        yield lambda n: progress.advance(task, n)
