"""P5: Gainsight outbound calls, checked against the shared secret, become the poll's events."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from handoff_gainsight import GainsightConnector
from handoff_gainsight.mapping import SurveyFields, response_from_record, survey_event

from handoff_sdk import ConnectorError, MissingSecretError
from handoff_sdk.entities import WebhookRequest
from handoff_sdk.testing.harness import build_harness
from handoff_sdk.webhooks import WebhookSignatureError

SECRET = "synthetic-webhook-secret"
RECEIVED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
RESPONSE = {
    "response_id": "1P02SYNTHETIC00000000000000000000002",
    "survey_name": "Q1 NPS Relationship Survey",
    "score": 9,
    "comment": "Pipelines got much faster after the upgrade.",
    "email": "Dana.Lee@Example.test",
    "company_id": "1P03SYNTHETIC00000000000000000000001",
    "responded_at": "01/05/2026 08:04:55",
}


def _connector(secrets: dict[str, str] | None = None, **config: Any) -> Any:
    harness = build_harness(
        GainsightConnector,
        transport=httpx.MockTransport(lambda r: httpx.Response(500)),
        config={"base_url": "https://gainsight.example.test", **config},
        secrets={"access_key": "synthetic-access-key", "webhook_secret": SECRET}
        if secrets is None
        else secrets,
    )
    return harness.connector


def _request(body: Any, **headers: str) -> WebhookRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return WebhookRequest(headers=headers, body=raw, received_at=RECEIVED)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def test_p5_webhook_with_the_shared_header_becomes_an_nps_event() -> None:
    events = await _connector().handoff_parse_webhook(
        request=_request(RESPONSE, **{"x-handoff-token": SECRET})
    )
    assert [e.type for e in events] == ["gainsight.survey.nps"]
    event = events[0]
    assert event.payload["respondent_email"] == "dana.lee@example.test"
    assert event.payload["nps_category"] == "promoter"
    assert event.occurred_at == datetime(2026, 1, 5, 8, 4, 55, tzinfo=UTC)


async def test_p5_webhook_and_poll_of_one_response_share_the_dedupe_key() -> None:
    [pushed] = await _connector().handoff_parse_webhook(
        request=_request(RESPONSE, **{"X-Handoff-Token": SECRET})
    )
    polled = response_from_record(
        {
            "Gsid": RESPONSE["response_id"],
            "ModifiedDate": "01/05/2026 08:05:10",
            "Score": 9,
            "SurveyId__gr.Title": RESPONSE["survey_name"],
        },
        SurveyFields(),
    )
    assert polled is not None
    assert survey_event(polled, "nps").dedupe_key == pushed.dedupe_key


async def test_header_mode_accepts_a_bearer_token_in_a_configured_header() -> None:
    connector = _connector(webhook_header="Authorization")
    events = await connector.handoff_parse_webhook(
        request=_request(RESPONSE, authorization=f"Bearer {SECRET}")
    )
    assert len(events) == 1


@pytest.mark.parametrize(
    ("headers", "reason", "message"),
    [
        ({}, "missing", "header 'X-Handoff-Token' is missing"),
        ({"x-handoff-token": "wrong"}, "mismatch", "does not hold the shared secret"),
        ({"x-handoff-token": SECRET + "x"}, "mismatch", "does not hold the shared secret"),
        ({"x-other": SECRET}, "missing", "is missing"),
    ],
)
async def test_a_webhook_without_the_secret_is_refused(
    headers: dict[str, str], reason: str, message: str
) -> None:
    with pytest.raises(WebhookSignatureError) as info:
        await _connector().handoff_parse_webhook(request=_request(RESPONSE, **headers))
    assert info.value.reason == reason
    assert message in str(info.value)
    assert str(info.value).startswith("gainsight: ")
    assert SECRET not in str(info.value)


async def test_basic_auth_mode_checks_user_and_password() -> None:
    connector = _connector(webhook_auth="basic", webhook_username="gs-outbound")
    ok = await connector.handoff_parse_webhook(
        request=_request(RESPONSE, authorization=_basic("gs-outbound", SECRET))
    )
    assert len(ok) == 1
    for header in (
        _basic("someone-else", SECRET),
        _basic("gs-outbound", "wrong"),
        "Basic bm9jb2xvbg==",  # "nocolon"
    ):
        with pytest.raises(WebhookSignatureError, match="basic auth does not match"):
            await connector.handoff_parse_webhook(request=_request(RESPONSE, authorization=header))
    with pytest.raises(WebhookSignatureError, match="not valid base64") as bad:
        await connector.handoff_parse_webhook(request=_request(RESPONSE, authorization="Basic %%"))
    assert bad.value.reason == "malformed"
    with pytest.raises(WebhookSignatureError, match="Authorization: Basic"):
        await connector.handoff_parse_webhook(
            request=_request(RESPONSE, **{"x-handoff-token": SECRET})
        )


async def test_without_the_webhook_secret_configured_nothing_is_accepted() -> None:
    connector = _connector(secrets={"access_key": "synthetic-access-key"})
    with pytest.raises(MissingSecretError, match="webhook_secret") as info:
        await connector.handoff_parse_webhook(
            request=_request(RESPONSE, **{"x-handoff-token": "anything"})
        )
    assert "gainsight" in str(info.value)


async def test_a_list_body_with_kinds_and_a_missing_date() -> None:
    body = [
        {
            **RESPONSE,
            "response_id": "a",
            "survey_name": "Exit interview",
            "survey_kind": "post_churn",
        },
        {**RESPONSE, "response_id": "b", "survey_name": "Support CSAT", "responded_at": None},
        {**RESPONSE, "response_id": "c", "survey_name": "Onboarding Feedback"},
    ]
    events = await _connector().handoff_parse_webhook(
        request=_request(body, **{"x-handoff-token": SECRET})
    )
    assert [e.type for e in events] == ["gainsight.survey.post_churn", "gainsight.survey.csat"]
    assert events[1].occurred_at == RECEIVED


async def test_a_body_that_is_not_json_or_lacks_an_id_is_a_clear_error() -> None:
    with pytest.raises(ConnectorError, match="gainsight: webhook body is not JSON"):
        await _connector().handoff_parse_webhook(
            request=_request(b"<xml/>", **{"x-handoff-token": SECRET})
        )
    with pytest.raises(ConnectorError, match=r"webhook response 1: field 'response_id'"):
        await _connector().handoff_parse_webhook(
            request=_request({"responses": [RESPONSE, {"score": 3}]}, **{"x-handoff-token": SECRET})
        )


async def test_the_secret_is_checked_before_the_body_is_read() -> None:
    """An unauthenticated caller learns nothing about the expected body."""
    with pytest.raises(WebhookSignatureError):
        await _connector().handoff_parse_webhook(request=_request(b"<xml/>"))
