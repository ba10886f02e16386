"""Q5 in `make demo`: two AI conversations reach their goals, every reply guarded (Q6)."""

from __future__ import annotations

from pathlib import Path

from handoff.demo import run_demo

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"


def test_q5_the_demo_shows_ai_conversations_reaching_their_goals(tmp_path: Path) -> None:
    lines: list[str] = []
    tallies = run_demo(CASSETTES, workdir=tmp_path, echo=lines.append)
    text = "\n".join(lines)
    assert tallies["ai"] == {
        "conversations": 2,
        "decisions": tallies["ai"]["decisions"],
        "slots_offered": 1,
        "routed": 1,
    }
    # "Connect with us": the email first, free-mail refused, then the assigned BDR's slots.
    assert "refused (422): gmail.com is a free email provider" in text
    assert "=> goal book_meeting: slots_offered (rep_id bdr-avery)" in text
    # "I have a question": answered at once, the email asked when the goal triggers, routed.
    assert "=> goal route_to_rep: email_requested" in text
    assert "=> goal route_to_rep: routed (rep_id sdr-taylor, rule everyone-else" in text
    assert "explain conversation:ai-c-v-1005" in text
    # No model: the built-in responder quotes AI Studio's indexed demo site, and links it.
    assert 'AI: From our site: "The Premium plan costs $29 per user' in text
    assert "(https://www.example.test/docs/ci-cd)" in text
