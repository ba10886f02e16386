"""The SMTP contract (handoff_sdk.testing.smtp) fails for connectors that break its promises.

Each test breaks one behaviour of the email connector and checks that the
matching contract test no longer passes, so the contract is not a rubber stamp.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from uuid import uuid4

import handoff_email.mapping
import pytest
from handoff_email import EmailConnector

from handoff_sdk import ConnectorError, RetryPolicy, Verdict
from handoff_sdk.entities import Notification
from handoff_sdk.testing.smtp import SmtpCase, SmtpConnectorContract, SmtpTestServer


class Contract(SmtpConnectorContract):
    """The plain-relay contract, under a name pytest does not collect."""

    connector_class = EmailConnector
    config: ClassVar[dict[str, Any]] = {
        "host": "127.0.0.1",
        "security": "none",
        "from_address": "handoff@example.test",
    }
    cases: ClassVar[list[SmtpCase]] = [
        SmtpCase(
            "handoff_send_notification",
            {
                "notification": Notification(
                    recipients=["owner@example.test", "self-service@example.test"],
                    text="A Contact Us form came in.",
                ),
                "idempotency_key": "job-9",
            },
        )
    ]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SmtpTestServer]:
    with SmtpTestServer(cert_dir=tmp_path) as running:
        yield running


async def test_the_contract_passes_as_is(server: SmtpTestServer) -> None:
    contract = Contract()
    await contract.test_writes_carry_an_idempotency_key(server)
    await contract.test_temporary_failure_is_waited_out(server, "RCPT")
    await contract.test_permanent_refusal_names_the_recipient(server)


async def test_a_random_message_id_fails_the_idempotency_check(
    server: SmtpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        handoff_email.mapping, "message_id", lambda key, domain: f"<{uuid4().hex}@{domain}>"
    )
    with pytest.raises(AssertionError, match="same Message-ID"):
        await Contract().test_writes_carry_an_idempotency_key(server)


async def test_giving_up_on_a_4xx_fails_the_temporary_failure_check(
    server: SmtpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(EmailConnector, "retry_policy", RetryPolicy(attempts=1))
    with pytest.raises(ConnectorError):
        await Contract().test_temporary_failure_is_waited_out(server, "MAIL")


async def test_retrying_a_5xx_fails_the_permanent_refusal_check(
    server: SmtpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        handoff_email.mapping,
        "reply_verdict",
        lambda code: Verdict.OK if code < 400 else Verdict.RETRY,
    )
    with pytest.raises(AssertionError):
        await Contract().test_permanent_refusal_names_the_recipient(server)


def test_each_server_gets_its_own_ephemeral_port(tmp_path: Path) -> None:
    with SmtpTestServer() as one, SmtpTestServer() as two:
        assert one.port != two.port
        assert one.port > 0
        assert two.port > 0


def test_refuse_wants_a_real_reply_line() -> None:
    server = SmtpTestServer()
    with pytest.raises(ValueError, match="SMTP reply"):
        server.refuse("RCPT", "nope")
