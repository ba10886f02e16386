"""P5 / Z6 over a real socket: the Slack connector against its simulator (synthetic workspace)."""

from __future__ import annotations

import httpx
import pytest
from handoff_slack import SlackConnector
from handoff_slack.simulator import SlackSimulator

from handoff_sdk import ApiError, AuthError
from handoff_sdk.entities import Notification
from handoff_sdk.testing import SimulatorServer
from handoff_sdk.testing.company import COMPANY

TAYLOR = COMPANY.rep("sdr-taylor")
KEY = "job-7:z6-ping"


def note(channel: str | None = "#sales", *mentions: str) -> Notification:
    return Notification(
        channel=channel,
        mentions=list(mentions),
        subject="Escalated ticket unanswered",
        text="Ticket 1001 waits for sales.",
        link="https://support.example.test/tickets/1001",
    )


async def test_z6_ping_resolves_the_rep_by_email_and_posts_to_the_channel(simulated) -> None:
    """Z6: the rep's email becomes a ping (users.lookupByEmail), then chat.postMessage."""
    sim = await simulated(SlackConnector)
    result = await sim.connector.handoff_send_notification(note("#sales", TAYLOR.email), KEY)
    assert result.ok
    assert result.errors == []
    [posted] = sim.simulator.account.data["messages"]
    assert posted["channel"] == "C0SIMSALES"
    assert posted["text"].startswith(f"<@{TAYLOR.slack_id}> *Escalated ticket unanswered*")
    assert posted["metadata"]["event_payload"] == {"idempotency_key": KEY}
    assert result.id == f"C0SIMSALES:{posted['ts']}"
    assert [s.endpoint for s in sim.simulator.log] == ["users_lookup_by_email", "chat_post_message"]


@pytest.mark.parametrize(
    ("channel", "code"),
    [
        ("#nowhere", "channel_not_found"),
        ("#general", "not_in_channel"),
        ("#old-wins", "is_archived"),
    ],
)
async def test_a_refused_post_is_slacks_error_inside_http_200(simulated, channel, code) -> None:
    """P5: Slack says no inside HTTP 200; the connector fails with its word and does not retry."""
    sim = await simulated(SlackConnector)
    with pytest.raises(ApiError) as info:
        await sim.connector.handoff_send_notification(note(channel), KEY)
    assert info.value.code == code
    assert [s.status for s in sim.simulator.log] == [200]


async def test_mentions_that_cannot_ping_are_listed_not_fatal(simulated) -> None:
    """An unknown email and a deactivated user degrade to text; the post still goes out."""
    sim = await simulated(SlackConnector)
    result = await sim.connector.handoff_send_notification(
        note("#sales", "nobody@example.test", "former.rep@example.test"), KEY
    )
    assert result.ok
    assert [e.code for e in result.errors] == ["users_not_found", "user_deactivated"]
    [posted] = sim.simulator.account.data["messages"]
    assert "@nobody@example.test" in posted["text"]


async def test_a_token_without_the_email_scope_posts_without_pings(simulated) -> None:
    sim = await simulated(SlackConnector, account="no-email-scope")
    result = await sim.connector.handoff_send_notification(note("#sales", TAYLOR.email), KEY)
    assert result.ok
    [problem] = result.errors
    assert problem.code == "missing_scope"
    assert "users:read.email" in problem.message


async def test_a_revoked_token_is_an_auth_error(simulated) -> None:
    sim = await simulated(SlackConnector, secrets={"bot_token": "xoxb-sim-revoked"})
    with pytest.raises(AuthError):
        await sim.connector.handoff_send_notification(note(), KEY)
    assert len(sim.simulator.log) == 1


async def test_posting_faster_than_a_channel_allows_is_a_429_waited_out(simulated) -> None:
    """About one message a second per channel: the sixth in a burst waits Slack's Retry-After."""
    sim = await simulated(
        SlackConnector, config={"rate_limit": {"requests": 100, "per_seconds": 1}}
    )
    for n in range(6):
        await sim.connector.handoff_send_notification(note(), f"{KEY}-{n}")
    throttled = sim.simulator.throttled()
    assert [s.status for s in throttled] == [429]
    assert sim.clock.slept >= 1
    assert len(sim.simulator.account.data["messages"]) == 6


async def test_incoming_webhook_mode_posts_to_its_channel(simulated) -> None:
    sim = await simulated(SlackConnector, config={"mode": "incoming_webhook"})
    result = await sim.connector.handoff_send_notification(note(None, "U0SIM00301"), KEY)
    assert result.ok
    [posted] = sim.simulator.account.data["messages"]
    assert posted["channel"] == "C0SIMALERTS"
    assert posted["text"].startswith("<@U0SIM00301>")


async def test_a_revoked_webhook_url_is_an_auth_error(simulated, fake_clock) -> None:
    simulator = SlackSimulator(clock=fake_clock)
    sim = await simulated(SlackConnector, simulator=simulator, config={"mode": "incoming_webhook"})
    sim.secrets.values["webhook_url"] = simulator.webhook_url().rsplit("/", 1)[0] + "/revoked"
    with pytest.raises(AuthError, match="invalid_token"):
        await sim.connector.handoff_send_notification(note(None), KEY)
    assert [s.status for s in simulator.log] == [403]


async def test_json_without_a_charset_gets_slacks_warning(fake_clock) -> None:
    simulator = SlackSimulator(clock=fake_clock)
    async with SimulatorServer(simulator) as server, httpx.AsyncClient() as client:
        token = simulator.connector_secrets()["bot_token"]
        answer = await client.post(
            f"{server.url}/api/chat.postMessage",
            json={"channel": "C0SIMSALES", "text": "hi"},
            headers={"Authorization": f"Bearer {token}"},
        )
        bad = await client.post(
            f"{server.url}/api/chat.postMessage",
            json={"channel": 42},
            headers={"Authorization": f"Bearer {token}"},
        )
    body = answer.json()
    assert body["ok"] is True
    assert body["response_metadata"] == {"warnings": ["missing_charset"]}
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    assert (bad.status_code, bad.json()["ok"], bad.json()["error"]) == (
        200,
        False,
        "invalid_arguments",
    )
