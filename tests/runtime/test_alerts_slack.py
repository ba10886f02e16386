"""Alerts over real sockets: a dead job is posted to #handoff-alerts on the Slack simulator,
through the Slack connector's handoff_send_notification, once per window (injected time)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from handoff_slack.simulator import SlackSimulator

from handoff.config import load_config
from handoff.flow import Services
from handoff.flows import FlowSet, install_periodic
from handoff.hub import Hub
from handoff.runtime import JobSpec, Worker, enqueue
from handoff.store import Store
from handoff_sdk import DictSecrets, FakeClock
from handoff_sdk.testing import SimulatorServer


async def test_a_dead_job_is_posted_to_the_alerts_channel_once_per_window(
    tmp_path: Path, store: Store, clock: FakeClock
) -> None:
    slack = SlackSimulator(clock=clock)
    async with SimulatorServer(slack, tls=True) as server:
        table = slack.connector_config(server.url)
        lines = [f'{key} = "{value}"' for key, value in table.items()]
        (tmp_path / "handoff.toml").write_text(
            "[connectors.slack]\n" + "\n".join(lines) + "\n"
            "[alerts]\nwindow_minutes = 30\n"
            '[[alerts.notify]]\nconnector = "slack"\nchannel = "#handoff-alerts"\n'
        )
        config = load_config(tmp_path / "handoff.toml")
        async with Hub(
            config,
            secrets=lambda name: DictSecrets(name, slack.connector_secrets()),
            clock=clock,
            transport=lambda name: httpx.AsyncHTTPTransport(verify=server.verify),
        ) as hub:
            flows = FlowSet(Services(config, store, clock, lambda: hub))
            install_periodic(store, flows.periodic(), now=clock.now())
            worker = Worker(store, hub=hub, clock=clock, handlers=flows.job_runners())

            async def dies(key: str, after: float) -> None:
                with store.transaction() as session:
                    enqueue(
                        session, [JobSpec(kind="lost-kind", idempotency_key=key)], now=clock.now()
                    )
                clock.advance(after)
                while await worker.run_once():
                    pass

            def posts() -> list[dict[str, Any]]:
                return [s.body for s in slack.calls("chat_post_message")]

            await dies("first", 0)
            clock.advance(60)
            while await worker.run_once():
                pass
            [post] = posts()
            assert post["channel"] == "#handoff-alerts"
            assert post["text"].startswith(
                "*handoff alert: dead-jobs*\n1 job(s) went dead:\njob 1 (lost-kind) after 1 attempt"
            )
            assert "no handler for kind 'lost-kind'" in post["text"]
            await dies("second", 600)  # ten minutes later: inside the window, not posted yet
            assert len(posts()) == 1
            clock.advance(1800)
            while await worker.run_once():
                pass
            assert len(posts()) == 2
            assert "went dead since" in posts()[1]["text"]
