"""Config, secrets and webhook deliveries shared by the Outreach tests (values synthetic)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from handoff_sdk import WebhookScheme, sign_webhook
from handoff_sdk.entities import WebhookRequest

CONFIG: dict[str, Any] = {
    "client_id": "synthetic-outreach-app",
    "redirect_uri": "https://handoff.example.test/oauth/outreach",
}
SECRETS = {
    "client_secret": "synthetic-client-secret",
    "refresh_token": "synthetic-refresh-token",
    "webhook_secret": "synthetic-webhook-secret",
}
ANA = "ana.lima@adventure-works.example"
# The harness clock starts at 2026-01-05 09:00:00 UTC; deliveries below are 30 s old.
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DELIVERED_AT = "2026-01-05T00:59:30.000-08:00"


def body(document: dict[str, Any]) -> bytes:
    """A delivery body, compact as Outreach sends it."""
    return json.dumps(document, separators=(",", ":")).encode()


def state_created(delivered_at: str = DELIVERED_AT) -> dict[str, Any]:
    """sequenceState.created as a webhook delivers it: relationships NOT wrapped in `data`."""
    return {
        "data": {
            "type": "sequenceState",
            "id": 5001,
            "attributes": {
                "createdAt": "2026-01-05T08:59:28.000Z",
                "updatedAt": "2026-01-05T08:59:28.000Z",
                "stateChangedAt": "2026-01-05T08:59:28.000Z",
                "state": "pending",
            },
            "relationships": {
                "mailbox": {"type": "mailbox", "id": 12},
                "prospect": {"type": "prospect", "id": 101},
                "sequence": {"type": "sequence", "id": 301},
            },
        },
        "meta": {"deliveredAt": delivered_at, "eventName": "sequenceState.created"},
    }


def signed(document: dict[str, Any], secret: str = SECRETS["webhook_secret"]) -> WebhookRequest:
    """A delivery with the Outreach-Webhook-Signature header the vendor would send."""
    raw = body(document)
    headers = sign_webhook(WebhookScheme.OUTREACH, secret=secret, body=raw)
    return WebhookRequest(
        headers={k.lower(): v for k, v in headers.items()}
        | {"content-type": "application/vnd.api+json"},
        body=raw,
        received_at=NOW,
    )
