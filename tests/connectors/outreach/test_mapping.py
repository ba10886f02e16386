"""Outreach JSON:API documents read into canonical entities and events (pure functions, Q3a)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from handoff_outreach import mapping
from outreach_cases import body, state_created

from handoff_sdk.entities import SequenceState

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def state(
    sid: int,
    status: str,
    *,
    changed: str = "2026-01-01T00:00:00.000Z",
    active_at: str | None = None,
    mailbox: int | None = 12,
    creator: int | None = 7,
    sequence: int = 301,
) -> dict[str, Any]:
    """A sequence state as the REST API lists it: relationships wrapped in `data`."""
    return {
        "type": "sequenceState",
        "id": sid,
        "attributes": {"state": status, "stateChangedAt": changed, "activeAt": active_at},
        "relationships": {
            "mailbox": {"data": None if mailbox is None else {"type": "mailbox", "id": mailbox}},
            "creator": {"data": None if creator is None else {"type": "user", "id": creator}},
            "sequence": {"data": {"type": "sequence", "id": sequence}, "links": {"related": "x"}},
            "mailings": {"links": {"related": "https://api.outreach.io/api/v2/mailings"}},
        },
    }


INCLUDED = mapping.index_included(
    [
        {"type": "sequence", "id": 301, "attributes": {"name": "Q1 Enterprise Outbound"}},
        {
            "type": "mailbox",
            "id": 12,
            "attributes": {"email": "Sam@Mail.acme.example", "userId": 7},
            "relationships": {"user": {"data": {"type": "user", "id": 7}}},
        },
        {"type": "user", "id": 7, "attributes": {"email": "Sam.Rivera@acme.example"}},
        {"type": "user", "id": 9, "attributes": {"email": "jo.park@acme.example"}},
        "not a record",
        {"type": "user"},
    ]
)


# -- relationships in both shapes ---------------------------------------------------------


@pytest.mark.parametrize(
    ("relationship", "expected"),
    [
        ({"data": {"type": "mailbox", "id": 2}, "links": {"related": "x"}}, ("mailbox", "2")),
        ({"type": "mailbox", "id": 2}, ("mailbox", "2")),  # webhook: not wrapped
        ({"data": {"type": "prospect", "id": "3"}}, ("prospect", "3")),
        ({"data": None}, None),
        ({"data": [{"type": "mailing", "id": 1}]}, None),  # to-many
        ({"links": {"related": "x"}}, None),
        (None, None),
        ({"type": "owner", "id": 0}, ("owner", "0")),  # webhook's prospect.owner
    ],
)
def test_ref_reads_rest_and_webhook_relationships(
    relationship: Any, expected: tuple[str, str] | None
) -> None:
    assert mapping.ref(relationship) == expected


def test_ref_id_reads_a_records_relationship_in_both_shapes() -> None:
    rest = state(1, "active")
    assert mapping.ref_id(rest, "mailbox") == "12"
    webhook = state_created()["data"]
    assert mapping.ref_id(webhook, "mailbox") == "12"
    assert mapping.ref_id(webhook, "creator") is None
    assert mapping.ref_id({"relationships": {}}, "mailbox") is None
    assert mapping.ref_id({}, "mailbox") is None


# -- prospects ---------------------------------------------------------------------------------


def test_only_prospects_that_carry_the_email_match() -> None:
    records = [
        {"type": "prospect", "id": 101, "attributes": {"emails": ["Ana.Lima@Adventure-Works.example"]}},
        {"type": "prospect", "id": 102, "attributes": {"emails": ["x@y.example", "ana.lima@adventure-works.example"]}},
        {"type": "prospect", "id": 103, "attributes": {"emails": ["someone@adventure-works.example"]}},
        {"type": "prospect", "id": 104, "attributes": {"emails": None}},
        {"type": "prospect", "attributes": {"emails": ["ana.lima@adventure-works.example"]}},
    ]  # fmt: skip
    assert mapping.matching_prospect_ids(records, " ana.lima@adventure-works.example") == [
        "101",
        "102",
    ]


# -- choosing the state (Q3a) ---------------------------------------------------------------


def test_q3a_active_beats_pending_beats_paused_by_default() -> None:
    states = [state(1, "paused"), state(2, "pending"), state(3, "active"), state(4, "finished")]
    chosen = mapping.pick_state(states)
    assert chosen is not None
    assert chosen["id"] == 3
    chosen = mapping.pick_state(states[:2])
    assert chosen is not None
    assert chosen["id"] == 2


def test_q3a_among_equals_the_most_recently_active_wins() -> None:
    older = state(10, "active", active_at="2026-01-02T00:00:00.000Z")
    newer = state(5, "active", active_at="2026-01-04T00:00:00.000Z")
    chosen = mapping.pick_state([older, newer])
    assert chosen is not None
    assert chosen["id"] == 5
    same_time = [state(5, "active"), state(6, "active")]
    chosen = mapping.pick_state(same_time)
    assert chosen is not None
    assert chosen["id"] == 6  # then the newest id


@pytest.mark.parametrize("stopped", ["disabled", "failed", "bounced", "opted_out", "finished"])
def test_q3a_stopped_states_are_not_active_by_default(stopped: str) -> None:
    earlier = state(1, "finished", changed="2025-12-01T00:00:00.000Z")
    latest = state(2, stopped, changed="2026-01-03T00:00:00.000Z")
    chosen = mapping.pick_state([latest, earlier])
    assert chosen is not None
    assert chosen["id"] == 2
    entity = mapping.to_sequence_state(chosen, INCLUDED, "ana@x.example")
    assert entity.state == stopped
    assert entity.active is False


def test_q3a_no_states_is_none() -> None:
    assert mapping.pick_state([]) is None
    assert mapping.pick_state(["junk", None]) is None


def test_q3a_a_state_in_other_case_still_counts() -> None:
    chosen = mapping.pick_state([state(1, "finished"), state(2, "Active")], ("active",))
    assert chosen is not None
    assert chosen["id"] == 2


# -- the rep running it ----------------------------------------------------------------------


def test_q3a_owner_is_the_mailbox_user_with_the_users_email() -> None:
    entity = mapping.to_sequence_state(state(5001, "active", creator=9), INCLUDED, "Ana@X.example")
    assert entity == SequenceState(
        ids={"outreach": "5001"},
        email="ana@x.example",
        sequence_name="Q1 Enterprise Outbound",
        state="active",
        active=True,
        owner_email="sam.rivera@acme.example",
        owner_id="7",
    )


def test_q3a_mailbox_address_is_used_when_its_user_was_not_included() -> None:
    included = {k: v for k, v in INCLUDED.items() if k != ("user", "7")}
    assert mapping.resolve_owner(state(1, "active"), included) == ("7", "sam@mail.acme.example")


def test_q3a_mailbox_user_comes_from_the_relationship_without_user_id() -> None:
    included = copy.deepcopy(INCLUDED)
    del included[("mailbox", "12")]["attributes"]["userId"]
    assert mapping.resolve_owner(state(1, "active"), included) == ("7", "sam.rivera@acme.example")


def test_q3a_creator_is_the_fallback_and_sources_are_ordered() -> None:
    no_mailbox = state(1, "active", mailbox=None, creator=9)
    assert mapping.resolve_owner(no_mailbox, INCLUDED) == ("9", "jo.park@acme.example")
    assert mapping.resolve_owner(no_mailbox, INCLUDED, ("mailbox",)) == (None, None)
    both = state(1, "active", creator=9)
    assert mapping.resolve_owner(both, INCLUDED, ("creator", "mailbox")) == (
        "9",
        "jo.park@acme.example",
    )
    # A mailbox that was not side-loaded is skipped, not guessed.
    assert mapping.resolve_owner(state(1, "active", mailbox=99, creator=9), INCLUDED) == (
        "9",
        "jo.park@acme.example",
    )
    # A creator not side-loaded still gives the id.
    assert mapping.resolve_owner(no_mailbox, {}) == ("9", None)


def test_q3a_a_sequence_not_included_leaves_the_name_empty() -> None:
    entity = mapping.to_sequence_state(state(1, "pending", sequence=999), INCLUDED, "a@b.example")
    assert entity.sequence_name is None
    assert entity.active


# -- errors and limits ---------------------------------------------------------------------


def test_error_summary_reads_every_error() -> None:
    code, message = mapping.error_summary(
        {
            "errors": [
                {
                    "id": "validationError",
                    "title": "Validation Error",
                    "detail": "Emails contains an invalid email.",
                    "source": {"pointer": "/data/attributes/emails"},
                },
                {"id": "validationError", "title": "Validation Error", "detail": "Name is long."},
                {"id": "resourceNotFound", "title": "Resource Not Found"},
            ]
        }
    )
    assert code == "validationError"
    assert message == (
        "Validation Error: Emails contains an invalid email. (/data/attributes/emails); "
        "Validation Error: Name is long.; Resource Not Found"
    )
    assert mapping.error_summary({"data": []}) == (None, None)
    assert mapping.error_summary("Invalid access token") == (None, None)
    assert mapping.error_summary({"errors": []}) == (None, None)


def test_try_again_at_is_read_from_the_rate_limit_detail() -> None:
    detail = "You have exceeded your permitted rate limit of 10,000; please try again at "
    assert mapping.retry_after_from_detail(detail + "2026-01-05T09:00:12.", NOW) == 12
    assert mapping.retry_after_from_detail(detail + "2026-01-05T10:00:00+01:00.", NOW) == 0
    assert mapping.retry_after_from_detail(detail + "2026-01-05T09:30:00Z", NOW) == 1800
    assert mapping.retry_after_from_detail("Rate Limit Exceeded", NOW) is None
    assert mapping.retry_after_from_detail(None, NOW) is None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (str(int(NOW.timestamp()) + 90), 90),  # epoch seconds
        (str(int(NOW.timestamp() * 1000) + 5000), 5),  # epoch milliseconds
        ("45", 45),  # seconds to wait
        (str(int(NOW.timestamp()) - 10), 0),  # already passed
        ("Mon, 05 Jan 2026 09:01:00 GMT", 60),  # HTTP date
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_rate_limit_reset_in_every_form(value: str | None, seconds: float | None) -> None:
    assert mapping.reset_seconds(value, NOW) == seconds


# -- webhooks ----------------------------------------------------------------------------------


def test_webhook_created_with_bare_relationships_becomes_one_event() -> None:
    [event] = mapping.webhook_events(body(state_created()))
    assert event.type == mapping.EVENT_TYPE == "outreach.sequence_state.changed"
    assert event.source == "outreach"
    assert event.occurred_at == datetime(2026, 1, 5, 8, 59, 28, tzinfo=UTC)
    assert event.payload == {
        "event_name": "sequenceState.created",
        "action": "created",
        "sequence_state_id": "5001",
        "state": "pending",
        "active": True,
        "attributes": state_created()["data"]["attributes"],
        "delivered_at": "2026-01-05T00:59:30.000-08:00",
        "prospect_id": "101",
        "sequence_id": "301",
        "mailbox_id": "12",
    }
    assert event.dedupe_key.startswith("outreach:sequenceState.created:sequenceState:5001:")


def test_webhook_with_rest_wrapped_relationships_reads_the_same() -> None:
    wrapped = state_created()
    wrapped["data"]["relationships"] = {
        name: {"data": linkage} for name, linkage in wrapped["data"]["relationships"].items()
    }
    [bare] = mapping.webhook_events(body(state_created()))
    [event] = mapping.webhook_events(body(wrapped))
    for field in ("prospect_id", "sequence_id", "mailbox_id", "state", "active"):
        assert event.payload[field] == bare.payload[field]


def _updated(attributes: dict[str, Any], relationships: dict[str, Any] | None = None) -> bytes:
    return body(
        {
            "data": {
                "type": "sequenceState",
                "id": 5001,
                "attributes": attributes,
                "relationships": relationships or {},
            },
            "meta": {
                "deliveredAt": "2026-01-05T08:59:40.000Z",
                "eventName": "sequenceState.updated",
            },
        }
    )


def test_webhook_update_of_the_state_says_whether_it_is_active() -> None:
    paused = _updated({"state": "paused", "stateChangedAt": "2026-01-05T08:59:39.000Z"})
    [event] = mapping.webhook_events(paused)
    assert (event.payload["state"], event.payload["active"]) == ("paused", True)
    assert event.occurred_at == datetime(2026, 1, 5, 8, 59, 39, tzinfo=UTC)
    [event] = mapping.webhook_events(paused, active_states=("active",))
    assert event.payload["active"] is False


def test_webhook_update_that_leaves_the_state_alone_has_active_unknown() -> None:
    step = _updated({}, {"sequenceStep": {"type": "sequenceStep", "id": 3012}})
    [event] = mapping.webhook_events(step)
    assert event.payload["state"] is None
    assert event.payload["active"] is None
    assert event.payload["sequence_step_id"] == "3012"
    assert event.occurred_at == datetime(2026, 1, 5, 8, 59, 40, tzinfo=UTC)  # deliveredAt


@pytest.mark.parametrize("action", ["finished", "destroyed"])
def test_webhook_finished_or_destroyed_is_not_active(action: str) -> None:
    document = {
        "data": {"type": "sequenceState", "id": 5001},
        "meta": {"deliveredAt": "2026-01-05T08:59:40.000Z", "eventName": f"sequenceState.{action}"},
    }
    [event] = mapping.webhook_events(body(document))
    assert event.payload["action"] == action
    assert event.payload["active"] is False
    assert event.payload["state"] == ("finished" if action == "finished" else None)


def test_webhook_for_other_resources_gives_no_event() -> None:
    prospect = {
        "data": {"type": "prospect", "id": 101, "attributes": {"title": "CTO"}},
        "meta": {"deliveredAt": "2026-01-05T08:59:40.000Z", "eventName": "prospect.updated"},
    }
    assert mapping.webhook_events(body(prospect)) == []
    assert mapping.webhook_events(b"not json") == []
    assert mapping.webhook_events(b"[]") == []
    assert mapping.webhook_events(body({"meta": {"eventName": "sequenceState.updated"}})) == []


def test_dedupe_key_is_stable_across_redelivery_and_differs_per_change() -> None:
    first = state_created(delivered_at="2026-01-05T08:59:30.000Z")
    again = state_created(delivered_at="2026-01-05T08:59:31.000Z")  # re-sent a second later
    [a] = mapping.webhook_events(body(first))
    [b] = mapping.webhook_events(body(again))
    assert a.dedupe_key == b.dedupe_key
    # Key order in the body does not matter either.
    reordered = json.dumps(first, sort_keys=True).encode()
    [c] = mapping.webhook_events(reordered)
    assert c.dedupe_key == a.dedupe_key
    # Two changes in the same second are two events.
    same_second = "2026-01-05T08:59:39.000Z"
    [state_change] = mapping.webhook_events(_updated({"state": "paused", "updatedAt": same_second}))
    [count_change] = mapping.webhook_events(_updated({"deliverCount": 2, "updatedAt": same_second}))
    assert state_change.dedupe_key != count_change.dedupe_key


def test_dedupe_key_of_id_only_deliveries_uses_the_delivery_time() -> None:
    """sequenceState.advanced carries only the id: two advances must not share a key."""

    def advanced(at: str) -> bytes:
        return body(
            {
                "data": {"type": "sequenceState", "id": 5001},
                "meta": {"deliveredAt": at, "eventName": "sequenceState.advanced"},
            }
        )

    [one] = mapping.webhook_events(advanced("2026-01-05T08:00:00.000Z"))
    [two] = mapping.webhook_events(advanced("2026-01-05T08:30:00.000Z"))
    [one_again] = mapping.webhook_events(advanced("2026-01-05T08:00:00.000Z"))
    assert one.dedupe_key != two.dedupe_key
    assert one.dedupe_key == one_again.dedupe_key


def test_parse_time_reads_outreach_timestamps() -> None:
    assert mapping.parse_time("2026-01-05T08:59:30.000Z") == datetime(
        2026, 1, 5, 8, 59, 30, tzinfo=UTC
    )
    assert mapping.parse_time("2026-01-05T00:59:30.000-08:00") == datetime(
        2026, 1, 5, 8, 59, 30, tzinfo=UTC
    )
    assert mapping.parse_time("2026-01-05T08:59:30") == datetime(2026, 1, 5, 8, 59, 30, tzinfo=UTC)
    assert mapping.parse_time("yesterday") is None
    assert mapping.parse_time(None) is None
