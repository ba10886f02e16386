"""Q5's pure parts: the business email gate (kept lists) and which goal a turn triggers."""

from __future__ import annotations

import pytest

from handoff.ai.config import AiConfig
from handoff.ai.email_gate import check_business_email
from handoff.ai.goals import detect_goal

TABLE = AiConfig(company="Acme", support_url="https://support.acme.example/")


@pytest.mark.parametrize(
    ("email", "kind"),
    [
        ("dana@northwind.example", "business"),
        ("Dana@NorthWind.Example", "business"),
        ("kim@gmail.com", "free_mail"),
        ("kim@outlook.com", "free_mail"),
        ("kim@gmx.de", "free_mail"),
        ("kim@mail.yahoo.com", "free_mail"),  # a parent domain is listed
        ("kim@mailinator.com", "disposable"),  # on both lists: disposable says more
        ("kim@10minutemail.com", "disposable"),
        ("kim", "invalid"),
        ("kim@", "invalid"),
        ("kim @acme.example", "invalid"),
    ],
)
def test_q5_the_gate_refuses_free_mail_disposable_and_malformed(email: str, kind: str) -> None:
    verdict = check_business_email(email)
    assert verdict.kind == kind
    assert verdict.accepted is (kind == "business")
    if kind == "free_mail":
        assert "is a free email provider, not a business address" in verdict.reason
    if kind == "disposable":
        assert "is a disposable email service" in verdict.reason


def test_q5_a_business_address_is_kept_with_its_domain_in_lower_case() -> None:
    verdict = check_business_email("  Dana@NorthWind.Example ")
    assert (verdict.email, verdict.domain) == ("Dana@northwind.example", "northwind.example")


@pytest.mark.parametrize(
    ("message", "goal", "how"),
    [
        ("Can we schedule a call next week?", "book_meeting", "phrase"),
        ("I'd like to BOOK a-meeting", "book_meeting", "phrase"),
        ("Could I talk to a human please", "route_to_rep", "phrase"),
        ("My pipeline is not working", "support", "support_term"),
        ("Please open a ticket for me", "support", "phrase"),
        # support first: a support seeker asking for a person gets support (Q6)
        ("There's a bug, can I talk to someone?", "support", "support_term"),
        ("How does CI work?", None, None),
        ("We had a meeting about CI last week", None, None),
    ],
)
def test_q5_goals_trigger_on_their_phrases(message: str, goal: str | None, how: str | None) -> None:
    trigger = detect_goal(message, None, TABLE)
    assert (trigger.goal if trigger else None, trigger.how if trigger else None) == (goal, how)


def test_q5_a_button_wins_and_a_disabled_goal_triggers_on_nothing() -> None:
    trigger = detect_goal("My pipeline is not working", "book_meeting", TABLE)
    assert trigger is not None
    assert (trigger.goal, trigger.how) == ("book_meeting", "button")
    off = AiConfig.model_validate(
        {
            "company": "Acme",
            "support_url": "https://support.acme.example/",
            "conversations": {"goals": {"book_meeting": {"button": "Meet", "enabled": False}}},
        }
    )
    assert detect_goal("Can we schedule a call?", None, off) is None
    assert detect_goal("", "book_meeting", off) is None


def test_q5_q6_conversation_texts_are_checked_by_the_guard_when_loaded() -> None:
    with pytest.raises(ValueError, match=r"conversations.greeting breaks Q6.pricing"):
        AiConfig.model_validate(
            {
                "company": "Acme",
                "support_url": "https://support.acme.example/",
                "conversations": {"greeting": "Hi! Ask about our 20% discount."},
            }
        )
    with pytest.raises(ValueError, match=r"must contain '\{support_url\}'"):
        AiConfig.model_validate(
            {
                "company": "Acme",
                "support_url": "https://support.acme.example/",
                "conversations": {"email_for_support": "What is your email?"},
            }
        )
