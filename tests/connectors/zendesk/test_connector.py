"""The Zendesk connector against recorded (synthetic) API traffic, on a fake clock."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pydantic
import pytest
import yaml
from handoff_zendesk import ZendeskConfig, ZendeskConnector

from handoff_sdk import (
    ApiError,
    ConfigError,
    FakeClock,
    MissingSecretError,
    WebhookScheme,
    WebhookSignatureError,
    sign_webhook,
)
from handoff_sdk.entities import Case, Contact, WebhookRequest
from handoff_sdk.testing.harness import Harness, build_harness

CONFIG: dict[str, Any] = {
    "subdomain": "acme",
    "base_url": "https://acme.zendesk.example.test",
    "email": "agent@example.com",
    "escalated_to_sales_field_id": 360000000042,
}
SECRETS = {"api_token": "synthetic-api-token", "webhook_signing_secret": "synthetic-whsec"}
CURSOR_1 = "c3ludGhldGljLWV4cG9ydC0x"
CURSOR_2 = "c3ludGhldGljLWV4cG9ydC0y"

Make = Callable[..., Harness]


@pytest.fixture
def zendesk(connector_harness: Make) -> Callable[..., Harness]:
    def make(cassette: str, config: dict[str, Any] | None = None, **kw: Any) -> Harness:
        return connector_harness(
            ZendeskConnector,
            config={**CONFIG, **(config or {})},
            secrets=kw.pop("secrets", SECRETS),
            cassette=cassette,
            **kw,
        )

    return make


def connector(h: Harness) -> ZendeskConnector:
    assert isinstance(h.connector, ZendeskConnector)
    return h.connector


def sent_json(request: httpx.Request) -> Any:
    return json.loads(request.content)


# -- config and auth ----------------------------------------------------------------------


def test_api_token_auth_needs_email() -> None:
    with pytest.raises(pydantic.ValidationError, match="'email' is required"):
        ZendeskConfig.model_validate({"subdomain": "acme"})
    oauth = ZendeskConfig.model_validate({"subdomain": "acme", "auth": "oauth"})
    assert ZendeskConnector.required_secrets(oauth) == ["access_token"]
    token = ZendeskConfig.model_validate(CONFIG)
    assert ZendeskConnector.required_secrets(token) == ["api_token"]


def test_subdomain_must_be_a_bare_subdomain() -> None:
    with pytest.raises(pydantic.ValidationError, match="subdomain"):
        ZendeskConfig.model_validate({**CONFIG, "subdomain": "acme.zendesk.com"})
    with pytest.raises(pydantic.ValidationError, match="base_url"):
        ZendeskConfig.model_validate({**CONFIG, "base_url": "https://proxy.example.test/api/"})


async def test_urls_are_built_from_the_subdomain_unless_base_url_is_set() -> None:
    config = {k: v for k, v in CONFIG.items() if k != "base_url"}
    h = build_harness(
        ZendeskConnector,
        transport=httpx.MockTransport(lambda r: httpx.Response(500)),
        config=config,
    )
    try:
        assert (
            connector(h).url("/api/v2/tickets.json")
            == "https://acme.zendesk.com/api/v2/tickets.json"
        )
    finally:
        await h.aclose()


async def test_api_token_is_basic_auth_as_email_slash_token(zendesk: Make) -> None:
    h = zendesk("find_person")
    await connector(h).handoff_find_person("ana.lima@example.com")
    [request] = h.sent()
    expected = base64.b64encode(b"agent@example.com/token:synthetic-api-token").decode()
    assert request.headers["Authorization"] == f"Basic {expected}"


async def test_oauth_sends_the_access_token_as_bearer(zendesk: Make) -> None:
    h = zendesk(
        "find_person",
        config={"auth": "oauth", "email": None},
        secrets={"access_token": "synthetic-oauth-access"},
    )
    person = await connector(h).handoff_find_person("ana.lima@example.com")
    assert person is not None
    assert h.sent()[0].headers["Authorization"] == "Bearer synthetic-oauth-access"


async def test_oauth_without_its_token_names_the_secret(zendesk: Make) -> None:
    h = zendesk("find_person", config={"auth": "oauth"}, secrets={"api_token": "not-used"})
    with pytest.raises(MissingSecretError, match="access_token"):
        await connector(h).handoff_find_person("ana.lima@example.com")


# -- find_person (Q1, Z2) ---------------------------------------------------------------------


async def test_find_person_returns_the_exact_email_match_as_contact_q1_z2(zendesk: Make) -> None:
    h = zendesk("find_person")
    person = await connector(h).handoff_find_person(" Ana.Lima@example.com ")
    assert isinstance(person, Contact)
    assert person.ids == {"zendesk": "90001"}  # not the near miss listed first
    assert (person.first_name, person.last_name) == ("Ana Sofia", "Lima")
    assert person.fields["organization_id"] == 70001
    assert h.sent()[0].url.params["query"] == "email:ana.lima@example.com"


async def test_find_person_none_when_nobody_has_the_email(zendesk: Make) -> None:
    h = zendesk("find_person_none")
    assert await connector(h).handoff_find_person("nobody@example.com") is None
    assert h.api_calls == 1


async def test_find_person_skips_the_api_for_a_non_email(zendesk: Make) -> None:
    h = zendesk("find_person_none")
    assert await connector(h).handoff_find_person("not an email") is None
    assert h.api_calls == 0


async def test_429_with_a_text_body_is_waited_out(zendesk: Make) -> None:
    """Zendesk's 429 body is plain text; Retry-After (27 s) is what is honoured."""
    h = zendesk("rate_limited_text_429")
    person = await connector(h).handoff_find_person("ana.lima@example.com")
    assert person is not None
    assert person.email == "ana.lima@example.com"
    assert h.api_calls == 2
    assert h.clock.slept >= 27
    assert 27 in h.clock.sleeps


