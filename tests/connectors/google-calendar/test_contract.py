"""Q3, Q12: the Google Calendar connector passes the SDK's connector contract, in both auth modes."""

from __future__ import annotations

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

from handoff_sdk.testing import ConnectorContract, ContractCase

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
    """Service account with domain-wide delegation (the default mode)."""

    connector_class = GoogleCalendarConnector
    config = CONFIG
    secrets = SECRETS
    cases = CASES

    @staticmethod
    def expired_token_response() -> httpx.Response:
        return google_expired_token()


class TestGoogleCalendarOAuthContract(ConnectorContract):
    """One user's OAuth refresh token: the same cassettes, the same token endpoint."""

    connector_class = GoogleCalendarConnector
    config = OAUTH_CONFIG
    secrets = OAUTH_SECRETS
    cases = CASES

    @staticmethod
    def expired_token_response() -> httpx.Response:
        return google_expired_token()
