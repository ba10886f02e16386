"""Slack's error answers, in the shapes Slack really sends, read by `classify`.

The Web API answers HTTP 200 with `{"ok": false, "error": CODE}` (often with
`warning` and `response_metadata.warnings` alongside), HTTP 429 with
Retry-After when rate limited; incoming webhooks answer a bare word with a
4xx/5xx status. Shapes follow Slack's recorded responses; values are synthetic.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from handoff_slack import SlackConnector

from handoff_sdk import Outcome, Verdict
from handoff_sdk.testing.harness import build_harness

POST = "https://slack.com/api/chat.postMessage"
HOOK = "https://hooks.slack.com/services/T0SYNTHTEAM/B0SYNTHHOOK/REDACTED"


def connector(mode: str = "bot") -> SlackConnector:
    harness = build_harness(
        SlackConnector,
        transport=httpx.MockTransport(lambda r: httpx.Response(500)),
        config={"mode": mode},
        secrets={"bot_token": "synthetic", "webhook_url": HOOK},
    )
    assert isinstance(harness.connector, SlackConnector)
    return harness.connector


def api_answer(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> httpx.Response:
    request = httpx.Request(
        "POST", POST, json={"channel": "#cs_programs_survey_results", "text": "x"}
    )
    return httpx.Response(status, json=body, headers=headers, request=request)


def hook_answer(word: str, status: int) -> httpx.Response:
    return httpx.Response(
        status,
        text=word,
        headers={"Content-Type": "text/html"},
        request=httpx.Request("POST", HOOK),
    )


def warned(code: str) -> dict[str, Any]:
    """Slack's error shape when the request also drew a warning."""
    return {
        "ok": False,
        "error": code,
        "warning": "missing_charset",
        "response_metadata": {"warnings": ["missing_charset"]},
    }


def classify(response: httpx.Response, mode: str = "bot") -> Outcome:
    return connector(mode).classify(response)


def test_ok_true_is_ok_even_with_warnings() -> None:
    body = {
        "ok": True,
        "channel": "C0SYNTHSALES",
        "ts": "1767603600.000100",
        "message": {"type": "message", "text": "hi"},
        "warning": "missing_charset",
        "response_metadata": {"warnings": ["missing_charset"]},
    }
    assert classify(api_answer(body)).verdict is Verdict.OK


@pytest.mark.parametrize("code", ["not_in_channel", "channel_not_found", "is_archived"])
def test_p5_channel_problems_fail_with_the_code_and_name_the_channel(code: str) -> None:
    outcome = classify(api_answer(warned(code)))
    assert outcome.verdict is Verdict.FAIL
    assert outcome.code == code
    assert "'#cs_programs_survey_results'" in (outcome.message or "")


def test_not_in_channel_says_how_to_fix_it() -> None:
    outcome = classify(api_answer(warned("not_in_channel")))
    assert "/invite" in (outcome.message or "")


@pytest.mark.parametrize(
    "code",
    ["invalid_auth", "token_revoked", "not_authed", "account_inactive", "token_expired"],
)
def test_refused_tokens_are_auth_problems(code: str) -> None:
    outcome = classify(api_answer(warned(code)))
    assert outcome.verdict is Verdict.REFRESH_AUTH
    assert outcome.code == code


def test_429_with_retry_after_is_a_rate_limit_to_wait_out() -> None:
    outcome = classify(
        api_answer({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": "30"})
    )
    assert outcome.verdict is Verdict.RETRY
    assert outcome.rate_limited is True
    assert outcome.retry_after == 30.0


def test_ratelimited_inside_http_200_is_also_a_rate_limit() -> None:
    outcome = classify(api_answer({"ok": False, "error": "ratelimited"}))
    assert outcome.verdict is Verdict.RETRY
    assert outcome.rate_limited is True


@pytest.mark.parametrize("code", ["internal_error", "service_unavailable", "request_timeout"])
def test_transient_errors_are_retried(code: str) -> None:
    assert classify(api_answer({"ok": False, "error": code})).verdict is Verdict.RETRY


def test_fatal_error_is_not_retried_it_may_have_posted() -> None:
    assert classify(api_answer({"ok": False, "error": "fatal_error"})).verdict is Verdict.FAIL


def test_missing_scope_names_the_scope_needed() -> None:
    body = {
        "ok": False,
        "error": "missing_scope",
        "needed": "users:read.email",
        "provided": "chat:write",
    }
    outcome = classify(api_answer(body))
    assert outcome.verdict is Verdict.FAIL
    assert "users:read.email" in (outcome.message or "")


def test_an_unknown_code_fails_with_the_code_as_message() -> None:
    outcome = classify(api_answer({"ok": False, "error": "msg_blocks_too_long"}))
    assert outcome.verdict is Verdict.FAIL
    assert outcome.code == "msg_blocks_too_long"


def test_a_non_slack_body_falls_back_to_the_http_status() -> None:
    html = httpx.Response(502, text="<html>Bad gateway</html>", request=httpx.Request("POST", POST))
    assert classify(html).verdict is Verdict.RETRY


def test_a_200_that_is_not_slacks_json_is_not_taken_for_a_post() -> None:
    page = httpx.Response(
        200,
        text="<html>Sign in to the proxy</html>",
        headers={"Content-Type": "text/html"},
        request=httpx.Request("POST", POST),
    )
    outcome = classify(page)
    assert outcome.verdict is Verdict.FAIL
    assert outcome.code == "unexpected_response"


# -- incoming webhooks: plain-text words --------------------------------------------


def test_webhook_ok() -> None:
    assert classify(hook_answer("ok", 200), "incoming_webhook").verdict is Verdict.OK


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("invalid_payload", 400),
        ("user_not_found", 400),
        ("action_prohibited", 403),
        ("posting_to_general_channel_denied", 403),
        ("channel_not_found", 404),
        ("channel_is_archived", 410),
    ],
)
def test_webhook_refusals_fail_with_the_word(word: str, status: int) -> None:
    outcome = classify(hook_answer(word, status), "incoming_webhook")
    assert outcome.verdict is Verdict.FAIL
    assert outcome.code == word


@pytest.mark.parametrize(
    ("word", "status"),
    [("invalid_token", 403), ("no_service", 404), ("no_team", 404), ("no_active_hooks", 410)],
)
def test_webhook_dead_url_is_an_auth_problem(word: str, status: int) -> None:
    outcome = classify(hook_answer(word, status), "incoming_webhook")
    assert outcome.verdict is Verdict.REFRESH_AUTH
    assert outcome.code == word


def test_webhook_rollup_error_is_retried() -> None:
    outcome = classify(hook_answer("rollup_error", 500), "incoming_webhook")
    assert outcome.verdict is Verdict.RETRY


def test_webhook_429_is_a_rate_limit() -> None:
    response = httpx.Response(
        429, text="rate_limited", headers={"Retry-After": "2"}, request=httpx.Request("POST", HOOK)
    )
    outcome = classify(response, "incoming_webhook")
    assert outcome.verdict is Verdict.RETRY
    assert outcome.rate_limited is True
    assert outcome.retry_after == 2.0
