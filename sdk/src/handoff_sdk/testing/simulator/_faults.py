"""Injected faults: answers a test puts in front of the simulated API's own."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

from ._model import Refusal, Reply

__all__ = ["Fault", "FaultQueue"]

FaultAction = Literal["answer", "refuse", "drop", "slow"]


@dataclass
class Fault:
    """One scripted fault, used `remaining` more times on the requests it matches.

    `endpoint` None matches every endpoint that needs credentials (the API
    calls, not the logins); otherwise the endpoint of that name.
    """

    action: FaultAction
    remaining: int
    endpoint: str | None = None
    reply: Reply | None = None
    refusal: Refusal | None = None
    seconds: float = 0.0

    @property
    def label(self) -> str:
        """How the log names it: `answer 503`, `refuse rate_limited`, `drop`, `slow 2s`."""
        if self.action == "answer" and self.reply is not None:
            return f"answer {self.reply.status}"
        if self.action == "refuse" and self.refusal is not None:
            return f"refuse {self.refusal.kind}"
        if self.action == "slow":
            return f"slow {self.seconds:g}s"
        return self.action


class FaultQueue:
    """Faults in the order they were added; the server thread takes them, tests add them."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        """Queue a fault."""
        if fault.remaining < 1:
            raise ValueError("a fault is used at least once (times >= 1)")
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._faults.clear()

    def take(self, endpoint: str, needs_auth: bool) -> Fault | None:
        """The first fault matching this endpoint, used once; None when none matches."""
        with self._lock:
            for fault in self._faults:
                matches = endpoint == fault.endpoint if fault.endpoint else needs_auth
                if matches:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    @property
    def pending(self) -> int:
        """Uses left across every queued fault."""
        with self._lock:
            return sum(f.remaining for f in self._faults)
