"""The Zendesk connector passes the SDK's connector contract."""

from __future__ import annotations

from datetime import UTC, datetime

from handoff_zendesk import ZendeskConnector

from handoff_sdk import WebhookScheme, sign_webhook
from handoff_sdk.entities import Case, TicketUpdate, WebhookRequest
from handoff_sdk.testing import ConnectorContract, ContractCase

CONFIG = {
    "subdomain": "acme",
    "base_url": "https://acme.zendesk.example.test",
    "email": "agent@example.com",
    "escalated_to_sales_field_id": 360000000042,
}
SECRETS = {
    "api_token": "synthetic-api-token",
    "webhook_signing_secret": "synthetic-webhook-signing-secret",
}
EVENT_BODY = (
    b'{"type":"zen:event-type:ticket.created","account_id":1000001,"id":"evt-0001",'
    b'"time":"2026-01-05T08:59:30Z","zendesk_event_version":"2022-11-06",'
    b'"subject":"zen:ticket:5001","detail":{"id":"5001","status":"NEW"},'
    b'"event":{"current":{"status":"NEW"}}}'
)
# The harness clock starts at 2026-01-05 09:00 UTC: this delivery is 30 s old.
SIGNED_AT = datetime(2026, 1, 5, 8, 59, 30, tzinfo=UTC)
WEBHOOK = WebhookRequest(
    headers={
        k.lower(): v
        for k, v in sign_webhook(
            WebhookScheme.ZENDESK,
            secret=SECRETS["webhook_signing_secret"],
            body=EVENT_BODY,
            timestamp=SIGNED_AT,
        ).items()
    },
    body=EVENT_BODY,
    received_at=SIGNED_AT,
)


class TestZendeskContract(ConnectorContract):
    connector_class = ZendeskConnector
    config = CONFIG
    secrets = SECRETS
    cases = (
        ContractCase("handoff_find_person", {"email": "ana.lima@example.com"}, "find_person"),
        ContractCase(
            "handoff_create_case",
            {
                "case": Case(subject="Quote for 40 seats", description="Needs a PO."),
                "idempotency_key": "case-0001",
            },
            "create_case",
        ),
        ContractCase("handoff_parse_webhook", {"request": WEBHOOK}, "webhook"),
        ContractCase("handoff_poll_events", {"cursor": None}, "poll_events"),
        ContractCase("handoff_get_ticket", {"ticket_id": "1001"}, "get_ticket"),
        ContractCase("handoff_ticket_comments", {"ticket_id": "1001"}, "ticket_comments"),
        ContractCase("handoff_escalated_tickets", {}, "escalated_tickets"),
        ContractCase(
            "handoff_update_ticket",
            {
                "update": TicketUpdate(
                    ticket_id="1001",
                    assignee_email="taylor.brooks@example.test",
                    escalated_to_sales=True,
                    note="Passed to the account owner (Z2).",
                ),
                "idempotency_key": "tickets:1001:pass",
            },
            "update_ticket",
        ),
        ContractCase(
            "handoff_apply_macro",
            {"ticket_id": "1001", "macro": "Pass to Sales", "idempotency_key": "tickets:1001:m"},
            "apply_macro_by_title",
        ),
    )
