"""What the Zoom tests and cassettes share: config, secrets, a meeting, a signed webhook."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from handoff_sdk import WebhookScheme, sign_webhook
from handoff_sdk.entities import Meeting, WebhookRequest
from handoff_sdk.testing import COMPANY

ACCOUNT_ID = "SyntheticAcct0001"
CLIENT_ID = "SyntheticClient01"
CONFIG: dict[str, Any] = {
    "account_id": ACCOUNT_ID,
    "client_id": CLIENT_ID,
    "rep_emails": {"rep-ana": "ana.rep@example.com"},
}
SECRETS = {
    "client_secret": "synthetic-client-secret",
    "webhook_secret_token": "synthetic-webhook-secret-token",
}
REP_EMAIL = "ana.rep@example.com"
BOOK_KEY = "book-conv-0001"
MEETING_ID = 81234567890
JOIN_URL = f"https://us05web.zoom.example/j/{MEETING_ID}?pwd=c3ludGhldGljcGFzc2NvZGU.1"

MEETING = Meeting(
    rep_id="rep-ana",
    attendee_email="pat.lee@acme.example",
    start=datetime(2026, 1, 6, 15, 0, tzinfo=UTC),
    end=datetime(2026, 1, 6, 15, 30, tzinfo=UTC),
    title="Acme x Pat Lee: pricing",
)

SIM_REP = COMPANY.rep("sdr-taylor")
SIM_MEETING = Meeting(
    rep_id=SIM_REP.id,
    attendee_email=COMPANY.person("ana-lima").email,
    start=datetime(2026, 1, 6, 15, 0, tzinfo=UTC),
    end=datetime(2026, 1, 6, 15, 30, tzinfo=UTC),
    title="Adventure Works x Ana Lima: expansion",
)
"""A booking for a rep of the synthetic company: one the Zoom simulator has a user for."""

# The harness clock starts at 2026-01-05 09:00 UTC: these deliveries are 30 s old.
SIGNED_AT = datetime(2026, 1, 5, 8, 59, 30, tzinfo=UTC)
STARTED_BODY = (
    b'{"event":"meeting.started","payload":{"account_id":"SyntheticAcct0001","object":'
    b'{"duration":30,"start_time":"2026-01-05T08:59:20Z","timezone":"UTC",'
    b'"topic":"Acme x Pat Lee: pricing","id":"81234567890","type":2,'
    b'"uuid":"c3ludGhldGljLXV1aWQtMDE=","host_id":"SyntheticHost01"}},"event_ts":1767603570000}'
)
VALIDATION_BODY = (
    b'{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1767603570000,'
    b'"event":"endpoint.url_validation"}'
)


def signed(body: bytes, secret: str = SECRETS["webhook_secret_token"]) -> WebhookRequest:
    """A delivery as Zoom would post it, signed with `secret` at SIGNED_AT."""
    headers = sign_webhook(WebhookScheme.ZOOM, secret=secret, body=body, timestamp=SIGNED_AT)
    return WebhookRequest(
        headers={
            **{k.lower(): v for k, v in headers.items()},
            "content-type": "application/json; charset=utf-8",
            "user-agent": "Zoom Marketplace/1.0a",
        },
        body=body,
        received_at=SIGNED_AT,
    )
