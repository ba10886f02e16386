"""Q11: which Lead/Contact fields the rep is shown is configuration."""

from __future__ import annotations

from handoff.chat.writeback.config import WritebackConfig
from handoff.chat.writeback.rep_view import rep_view
from handoff.config import validate_table
from handoff_sdk.entities import Contact, Lead

LEAD = Lead(
    ids={"salesforce": "00Q1"},
    email="sam.rivera@globex.example",
    first_name="Sam",
    last_name="Rivera",
    company="Globex",
    status="Working",
    score=87.0,
    fields={"Rating": "Hot", "Owner.Name": "Avery Owner", "Do_Not_Route__c": False},
)
CONTACT = Contact(
    ids={"salesforce": "0031"},
    email="pat.lee@acme.example",
    first_name="Pat",
    last_name="Lee",
    title="Director of IT",
)


def test_q11_default_view_of_a_lead_leaves_out_empty_fields() -> None:
    assert rep_view(LEAD, validate_table(WritebackConfig, {})) == [
        ("Name", "Sam Rivera"),
        ("Email", "sam.rivera@globex.example"),
        ("Company", "Globex"),
        ("Lead status", "Working"),
    ]


def test_q11_default_view_of_a_contact() -> None:
    assert rep_view(CONTACT, validate_table(WritebackConfig, {})) == [
        ("Name", "Pat Lee"),
        ("Email", "pat.lee@acme.example"),
        ("Title", "Director of IT"),
    ]


def test_q11_configured_fields_in_configured_order_with_crm_fields() -> None:
    config = validate_table(
        WritebackConfig,
        {
            "shown_lead_fields": [
                {"label": "Rating", "field": "Rating"},
                {"label": "Score", "field": "score"},
                {"label": "Owner", "field": "Owner.Name"},
                {"label": "Do not route", "field": "Do_Not_Route__c"},
                {"label": "Phone", "field": "phone"},
            ],
            "shown_contact_fields": [{"label": "Who", "field": "name"}],
        },
    )
    assert rep_view(LEAD, config) == [
        ("Rating", "Hot"),
        ("Score", "87"),
        ("Owner", "Avery Owner"),
        ("Do not route", "no"),
    ]
    assert rep_view(CONTACT, config) == [("Who", "Pat Lee")]


def test_q11_show_empty_keeps_every_configured_line() -> None:
    config = validate_table(
        WritebackConfig,
        {
            "show_empty": True,
            "shown_contact_fields": [
                {"label": "Phone", "field": "phone"},
                {"label": "Tier", "field": "Tier__c"},
                {"label": "Title", "field": "title"},
            ],
        },
    )
    assert rep_view(CONTACT, config) == [("Phone", ""), ("Tier", ""), ("Title", "Director of IT")]


def test_q11_nobody_known_shows_nothing() -> None:
    assert rep_view(None, validate_table(WritebackConfig, {})) == []
