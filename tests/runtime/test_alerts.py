"""Alerts: dead jobs and a connector failing repeatedly notify the configured targets, once
per window, as jobs through the connectors' hooks; time is a FakeClock the test advances."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from handoff.config import ConnectorSettings, HubConfig, load_config
from handoff.errors import ConfigFileError, HandoffError
from handoff.flow import Services
from handoff.flows import FlowSet, install_periodic
from handoff.hub import Hub
from handoff.runtime import JobSpec, Worker, enqueue
from handoff.store import Decision, Job, Store
from handoff_sdk import Connector, FakeClock, hookimpl
from handoff_sdk.entities import Firmographics, Notification, Visitor

from .conftest import RecordingConnector, make_hub


class BrokenEnricher(Connector):
    """Its API is never there."""

    name = "broken"

    @hookimpl
    async def handoff_enrich_visitor(self, visitor: Visitor) -> Firmographics | None:
        raise httpx.ConnectError("connection refused")


ALERTS = {
    "window_minutes": 60,
    "connector_failures": 3,
    "notify": [
        {"connector": "recorder", "channel": "#handoff-ops"},
        {"connector": "recorder", "recipients": ["ops@example.com"]},
    ],
}


@dataclass
class Ops:
    store: Store
    worker: Worker
    hub: Hub
    clock: FakeClock
    recorder: type[RecordingConnector]

    async def tick(self, seconds: float = 60) -> None:
        """Time passes; the worker runs until nothing is due."""
        self.clock.advance(seconds)
        while await self.worker.run_once():
            pass

    def sent(self) -> list[Notification]:
        return [call[2] for call in self.recorder.calls if call[0] == "notify"]


@pytest.fixture
async def ops(
    store: Store, clock: FakeClock, recorder: type[RecordingConnector]
) -> AsyncIterator[Ops]:
    classes = {"recorder": recorder, "broken": BrokenEnricher}
    config = HubConfig.model_validate(
        {"connectors": {name: ConnectorSettings() for name in classes}, "alerts": ALERTS}
    )
    async with make_hub(clock, classes) as hub:
        flows = FlowSet(Services(config, store, clock, lambda: hub))
        install_periodic(store, flows.periodic(), now=clock.now())
        worker = Worker(store, hub=hub, clock=clock, handlers=flows.job_runners())
        yield Ops(store, worker, hub, clock, recorder)


async def dead_job(ops: Ops, key: str) -> None:
    """A job nobody can run: the worker makes it dead at once."""
    with ops.store.transaction() as session:
        enqueue(
            session, [JobSpec(kind="nobody-runs-this", idempotency_key=key)], now=ops.clock.now()
        )
    await ops.tick(0)


async def test_dead_jobs_are_alerted_once_per_window_to_every_target(ops: Ops) -> None:
    await dead_job(ops, "first")
    await ops.tick()
    [slack, email] = ops.sent()
    assert slack.channel == "#handoff-ops"
    assert email.recipients == ["ops@example.com"]
    assert slack.text.startswith("1 job(s) went dead:\njob 1 (nobody-runs-this) after 1 attempt(s)")
    assert "no handler for kind 'nobody-runs-this'" in slack.text
    assert email.subject == "handoff alert: dead-jobs"

    await dead_job(ops, "second")  # within the window: told later, not now
    await ops.tick(600)
    assert len(ops.sent()) == 2
    await ops.tick(3600)  # the window has passed: one alert about what died meanwhile
    assert len(ops.sent()) == 4
    later = ops.sent()[2].text
    assert later.startswith("1 job(s) went dead since ")
    with ops.store.sessions() as session:
        second = session.scalars(select(Job.id).where(Job.idempotency_key == "second")).one()
    assert f"job {second} (nobody-runs-this)" in later
    assert "job 1 " not in later, "the first was told already"
    await ops.tick(7200)
    assert len(ops.sent()) == 4, "nothing new died: nothing to say"
    with ops.store.sessions() as session:
        alerts = session.scalars(select(Decision).where(Decision.kind == "alert")).all()
    assert [a.subject_id for a in alerts] == ["dead-jobs", "dead-jobs"]


async def test_a_connector_failing_repeatedly_is_alerted_once_per_window(ops: Ops) -> None:
    visitor = Visitor(id="v-1", ip="203.0.113.9")
    for _ in range(3):
        [outcome] = await ops.hub.enrich_visitor_all(visitor)
        assert not outcome.ok
    await ops.tick()
    [slack, _email] = ops.sent()
    assert slack.text.startswith("broken failed 3 call(s) in the last 60 min; the latest: ")
    assert "connection refused" in slack.text
    for _ in range(5):  # still failing within the window: no second alert
        await ops.hub.enrich_visitor_all(visitor)
    await ops.tick(600)
    assert len(ops.sent()) == 2
    await ops.tick(3600)  # the failures have aged out of the window: nothing to say
    assert len(ops.sent()) == 2
    for _ in range(3):
        await ops.hub.enrich_visitor_all(visitor)
    await ops.tick()
    assert len(ops.sent()) == 4


async def test_two_failures_are_under_the_threshold(ops: Ops) -> None:
    for _ in range(2):
        await ops.hub.enrich_visitor_all(Visitor(id="v-1"))
    await ops.tick()
    assert ops.sent() == []


def test_alerts_table_is_validated_at_load_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "handoff.toml"
    path.write_text(
        "[connectors.slack]\nenabled = false\n"
        "[alerts]\nwindow_minutes = 0\n"
        '[[alerts.notify]]\nconnector = "slack"\nchannel = "#ops"\n'
        '[[alerts.notify]]\nconnector = "email"\nchannel = "#ops"\nrecipients = ["a@example.com"]\n'
    )
    with pytest.raises(ConfigFileError) as info:
        load_config(path)
    assert info.value.problems == [
        f"{path}: alerts.window_minutes: Input should be greater than or equal to 1",
        f"{path}: alerts.notify[1]: give either channel (Slack) or recipients (email), not both",
    ]
    path.write_text(
        '[connectors.slack]\nenabled = false\n[alerts]\n[[alerts.notify]]\nconnector = "slack"\nchannel = "#ops"\n'
    )
    with pytest.raises(ConfigFileError) as info:
        load_config(path)
    assert info.value.problems == [
        f"{path}: alerts.notify[0].connector: 'slack' is not an enabled connector of this "
        "handoff.toml (enabled: none)"
    ]


async def test_a_target_that_cannot_send_stops_the_worker_at_start(
    store: Store, clock: FakeClock, recorder: type[RecordingConnector]
) -> None:
    """An alert to a connector without handoff_send_notification would die unheard: refused."""
    classes = {"recorder": recorder, "broken": BrokenEnricher}
    table = {**ALERTS, "notify": [{"connector": "broken", "channel": "#ops"}]}
    config = HubConfig.model_validate(
        {"connectors": {name: ConnectorSettings() for name in classes}, "alerts": table}
    )
    async with make_hub(clock, classes) as hub:
        flows = FlowSet(Services(config, store, clock, lambda: hub))
        with pytest.raises(HandoffError) as info:
            flows.job_runners()
    assert str(info.value) == (
        "alerts.notify[0].connector: 'broken' cannot send notifications (it does not "
        "implement handoff_send_notification); those that can: recorder"
    )
