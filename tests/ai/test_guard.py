"""The rules of engagement's guard on its own (Q6): the adversarial set, URL variants, the table."""

from __future__ import annotations

from pathlib import Path

import pytest
from adversarial import ATTACKS, ORDINARY, TABLE, FakeModel, Turn, config
from pydantic import ValidationError

from handoff.ai.config import AiConfig
from handoff.ai.flow import AI
from handoff.ai.guard import RULES, check_reply
from handoff.config import load_config
from handoff.errors import ConfigFileError


def test_q6_the_adversarial_set_is_large_and_covers_every_rule() -> None:
    assert len(ATTACKS) >= 100
    assert {t.rule for t in ATTACKS} == {rule.id for rule in RULES}
    assert len(ORDINARY) >= 30
    messages = [t.message for t in ATTACKS + ORDINARY]
    assert len(set(messages)) == len(messages)  # the fake model is keyed by message


@pytest.mark.parametrize("turn", ATTACKS, ids=lambda t: f"{t.rule}:{t.message[:40]}")
def test_q6_every_attack_is_replaced_by_its_rule_and_never_sent(turn: Turn) -> None:
    table = config()
    model = FakeModel(ATTACKS)
    verdict = check_reply(turn.message, model.reply(turn.message), table)
    assert not verdict.allowed
    assert verdict.rule_id == turn.rule
    assert verdict.reply != turn.reply
    assert check_reply(turn.message, verdict.reply, table).allowed  # what is sent breaks nothing
    explanation = verdict.explanation()
    assert explanation["matched"].startswith(turn.rule)
    assert explanation["candidate"] == turn.reply


@pytest.mark.parametrize("turn", ORDINARY, ids=lambda t: t.message[:40])
def test_q6_ordinary_answers_are_sent_as_they_are(turn: Turn) -> None:
    verdict = check_reply(turn.message, turn.reply, config())
    assert verdict.allowed, [c.why for c in verdict.broken]
    assert verdict.reply == turn.reply
    assert verdict.outcome()["action"] == "sent"


def test_q6_support_seekers_always_get_the_support_url_even_when_another_rule_broke() -> None:
    verdict = check_reply("my pipeline is failing", "Use promo code FIX10 and retry.", config())
    assert verdict.broken[0].rule.id == "Q6.support"
    assert [c.rule.id for c in verdict.broken] == ["Q6.support", "Q6.pricing"]
    assert "https://support.acme.example/" in verdict.reply


def test_q6_a_support_seeker_answered_with_the_support_url_passes_in_any_form() -> None:
    table = config()
    for link in (
        "https://support.acme.example/",
        "http://support.acme.example",
        "[help](https://support.acme.example/tickets/new?x=1)",
        '<a href="https://SUPPORT.acme.example/#top">help</a>',
        "support.acme.example",
    ):
        assert check_reply("login is not working", f"Go to {link} please", table).allowed, link


def test_q6_pages_that_only_look_like_the_forbidden_ones_pass() -> None:
    table = config()
    for link in (
        "https://acme.example/demos-of-the-month-blog",
        "https://acme.example/blog/demo-day",
        "https://other.example/demo",
        "https://acme.example/contact-usability",
    ):
        verdict = check_reply("hi", f"See {link}", table)
        assert verdict.allowed, (link, [c.why for c in verdict.broken])


def test_q6_a_comparison_question_needs_the_company_as_the_better_choice() -> None:
    table = config()
    assert not check_reply("Is Globex better than Acme?", "Yes.", table).allowed
    assert check_reply("Is Globex better than Acme?", "Acme is better, by far.", table).allowed
    # a question naming no rival is not a comparison
    assert check_reply("Is Acme good?", "Yes.", table).allowed


def test_q6_no_competitors_configured_means_no_comparison_rule() -> None:
    table = AiConfig.model_validate({**TABLE, "competitors": []})
    assert check_reply("Globex?", "Globex is better than Acme.", table).allowed


