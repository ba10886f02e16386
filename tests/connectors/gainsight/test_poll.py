"""P5: polling Gainsight for survey responses, replayed from cassettes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from handoff_gainsight import GainsightConnector

from handoff_sdk import ConnectorError
from handoff_sdk.testing.harness import Harness, build_harness

CONFIG: dict[str, Any] = {
    "base_url": "https://gainsight.example.test",
    "page_size": 50,
    "fields": {
        "crm_account_id": "CompanyId__gr.SfdcAccountId",
        "owner_email": "CompanyId__gr.Csm__gr.Email",
    },
}
SECRETS = {"access_key": "synthetic-access-key", "webhook_secret": "synthetic-webhook-secret"}
MAIN_CURSOR = json.dumps(
    {"v": 1, "since": "2026-01-05T08:00:00+00:00", "ids": ["1P02SYNTHETIC00000000000000000000001"]}
)
HarnessFactory = Callable[..., Harness]


def _bodies(harness: Harness) -> list[dict[str, Any]]:
    return [json.loads(r.content) for r in harness.sent()]


async def test_p5_poll_turns_nps_csat_and_post_churn_responses_into_events(
    connector_harness: HarnessFactory,
) -> None:
    harness = connector_harness(
        GainsightConnector, config=CONFIG, secrets=SECRETS, cassette="poll_survey_responses"
    )
    result = await harness.connector.handoff_poll_events(cursor=MAIN_CURSOR)  # type: ignore[attr-defined]

    assert [e.type for e in result.events] == [
        "gainsight.survey.nps",
        "gainsight.survey.csat",
        "gainsight.survey.post_churn",
    ]
    nps, csat, churn = result.events
    assert nps.payload["respondent_email"] == "dana.lee@example.test"
    assert nps.payload["score"] == 9
    assert nps.payload["nps_category"] == "promoter"
    assert nps.payload["comment"] == "Pipelines got much faster after the upgrade."
    assert nps.payload["crm_account_id"] == "001SYNTHETIC000001"
    assert nps.occurred_at == datetime(2026, 1, 5, 8, 4, 55, tzinfo=UTC)
    assert csat.payload["score"] == 4
    assert csat.payload["company_name"] == "Sample Robotics LLC"
    assert churn.payload["owner_email"] == "owner.one@example.test"
    assert churn.payload["survey_name"] == "Post-Churn Survey 2026"
    assert len({e.dedupe_key for e in result.events}) == 3
    assert harness.api_calls == 1
    request = harness.sent()[0]
    assert request.url.path == "/v1/data/objects/query/survey_participant"
    assert request.headers["accesskey"] == SECRETS["access_key"]


async def test_p5_poll_cursor_resumes_after_the_last_record_read(
    connector_harness: HarnessFactory,
) -> None:
    harness = connector_harness(
        GainsightConnector, config=CONFIG, secrets=SECRETS, cassette="poll_survey_responses"
    )
    result = await harness.connector.handoff_poll_events(cursor=MAIN_CURSOR)  # type: ignore[attr-defined]
    cursor = json.loads(result.cursor)
    # The unanswered participant and the unclassified survey were read too:
    # both are at 08:40:00, so both ids are kept to be skipped next time.
    assert cursor["since"] == "2026-01-05T08:40:00+00:00"
    assert set(cursor["ids"]) == {
        "1P02SYNTHETIC00000000000000000000005",
        "1P02SYNTHETIC00000000000000000000006",
    }
    sent = _bodies(harness)[0]
    assert sent["where"]["conditions"][0]["value"] == ["2026-01-05T08:00:00+00:00"]
    assert sent["where"]["conditions"][1]["value"] == ["2026-01-05T09:00:00+00:00"]


async def test_p5_unmatched_surveys_are_kept_when_a_default_kind_is_configured(
    connector_harness: HarnessFactory,
) -> None:
    config = {**CONFIG, "unmatched_survey_kind": "csat"}
    harness = connector_harness(
        GainsightConnector, config=config, secrets=SECRETS, cassette="poll_survey_responses"
    )
    result = await harness.connector.handoff_poll_events(cursor=MAIN_CURSOR)  # type: ignore[attr-defined]
    assert [e.payload["survey_name"] for e in result.events][-1] == "Onboarding Feedback"
    assert result.events[-1].type == "gainsight.survey.csat"


async def test_pages_are_read_until_a_short_page(connector_harness: HarnessFactory) -> None:
    harness = connector_harness(
        GainsightConnector,
        config={"base_url": CONFIG["base_url"], "page_size": 2},
        secrets=SECRETS,
        cassette="poll_paged",
    )
    result = await harness.connector.handoff_poll_events(  # type: ignore[attr-defined]
        cursor="2026-01-05T07:00:00Z"
    )
    assert len(result.events) == 5
    assert harness.api_calls == 3
    assert [b["offset"] for b in _bodies(harness)] == [0, 2, 4]
    assert all(b["limit"] == 2 for b in _bodies(harness))
    assert json.loads(result.cursor)["since"] == "2026-01-05T07:04:00+00:00"


async def test_a_capped_poll_resumes_where_it_stopped(connector_harness: HarnessFactory) -> None:
    harness = connector_harness(
        GainsightConnector,
        config={"base_url": CONFIG["base_url"], "page_size": 2, "max_pages_per_poll": 2},
        secrets=SECRETS,
        cassette="poll_capped",
    )
    connector: Any = harness.connector
    first = await connector.handoff_poll_events(cursor="2026-01-05T07:00:00Z")
    assert len(first.events) == 4
    assert harness.api_calls == 2
    second = await connector.handoff_poll_events(cursor=first.cursor)
    assert len(second.events) == 1
    assert harness.api_calls == 3
    keys = {e.dedupe_key for e in first.events} | {e.dedupe_key for e in second.events}
    assert len(keys) == 5
    resumed = _bodies(harness)[2]
    assert resumed["offset"] == 0
    assert resumed["where"]["conditions"][0]["value"] == ["2026-01-05T07:03:00+00:00"]


def _mock(handler: Callable[[httpx.Request], httpx.Response], **config: Any) -> Harness:
    return build_harness(
        GainsightConnector,
        transport=httpx.MockTransport(handler),
        config={"base_url": CONFIG["base_url"], **config},
        secrets=SECRETS,
    )


async def test_the_first_poll_starts_from_now_without_calling_the_api() -> None:
    harness = _mock(lambda r: httpx.Response(500))
    result = await harness.connector.handoff_poll_events(cursor=None)  # type: ignore[attr-defined]
    assert result.events == []
    assert json.loads(result.cursor)["since"] == "2026-01-05T09:00:00+00:00"
    assert harness.api_calls == 0


async def test_the_first_poll_can_look_back() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, json={"result": True, "data": {"records": []}})

    harness = _mock(handler, initial_lookback_hours=24)
    result = await harness.connector.handoff_poll_events(cursor=None)  # type: ignore[attr-defined]
    assert seen[0]["where"]["conditions"][0]["value"] == ["2026-01-04T09:00:00+00:00"]
    assert json.loads(result.cursor)["since"] == "2026-01-04T09:00:00+00:00"


async def test_an_unreadable_cursor_is_a_clear_error() -> None:
    harness = _mock(lambda r: httpx.Response(500))
    with pytest.raises(ConnectorError, match=r"gainsight: unreadable poll cursor"):
        await harness.connector.handoff_poll_events(cursor="yesterday")  # type: ignore[attr-defined]
    assert harness.api_calls == 0


def test_base_url_must_be_https() -> None:
    with pytest.raises(ValueError, match="https"):
        GainsightConnector.config_model.model_validate({"base_url": "http://x.example.test"})
    config = GainsightConnector.config_model.model_validate({"base_url": "https://x.example.test/"})
    assert config.base_url == "https://x.example.test"  # type: ignore[attr-defined]


def test_page_size_is_capped_at_gainsights_maximum() -> None:
    with pytest.raises(ValueError, match="5000"):
        GainsightConnector.config_model.model_validate(
            {"base_url": "https://x.example.test", "page_size": 5001}
        )


def test_toml_has_no_null_so_empty_strings_switch_fields_off() -> None:
    config: Any = GainsightConnector.config_model.model_validate(
        {
            "base_url": "https://x.example.test",
            "unmatched_survey_kind": "",
            "fields": {"comment": "", "relationship_id": "", "owner_email": "Owner__gr.Email"},
        }
    )
    assert config.unmatched_survey_kind is None
    assert config.fields.comment is None
    assert "RelationshipId" not in config.fields.select()
    assert "Owner__gr.Email" in config.fields.select()
