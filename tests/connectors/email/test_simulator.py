"""P5 / D2 over a real socket: the email connector against its simulator, an SMTP relay.

The relay requires STARTTLS (a throwaway certificate the connector trusts
through `ca_file`) and AUTH, as a submission relay does; refusals are scripted
at MAIL, RCPT or DATA.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from handoff_email import EmailConnector, SmtpRefusedError
from handoff_email.simulator import EmailSimulator

from handoff_sdk import AuthError
from handoff_sdk.entities import Notification
from handoff_sdk.testing.harness import build_harness


def _no_http(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"the email connector made an HTTP request to {request.url}")


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[EmailSimulator]:
    simulator = EmailSimulator()
    simulator.start(tmp_path)
    yield simulator
    simulator.stop()


def connector(relay: EmailSimulator, secrets: dict[str, str] | None = None) -> Any:
    return build_harness(
        EmailConnector,
        transport=httpx.MockTransport(_no_http),
        config=relay.connector_config(relay.url),
        secrets=relay.connector_secrets() if secrets is None else secrets,
    )


NOTE = Notification(
    recipients=["jamie.owner@example.test"],
    subject="Contact Us: Litware Inc",
    text="A Contact Us form came in from Litware Inc (P5).",
)


async def test_p5_a_notification_arrives_over_starttls_after_login(relay: EmailSimulator) -> None:
    harness = connector(relay)
    result = await harness.connector.handoff_send_notification(NOTE, "job-1:notify")
    assert result.ok
    [message] = relay.messages
    assert (message.tls, message.authenticated) == (True, True)
    assert message.rcpt_tos == ["jamie.owner@example.test"]
    assert message.message["Subject"] == "Contact Us: Litware Inc"
    saved = sorted((relay.server.mail_dir or Path()).glob("*.eml"))
    assert [p.name for p in saved] == ["0001.eml"]
    assert b"Contact Us: Litware Inc" in saved[0].read_bytes()


async def test_a_wrong_password_is_an_auth_error_and_nothing_is_sent(relay: EmailSimulator) -> None:
    harness = connector(relay, secrets={"password": "not-the-relay-password"})
    with pytest.raises(AuthError) as info:
        await harness.connector.handoff_send_notification(NOTE, "job-2")
    assert "not-the-relay-password" not in str(info.value)
    assert relay.messages == []


async def test_a_temporary_refusal_is_retried_and_delivered_once(relay: EmailSimulator) -> None:
    relay.refuse("RCPT", "451 4.7.1 Greylisted, try again later")
    harness = connector(relay)
    result = await harness.connector.handoff_send_notification(NOTE, "job-3")
    assert result.ok
    assert len(relay.messages) == 1
    assert harness.clock.slept > 0


async def test_a_permanent_refusal_names_the_recipient(relay: EmailSimulator) -> None:
    relay.refuse("RCPT", "550 5.1.1 Mailbox unknown", times=None)
    harness = connector(relay)
    with pytest.raises(SmtpRefusedError, match=r"jamie\.owner@example\.test"):
        await harness.connector.handoff_send_notification(NOTE, "job-4")
    assert relay.messages == []
