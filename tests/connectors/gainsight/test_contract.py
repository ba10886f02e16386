"""The SDK contract, on Gainsight's cassettes (P5: survey responses by poll and by webhook)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, ClassVar

from handoff_gainsight import GainsightConnector

from handoff_sdk.entities import WebhookRequest
from handoff_sdk.testing import ConnectorContract, ContractCase

BASE_URL = "https://gainsight.example.test"
CONFIG: dict[str, Any] = {
    "base_url": BASE_URL,
    "page_size": 50,
    "fields": {
        "crm_account_id": "CompanyId__gr.SfdcAccountId",
        "owner_email": "CompanyId__gr.Csm__gr.Email",
    },
}
SECRETS = {"access_key": "synthetic-access-key", "webhook_secret": "synthetic-webhook-secret"}
FIRST_SEEN = "1P02SYNTHETIC00000000000000000000001"
MAIN_CURSOR = json.dumps(
    {"v": 1, "since": "2026-01-05T08:00:00+00:00", "ids": [FIRST_SEEN]}, separators=(",", ":")
)

WEBHOOK = WebhookRequest(
    headers={"x-handoff-token": SECRETS["webhook_secret"], "content-type": "application/json"},
    body=json.dumps(
        {
            "responses": [
                {
                    "response_id": "1P02SYNTHETIC00000000000000000000007",
                    "survey_name": "Q1 NPS Relationship Survey",
                    "score": "6",
                    "comment": "Runners are slow.",
                    "email": "pat.ng@example.test",
                    "company_id": "1P03SYNTHETIC00000000000000000000009",
                    "company_name": "Example Widgets Inc",
                    "responded_at": "01/05/2026 08:59:00",
                }
            ]
        }
    ).encode(),
    received_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
)


class TestGainsightContract(ConnectorContract):
    """P5: Gainsight survey responses; the HTTP-making poll case comes first."""

    connector_class = GainsightConnector
    config: ClassVar[dict[str, Any]] = CONFIG
    secrets: ClassVar[dict[str, str]] = SECRETS
    cases: ClassVar[list[ContractCase]] = [
        ContractCase("handoff_poll_events", {"cursor": MAIN_CURSOR}, "poll_survey_responses"),
        ContractCase("handoff_parse_webhook", {"request": WEBHOOK}, "webhook"),
    ]
