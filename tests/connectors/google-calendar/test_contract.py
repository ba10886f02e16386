"""Q3, Q12: the Google Calendar connector passes the SDK's connector contract, in both auth modes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

import httpx
from gcal_cases import (
    BOOK_KEY,
    CONFIG,
    MEETING,
    OAUTH_CONFIG,
    OAUTH_SECRETS,
    REP,
    SECRETS,
    WINDOW_END,
    WINDOW_START,
)
from handoff_google_calendar import GoogleCalendarConnector

from handoff_sdk.entities import Rep
from handoff_sdk.testing import COMPANY, ConnectorContract, ContractCase

CASES = (
    ContractCase(
        "handoff_rep_busy",
        {"rep": REP, "start": WINDOW_START, "end": WINDOW_END},
        "rep_busy",
    ),
    ContractCase(
        "handoff_book_meeting",
        {"meeting": MEETING, "idempotency_key": BOOK_KEY},
        "book_meeting",
    ),
)


def google_expired_token() -> httpx.Response:
    """What Calendar API v3 answers to an expired or revoked access token."""
    return httpx.Response(
        401,
        headers={"Content-Type": "application/json; charset=UTF-8"},
        json={
            "error": {
                "code": 401,
                "message": "Request had invalid authentication credentials. Expected OAuth 2 "
                "access token, login cookie or other valid authentication credential.",
                "errors": [
                    {
                        "message": "Invalid Credentials",
                        "domain": "global",
                        "reason": "authError",
                        "location": "Authorization",
                        "locationType": "header",
                    }
                ],
                "status": "UNAUTHENTICATED",
            }
        },
    )


class TestGoogleCalendarContract(ConnectorContract):
    """Service account with domain-wide delegation (the default mode), on the cassettes."""

    connector_class = GoogleCalendarConnector
    over_http = False
    config = CONFIG
    secrets = SECRETS
    cases = CASES

    @staticmethod
    def expired_token_response() -> httpx.Response:
        return google_expired_token()


class TestGoogleCalendarOAuthContract(ConnectorContract):
    """One user's OAuth refresh token: the same cassettes, the same token endpoint."""

    connector_class = GoogleCalendarConnector
    over_http = False
    config = OAUTH_CONFIG
    secrets = OAUTH_SECRETS
    cases = CASES

    @staticmethod
    def expired_token_response() -> httpx.Response:
        return google_expired_token()


# Over a real socket, against GoogleCalendarSimulator: the cassettes' rep has no calendar
# there, so these cases use a rep of the synthetic company (handoff_sdk.testing.COMPANY).
SIM_REP = COMPANY.rep("sdr-taylor")
SIM_CASES = (
    ContractCase(
        "handoff_rep_busy",
        {
            "rep": Rep(id=SIM_REP.id, name=SIM_REP.name, email=SIM_REP.email),
            "start": WINDOW_START,
            "end": WINDOW_END + timedelta(days=1),
        },
        "rep_busy",
    ),
    ContractCase(
        "handoff_book_meeting",
        {"meeting": MEETING.model_copy(update={"rep_id": SIM_REP.id}), "idempotency_key": BOOK_KEY},
        "book_meeting",
    ),
)


class TestGoogleCalendarSimulatorContract(ConnectorContract):
    """Q3, Q12 over a real socket: the JWT bearer login as each rep, freeBusy, events.insert."""

    connector_class = GoogleCalendarConnector
    config: ClassVar[dict[str, Any]] = {
        "service_account_email": "set-by-the-simulator@example.test"
    }
    secrets = SECRETS
    cases = SIM_CASES
    replay_cassettes = False


class TestGoogleCalendarOAuthSimulatorContract(ConnectorContract):
    """Q3, Q12 over a real socket: the refresh-token login of the calendar admin."""

    connector_class = GoogleCalendarConnector
    config: ClassVar[dict[str, Any]] = {"auth": "oauth", "client_id": "set-by-the-simulator"}
    secrets = OAUTH_SECRETS
    cases = SIM_CASES
    replay_cassettes = False
