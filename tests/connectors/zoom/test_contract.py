"""Q12: the Zoom connector passes the SDK's connector contract."""

from __future__ import annotations

import httpx
from handoff_zoom import ZoomConnector
from zoom_cases import BOOK_KEY, CONFIG, MEETING, SECRETS, SIM_MEETING, STARTED_BODY, signed

from handoff_sdk.testing import ConnectorContract, ContractCase

CONTRACT_CONFIG = {**CONFIG, "meeting_settings": {"waiting_room": True, "join_before_host": False}}


class TestZoomContract(ConnectorContract):
    """Q12 on the recorded cassettes (the simulator's run is TestZoomSimulatorContract)."""

    connector_class = ZoomConnector
    over_http = False
    config = CONTRACT_CONFIG
    secrets = SECRETS
    cases = (
        ContractCase(
            "handoff_book_meeting",
            {"meeting": MEETING, "idempotency_key": BOOK_KEY},
            "book_meeting",
        ),
        ContractCase("handoff_parse_webhook", {"request": signed(STARTED_BODY)}, "webhook"),
    )

    @staticmethod
    def expired_token_response() -> httpx.Response:
        """Zoom's answer to an expired or revoked access token."""
        return httpx.Response(
            401,
            headers={"Content-Type": "application/json;charset=UTF-8"},
            json={"code": 124, "message": "Invalid access token."},
        )


class TestZoomSimulatorContract(ConnectorContract):
    """Q12: the same contract over a real socket against ZoomSimulator (the synthetic company).

    The cassette cases book for a rep the simulated account does not have, so
    the simulator's run books for one of the company's reps instead.
    """

    connector_class = ZoomConnector
    config = CONTRACT_CONFIG
    secrets = SECRETS
    replay_cassettes = False
    cases = (
        ContractCase(
            "handoff_book_meeting",
            {"meeting": SIM_MEETING, "idempotency_key": BOOK_KEY},
            "book_meeting",
        ),
        ContractCase("handoff_parse_webhook", {"request": signed(STARTED_BODY)}, "webhook"),
    )