def test_q6_the_explanation_lists_every_rule_checked() -> None:
    verdict = check_reply("Can I get a discount?", "Sure, 20% off.", config())
    explanation = verdict.explanation()
    assert [r["rule"] for r in explanation["rules"]] == [r.id for r in RULES]
    assert "20% off" in explanation["matched"]
    assert len(explanation["not_matched"]) == 3
    assert verdict.outcome() == {
        "action": "replaced",
        "rule": "Q6.pricing",
        "rule_name": "no special pricing or promotions",
        "broken": ["Q6.pricing"],
        "sent": config().fallback.pricing,
    }


def test_q6_malformed_markup_is_read_as_text() -> None:
    verdict = check_reply("x", "<a href='https://acme.example/demo'<<<>", config())
    assert verdict.rule_id == "Q6.pages"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "handoff.toml"
    path.write_text(text)
    return path


def test_the_ai_table_is_validated_at_load_naming_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, '[ai]\ncompany = "Acme"\nsupport_url = "support.acme.example"\n')
    with pytest.raises(ConfigFileError) as caught:
        load_config(path)
    assert f"{path}: ai.support_url" in str(caught.value)
    assert "expected an http(s) URL" in str(caught.value)

    path = write(
        tmp_path, '[ai]\ncompany = "Acme"\nsupport_url = "https://s.example"\nsurprise = 1\n'
    )
    with pytest.raises(ConfigFileError, match=r"ai\.surprise"):
        load_config(path)

    good = load_config(
        write(
            tmp_path,
            '[ai]\ncompany = "Acme"\nsupport_url = "https://s.example/"\n'
            'forbidden_urls = ["/demo"]\ncompetitors = ["Globex"]\n',
        )
    )
    table = AI.settings_of(good).ai
    assert table is not None
    assert table.competitors == ["Globex"]
    assert AI.settings_of(load_config(write(tmp_path, ""))).ai is None


def test_a_fallback_that_breaks_a_rule_is_refused_at_load() -> None:
    with pytest.raises(ValidationError, match=r"fallback.pricing breaks Q6.pricing"):
        AiConfig.model_validate({**TABLE, "fallback": {"pricing": "Ask for a discount!"}})
    with pytest.raises(ValidationError, match=r"fallback.pages breaks Q6.pages"):
        AiConfig.model_validate({**TABLE, "fallback": {"pages": "See https://acme.example/demo/"}})
    with pytest.raises(ValidationError, match=r"support_url"):
        AiConfig.model_validate({**TABLE, "fallback": {"support": "Write to us."}})


def test_blank_terms_and_bad_pages_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"(?s)competitors.*\[1\]: expected a word"):
        AiConfig.model_validate({**TABLE, "competitors": ["Globex", " - "]})
    with pytest.raises(ValidationError, match=r"\[0\]: expected an http\(s\) URL or a path"):
        AiConfig.model_validate({**TABLE, "forbidden_urls": ["ftp://acme.example/demo"]})


@pytest.mark.parametrize(
    ("message", "reply", "rule"),
    [
        ("Acme or Globex?", "Acme is better than Globex for teams of any size.", "Q6.competitors"),
        ("Is Acme better than Initech?", "Yes, Acme is the better choice.", "Q6.competitors"),
        ("What about Globex?", "Unlike Globex, Acme ships scanning in every tier.", "Q6.competitors"),
        ("Acme or Globex?", "Happy to compare: shall I connect you with someone?", None),
        ("How do pipelines work?", "Pipelines run jobs in stages.", None),
    ],
)
def test_q6_a_models_own_comparison_needs_a_human_only_approved_content_compares(
    message: str, reply: str, rule: str | None
) -> None:
    """Q6: a comparison answer comes from approved Scorecard or content, or offers a human.

    The same reply favouring Acme passes as approved content and is replaced
    as a model's draft; an offer of a human passes either way.
    """
    table = config()
    model = check_reply(message, reply, table, approved=False)
    assert model.rule_id == rule
    assert (model.reply == reply) is (rule is None)
    assert check_reply(message, reply, table).allowed  # approved content may compare
    if rule is not None:
        assert "approved Scorecard or content" in model.checks[-1].why
        assert check_reply(message, model.reply, table, approved=False).allowed
