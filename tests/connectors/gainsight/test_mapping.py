"""Gainsight JSON -> P5 events, as pure functions (no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from handoff_gainsight.mapping import (
    PollCursor,
    SurveyFields,
    SurveyKindRule,
    SurveyRecordMark,
    SurveyResponse,
    classify_survey,
    default_kind_rules,
    nps_category,
    parse_datetime,
    parse_score,
    query_body,
    records_of,
    response_from_record,
    response_from_webhook,
    survey_event,
    webhook_items,
)

FIELDS = SurveyFields()
RULES = default_kind_rules()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("09/15/2025 10:02:08", datetime(2025, 9, 15, 10, 2, 8, tzinfo=UTC)),
        ("2025-09-15T10:02:08.000Z", datetime(2025, 9, 15, 10, 2, 8, tzinfo=UTC)),
        ("2025-09-15T12:02:08+02:00", datetime(2025, 9, 15, 10, 2, 8, tzinfo=UTC)),
        ("2025-09-15 10:02:08", datetime(2025, 9, 15, 10, 2, 8, tzinfo=UTC)),
        ("09/15/2025", datetime(2025, 9, 15, tzinfo=UTC)),
        (1757930528000, datetime(2025, 9, 15, 10, 2, 8, tzinfo=UTC)),
        (1757930528, datetime(2025, 9, 15, 10, 2, 8, tzinfo=UTC)),
    ],
)
def test_gainsight_dates_in_every_shape_read_as_utc(raw: object, expected: datetime) -> None:
    assert parse_datetime(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "not a date", True, {"a": 1}])
def test_unreadable_dates_are_none(raw: object) -> None:
    assert parse_datetime(raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(9, 9), ("9", 9), ("4.0", 4), (4.5, 4.5), (" 7 ", 7), ("", None), (None, None), ("n/a", None)],
)
def test_scores_become_numbers(raw: object, expected: object) -> None:
    assert parse_score(raw) == expected


def test_nan_and_booleans_are_not_scores() -> None:
    assert parse_score(float("nan")) is None
    assert parse_score(True) is None


@pytest.mark.parametrize(
    ("score", "band"),
    [(10, "promoter"), (9, "promoter"), (8, "passive"), (7, "passive"), (6, "detractor"),
     (0, "detractor"), (11, None), (None, None)],
)  # fmt: skip
def test_nps_bands(score: int | None, band: str | None) -> None:
    assert nps_category(score) == band


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Q1 NPS Relationship Survey", "nps"),
        ("Support CSAT Survey", "csat"),
        ("Customer Satisfaction - Support", "csat"),
        ("Post-Churn Survey 2026", "post_churn"),
        ("NPS after churn", "post_churn"),  # the first rule wins: churn is tested first
        ("Onboarding Feedback", None),
        (None, None),
    ],
)
def test_p5_survey_names_decide_the_kind(name: str | None, kind: str | None) -> None:
    assert classify_survey(name, RULES, None) == kind


def test_unmatched_surveys_take_the_configured_default() -> None:
    assert classify_survey("Onboarding Feedback", RULES, "csat") == "csat"
    custom = [SurveyKindRule(pattern="relationship*", kind="nps")]
    assert classify_survey("Relationship Pulse", custom, None) == "nps"
    assert classify_survey("Q1 NPS", custom, None) is None


def test_query_body_reads_a_window_by_modified_date_oldest_first() -> None:
    since = datetime(2026, 1, 5, 8, tzinfo=UTC)
    until = datetime(2026, 1, 5, 9, tzinfo=UTC)
    body = query_body(FIELDS, since, until, limit=100, offset=200)
    assert body["orderBy"] == {"ModifiedDate": "asc"}
    assert body["limit"] == 100
    assert body["offset"] == 200
    conditions = body["where"]["conditions"]
    assert [(c["operator"], c["value"]) for c in conditions] == [
        ("GTE", ["2026-01-05T08:00:00+00:00"]),
        ("LTE", ["2026-01-05T09:00:00+00:00"]),
    ]
    assert body["where"]["expression"] == "A AND B"
    assert "SurveyId__gr.Title" in body["select"]
    assert len(body["select"]) == len(set(body["select"]))


def test_unset_optional_fields_are_not_selected() -> None:
    fields = SurveyFields(comment=None, relationship_id=None, crm_account_id=None)
    select = fields.select()
    assert "Comment" not in select
    assert "RelationshipId" not in select
    assert select[0] == "Gsid"


def test_records_of_reads_data_records_or_a_bare_list() -> None:
    assert records_of({"result": True, "data": {"records": [{"Gsid": "a"}, "junk"]}}) == [
        {"Gsid": "a"}
    ]
    assert records_of({"result": True, "data": [{"Gsid": "b"}]}) == [{"Gsid": "b"}]
    assert records_of({"result": True, "data": None}) == []
    assert records_of("nope") == []


def _record(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "Gsid": "1P02X",
        "ModifiedDate": "01/05/2026 08:05:10",
        "RespondedDate": "01/05/2026 08:04:55",
        "Score": "9",
        "Comment": "  Great  ",
        "EmailAddress": " Dana.Lee@Example.test ",
        "SurveyId": "1P04X",
        "SurveyId__gr.Title": "Q1 NPS",
        "CompanyId": "1P03X",
        "CompanyId__gr.Name": "Example Widgets Inc",
        "RelationshipId": None,
    }
    base.update(over)
    return base


def test_a_polled_record_becomes_a_response() -> None:
    response = response_from_record(_record(), FIELDS)
    assert response is not None
    assert response.response_id == "1P02X"
    assert response.score == 9
    assert response.comment == "Great"
    assert response.email == "dana.lee@example.test"
    assert response.responded_at == datetime(2026, 1, 5, 8, 4, 55, tzinfo=UTC)
    assert response.modified_at == datetime(2026, 1, 5, 8, 5, 10, tzinfo=UTC)
    assert response.company_name == "Example Widgets Inc"
    assert response.relationship_id is None


def test_unanswered_participants_and_idless_records_are_not_responses() -> None:
    assert response_from_record(_record(Score=None, Comment=None), FIELDS) is None
    assert response_from_record(_record(Gsid=None), FIELDS) is None
    comment_only = response_from_record(_record(Score=None), FIELDS)
    assert comment_only is not None
    assert comment_only.score is None


def test_the_responded_date_falls_back_to_the_modified_date() -> None:
    response = response_from_record(_record(RespondedDate=None), FIELDS)
    assert response is not None
    assert response.responded_at == datetime(2026, 1, 5, 8, 5, 10, tzinfo=UTC)


def test_p5_nps_event_carries_what_the_case_needs() -> None:
    response = response_from_record(_record(), FIELDS)
    assert response is not None
    event = survey_event(response, "nps")
    assert event.type == "gainsight.survey.nps"
    assert event.source == "gainsight"
    assert event.dedupe_key == "gainsight:survey_response:1P02X"
    assert event.occurred_at == datetime(2026, 1, 5, 8, 4, 55, tzinfo=UTC)
    assert event.payload["score"] == 9
    assert event.payload["nps_category"] == "promoter"
    assert event.payload["respondent_email"] == "dana.lee@example.test"
    assert event.payload["company_id"] == "1P03X"
    assert event.payload["survey_name"] == "Q1 NPS"
    assert event.payload["responded_at"] == "2026-01-05T08:04:55+00:00"


def test_p5_csat_and_post_churn_events_have_no_nps_band() -> None:
    response = SurveyResponse("r1", "Exit", 2, "a@example.test", None)
    churn = survey_event(response, "post_churn")
    assert churn.type == "gainsight.survey.post_churn"
    assert "nps_category" not in churn.payload
    assert survey_event(response, "csat").type == "gainsight.survey.csat"
    assert churn.dedupe_key == survey_event(response, "csat").dedupe_key


def test_webhook_bodies_in_three_shapes() -> None:
    one = {"response_id": "a"}
    assert webhook_items(one) == [one]
    assert webhook_items([one, "junk", {"response_id": "b"}]) == [one, {"response_id": "b"}]
    assert webhook_items({"responses": [one]}) == [one]
    assert webhook_items("text") == []


def test_a_webhook_item_becomes_a_response() -> None:
    response = response_from_webhook(
        {
            "response_id": "r9",
            "survey_kind": "Post-Churn",
            "score": "3",
            "email": "Alex@Example.test",
            "responded_at": "2026-01-05T08:59:00Z",
        }
    )
    assert response.kind == "post_churn"
    assert response.score == 3
    assert response.email == "alex@example.test"
    assert response.responded_at == datetime(2026, 1, 5, 8, 59, tzinfo=UTC)


def test_a_webhook_item_without_id_or_with_a_bad_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="response_id"):
        response_from_webhook({"score": 9})
    with pytest.raises(ValueError, match="survey_kind"):
        response_from_webhook({"response_id": "r1", "survey_kind": "ces"})


def test_cursor_round_trips_and_accepts_a_bare_timestamp() -> None:
    cursor = PollCursor(datetime(2026, 1, 5, 8, tzinfo=UTC), frozenset({"b", "a"}))
    assert PollCursor.loads(cursor.dumps()) == cursor
    assert PollCursor.loads("2026-01-01T00:00:00Z") == PollCursor(datetime(2026, 1, 1, tzinfo=UTC))
    for bad in ("garbage", '{"ids": []}', '{"since": "2026-01-01", "ids": "x"}'):
        with pytest.raises(ValueError, match="cursor"):
            PollCursor.loads(bad)


def test_cursor_advances_to_the_latest_date_and_keeps_the_ids_tied_at_it() -> None:
    start = datetime(2026, 1, 5, 8, tzinfo=UTC)
    later = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)
    cursor = PollCursor(start, frozenset({"old"}))
    assert cursor.advance([]) == cursor
    tie = cursor.advance([SurveyRecordMark("new", start)])
    assert tie == PollCursor(start, frozenset({"old", "new"}))
    moved = cursor.advance(
        [SurveyRecordMark("x", later), SurveyRecordMark("y", later), SurveyRecordMark("z", None)]
    )
    assert moved == PollCursor(later, frozenset({"x", "y"}))
