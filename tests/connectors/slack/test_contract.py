"""The Slack connector passes the SDK contract, in both of its modes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import httpx
from handoff_slack import SlackConnector

from handoff_sdk.entities import Notification
from handoff_sdk.testing import ConnectorContract, ContractCase

Z6_PING = Notification(
    channel="#sales",
    mentions=["owner@example.test", "U0SYNTHMGR1"],
    subject="Escalated ticket unanswered",
    text="Ticket 4711 waits for sales.",
    link="https://support.example.test/tickets/4711",
)
WEBHOOK_URL = "https://hooks.slack.com/services/T0SYNTHTEAM/B0SYNTHHOOK/REDACTED"


class TestSlackContract(ConnectorContract):
    """Bot mode: users.lookupByEmail for the rep, then chat.postMessage to #sales (Z6)."""

    connector_class = SlackConnector
    config: ClassVar[dict[str, Any]] = {}
    secrets: ClassVar[dict[str, str]] = {"bot_token": "synthetic-bot-token"}
    cases: ClassVar[Sequence[ContractCase]] = [
        ContractCase(
            "handoff_send_notification",
            {"notification": Z6_PING, "idempotency_key": "job-81:z6-ping"},
            "post_with_mentions",
        )
    ]

    @staticmethod
    def expired_token_response() -> httpx.Response:
        """Slack refuses a bad token inside HTTP 200."""
        return httpx.Response(200, json={"ok": False, "error": "invalid_auth"})


class TestSlackWebhookContract(ConnectorContract):
    """Incoming-webhook mode: one POST to the webhook URL, a plain-text `ok` back."""

    connector_class = SlackConnector
    config: ClassVar[dict[str, Any]] = {"mode": "incoming_webhook"}
    secrets: ClassVar[dict[str, str]] = {"webhook_url": WEBHOOK_URL}
    cases: ClassVar[Sequence[ContractCase]] = [
        ContractCase(
            "handoff_send_notification",
            {
                "notification": Z6_PING.model_copy(
                    update={"mentions": ["U0SYNTHOWNR", "U0SYNTHMGR1"]}
                ),
                "idempotency_key": "job-81:z6-ping",
            },
            "webhook_post",
        )
    ]

    @staticmethod
    def expired_token_response() -> httpx.Response:
        """A revoked webhook answers 403 invalid_token."""
        return httpx.Response(403, text="invalid_token")
