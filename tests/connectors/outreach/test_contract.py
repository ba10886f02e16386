"""The Outreach connector passes the SDK's connector contract (rule Q3a)."""

from __future__ import annotations

import httpx
from handoff_outreach import OutreachConnector
from outreach_cases import ANA, CONFIG, SECRETS, signed, state_created

from handoff_sdk.testing import ConnectorContract, ContractCase


class TestOutreachContract(ConnectorContract):
    """Q3a: sequence state by email, and signed sequenceState webhooks."""

    connector_class = OutreachConnector
    config = CONFIG
    secrets = SECRETS
    cases = (
        ContractCase("handoff_sequence_state", {"email": ANA}, "sequence_state"),
        ContractCase("handoff_parse_webhook", {"request": signed(state_created())}, "webhook"),
    )

    @staticmethod
    def expired_token_response() -> httpx.Response:
        """Outreach's answer to an expired or revoked access token: a bare-text 401.

        As captured from the live API (nginx, no JSON body): `401 Invalid access token`.
        """
        return httpx.Response(
            401, headers={"Content-Type": "text/plain"}, text="Invalid access token"
        )
