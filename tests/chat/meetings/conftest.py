"""Fixtures of the meeting tests: fake Zoom and calendar connectors, and a hub built on them.

`FakeZoom` (connector name `zoom`) creates a NEW meeting id on every call
(no reuse), so a test can see a second Zoom meeting if one is ever created;
`FakeCalendar` (name `google-calendar`) records each invite. Both record
`(idempotency_key, meeting)` in `calls` and raise the exceptions queued in
`failures`, first in first out, before answering.
"""

from __future__ import annotations

from typing import Any, ClassVar

from handoff.config import ConnectorSettings, HubConfig
from handoff.hub import Hub
from handoff.plugins import Discovery
from handoff_sdk import Connector, FakeClock, hookimpl
from handoff_sdk.entities import Meeting
from handoff_sdk.secrets import DictSecrets


class FakeZoom(Connector):
    """Zoom in memory: every call creates a meeting with a new id and join link."""

    name = "zoom"
    title = "Fake Zoom"
    calls: ClassVar[list[tuple[str, Meeting]]] = []
    failures: ClassVar[list[Exception]] = []

    @hookimpl
    async def handoff_book_meeting(self, meeting: Meeting, idempotency_key: str) -> Meeting:
        type(self).calls.append((idempotency_key, meeting))
        if type(self).failures:
            raise type(self).failures.pop(0)
        number = str(85000000000 + len(type(self).calls))
        return meeting.model_copy(
            update={
                "ids": {**meeting.ids, "zoom": number},
                "join_url": f"https://acme.zoom.us/j/{number}?pwd=Zk9",
            }
        )


class FakeCalendar(Connector):
    """A calendar in memory: records each invite, returns it with an event id."""

    name = "google-calendar"
    title = "Fake calendar"
    calls: ClassVar[list[tuple[str, Meeting]]] = []
    failures: ClassVar[list[Exception]] = []

    @hookimpl
    async def handoff_book_meeting(self, meeting: Meeting, idempotency_key: str) -> Meeting:
        type(self).calls.append((idempotency_key, meeting))
        if type(self).failures:
            raise type(self).failures.pop(0)
        event = f"handoff{abs(hash(idempotency_key)) % 10**8}"
        return meeting.model_copy(update={"ids": {**meeting.ids, "google-calendar": event}})


def reset_fakes() -> None:
    """Forget every call and queued failure of the fakes."""
    for fake in (FakeZoom, FakeCalendar):
        fake.calls = []
        fake.failures = []


REPS: list[dict[str, Any]] = [
    {
        "id": "ae-ana",
        "name": "Ana Silva",
        "email": "ana@acme.example",
        "zoom_link": "https://acme.zoom.us/j/1112223334",
    },
    {"id": "ae-ben", "name": "Ben Okafor", "email": "ben@acme.example"},
    {"id": "ai-rep", "name": "AI Rep", "is_ai": True},
]
"""Ana has a personal Zoom link, Ben has none; the AI rep has no calendar."""


def hub_config(
    connectors: dict[str, type[Connector]], meetings: dict[str, Any] | None = None
) -> HubConfig:
    """handoff.toml for the tests: these connectors enabled, REPS, and a [meetings] table."""
    return HubConfig(
        connectors={name: ConnectorSettings() for name in connectors},
        routing={"ai_rep": "ai-rep", "reps": REPS},
        meetings=meetings or {},
    )


def make_hub(clock: FakeClock, config: HubConfig, connectors: dict[str, type[Connector]]) -> Hub:
    """A hub with these connector classes enabled, no secrets, no network."""
    return Hub(
        config,
        secrets=lambda name: DictSecrets(name, {}),
        discovery=Discovery(connectors=connectors, packages=dict.fromkeys(connectors, "test")),
        clock=clock,
    )
