"""The email connector passes the SMTP contract (the SDK's counterpart of ConnectorContract).

The server requires STARTTLS and AUTH, as a real submission relay does, so the
contract also proves the password only travels over TLS and that the
certificate is verified (against the throwaway CA in `ca_file`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from handoff_email import EmailConnector

from handoff_sdk.entities import Notification
from handoff_sdk.testing.smtp import SmtpCase, SmtpConnectorContract, SmtpTestServer


class TestEmailContract(SmtpConnectorContract):
    connector_class = EmailConnector
    config: ClassVar[dict[str, Any]] = {
        "host": "127.0.0.1",
        "port": 2525,
        "security": "starttls",
        "from_address": "handoff@example.test",
        "from_name": "handoff",
        "username": "relay-user",
    }
    secrets: ClassVar[dict[str, str]] = {"password": "synthetic-relay-password"}
    server_tls = "starttls"
    server_credentials: ClassVar[tuple[str, str] | None] = (
        "relay-user",
        "synthetic-relay-password",
    )
    cases: ClassVar[list[SmtpCase]] = [
        SmtpCase(
            "handoff_send_notification",
            {
                "notification": Notification(
                    recipients=["owner@example.test", "self-service@example.test"],
                    subject="Contact Us: Example Corp",
                    text="A Contact Us form came in from Example Corp (P5).",
                    link="https://crm.example.test/lead/00Q000000000001",
                ),
                "idempotency_key": "job-42:notify-owner",
            },
        )
    ]

    def server_config(self, server: SmtpTestServer) -> dict[str, Any]:
        return {**super().server_config(server), "ca_file": str(server.ca_file)}


class TestEmailContractPlainRelay(SmtpConnectorContract):
    """An internal relay on port 25 without TLS or AUTH: no secret is needed."""

    connector_class = EmailConnector
    config: ClassVar[dict[str, Any]] = {
        "host": "127.0.0.1",
        "security": "none",
        "from_address": "handoff@example.test",
    }
    cases = TestEmailContract.cases
