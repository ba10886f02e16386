"""Salesforce JSON <-> canonical entities, on the shapes the REST API really returns."""

from __future__ import annotations

from typing import Any

import pytest
from handoff_salesforce import AccountFields
from handoff_salesforce.mapping import (
    account_query_fields,
    case_to_record,
    collection_results,
    errors_from_body,
    lead_to_record,
    normalise_domain,
    parse_limit_info,
    record_to_account,
    record_to_contact,
    record_to_lead,
    update_to_record,
)

from handoff_sdk.entities import AccountUpdate, Case, Lead


@pytest.mark.parametrize(
    ("raw", "domain"),
    [
        ("northwind.example", "northwind.example"),
        ("https://www.Northwind.example/", "northwind.example"),
        ("HTTP://WWW.NORTHWIND.EXAMPLE:8080/en-us?x=1#top", "northwind.example"),
        ("www.fabrikam.example", "fabrikam.example"),
        ("jo@adventure-works.example", "adventure-works.example"),
        ("@adventure-works.example", "adventure-works.example"),
        ("shop.contoso.example.", "shop.contoso.example"),
        ("https://user@contoso.example/path", "contoso.example"),
        ("wwwhat.example", "wwwhat.example"),
        ("", None),
        (None, None),
        ("localhost", None),
        ("not a domain.example", None),
    ],
)
def test_normalise_domain(raw: str | None, domain: str | None) -> None:
    assert normalise_domain(raw) == domain


def _row(**extra: Any) -> dict[str, Any]:
    return {
        "attributes": {"type": "Account", "url": "/services/data/v61.0/sobjects/Account/001X"},
        "Id": "001Hd0000000002AAA",
        "Name": "Acme Corporation",
        "Website": "https://www.acme.example/",
        "Industry": "Manufacturing",
        "NumberOfEmployees": 2400,
        "BillingCountry": "United States",
        "BillingState": "CA",
        "Type": "Customer",
        "OwnerId": "005Hd0000000010AAA",
        "Owner": {"attributes": {"type": "User", "url": "/x"}, "Name": "Avery Owner"},
        "BDR_Assigned__c": "005Hd0000000021AAA",
        "Account_Status__c": "Actively Working",
        "Sector__c": None,
        "Sales_Geo__c": "AMER",
        **extra,
    }


def test_account_row_maps_standard_and_configured_custom_fields() -> None:
    account = record_to_account(_row(), AccountFields())
    assert account.ids == {"salesforce": "001Hd0000000002AAA"}
    assert account.name == "Acme Corporation"
    assert account.domain == "acme.example"
    assert account.owner_id == "005Hd0000000010AAA"
    assert account.owner_name == "Avery Owner"
    assert account.bdr_assigned_id == "005Hd0000000021AAA"
    assert account.status == "Actively Working"
    assert account.sector is None
    assert account.geo == "AMER"
    assert account.account_type == "Customer"
    assert account.employee_count == 2400
    assert account.fields == {}


def test_account_custom_field_names_come_from_config() -> None:
    fields = AccountFields(
        status="Working_Status__c", sector="Segment__c", carr="CARR__c", tier="Tier__c"
    )
    row = _row(Working_Status__c="Nurture", Segment__c="US Public Sector", CARR__c=125000.0)
    row["Tier__c"] = "Tier 2"
    account = record_to_account(row, fields, ["Owner.Name", "Rating"])
    assert account.status == "Nurture"
    assert account.sector == "US Public Sector"
    assert account.carr == 125000.0
    assert account.tier == "Tier 2"
    assert account.fields == {"Owner.Name": "Avery Owner", "Rating": None}


def test_query_fields_skip_switched_off_custom_fields() -> None:
    fields = AccountFields(sector=None, geo=None, domain="Domain__c")
    assert account_query_fields(fields, ["Rating"]) == [
        "BDR_Assigned__c",
        "Account_Status__c",
        "Domain__c",
        "Rating",
    ]


def test_domain_field_wins_over_website_when_configured() -> None:
    account = record_to_account(
        _row(Website="https://acme-legacy.example", Domain__c="Acme.example"),
        AccountFields(domain="Domain__c"),
    )
    assert account.domain == "acme.example"


