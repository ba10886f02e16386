"""Q11: the write-back plan, pure: a Contact is updated, a Lead (or nobody) is upserted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from handoff.chat.kinds import WRITEBACK_CONTACT_JOB
from handoff.chat.writeback.config import WritebackConfig
from handoff.chat.writeback.conversation import ConversationData
from handoff.chat.writeback.plan import WritebackError, plan
from handoff.config import validate_table
from handoff.runtime import HOOK_KIND
from handoff.runtime.jobs import decode_hook_arguments
from handoff_sdk.entities import Contact, Lead

CONFIG = validate_table(
    WritebackConfig,
    {
        "lead_fields": {
            "Email": "email",
            "FirstName": "first_name",
            "LastName": "last_name",
            "Company": "company",
            "Phone": "phone",
            "Chat_Summary__c": "summary",
            "Chat_Transcript__c": "transcript",
            "UTM_Source__c": "utm_source",
            "UTM_Campaign__c": "utm_campaign",
            "Chat_Rep__c": "rep_name",
            "Chat_Experience__c": "experience_name",
            "OwnerId": "rep_crm_id",
        },
        "contact_fields": {
            "Title": "title",
            "Chat_Summary__c": "summary",
            "Chat_Notes__c": "notes",
            "Last_Chat_Rep__c": "rep_crm_id",
            "Last_Chat_At__c": "ended_at",
        },
        "lead_static": {"LeadSource": "Website Chat"},
        "contact_static": {"Chatted__c": True},
    },
)

CHAT: dict[str, Any] = {
    "conversation_id": "conv-42",
    "email": "jamie.ortiz@wayne.example",
    "first_name": "Jamie",
    "company": "Wayne Enterprises",
    "title": "CISO",
    "summary": "Wants SSO for 400 seats.",
    "notes": "Follow up Tuesday.",
    "transcript": "Visitor: SAML?\nRiley: Yes.",
    "rep_id": "riley",
    "rep_name": "Riley Rep",
    "rep_ids": {"salesforce": "005RILEY", "outreach": "17"},
    "page_url": "https://www.example.test/pricing?utm_source=google&utm_campaign=sso-2026",
    "experience_name": "Pricing",
    "ended_at": datetime(2026, 1, 5, 15, 30, tzinfo=UTC),
}

CONTACT = Contact(ids={"salesforce": "003PAT"}, email="jamie.ortiz@wayne.example", title="CTO")
LEAD = Lead(ids={"salesforce": "00QJAMIE"}, email="jamie.ortiz@wayne.example", last_name="Ortiz")


def _lead_of(job: Any) -> Lead:
    (lead,) = decode_hook_arguments(job.hook, job.payload)["leads"]
    assert isinstance(lead, Lead)
    return lead


def test_q11_a_contact_gets_its_mapped_fields_updated() -> None:
    (job,) = plan(CHAT, CONTACT, CONFIG).jobs
    assert job.kind == WRITEBACK_CONTACT_JOB
    assert job.connector == "salesforce"
    assert job.idempotency_key == "writeback:conv-42:contact"
    (sent,) = [Contact.model_validate(c) for c in job.payload["contacts"]]
    assert sent.ids == {"salesforce": "003PAT"}
    assert sent.email == "jamie.ortiz@wayne.example"
    assert sent.fields == {
        "Title": "CISO",
        "Chat_Summary__c": "Wants SSO for 400 seats.",
        "Chat_Notes__c": "Follow up Tuesday.",
        "Last_Chat_Rep__c": "005RILEY",
        "Last_Chat_At__c": "2026-01-05T15:30:00+00:00",
        "Chatted__c": True,
    }
    assert sent.title is None, "only `fields` are set: nothing else is overwritten"


def test_q11_a_known_lead_is_upserted_without_placeholders() -> None:
    (job,) = plan(CHAT, LEAD, CONFIG).jobs
    assert (job.kind, job.connector, job.hook) == (HOOK_KIND, "salesforce", "handoff_upsert_leads")
    assert job.idempotency_key == "writeback:conv-42:lead"
    lead = _lead_of(job)
    assert lead.email == "jamie.ortiz@wayne.example"
    assert lead.fields == {
        "Email": "jamie.ortiz@wayne.example",
        "FirstName": "Jamie",
        "Company": "Wayne Enterprises",
        "Chat_Summary__c": "Wants SSO for 400 seats.",
        "Chat_Transcript__c": "Visitor: SAML?\nRiley: Yes.",
        "UTM_Source__c": "google",
        "UTM_Campaign__c": "sso-2026",
        "Chat_Rep__c": "Riley Rep",
        "Chat_Experience__c": "Pricing",
        "OwnerId": "005RILEY",
        "LeadSource": "Website Chat",
    }
    assert "LastName" not in lead.fields, "the lead's own last name (Ortiz) is kept"


def test_q11_nobody_found_creates_a_lead_with_placeholders_for_required_fields() -> None:
    (job,) = plan(CHAT, None, CONFIG).jobs
    lead = _lead_of(job)
    assert lead.fields["LastName"] == "[not provided]"
    assert lead.fields["Company"] == "Wayne Enterprises", "a given value beats the placeholder"
    result = plan(CHAT, None, CONFIG)
    assert result.action == "upsert_lead"
    assert result.sources["LastName"] == "placeholder"
    assert result.sources["UTM_Source__c"] == "utm_source"
    assert "not in the CRM" in result.why


def test_q11_missing_values_are_not_sent_so_the_crm_keeps_its_own() -> None:
    (job,) = plan({"conversation_id": "c1", "email": "a@b.example"}, LEAD, CONFIG).jobs
    assert _lead_of(job).fields == {"Email": "a@b.example", "LeadSource": "Website Chat"}
    (job,) = plan({"conversation_id": "c1", "first_name": "  "}, CONTACT, CONFIG).jobs
    assert Contact.model_validate(job.payload["contacts"][0]).fields == {"Chatted__c": True}


def test_q11_nothing_to_write_for_a_contact_means_no_job() -> None:
    bare = CONFIG.model_copy(update={"contact_static": {}})
    result = plan({"conversation_id": "c1"}, CONTACT, bare)
    assert result.jobs == []
    assert result.action == "none"


def test_q11_no_email_and_nobody_found_writes_nothing() -> None:
    assert plan({"conversation_id": "c1", "first_name": "Jo"}, None, CONFIG).jobs == []


def test_q11_the_found_leads_email_is_used_when_the_chat_has_none() -> None:
    (job,) = plan({"conversation_id": "c1"}, LEAD, CONFIG).jobs
    assert _lead_of(job).email == "jamie.ortiz@wayne.example"


def test_q11_switched_off_writes_nothing() -> None:
    off = CONFIG.model_copy(update={"enabled": False})
    assert plan(CHAT, None, off).jobs == []
    assert plan(CHAT, CONTACT, off).jobs == []


def test_q11_keys_come_from_the_conversation_id_only() -> None:
    """Same conversation = same key (a replay writes once); another conversation, another key."""
    first = plan(CHAT, None, CONFIG).jobs
    again = plan({**CHAT, "summary": "changed"}, LEAD, CONFIG).jobs
    other = plan({**CHAT, "conversation_id": "conv-43"}, None, CONFIG).jobs
    assert first[0].idempotency_key == again[0].idempotency_key == "writeback:conv-42:lead"
    assert other[0].idempotency_key == "writeback:conv-43:lead"
    assert plan(CHAT, None, CONFIG).jobs == first, "pure: the same input, the same jobs"


def test_q11_a_contact_without_an_id_in_the_crm_is_an_error() -> None:
    stranger = Contact(ids={"hubspot": "9"}, email="x@y.example")
    with pytest.raises(WritebackError, match=r"no id in 'salesforce'"):
        plan(CHAT, stranger, CONFIG)


def test_q11_long_text_is_cut_to_max_text_length() -> None:
    short = CONFIG.model_copy(update={"max_text_length": 100})
    (job,) = plan({**CHAT, "transcript": "x" * 500}, None, short).jobs
    text = _lead_of(job).fields["Chat_Transcript__c"]
    assert len(text) == 100
    assert text.endswith(" [truncated]")


def test_q11_given_utm_values_beat_the_page_url() -> None:
    data = ConversationData.model_validate({**CHAT, "utm_source": "linkedin"})
    assert data.utm_source == "linkedin"
    assert data.utm_campaign == "sso-2026"
    assert data.value("name", "salesforce") == "Jamie"
    assert data.value("rep_crm_id", "outreach") == "17"
    assert data.value("rep_crm_id", "hubspot") is None


def test_q11_another_crm_is_written_through_its_own_connector() -> None:
    hub_config = CONFIG.model_copy(update={"crm": "hubspot"})
    (job,) = plan(CHAT, None, hub_config).jobs
    assert job.connector == "hubspot"
    assert "OwnerId" not in _lead_of(job).fields, "the rep has no hubspot id"
