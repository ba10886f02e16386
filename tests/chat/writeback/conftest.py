"""Fixtures of the write-back tests: a migrated SQLite store, a fake clock, a fake CRM.

`FakeCrm` (connector name `fakecrm`) answers `handoff_find_person` from its
`people` (by lower-case email), raises `error` when one is set, and records
every upsert it is sent; `crm_hub` is a Hub with only it enabled.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import ClassVar

import pytest

from handoff.config import ConnectorSettings, HubConfig
from handoff.hub import Hub
from handoff.plugins import Discovery
from handoff_sdk import Connector, FakeClock, hookimpl
from handoff_sdk.entities import Contact, Lead, WriteResult
from handoff_sdk.secrets import DictSecrets


class FakeCrm(Connector):
    """A CRM in memory: finds the people it is given, records the leads it is sent."""

    name = "fakecrm"
    title = "Fake CRM"
    people: ClassVar[dict[str, Lead | Contact]] = {}
    asked: ClassVar[list[str]] = []
    upserted: ClassVar[list[tuple[str, list[Lead]]]] = []
    error: ClassVar[Exception | None] = None

    @hookimpl
    async def handoff_find_person(self, email: str) -> Lead | Contact | None:
        type(self).asked.append(email)
        error = type(self).error
        if error is not None:
            raise error
        return type(self).people.get(email.strip().lower())

    @hookimpl
    async def handoff_upsert_leads(
        self, leads: Sequence[Lead], idempotency_key: str
    ) -> list[WriteResult]:
        type(self).upserted.append((idempotency_key, list(leads)))
        return [WriteResult(index=i, ok=True, id=f"00Q{i}") for i in range(len(leads))]


def _reset() -> None:
    FakeCrm.people = {}
    FakeCrm.asked = []
    FakeCrm.upserted = []
    FakeCrm.error = None


@pytest.fixture
def fake_crm() -> Iterator[type[FakeCrm]]:
    """The FakeCrm class, emptied before and after the test."""
    _reset()
    yield FakeCrm
    _reset()


@pytest.fixture
async def crm_hub(clock: FakeClock, fake_crm: type[FakeCrm]) -> AsyncIterator[Hub]:
    """A Hub with only `fakecrm` enabled: no secrets, no network."""
    async with Hub(
        HubConfig(connectors={"fakecrm": ConnectorSettings()}),
        secrets=lambda name: DictSecrets(name, {}),
        discovery=Discovery(connectors={"fakecrm": fake_crm}, packages={"fakecrm": "test"}),
        clock=clock,
    ) as built:
        yield built