async def test_403_error_object_becomes_an_api_error_with_title_and_message(zendesk: Make) -> None:
    h = zendesk("find_person_forbidden")
    with pytest.raises(ApiError) as info:
        await connector(h).handoff_find_person("ana.lima@example.com")
    assert info.value.status == 403
    assert info.value.code == "Forbidden"
    assert "do not have access" in info.value.message
    assert str(info.value).startswith("zendesk: HTTP 403 Forbidden")
    assert "synthetic-api-token" not in str(info.value)
    assert h.api_calls == 1  # a 403 is not retried


# -- create_case (P4-P6) ----------------------------------------------------------------------


async def test_create_case_posts_a_ticket_with_the_idempotency_key(zendesk: Make) -> None:
    h = zendesk("create_case")
    result = await connector(h).handoff_create_case(
        Case(subject="Quote for 40 seats", description="Needs a PO.", priority="High"),
        "case-key-1",
    )
    assert result.ok
    assert result.id == "5001"
    assert result.created is True
    [request] = h.sent()
    assert request.headers["Idempotency-Key"] == "case-key-1"
    assert sent_json(request) == {
        "ticket": {
            "subject": "Quote for 40 seats",
            "comment": {"body": "Needs a PO."},
            "priority": "high",
        }
    }


async def test_create_case_record_invalid_is_a_failed_result_naming_the_field(
    zendesk: Make,
) -> None:
    h = zendesk("create_case_invalid")
    result = await connector(h).handoff_create_case(Case(subject="x"), "case-key-2")
    assert not result.ok
    [error] = result.errors
    assert error.code == "RecordInvalid"
    assert "requester: Requester: Email: ana.lima@ is not properly formatted" in error.message
    assert h.api_calls == 1


# -- cursor pagination and rate headers ------------------------------------------------------


async def test_cursor_pagination_stops_on_has_more_though_links_next_is_set(
    zendesk: Make, cassette_dir: Path
) -> None:
    recorded = yaml.safe_load((cassette_dir / "zendesk" / "tickets_pages.yaml").read_text())
    last_page = json.loads(recorded["interactions"][1]["response"]["body"]["string"])
    assert last_page["links"]["next"]  # the trap: a next link on the last page
    assert last_page["meta"]["has_more"] is False
    h = zendesk("tickets_pages")
    tickets = await connector(h).list_tickets(page_size=2)
    assert [t["id"] for t in tickets] == [4001, 4002, 4003]
    assert h.api_calls == 2


async def test_used_up_rate_limit_header_pauses_before_the_next_call(zendesk: Make) -> None:
    """Page 1 says ratelimit-remaining 0, reset 12: page 2 waits 12 s instead of meeting a 429."""
    h = zendesk("tickets_pages")
    await connector(h).list_tickets(page_size=2)
    assert h.clock.sleeps == [12.0]


