"""Q11: the [writeback] table: defaults, and every bad value refused with its key named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from handoff.chat.flow import CHAT
from handoff.chat.writeback.config import WritebackConfig
from handoff.chat.writeback.conversation import CONVERSATION_FIELDS
from handoff.config import HubConfig, load_config, validate_table
from handoff.errors import ConfigFileError


def test_q11_defaults_write_identity_fields_and_show_the_basics() -> None:
    config = validate_table(WritebackConfig, {})
    assert config.enabled
    assert config.crm == "salesforce"
    assert config.lead_fields["Email"] == "email"
    assert config.lead_fields["LastName"] == "last_name"
    assert config.contact_fields == {"Phone": "phone", "Title": "title"}
    assert config.lead_placeholders == {"LastName": "[not provided]", "Company": "[not provided]"}
    assert [f.field for f in config.shown_lead_fields][:3] == ["name", "email", "company"]
    assert [f.label for f in config.shown_contact_fields] == ["Name", "Email", "Title", "Phone"]


def test_q11_a_full_table_is_read_as_written() -> None:
    config = validate_table(
        WritebackConfig,
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
        },
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
            "writeback.shown_lead_fields[0].label:",
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
        validate_table(WritebackConfig, table, "writeback")
    assert message in str(caught.value)


def test_q11_the_error_lists_the_conversation_fields_to_choose_from() -> None:
    with pytest.raises(ConfigFileError) as caught:
        validate_table(WritebackConfig, {"lead_fields": {"Phone": "telephone"}}, "writeback")
    for name in ("phone", "transcript", "utm_source", "rep_crm_id", "experience_name"):
        assert name in str(caught.value)
    assert set(CONVERSATION_FIELDS) >= {"email", "summary", "notes", "rep_id", "source"}


def test_q11_the_writeback_table_is_read_with_handoff_toml() -> None:
    assert CHAT.settings_of(HubConfig()).writeback is None, (
        "no [writeback] table: write-back is off"
    )
    assert CHAT.settings_of(HubConfig(writeback={})).writeback is None, "an empty table is off"
    wired = HubConfig(writeback={"crm": "salesforce", "lead_static": {"LeadSource": "Chat"}})
    config = CHAT.settings_of(wired).writeback
    assert isinstance(config, WritebackConfig)
    assert config.lead_static == {"LeadSource": "Chat"}


def test_q11_a_bad_writeback_table_is_an_error_at_load_naming_file_and_key(
    tmp_path: Path,
) -> None:
    path = tmp_path / "handoff.toml"
    path.write_text('[writeback]\nlead_fields = { X = "y" }\n')
    with pytest.raises(ConfigFileError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: writeback.lead_fields.X:")
