"""Q11: the [writeback] table: defaults, and every bad value refused with its key named."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import Field

from handoff.chat.writeback import (
    CONVERSATION_FIELDS,
    WritebackConfig,
    load_writeback,
    writeback_of,
)
from handoff.config import HubConfig
from handoff.errors import ConfigFileError


def test_q11_defaults_write_identity_fields_and_show_the_basics() -> None:
    config = load_writeback({})
    assert config.enabled
    assert config.crm == "salesforce"
    assert config.lead_fields["Email"] == "email"
    assert config.lead_fields["LastName"] == "last_name"
    assert config.contact_fields == {"Phone": "phone", "Title": "title"}
    assert config.lead_placeholders == {"LastName": "[not provided]", "Company": "[not provided]"}
    assert [f.field for f in config.shown_lead_fields][:3] == ["name", "email", "company"]
    assert [f.label for f in config.shown_contact_fields] == ["Name", "Email", "Title", "Phone"]


def test_q11_a_full_table_is_read_as_written() -> None:
    config = load_writeback(
        {
            "crm": "salesforce",
            "lead_fields": {"Email": "email", "Chat_Transcript__c": "transcript"},
            "contact_fields": {"Last_Chat_Rep__c": "rep_crm_id"},
            "lead_static": {"LeadSource": "Website Chat", "Chat_Lead__c": True},
            "shown_lead_fields": [
                {"label": "Tier", "field": "Tier__c"},
                {"label": "Owner", "field": "Owner.Name"},
            ],
            "shown_contact_fields": [{"label": "Title", "field": "title"}],
            "show_empty": True,
            "max_text_length": 5000,
        }
    )
    assert config.lead_fields == {"Email": "email", "Chat_Transcript__c": "transcript"}
    assert config.lead_static == {"LeadSource": "Website Chat", "Chat_Lead__c": True}
    assert [(f.label, f.field) for f in config.shown_lead_fields] == [
        ("Tier", "Tier__c"),
        ("Owner", "Owner.Name"),
    ]
    assert config.max_text_length == 5000


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"lead_fields": {"Chat_Summary__c": "sumary"}},
            "writeback.lead_fields.Chat_Summary__c: 'sumary' is not a conversation field",
        ),
        (
            {"contact_fields": {"Title": "job"}},
            "writeback.contact_fields.Title: 'job' is not a conversation field",
        ),
        (
            {"lead_fields": {"Chat Summary": "summary"}},
            "writeback.lead_fields: 'Chat Summary': not a CRM field API name",
        ),
        (
            {"lead_static": {"Lead-Source": "x"}},
            "writeback.lead_static: 'Lead-Source': not a CRM field API name",
        ),
        (
            {"shown_lead_fields": [{"label": "Co", "field": "compnay"}]},
            "writeback.shown_lead_fields[0].field: 'compnay' is not a Lead attribute",
        ),
        (
            {"shown_contact_fields": [{"label": "Co", "field": "company"}]},
            "writeback.shown_contact_fields[0].field: 'company' is not a Contact attribute",
        ),
        (
            {"shown_lead_fields": [{"label": "X", "field": "Bad Field"}]},
            "writeback.shown_lead_fields[0].field: 'Bad Field' is not a CRM field API name",
        ),
        (
            {"shown_lead_fields": [{"label": "", "field": "email"}]},
            "writeback.shown_lead_fields.0.label:",
        ),
        (
            {"lead_static": {"Email": "x@y.example"}},
            "writeback.lead_static.Email: also in lead_fields",
        ),
        ({"max_text_length": 10}, "writeback.max_text_length:"),
        ({"crm": ""}, "writeback.crm:"),
        ({"lead_feilds": {}}, "writeback.lead_feilds: unknown key"),
    ],
)
def test_q11_bad_values_are_refused_naming_the_key(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigFileError) as caught:
        load_writeback(table)
    assert message in str(caught.value)


def test_q11_the_error_lists_the_conversation_fields_to_choose_from() -> None:
    with pytest.raises(ConfigFileError) as caught:
        load_writeback({"lead_fields": {"Phone": "telephone"}})
    for name in ("phone", "transcript", "utm_source", "rep_crm_id", "experience_name"):
        assert name in str(caught.value)
    assert set(CONVERSATION_FIELDS) >= {"email", "summary", "notes", "rep_id", "source"}


class _WiredHubConfig(HubConfig):
    """HubConfig with the one-line `writeback` field the lead adds."""

    writeback: dict[str, Any] = Field(default_factory=dict)


def test_q11_writeback_of_reads_the_hub_config_table() -> None:
    assert writeback_of(HubConfig()) is None, "no [writeback] table: write-back is off"
    assert writeback_of(_WiredHubConfig()) is None
    wired = _WiredHubConfig(writeback={"crm": "salesforce", "lead_static": {"LeadSource": "Chat"}})
    config = writeback_of(wired)
    assert isinstance(config, WritebackConfig)
    assert config.lead_static == {"LeadSource": "Chat"}


def test_q11_writeback_of_names_the_file_and_key(tmp_path: Any) -> None:
    bad = _WiredHubConfig(path=tmp_path / "handoff.toml", writeback={"lead_fields": {"X": "y"}})
    with pytest.raises(ConfigFileError) as caught:
        writeback_of(bad)
    assert str(caught.value).startswith(f"{tmp_path / 'handoff.toml'}: writeback.lead_fields.X:")