# -- poll_events (Z6) -------------------------------------------------------------------------


async def test_first_poll_reads_the_export_from_a_minute_ago_z6(zendesk: Make) -> None:
    h = zendesk("poll_events")
    result = await connector(h).handoff_poll_events(None)
    first = h.sent()[0]
    assert first.url.params["start_time"] == str(int(h.clock.now().timestamp()) - 60)
    assert [e.type for e in result.events] == [
        "zendesk.ticket.created",
        "zendesk.ticket.updated",
        "zendesk.ticket.deleted",
    ]
    assert [e.payload["escalated_to_sales"] for e in result.events] == [False, True, False]
    assert result.events[1].dedupe_key == "zendesk:ticket:4990:2026-01-05T08:59:20Z"
    assert result.cursor == CURSOR_2
    assert h.api_calls == 2


async def test_poll_resumes_from_the_cursor_and_keeps_it_when_nothing_changed(
    zendesk: Make,
) -> None:
    h = zendesk("poll_events_resume")
    result = await connector(h).handoff_poll_events(CURSOR_2)
    assert result.events == []
    assert result.cursor == CURSOR_2
    assert h.sent()[0].url.params["cursor"] == CURSOR_2


async def test_poll_stops_after_poll_max_pages_and_continues_from_there(zendesk: Make) -> None:
    h = zendesk("poll_events", config={"poll_max_pages": 1})
    result = await connector(h).handoff_poll_events(None)
    assert h.api_calls == 1
    assert len(result.events) == 2
    assert result.cursor == CURSOR_1


# -- parse_webhook ------------------------------------------------------------------------------

EVENT_BODY = (
    b'{"type":"zen:event-type:ticket.created","account_id":1000001,"id":"evt-0001",'
    b'"time":"2026-01-05T08:59:30Z","subject":"zen:ticket:5001","detail":{"id":"5001"},'
    b'"event":{"current":{"status":"NEW"}}}'
)


def webhook(
    signing_key: str = SECRETS["webhook_signing_secret"], when: datetime | None = None
) -> WebhookRequest:
    when = when or datetime(2026, 1, 5, 8, 59, 30, tzinfo=UTC)
    headers = sign_webhook(
        WebhookScheme.ZENDESK, secret=signing_key, body=EVENT_BODY, timestamp=when
    )
    return WebhookRequest(
        headers={k.lower(): v for k, v in headers.items()}, body=EVENT_BODY, received_at=when
    )


async def test_signed_webhook_becomes_an_event(zendesk: Make) -> None:
    h = zendesk("webhook")
    [event] = await connector(h).handoff_parse_webhook(webhook())
    assert event.type == "zendesk.ticket.created"
    assert event.dedupe_key == "zendesk:event:evt-0001"
    assert event.payload["subject"] == "zen:ticket:5001"
    assert h.api_calls == 0


async def test_webhook_with_a_wrong_signature_is_refused(zendesk: Make) -> None:
    h = zendesk("webhook")
    with pytest.raises(WebhookSignatureError) as info:
        await connector(h).handoff_parse_webhook(webhook(signing_key="someone-else"))
    assert info.value.reason == "mismatch"
    assert info.value.connector == "zendesk"
    assert "synthetic-whsec" not in str(info.value)


async def test_replayed_webhook_is_refused_as_stale(zendesk: Make, fake_clock: FakeClock) -> None:
    h = zendesk("webhook")
    fake_clock.advance(6 * 60)
    with pytest.raises(WebhookSignatureError, match="stale"):
        await connector(h).handoff_parse_webhook(webhook())


async def test_replay_window_comes_from_the_config(zendesk: Make, fake_clock: FakeClock) -> None:
    h = zendesk("webhook", config={"webhook_replay_window_seconds": 900})
    fake_clock.advance(10 * 60)
    assert await connector(h).handoff_parse_webhook(webhook())


async def test_webhook_without_the_signing_secret_names_it(zendesk: Make) -> None:
    h = zendesk("webhook", secrets={"api_token": "synthetic-api-token"})
    with pytest.raises(MissingSecretError, match="webhook_signing_secret"):
        await connector(h).handoff_parse_webhook(webhook())


# -- working a ticket (Z2-Z6) -----------------------------------------------------------------