def test_contact_and_lead_rows() -> None:
    contact = record_to_contact(
        {
            "attributes": {"type": "Contact"},
            "Id": "003A",
            "Email": "pat@acme.example",
            "FirstName": "Pat",
            "LastName": "Lee",
            "AccountId": "001A",
            "OwnerId": "005A",
        }
    )
    assert contact.ids == {"salesforce": "003A"}
    assert contact.account_id == "001A"
    lead = record_to_lead(
        {"Id": "00QA", "Email": "sam@globex.example", "Score__c": 42, "LeadSource": "Web"},
        "Score__c",
    )
    assert lead.score == 42.0
    assert lead.source == "Web"


def test_lead_record_puts_attributes_first_and_leaves_unknowns_untouched() -> None:
    lead = Lead(
        email="riley@globex.example",
        last_name="Chen",
        company="Globex",
        score=71,
        fields={"Industry": "Software"},
    )
    record = lead_to_record(lead, "Score__c")
    assert next(iter(record)) == "attributes"
    assert record == {
        "attributes": {"type": "Lead"},
        "Email": "riley@globex.example",
        "LastName": "Chen",
        "Company": "Globex",
        "Score__c": 71,
        "Industry": "Software",
    }


def test_update_record_sends_status_and_tier_to_their_fields() -> None:
    fields = AccountFields(tier="Tier__c")
    record = update_to_record(
        AccountUpdate(account_id="001A", tier="Tier 1", status="Actively Working"), fields
    )
    assert record == {
        "attributes": {"type": "Account"},
        "id": "001A",
        "Tier__c": "Tier 1",
        "Account_Status__c": "Actively Working",
    }
    with pytest.raises(ValueError, match=r"account_fields\.tier"):
        update_to_record(AccountUpdate(account_id="001A", tier="Tier 1"), AccountFields())


def test_case_record_keeps_the_trigger_in_the_description_without_a_field() -> None:
    case = Case(subject="Hand raise", description="Wants a quote.", trigger="pricing chat")
    assert case_to_record(case) == {
        "Subject": "Hand raise",
        "Description": "Wants a quote.\n\nTrigger: pricing chat",
    }
    assert case_to_record(case, "Trigger__c") == {
        "Subject": "Hand raise",
        "Description": "Wants a quote.",
        "Trigger__c": "pricing chat",
    }


def test_collection_results_report_each_record() -> None:
    body = [
        {"id": "00QA", "success": True, "errors": [], "created": True},
        {
            "success": False,
            "errors": [
                {
                    "statusCode": "REQUIRED_FIELD_MISSING",
                    "message": "Required fields are missing: [LastName]",
                    "fields": ["LastName"],
                }
            ],
            "created": False,
        },
        {"id": "001B", "success": True, "errors": []},
    ]
    results = collection_results(body, 3)
    assert [r.ok for r in results] == [True, False, True]
    assert results[0].created is True
    assert results[1].created is None
    assert results[1].errors[0].code == "REQUIRED_FIELD_MISSING"
    assert results[1].errors[0].fields == ["LastName"]
    assert results[2].created is None
    assert [r.index for r in results] == [0, 1, 2]


def test_collection_results_refuse_a_count_mismatch() -> None:
    with pytest.raises(ValueError, match="expected 2"):
        collection_results([{"id": "x", "success": True}], 2)
    with pytest.raises(ValueError, match="expected 2"):
        collection_results([{"message": "bad", "errorCode": "INVALID_FIELD"}], 2)


def test_errors_from_a_top_level_error_list() -> None:
    errors = errors_from_body(
        [{"message": "No such column 'foo' on sobject of type Lead", "errorCode": "INVALID_FIELD"}]
    )
    assert errors[0].code == "INVALID_FIELD"
    assert "foo" in errors[0].message


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("api-usage=45/15000", {"api-usage": (45, 15000)}),
        (
            "api-usage=25/5000, per-app-api-usage=17/250(appName=handoff)",
            {"api-usage": (25, 5000), "per-app-api-usage": (17, 250)},
        ),
        ("", {}),
        (None, {}),
        ("garbage", {}),
    ],
)
def test_parse_limit_info(header: str | None, expected: dict[str, tuple[int, int]]) -> None:
    assert parse_limit_info(header) == expected
