"""Pure Slack mapping: mentions, escaping, message text, payloads, results."""

from __future__ import annotations

import pytest
from handoff_slack.mapping import (
    METADATA_EVENT_TYPE,
    Mention,
    escape,
    link_markup,
    mention_markup,
    message_text,
    parse_mention,
    post_payload,
    post_result,
    user_id_from_lookup,
)

from handoff_sdk.entities import Notification, WriteError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("U0SYNTHOWNR", Mention("user", "U0SYNTHOWNR")),
        ("W012A3CDE", Mention("user", "W012A3CDE")),
        ("@U0SYNTHOWNR", Mention("user", "U0SYNTHOWNR")),
        ("<@U0SYNTHOWNR>", Mention("user", "U0SYNTHOWNR")),
        ("<@U0SYNTHOWNR|owner>", Mention("user", "U0SYNTHOWNR")),
        ("Owner@Example.test", Mention("email", "owner@example.test")),
        ("@here", Mention("special", "here")),
        ("channel", Mention("special", "channel")),
        ("Jane Doe", Mention("text", "Jane Doe")),
        ("u0lowercase", Mention("text", "u0lowercase")),
    ],
)
def test_parse_mention(raw: str, expected: Mention) -> None:
    assert parse_mention(raw) == expected


def test_mention_markup() -> None:
    assert mention_markup(Mention("user", "U0SYNTHOWNR")) == "<@U0SYNTHOWNR>"
    assert mention_markup(Mention("special", "here")) == "<!here>"
    assert mention_markup(Mention("email", "a@example.test"), "U0SYNTHA001") == "<@U0SYNTHA001>"
    assert mention_markup(Mention("email", "a@example.test")) == "@a@example.test"
    assert mention_markup(Mention("text", "<!channel>")) == "@&lt;!channel&gt;"


def test_escape_neutralises_slack_control_characters() -> None:
    assert escape("Q&A <!channel> a>b") == "Q&amp;A &lt;!channel&gt; a&gt;b"


def test_link_markup_keeps_the_link_whole() -> None:
    assert link_markup("https://crm.example.test/a?x=1&y=2", "Open") == (
        "<https://crm.example.test/a?x=1&amp;y=2|Open>"
    )
    assert link_markup("https://crm.example.test/a|b>c", "A|B") == (
        "<https://crm.example.test/a%7Cb&gt;c|A/B>"
    )


def test_p5_post_churn_text_mentions_the_owner_first() -> None:
    note = Notification(
        channel="cs_programs_survey_results",
        mentions=["owner@example.test"],
        subject="Post-churn survey: Example Corp",
        text="Score 3/10. Comment: <b>too pricey</b> & slow",
        link="https://crm.example.test/account/001000000000001",
    )
    text = message_text(note, ["<@U0SYNTHOWNR>"], "Open account")
    assert text.splitlines() == [
        "<@U0SYNTHOWNR> *Post-churn survey: Example Corp*",
        "Score 3/10. Comment: &lt;b&gt;too pricey&lt;/b&gt; &amp; slow",
        "<https://crm.example.test/account/001000000000001|Open account>",
    ]


def test_text_without_mentions_subject_or_link_is_just_the_body() -> None:
    assert message_text(Notification(text="  hello  "), [], "Open") == "hello"


def test_post_payload_carries_the_key_as_metadata() -> None:
    payload = post_payload("#sales", "hi", idempotency_key="k-1", unfurl_links=False, metadata=True)
    assert payload == {
        "channel": "#sales",
        "text": "hi",
        "unfurl_links": False,
        "unfurl_media": False,
        "metadata": {
            "event_type": METADATA_EVENT_TYPE,
            "event_payload": {"idempotency_key": "k-1"},
        },
    }
    without = post_payload("#sales", "hi", idempotency_key="k-1", unfurl_links=True, metadata=False)
    assert "metadata" not in without
    assert without["unfurl_links"] is True


def test_user_id_from_lookup() -> None:
    assert user_id_from_lookup({"ok": True, "user": {"id": "U0SYNTHOWNR", "deleted": False}}) == (
        "U0SYNTHOWNR"
    )
    assert user_id_from_lookup({"ok": True, "user": {"id": "U0SYNTHGONE", "deleted": True}}) is None
    assert user_id_from_lookup({"ok": True}) is None
    assert user_id_from_lookup(None) is None


def test_post_result_identifies_the_message_by_channel_and_ts() -> None:
    problem = WriteError(code="users_not_found", message="x", fields=["mentions"])
    result = post_result(
        {"ok": True, "channel": "C0SYNTHSALES", "ts": "1767603600.000100"}, [problem]
    )
    assert result.ok is True
    assert result.id == "C0SYNTHSALES:1767603600.000100"
    assert result.errors == [problem]
    assert post_result({"ok": True}, []).id is None
