"""The pure mapping functions, one Marketo shape at a time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from handoff_marketo.mapping import (
    SignupPayloadError,
    activity_to_event,
    lead_to_marketo,
    parse_marketo_datetime,
    program_from_marketo,
    qualified_programs,
    signup_to_lead,
    tags_to_dict,
    upsert_results,
)

from handoff_sdk.entities import Lead, Program


def test_lead_fields_use_marketo_api_names_and_skip_unset_values() -> None:
    lead = Lead(
        email="ada@example.test",
        first_name="Ada",
        title="CTO",
        phone="+1 555 0100",
        country="United Kingdom",
        status="Open",
        score=20.4,
        source="Webinar",
        owner_id="005xx",
        ids={"marketo": "77"},
        fields={"Preferred_Language__c": "en", "title": "Chief Technology Officer"},
    )
    assert lead_to_marketo(lead) == {
        "email": "ada@example.test",
        "firstName": "Ada",
        "title": "Chief Technology Officer",  # an explicit API-name field wins
        "phone": "+1 555 0100",
        "country": "United Kingdom",
        "leadStatus": "Open",
        "leadScore": 20,
        "leadSource": "Webinar",
        "Preferred_Language__c": "en",
    }


def test_marketo_id_is_sent_only_when_it_is_the_lookup_field() -> None:
    lead = Lead(email="ada@example.test", ids={"marketo": "77"})
    assert "id" not in lead_to_marketo(lead, "email")
    assert lead_to_marketo(lead, "id")["id"] == 77


def test_upsert_statuses_map_to_write_results() -> None:
    results = upsert_results(
        [
            {"id": 1, "status": "created"},
            {"id": 2, "status": "updated"},
            {
                "status": "skipped",
                "reasons": [{"code": "1006", "message": "Field 'foo' not found"}],
            },
            {"status": "skipped"},
        ],
        4,
    )
    assert [(r.index, r.ok, r.created, r.id) for r in results] == [
        (0, True, True, "1"),
        (1, True, False, "2"),
        (2, False, None, None),
        (3, False, None, None),
    ]
    assert results[2].errors[0].code == "1006"
    assert "without a reason" in results[3].errors[0].message


def test_a_result_array_of_the_wrong_length_fails_every_record() -> None:
    results = upsert_results([{"id": 1, "status": "created"}], 3)
    assert len(results) == 3
    assert not any(r.ok for r in results)
    assert "1 results for 3 leads" in results[0].errors[0].message
    assert len(upsert_results(None, 2)) == 2


def test_program_tags_become_a_dict() -> None:
    item = {
        "id": 1107,
        "name": "Spring Webinar",
        "channel": "Webinar",
        "tags": [
            {"tagType": "UsedWithQualified", "tagValue": "True"},
            {"tagType": "Region", "tagValue": "EMEA"},
        ],
    }
    program = program_from_marketo(item)
    assert program.ids == {"marketo": "1107"}
    assert program.tags == {"UsedWithQualified": "True", "Region": "EMEA"}
    assert program.used_with_qualified
    assert program_from_marketo({"id": 1, "name": "Browse item"}).tags == {}
    assert tags_to_dict([{"tagType": "", "tagValue": "x"}, "junk", {"tagType": "A"}]) == {}


@pytest.mark.parametrize(
    ("tags", "shown"),
    [
        ({"UsedWithQualified": "True"}, True),
        ({"UsedWithQualified": "true"}, True),
        ({"UsedWithQualified": "False"}, False),
        ({"UsedWithQualified": "false"}, False),
        ({}, False),
        ({"Region": "True"}, False),
    ],
)
def test_q13_only_used_with_qualified_true_is_shown(tags, shown) -> None:
    programs = [Program(name="p", tags=tags)]
    assert (qualified_programs(programs) == programs) is shown


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-05T09:01:00Z",
        "2026-01-05T09:01:00+0000",
        "2026-01-05T09:01:00Z+0000",
        "2026-01-05T10:01:00+01:00",
    ],
)
def test_marketo_datetimes_parse_to_utc_instants(text) -> None:
    assert parse_marketo_datetime(text) == datetime(2026, 1, 5, 9, 1, tzinfo=UTC)


def test_unparseable_datetimes_are_none() -> None:
    assert parse_marketo_datetime("yesterday") is None
    assert parse_marketo_datetime(None) is None


def test_custom_activity_types_keep_their_id_in_the_event_type() -> None:
    event = activity_to_event(
        {
            "marketoGUID": "abc-1",
            "leadId": 5,
            "activityTypeId": 100001,
            "activityDate": "2026-01-05T09:01:00Z",
            "attributes": [],
        }
    )
    assert event.type == "marketo.activity.type_100001"
    assert event.dedupe_key == "marketo:activity:abc-1"


def test_change_data_value_keeps_its_fields() -> None:
    event = activity_to_event(
        {
            "id": 9,
            "marketoGUID": "9",
            "leadId": 5,
            "activityTypeId": 13,
            "activityDate": "2026-01-05T09:01:00Z",
            "fields": [{"id": 62, "name": "state", "newValue": "NC", "oldValue": None}],
        }
    )
    assert event.type == "marketo.activity.change_data_value"
    assert event.payload["fields"][0]["newValue"] == "NC"


@pytest.mark.parametrize(
    "payload",
    [
        {"first_name": "Trial", "last_name": "User", "email": "t@example.test", "company": "Ex"},
        {"firstName": "Trial", "lastName": "User", "Email": "t@example.test", "companyName": "Ex"},
        {
            "First Name": "Trial",
            "Last Name": "User",
            "Email Address": "t@example.test",
            "Company": "Ex",
        },
        {
            "account": {
                "first_name": "Trial",
                "last_name": "User",
                "email": "t@example.test",
                "company_name": "Ex",
            }
        },
        {"name": "Trial User", "email": "t@example.test", "organization": "Ex"},
    ],
)
def test_d8_signup_payloads_in_their_usual_spellings(payload) -> None:
    lead = signup_to_lead(payload, source="Purchase")
    assert (lead.first_name, lead.last_name, lead.email, lead.company, lead.source) == (
        "Trial",
        "User",
        "t@example.test",
        "Ex",
        "Purchase",
    )


def test_d8_top_level_keys_win_over_nested_ones() -> None:
    lead = signup_to_lead({"email": "top@example.test", "account": {"email": "n@example.test"}})
    assert lead.email == "top@example.test"
    assert lead.first_name is None


@pytest.mark.parametrize(
    "payload", [{}, {"email": ""}, {"email": "not-an-email"}, {"email": "two words@example.test"}]
)
def test_d8_needs_an_email(payload) -> None:
    with pytest.raises(SignupPayloadError, match="marketo: signup payload field 'email'"):
        signup_to_lead(payload)
