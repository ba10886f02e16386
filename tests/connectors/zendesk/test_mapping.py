"""Zendesk JSON <-> canonical entities, on the shapes Zendesk really sends (synthetic values)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from handoff_zendesk import mapping

from handoff_sdk.entities import Case

SIGNED_AT = datetime(2026, 1, 5, 8, 59, 30, tzinfo=UTC)


def _ticket(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": 5001,
        "subject": "Quote for 40 seats",
        "status": "open",
        "priority": "normal",
        "requester_id": 90001,
        "assignee_id": None,
        "tags": ["quote"],
        "custom_fields": [{"id": 42, "value": True}, {"id": 77, "value": None}],
        "via": {"channel": "email", "source": {"from": {}, "to": {}, "rel": None}},
        "created_at": "2026-01-05T08:40:00Z",
        "updated_at": "2026-01-05T08:58:10Z",
        "description": "long text that events do not carry",
    }
    base.update(over)
    return base


# -- people (Q1, Z2) ------------------------------------------------------------------


def test_user_becomes_contact_with_split_name_and_zendesk_id_q1() -> None:
    contact = mapping.user_to_contact(
        {
            "id": 90001,
            "name": "Ana Sofia Lima",
            "email": "Ana.Lima@Example.com",
            "phone": "+351 210 000 123",
            "role": "end-user",
            "organization_id": 70001,
            "tags": ["prospect"],
            "user_fields": {"plan": "free"},
            "external_id": None,
        }
    )
    assert contact is not None
    assert contact.ids == {"zendesk": "90001"}
    assert contact.email == "ana.lima@example.com"
    assert (contact.first_name, contact.last_name) == ("Ana Sofia", "Lima")
    assert contact.phone == "+351 210 000 123"
    assert contact.fields == {
        "role": "end-user",
        "organization_id": 70001,
        "tags": ["prospect"],
        "user_fields": {"plan": "free"},
    }


def test_user_without_email_is_no_contact() -> None:
    assert mapping.user_to_contact({"id": 1, "name": "Phone Only", "email": None}) is None


def test_split_name_edge_cases() -> None:
    assert mapping.split_name("Cher") == (None, "Cher")
    assert mapping.split_name("  ") == (None, None)
    assert mapping.split_name(None) == (None, None)


# -- cases (P4-P6, Z2) ------------------------------------------------------------------


def test_case_becomes_ticket_with_priority_status_and_source_notes() -> None:
    ticket = mapping.case_to_ticket(
        Case(
            subject="Quote for 40 seats",
            description="Prospect has a PO.",
            priority="High",
            status="Open",
            source="zendesk",
            trigger="Z3 purchase order",
            owner_id="005CRMUSER",
            fields={"requester_id": 90001, "tags": ["sales_escalation"]},
        )
    )
    assert ticket == {
        "subject": "Quote for 40 seats",
        "comment": {"body": "Prospect has a PO.\n\nSource: zendesk\nTrigger: Z3 purchase order"},
        "priority": "high",
        "status": "open",
        "requester_id": 90001,
        "tags": ["sales_escalation"],
    }


def test_case_values_zendesk_does_not_accept_are_left_out() -> None:
    ticket = mapping.case_to_ticket(Case(subject="Hi", priority="P1", status="New business"))
    assert ticket == {"subject": "Hi", "comment": {"body": "Hi"}}


def test_chunk_payloads_maps_cases_and_keeps_mappings() -> None:
    payloads = mapping.chunk_payloads(
        [Case(subject="A"), {"subject": "B", "comment": {"body": "b"}}]
    )
    assert payloads == [
        {"subject": "A", "comment": {"body": "A"}},
        {"subject": "B", "comment": {"body": "b"}},
    ]


# -- tickets from the export (Z6) --------------------------------------------------------


def test_ticket_event_kinds_and_dedupe_key() -> None:
    created = mapping.ticket_to_event(_ticket(updated_at="2026-01-05T08:40:00Z"))
    updated = mapping.ticket_to_event(_ticket())
    deleted = mapping.ticket_to_event(_ticket(status="deleted"))
    assert [created.type, updated.type, deleted.type] == [
        "zendesk.ticket.created",
        "zendesk.ticket.updated",
        "zendesk.ticket.deleted",
    ]
    assert updated.dedupe_key == "zendesk:ticket:5001:2026-01-05T08:58:10Z"
    assert updated.occurred_at == datetime(2026, 1, 5, 8, 58, 10, tzinfo=UTC)
    assert updated.source == "zendesk"
    assert updated.payload["channel"] == "email"
    assert "description" not in updated.payload


def test_ticket_event_reads_escalated_to_sales_z6() -> None:
    assert mapping.ticket_to_event(_ticket(), escalated_field_id=42).payload["escalated_to_sales"]
    unticked = _ticket(custom_fields=[{"id": 42, "value": False}])
    assert not mapping.ticket_to_event(unticked, 42).payload["escalated_to_sales"]
    assert "escalated_to_sales" not in mapping.ticket_to_event(_ticket()).payload


def test_custom_field_value_missing_field_is_none() -> None:
    assert mapping.custom_field_value(_ticket(), 999) is None
    assert mapping.custom_field_value({"custom_fields": None}, 42) is None


# -- webhooks ---------------------------------------------------------------------------


def test_zendesk_event_webhook_keeps_its_type_and_id() -> None:
    body = (
        b'{"type":"zen:event-type:ticket.status_changed","account_id":1000001,"id":"evt-9",'
        b'"time":"2026-01-05T08:59:00Z","subject":"zen:ticket:5001",'
        b'"detail":{"id":"5001"},"event":{"current":"OPEN","previous":"NEW"}}'
    )
    [event] = mapping.webhook_events(body, {}, SIGNED_AT)
    assert event.type == "zendesk.ticket.status_changed"
    assert event.dedupe_key == "zendesk:event:evt-9"
    assert event.occurred_at == datetime(2026, 1, 5, 8, 59, tzinfo=UTC)
    assert event.payload == {
        "account_id": 1000001,
        "subject": "zen:ticket:5001",
        "detail": {"id": "5001"},
        "event": {"current": "OPEN", "previous": "NEW"},
    }


def test_trigger_webhook_is_deduplicated_on_what_zendesk_signed() -> None:
    """The dedupe key is the signed timestamp and body; the unsigned invocation id is not in it."""
    body = b'{"ticket_id":"5001","escalated":"true"}'
    stamp = "2026-01-05T09:00:00Z"
    headers = {
        "x-zendesk-webhook-signature-timestamp": stamp,
        "x-zendesk-webhook-invocation-id": "8350205582",
        "x-zendesk-webhook-id": "01WEBHOOK",
    }
    [event] = mapping.webhook_events(body, headers, SIGNED_AT)
    assert event.type == "zendesk.webhook"
    assert event.dedupe_key == "zendesk:signed:" + hashlib.sha256(stamp.encode() + body).hexdigest()
    assert event.occurred_at == SIGNED_AT
    assert event.payload == {
        "ticket_id": "5001",
        "escalated": "true",
        "invocation_id": "8350205582",
        "webhook_id": "01WEBHOOK",
    }
    replayed = {**headers, "x-zendesk-webhook-invocation-id": "9999999999"}
    [again] = mapping.webhook_events(body, replayed, SIGNED_AT)
    assert again.dedupe_key == event.dedupe_key
    later = {**headers, "x-zendesk-webhook-signature-timestamp": "2026-01-05T09:01:00Z"}
    [fired_again] = mapping.webhook_events(body, later, SIGNED_AT)
    assert fired_again.dedupe_key != event.dedupe_key


# -- errors -------------------------------------------------------------------------------


def test_record_invalid_names_fields_and_their_problems() -> None:
    code, message, fields = mapping.error_summary(
        {
            "error": "RecordInvalid",
            "description": "Record validation errors",
            "details": {
                "email": [{"description": "Email: badmail is not properly formatted"}],
                "base": [{"description": "Subject is blank", "error": "BlankValue"}],
            },
        }
    )
    assert code == "RecordInvalid"
    assert message == (
        "Record validation errors (email: Email: badmail is not properly formatted; "
        "base: Subject is blank)"
    )
    assert fields == ["email", "base"]


def test_error_object_shape_gives_title_and_message() -> None:
    assert mapping.error_summary(
        {"error": {"title": "Forbidden", "message": "You do not have access to this page."}}
    ) == ("Forbidden", "You do not have access to this page.", [])


def test_authentication_sentence_is_a_message_not_a_code() -> None:
    assert mapping.error_summary({"error": "Couldn't authenticate you"}) == (
        None,
        "Couldn't authenticate you",
        [],
    )


def test_other_error_shapes() -> None:
    assert mapping.error_summary({"error": "RecordNotFound", "description": "Not found"}) == (
        "RecordNotFound",
        "Not found",
        [],
    )
    assert mapping.error_summary(
        {"errors": [{"code": "InvalidValue", "title": "Invalid", "detail": "bad endpoint"}]}
    ) == ("InvalidValue", "bad endpoint", [])
    assert mapping.error_summary({"tickets": []}) == (None, None, [])
    assert mapping.error_summary("Too many requests") == (None, None, [])


# -- create_many jobs -------------------------------------------------------------------


def test_job_results_follow_index_and_mark_missing_ones_failed() -> None:
    job = {
        "id": "V3-x",
        "status": "completed",
        "results": [
            {"index": 2, "id": 702, "account_id": 1},
            {"index": 0, "id": 700, "account_id": 1},
            {"index": 1, "error": "RecordInvalid", "details": "Requester: Email: is invalid"},
        ],
    }
    results = mapping.job_write_results(job, 4)
    assert [(r.index, r.ok, r.id) for r in results] == [
        (0, True, "700"),
        (1, False, None),
        (2, True, "702"),
        (3, False, None),
    ]
    assert results[1].errors[0].code == "RecordInvalid"
    assert results[1].errors[0].message == "Requester: Email: is invalid"
    assert results[3].errors[0].code == "job_completed"


def test_failed_job_fails_every_record_with_its_message() -> None:
    results = mapping.job_write_results(
        {"id": "V3-y", "status": "failed", "message": "Failed: internal error", "results": None}, 2
    )
    assert all(not r.ok for r in results)
    assert results[0].errors[0].message == "job V3-y failed: Failed: internal error"


# -- macros (Z2) ----------------------------------------------------------------------------


def test_macro_changes_are_a_safe_update_with_the_rendered_comment() -> None:
    changes = mapping.macro_changes(
        {
            "ticket": {
                "id": 5001,
                "status": "pending",
                "assignee_id": 91001,
                "tags": ["passed_to_sales"],
                "url": "https://x.example.test",
                "description": "not a change",
                "updated_at": "2026-01-05T08:58:10Z",
            },
            "comment": {"body": "plain", "html_body": "<p>rich</p>", "public": False},
        }
    )
    assert changes == {
        "status": "pending",
        "assignee_id": 91001,
        "tags": ["passed_to_sales"],
        "comment": {"html_body": "<p>rich</p>", "public": False},
        "safe_update": True,
        "updated_stamp": "2026-01-05T08:58:10Z",
    }


def test_macro_without_comment_changes_fields_only() -> None:
    assert mapping.macro_changes({"ticket": {"priority": "high"}, "comment": {}}) == {
        "priority": "high"
    }
