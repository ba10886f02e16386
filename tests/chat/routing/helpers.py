"""Shared by the routing tests: the playbook config and snapshots."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

from handoff.chat.routing.availability import AvailabilitySnapshot
from handoff.chat.routing.config import RoutingConfig, load_routing
from handoff_sdk.entities import RepStatus

PLAYBOOK = Path(__file__).with_name("playbook.toml")
MONDAY_NOON_UTC = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
HUMANS = (
    "seq-sam",
    "bdr-bea",
    "pub-pat",
    "pub-quinn",
    "sdr-amy",
    "sdr-eve",
    "sdr-emil",
    "sdr-fleur",
)


def playbook() -> RoutingConfig:
    return load_routing(tomllib.loads(PLAYBOOK.read_text())["routing"], PLAYBOOK)


def snapshot(**statuses: str) -> AvailabilitySnapshot:
    """Everyone online unless named otherwise (rep id = status)."""
    found = dict.fromkeys(HUMANS, RepStatus.ONLINE)
    found.update({k.replace("_", "-"): RepStatus(v) for k, v in statuses.items()})
    return AvailabilitySnapshot(now=MONDAY_NOON_UTC, statuses=found)