async def test_ticket_updates_send_what_zendesk_expects(zendesk: Make) -> None:
    h = zendesk("ticket_updates")
    zd = connector(h)
    await zd.add_comment(5001, "Passed to Sam (AE).")
    assert await zd.add_tags(5001, ["sales_escalation"]) == ["quote", "sales_escalation"]
    assert await zd.remove_tags(5001, ["quote"]) == ["sales_escalation"]
    assert await zd.set_tags(5001, ["renewal"]) == ["renewal"]
    await zd.assign(5001, 91001, group_id=80002)
    await zd.mark_escalated_to_sales(5001)
    sent = [(r.method, r.url.path, sent_json(r)) for r in h.sent()]
    assert sent == [
        (
            "PUT",
            "/api/v2/tickets/5001.json",
            {"ticket": {"comment": {"body": "Passed to Sam (AE).", "public": False}}},
        ),
        ("PUT", "/api/v2/tickets/5001/tags.json", {"tags": ["sales_escalation"]}),
        ("DELETE", "/api/v2/tickets/5001/tags.json", {"tags": ["quote"]}),
        ("POST", "/api/v2/tickets/5001/tags.json", {"tags": ["renewal"]}),
        ("PUT", "/api/v2/tickets/5001.json", {"ticket": {"assignee_id": 91001, "group_id": 80002}}),
        (
            "PUT",
            "/api/v2/tickets/5001.json",
            {"ticket": {"custom_fields": [{"id": 360000000042, "value": True}]}},
        ),
    ]


async def test_escalated_to_sales_needs_its_field_id_z6(zendesk: Make) -> None:
    h = zendesk("ticket_updates", config={"escalated_to_sales_field_id": None})
    with pytest.raises(ConfigError, match="escalated_to_sales_field_id") as info:
        await connector(h).mark_escalated_to_sales(5001)
    assert info.value.connector == "zendesk"
    assert h.api_calls == 0


async def test_apply_macro_previews_then_writes_a_safe_update_z2(zendesk: Make) -> None:
    h = zendesk("apply_macro")
    ticket = await connector(h).apply_macro(5001, 360000000900)
    assert ticket["status"] == "pending"
    preview, update = h.sent()
    assert preview.method == "GET"
    assert preview.url.path == "/api/v2/tickets/5001/macros/360000000900/apply.json"
    changes = sent_json(update)["ticket"]
    assert changes["status"] == "pending"
    assert changes["assignee_id"] == 91001
    assert changes["comment"] == {
        "html_body": "<p>Hi Ana, I have passed your request to Sam in our sales team.</p>",
        "public": True,
    }
    assert changes["safe_update"] is True
    assert changes["updated_stamp"] == "2026-01-05T08:58:10Z"


async def test_apply_macro_redoes_the_preview_once_on_update_conflict(zendesk: Make) -> None:
    h = zendesk("apply_macro_conflict")
    await connector(h).apply_macro(5001, 360000000900)
    methods = [r.method for r in h.sent()]
    assert methods == ["GET", "PUT", "GET", "PUT"]
    stamps = [sent_json(r)["ticket"]["updated_stamp"] for r in h.sent() if r.method == "PUT"]
    assert stamps == ["2026-01-05T08:58:10Z", "2026-01-05T08:59:01Z"]


# -- reads ---------------------------------------------------------------------------------------


async def test_reads_and_search_pages(zendesk: Make) -> None:
    h = zendesk("reads")
    zd = connector(h)
    assert (await zd.get_ticket(5001))["subject"] == "Quote for 40 seats"
    assert (await zd.get_user(90001))["email"] == "ana.lima@example.com"
    assert (await zd.get_organization(70001))["domain_names"] == ["example.com"]
    found = await zd.search("type:ticket requester:ana.lima@example.com")
    assert [r["id"] for r in found] == [5001, 4990]
    assert h.api_calls == 5


async def test_search_stops_paging_at_the_limit(zendesk: Make) -> None:
    h = zendesk("reads")
    zd = connector(h)
    await zd.get_ticket(5001)
    await zd.get_user(90001)
    await zd.get_organization(70001)
    found = await zd.search("type:ticket requester:ana.lima@example.com", limit=1)
    assert [r["id"] for r in found] == [5001]
    assert h.api_calls == 4


# -- create_many ---------------------------------------------------------------------------------


