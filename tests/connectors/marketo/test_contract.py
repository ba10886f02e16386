"""The Marketo connector passes the connector contract (cassettes in cassettes/marketo/)."""

from __future__ import annotations

from typing import Any, ClassVar

import httpx
from handoff_marketo import MarketoConnector

from handoff_sdk.entities import Lead
from handoff_sdk.testing import ConnectorContract, ContractCase

SMALL = [
    Lead(email="ada@example.test", first_name="Ada", last_name="Byron", company="Acme"),
    Lead(email="grace@example.test", first_name="Grace", source="Free Trial"),
    Lead(email="dup@example.test", last_name="Twin"),
]
BULK = [Lead(email=f"lead{i:04d}@example.test", first_name=f"Lead{i}") for i in range(1000)]


class TestMarketoContract(ConnectorContract):
    connector_class = MarketoConnector
    config: ClassVar[dict[str, Any]] = {
        "base_url": "https://marketo.example.test",
        "client_id": "synthetic-client-id",
        "activity_type_ids": [46, 2],
    }
    secrets: ClassVar[dict[str, str]] = {"client_secret": "synthetic-secret"}
    cases = (
        ContractCase(
            "handoff_upsert_leads", {"leads": SMALL, "idempotency_key": "upsert-1"}, "upsert_leads"
        ),
        ContractCase("handoff_list_programs", {}, "list_programs"),
        ContractCase("handoff_poll_events", {"cursor": None}, "poll_events"),
    )
    batch_cases = (
        ContractCase(
            "handoff_upsert_leads",
            {"leads": BULK, "idempotency_key": "bulk-1"},
            "upsert_leads_1000",
        ),
    )

    @staticmethod
    def expired_token_response() -> httpx.Response:
        """Marketo answers an expired token with HTTP 200 and error 601 in the body."""
        return httpx.Response(
            200,
            json={
                "requestId": "e42b#19a0c0ffee601",
                "success": False,
                "errors": [{"code": "601", "message": "Access token invalid"}],
            },
        )
