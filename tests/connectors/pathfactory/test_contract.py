"""The SDK contract, on PathFactory's cassettes (P5: Fast Moving Buyer by poll and by webhook)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, ClassVar

from handoff_pathfactory import PathfactoryConnector
from pf_cases import CONFIG, MAIN_CURSOR, SECRETS

from handoff_sdk.entities import WebhookRequest
from handoff_sdk.testing import ConnectorContract, ContractCase

WEBHOOK = WebhookRequest(
    headers={"x-handoff-token": SECRETS["webhook_secret"]},
    body=json.dumps(
        {
            "activity_name": "Fast Moving Buyer",
            "activity_id": "act-7001",
            "email": "pat.ng@example.test",
            "account_name": "Example Widgets Inc",
            "occurred_at": "2026-01-05T08:58:00Z",
            "assets": [
                {"id": "101", "title": "CI/CD Primer", "engaged_seconds": 240},
                {
                    "id": "104",
                    "title": "Total Cost of Ownership Calculator",
                    "engaged_seconds": 420,
                },
            ],
        }
    ).encode(),
    received_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
)


class TestPathfactoryContract(ConnectorContract):
    """P5: PathFactory Fast Moving Buyer; the HTTP-making poll case comes first."""

    connector_class = PathfactoryConnector
    config: ClassVar[dict[str, Any]] = CONFIG
    secrets: ClassVar[dict[str, str]] = SECRETS
    cases: ClassVar[list[ContractCase]] = [
        ContractCase("handoff_poll_events", {"cursor": MAIN_CURSOR}, "poll_pageviews"),
        ContractCase("handoff_parse_webhook", {"request": WEBHOOK}, "webhook"),
    ]