class JobApi:
    """create_many answers with queued jobs; show_many answers each job with a scripted status."""

    def __init__(self, finals: dict[str, dict[str, Any]], polls_until_done: int = 1) -> None:
        self.finals = finals
        self.polls_until_done = polls_until_done
        self.created: list[str] = []
        self.polls: list[list[str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("create_many.json"):
            job_id = list(self.finals)[len(self.created)]
            self.created.append(job_id)
            return httpx.Response(200, json={"job_status": {"id": job_id, "status": "queued"}})
        assert request.url.path == "/api/v2/job_statuses/show_many.json"
        ids = request.url.params["ids"].split(",")
        self.polls.append(ids)
        done = len(self.polls) > self.polls_until_done
        statuses = [
            self.finals[i] if done else {"id": i, "status": "working", "progress": 10} for i in ids
        ]
        return httpx.Response(200, json={"job_statuses": statuses})


async def test_create_many_reports_a_refused_record_and_a_failed_job() -> None:
    results_a: list[dict[str, Any]] = [{"index": i, "id": 700000 + i} for i in range(100)]
    results_a[57] = {
        "index": 57,
        "error": "RecordInvalid",
        "details": "Requester: Email: not-an-email is not properly formatted",
    }
    api = JobApi(
        {
            "V3-syntheticA": {"id": "V3-syntheticA", "status": "completed", "results": results_a},
            "V3-syntheticB": {
                "id": "V3-syntheticB",
                "status": "failed",
                "message": "Failed: internal error",
                "results": None,
            },
        }
    )
    h = build_harness(
        ZendeskConnector, transport=httpx.MockTransport(api), config=CONFIG, secrets=SECRETS
    )
    try:
        tickets = [{"subject": f"T{n}", "comment": {"body": "x"}} for n in range(101)]
        results = await connector(h).create_many_tickets(tickets, "bulk-2")
    finally:
        await h.aclose()
    assert len(api.polls) == 2, "one show_many per round for both jobs, not one call per job"
    assert sorted(api.polls[0]) == ["V3-syntheticA", "V3-syntheticB"]
    assert h.clock.sleeps == [0.1], "the first poll follows the starts with no fixed wait"
    assert len(results) == 101
    failed = {r.index: r.errors[0] for r in results if not r.ok}
    assert set(failed) == {57, 100}
    assert failed[57].code == "RecordInvalid"
    assert "not-an-email" in failed[57].message
    assert failed[100].code == "job_failed"
    assert "V3-syntheticB failed: Failed: internal error" in failed[100].message
    assert results[58].id == "700058"


async def test_a_job_still_running_at_the_timeout_fails_its_records_with_the_job_id() -> None:
    api = JobApi({"V3-slow": {}}, polls_until_done=1000)
    h = build_harness(
        ZendeskConnector,
        transport=httpx.MockTransport(api),
        config={**CONFIG, "job_poll_seconds": 2, "job_timeout_seconds": 5},
        secrets=SECRETS,
    )
    try:
        [result] = await connector(h).create_many_tickets([{"subject": "slow"}], "bulk-3")
    finally:
        await h.aclose()
    assert h.clock.slept >= 5
    assert max(h.clock.sleeps) <= 2, "the waits grow up to job_poll_seconds"
    assert not result.ok
    assert result.errors[0].code == "job_timeout"
    assert "V3-slow" in result.errors[0].message
    assert "after 5 s" in result.errors[0].message


async def test_a_chunk_refused_outright_fails_only_its_records() -> None:
    calls = 0

    def api(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if request.url.path.endswith("create_many.json"):
            if calls == 1:
                return httpx.Response(
                    400,
                    json={
                        "error": "InvalidValue",
                        "description": "tickets parameter is invalid",
                    },
                )
            job = {"id": "V3-ok", "status": "completed", "results": [{"index": 0, "id": 9}]}
            return httpx.Response(200, json={"job_status": job})
        raise AssertionError(f"unexpected {request.url}")

    h = build_harness(
        ZendeskConnector, transport=httpx.MockTransport(api), config=CONFIG, secrets=SECRETS
    )
    try:
        results = await connector(h).create_many_tickets(
            [{"subject": str(n)} for n in range(101)], "bulk-4"
        )
    finally:
        await h.aclose()
    assert [r.ok for r in results] == [False] * 100 + [True]
    assert results[0].errors[0].code == "InvalidValue"
    assert results[100].id == "9"
    assert h.clock.sleeps == []  # a job already completed is not polled
